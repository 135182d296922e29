"""What the bootstrap made for the fleet, read from its stack file (``bootstrap/Pulumi.platform.yaml``).

``rollout`` takes the state backend and each site's secrets provider from here, never from defaults:
the backend is the state bucket the bootstrap creates (``gs://<platform project>-pulumi-state``), and a
site's stack is encrypted with the site's own key (``secrets-<site>`` in the ``pulumi`` key ring), the
key whose users are only that site's deployment identities. The bootstrap program declares both
(``bootstrap/__main__.py``: the bucket's name and the ``secretsProviders`` output); a test holds the
forms equal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
BOOTSTRAP_STACK = ROOT / "bootstrap" / "Pulumi.platform.yaml"
NAMESPACE = "imaging-bootstrap"


class PlatformError(Exception):
    """The bootstrap's stack file cannot be read, or does not know a site; the message is one line."""


@dataclass(frozen=True)
class Platform:
    """The platform project, its region, and the sites the bootstrap made keys and identities for."""

    project: str
    region: str
    sites: dict[str, str]
    """Each active site's stack name and its GCP project."""
    retired_sites: tuple[str, ...] = field(default=())
    """Sites retired from the fleet whose secrets key is kept (their exported state is encrypted with it)."""
    path: Path = BOOTSTRAP_STACK

    @property
    def backend_url(self) -> str:
        """The state bucket the bootstrap creates, as a Pulumi backend URL."""
        return f"gs://{self.project}-pulumi-state"

    def key(self, name: str) -> str:
        """The resource name of one of the bootstrap's keys in its ``pulumi`` key ring."""
        return f"projects/{self.project}/locations/{self.region}/keyRings/pulumi/cryptoKeys/{name}"

    def secrets_provider(self, site: str) -> str:
        """Site ``site``'s secrets provider: its own key; ``PlatformError`` when the bootstrap has none."""
        if site not in self.sites:
            raise PlatformError(
                f"site {site} has no secrets key in the bootstrap ({_shown(self.path)} {NAMESPACE}:sites): add it "
                "there and run the bootstrap's `pulumi up` first (docs/deploying.md, Add a site); a new stack never "
                "takes the backend's default secrets provider"
            )
        return f"gcpkms://{self.key(f'secrets-{site}')}"


def _shown(path: Path) -> str:
    resolved = path.resolve()
    return str(resolved.relative_to(ROOT)) if resolved.is_relative_to(ROOT) else str(path)


def load(path: Path = BOOTSTRAP_STACK) -> Platform:
    """The platform as the bootstrap's stack file declares it (validated by the bootstrap itself; here
    only the keys ``rollout`` needs are read)."""
    try:
        document: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise PlatformError(f"{_shown(path)}: cannot read the bootstrap's stack file ({exc})") from None
    config = document.get("config") if isinstance(document, dict) else None
    if not isinstance(config, dict):
        raise PlatformError(f"{_shown(path)}: no 'config:' section")
    values = {str(k).removeprefix(f"{NAMESPACE}:"): v for k, v in config.items()}
    project, region, sites = values.get("platformProject"), values.get("region"), values.get("sites")
    retired = values.get("retiredSites", [])
    if not isinstance(project, str) or not isinstance(region, str) or not isinstance(sites, dict):
        raise PlatformError(f"{_shown(path)}: needs {NAMESPACE}:platformProject, :region and :sites")
    if not isinstance(retired, list):
        raise PlatformError(f"{_shown(path)}: {NAMESPACE}:retiredSites must be a list of site names")
    return Platform(project, region, {str(k): str(v) for k, v in sites.items()}, tuple(str(s) for s in retired), path)
