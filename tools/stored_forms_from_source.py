"""Regenerate ``preflight/engine/stored_forms.json`` from the provider's source (a development tool).

Reads, with git, a checkout of hashicorp/terraform-provider-google-beta (the Terraform provider that
pulumi-gcp bridges) and one of pulumi/pulumi-gcp (for the Terraform-name -> Pulumi-token map in
``provider/cmd/pulumi-resource-gcp/bridge-metadata.json``), and writes, per type the pack judges:

* IAM grant types (``*IamMember``, ``*IamBinding``, ``*IamPolicy``): the updater's ``GetResourceId``
  format, the import qualifiers its producer parses the parent field with, and the fields the producer
  writes back (``d.Set(<field>, u.GetResourceId())``, ``d.Set("project", u.project)``, ...);
* other types: the id template of ``Create`` (``tpgresource.ReplaceVars[ForId](d, config, "...")``
  before ``d.SetId(id)``), the top-level schema ``Default:`` values, and the Optional+Computed
  top-level fields (values the provider takes from the API).

Run: ``python tools/stored_forms_from_source.py <tpg-beta checkout> <commit> <pulumi-gcp checkout> <commit>
<judged tokens file>``; the judged tokens (one a line) come from the pack's registry (see
``tests/preflight/engine/test_stored_forms.py``). Nothing reads the checkouts at run or test time.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parents[1] / "preflight" / "engine" / "stored_forms.json"

HANDWRITTEN: dict[str, dict[str, Any]] = {
    # Handwritten updaters (no import qualifiers in the producer); GetResourceId and what Create writes
    # back, read in each file. ``format`` vars are the parent inputs, parsed as the updater parses them.
    "bigquery/dataset": {"format": "projects/{project}/datasets/{datasetId}", "writes": {"project": "project"}},
    "bigtable/instance": {"format": "projects/{project}/instances/{instance}", "writes": {"project": "project"}},
    "bigtable/table": {
        "format": "projects/{project}/instances/{instance}/tables/{table}",
        "writes": {"project": "project"},
    },
    "billing/account": {"format": "{billingAccountId}", "writes": {}},
    "dataproc/cluster": {
        "format": "projects/{project}/regions/{region}/clusters/{cluster}",
        "writes": {"project": "project", "region": "region"},
    },
    "dataproc/job": {
        "format": "projects/{project}/regions/{region}/jobs/{jobId}",
        "writes": {"project": "project", "region": "region"},
    },
    "healthcare/dataset": {
        "format": "{datasetId}",
        "writes": {},
        "path": "projects/{project}/locations/{location}/datasets/{dataset}",
    },
    "healthcare/dicomStore": {
        "format": "{dicomStoreId}",
        "writes": {},
        "path": "projects/{project}/locations/{location}/datasets/{dataset}/dicomStores/{name}",
    },
    "healthcare/fhirStore": {
        "format": "{fhirStoreId}",
        "writes": {},
        "path": "projects/{project}/locations/{location}/datasets/{dataset}/fhirStores/{name}",
    },
    "healthcare/hl7Store": {
        "format": "{hl7V2StoreId}",
        "writes": {},
        "path": "projects/{project}/locations/{location}/datasets/{dataset}/hl7V2Stores/{name}",
    },
    "kms/cryptoKey": {
        "format": "{cryptoKeyId}",
        "writes": {},
        "path": "projects/{project}/locations/{location}/keyRings/{ring}/cryptoKeys/{name}",
    },
    "kms/keyRing": {
        "format": "{keyRingId}",
        "writes": {},
        "path": "projects/{project}/locations/{location}/keyRings/{name}",
    },
    "pubsub/subscription": {
        "format": "{subscription}",
        "writes": {},
        "path": "projects/{project}/subscriptions/{subscription}",
    },
    "folder/": {"format": "{folder}", "writes": {}, "prefix": "folders/"},
    "organizations/": {"format": "{orgId}", "writes": {}},
    "projects/": {"format": "{project}", "writes": {}},
    "serviceaccount/": {"format": "{serviceAccountId}", "writes": {}},
    "spanner/database": {"format": "{project}/{instance}/{database}", "writes": {"project": "project"}},
    "spanner/instance": {"format": "{project}/{instance}", "writes": {"project": "project"}},
    "storage/managedFolder": {
        "format": "b/{bucket}/managedFolders/{managedFolder}",
        "writes": {"bucket": "bucket", "managedFolder": "managedFolder"},
    },
    "storage/bucket": {"format": "b/{bucket}", "writes": {"bucket": "id"}},
}

SDK_FORMS: dict[str, list[str]] = {
    # Kinds newer than the read snapshot: the import forms of the pinned SDK's docstring (pulumi-gcp 10.2.0,
    # ``eventarc/pipeline_iam_member.py``, ``gemini/data_analytics_data_agent_iam_member.py``), which the
    # generated producers parse in that order; the updater writes the first, full form back.
    "eventarc/pipeline": [
        "projects/{project}/locations/{location}/pipelines/{pipelineId}",
        "{project}/{location}/{pipelineId}",
        "{location}/{pipelineId}",
        "{pipelineId}",
    ],
    "gemini/dataAnalyticsDataAgent": [
        "projects/{project}/locations/{location}/dataAgents/{dataAgentId}",
        "{project}/{location}/{dataAgentId}",
        "{location}/{dataAgentId}",
        "{dataAgentId}",
    ],
}


def sdk_kind(forms: list[str]) -> dict[str, Any]:
    parent = re.findall(r"\{(\w+)\}", forms[0])[-1]
    return {
        "parent": parent,
        "qualifiers": [re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", form) for form in forms],
        "format": forms[0],
        "writes": {"project": "project", "location": "location", parent: "id"},
        "fromSdkDocs": True,
    }


def git(repo: str, *args: str) -> str:
    return subprocess.run(  # noqa: S603 - a fixed git command on the given checkout
        ["git", "-C", repo, *args],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def go_format(expression: str) -> str | None:
    """``fmt.Sprintf("projects/%s/x/%s", u.project, u.name)`` -> ``projects/{project}/x/{name}``."""
    found = re.fullmatch(r'fmt\.Sprintf\("([^"]*)"((?:, u\.\w+)*)\)', expression.strip())
    if not found:
        return None
    names = re.findall(r"u\.(\w+)", found.group(2))
    text = found.group(1)
    for name in names:
        text = text.replace("%s", "{" + name + "}", 1)
    return text


def iam_kind(src: str, producer: str) -> dict[str, Any] | None:
    body = re.search(rf"func {producer}\(.*?\n}}\n", src, re.S)
    rid = re.search(r"\) GetResourceId\(\) string \{\s*\n\s*return (.+)\n", src)
    if not body or not rid:
        return None
    qualifiers = re.search(r'GetImportIdQualifiers\(\[\]string\{(.*?)\}, d, config, d\.Get\("(\w+)"\)', body.group(0))
    fmt = go_format(rid.group(1))
    if not qualifiers or fmt is None:
        return None
    fields = dict(re.findall(r'(\w+):\s+values\["(\w+)"\]', body.group(0)))  # struct field -> values key
    writes: dict[str, str] = {}
    for field, source in re.findall(r'd\.Set\("(\w+)", u\.(\w+(?:\(\))?)\)', body.group(0)):
        writes[camel(field)] = "id" if source == "GetResourceId()" else camel(fields.get(source, source))
    for name in re.findall(r"\{(\w+)\}", fmt):
        fmt = fmt.replace("{" + name + "}", "{" + camel(fields.get(name, name)) + "}")
    return {
        "parent": camel(qualifiers.group(2)),
        "qualifiers": [
            re.sub(r"\(\?P<(\w+)>", lambda m: f"(?P<{camel(m.group(1))}>", q)
            for q in re.findall(r'"((?:[^"\\]|\\.)*)"', qualifiers.group(1))
        ],
        "format": fmt,
        "writes": writes,
    }


def top_level_schema(src: str, start: int) -> dict[str, str]:
    """The top-level field blocks of the first ``Schema: map[string]*schema.Schema{`` after ``start``."""
    opening = src.find("Schema: map[string]*schema.Schema{", start)
    if opening < 0:
        return {}
    i = src.index("{", opening) + 1
    depth, fields, key, began = 1, {}, None, 0
    while i < len(src) and depth:
        ch = src[i]
        if ch == '"' and depth == 1:
            end = src.index('"', i + 1)
            key = src[i + 1 : end]
            i = end
        elif ch == "`":
            i = src.index("`", i + 1)
        elif ch == "{":
            depth += 1
            if depth == 2:
                began = i
        elif ch == "}":
            depth -= 1
            if depth == 1 and key:
                fields[key] = src[began : i + 1]
        i += 1
    return fields


def own_lines(block: str) -> str:
    """The lines of a field block at its own level (nested Elem blocks removed)."""
    text, depth, kept = block[1:-1], 0, []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "`":
            end = text.index("`", i + 1)
            if depth == 0:
                kept.append("``")
            i = end + 1
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif depth == 0:
            kept.append(ch)
        i += 1
    return "".join(kept)


def resource(src: str) -> dict[str, Any]:
    create = re.search(r"func resource\w+Create\(", src)
    found: dict[str, Any] = {}
    if create:
        rest = src[create.end() :]
        ids = re.search(r'id, err :?= tpgresource\.ReplaceVars(ForId)?\(d, config, "([^"]+)"\)', rest)
        if ids:
            found["id"] = re.sub(r"\{\{(\w+)\}\}", lambda m: "{" + camel(m.group(1)) + "}", ids.group(2))
            found["idShortNames"] = bool(ids.group(1))  # ReplaceVarsForId: each var GetResourceNameFromSelfLink
    schema_at = re.search(r"func Resource\w+\(\) \*schema\.Resource \{", src)
    defaults: dict[str, Any] = {}
    computed: list[str] = []
    for key, block in top_level_schema(src, schema_at.end() if schema_at else 0).items():
        own = own_lines(block)
        default = re.search(r"\bDefault:\s+([^,\n]+),", own)
        if default:
            value = default.group(1).strip()
            if value.startswith('"'):
                defaults[camel(key)] = value.strip('"')
            elif value in ("true", "false"):
                defaults[camel(key)] = value == "true"
            elif re.fullmatch(r"-?\d+", value):
                defaults[camel(key)] = float(value)
        if re.search(r"\bOptional:\s+true", own) and re.search(r"\bComputed:\s+true", own):
            computed.append(camel(key))
    found["defaults"] = defaults
    found["computed"] = computed
    found["selfLinkV1"] = "ConvertSelfLinkToV1(v.(string))" in src and '"self_link"' in src
    return found


NAMES = "provider/cmd/pulumi-resource-gcp/bridge-metadata.json"
REGISTRATION = re.compile(
    r'Name:\s+"(google_\w+_iam_(?:member|binding|policy))",\s*\n\s*ProductName:[^\n]*\n'
    r"\s*Type:\s+registry\.SchemaTypeIAMResource,\s*\n\s*Schema:\s+tpgiamresource\.ResourceIam\w+\(\w+, (\w+)"
)


def registered_grants(tpg: str, commit: str, files: list[str]) -> dict[str, tuple[str, str]]:
    """Terraform name of each IAM grant resource -> (its file, its updater producer)."""
    registered: dict[str, tuple[str, str]] = {}
    for path in files:
        if re.search(r"/iam_[^/]+\.go$", path):
            for name, producer in REGISTRATION.findall(git(tpg, "show", f"{commit}:{path}")):
                registered[name] = (path, producer)
    return registered


def defined_resources(tpg: str, commit: str) -> dict[str, str]:
    """Terraform name of each resource -> the ``resource_*.go`` file that registers it."""
    defined: dict[str, str] = {}
    for line in git(tpg, "grep", "-n", r'Name:\s*"google_', commit, "--", "google-beta/services").splitlines():
        path, _, text = line.split(":", 1)[1].partition(":")
        found = re.search(r'Name:\s*"(google_\w+)"', text)
        base = path.rsplit("/", 1)[-1]
        if found and base.startswith("resource_") and not base.endswith("_test.go"):
            defined.setdefault(found.group(1), path)
    return defined


def grant_entry(token: str, tf: str | None, tpg: str, commit: str, registered: dict[str, tuple[str, str]]) -> Any:
    found = IAM.match(token.rsplit(":", 1)[-1])
    assert found is not None
    module = token.partition(":")[2].partition("/")[0]
    key = f"{module}/{found.group(1)[:1].lower()}{found.group(1)[1:]}"
    entry: dict[str, Any] = {"tf": tf}
    if key in SDK_FORMS:
        entry.update(sdk_kind(SDK_FORMS[key]))
    elif key in HANDWRITTEN:
        entry.update({"file": registered.get(tf or "", ("", ""))[0], "handwritten": True, **HANDWRITTEN[key]})
    elif tf in registered:
        path, producer = registered[tf]
        parsed = iam_kind(git(tpg, "show", f"{commit}:{path}"), producer)
        if parsed:
            entry.update({"file": path, **parsed})
    return entry


def render(tpg_commit: str, pulumi_commit: str, iam: dict[str, Any], resources: dict[str, Any]) -> str:
    """One entry a line, so a regenerated file's diff names the types that changed."""
    provider = {"repo": "hashicorp/terraform-provider-google-beta", "commit": tpg_commit}
    names = {"repo": "pulumi/pulumi-gcp", "commit": pulumi_commit, "path": NAMES}
    lines = ["{", f' "provider": {json.dumps(provider)},', f' "names": {json.dumps(names)},']
    for key, table in (("iam", iam), ("resources", resources)):
        rows = [f"  {json.dumps(token)}: {json.dumps(entry, sort_keys=True)}" for token, entry in sorted(table.items())]
        lines += [f' "{key}": {{', ",\n".join(rows), " }," if key == "iam" else " }"]
    return "\n".join([*lines, "}"]) + "\n"


IAM = re.compile(r"(\w*?)(Iam|IAM)(Member|Binding|Policy)$")


def main(argv: list[str]) -> None:
    tpg, tpg_commit, pulumi, pulumi_commit, judged_file, *rest = argv
    judged = set(Path(judged_file).read_text().split())
    meta = json.loads(git(pulumi, "show", f"{pulumi_commit}:{NAMES}"))
    tf_of = {v["current"]: k for k, v in meta["auto-aliasing"]["resources"].items() if "current" in v}
    listing = git(tpg, "ls-tree", "-r", "--name-only", tpg_commit, "google-beta/services").split()
    files = [f for f in listing if f.endswith(".go") and not f.endswith("_test.go")]
    registered = registered_grants(tpg, tpg_commit, files)
    defined = defined_resources(tpg, tpg_commit)
    iam: dict[str, Any] = {}
    resources: dict[str, Any] = {}
    for token in sorted(judged):
        tf = tf_of.get(token)
        if IAM.match(token.rsplit(":", 1)[-1]):
            iam[token] = grant_entry(token, tf, tpg, tpg_commit, registered)
            continue
        path = defined.get(tf or "")
        resources[token] = {
            "tf": tf,
            **({"file": path, **resource(git(tpg, "show", f"{tpg_commit}:{path}"))} if path else {}),
        }
    Path(rest[0] if rest else OUT).write_text(render(tpg_commit, pulumi_commit, iam, resources))


if __name__ == "__main__":
    main(sys.argv[1:])
