"""The anomaly detectors of a site: what each catches, where its data comes from, and its query.

Pure data and string builders, no Pulumi import: :mod:`components.detection` builds the metrics, alert
policies and the findings export from it, ``docs/detections.md`` is rendered from it
(:func:`catalogue`), and the tests feed every query sample entries and time series (the policy pack's
evaluators) to prove it fires on its attack and stays quiet on a normal day.

Three families (LOG-16 to LOG-18):

- **unexpected access**: a log-match alert on image reads, key use and security-log reads by any principal
  the site does not intend (:class:`AccessIntent`, computed from the site config by
  ``program.intent``; the pack's effective-access model holds the same intent, a test holds them equal);
- **deviation from the site's own past**: PromQL conditions comparing the last hour's image reads,
  egress bytes and denied requests with the same hour a week earlier (``offset 1w``), and a bulk-read
  alert for the site's declared off-hours;
- **Google's detectors**: Security Command Center findings of the site project exported to the SIEM
  topic, and Access Transparency and Access Approval logs selected by the SIEM export.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .contract import BASELINE_WINDOW_SECONDS

WINDOW = f"{BASELINE_WINDOW_SECONDS // 3600}h"
"""The window of every baseline detector: the last hour, against the same hour a week earlier."""
WEEK = "1w"

DATA_ACCESS = 'log_id("cloudaudit.googleapis.com/data_access")'
PRINCIPAL = "protoPayload.authenticationInfo.principalEmail"


@dataclass(frozen=True)
class AccessIntent:
    """Who the site intends on one kind of asset: accounts by email, people by their directory domain.

    People reach the images and logs through hospital groups, whose members the stack cannot list; a
    group's grant admits the people of its domain, so the domain is the finest intent a log entry
    (``principalEmail``) can be judged against."""

    accounts: tuple[str, ...] = ()
    """Lower-case emails of the service accounts and Google service agents the site intends."""
    domains: tuple[str, ...] = ()
    """Lower-case directory domains of the site groups that hold the asset's role."""


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _domain_pattern(domain: str) -> str:
    """``@<domain>$`` as a regular expression, its dots in brackets (a filter string escapes nothing else)."""
    return "@" + domain.replace(".", "[.]") + "$"


def intended_terms(intent: AccessIntent) -> str:
    """The filter term that an entry by an intended principal satisfies (``principalEmail`` is one of the
    accounts, or ends with ``@<domain>`` of one of the domains); ``""`` when nobody is intended."""
    terms = [f"{PRINCIPAL}={_quoted(a)}" for a in sorted(intent.accounts)]
    terms += [f"{PRINCIPAL}=~{_quoted(_domain_pattern(d))}" for d in sorted(intent.domains)]
    return " OR ".join(terms)


def unexpected(asset: str, intent: AccessIntent) -> str:
    """A log filter selecting the ``asset`` entries made by anyone the site does not intend."""
    intended = intended_terms(intent)
    return f"{asset} AND NOT ({intended})" if intended else asset


def _one_of(field: str, values: Sequence[str]) -> str:
    """``field="a"``, or ``(field="a" OR field="b")`` for several values (sorted: one filter for one set)."""
    terms = [f"{field}={_quoted(v)}" for v in sorted(set(values))]
    return terms[0] if len(terms) == 1 else "(" + " OR ".join(terms) + ")"


def bucket_term(buckets: Sequence[str]) -> str:
    """The filter term selecting entries on any of the site's image buckets."""
    if not buckets:
        raise ValueError("a site has at least one image bucket")
    return _one_of("resource.labels.bucket_name", buckets)


def image_reads(buckets: Sequence[str]) -> str:
    """Object reads of the image buckets (Data Access audit logs)."""
    return (
        f'resource.type="gcs_bucket" AND {bucket_term(buckets)} AND {DATA_ACCESS} AND '
        'protoPayload.methodName="storage.objects.get"'
    )


def key_use(project: str, key_ring: str) -> str:
    """Encrypt and decrypt calls on the keys of the site's key ring (Data Access audit logs)."""
    return (
        f'resource.type="cloudkms_cryptokey" AND resource.labels.project_id={_quoted(project)} AND '
        f"resource.labels.key_ring_id={_quoted(key_ring)} AND {DATA_ACCESS} AND "
        '(protoPayload.methodName="Decrypt" OR protoPayload.methodName="Encrypt")'
    )


def log_reads(log_bucket: str) -> str:
    """Reads of the locked security-log bucket's entries (``ListLogEntries`` through one of its views, named by the
    entry's ``resourceName`` or in the request's ``resourceNames``)."""
    return (
        f'protoPayload.serviceName="logging.googleapis.com" AND {DATA_ACCESS} AND '
        '(protoPayload.methodName="google.logging.v2.LoggingServiceV2.ListLogEntries" OR '
        'protoPayload.methodName="google.logging.v2.LoggingServiceV2.TailLogEntries") AND '
        f"(protoPayload.resourceName:{_quoted(f'/buckets/{log_bucket}/')} OR "
        f"protoPayload.request.resourceNames:{_quoted(f'/buckets/{log_bucket}/')})"
    )


DENIED = (
    "protoPayload.status.code=7 AND "
    '(log_id("cloudaudit.googleapis.com/data_access") OR log_id("cloudaudit.googleapis.com/activity") OR '
    'log_id("cloudaudit.googleapis.com/policy"))'
)
"""Requests refused for want of permission (``PERMISSION_DENIED``, gRPC code 7) or by a VPC Service Controls
perimeter, in every audit log."""

ACCESS_TRANSPARENCY = 'log_id("cloudaudit.googleapis.com/access_transparency")'
"""Google staff's access to the site's content (Access Transparency), which the SIEM export selects."""
ACCESS_APPROVAL = 'log_id("accessapproval.googleapis.com/access_approval")'
"""Access Approval requests and decisions, where the organisation has it."""


def service_agents(number: str) -> tuple[str, ...]:
    """The site project's Google service agents that encrypt with its keys: Cloud Storage's, Pub/Sub's and
    Logging's CMEK agent (https://cloud.google.com/iam/docs/service-agents)."""
    return (
        f"service-{number}@gs-project-accounts.iam.gserviceaccount.com",
        f"service-{number}@gcp-sa-pubsub.iam.gserviceaccount.com",
        f"cmek-p{number}@gcp-sa-logging.iam.gserviceaccount.com",
    )


def promql_metric(metric_type: str) -> str:
    """A Cloud Monitoring metric type as PromQL names it (the first ``/`` becomes ``:``, every other special
    character ``_``; https://cloud.google.com/monitoring/promql/promql-mapping)."""
    domain, _, path = metric_type.partition("/")
    return re.sub(r"[^A-Za-z0-9_]", "_", domain) + ":" + re.sub(r"[^A-Za-z0-9_]", "_", path)


def log_metric(metric_id: str) -> str:
    """The PromQL name of the site's log-based metric ``metric_id``."""
    return promql_metric(f"logging.googleapis.com/user/{metric_id}")


SENT_BYTES = promql_metric("storage.googleapis.com/network/sent_bytes_count")
"""Cloud Storage's bytes sent per bucket: the images that left an image bucket."""


def selector(metric: str, **labels: str) -> str:
    shown = ",".join(f"{k}={_quoted(v)}" for k, v in sorted(labels.items()))
    return f"{metric}{{{shown}}}" if shown else metric


def sent_bytes(buckets: Sequence[str]) -> str:
    """The image buckets' sent bytes: one bucket by name, several by an anchored alternation (PromQL matches a
    regular expression against the whole value; a dot in a name is written ``[.]``)."""
    names = sorted(set(buckets))
    if not names:
        raise ValueError("a site has at least one image bucket")
    if len(names) == 1:
        return selector(SENT_BYTES, monitored_resource="gcs_bucket", bucket_name=names[0])
    pattern = "|".join(n.replace(".", "[.]") for n in names)
    return f'{SENT_BYTES}{{bucket_name=~{_quoted(pattern)},monitored_resource="gcs_bucket"}}'


def baseline(metric: str, ratio: float, minimum: int) -> str:
    """Fires when the last hour's volume exceeds both ``ratio`` times the same hour a week earlier and
    ``minimum``; a week without data counts as 0 (``or vector(0)``), so a new flood still fires."""
    now = f"sum(increase({metric}[{WINDOW}]))"
    before = f"(sum(increase({metric}[{WINDOW}] offset {WEEK})) or vector(0))"
    return f"{now} > clamp_min({ratio:g} * {before}, {minimum})"


def baseline_by(label: str, metric: str, ratio: float, minimum: int) -> str:
    """:func:`baseline` for each value of ``label`` on its own (each image bucket against its own past): a surge
    of one bucket is not diluted by the others. A value without last week's data counts as 0 (``0 *`` its own
    volume keeps its label, where ``vector(0)`` would have none)."""
    now = f"sum by ({label}) (increase({metric}[{WINDOW}]))"
    before = f"(sum by ({label}) (increase({metric}[{WINDOW}] offset {WEEK})) or 0 * {now})"
    return f"{now} > clamp_min({ratio:g} * {before}, {minimum})"


def off_hours(metric: str, bulk: int, start: int, end: int) -> str:
    """Fires when more than ``bulk`` images are read within an hour whose UTC hour is in ``[start, end)`` (the
    window wraps past midnight when ``start > end``)."""
    hours = f"hour() >= {start} or hour() < {end}" if start > end else f"hour() >= {start} and hour() < {end}"
    return f"sum(increase({metric}[{WINDOW}])) > {bulk} and ({hours})"


@dataclass(frozen=True)
class Detector:
    """One detector of the catalogue."""

    key: str
    """Stable name: its resources are ``<name>-<key>`` (and ``<name>-<key>-alert``)."""
    control: str
    title: str
    catches: str
    """What it catches."""
    misses: str
    """What it does not catch (said in the catalogue and the matrix's control text)."""
    source: str
    """Where its data comes from."""
    kind: str
    """``log-match`` (a log-based metric counts entries, any one fires), ``baseline`` or ``off-hours`` (PromQL
    over a metric), ``findings`` (an export of Google's own detectors)."""
    threshold: str
    """What fires it, in the site config's words."""
    tests: str
    """The sample entries or series it is proven with (fires on / quiet on)."""


DETECTORS: tuple[Detector, ...] = (
    Detector(
        key="unexpected-image-read",
        control="LOG-16",
        title="Image read by a principal the site does not intend",
        catches="any object read of an image bucket (every bucket the site keeps images in) by a principal outside "
        "the site's intended readers: the viewer's account and the people of the `reader` groups' domains (a leaked "
        "key, another service account, an outside user, an anonymous read)",
        misses="a person of a reader group's domain who is not in the group (the directory, not the log, knows "
        "membership); reads through the viewer are the viewer's",
        source="Cloud Storage Data Access audit logs (`storage.objects.get`), log-based metric",
        kind="log-match",
        threshold="one entry",
        tests="fires on reads by the uploader account, another account of the project or of another project, an "
        "outside user, look-alikes of the intended names and an anonymous caller, from several addresses and clients; "
        "quiet on reads by the viewer and a reader group's domain",
    ),
    Detector(
        key="unexpected-key-use",
        control="LOG-16",
        title="Site key used by a principal the site does not intend",
        catches="an encrypt or decrypt with a key of the site's key ring by anyone but the site project's Cloud "
        "Storage, Pub/Sub and Logging service agents and the site's runtime accounts",
        misses="use by an intended agent on behalf of a principal who should not read (the image-read detector sees "
        "that read)",
        source="Cloud KMS Data Access audit logs (`Encrypt`, `Decrypt`), log-based metric",
        kind="log-match",
        threshold="one entry",
        tests="fires on use by another project's storage agent, strangers and look-alikes of the intended accounts; "
        "quiet on the site's storage agent and the viewer",
    ),
    Detector(
        key="unexpected-log-read",
        control="LOG-16",
        title="Security logs read by a principal the site does not intend",
        catches="a read of the locked security-log bucket's entries by anyone outside the `auditor` groups' domains",
        misses="reads of the SIEM export (the SIEM subscription is judged by LOG-13) and of other log buckets",
        source="Cloud Logging Data Access audit logs (`ListLogEntries`, `TailLogEntries` on the bucket's views)",
        kind="log-match",
        threshold="one entry",
        tests="fires on reads by the viewer account, strangers and look-alikes of the auditors' domain; quiet on an "
        "auditor group's domain",
    ),
    Detector(
        key="image-reads-vs-last-week",
        control="LOG-17",
        title="Image reads far above the same hour a week earlier",
        catches="a slow or fast bulk copy: the last hour's image reads above `imageReads.ratio` times the same hour a "
        "week earlier and above `imageReads.minimum`",
        misses="a copy spread so thin that no hour exceeds both bounds, or that grows less than the ratio per week",
        source="the image-read-spike log-based metric, PromQL with `offset 1w`",
        kind="baseline",
        threshold="`logging.detection.imageReads` (ratio 3, minimum 2000 per hour by default)",
        tests="fires on a surge, on floods a thousand and a million times a surge and on a first week without history; "
        "quiet on a normal day and below the minimum; each at four hours of the day, with a week of background",
    ),
    Detector(
        key="egress-vs-last-week",
        control="LOG-17",
        title="Bytes sent by an image bucket far above its same hour a week earlier",
        catches="exfiltration by volume: bytes one image bucket sent in the last hour above `egressBytes.ratio` times "
        "its same hour a week earlier and above `egressBytes.minimum` (each bucket against its own past)",
        misses="copies inside Google's network that Cloud Storage does not count as sent bytes",
        source="Cloud Storage's `network/sent_bytes_count` of the image buckets, PromQL with `offset 1w` by bucket",
        kind="baseline",
        threshold="`logging.detection.egressBytes` (ratio 3, minimum 10 GiB per hour by default)",
        tests="fires on a surge, on floods a thousand and a million times a surge and on a first week without history; "
        "quiet on a normal day and below the minimum; each at four hours of the day, with a week of background",
    ),
    Detector(
        key="denied-vs-last-week",
        control="LOG-17",
        title="Denied requests far above the same hour a week earlier",
        catches="probing: requests refused for want of permission or by a perimeter in the last hour, above "
        "`deniedRequests.ratio` times the same hour a week earlier and above `deniedRequests.minimum`",
        misses="a patient prober staying under the minimum; requests refused before they reach a Google API",
        source="a log-based metric on the audit logs' `status.code=7`, PromQL with `offset 1w`",
        kind="baseline",
        threshold="`logging.detection.deniedRequests` (ratio 3, minimum 50 per hour by default)",
        tests="fires on a surge, on floods a thousand and a million times a surge and on a first week without history; "
        "quiet on a normal day and below the minimum; each at four hours of the day, with a week of background",
    ),
    Detector(
        key="off-hours-bulk-read",
        control="LOG-17",
        title="Bulk image reads in the site's declared off-hours",
        catches="more than `offHours.bulkReads` image reads within an hour that starts in the site's off-hours "
        "(`offHours.startHour` to `endHour`, UTC)",
        misses="a bulk read during working hours (the baseline detector's job) or below the bulk threshold",
        source="the image-read-spike log-based metric, PromQL with `hour()`",
        kind="off-hours",
        threshold="`logging.detection.offHours` (22:00 to 06:00 UTC, 500 reads per hour by default)",
        tests="fires on a bulk read in every off-hour and on floods; quiet on the same read in every working hour and "
        "on a quiet night",
    ),
    Detector(
        key="scc-findings",
        control="LOG-18",
        title="Security Command Center findings of the site project in the SIEM",
        catches="what Google's own detectors see in the site project (Event Threat Detection, Security Health "
        "Analytics, ...): every active finding is published to the SIEM topic",
        misses="anything when the organisation has not activated Security Command Center (the matrix shows it)",
        source="Security Command Center, a project notification config to the site's CMEK SIEM topic",
        kind="findings",
        threshold='every active finding (`state="ACTIVE"`)',
        tests="present, on the SIEM topic, with a filter that keeps every active finding",
    ),
)
"""Every detector, in control order. Keys are public API: renaming one replaces its resources."""

BY_KEY = {d.key: d for d in DETECTORS}

FINDINGS_FILTER = 'state="ACTIVE"'
"""The findings the SIEM receives: every active one, whatever its category or severity."""


def example_queries() -> dict[str, str]:
    """Each detector's query with the site's facts as placeholders (``<image bucket>``, ...) and the defaults of
    ``logging.detection``: the form every site's query takes."""
    reads = log_metric("<site>-image-read-spike")
    return {
        "unexpected-image-read": unexpected(
            image_reads(["<image bucket>"]), AccessIntent(("<viewer account>",), ("<reader group domain>",))
        ),
        "unexpected-key-use": unexpected(
            key_use("<project>", "<site>-imaging"),
            AccessIntent(("<viewer account>", "<uploader account>", *service_agents("<project number>"))),
        ),
        "unexpected-log-read": unexpected(
            log_reads("<site>-security-logs"), AccessIntent(domains=("<auditor group domain>",))
        ),
        "image-reads-vs-last-week": baseline(reads, 3, 2000),
        "egress-vs-last-week": baseline_by("bucket_name", sent_bytes(["<image bucket>"]), 3, 10 * 1024**3),
        "denied-vs-last-week": baseline(log_metric("<site>-denied-requests"), 3, 50),
        "off-hours-bulk-read": off_hours(reads, 500, 22, 6),
        "scc-findings": f"notification config on the SIEM topic, streamingConfig.filter: {FINDINGS_FILTER}",
    }


def catalogue(example: dict[str, str] | None = None) -> str:
    """``docs/detections.md``: every detector with what it catches and misses, its source, its query (``example``,
    by default :func:`example_queries`), its threshold and its test entries."""
    example = example or example_queries()
    lines = [
        "# Detection catalogue",
        "",
        "<!-- Generated from components/detections.py by `python -m components.detections --write`; do not edit. -->",
        "",
        "What each site's anomaly detectors catch, and what they do not (LOG-16 to LOG-18). Each query is shown "
        "with the site's facts in angle brackets and the default thresholds; every site gets its own from its "
        "config (`imaging-landing-zone:logging.detection`, `rbac`, `identities`). Every detector is proven by "
        "`tests/components/test_detections.py` (it fires on its attack, it is quiet on a normal day) and "
        "guarded by the policy pack (present, enabled, notifying, not snoozed, still firing on its samples).",
        "",
        "| Detector | Control | Kind | Threshold |",
        "|---|---|---|---|",
        *(f"| `{d.key}` | {d.control} | {d.kind} | {d.threshold} |" for d in DETECTORS),
        "",
    ]
    for d in DETECTORS:
        lines += [
            f"## `{d.key}`: {d.title}",
            "",
            f"- **Catches:** {d.catches}.",
            f"- **Does not catch:** {d.misses}.",
            f"- **Source:** {d.source}.",
            f"- **Threshold:** {d.threshold}.",
            f"- **Proven with:** {d.tests}.",
            "",
            "```",
            example[d.key],
            "```",
            "",
        ]
    return "\n".join(lines)


CATALOGUE = "docs/detections.md"


def main(argv: list[str] | None = None) -> int:
    """``python -m components.detections [--write]``: print the catalogue, or write it to ``docs/detections.md``."""
    import argparse
    from pathlib import Path

    parser = argparse.ArgumentParser(prog="python -m components.detections", description=main.__doc__)
    parser.add_argument("--write", action="store_true", help=f"write {CATALOGUE} (from the repository root)")
    args = parser.parse_args(argv)
    text = catalogue()
    if args.write:
        Path(CATALOGUE).write_text(text, encoding="utf-8")
    else:
        print(text, end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
