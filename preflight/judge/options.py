"""Resource options the Analyzer protocol does not carry, judged by the offline check (IAM-13).

``AnalyzerResourceOptions`` has protect, ignoreChanges, deleteBeforeReplace, aliases, customTimeouts,
additionalSecretOutputs and parent: a policy pack never sees ``retainOnDelete``, ``deletedWith`` or
``import``. Under the real engine they are not judged at all; the offline check reads them from the
program's registrations (``preflight/engine/runner.py``) and reports, under IAM-13's policy name:

* ``retainOnDelete`` on a resource that grants access or lets traffic through (an IAM grant, a
  firewall rule, a route): when the stack deletes it, the grant stays in the cloud and nothing judges it;
* ``deletedWith`` on such a resource naming a resource it does not depend on: when that resource is
  deleted, the engine skips deleting the grant, which the other deletion does not remove.

``import`` adopts an existing cloud resource; the engine refuses the import when the cloud resource
differs from the declared inputs, which the pack judges: not a finding.
"""

from __future__ import annotations

import re

from preflight.engine.runner import Resource
from preflight.judge.analyzer import Diagnostic

POLICY = "gcp-resource-properties-judged"
"""IAM-13's policy: the offline check reports these options under its name (and its level)."""

_IAM = re.compile(r"(?i)iam(member|binding|policy)$")
_PASSAGES = (
    "gcp:compute/firewall:Firewall",
    "gcp:compute/route:Route",
    "gcp:compute/firewallPolicyRule:FirewallPolicyRule",
    "gcp:compute/networkFirewallPolicyRule:NetworkFirewallPolicyRule",
    "gcp:compute/regionNetworkFirewallPolicyRule:RegionNetworkFirewallPolicyRule",
)


def opens(r: Resource) -> bool:
    """Whether ``r`` grants access or lets traffic through: an IAM grant of any service, a firewall
    rule or a route."""
    return bool(_IAM.search(r.type.rsplit(":", 1)[-1])) or r.type in _PASSAGES


def _short(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def _finding(r: Resource, level: str, problem: str) -> Diagnostic:
    """One option's finding; the check, not the pack, judges it (the option never reaches a policy pack)."""
    message = f"{problem} (judged by the offline check: the option never reaches a policy pack)."
    return Diagnostic(policy=POLICY, level=level, severity="high", urn=r.urn, message=message)


def findings(resources: list[Resource], level: str = "mandatory") -> list[Diagnostic]:
    """The options of ``resources`` that leave a grant or a passage behind, as the pack's diagnostics."""
    found: list[Diagnostic] = []
    for r in resources:
        if not r.custom or not opens(r):
            continue
        if r.retain_on_delete:
            found.append(
                _finding(
                    r,
                    level,
                    "retainOnDelete is set: when the stack deletes this grant or rule, it stays in the cloud and "
                    "nothing judges it any more. Remove retainOnDelete",
                )
            )
        if r.deleted_with and r.deleted_with not in r.dependencies:
            found.append(
                _finding(
                    r,
                    level,
                    f"deletedWith names {_short(r.deleted_with)!r}, which this grant or rule does not depend on: "
                    "when that resource is deleted the engine skips deleting this one, and that deletion does not "
                    "remove it. Remove deletedWith",
                )
            )
    return found
