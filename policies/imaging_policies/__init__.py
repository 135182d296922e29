"""The imaging site requirements as CrossGuard policies, one per control, one module per area.

Self-contained: published on its own as a policy pack, it never imports the components.
"""

from imaging_policies import closed_world, edge, guardrails, iam, kms, logs, monitoring, network, storage
from imaging_policies._registry import Registry

PACK_NAME = "imaging-site-requirements"

_registry = Registry()
for _module in (kms, storage, iam, network, logs, monitoring, edge, guardrails):
    _registry.extend(_module.POLICIES)
_registry.extend(closed_world.policies(_registry))  # judges every type against all the others

POLICIES = _registry.policies
"""Every policy of the pack, in control order within each area."""

REGISTRY = _registry
"""The registry of the pack's policies: which types each judges (the closed world and its README table)."""

__all__ = ["PACK_NAME", "POLICIES", "REGISTRY"]
