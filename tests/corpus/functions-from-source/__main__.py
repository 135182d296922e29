"""An HTTP Cloud Function (2nd gen) deployed from the ./functions folder through a source bucket."""

import pulumi
import pulumi_gcp as gcp

source_bucket = gcp.storage.Bucket("fn-source", location="EU", uniform_bucket_level_access=True)
archive = gcp.storage.BucketObject("fn-archive", bucket=source_bucket.name, source=pulumi.FileArchive("./functions"))
function = gcp.cloudfunctionsv2.Function(
    "hello",
    location="europe-west1",
    build_config={
        "runtime": "python312",
        "entry_point": "handler",
        "source": {"storage_source": {"bucket": source_bucket.name, "object": archive.name}},
    },
    service_config={"max_instance_count": 2, "available_memory": "256M"},
)
gcp.cloudfunctionsv2.FunctionIamMember(
    "public-invoker",
    project=function.project,
    location=function.location,
    cloud_function=function.name,
    role="roles/cloudfunctions.invoker",
    member="allUsers",
)
pulumi.export("url", function.url)
