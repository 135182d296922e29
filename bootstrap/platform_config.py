"""The bootstrap stack's configuration (namespace ``imaging-bootstrap``), typed and validated.

Every value that ends up in a CEL condition, an IAM member or a resource name is checked here first,
so the program builds those strings from validated parts only.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.alias_generators import to_camel

# The site-name rule is the repository's (program/sites.py, standard library only): Pulumi runs this
# program from bootstrap/, so the repository's root is put on the import path to reach it.
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.append(_ROOT)
from program import sites  # noqa: E402

NAMESPACE = "imaging-bootstrap"

ProjectId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$", description="A GCP project id.")]
Region = Annotated[str, Field(pattern=r"^[a-z]+-[a-z]+[0-9]+$", description="A GCP region, e.g. europe-west6.")]
SiteName = Annotated[
    str,
    AfterValidator(sites.check),
    Field(description=f"A site's stack name in ../stacks: {sites.RULE} (program/sites.py)."),
]


class _Model(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True, use_attribute_docstrings=True
    )


class GitHub(_Model):
    """The repository whose workflows may deploy, and its protected branch."""

    repository: Annotated[str, Field(pattern=r"^[A-Za-z0-9-]{1,39}/[A-Za-z0-9._-]{1,100}$")]
    """``owner/name`` exactly as GitHub spells it (the OIDC token's ``repository`` claim)."""
    repository_id: Annotated[str, Field(pattern=r"^[0-9]{1,20}$")]
    """The repository's numeric id (``gh api repos/<owner>/<name> --jq .id``; the token's
    ``repository_id`` claim): a name can be registered again by someone else after a deletion."""
    branch: Annotated[str, Field(pattern=r"^[A-Za-z0-9._/-]{1,100}$")] = "main"
    """The branch whose pushes update sites and run drift checks."""


class PlatformConfig(_Model):
    """What the bootstrap stack needs to know."""

    platform_project: ProjectId
    """The platform project: state bucket, keys, federation and deployment identities live here."""
    region: Region
    """Region of the state bucket and the key ring."""
    github: GitHub
    """The repository allowed to deploy (its OIDC tokens only)."""
    sites: Annotated[dict[SiteName, ProjectId], Field(min_length=1)]
    """Each site's stack name and its GCP project."""
    retired_sites: list[SiteName] = []
    """Sites retired from the fleet (``python -m rollout retire``): their secrets key is kept, since their
    exported state is encrypted with it (and Cloud KMS never deletes a key), their identities are gone."""
    key_admins: Annotated[str, Field(pattern=r"^group:[a-z0-9._%+-]{1,64}@[a-z0-9.-]{1,253}\.[a-z]{2,}$")]
    """The key administrators' group (``group:<email>``): it administers the platform's key ring and each site
    project's keys (``roles/cloudkms.admin``) and is denied their use; no deployment identity administers keys."""
    key_rotation_days: Annotated[int, Field(ge=1, le=90)] = 90
    """Days between automatic rotations of the state and secrets keys."""

    @model_validator(mode="after")
    def _retired_are_not_active(self) -> Self:
        both = sorted(set(self.sites) & set(self.retired_sites))
        if both:
            raise ValueError(f"retiredSites lists {', '.join(both)}, also in sites: a site is either active or retired")
        return self


class PlatformConfigError(Exception):
    """The stack's configuration is invalid; ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def from_stack_config(values: Mapping[str, str]) -> PlatformConfig:
    """The config from the engine's ``namespace:key`` string values (objects JSON-encoded)."""
    document: dict[str, Any] = {}
    for key, value in values.items():
        namespace, _, name = key.partition(":")
        if namespace != NAMESPACE:
            continue
        try:
            document[name] = json.loads(value) if value[:1] in "[{" else value
        except ValueError:
            document[name] = value
    try:
        return PlatformConfig.model_validate(document)
    except ValidationError as error:
        problems = []
        for e in error.errors():
            path = ".".join(str(p) for p in e["loc"])
            where = f"{NAMESPACE}:{path}" if path else NAMESPACE
            problems.append(f"{where}: {e['msg'].removeprefix('Value error, ')}")
        raise PlatformConfigError(problems) from None
