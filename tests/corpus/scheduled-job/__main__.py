"""A nightly Cloud Run job started by Cloud Scheduler under its own service account."""

import pulumi
import pulumi_gcp as gcp

runner = gcp.serviceaccount.Account("nightly-runner", account_id="nightly-runner", display_name="Nightly job")
job = gcp.cloudrunv2.Job(
    "nightly",
    location="europe-west1",
    template={
        "template": {
            "containers": [{"image": "europe-docker.pkg.dev/acme-batch/jobs/report:2.0"}],
            "service_account": runner.email,
        }
    },
)
gcp.cloudrunv2.JobIamMember(
    "runner-invokes", name=job.name, location=job.location, role="roles/run.invoker", member=runner.member
)
gcp.cloudscheduler.Job(
    "nightly-trigger",
    region="europe-west1",
    schedule="0 2 * * *",
    time_zone="Europe/Zurich",
    http_target={
        "http_method": "POST",
        "uri": pulumi.Output.concat(
            "https://europe-west1-run.googleapis.com/apis/run.googleapis.com/v1/namespaces/",
            job.project,
            "/jobs/",
            job.name,
            ":run",
        ),
        "oauth_token": {"service_account_email": runner.email},
    },
)
pulumi.export("job", job.id)
pulumi.export("latest_execution", job.latest_created_executions.apply(lambda e: e[0].name if e else "none"))
