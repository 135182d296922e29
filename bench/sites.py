"""Generate N valid site stack files for the benchmark, derived from the two example sites.

Site ``i`` is a copy of ``stacks/Pulumi.lausanne.yaml`` (even ``i``) or ``stacks/Pulumi.utrecht.yaml``
(odd ``i``) with everything that makes a site distinct replaced: site code, GCP project, region,
address ranges, next hops, alert channels, the viewer's domain and image digest. Every file is read
back with ``preflight.engine.stacks.load_file``, so a generated fleet is valid by construction or the
generator fails.

Address plan (distinct across sites, no overlap within a site):

- site subnets: one /22 per site in ``10.128.0.0/9``;
- worklist ranges: one /22 per site in ``10.0.0.0/9``;
- public ranges (PACS egress, hospital networks, viewer sources): one /24 per site in ``198.18.0.0/15``,
  the range RFC 2544 reserves for benchmarks.

Usage: ``python bench/sites.py N DIR`` writes ``DIR/Pulumi.<site>.yaml`` for N sites.
"""

from __future__ import annotations

import copy
import hashlib
import ipaddress
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from preflight.engine.stacks import STACKS_DIR, Stack, load_file  # noqa: E402

NS = "imaging-landing-zone"
TEMPLATES = ("lausanne", "utrecht")
MAX_SITES = 512
"""The public block (198.18.0.0/15) holds 512 site /24s."""
REGIONS = (
    "europe-west6",
    "europe-west4",
    "europe-west1",
    "europe-west3",
    "europe-north1",
    "europe-west9",
    "europe-southwest1",
    "europe-central2",
)
"""Regions cycled through (every one is in components.naming.GCP_REGIONS)."""

_SUBNETS = ipaddress.IPv4Network("10.128.0.0/9")
_WORKLIST = ipaddress.IPv4Network("10.0.0.0/9")
_PUBLIC = ipaddress.IPv4Network("198.18.0.0/15")


def _block(base: ipaddress.IPv4Network, index: int, prefix: int) -> ipaddress.IPv4Network:
    size = 2 ** (32 - prefix)
    return ipaddress.IPv4Network((int(base.network_address) + index * size, prefix))


def _sub(block: ipaddress.IPv4Network, offset: int, prefix: int) -> str:
    """The ``/prefix`` range starting ``offset`` addresses into ``block``."""
    return str(ipaddress.IPv4Network((int(block.network_address) + offset, prefix)))


def _template(name: str) -> dict[str, Any]:
    document = yaml.safe_load((STACKS_DIR / f"Pulumi.{name}.yaml").read_text(encoding="utf-8"))
    return document["config"]  # type: ignore[no-any-return]


def site_code(index: int) -> str:
    """The site code of generated site ``index``: the template's code and a number (``lau000``)."""
    return f"{'lau' if index % 2 == 0 else 'utr'}{index:03d}"


def site_config(index: int, templates: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """The ``config:`` map of generated site ``index`` (0-based)."""
    if not 0 <= index < MAX_SITES:
        raise ValueError(f"site index {index} out of range: at most {MAX_SITES} sites")
    templates = templates or {name: _template(name) for name in TEMPLATES}
    lausanne = index % 2 == 0
    config = copy.deepcopy(templates["lausanne" if lausanne else "utrecht"])
    code = site_code(index)
    project = f"bench-imaging-{code}"
    region = REGIONS[index % len(REGIONS)]
    subnets = _block(_SUBNETS, index, 22)
    worklist = _block(_WORKLIST, index, 22)
    public = _block(_PUBLIC, index, 24)
    digest = hashlib.sha256(code.encode()).hexdigest()

    def key(name: str) -> str:
        return f"{NS}:{name}"

    config[key("siteCode")] = code
    config[key("gcpProject")] = project
    config[key("region")] = region
    network = config[key("network")]
    viewer = config[key("viewer")]
    alerts = config[key("logging")]["alerts"]
    viewer["image"] = f"{region}-docker.pkg.dev/{project}/viewer/web-viewer@sha256:{digest}"
    if lausanne:
        identity = config[key("identities")]["pacsUploader"]["workloadIdentity"]
        identity["allowedAudiences"] = [f"imaging-landing-zone-{code}"]
        identity["subject"] = f"pacs-gateway-{code}"
        network["subnets"] = {"viewer": _sub(subnets, 0, 24)}
        ris = network["worklist"]["ris"]
        ris["cidrs"] = [_sub(worklist, 0, 24)]
        ris["nextHop"] = {"vpnTunnel": f"projects/{project}/regions/{region}/vpnTunnels/{code}-1"}
        network["pacsEgressCidrs"] = [_sub(public, 128, 28)]
        network["hospitalNetworks"] = [_sub(public, 0, 25)]
        alerts["emails"] = {"soc": f"soc-{code}@chuv.example"}
        viewer["domain"] = f"{code}.imagerie.chuv.example"
    else:
        network["subnets"] = {"viewer": _sub(subnets, 0, 24), "batch": _sub(subnets, 256, 24)}
        ris = network["worklist"]["ris"]
        ris["cidrs"] = [_sub(worklist, 0, 23)]
        ris["nextHop"] = {
            "interconnectAttachment": f"projects/{project}/regions/{region}/interconnectAttachments/{code}-ic-1"
        }
        emr = network["worklist"]["emr"]
        emr["cidrs"] = [_sub(worklist, 512, 24), _sub(worklist, 768, 24)]
        emr["nextHop"] = {"ip": str(ipaddress.IPv4Address(int(subnets.network_address) + 256 + 250))}
        network["pacsEgressCidrs"] = [_sub(public, 128, 28)]
        network["hospitalNetworks"] = [_sub(public, 192, 26), _sub(public, 0, 25)]
        alerts["notificationChannels"] = [f"projects/{project}/notificationChannels/{4812736450917 + index}"]
        viewer["domain"] = f"{code}.beeld.umcutrecht.example"
        viewer["allowedSources"] = [_sub(public, 144, 28)]
        config[key("netcheck")]["viewerUrl"] = f"https://{viewer['domain']}/"
    return config


def generate(count: int, directory: Path) -> list[Stack]:
    """Write ``count`` valid stack files ``Pulumi.<code>.yaml`` into ``directory``; return them as loaded.

    Raises ``preflight.engine.stacks.StackFileError`` or ``program.config.ConfigError`` if a generated
    file does not load (a bug in this generator, never expected).
    """
    if count > MAX_SITES:
        raise ValueError(f"at most {MAX_SITES} sites, got {count}")
    directory.mkdir(parents=True, exist_ok=True)
    templates = {name: _template(name) for name in TEMPLATES}
    stacks = []
    for index in range(count):
        code = site_code(index)
        path = directory / f"Pulumi.{code}.yaml"
        template = TEMPLATES[index % 2]
        header = f"# Generated by bench/sites.py from stacks/Pulumi.{template}.yaml (benchmark site {index}).\n"
        body = yaml.safe_dump({"config": site_config(index, templates)}, sort_keys=False, width=200)
        path.write_text(header + body, encoding="utf-8")
        stacks.append(load_file(path))
    return stacks


def main(argv: list[str]) -> int:
    """``python bench/sites.py N DIR``."""
    if len(argv) != 2 or not argv[0].isdigit():
        print("usage: python bench/sites.py N DIR", file=sys.stderr)
        return 2
    for stack in generate(int(argv[0]), Path(argv[1])):
        print(stack.path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
