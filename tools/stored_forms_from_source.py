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
    return subprocess.run(["git", "-C", repo, *args], capture_output=True, text=True, check=True).stdout


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
    body = re.search(r"func %s\(.*?\n}\n" % producer, src, re.S)
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


def main(tpg: str, tpg_commit: str, pulumi: str, pulumi_commit: str, judged_file: str, out: str = str(OUT)) -> None:
    judged = set(Path(judged_file).read_text().split())
    meta = json.loads(git(pulumi, "show", f"{pulumi_commit}:provider/cmd/pulumi-resource-gcp/bridge-metadata.json"))
    tf_of = {v["current"]: k for k, v in meta["auto-aliasing"]["resources"].items() if "current" in v}
    files = [
        f
        for f in git(tpg, "ls-tree", "-r", "--name-only", tpg_commit, "google-beta/services").split()
        if f.endswith(".go") and not f.endswith("_test.go")
    ]
    registered: dict[str, tuple[str, str]] = {}  # tf name -> (file, producer)
    for path in files:
        if not re.search(r"/iam_[^/]+\.go$", path):
            continue
        src = git(tpg, "show", f"{tpg_commit}:{path}")
        for name, producer in re.findall(
            r'Name:\s+"(google_\w+_iam_(?:member|binding|policy))",\s*\n\s*ProductName:[^\n]*\n\s*Type:\s+registry\.SchemaTypeIAMResource,\s*\n\s*Schema:\s+tpgiamresource\.ResourceIam\w+\(\w+, (\w+)',
            src,
        ):
            registered[name] = (path, producer)
    iam: dict[str, Any] = {}
    resources: dict[str, Any] = {}
    defined: dict[str, str] = {}  # tf name -> the file that registers it as a resource
    for line in git(tpg, "grep", "-n", r'Name:\s*"google_', tpg_commit, "--", "google-beta/services").splitlines():
        path, _, text = line.split(":", 1)[1].partition(":")
        found = re.search(r'Name:\s*"(google_\w+)"', text)
        base = path.rsplit("/", 1)[-1]
        if found and base.startswith("resource_") and not base.endswith("_test.go"):
            defined.setdefault(found.group(1), path)
    for token in sorted(judged):
        module = token.partition(":")[2].partition("/")[0]
        kind = re.match(r"(\w*?)(Iam|IAM)(Member|Binding|Policy)$", token.rsplit(":", 1)[-1])
        tf = tf_of.get(token)
        if kind:
            entry: dict[str, Any] = {"tf": tf}
            key = f"{module}/{kind.group(1)[:1].lower()}{kind.group(1)[1:]}"
            hand = HANDWRITTEN.get(key)
            if key in SDK_FORMS:
                entry.update(sdk_kind(SDK_FORMS[key]))
            elif hand is not None:
                path = registered.get(tf or "", ("", ""))[0]
                entry.update({"file": path, "handwritten": True, **hand})
            elif tf in registered:
                path, producer = registered[tf]
                parsed = iam_kind(git(tpg, "show", f"{tpg_commit}:{path}"), producer)
                if parsed:
                    entry.update({"file": path, **parsed})
            iam[token] = entry
            continue
        entry = {"tf": tf}
        path = defined.get(tf or "")
        if path:
            entry.update({"file": path, **resource(git(tpg, "show", f"{tpg_commit}:{path}"))})
        resources[token] = entry
    lines = [
        "{",
        f' "provider": {json.dumps({"repo": "hashicorp/terraform-provider-google-beta", "commit": tpg_commit})},',
        f' "names": {json.dumps({"repo": "pulumi/pulumi-gcp", "commit": pulumi_commit, "path": "provider/cmd/pulumi-resource-gcp/bridge-metadata.json"})},',
    ]
    for key, table in (("iam", iam), ("resources", resources)):
        rows = [f"  {json.dumps(token)}: {json.dumps(entry, sort_keys=True)}" for token, entry in sorted(table.items())]
        lines.append(f' "{key}": {{')
        lines.append(",\n".join(rows))
        lines.append(" }," if key == "iam" else " }")
    lines.append("}")
    Path(out).write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:7])
