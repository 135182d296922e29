"""The site's service perimeter: VPC Service Controls around the site project.

Google APIs answer from anywhere on the internet; a perimeter makes the restricted APIs of the site
project answer only to requests from inside it, from the site's declared ranges (access levels), and
to the few identities its ingress and egress rules name. The perimeter lives in the organisation's
access policy (created by the platform team, see docs/deploying.md); this component adds the site's
perimeter and its access levels to it.

Security controls are constants: every required service is restricted (:data:`REQUIRED_SERVICES`, a
site can only add), VPC-accessible services are the restricted ones, the perimeter is never a bridge,
and each rule names its identity, its source and its resource. ``enforced`` is the one switch: off,
the perimeter is an explicit dry run (``useExplicitDryRunSpec`` with the configuration in ``spec``,
nothing in ``status``), which logs what it would deny and denies nothing; on, the same configuration
moves to ``status`` and is enforced.
"""

from __future__ import annotations

from typing import Annotated, Any, cast

import pulumi
import pulumi_gcp as gcp
from pydantic import Field, model_validator

from ._base import Component, ComponentArgs, StrInput, child
from .contract import (
    PERIMETER_SERVICES,
    AccessPolicyId,
    ProjectByNumber,
    PublicCidr,
    RestrictableService,
    SiemMember,
    SiteCode,
    StableName,
)

TYPE_TOKEN = "imaging:network:ServicePerimeter"

REQUIRED_SERVICES = PERIMETER_SERVICES
"""Restricted by every site perimeter (NET-11)."""
PACS_METHODS = ("google.storage.objects.create",)
"""What the PACS may do across the perimeter: store objects (the uploader's role cannot read or delete)."""
SIEM_METHODS = (
    "google.pubsub.v1.Subscriber.Pull",
    "google.pubsub.v1.Subscriber.StreamingPull",
    "google.pubsub.v1.Subscriber.Acknowledge",
    "google.pubsub.v1.Subscriber.ModifyAckDeadline",
)
"""What the SIEM subscriber may do across the perimeter: read and acknowledge its subscription's messages."""
ALL_METHODS = "*"
"""Every method of one service (an egress rule's sink writes log entries through several)."""


def short_name(*parts: str) -> str:
    """A perimeter's or access level's short name: letters, digits and ``_`` (the API refuses ``-``)."""
    return "_".join(part.replace("-", "_") for part in parts)


class ServicePerimeterArgs(ComponentArgs):
    """Inputs of :class:`ServicePerimeter`."""

    access_policy: AccessPolicyId
    """The organisation's access policy (``accessPolicies/<number>``); the platform team creates it."""
    project_number: StrInput
    """The site project's number (a perimeter holds ``projects/<number>``, never an id)."""
    site_code: SiteCode
    """The site code, in the perimeter's and access levels' names."""
    access_ranges: Annotated[dict[StableName, Annotated[list[PublicCidr], Field(min_length=1)]], Field(min_length=1)]
    """The public ranges admitted into the perimeter, by stable name (one access level each), for example
    ``{pacs: [...], hospital: [...]}``."""
    pacs_range: StableName
    """Which of ``access_ranges`` the PACS uploads from: the source of its ingress rule."""
    pacs_uploader: StrInput
    """The PACS's IAM member (``serviceAccount:...``, impersonated by a federated PACS): its ingress rule's identity."""
    extra_services: list[RestrictableService] = []
    """Services restricted besides the required ones (Cloud Storage, Cloud KMS, Logging, Pub/Sub, Cloud Run, IAP,
    Monitoring)."""
    siem_subscriber: SiemMember | None = None
    """The SIEM's identity, when it reads the site's export subscription from outside the perimeter."""
    siem_project: ProjectByNumber | None = None
    """The SIEM's project by number: the source of the subscriber's ingress rule, or the central destination's
    project (the target of the sink's egress rule)."""
    siem_writer: StrInput | None = None
    """The SIEM sink's writer identity, when it writes to a central destination in ``siem_project``."""
    enforced: bool
    """``True``: the configuration is enforced (``status``). ``False``: an explicit dry run (``spec``) that
    denies nothing and logs what it would deny."""

    @model_validator(mode="after")
    def _rules_complete(self) -> ServicePerimeterArgs:
        if self.pacs_range not in self.access_ranges:
            raise ValueError(f"pacs_range {self.pacs_range!r} is not a key of access_ranges")
        if (self.siem_subscriber is not None or self.siem_writer is not None) and self.siem_project is None:
            raise ValueError("siem_project is required with siem_subscriber or siem_writer (the rule's project)")
        if self.siem_subscriber is not None and self.siem_writer is not None:
            raise ValueError("set siem_subscriber (Pub/Sub export) or siem_writer (central destination), not both")
        return self

    @property
    def restricted_services(self) -> list[str]:
        """Every restricted service, sorted: the required ones and the extras."""
        return sorted({*REQUIRED_SERVICES, *self.extra_services})


class ServicePerimeter(Component):
    """The site project in a regular perimeter of the organisation's access policy.

    Children: ``<name>-<range>`` (``gcp.accesscontextmanager.AccessLevel``, one per ``access_ranges`` key) and
    ``<name>`` (``gcp.accesscontextmanager.ServicePerimeter``). Outputs: ``perimeter_name``, ``access_levels``.
    """

    perimeter_name: pulumi.Output[str]
    """The perimeter's resource name, ``accessPolicies/<n>/servicePerimeters/<site>_imaging``."""

    def __init__(self, name: str, args: ServicePerimeterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE_TOKEN, name, opts)
        policy = args.access_policy
        levels = {
            key: gcp.accesscontextmanager.AccessLevel(
                f"{name}-{key}",
                parent=policy,
                name=f"{policy}/accessLevels/{short_name(args.site_code, key)}",
                title=f"{args.site_code}-{key}",
                description=f"The site's {key} ranges, admitted into its perimeter (NET-14).",
                basic={"conditions": [{"ip_subnetworks": list(cidrs)}]},
                opts=child(self),
            )
            for key, cidrs in sorted(args.access_ranges.items())
        }
        project = pulumi.Output.from_input(args.project_number).apply(lambda n: f"projects/{n}")
        config = _configuration(
            args,
            project=project,
            levels=[level.name for level in levels.values()],
            pacs_level=levels[args.pacs_range].name,
        )
        self.perimeter = gcp.accesscontextmanager.ServicePerimeter(
            name,
            parent=policy,
            name=f"{policy}/servicePerimeters/{short_name(args.site_code, 'imaging')}",
            title=f"{args.site_code}-imaging",
            description=("The imaging site's project: its restricted APIs answer only inside the perimeter (NET-10)."),
            perimeter_type="PERIMETER_TYPE_REGULAR",
            use_explicit_dry_run_spec=not args.enforced,
            # the same configuration, enforced (status) or as the explicit dry run (spec); the two shapes are equal
            status=cast("gcp.accesscontextmanager.ServicePerimeterStatusArgsDict", config) if args.enforced else None,
            spec=None if args.enforced else cast("gcp.accesscontextmanager.ServicePerimeterSpecArgsDict", config),
            opts=child(self, depends_on=list(levels.values())),
        )
        self.perimeter_name = self.perimeter.name
        self.access_levels = {key: level.name for key, level in levels.items()}
        self.register_outputs({"perimeterName": self.perimeter.name, "accessLevels": self.access_levels})


def _configuration(
    args: ServicePerimeterArgs, *, project: pulumi.Output[str], levels: list[pulumi.Output[str]], pacs_level: Any
) -> dict[str, Any]:
    """The perimeter's configuration (``status`` when enforced, ``spec`` in dry run)."""
    ingress: list[dict[str, Any]] = [
        {
            "title": "pacs-uploads",
            "ingress_from": {"identities": [args.pacs_uploader], "sources": [{"access_level": pacs_level}]},
            "ingress_to": {
                "resources": [project],
                "operations": [
                    {
                        "service_name": "storage.googleapis.com",
                        "method_selectors": [{"method": m} for m in PACS_METHODS],
                    }
                ],
            },
        }
    ]
    if args.siem_subscriber is not None:
        ingress.append(
            {
                "title": "siem-reads-export",
                "ingress_from": {
                    "identities": [args.siem_subscriber],
                    "sources": [{"resource": args.siem_project}],
                },
                "ingress_to": {
                    "resources": [project],
                    "operations": [
                        {
                            "service_name": "pubsub.googleapis.com",
                            "method_selectors": [{"method": m} for m in SIEM_METHODS],
                        }
                    ],
                },
            }
        )
    egress: list[dict[str, Any]] = []
    if args.siem_writer is not None:
        egress.append(
            {
                "title": "siem-central-destination",
                "egress_from": {"identities": [args.siem_writer]},
                "egress_to": {
                    "resources": [args.siem_project],
                    "operations": [
                        {"service_name": "logging.googleapis.com", "method_selectors": [{"method": ALL_METHODS}]}
                    ],
                },
            }
        )
    services = args.restricted_services
    return {
        "resources": [project],
        "restricted_services": services,
        "access_levels": levels,
        "vpc_accessible_services": {"enable_restriction": True, "allowed_services": ["RESTRICTED-SERVICES"]},
        "ingress_policies": ingress,
        "egress_policies": egress,
    }
