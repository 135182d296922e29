"""The site VPC: custom subnets with flow logs, a private path to Google APIs, DNS logging, worklist routes.

Controls NET-02 (custom VPC, explicit routes only), NET-05 (Private Google Access, restricted VIP
route and DNS), LOG-03 (flow logs) and LOG-06 (DNS query logging). The firewall is a separate
component (:mod:`components.firewall`).
"""

from __future__ import annotations

from typing import Annotated

import pulumi
import pulumi_gcp as gcp
from pydantic import Field, model_validator

from . import ranges
from ._base import Component, ComponentArgs, StrInput, child, known_after
from .contract import AllowlistCidr, PrivateCidr, Region, SiteCode, StableName

TYPE_TOKEN = "imaging:network:SiteNetwork"

FLOW_LOGS: gcp.compute.SubnetworkLogConfigArgsDict = {
    "aggregation_interval": "INTERVAL_5_SEC",
    "flow_sampling": 1.0,
    "metadata": "INCLUDE_ALL_METADATA",
}
"""Every subnet's flow-log settings (LOG-03, CIS GCP 3.8): every flow, every field, 5-second buckets."""
INTERNET_GATEWAY = "default-internet-gateway"
"""The restricted VIP is reached through the default gateway, yet traffic never leaves Google's network."""
GOOGLEAPIS_DOMAIN = "googleapis.com."
RESTRICTED_HOST = f"restricted.{GOOGLEAPIS_DOMAIN}"


class WorklistRoute(ComponentArgs):
    """The ranges of one worklist endpoint and the next hop that reaches them (one of the two)."""

    cidrs: Annotated[list[AllowlistCidr], Field(min_length=1)]
    """Destination ranges."""
    vpn_tunnel: StrInput | None = None
    """A Cloud VPN tunnel: one static route per range through it."""
    next_hop_ip: str | None = None
    """An internal next-hop address: one static route per range to it."""

    @model_validator(mode="after")
    def _one_next_hop(self) -> WorklistRoute:
        if (self.vpn_tunnel is None) == (self.next_hop_ip is None):
            raise ValueError("set exactly one of vpn_tunnel or next_hop_ip")
        return self


class SiteNetworkArgs(ComponentArgs):
    """Inputs of :class:`SiteNetwork`."""

    project: str
    """The GCP project of the network."""
    region: Region
    """The region of every subnet."""
    site_code: SiteCode
    """The site code, used in every name."""
    subnets: Annotated[dict[StableName, PrivateCidr], Field(min_length=1)]
    """Subnet primary ranges by stable name."""
    worklist_routes: dict[StableName, WorklistRoute] = {}
    """Static routes to worklist endpoints by stable name (endpoints learned over BGP need none)."""


def network_name(site_code: str) -> str:
    """The site VPC's name."""
    return f"{site_code}-vpc"


class SiteNetwork(Component):
    """A custom-mode VPC with no default routes, subnets that log every flow and reach Google privately.

    Children (``<name>`` is the component's name, keys are the args' map keys): ``<name>`` (Network),
    ``<name>-<subnet>`` (Subnetwork), ``<name>-restricted-apis`` (Route), ``<name>-to-<endpoint>-<cidr>``
    (Route), ``<name>-googleapis`` (private ManagedZone), ``<name>-googleapis-a`` and
    ``<name>-googleapis-cname`` (RecordSet), ``<name>-dns-logging`` (DNS Policy).
    """

    network_id: pulumi.Output[str]
    """``projects/<project>/global/networks/<name>``, known during preview."""
    subnet_ranges: dict[str, str]
    """The subnets' primary ranges by stable name."""
    subnet_ids: dict[str, pulumi.Output[str]]
    """The subnets' ids by stable name, known during preview."""

    def __init__(self, name: str, args: SiteNetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE_TOKEN, name, opts)
        vpc_name = network_name(args.site_code)
        network = gcp.compute.Network(
            name,
            project=args.project,
            name=vpc_name,
            auto_create_subnetworks=False,
            delete_default_routes_on_create=True,
            routing_mode="REGIONAL",
            description=f"Imaging site {args.site_code}: the viewer reaches only the worklist and Google APIs.",
            opts=child(self),
        )
        network_id = known_after(network, f"projects/{args.project}/global/networks/{vpc_name}")
        self.subnet_ids: dict[str, pulumi.Output[str]] = {}
        for key, cidr in args.subnets.items():
            subnet = gcp.compute.Subnetwork(
                f"{name}-{key}",
                project=args.project,
                name=f"{args.site_code}-{key}",
                region=args.region,
                network=network_id,
                ip_cidr_range=cidr,
                private_ip_google_access=True,
                log_config=FLOW_LOGS,
                opts=child(self),
            )
            subnet_path = f"projects/{args.project}/regions/{args.region}/subnetworks/{args.site_code}-{key}"
            self.subnet_ids[key] = known_after(subnet, subnet_path)
        gcp.compute.Route(
            f"{name}-restricted-apis",
            project=args.project,
            name=f"{args.site_code}-restricted-apis",
            network=network_id,
            dest_range=ranges.RESTRICTED_GOOGLE_APIS,
            next_hop_gateway=INTERNET_GATEWAY,
            description="Private path to restricted.googleapis.com (NET-05).",
            opts=child(self),
        )
        for key, route in args.worklist_routes.items():
            for cidr in route.cidrs:
                suffix = cidr.replace(".", "-").replace("/", "-")
                gcp.compute.Route(
                    f"{name}-to-{key}-{suffix}",
                    project=args.project,
                    name=f"{args.site_code}-to-{key}-{suffix}",
                    network=network_id,
                    dest_range=cidr,
                    next_hop_vpn_tunnel=route.vpn_tunnel,
                    next_hop_ip=route.next_hop_ip,
                    description=f"Worklist endpoint {key}.",
                    opts=child(self),
                )
        self._private_googleapis(name, args, network_id)
        gcp.dns.Policy(
            f"{name}-dns-logging",
            project=args.project,
            name=f"{args.site_code}-dns-logging",
            enable_logging=True,
            enable_inbound_forwarding=False,
            networks=[{"network_url": network_id}],
            description="Logs every DNS query from the site VPC (LOG-06).",
            opts=child(self),
        )
        self.network = network
        self.network_id = network_id
        self.subnet_ranges = dict(args.subnets)
        self.register_outputs({"networkId": network_id})

    def _private_googleapis(self, name: str, args: SiteNetworkArgs, network_id: pulumi.Output[str]) -> None:
        """``*.googleapis.com`` resolves to the restricted VIP inside the VPC (NET-05)."""
        zone = gcp.dns.ManagedZone(
            f"{name}-googleapis",
            project=args.project,
            name=f"{args.site_code}-googleapis",
            dns_name=GOOGLEAPIS_DOMAIN,
            visibility="private",
            private_visibility_config={"networks": [{"network_url": network_id}]},
            description="Google APIs through restricted.googleapis.com only.",
            force_destroy=False,
            opts=child(self),
        )
        gcp.dns.RecordSet(
            f"{name}-googleapis-a",
            project=args.project,
            managed_zone=zone.name,
            name=RESTRICTED_HOST,
            type="A",
            ttl=300,
            rrdatas=list(ranges.RESTRICTED_GOOGLE_APIS_ADDRESSES),
            opts=child(self),
        )
        gcp.dns.RecordSet(
            f"{name}-googleapis-cname",
            project=args.project,
            managed_zone=zone.name,
            name=f"*.{GOOGLEAPIS_DOMAIN}",
            type="CNAME",
            ttl=300,
            rrdatas=[RESTRICTED_HOST],
            opts=child(self),
        )
