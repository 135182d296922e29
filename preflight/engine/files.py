"""The command line's files: untrusted JSON input (``--plan``, ``--policy-config``) read as UTF-8 within a
nesting bound, every failure one sentence (``ValueError``) the caller puts after the file's name; and
what a write that failed says, in words."""

from __future__ import annotations

import errno
import json
from pathlib import Path
from typing import Any

from program.config import nesting_depth

MAX_JSON_NESTING = 64
"""The deepest an input document may nest: a plan's resource inputs nest a dozen levels, and the pack's
protocol (protobuf ``Struct``) refuses a value nested 100 deep."""


def decode(data: bytes) -> str:
    """``data`` as UTF-8 text (a leading byte-order mark dropped), else ``ValueError`` naming the byte."""
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text (byte {exc.start}); save it as UTF-8") from None


def loads(text: str) -> Any:
    """The JSON document ``text``, nested at most :data:`MAX_JSON_NESTING` levels, else ``ValueError``."""
    too_deep = f"nested deeper than {MAX_JSON_NESTING} levels, the most an input document may nest"
    try:
        document = json.loads(text)
    except RecursionError:
        raise ValueError(too_deep) from None
    except ValueError as exc:
        raise ValueError(f"not JSON: {exc}") from None
    if nesting_depth(document, MAX_JSON_NESTING) > MAX_JSON_NESTING:
        raise ValueError(too_deep)
    return document


def read_text(path: Path) -> str:
    """The UTF-8 text of ``path``; ``OSError`` when it cannot be read, ``ValueError`` when it is no text."""
    return decode(path.read_bytes())


_WHY_NOT_WRITTEN = {
    errno.ENOENT: "its folder does not exist (create it first)",
    errno.ENOTDIR: "a part of its path is a file, not a folder",
    errno.EISDIR: "it is a folder; name a file",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "the file system is read-only",
    errno.ENOSPC: "no space is left on the device",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.ENAMETOOLONG: "its name is too long",
}


def cannot_write(exc: OSError, what: str = "the report") -> str:
    """One line saying what could not be written, where, and why in words (not ``[Errno 2] ...``)."""
    where = f" to {exc.filename}" if exc.filename is not None else ""
    why = _WHY_NOT_WRITTEN.get(exc.errno or 0) or (exc.strerror or str(exc)).lower()
    return f"cannot write {what}{where}: {why}"
