"""Who the site says may do what: the intended access to each protected asset, from the site config alone.

One place for the intent, shared by the effective-access policies, the offline access report and any
later check of unexpected access (alerts). Each asset kind lists its intended holders, each with the
permissions it may hold there and whether the site *needs* that grant (its absence is a finding too):

| Asset | Holder | May hold | Needed |
|---|---|---|---|
| image bucket | the viewer identity, ``reader`` groups | read objects (``roles/storage.objectViewer``) | yes |
| image bucket | the uploader identity, ``uploader`` groups | create objects (``roles/storage.objectCreator``) | yes |
| access-log bucket | Google's usage-log writer | create objects | yes |
| log-sink bucket (a sink's Cloud Storage destination) | the sink's writer identity | create objects | yes |
| access-log, log-sink, security-log bucket, view | ``auditor`` groups | read objects, log views | no |
| each key | the service agent of each resource the stack encrypts with it | encrypt and decrypt | yes |
| each key | the Cloud Storage, Pub/Sub and Logging CMEK agents, the runtime identities | encrypt, decrypt | no |
| SIEM topic | the SIEM sink's writer (Cloud Logging's agent), the findings export's service account | publish | yes |
| SIEM subscription | the declared SIEM subscriber (and a ``siem`` group) | consume (and view) | yes |
| viewer service | IAP's service agent, when sign-on is IAP | invoke | yes |
| viewer backend | ``viewer.iapGroups`` | access through IAP | yes |
| uploader account | the declared federated subject of a site pool | impersonate (``workloadIdentityUser``) | yes |
| project | the site's runtime identities | write their own logs, metrics and traces | no |

No other Google service agent is trusted anywhere; nobody else holds anything on a protected asset.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from imaging_policies._principals import ROLE_PERMISSIONS, STORAGE_USAGE_LOG_WRITER
from imaging_policies._resolve import SiteProject, principal, workload_pool
from imaging_policies._site import Principals, Settings, access_log_bucket_of, principals_from, section


def role(name: str) -> frozenset[str]:
    """The permissions of a predefined role of the pinned table (empty if it is not there)."""
    return ROLE_PERMISSIONS.get(name, frozenset())


READ_OBJECTS: Final = role("roles/storage.objectViewer")
CREATE_OBJECTS: Final = role("roles/storage.objectCreator")
USE_KEY: Final = frozenset({"cloudkms.cryptoKeyVersions.useToEncrypt", "cloudkms.cryptoKeyVersions.useToDecrypt"})
PUBLISH: Final = role("roles/pubsub.publisher")
CONSUME: Final = role("roles/pubsub.subscriber")
VIEW_PUBSUB: Final = role("roles/pubsub.viewer")
INVOKE: Final = role("roles/run.invoker")
THROUGH_IAP: Final = role("roles/iap.httpsResourceAccessor") | role("roles/iap.tunnelResourceAccessor")
IMPERSONATE: Final = role("roles/iam.workloadIdentityUser")
READ_LOG_VIEWS: Final = role("roles/logging.viewAccessor") | frozenset(
    {"logging.buckets.get", "logging.buckets.list", "logging.views.get", "logging.views.list"}
)
TELEMETRY: Final = (
    role("roles/logging.logWriter") | role("roles/monitoring.metricWriter") | role("roles/cloudtrace.agent")
)
USAGE_LOG_WRITER: Final = STORAGE_USAGE_LOG_WRITER

# the one permission that proves a needed grant is in place, by what it is needed for
_KEY_NEED: Final = "cloudkms.cryptoKeyVersions.useToEncrypt"
_READ_NEED: Final = "storage.objects.get"
_CREATE_NEED: Final = "storage.objects.create"
COMPUTED_SUBJECT: Final = "(computed)"
"""The subject of a federated member computed from a site pool in a first preview (``_access``): the pool's
provider admits the declared subject only (IAM-05), so it counts as the declared subject until update."""


def storage_agent(number: str) -> str:
    return f"serviceaccount:service-{number}@gs-project-accounts.iam.gserviceaccount.com"


def pubsub_agent(number: str) -> str:
    return f"serviceaccount:service-{number}@gcp-sa-pubsub.iam.gserviceaccount.com"


def logging_cmek_agent(number: str) -> str:
    return f"serviceaccount:cmek-p{number}@gcp-sa-logging.iam.gserviceaccount.com"


def logging_agent(number: str) -> str:
    return f"serviceaccount:service-{number}@gcp-sa-logging.iam.gserviceaccount.com"


def iap_agent(number: str) -> str:
    return f"serviceaccount:service-{number}@gcp-sa-iap.iam.gserviceaccount.com"


@dataclass(frozen=True)
class Holder:
    """An intended holder: who (a canonical member, or a test for a family such as one federated subject),
    what it may hold, why, and whether the site needs the grant."""

    label: str
    permissions: frozenset[str]
    why: str
    needed: bool = False
    need: frozenset[str] = frozenset()
    """The permissions whose absence is a finding (a subset of ``permissions``); empty when not needed."""
    test: Callable[[str], bool] | None = field(default=None, compare=False)
    anywhere: bool = False
    """The need is met when one asset of the kind has the grant in place (IAP calls the one viewer service its
    backend routes to; a second Cloud Run service of the site needs no invoker)."""

    def matches(self, member: str) -> bool:
        return self.test(member) if self.test is not None else member == self.label


@dataclass(frozen=True)
class Intent:
    """What a site config declares about access, with the site project's id and number."""

    site: SiteProject
    principals: Principals
    sign_on: str | None = None
    subject: str | None = None
    auditors: frozenset[str] = frozenset()
    is_site: bool = True
    access_logs: str | None = None
    """The site's access-log bucket, by the name the components give it (``<gcpProject>-<siteCode>-access-logs``):
    a log bucket whether or not an image bucket still names it."""

    def holders(self, kind: str, context: Mapping[str, Any] | None = None) -> list[Holder]:
        """The intended holders of an asset of ``kind``; ``context`` carries what only the stack says (the
        agents that encrypt with a key, the SIEM sink's writer)."""
        context = context or {}
        builder = _HOLDERS.get(kind)
        return builder(self, context) if builder is not None and self.is_site else []


def _groups(intent: Intent, site_role: str) -> list[str]:
    return sorted(g for g, roles in intent.principals.groups.items() if site_role in roles)


def _image_bucket(intent: Intent, _: Mapping[str, Any]) -> list[Holder]:
    p = intent.principals

    # each declared reader and uploader needs its grant on one image bucket of the site (a second image
    # bucket, a research copy, may grant fewer)
    def reads(member: str, why: str) -> Holder:
        return Holder(member, READ_OBJECTS, why, True, frozenset({_READ_NEED}), anywhere=True)

    def creates(member: str, why: str) -> Holder:
        return Holder(member, CREATE_OBJECTS, why, True, frozenset({_CREATE_NEED}), anywhere=True)

    found = [reads(m, "reads images (the viewer)") for m in [p.viewer] if m]
    found += [creates(m, "stores images (the PACS uploader)") for m in [p.uploader] if m]
    found += [reads(g, "site role reader") for g in _groups(intent, "reader")]
    found += [creates(g, "site role uploader") for g in _groups(intent, "uploader")]
    return found


def _auditors(intent: Intent, permissions: frozenset[str]) -> list[Holder]:
    return [Holder(g, permissions, "site role auditor (security team)") for g in _groups(intent, "auditor")]


def _access_log_bucket(intent: Intent, _: Mapping[str, Any]) -> list[Holder]:
    writer = Holder(
        USAGE_LOG_WRITER, CREATE_OBJECTS, "Google's usage-log writer", True, frozenset({"storage.objects.create"})
    )
    return [writer, *_auditors(intent, READ_OBJECTS)]


def _log_bucket(intent: Intent, _: Mapping[str, Any]) -> list[Holder]:
    return _auditors(intent, READ_LOG_VIEWS)


def _key(intent: Intent, context: Mapping[str, Any]) -> list[Holder]:
    users: Mapping[str, str] = context.get("agents", {})
    found = [Holder(m, USE_KEY, why, True, frozenset({_KEY_NEED})) for m, why in sorted(users.items())]
    number = intent.site.number
    agents = [storage_agent(number), pubsub_agent(number), logging_cmek_agent(number)] if number else []
    found += [
        Holder(m, USE_KEY, "a service agent the site needs encrypts with site keys") for m in agents if m not in users
    ]
    found += [Holder(m, USE_KEY, "a site runtime identity") for m in sorted(intent.principals.identities)]
    return found


def _sink_bucket(intent: Intent, context: Mapping[str, Any]) -> list[Holder]:
    writers: frozenset[str] = context.get("writers", frozenset())
    found = [
        Holder(m, CREATE_OBJECTS, "a log sink's writer identity", True, frozenset({"storage.objects.create"}))
        for m in sorted(writers)
    ]
    return [*found, *_auditors(intent, READ_OBJECTS)]


def _topic(intent: Intent, context: Mapping[str, Any]) -> list[Holder]:
    writers: frozenset[str] = context.get("writers", frozenset())
    return [
        Holder(
            m,
            PUBLISH,
            "the SIEM sink's writer identity, or Security Command Center's publisher of the site's findings",
            True,
            frozenset({"pubsub.topics.publish"}),
        )
        for m in sorted(writers)
    ]


def _subscription(intent: Intent, _: Mapping[str, Any]) -> list[Holder]:
    subscriber = principal(intent.principals.siem_subscriber)
    found = []
    if subscriber:
        found.append(
            Holder(
                subscriber,
                CONSUME | VIEW_PUBSUB,
                "the declared SIEM subscriber",
                True,
                frozenset({"pubsub.subscriptions.consume"}),
                anywhere=True,  # one subscription of the SIEM topic is the SIEM's (LOG-13 judges any other)
            )
        )
    found += [Holder(g, CONSUME | VIEW_PUBSUB, "site role siem") for g in _groups(intent, "siem") if g != subscriber]
    return found


def _viewer_service(intent: Intent, _: Mapping[str, Any]) -> list[Holder]:
    if intent.sign_on != "iap" or not intent.site.number:
        return []
    agent = iap_agent(intent.site.number)
    why = "IAP's service agent calls the viewer"
    return [Holder(agent, INVOKE, why, True, frozenset({"run.routes.invoke"}), anywhere=True)]


def _viewer_backend(intent: Intent, _: Mapping[str, Any]) -> list[Holder]:
    return [
        Holder(g, THROUGH_IAP, "viewer.iapGroups", True, frozenset({"iap.webServiceVersions.accessViaIAP"}))
        for g in _groups(intent, "iap")
    ]


def _service_account(intent: Intent, context: Mapping[str, Any]) -> list[Holder]:
    subject = intent.subject
    if subject is None or context.get("member") != intent.principals.uploader:
        return []

    def federated(member: str) -> bool:
        pool = workload_pool(member)
        return (
            member.startswith("principal://")
            and member.endswith((f"/subject/{subject.lower()}", f"/subject/{COMPUTED_SUBJECT}"))
            and pool is not None
            and intent.site.holds(pool)
        )

    label = f"principal://iam.googleapis.com/projects/{intent.site.number or '<site number>'}/.../subject/{subject}"
    return [
        Holder(
            label,
            IMPERSONATE,
            "the PACS's federated subject",
            True,
            frozenset({"iam.serviceAccounts.getAccessToken"}),
            federated,
        )
    ]


def _project(intent: Intent, _: Mapping[str, Any]) -> list[Holder]:
    return [
        Holder(m, TELEMETRY, "a runtime identity writes its own telemetry")
        for m in sorted(intent.principals.identities)
    ]


_HOLDERS: Final[dict[str, Callable[[Intent, Mapping[str, Any]], list[Holder]]]] = {
    "image bucket": _image_bucket,
    "access-log bucket": _access_log_bucket,
    "log-sink bucket": _sink_bucket,
    "security-log bucket": _log_bucket,
    "log view": _log_bucket,
    "key": _key,
    "SIEM topic": _topic,
    "SIEM subscription": _subscription,
    "viewer service": _viewer_service,
    "viewer backend": _viewer_backend,
    "service account": _service_account,
    "project": _project,
}


def from_settings(get: Settings, project: str | None, number: str | None) -> Intent:
    """The intent a site config declares (read through ``get``), for the site project ``project`` of
    number ``number``; a stack without ``siteCode`` is no site and has no intent."""
    principals = principals_from(get, project)
    viewer = section(get, "viewer") or {}
    identities = section(get, "identities") or {}
    uploader = identities.get("pacsUploader") if isinstance(identities.get("pacsUploader"), Mapping) else {}
    federation = uploader.get("workloadIdentity") if isinstance(uploader, Mapping) else None
    subject = federation.get("subject") if isinstance(federation, Mapping) else None
    sign_on = viewer.get("signOn")
    return Intent(
        site=SiteProject(project.lower() if project else None, number),
        principals=principals,
        sign_on=str(sign_on) if sign_on is not None else None,
        subject=str(subject) if isinstance(subject, str) else None,
        auditors=frozenset(_groups_of(principals, "auditor")),
        is_site=bool(get("siteCode")),
        access_logs=access_log_bucket_of(get),
    )


def _groups_of(principals: Principals, site_role: str) -> list[str]:
    return [g for g, roles in principals.groups.items() if site_role in roles]
