"""IAM members the components accept: one rule, used by the components' args and the site config alike.

A grant of site data goes to a workload (``serviceAccount:``) or a hospital group (``group:``): never a
public principal (IAM-03), a person, a domain or a federated principal set (IAM-07).
"""

from __future__ import annotations

import re
from typing import Final

PUBLIC: Final = frozenset({"allusers", "allauthenticatedusers", "public"})
"""Principals that mean anyone (lower case)."""
_MEMBER: Final = re.compile(r"^(serviceAccount|group):[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")


def parse_member(value: str) -> str:
    """``value`` if it is a ``serviceAccount:<email>`` or ``group:<email>`` member, else a ``ValueError``
    that says which rule it breaks."""
    if value.lower() in PUBLIC or value.lower().removeprefix("group:") in PUBLIC:
        raise ValueError(f"{value!r} is a public principal; grant a hospital group or a service account (IAM-03)")
    if not _MEMBER.match(value):
        raise ValueError(
            f"{value!r} is not a serviceAccount:<email> or group:<email> member; people and other principals get "
            "access through hospital groups (IAM-07)"
        )
    return value
