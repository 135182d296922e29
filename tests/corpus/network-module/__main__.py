"""A program whose network lives in its own module."""

import pulumi
from network import Vpc, shared_network

vpc = Vpc("core", pulumi.Config().require("cidr"))
pulumi.export("network", vpc.network.self_link)
pulumi.export("shared", shared_network.name)
