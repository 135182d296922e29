"""A program kept in infra/ (Pulumi.yaml's main), reading a template next to it."""

import json

import pulumi
import pulumi_gcp as gcp

with open("templates/labels.json", encoding="utf-8") as file:
    labels = json.load(file)

ring = gcp.kms.KeyRing("data", location="europe-west6")
key = gcp.kms.CryptoKey("data", key_ring=ring.id, rotation_period="7776000s", labels=labels)
address = gcp.compute.Address("egress", region="europe-west6", labels=labels)
pulumi.export("key", key.id)
pulumi.export("address", address.address)
