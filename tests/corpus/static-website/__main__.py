"""A public static website in a bucket, the classic first Pulumi GCP program."""

import pulumi
import pulumi_gcp as gcp

site = gcp.storage.Bucket(
    "website",
    location="US",
    website={"main_page_suffix": "index.html", "not_found_page": "404.html"},
    uniform_bucket_level_access=True,
    cors=[{"origins": ["*"], "methods": ["GET"], "max_age_seconds": 3600}],
)
gcp.storage.BucketObject("index", bucket=site.name, source=pulumi.FileAsset("www/index.html"))
gcp.storage.BucketIAMMember("public-read", bucket=site.name, role="roles/storage.objectViewer", member="allUsers")

pulumi.export("url", pulumi.Output.concat("https://storage.googleapis.com/", site.name, "/index.html"))
