"""The team's network component, in a module of its own (and a shared router created when the module is
imported, as programs sometimes do)."""

import pulumi
import pulumi_gcp as gcp

shared_network = gcp.compute.Network("shared", auto_create_subnetworks=False, delete_default_routes_on_create=True)


class Vpc(pulumi.ComponentResource):
    def __init__(self, name: str, cidr: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("acme:network:Vpc", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.network = gcp.compute.Network(name, auto_create_subnetworks=False, opts=child)
        self.subnet = gcp.compute.Subnetwork(
            f"{name}-main",
            network=self.network.id,
            ip_cidr_range=cidr,
            private_ip_google_access=True,
            log_config={
                "aggregation_interval": "INTERVAL_5_SEC",
                "flow_sampling": 1.0,
                "metadata": "INCLUDE_ALL_METADATA",
            },
            opts=child,
        )
        self.router = gcp.compute.Router(f"{name}-router", network=self.network.id, opts=child)
        gcp.compute.RouterNat(
            f"{name}-nat",
            router=self.router.name,
            nat_ip_allocate_option="AUTO_ONLY",
            source_subnetwork_ip_ranges_to_nat="ALL_SUBNETWORKS_ALL_IP_RANGES",
            opts=child,
        )
        self.register_outputs({"network": self.network.id})
