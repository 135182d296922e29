"""Regenerate ``imaging_policies/_role_permissions.py`` from a checkout of the public IAM dataset.

The pack's effective-access model needs, for each predefined Google Cloud role, the permissions it
grants. The source is the repository ``iann0036/iam-dataset`` (folder ``gcp/``: ``role_permissions.json``,
or one ``roles/<role>.json`` per role with ``includedPermissions``), generated from Google's own IAM
API listings. Google's documented role reference ("IAM basic and predefined roles reference") is the
authority where the two differ: correct a row in ``OVERRIDES`` below, with the reason.

Usage (not run by the tests, which need only the generated module)::

    git clone https://github.com/iann0036/iam-dataset /tmp/iam-dataset
    python policies/tools/generate_role_permissions.py /tmp/iam-dataset
    ruff format policies/imaging_policies/_role_permissions.py

The commit and its date are read from the checkout (``git -C <checkout> log -1``) and written in the
module's header; the date of the reading is today's.
"""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
from pathlib import Path

SERVICES = frozenset(
    {
        "accesscontextmanager",
        "artifactregistry",
        "bigquery",
        "binaryauthorization",
        "cloudfunctions",
        "cloudkms",
        "cloudtrace",
        "compute",
        "iam",
        "iap",
        "logging",
        "monitoring",
        "orgpolicy",
        "pubsub",
        "resourcemanager",
        "run",
        "secretmanager",
        "securitycenter",
        "serviceusage",
        "storage",
    }
)
"""The services a site or a stack can touch: their roles, and their permissions in every kept role."""

COMPUTE_KINDS = frozenset(
    {
        "backendBuckets",
        "backendServices",
        "firewalls",
        "forwardingRules",
        "globalAddresses",
        "globalForwardingRules",
        "networkEndpointGroups",
        "networks",
        "projects",
        "regionBackendServices",
        "regionNetworkEndpointGroups",
        "routes",
        "securityPolicies",
        "sslCertificates",
        "sslPolicies",
        "subnetworks",
        "targetHttpProxies",
        "targetHttpsProxies",
        "urlMaps",
    }
)
"""Compute permissions are kept for the kinds of resource a site's viewer path and network have only (the
rest of Compute Engine, instances and disks, is not a site's)."""

BASIC_ROLES = ("roles/browser", "roles/editor", "roles/owner", "roles/viewer")

OVERRIDES: dict[str, tuple[str, ...]] = {}
"""Rows where Google's documented role reference differs from the dataset (role -> its permissions)."""

TARGET = Path(__file__).resolve().parents[1] / "imaging_policies" / "_role_permissions.py"


def kept(permission: str) -> bool:
    service, _, rest = permission.partition(".")
    if service not in SERVICES:
        return False
    return service != "compute" or rest.split(".", 1)[0] in COMPUTE_KINDS


def kept_role(role: str) -> bool:
    short = role.removeprefix("roles/")
    return role in BASIC_ROLES or short.split(".", 1)[0] in SERVICES


def read(checkout: Path) -> dict[str, list[str]]:
    """Role name to its permissions, from ``role_permissions.json`` or the per-role files."""
    table = checkout / "gcp" / "role_permissions.json"
    if table.is_file():
        loaded = json.loads(table.read_text(encoding="utf-8"))
        return {str(role): [str(p) for p in permissions] for role, permissions in loaded.items()}
    found: dict[str, list[str]] = {}
    for file in sorted((checkout / "gcp" / "roles").glob("*.json")):
        role = json.loads(file.read_text(encoding="utf-8"))
        found[str(role["name"])] = [str(p) for p in role.get("includedPermissions", [])]
    if not found:
        raise SystemExit(f"{checkout}: neither gcp/role_permissions.json nor gcp/roles/*.json")
    return found


def render(roles: dict[str, list[str]], commit: str, committed: str, read_on: str) -> str:
    rows = []
    for role in sorted(r for r in roles if kept_role(r)):
        permissions = OVERRIDES.get(role) or tuple(sorted({p for p in roles[role] if kept(p)}))
        rows.append(f"    {role!r}: {' '.join(permissions)!r},")
    header = f'''"""Predefined Google Cloud roles and the permissions they grant: a pinned, dated table (generated).

Source: https://github.com/iann0036/iam-dataset, folder ``gcp/`` (role name to ``includedPermissions``,
itself generated from Google's IAM API listings), commit {commit} of {committed}, read on
{read_on}. Google's documented role reference is the authority where they differ (the generator's
``OVERRIDES``). Kept: the basic roles and the roles of the services a site or a stack can touch, each
with its permissions of those services only (Compute Engine: the kinds of a site's viewer path and
network). A role that is not here is not trusted: its permissions cannot be judged.

Regenerate with ``policies/tools/generate_role_permissions.py`` (never edit by hand).
"""

from __future__ import annotations

from typing import Final

SOURCE: Final = "https://github.com/iann0036/iam-dataset"
COMMIT: Final = {commit!r}
COMMITTED: Final = {committed!r}
READ_ON: Final = {read_on!r}
SERVICES: Final = frozenset({sorted(SERVICES)!r})

ROLES: Final[dict[str, str]] = {{
'''
    return header + "\n".join(rows) + '\n}\n"""Role name to its permissions, space-separated."""\n'


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    checkout = Path(argv[0])
    commit, committed = subprocess.run(  # noqa: S603 - a fixed git command on the given checkout
        ["git", "-C", str(checkout), "log", "-1", "--format=%H %cs"],  # noqa: S607
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    read_on = datetime.datetime.now(tz=datetime.UTC).date().isoformat()
    TARGET.write_text(render(read(checkout), commit, committed, read_on), encoding="utf-8")
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
