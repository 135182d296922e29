"""A Cloud Run service backed by a Cloud SQL database, as a web team would start from a template."""

import pulumi
import pulumi_gcp as gcp

config = pulumi.Config()
db_password = config.require_secret("dbPassword")

instance = gcp.sql.DatabaseInstance(
    "app-db",
    database_version="POSTGRES_15",
    region="europe-west6",
    deletion_protection=False,
    settings={"tier": "db-f1-micro"},
)
database = gcp.sql.Database("app", instance=instance.name)
user = gcp.sql.User("app-user", instance=instance.name, password=db_password)

service = gcp.cloudrunv2.Service(
    "app",
    location="europe-west6",
    ingress="INGRESS_TRAFFIC_ALL",
    template={
        "containers": [
            {
                "image": "europe-docker.pkg.dev/acme-dev/app/web:1.4.2",
                "envs": [
                    {"name": "DB_CONNECTION", "value": instance.connection_name},
                    {"name": "DB_PASSWORD", "value": db_password},
                ],
            }
        ],
        "volumes": [{"name": "cloudsql", "cloud_sql_instance": {"instances": [instance.connection_name]}}],
    },
)
gcp.cloudrunv2.ServiceIamMember(
    "public", name=service.name, location=service.location, role="roles/run.invoker", member="allUsers"
)

pulumi.export("connection_name", instance.connection_name.apply(lambda name: name.upper()))
pulumi.export("url", service.uri)
pulumi.export("first_condition", service.conditions.apply(lambda conditions: conditions[0].type))
