"""Words that fit the stack being judged.

The policies speak of a hospital site: its images key, its PACS and hospital ranges, its viewer. A stack
that is not a site (another team's program, judged for its resources only) has none of these, and a
finding that tells it to "set it to the site's images key" sends its reader looking for something that
does not exist. Every message and not-applicable reason passes through :func:`fit` before it is reported:
on a stack that is not a site, the site's vocabulary becomes the stack's own. On every stack, a value
that is not set reads "not set", never Python's ``None``.
"""

from __future__ import annotations

import re

_NOT_SET = (
    (re.compile(r"\b(is|are|was|got) None\b"), r"\1 not set"),
    (re.compile(r"=None\b"), "=not set"),
    (re.compile(r"\bNone\b"), "not set"),
)
"""Python's ``None`` in a message: a value the stack does not set."""

_GENERIC = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        # what the pack requires of a site, which another stack has not declared
        (r"days the site declares \(imageBucket\.(\w+)\)", r"days the pack requires by default (imageBucket.\1)"),
        (r"the site declares \(imageBucket\.(\w+)\)", r"the pack requires by default (imageBucket.\1)"),
        # keys and key rings
        (r"\(SiteKeys\.key_ids\['?\w+'?\]\)", "(a key of the stack's own key ring)"),
        (r"the site's (images?|logs?|secrets|state) key", "a customer-managed key of the stack's own key ring"),
        (r"the site's customer-managed key", "a customer-managed key of the stack's own key ring"),
        (r"the site's (own )?key ring", "the stack's own key ring"),
        (r"the site's (own )?keys", "the stack's own keys"),
        (r"the site's (own )?key\b", "the stack's own key"),
        (r"federated PACS provider", "federated identity provider"),
        (r" \(network\.worklist\)", ""),
        # networks and ranges
        (r"the PACS egress and hospital ranges", "the ranges that must reach it"),
        (r"the PACS egress ranges, the hospital networks", "the ranges that must reach it"),
        (r"PACS (egress )?and hospital (ranges|networks)", "the declared source ranges"),
        (r"the PACS egress ranges", "the declared source ranges"),
        (r"the hospital (networks|ranges)", "the declared source ranges"),
        (r"the site's hospitalNetworks and", "the declared"),
        (r"the site VPC", "the stack's VPC"),
        (r"the worklist ranges", "the declared destinations"),
        (r"worklist next hops?", "declared next hop"),
        (r"the configured worklist endpoints?", "the declared destinations"),
        (r"the worklist", "a declared destination"),
        (r"\bworklist\b", "declared destination"),
        (r"\bthe PACS\b", "the uploader"),
        (r"\bPACS\b", "uploader"),
        # people and identities
        (r"a declared hospital group", "a declared group"),
        (r"hospital groups?", "groups"),
        (r"the site's runtime identities", "the stack's runtime identities"),
        # the launch endpoint
        (r"\bViewer compute\b", "Compute"),
        (r"the viewer's", "the service's"),
        (r"the viewer\b", "the service"),
        (r"\bviewer\b", "service"),
        # components a team that did not use them has not got
        (
            r" \((ImageBucket|SiteNetwork|AllowlistFirewall|SiteKeys|SecurityLogging|ViewerEndpoint|SiteIdentities)"
            r" (does|creates one|sets it|grants it)\)",
            "",
        ),
        # images: another stack's buckets hold its own objects
        (r"\bimages or logs\b", "objects"),
        (r"(?i)\bimage buckets?\b", "buckets"),
        (r"\ban image\b", "an object"),
        (r"\bAn image\b", "An object"),
        (r"\ba deleted image\b", "a deleted object"),
        (r"\bImages\b", "Objects"),
        (r"\bImage\b", "Object"),
        (r"\bimages\b", "objects"),
        (r"\bimage\b", "object"),
        # the site itself
        (r"the site's", "the stack's"),
        (r"\bthe site\b(?![-'])", "the stack"),
        (r"\bThe site\b(?![-'])", "The stack"),
        (r"\ba site\b(?![-'])", "a stack"),
    )
)
"""A hospital site's vocabulary, and what it means in a stack that is not a site (first match wins per
phrase; order matters: the longer phrases first)."""


def fit(message: str, *, site: bool) -> str:
    """``message`` in words that fit the stack: a site's vocabulary for a site, the stack's otherwise."""
    for pattern, replacement in _NOT_SET:
        message = pattern.sub(replacement, message)
    if site:
        return message
    for pattern, replacement in _GENERIC:
        message = pattern.sub(replacement, message)
    return message
