"""The imaging site requirements as CrossGuard policies, one per control, one module per area.

Self-contained: published on its own as a policy pack, it never imports the components.
"""

from imaging_policies import (
    access,
    closed_world,
    detection,
    duties,
    edge,
    federation,
    findings,
    firewall,
    iam,
    kms,
    log_path,
    logging,
    monitoring,
    orgpolicy,
    properties,
    retention,
    routing,
    storage,
    supply_chain,
    vpc,
)
from imaging_policies._registry import Registry

PACK_NAME = "imaging-site-requirements"

_pack = Registry()
for _module in (
    kms,
    storage,
    retention,
    iam,
    access,
    duties,
    federation,
    firewall,
    vpc,
    logging,
    log_path,
    monitoring,
    detection,
    findings,
    edge,
    supply_chain,
    routing,
    orgpolicy,
    properties,
):
    _pack.extend(_module.POLICIES)
_pack.extend(closed_world.policies(_pack))  # judges every type against all the others

POLICIES = _pack.policies
"""Every policy of the pack, in control order within each area."""

REGISTRY = _pack
"""The registry of the pack's policies: which types each judges (the closed world and its README table)."""

__all__ = ["PACK_NAME", "POLICIES", "REGISTRY"]
