"""The generated rules of the stored form: every IAM grant type by its family, every other judged type by
the id template of its ``Create`` and its schema defaults.

``stored_forms.json`` is written by ``tools/stored_forms_from_source.py`` from terraform-provider-google-beta's
source (its ``provider`` key names the repository and commit) and pulumi-gcp's Terraform-name map (its
``names`` key): per IAM grant type the updater's ``GetResourceId`` format, the forms its producer parses the
parent field in (``GetImportIdQualifiers``) and the fields it writes back; per other judged type the id
template of ``Create`` (``ReplaceVars``/``ReplaceVarsForId``), the top-level ``Default:`` values and the
Optional+Computed fields. The families (``tpgiamresource/resource_iam_{member,binding,policy}.go``): the id
is ``<resource id>/<role>/<member>`` (member; the member's casing as ``NormalizeIamPrincipalCasing``
leaves it), ``<resource id>/<role>`` (binding) or ``<resource id>`` (policy), a condition appends
``/<title>/<description>/<expression>``, and every grant stores the policy's ``etag``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from preflight.engine import gcp_schema

Outputs = dict[str, Any]
Stored = Callable[[Outputs, Outputs, str], Outputs]
"""(inputs with the provider's project/region/zone, computed outputs, logical name) -> the outputs the
stored form changes."""

SOURCE = Path(__file__).with_name("stored_forms.json")

IAM_GRANT = re.compile(r"(\w*?)(Iam|IAM)(Member|Binding|Policy)$")
"""A grant type's class name: the resource kind, then the grant kind."""


@dataclass(frozen=True)
class StoredForm:
    """One rule of the stored form: the output at ``field`` (dotted, list indexes as numbers; ``id`` is
    the resource id) matches ``pattern`` in full, or is absent when ``pattern`` is ``None``."""

    type: str
    field: str
    pattern: str | None
    source: str
    """The provider file (under terraform-provider-google-beta's google-beta/) and function."""
    optional: bool = False
    """The field is set only on some resources of the type (an optional reference)."""
    when_unset: bool = False
    """The rule holds where the program leaves the field unset (a default the provider or API fills in)."""
    generated: bool = False
    """Stated from ``stored_forms.json`` (held by a sample per type) rather than read by hand (held by the
    example sites and the tests' sample program)."""


_P = r"[^/]+"


def project_number(project: str) -> str:
    """A stable, realistic 12-digit project number for a project id."""
    digest = int(hashlib.sha256(project.encode()).hexdigest(), 16)
    return str(100_000_000_000 + digest % 900_000_000_000)


def digits(seed: str, length: int) -> str:
    """A stable string of ``length`` digits for ``seed`` (numbers the API assigns)."""
    digest = int(hashlib.sha256(seed.encode()).hexdigest(), 16)
    return str(10 ** (length - 1) + digest % (9 * 10 ** (length - 1)))


@functools.cache
def source() -> Mapping[str, Any]:
    """The generated rules (``stored_forms.json``)."""
    loaded: Mapping[str, Any] = json.loads(SOURCE.read_text())
    return loaded


def grant_kind(token: str) -> str | None:
    """``member``, ``binding`` or ``policy`` for an IAM grant type, else None."""
    found = IAM_GRANT.match(token.rsplit(":", 1)[-1])
    return found.group(3).lower() if found else None


def short(value: Any) -> str:
    """``GetResourceNameFromSelfLink``: the last path segment."""
    return str(value).rstrip("/").rsplit("/", 1)[-1]


def _camel_vars(template: str) -> list[str]:
    return re.findall(r"\{(\w+)\}", template)


def _fill(template: str, values: Mapping[str, Any]) -> str | None:
    """The template with every ``{var}`` replaced, or None when a var has no value."""
    names = _camel_vars(template)
    if any(values.get(name) in (None, "") for name in names):
        return None
    return template.format(**{name: values[name] for name in names})


# IAM grant families ---------------------------------------------------------------------------------


def normalise_principal(member: str) -> str:
    """``tpgresource.NormalizeIamPrincipalCasing``: the value after the type in lower case, except for
    the case-sensitive forms (``allUsers``, ``allAuthenticatedUsers``, ``principal:``, ``principalSet:``,
    ``principalHierarchy:``)."""
    sensitive = ("allAuthenticatedUsers" in member or "allUsers" in member) or member.startswith(
        ("principalSet:", "principal:", "principalHierarchy:")
    )
    if member.startswith(("deleted:", "iamMember:")):
        parts = member.split(":", 2)
        rest = member.split(":", 1)[1]
        sensitive = sensitive or rest.startswith(("principalSet:", "principal:", "principalHierarchy:"))
        if len(parts) > 2 and not sensitive:
            return f"{parts[0]}:{parts[1]}:{parts[2].lower()}"
        return member
    if sensitive or ":" not in member:
        return member
    kind, value = member.split(":", 1)
    return f"{kind}:{value.lower()}"


def _expand(value: str, path: str, values: Mapping[str, Any]) -> str:
    """A handwritten parser's canonical form (``ParseKmsCryptoKeyId``, ``healthcare...Id``, ...): a full
    ``path`` as given; ``a/b/c`` with as many parts as the path has vars, or one fewer (the provider's
    project first), filled in order."""
    names = _camel_vars(path)
    if re.fullmatch(re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(path)), value):
        return value
    parts = value.split("/")
    if len(parts) == len(names) - 1 and values.get("project"):
        parts = [str(values["project"]), *parts]
    if len(parts) != len(names):
        return value
    return path.format(**dict(zip(names, parts, strict=True)))


def grant_resource(entry: Mapping[str, Any], inputs: Mapping[str, Any]) -> tuple[str, Outputs] | None:
    """The updater's resource id for a grant with ``inputs``, and the parent fields it writes back."""
    values: dict[str, Any] = {k: v for k, v in inputs.items() if isinstance(v, str)}
    if entry.get("handwritten"):
        (name,) = _camel_vars(entry["format"])[-1:] or [""]
        if len(_camel_vars(entry["format"])) == 1 and isinstance(values.get(name), str):
            value = values[name]
            if entry.get("path"):
                value = _expand(value, entry["path"], values)
            if entry.get("prefix") and not value.startswith(entry["prefix"]):
                value = entry["prefix"] + value
            values[name] = value
    else:
        parent = values.get(entry["parent"])
        if isinstance(parent, str):
            for qualifier in entry["qualifiers"]:
                found = re.fullmatch(qualifier, parent)
                if found:
                    values.update({k: v for k, v in found.groupdict().items() if v})
                    break
    resource_id = _fill(entry["format"], values)
    if resource_id is None:
        return None
    written = {
        field: resource_id if origin == "id" else values.get(origin) for field, origin in entry["writes"].items()
    }
    return resource_id, {k: v for k, v in written.items() if v is not None}


def _condition_key(condition: Any) -> str:
    if not isinstance(condition, Mapping) or not condition:
        return ""
    return "/" + "/".join(str(condition.get(k) or "") for k in ("title", "description", "expression"))


def grant_rule(token: str) -> Stored | None:
    """The stored form of an IAM grant type, by its family; None when the type has no generated entry."""
    kind = grant_kind(token)
    entry = source()["iam"].get(token)
    if kind is None or entry is None or "format" not in entry:
        return None

    def stored(i: Outputs, extra: Outputs, name: str) -> Outputs:
        placed = grant_resource(entry, i)
        if placed is None:
            return {}
        resource_id, written = placed
        out: Outputs = {**written, "etag": f"BwY{digits(name, 8)}="}
        condition = i.get("condition")
        if kind == "policy":
            out["id"] = resource_id
            return out
        grant = f"{resource_id}/{i.get('role')}"
        if kind == "member":
            grant += f"/{normalise_principal(str(i.get('member')))}"
        out["id"] = grant + _condition_key(condition)
        out["condition"] = condition if isinstance(condition, Mapping) and condition else None
        return out

    return stored


# Generated rules of other types -----------------------------------------------------------------------


def generated_rule(token: str) -> Stored | None:
    """A judged non-IAM type's id as ``Create`` builds it and its top-level schema defaults."""
    entry = source()["resources"].get(token)
    if entry is None or "file" not in entry:
        return None
    template: str | None = entry.get("id")
    shorten = bool(entry.get("idShortNames"))
    outputs = gcp_schema.output_types(token)
    defaults = {field: value for field, value in entry.get("defaults", {}).items() if field in outputs}

    def stored(i: Outputs, extra: Outputs, name: str) -> Outputs:
        out: Outputs = {field: value for field, value in defaults.items() if i.get(field) is None}
        if template:
            values = {"name": name, **{k: v for k, v in extra.items() if k != "id"}, **i}
            if shorten:
                values = {k: short(v) if isinstance(v, str) else v for k, v in values.items()}
            filled = _fill(template, values)
            if filled is not None:
                out["id"] = filled
        return out

    return stored


_ROLE = r"(roles|projects/[^/]+/roles|organizations/[^/]+/roles)/[^/]+"
_PRINCIPAL = r"(allUsers|allAuthenticatedUsers|[a-zA-Z]+:.+)"
_ETAG = r"[A-Za-z0-9+/=_-]+"
_PLACE = {"project", "region", "zone", "location"}


def _template_pattern(template: str, var: Mapping[str, str] | None = None) -> str:
    """A ``{var}`` template as a full-match pattern: each var by ``var`` (default: a place is one path
    segment, anything else one or more)."""
    parts = re.split(r"(\{\w+\})", template)
    pattern = ""
    for part in parts:
        name = part[1:-1] if part.startswith("{") and part.endswith("}") else None
        if name is None:
            pattern += re.escape(part)
        elif var and name in var:
            pattern += var[name]
        else:
            pattern += "[^/]+" if name in _PLACE else ".+"
    return pattern


def _resource_id_pattern(entry: Mapping[str, Any]) -> str:
    if entry.get("handwritten"):
        if entry.get("path"):
            return _template_pattern(entry["path"], {})
        if entry.get("prefix"):
            return re.escape(str(entry["prefix"])) + "[^/]+"
        return _template_pattern(entry["format"])
    captured: dict[str, str] = {}
    for qualifier in entry["qualifiers"][:1]:
        captured = dict(re.findall(r"\(\?P<(\w+)>((?:[^()]|\([^()]*\))+)\)", qualifier))
    return _template_pattern(entry["format"], captured)


def _grant_rows(token: str, entry: Mapping[str, Any]) -> Iterator[StoredForm]:
    kind = grant_kind(token)
    resource_id = _resource_id_pattern(entry)
    family = f"tpgiamresource/resource_iam_{kind}.go"
    where = f"{entry.get('file') or 'the pinned SDK import forms'}: GetResourceId"
    grant = {"member": f"/{_ROLE}/{_PRINCIPAL}", "binding": f"/{_ROLE}", "policy": ""}[str(kind)]
    yield StoredForm(token, "id", resource_id + grant, f"{where}; {family} Create d.SetId", generated=True)
    yield StoredForm(token, "etag", _ETAG, f"{family}: Read d.Set('etag', policy.Etag)", generated=True)
    for field, origin in sorted(entry["writes"].items()):
        if origin == "id":
            yield StoredForm(
                token, field, resource_id, f"{where}; producer d.Set('{field}', GetResourceId())", generated=True
            )


def _resource_rows(token: str, entry: Mapping[str, Any]) -> Iterator[StoredForm]:
    file = str(entry.get("file", "")).removeprefix("google-beta/")
    if entry.get("id"):
        yield StoredForm(
            token, "id", _template_pattern(entry["id"]), f"{file}: Create d.SetId (ReplaceVars)", generated=True
        )
    outputs = gcp_schema.output_types(token)
    for field, value in sorted(entry.get("defaults", {}).items()):
        if field in outputs:
            yield StoredForm(
                token,
                field,
                re.escape(str(value)),
                f"{file}: schema '{field}' Default",
                when_unset=True,
                generated=True,
            )


def generated_rows() -> tuple[StoredForm, ...]:
    """The rows ``stored_forms.json`` implies, for every judged type it lists."""
    rules = source()
    rows: list[StoredForm] = []
    for token, entry in sorted(rules["iam"].items()):
        rows.extend(_grant_rows(token, entry))
    for token, entry in sorted(rules["resources"].items()):
        rows.extend(_resource_rows(token, entry))
    return tuple(rows)
