"""Where a site's deployment jobs run: the runner labels its stack file names in ``imaging-deploy:runsOn``.

The deploy workflow's ``preview``, ``up``, ``rollback`` and ``drift`` jobs call the site's Google APIs. Once
the site's perimeter is enforced (``imaging-landing-zone:perimeter.enforced``) those APIs answer only to
requests from inside the perimeter or from a declared hospital range, and a GitHub-hosted runner is neither:
such a site names a self-hosted runner of its own (labels that include ``self-hosted``), in a hospital
network or in a project inside the perimeter. A site that names none runs on the default, ``ubuntu-latest``
(a dry-run site, whose perimeter denies nothing and logs the runner's calls).

The key has a namespace of its own, ``imaging-deploy``: it is a fact about the workflow, not about the site's
cloud resources, so the site program ignores it (it reads only ``imaging-landing-zone``) and ``preflight
check`` reads it here, as the workflow does. The namespace holds this one key; any other key in it is refused.

Standard library only: the deploy workflow's ``sites`` job runs ``python3 -m program.sites stacks --matrix``
with the runner's Python before anything is installed, so this module reads a stack file line by line, in
the block form the example sites and ``new-site`` write (a list on one line, ``[a, b]``, or one ``- label``
per line). What it cannot read is refused in one line naming the file and the line, never guessed; ``preflight
check`` compares its reading with the YAML reader's and notes any difference.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

NAMESPACE: Final = "imaging-deploy"
KEY: Final = "runsOn"
RUNS_ON: Final = f"{NAMESPACE}:{KEY}"
DEFAULT: Final = ("ubuntu-latest",)
"""The runner of a site that names none: GitHub-hosted, outside every perimeter."""
SELF_HOSTED: Final = "self-hosted"
"""The label every self-hosted runner carries (GitHub compares labels without regard to case)."""
SITE_NAMESPACE: Final = "imaging-landing-zone"
"""The site program's namespace (``program.config.NAMESPACE``; a test holds the two equal)."""
PERIMETER: Final = f"{SITE_NAMESPACE}:perimeter"
MAX_BYTES: Final = 64 * 1024
"""The most a stack file holds (``program.config.MAX_STACK_FILE_BYTES``; a test holds the two equal)."""
EXAMPLE: Final = "[self-hosted, <site>-imaging]"
GUIDE: Final = 'docs/deploying.md, "The service perimeter"'


class RunnerError(Exception):
    """A stack file whose runner this reader cannot tell; the message is one line naming the file and line."""


def labels_problem(value: object) -> str | None:
    """Why ``value`` (as a YAML reader gives it) is not a list of runner labels, or ``None`` when it is one."""
    if isinstance(value, list) and value and all(isinstance(v, str) and v.strip() for v in value):
        return None
    return (
        "must be a list of runner labels (non-empty strings; quote one YAML would read as a number, date or boolean), "
        f"e.g. {EXAMPLE}; got {_shown(value)}"
    )


def _shown(value: object) -> str:
    if isinstance(value, list):
        return "an empty list" if not value else "[" + ", ".join(_shown(v) for v in value) + "]"
    if isinstance(value, str):
        return repr(value)
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    return f"{value!r} (not a string)"


def runner_problem(site: str, runs_on: tuple[str, ...] | None, enforced: bool) -> str | None:
    """Why the deploy workflow cannot deploy ``site`` from its runner, or ``None``: an enforced perimeter
    needs a self-hosted runner of the site's own (``runs_on`` ``None``: the key is absent)."""
    if not enforced:
        return None
    if runs_on is None:
        what = f"{RUNS_ON} is missing (the default runner is GitHub-hosted {DEFAULT[0]})"
    elif not any(label.lower() == SELF_HOSTED for label in runs_on):
        what = f"{RUNS_ON} [{', '.join(runs_on)}] names no {SELF_HOSTED} runner"
    else:
        return None
    return (
        f"site {site}: {what} and its perimeter is enforced ({PERIMETER}.enforced): a GitHub-hosted runner is "
        "outside every service perimeter, which refuses its calls to the site's APIs; name the labels of a "
        f"self-hosted runner in a hospital network or inside the perimeter, e.g. {RUNS_ON}: "
        f"{EXAMPLE.replace('<site>', site)} ({GUIDE})"
    )


@dataclass(frozen=True)
class Deployment:
    """What a site's stack file says about where its deployment jobs run."""

    site: str
    runs_on: tuple[str, ...] | None
    """The labels of ``imaging-deploy:runsOn``; ``None`` when the key is absent."""
    enforced: bool
    """``imaging-landing-zone:perimeter.enforced`` (``False`` without a perimeter, as the site model reads it)."""
    line: int = 1
    """The line of ``imaging-deploy:runsOn``, else of ``config:``."""

    @property
    def labels(self) -> list[str]:
        """The labels the site's jobs run on: its own, else :data:`DEFAULT`."""
        return list(self.runs_on if self.runs_on is not None else DEFAULT)

    @property
    def problem(self) -> str | None:
        """:func:`runner_problem` for this site."""
        return runner_problem(self.site, self.runs_on, self.enforced)


# --- A stack file, line by line -------------------------------------------------------------------------

# PyYAML's (YAML 1.1) implicit scalars, so that a plain scalar reads here as it reads there.
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = re.compile(r"^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$")
_INT = re.compile(
    r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$"
)
_FLOAT = re.compile(
    r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?"
    r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)
_DATE = re.compile(r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}.*)?$")
_TRUE = {"true", "yes", "on", "t", "y", "1"}
_FALSE = {"false", "no", "off", "f", "n", "0"}
"""The strings the site model reads as a boolean (pydantic's, any case)."""
_INDICATORS = set("[]{},#&*!|>'\"%@`")


class _UnreadableError(Exception):
    """A value this reader does not read; the message says what it is."""


@dataclass(frozen=True)
class _Line:
    number: int
    indent: int
    text: str
    """Without the indentation and the comment."""


def _strip_comment(text: str) -> str:
    """``text`` without a ``#`` comment (a ``#`` at the start or after a space, outside quotes)."""
    quote = ""
    for i, char in enumerate(text):
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"" and (i == 0 or text[i - 1] in " \t[{,:-"):
            quote = char
        elif char == "#" and (i == 0 or text[i - 1] in " \t"):
            return text[:i].rstrip()
    return text.rstrip()


def _lines(text: str, shown: str) -> list[_Line]:
    found = []
    for number, raw in enumerate(text.splitlines(), start=1):
        body = raw.lstrip(" ")
        if body.startswith("\t"):
            raise RunnerError(f"{shown}: line {number}: a tab indents the line; YAML indents with spaces")
        content = _strip_comment(body)
        if content:
            found.append(_Line(number, len(raw) - len(body), content))
    return found


def _key(text: str) -> tuple[str, str] | None:
    """``(key, rest)`` of a ``key: rest`` line (the key plain, or quoted without escapes), or ``None``: a key
    with a tag, anchor or escape may mean another key than it spells."""
    if text[:1] in ("'", '"'):
        end = text.find(text[0], 1)
        if end < 0 or text[end + 1 : end + 2] != ":" or text[end + 2 : end + 3] not in ("", " ") or "\\" in text[:end]:
            return None
        return text[1:end], text[end + 2 :].strip()
    if text[:1] in _INDICATORS or text.startswith(("- ", "? ")):
        return None
    at = text.find(": ")
    if at >= 0:
        return text[:at].rstrip(), text[at + 2 :].strip()
    if text.endswith(":"):
        return text[:-1].rstrip(), ""
    return None


def _scalar(text: str) -> object:
    """A scalar as PyYAML reads it: quoted, a string; plain, a null, boolean, number, date or string."""
    if text[:1] == "'":
        if len(text) < 2 or not text.endswith("'") or re.search(r"(?<!')'(?!')", text[1:-1]):
            raise _UnreadableError(f"the quoted value {text}")
        return text[1:-1].replace("''", "'")
    if text[:1] == '"':
        if len(text) < 2 or not text.endswith('"') or '"' in text[1:-1] or "\\" in text:
            raise _UnreadableError(f"the quoted value {text} (write it without escapes)")
        return text[1:-1]
    if text[:1] in _INDICATORS or text.startswith(("- ", "? ", ": ")) or ": " in text or text.endswith(":"):
        raise _UnreadableError(f"the value {text} (a list, mapping, anchor, alias or tag)")
    return _plain(text)


def _plain(text: str) -> object:
    """A plain scalar as PyYAML's implicit resolvers read it."""
    if _NULL.match(text):
        return None
    if _BOOL.match(text):
        return text.lower() in ("yes", "true", "on")
    if re.match(r"^[-+]?(?:0|[1-9][0-9]*)$", text):
        return int(text)
    if _INT.match(text) or _FLOAT.match(text) or _DATE.match(text):
        return _Other(text)
    return text


@dataclass(frozen=True)
class _Other:
    """A plain scalar YAML reads as a number or a date: not a string, whichever it is."""

    text: str

    def __repr__(self) -> str:
        return self.text


def _flow(text: str, opening: str, closing: str) -> list[str]:
    """The items of a one-line flow collection ``[a, 'b']`` or ``{a: b}``, split at its top-level commas."""
    if not text.endswith(closing):
        raise _UnreadableError(f"{text} (a list or mapping on one line, closed on the same line)")
    items, depth, quote, start = [], 0, "", 1
    inner = text[1:-1]
    for i, char in enumerate(inner, start=1):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        elif char == "," and depth == 0:
            items.append(text[start:i].strip())
            start = i + 1
    items.append(text[start : len(text) - 1].strip())
    if items[-1] == "":
        items.pop()  # `[]`, or a trailing comma
    if depth != 0 or quote or any(not item for item in items) or opening not in "[{":
        raise _UnreadableError(text)
    return items


def _item(text: str) -> object:
    if text[:1] == "[":
        return [_item(item) for item in _flow(text, "[", "]")]
    if text[:1] == "{":
        return {}
    return _scalar(text)


def _block(lines: list[_Line], at: int, indent: int) -> list[_Line]:
    """The lines of the value of the key on ``lines[at]`` at ``indent``: deeper lines, and ``- `` lines at
    the same indentation (a block list may sit level with its key)."""
    end = at + 1
    while end < len(lines) and (
        lines[end].indent > indent or (lines[end].indent == indent and lines[end].text.startswith("- "))
    ):
        end += 1
    return lines[at + 1 : end]


def _mapping(lines: list[_Line], shown: str, where: str) -> dict[str, tuple[int, str, list[_Line]]]:
    """The keys of a block mapping's lines at its first line's indentation: key -> (line, rest, block)."""
    if not lines:
        return {}
    indent = lines[0].indent
    found: dict[str, tuple[int, str, list[_Line]]] = {}
    for at, line in enumerate(lines):
        if line.indent != indent:
            continue
        if line.text.startswith("- ") or line.text == "-":
            if at and found:
                continue  # a block list level with its key: part of the key's value
            raise RunnerError(f"{shown}: line {line.number}: {where} is a list; it must be a mapping of keys")
        pair = _key(line.text)
        if pair is None:
            raise RunnerError(f"{shown}: line {line.number}: cannot read {line.text!r} in {where} as `key: value`")
        key, rest = pair
        if key in found:
            raise RunnerError(
                f"{shown}: line {line.number}: key {key!r} appears twice in {where} (first on line {found[key][0]}); "
                "keep one"
            )
        found[key] = (line.number, rest, _block(lines, at, indent))
    return found


def _list(rest: str, block: list[_Line]) -> object:
    """The value of a key whose value should be a list: ``[a, b]`` on its line, or ``- a`` lines under it."""
    if rest:
        if rest[:1] == "[":
            return _item(rest)
        if rest[:1] in "|>":
            raise _UnreadableError(f"the block scalar {rest}")
        if block:
            raise _UnreadableError(f"{rest} continued on the next lines")
        return _item(rest)
    if not block:
        return None
    indent = block[0].indent
    items: list[object] = []
    for line in block:
        if line.indent != indent:
            raise _UnreadableError(f"line {line.number}: {line.text!r} (one `- label` per line, at one indentation)")
        if not (line.text.startswith("- ") or line.text == "-"):
            return {}  # a mapping, not a list
        text = line.text[1:].strip()
        if _key(text) is not None and text[:1] not in "'\"[{":
            items.append({})
        else:
            items.append(_item(text) if text else None)
    return items


def _boolean(value: object) -> bool | None:
    """``value`` as the site model reads a boolean, or ``None`` when it reads none."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.lower() in _TRUE | _FALSE:
        return value.lower() in _TRUE
    return None


def _enforced(rest: str, block: list[_Line], shown: str, number: int) -> bool:
    """``perimeter.enforced`` from the perimeter's value (a block mapping, or a mapping on one line)."""
    where = f"{shown}: line {number}: {PERIMETER}"
    if rest:
        if rest[:1] != "{" or block:
            if _NULL.match(rest) and not block:
                return False
            raise RunnerError(f"{where}: cannot read it here (write it as a mapping, one key per line)")
        try:
            pairs = [_key(item) for item in _flow(rest, "{", "}")]
        except _UnreadableError as exc:
            raise RunnerError(f"{where}: cannot read {exc}; write it as a mapping, one key per line") from None
        if any(pair is None for pair in pairs):
            raise RunnerError(f"{where}: cannot read {rest}; write it as a mapping, one key per line")
        fields = dict(pair for pair in pairs if pair is not None)
        text = fields.get("enforced")
    else:
        mapping = _mapping(block, shown, PERIMETER)
        if "enforced" not in mapping:
            return False
        number, text, inner = mapping["enforced"]
        where = f"{shown}: line {number}: {PERIMETER}.enforced"
        if inner:
            raise RunnerError(f"{where}: cannot read it here; write `enforced: true` or `enforced: false`")
    if text is None:
        return False
    try:
        value = _boolean(_scalar(text))
    except _UnreadableError:
        value = None
    if value is None:
        raise RunnerError(
            f"{where}: cannot read {text!r} as true or false; write `enforced: true` or `enforced: false`"
        )
    return value


def read(path: Path, site: str, shown: str | None = None) -> Deployment:
    """Site ``site``'s deployment settings from its stack file ``path`` (named ``shown`` in messages).
    Raises :class:`RunnerError` (one line naming the file and line) for what it cannot read or refuses."""
    shown = shown or str(path)
    try:
        with path.open("rb") as file:
            data = file.read(MAX_BYTES + 1)
    except OSError as exc:
        raise RunnerError(f"{shown}: cannot read it ({exc.strerror or exc})") from None
    if len(data) > MAX_BYTES:
        raise RunnerError(
            f"{shown}: larger than {MAX_BYTES // 1024} KiB; a stack file is at most {MAX_BYTES // 1024} KiB"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RunnerError(f"{shown}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    return parse(text, site, shown)


def parse(text: str, site: str, shown: str) -> Deployment:
    """:func:`read` of a stack file's text."""
    lines = _lines(text.removeprefix("\ufeff"), shown)
    top = [line for line in lines if line.indent == 0]
    heads = [i for i, line in enumerate(lines) if line.indent == 0 and _key(line.text) == ("config", "")]
    if not heads:
        other = next((line for line in top if (_key(line.text) or ("",))[0] == "config"), None)
        if other is not None:
            raise RunnerError(
                f"{shown}: line {other.number}: cannot read config: here; write it as a block, one key per line"
            )
        raise RunnerError(f"{shown}: no `config:` section (a site's keys go under it)")
    if len(heads) > 1:
        raise RunnerError(f"{shown}: line {lines[heads[1]].number}: key 'config' appears twice; keep one")
    head = lines[heads[0]]
    config = _mapping(_block(lines, heads[0], 0), shown, "config")
    for key, (number, _, _) in config.items():
        namespace, _, name = key.partition(":")
        if namespace == NAMESPACE and name != KEY:
            raise RunnerError(
                f"{shown}: line {number}: {key}: unknown key; the {NAMESPACE} namespace holds {KEY} only ({RUNS_ON})"
            )
    enforced = False
    if PERIMETER in config:
        number, rest, block = config[PERIMETER]
        enforced = _enforced(rest, block, shown, number)
    if RUNS_ON not in config:
        return Deployment(site, None, enforced, head.number)
    number, rest, block = config[RUNS_ON]
    try:
        value = _list(rest, block)
    except _UnreadableError as exc:
        raise RunnerError(
            f"{shown}: line {number}: {RUNS_ON}: cannot read {exc}; write a list of runner labels, e.g. {EXAMPLE}"
        ) from None
    problem = labels_problem(value)
    if problem is not None:
        raise RunnerError(f"{shown}: line {number}: {RUNS_ON}: {problem}")
    assert isinstance(value, list)  # labels_problem: a list of strings
    return Deployment(site, tuple(str(label) for label in value), enforced, number)
