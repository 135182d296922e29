"""An Autopilot cluster, exporting a kubeconfig built from its outputs."""

import pulumi
import pulumi_gcp as gcp

cluster = gcp.container.Cluster("apps", location="europe-west4", enable_autopilot=True, deletion_protection=False)

kubeconfig = pulumi.Output.all(cluster.name, cluster.endpoint, cluster.master_auth).apply(
    lambda args: (
        f"""apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: {args[2]["cluster_ca_certificate"]}
    server: https://{args[1]}
  name: {args[0]}
"""
    )
)
pulumi.export("kubeconfig", pulumi.Output.secret(kubeconfig))
