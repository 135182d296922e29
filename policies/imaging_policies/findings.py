"""Google's own detectors in the SIEM (LOG-18): Security Command Center findings of the site project.

A site whose SIEM reads its Pub/Sub export must publish the site project's active findings (Event Threat
Detection, Security Health Analytics, ...) to the same CMEK topic: a project notification config (v2, or
v1's) of the site project, on the declared SIEM topic, whose ``streamingConfig.filter`` keeps every active
finding. Its service account's publisher grant is the effective-access model's (a needed holder of the SIEM
topic, IAM-10 and IAM-11). Access Transparency entries reach the SIEM through the SIEM sink's filter, which
LOG-08 judges with a sample entry.

The organisation holds the control instead, and the matrix says so ("evidence outside the stack", never
met) when the SIEM is its central destination, or when the site records why the organisation exports the
findings (``imaging-landing-zone:logging.findings.organisation``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from pulumi_policy import PolicyResource, Severity, StackValidationArgs

from imaging_policies import tokens
from imaging_policies._props import UNKNOWN, known, leaf
from imaging_policies._registry import Report, stack_policy
from imaging_policies._resolve import resource_path
from imaging_policies._site import section, site_logging, site_setting

POLICY_NAME: Final = "gcp-scc-findings-to-siem"
HELD_BY_THE_ORGANISATION: Final = "LOG-18 is held by the organisation: "
"""The start of the reason a site hands LOG-18 to its organisation with (the matrix shows it as evidence outside
the stack)."""
EVERY_ACTIVE_FINDING: Final = frozenset({"", 'state="ACTIVE"', 'state:"ACTIVE"'})
"""The filters (blanks removed) that keep every active finding: none, or ``state="ACTIVE"``. The pack does not
evaluate Security Command Center's filter language; any other filter is a finding."""


def organisation_reason(get: Any = site_setting) -> str | None:
    """``logging.findings.organisation`` of the site config: why the organisation exports the findings."""
    logging: Mapping[str, Any] = section(get, "logging") or {}
    findings = logging.get("findings")
    reason = findings.get("organisation") if isinstance(findings, Mapping) else None
    return reason.strip() if isinstance(reason, str) and reason.strip() else None


def _topic(value: Any) -> str | None:
    path = resource_path(value)
    return path.lower() if path else None


def _problems(config: PolicyResource, project: str | None, topic: str) -> list[str]:
    found = []
    where = known(config.props, "project", resource=config.name)
    if isinstance(where, str) and project and where.lower() != project.lower():
        found.append(f"project is {where}, not the site project {project}: it sends that project's findings")
    target = known(config.props, "pubsubTopic", resource=config.name)
    if _topic(target) != topic:
        found.append(f"pubsubTopic is {target}, not the SIEM topic {topic}: the SIEM never reads it")
    condition = known(config.props, "streamingConfig", "filter", resource=config.name)
    shown = condition if isinstance(condition, str) else ""
    if re.sub(r"\s+", "", shown) not in EVERY_ACTIVE_FINDING:
        found.append(
            f'streamingConfig.filter is {shown!r}: it keeps some active findings from the SIEM. Use state="ACTIVE"'
        )
    return found


def _findings_in_siem(args: StackValidationArgs, report: Report) -> None:
    declared = site_logging()
    reason = organisation_reason()
    if reason:
        args.not_applicable(HELD_BY_THE_ORGANISATION + f"{reason} (logging.findings.organisation)")
    siem = declared.siem or ""
    if not siem:
        report(
            f"the site declares no SIEM destination ({declared.source}), so Security Command Center findings of "
            f"{declared.project or 'the site project'} reach no SIEM. Declare logging.siem."
        )
        return
    if not siem.startswith("pubsub.googleapis.com/"):
        args.not_applicable(
            HELD_BY_THE_ORGANISATION + "the SIEM is the organisation's central destination "
            "(logging.siem.centralDestination): it exports Security Command Center findings there; the site's "
            "Access Transparency entries reach it through the SIEM sink"
        )
    topic = siem.removeprefix("pubsub.googleapis.com/").lower()
    configs = [r for r in args.resources if r.resource_type in tokens.SCC_PROJECT_NOTIFICATIONS]
    near = []
    for config in configs:
        problems = _problems(config, declared.project, topic)
        if not problems:
            return
        near.append(f"notification config {config.name!r}: {'; '.join(problems)}")
    if configs and all(leaf(c.props, "pubsubTopic") is UNKNOWN for c in configs):
        known(configs[0].props, "pubsubTopic", resource=configs[0].name)  # not judged in a first preview
    report(
        f"Security Command Center findings of {declared.project} do not reach the SIEM: missing a "
        f"V2ProjectNotificationConfig of the site project publishing to {topic} every active finding"
        + (f" ({'; '.join(near)})" if near else "")
        + ". Keep SecurityLogging's findings export, or record in logging.findings.organisation where the "
        "organisation exports them."
    )


POLICIES = [
    stack_policy(
        name=POLICY_NAME,
        site_only=True,
        types=sorted(tokens.SCC_PROJECT_NOTIFICATIONS),
        control="LOG-18",
        description="The site project's active Security Command Center findings are published to the SIEM topic, "
        "unless the site records that its organisation exports them.",
        severity=Severity.HIGH,
        remediation="Keep a project notification config on the SIEM topic with streamingConfig.filter "
        'state="ACTIVE" (SecurityLogging), or set imaging-landing-zone:logging.findings.organisation.',
        check=_findings_in_siem,
    ),
]
