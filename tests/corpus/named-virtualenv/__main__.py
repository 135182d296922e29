"""A project created by `pulumi new gcp-python`: it names its own virtualenv (made by `pulumi install`)."""

import pulumi
import pulumi_gcp as gcp

bucket = gcp.storage.Bucket("my-bucket", location="US")
pulumi.export("bucket_name", bucket.url)
