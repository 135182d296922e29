"""An application stack on a shared network owned by another stack: it reads that stack's outputs, the
project it runs in and the region's zones, and hands its database address to a VM."""

import pulumi
import pulumi_gcp as gcp

network_stack = pulumi.StackReference("acme/shared-vpc/prod")
subnet = network_stack.get_output("appSubnet")
project = gcp.organizations.get_project()
zones = gcp.compute.get_zones()

db = gcp.sql.DatabaseInstance(
    "orders-db", database_version="MYSQL_8_0", deletion_protection=False, settings={"tier": "db-g1-small"}
)
gcp.compute.Instance(
    "orders-api",
    machine_type="e2-small",
    zone=zones.names[0],
    boot_disk={"initialize_params": {"image": "debian-cloud/debian-12"}},
    network_interfaces=[{"subnetwork": subnet}],
    metadata={"db-instance": db.connection_name.apply(lambda name: name.split(":")[2]), "project": project.number},
)
pulumi.export("db_host", db.ip_addresses.apply(lambda addresses: addresses[0].ip_address))
pulumi.export("shared_subnet", subnet)
