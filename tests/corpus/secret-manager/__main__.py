"""A secret from the stack's config stored in Secret Manager, read by a service account."""

import pulumi
import pulumi_gcp as gcp

config = pulumi.Config()
token = config.require_secret("apiToken")
settings = config.require_object("settings")

secret = gcp.secretmanager.Secret("api-token", secret_id="api-token", replication={"auto": {}})
gcp.secretmanager.SecretVersion("api-token-v1", secret=secret.id, secret_data=token)
reader = gcp.serviceaccount.Account("token-reader", account_id="token-reader")
gcp.secretmanager.SecretIamMember(
    "reader", secret_id=secret.id, role="roles/secretmanager.secretAccessor", member=reader.member
)
pulumi.export("secret", secret.name)
pulumi.export("retries", settings["retries"])
