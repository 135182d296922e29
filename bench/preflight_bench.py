"""Benchmark of the offline preflight check: wall time, CPU and peak memory, against baselines run alongside.

    python bench/preflight_bench.py [--sizes 100] [--jobs 2] [--repeat N] [--keep DIR] [--json FILE] [--markdown FILE]

Sections, each a plain table on stdout (progress goes to stderr), then one summary table:

1. ``site``: one site's ``check`` (the default modes, and ``--mode update``) and ``plan`` against its
   floor, a bare ``python -c`` that only imports ``pulumi`` and touches every ``pulumi_gcp`` resource
   class the site's plan uses (the provider loads its classes lazily). Targets: check within 1.2x its
   floor, plan at or under it.
2. ``checkov`` (not in the default run): the same site's ``check`` against Checkov on the site's
   Terraform-plan export.
3. ``fleet``: for each size (default 100 generated sites, ``bench/sites.py``), ``fleet --jobs N`` cold
   (an empty verdict cache), then warm (the same command again, nothing changed), against ONE Checkov
   call over the folder of the same sites' exports (exported beforehand, not timed). Targets: cold at
   most 0.8x Checkov's time, warm within 3 s.

The summary puts one site, the cold fleet and the warm fleet side by side, each with Checkov's figures,
its peak memory and its target. ``--markdown FILE`` writes it as Markdown.

Every measured command is one ``Command`` entry in a list; a command the branch does not have yet
(``check``, ``fleet``, the verdict cache, ``plan --format terraform-plan``) or a missing Checkov is
skipped with a note. Ratios are always against a baseline measured in the same invocation. The script
exits 0 when the measurements ran, whether or not the targets are met (it prints ``target missed``);
2 on bad options.

Memory, per measured command (see bench/README.md):

- ``peak MB``: the largest sum, at one sample, of the proportional set sizes (PSS: shared pages divided
  among the processes that share them) of the command and all its descendants, read with psutil
  every ``--sample-interval`` seconds; the resident sets (RSS) where the system has no PSS. The memory
  the command needs at once. Sampled, so a spike shorter than the interval can be missed.
- ``max RSS MB``: ``ru_maxrss`` from ``os.wait4``: the largest resident set of any ONE process of the
  tree (the command and the children it waited for, such as the policy pack). Exact.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import sites  # noqa: E402
from preflight.reports.tables import markdown_table, text_table  # noqa: E402

SAMPLE_SECONDS = 0.2
"""Default memory sampling interval: a PSS read costs about 2 ms per 200 MB process, so a fleet's
tree (the parent, its workers and their policy packs) costs ~5 % of a core at this interval."""
FLOOR_TARGET = 1.2
PLAN_TARGET = 1.0
FLEET_TARGET_SITES = 100
COLD_TARGET_CHECKOV, WARM_TARGET_SECONDS = 0.8, 3.0
"""The cold fleet at most 0.8x one Checkov call over the same sites' exports; the warm fleet within 3 s."""
OK_EXITS = (0, 1)
"""``check``, ``fleet`` and Checkov exit 1 on a finding: the run itself succeeded."""
NO_CACHE = "no verdict cache on this branch"
CACHE_ENVIRONMENT = ("PREFLIGHT_CACHE_DIR", "PREFLIGHT_NO_CACHE")
"""The verdict cache's environment variables (``--cache-dir``, ``--no-cache``); unset for measured commands."""


# ---------------------------------------------------------------------------------------------- measuring


def _has_pss() -> bool:
    """Whether psutil reports proportional set sizes here (Linux); elsewhere the sampler sums RSS."""
    try:
        return hasattr(psutil.Process().memory_full_info(), "pss")
    except psutil.Error:
        return False


HAS_PSS = _has_pss()
MEMORY_KIND = "PSS" if HAS_PSS else "RSS"


def _size(process: psutil.Process) -> int:
    """The PSS (or, without it, the RSS) of ``process`` in bytes; raises psutil.Error if it is gone."""
    if HAS_PSS:
        return int(process.memory_full_info().pss)
    return int(process.memory_info().rss)


class TreeSampler(threading.Thread):
    """Samples the summed memory (PSS, else RSS) of the process tree under ``root`` every ``interval`` s."""

    def __init__(self, root: int, interval: float = SAMPLE_SECONDS) -> None:
        super().__init__(daemon=True)
        self.root = psutil.Process(root)
        self.interval = interval
        self.peak_bytes = 0
        self.pids: set[int] = set()
        """Every process of the tree seen by a sample."""
        self.samples = 0
        self.cpu_s = 0.0
        """CPU time the sampling itself used (its share of the machine while measuring)."""
        self._done = threading.Event()

    def run(self) -> None:
        start = time.thread_time()
        while not self._done.is_set():
            self.sample()
            self._done.wait(self.interval)
        self.cpu_s = time.thread_time() - start

    def sample(self) -> None:
        try:
            tree = [self.root, *self.root.children(recursive=True)]
        except psutil.Error:  # the command has exited and was reaped
            return
        total = 0
        for process in tree:
            try:
                total += _size(process)
            except psutil.Error:  # gone, a zombie, or not ours to read
                continue
            self.pids.add(process.pid)
        self.peak_bytes = max(self.peak_bytes, total)
        self.samples += 1

    def stop(self) -> None:
        self._done.set()
        self.join()


@dataclass
class Run:
    """One measured execution of a command."""

    exit: int
    wall_s: float
    cpu_s: float
    peak_mb: float
    """Largest summed PSS (or RSS) of the process tree at one sample."""
    max_rss_mb: float
    """``ru_maxrss``: the largest resident set of one process of the tree."""
    stdout: str
    memory: str = MEMORY_KIND
    sampler_cpu_s: float = 0.0
    samples: int = 0
    processes: int = 0
    stderr_tail: str = ""


def _kill_group(pgid: int) -> bool:
    """SIGKILL every process of the group the measured command leads; whether there were any."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        return False
    return True


def _max_rss_mb(maxrss: int) -> float:
    """``ru_maxrss`` in MB: kilobytes on Linux, bytes on macOS."""
    return maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)


def measure(
    argv: Sequence[str],
    *,
    stdout: Path,
    env: dict[str, str] | None = None,
    timeout: float | None = None,
    interval: float = SAMPLE_SECONDS,
) -> Run:
    """Run ``argv`` in the repository root with stdout to a file and measure it (see the module doc).

    The command leads its own process group: after ``timeout`` seconds the group is killed, and so is
    anything of the group still running after the command exited (reported as left behind).
    """
    stderr = stdout.with_suffix(stdout.suffix + ".stderr")
    timed_out = threading.Event()
    with stdout.open("wb") as out, stderr.open("wb") as err:
        start = time.perf_counter()
        process = subprocess.Popen(list(argv), cwd=ROOT, env=env, stdout=out, stderr=err, start_new_session=True)
        sampler = TreeSampler(process.pid, interval)
        sampler.start()

        def expire() -> None:
            timed_out.set()
            _kill_group(process.pid)

        timer = threading.Timer(timeout or 0, expire)
        if timeout:
            timer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        except BaseException:
            _kill_group(process.pid)
            raise
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
        sampler.stop()
    process.returncode = os.waitstatus_to_exitcode(status)
    left_behind = _kill_group(process.pid)
    lines = stderr.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    tail = lines[-1] if lines else ""
    if timed_out.is_set():
        tail = f"timed out after {timeout:g} s and killed"
    elif left_behind:
        tail = f"left processes running after it exited (killed); {tail}"
    return Run(
        exit=process.returncode,
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        peak_mb=sampler.peak_bytes / 2**20,
        max_rss_mb=_max_rss_mb(usage.ru_maxrss),
        stdout=str(stdout),
        sampler_cpu_s=sampler.cpu_s,
        samples=sampler.samples,
        processes=len(sampler.pids),
        stderr_tail=tail,
    )


@dataclass
class Command:
    """One measured command: its label, argv and the capability it needs (None: always available).

    ``prepare`` runs before each measured run (not timed): the cold fleet empties its cache there."""

    key: str
    label: str
    argv: list[str]
    needs: str | None = None
    ok_exits: tuple[int, ...] = OK_EXITS
    env: dict[str, str] | None = None
    prepare: Callable[[], None] | None = None


@dataclass
class Result:
    """A command's runs, summarised: median wall and CPU, largest memory figures."""

    key: str
    label: str
    argv: list[str]
    runs: list[Run] = field(default_factory=list)
    skipped: str = ""

    @property
    def ok(self) -> bool:
        return bool(self.runs) and not self.skipped

    def median(self, name: str) -> float:
        return float(statistics.median(getattr(r, name) for r in self.runs))

    def largest(self, name: str) -> float:
        return float(max(getattr(r, name) for r in self.runs))

    def exits(self) -> str:
        return ",".join(sorted({str(r.exit) for r in self.runs}))

    def as_json(self) -> dict[str, Any]:
        summary = (
            {
                "wallSeconds": self.median("wall_s"),
                "cpuSeconds": self.median("cpu_s"),
                "peakMB": self.largest("peak_mb"),
                "maxRssMB": self.largest("max_rss_mb"),
                "memory": self.runs[0].memory,
            }
            if self.ok
            else None
        )
        return {
            "key": self.key,
            "label": self.label,
            "argv": self.argv,
            "skipped": self.skipped or None,
            "summary": summary,
            "runs": [asdict(r) for r in self.runs],
        }


def skipped(key: str, label: str, reason: str) -> Result:
    """A result that was never measured, with the reason."""
    return Result(key, label, [], skipped=reason)


@dataclass
class SummaryRow:
    """One row of the final table: a preflight figure, Checkov's figure for the same sites, a target.

    ``verdict`` is ``met (...)``, ``missed (...)`` or ``-`` when the row has no target or no figure."""

    label: str
    preflight: Result
    checkov: Result
    target: str = "-"
    verdict: str = "-"


def progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


class Bench:
    """The measuring session: capabilities of this branch, the work directory, the repeat count."""

    def __init__(
        self,
        work: Path,
        capabilities: dict[str, str | None],
        repeat: int,
        timeout: float,
        interval: float = SAMPLE_SECONDS,
    ) -> None:
        self.work = work
        self.timeout = timeout
        self.interval = interval
        self.capabilities = capabilities
        """Capability to None (available) or the reason it is not."""
        self.repeat = repeat
        self.missed: list[str] = []
        self.warnings: list[str] = []
        self.done: dict[str, Result] = {}
        """Results by command key, so a later section can reuse a measurement."""
        self.summary: list[SummaryRow] = []
        self.tables: list[tuple[str, Sequence[str], list[list[str]]]] = []
        """Every section's title, headers and rows, for ``--markdown``."""
        self.checkov_note = ""
        self.evaluated = 0
        """How many targets had figures to judge."""

    def run(self, command: Command, *, repeat: int | None = None) -> Result:
        result = Result(command.key, command.label, command.argv)
        reason = self.capabilities.get(command.needs) if command.needs else None
        if reason:
            result.skipped = reason
            progress(f"skip {command.label}: {reason}")
            return result
        count = repeat or self.repeat
        for i in range(count):
            if command.prepare is not None:
                command.prepare()
            progress(f"{command.label} ({i + 1}/{count})")
            stdout = self.work / "out" / f"{command.key}.{i}.out"
            stdout.parent.mkdir(parents=True, exist_ok=True)
            run = measure(command.argv, stdout=stdout, env=command.env, timeout=self.timeout, interval=self.interval)
            result.runs.append(run)
            if run.stderr_tail.startswith("left processes"):
                self.warnings.append(f"{command.label}: {run.stderr_tail}")
            if run.exit not in command.ok_exits or run.stderr_tail.startswith("timed out"):
                result.skipped = f"failed: exit {run.exit}: {run.stderr_tail}"
                progress(f"{command.label} {result.skipped}")
                break
        self.done[command.key] = result
        return result

    def judge(self, row: SummaryRow, measured: float | None, limit: float, shown: Callable[[float], str]) -> None:
        """Set ``row``'s verdict: ``measured`` (None: not measured) against ``limit``, at most; ``shown``
        formats the figure. A miss is also listed at the end of the run."""
        if measured is None:
            row.verdict = "not measured"
            return
        self.evaluated += 1
        met = measured <= limit
        row.verdict = f"{'met' if met else 'missed'} ({shown(measured)})"
        if not met:
            self.missed.append(f"{row.label}: {shown(measured)} (target {row.target})")

    def section(self, title: str, headers: Sequence[str], rows: list[list[str]], notes: Iterable[str]) -> None:
        """Print a section's table and notes; keep the table for ``--markdown``."""
        self.tables.append((title, headers, rows))
        print_section(title, table(headers, rows), notes)


# ------------------------------------------------------------------------------------------ capabilities


def _preflight(*args: str) -> list[str]:
    return [sys.executable, "-m", "preflight", *args]


def find_checkov(option: str | None) -> tuple[str | None, str]:
    """The Checkov executable: ``--checkov``, then ``$CHECKOV``, then ``.venv-checkov/``, then PATH."""
    candidates = [
        ("--checkov", option),
        ("$CHECKOV", os.environ.get("CHECKOV")),
        ("the repository's .venv-checkov", str(ROOT / ".venv-checkov" / "bin" / "checkov")),
        ("PATH", shutil.which("checkov")),
    ]
    tried = []
    for where, path in candidates:
        if not path:
            continue
        if os.access(path, os.X_OK) and Path(path).is_file():
            return path, f"Checkov from {where}: {path}"
        tried.append(f"{where} ({path})")
    return None, "no Checkov found (tried " + (", ".join(tried) or "--checkov, $CHECKOV, .venv-checkov, PATH") + ")"


def capabilities(checkov: str | None, checkov_reason: str) -> dict[str, str | None]:
    """What this branch and machine can run: ``check``, ``fleet``, the verdict cache (``cache``: ``fleet
    --cache-dir``; ``no-cache``: ``check --no-cache``), the Terraform-plan export, Checkov."""

    def helps(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(_preflight(*args, "--help"), cwd=ROOT, capture_output=True, text=True, check=False)

    found: dict[str, str | None] = {}
    texts = {}
    for command in ("check", "fleet"):
        answer = helps(command)
        texts[command] = answer.stdout
        found[command] = None if answer.returncode == 0 else f"`python -m preflight {command}` not on this branch"
    found["cache"] = None if "--cache-dir" in texts["fleet"] else f"{NO_CACHE} (`fleet --help` has no --cache-dir)"
    found["no-cache"] = (
        None
        if "--no-cache" in texts["check"] and "--cache-dir" in texts["check"]
        else f"{NO_CACHE} (`check --help` has no --no-cache)"
    )
    plan_help = helps("plan").stdout
    found["tfplan"] = (
        None if "terraform-plan" in plan_help else "`plan --format terraform-plan` not on this branch (merge tfplan)"
    )
    found["checkov"] = None if checkov else checkov_reason
    if found["tfplan"] and not found["checkov"]:
        found["checkov"] = found["tfplan"]
    return found


def check_argv(bench: Bench, site: str, stacks_dir: Path, *mode: str) -> list[str]:
    """``check SITE`` with a JSON report; where the branch has a verdict cache, ``--no-cache`` (every run
    checks the site: what a first run, or a run after a change, costs) and a cache directory in the work
    directory (``--no-cache`` still keeps the new verdict; not in the repository's cache)."""
    cache = [] if bench.capabilities.get("no-cache") else ["--no-cache", "--cache-dir", str(bench.work / "site-cache")]
    return _preflight("check", site, "--stacks-dir", str(stacks_dir), *mode, "--format", "json", *cache)


def check_command(bench: Bench, site: str, stacks_dir: Path) -> Command:
    """The headline one-site command: ``check SITE`` in its default modes (every one), as a user runs it."""
    return Command("check", f"check {site} (default: every mode)", check_argv(bench, site, stacks_dir), needs="check")


# ------------------------------------------------------------------------------------------- the sections


def plan_classes(plan: dict[str, Any]) -> list[tuple[str, str]]:
    """The distinct ``pulumi_gcp`` resource classes of a plan's type tokens (``gcp:<module>/<type>:<Type>``):
    ``(module, class)`` pairs."""
    return sorted(
        {
            (r["type"].split(":")[1].split("/")[0], r["type"].split(":")[2])
            for r in plan["resources"]
            if r["type"].startswith("gcp:") and r["type"].count(":") == 2
        }
    )


def floor_command(classes: Iterable[tuple[str, str]]) -> Command:
    """A bare interpreter that imports pulumi and touches each given pulumi_gcp resource class: the
    provider loads its modules and classes lazily, so importing its modules alone is not the floor."""
    pairs = sorted(classes)
    code = f"import pulumi, pulumi_gcp as g\nfor m, c in {pairs!r}:\n    getattr(getattr(g, m), c)\n"
    return Command(
        "floor",
        f"floor: import pulumi + {len(pairs)} pulumi_gcp resource classes",
        [sys.executable, "-c", code],
        ok_exits=(0,),
    )


def checkov_command(checkov: str, key: str, label: str, targets: list[str]) -> Command:
    """Checkov on Terraform-plan exports: ``-d DIR`` for a directory, ``-f FILE`` for a file."""
    where = ["-d", targets[0]] if Path(targets[0]).is_dir() else [a for t in targets for a in ("-f", t)]
    # --skip-download: no Prisma Cloud guideline download, so the run is offline like preflight's
    argv = [checkov, *where, "--framework", "terraform_plan", "--quiet", "-o", "json", "--skip-download"]
    return Command(key, label, argv, needs="checkov")


def export_terraform_plans(names: Sequence[str], stacks_dir: Path, target: Path, jobs: int) -> None:
    """``plan <site> --format terraform-plan`` for every site into ``target/<site>.json`` (not timed)."""
    target.mkdir(parents=True, exist_ok=True)

    def export(name: str) -> None:
        path = target / f"{name}.json"
        if path.is_file() and path.stat().st_size:
            return
        with path.open("wb") as out:
            answer = subprocess.run(
                _preflight("plan", name, "--stacks-dir", str(stacks_dir), "--format", "terraform-plan"),
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.PIPE,
                check=False,
            )
        if answer.returncode != 0:
            path.unlink()
            raise RuntimeError(f"terraform-plan export of {name} failed: {answer.stderr.decode().strip()}")

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        list(pool.map(export, names))


def checkov_summary(result: Result) -> dict[str, int] | None:
    """Checkov's own summary of the last run (resources scanned, checks passed and failed), or None."""
    if not result.ok:
        return None
    try:
        report = json.loads(Path(result.runs[-1].stdout).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    reports = report if isinstance(report, list) else [report]
    total = {"resource_count": 0, "passed": 0, "failed": 0, "parsing_errors": 0}
    for one in reports:
        for name in total:
            total[name] += int(one.get("summary", {}).get(name, 0))
    return total


def _count(resources: Any) -> int:
    """A site's resource count in the report: a number, a list, or a number per mode (the largest)."""
    if isinstance(resources, dict):
        return max((_count(v) for v in resources.values()), default=0)
    if isinstance(resources, list):
        return len(resources)
    return int(resources or 0)


def preflight_summary(result: Result) -> dict[str, int] | None:
    """Sites, resources, failing sites and findings in the last run's ``--format json`` report, and the
    sites whose verdict it says was ``reused`` from the verdict cache (where it has that field); None
    when the output is not that report (``docs/check-format.md``: ``{"sites": [{"resources", ...}]}``)."""
    if not result.ok:
        return None
    try:
        report = json.loads(Path(result.runs[-1].stdout).read_text(encoding="utf-8"))
        sites_ = report["sites"]
        resources = [s.get("resources", 0) for s in sites_]
        summary = {
            "sites": len(sites_),
            "resources": sum(_count(r) for r in resources),
            "failing": sum(1 for s in sites_ if s.get("exitCode", 0) != 0),
            "findings": sum(len(s.get("findings", [])) for s in sites_),
        }
        if any("reused" in s for s in sites_):
            summary["reused"] = sum(1 for s in sites_ if s.get("reused"))
        return summary
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def _fmt(value: float | None, digits: int = 2, suffix: str = "") -> str:
    return "-" if value is None else f"{value:.{digits}f}{suffix}"


def _alignment(headers: Sequence[str]) -> str:
    return "l" + "r" * (len(headers) - 1)


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain aligned table under a rule: first column left, the figures right."""
    return "\n".join(text_table([headers, *rows], align=_alignment(headers), rule=True))


SITE_HEADERS = ("command", "exit", "wall s", "cpu s", "peak MB", "max RSS MB", "wall x", "mem x")


def site_rows(results: Sequence[Result], baseline: Result) -> list[list[str]]:
    """Rows of a one-site table, ratios against ``baseline``."""
    rows = []
    for r in results:
        if not r.ok:
            rows.append([r.label, "-", *(["-"] * (len(SITE_HEADERS) - 2))])
            continue
        wall_x = _ratio(r.median("wall_s"), baseline.median("wall_s")) if baseline.ok else None
        mem_x = _ratio(r.largest("peak_mb"), baseline.largest("peak_mb")) if baseline.ok else None
        rows.append(
            [
                r.label,
                r.exits(),
                _fmt(r.median("wall_s")),
                _fmt(r.median("cpu_s")),
                _fmt(r.largest("peak_mb"), 0),
                _fmt(r.largest("max_rss_mb"), 0),
                _fmt(wall_x, 2, "x"),
                _fmt(mem_x, 2, "x"),
            ]
        )
    return rows


def print_section(title: str, body: str, notes: Iterable[str]) -> None:
    print(f"\n== {title}\n{body}")
    for note in notes:
        print(f"   {note}")
    sys.stdout.flush()


SUMMARY_HEADERS = (
    "run",
    "preflight s",
    "cpu s",
    "peak MB",
    "Checkov s",
    "peak MB",
    "ratio",
    "target",
    "verdict",
)


def summary_rows(rows: Sequence[SummaryRow]) -> list[list[str]]:
    """The summary's cells: preflight's wall, CPU and peak memory, Checkov's wall and peak memory on the
    same sites, preflight's wall as a multiple of Checkov's, the target and whether it was met."""
    cells = []
    for row in rows:
        mine, theirs = row.preflight, row.checkov
        ratio = _ratio(mine.median("wall_s"), theirs.median("wall_s")) if mine.ok and theirs.ok else None
        cells.append(
            [
                row.label,
                _fmt(mine.median("wall_s")) if mine.ok else "-",
                _fmt(mine.median("cpu_s")) if mine.ok else "-",
                _fmt(mine.largest("peak_mb"), 0) if mine.ok else "-",
                _fmt(theirs.median("wall_s")) if theirs.ok else "-",
                _fmt(theirs.largest("peak_mb"), 0) if theirs.ok else "-",
                _fmt(ratio, 2, "x"),
                row.target,
                row.verdict,
            ]
        )
    return cells


def summary_table(rows: Sequence[SummaryRow], *, markdown: bool = False) -> str:
    """The final table, plain or as Markdown (for the README's Performance section)."""
    cells = [list(SUMMARY_HEADERS), *summary_rows(rows)]
    align = "l" + "r" * (len(SUMMARY_HEADERS) - 3) + "ll"
    if markdown:
        return "\n".join(markdown_table(cells, align=align))
    return "\n".join(text_table(cells, align=align, rule=True))


# ----------------------------------------------------------------------------------------------- main


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be comma-separated whole numbers, got {text!r}") from None
    if not sizes or any(not 1 <= s <= sites.MAX_SITES for s in sizes):
        raise argparse.ArgumentTypeError(f"sizes must be 1 to {sites.MAX_SITES}, got {text!r}")
    return sizes


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {text!r}")
    return int(text)


def _interval(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0.01 <= value <= 5:
        raise argparse.ArgumentTypeError(f"must be seconds from 0.01 to 5, got {text!r}")
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python bench/preflight_bench.py",
        description="Wall time and peak memory of the offline preflight check against baselines run alongside.",
    )
    p.add_argument("--sizes", type=_sizes, default=[FLEET_TARGET_SITES], help="fleet sizes (default 100)")
    p.add_argument("--jobs", type=_positive_int, default=2, help="fleet --jobs, and export workers (default 2)")
    p.add_argument(
        "--repeat", type=_positive_int, default=3, help="runs of each one-site command; median wall (default 3)"
    )
    p.add_argument(
        "--fleet-repeat", type=_positive_int, default=1, help="runs of each fleet command, cold and warm (default 1)"
    )
    p.add_argument("--site", default="lausanne", help="the one site of sections 1 and 2 (default lausanne)")
    p.add_argument(
        "--stacks-dir", type=Path, default=ROOT / "stacks", help="where --site's stack file is (default stacks/)"
    )
    p.add_argument("--checkov", default=None, help="Checkov executable (else $CHECKOV, .venv-checkov, PATH)")
    p.add_argument(
        "--sections",
        default="site,fleet",
        help="which sections to run, comma-separated: site, checkov (one site against Checkov on its export), "
        "fleet (default site,fleet)",
    )
    p.add_argument(
        "--timeout", type=_positive_int, default=900, help="kill a measured command after S seconds (default 900)"
    )
    p.add_argument(
        "--sample-interval",
        type=_interval,
        default=SAMPLE_SECONDS,
        help=f"seconds between memory samples (default {SAMPLE_SECONDS:g})",
    )
    p.add_argument("--keep", type=Path, default=None, help="keep generated stacks, exports and outputs in DIR")
    p.add_argument("--json", type=Path, default=None, help="also write the raw figures to FILE")
    p.add_argument(
        "--markdown", type=Path, default=None, help="also write the summary and section tables as Markdown to FILE"
    )
    return p


def section_site(bench: Bench, args: argparse.Namespace) -> dict[str, Any]:
    """One site's check (default modes and --mode update) and plan against the floor of its imports."""
    site, stacks_dir = args.site, args.stacks_dir.resolve()
    title = f"1. one site ({site}) vs its floor"
    progress(f"warm-up, not timed: plan {site} --format json (gives the pulumi_gcp resource classes of the floor)")
    answer = subprocess.run(
        _preflight("plan", site, "--stacks-dir", str(stacks_dir), "--format", "json"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if answer.returncode != 0:
        reason = f"site section skipped: plan {site} failed: {answer.stderr.strip()}"
        print_section(title, "skipped", [reason])
        return {"skipped": reason}
    plan = json.loads(answer.stdout)
    classes = plan_classes(plan)
    floor = floor_command(classes)
    progress("warm-up, not timed: the floor")
    subprocess.run(floor.argv, cwd=ROOT, check=False)
    commands = [
        floor,
        Command(
            "plan",
            f"plan {site} --format json",
            _preflight("plan", site, "--stacks-dir", str(stacks_dir), "--format", "json"),
            ok_exits=(0,),
        ),
        check_command(bench, site, stacks_dir),
        Command(
            "check-update",
            f"check {site} --mode update",
            check_argv(bench, site, stacks_dir, "--mode", "update"),
            needs="check",
        ),
    ]
    results = [bench.run(c) for c in commands]
    baseline, planned, check = results[0], results[1], results[2]
    notes = [
        f"floor classes ({len(classes)}): {', '.join(f'{m}.{c}' for m, c in classes)}; the plan has "
        f"{len(plan['resources'])} resources",
        f"median of {args.repeat} run(s) for wall and cpu, largest of them for memory; ratios against the floor",
    ]
    if not bench.capabilities.get("no-cache"):
        notes.append("check runs with --no-cache: every run checks the site")
    for r in results:
        if r.skipped:
            notes.append(f"{r.label}: skipped: {r.skipped}")
        summary = preflight_summary(r) if r.key.startswith("check") else None
        if summary:
            notes.append(f"{r.label}: {summary['resources']} resources judged, {summary['findings']} finding(s)")
        if r.ok and "1" in r.exits().split(","):
            notes.append(f"{r.label}: exit 1, the check reported a mandatory violation")
    row = SummaryRow(
        f"one site ({site})", check, skipped("checkov-site", "checkov", "not run"), f"≤ {FLOOR_TARGET}x floor"
    )
    ratio = _ratio(check.median("wall_s"), baseline.median("wall_s")) if check.ok and baseline.ok else None
    bench.judge(row, ratio, FLOOR_TARGET, lambda x: f"{x:.2f}x floor")
    notes.append(f"target {check.label} within {FLOOR_TARGET}x the floor: {row.verdict}")
    bench.summary.append(row)
    plan_row = SummaryRow(
        f"plan ({site})", planned, skipped("checkov-plan", "checkov", "not run"), f"≤ {PLAN_TARGET}x floor"
    )
    plan_ratio = _ratio(planned.median("wall_s"), baseline.median("wall_s")) if planned.ok and baseline.ok else None
    bench.judge(plan_row, plan_ratio, PLAN_TARGET, lambda x: f"{x:.2f}x floor")
    bench.summary.append(plan_row)
    bench.section(title, SITE_HEADERS, site_rows(results, baseline), notes)
    return {"site": site, "classes": [f"{m}.{c}" for m, c in classes], "results": [r.as_json() for r in results]}


def section_checkov(bench: Bench, args: argparse.Namespace, checkov: str | None) -> dict[str, Any]:
    """One site's check against Checkov on the site's Terraform-plan export."""
    site, stacks_dir = args.site, args.stacks_dir.resolve()
    title = f"2. one site ({site}) vs Checkov"
    reason = bench.capabilities.get("checkov")
    if reason or checkov is None:
        print_section(title, "skipped", [f"Checkov columns skipped: {reason}"])
        return {"skipped": reason}
    exports = bench.work / "site-tfplan"
    progress(f"export, not timed: plan {site} --format terraform-plan")
    export_terraform_plans([site], stacks_dir, exports, 1)
    export = str(exports / f"{site}.json")
    baseline_command = checkov_command(checkov, "checkov-site", f"checkov -f {site}.json", [export])
    progress("warm-up, not timed: Checkov")
    subprocess.run(baseline_command.argv, cwd=ROOT, capture_output=True, check=False)
    baseline = bench.run(baseline_command)
    check = bench.done.get("check") or bench.run(check_command(bench, site, stacks_dir))
    rows = [row for row in bench.summary if row.preflight is check]
    for row in rows:
        row.checkov = baseline
    if not rows:  # no site section in this run: no floor to judge against
        bench.summary.insert(
            0, SummaryRow(f"one site ({site})", check, baseline, f"≤ {FLOOR_TARGET}x floor", "not measured")
        )
    results = [baseline, check]
    notes = [f"ratios against Checkov; the export is made beforehand and not timed; {bench.checkov_note}"]
    summary = checkov_summary(baseline)
    if summary:
        notes.append(
            f"Checkov scanned {summary['resource_count']} resources: {summary['passed']} checks passed, "
            f"{summary['failed']} failed, {summary['parsing_errors']} parsing errors"
        )
    if check.ok and baseline.ok:
        notes.append(f"{check.label}: {check.median('wall_s') / baseline.median('wall_s'):.2f}x Checkov's time")
    elif check.skipped:
        notes.append(f"{check.label}: skipped: {check.skipped}")
    bench.section(title, SITE_HEADERS, site_rows(results, baseline), notes)
    return {"site": site, "checkovSummary": summary, "results": [r.as_json() for r in results]}


FLEET_HEADERS = (
    "sites",
    "run",
    "checked/failing/reused",
    "resources",
    "preflight s",
    "s/site",
    "cpu s",
    "peak MB",
    "checkov s",
    "cpu s",
    "peak MB",
    "resources",
    "wall x",
    "mem x",
)


def fleet_row(size: int, run: str, fleet: Result, checkov: Result) -> list[str]:
    """A fleet table row: preflight's figures, Checkov's on the same sites, the ratios."""

    def figures(r: Result) -> list[str]:
        if not r.ok:
            return ["-"] * 3
        return [_fmt(r.median("wall_s")), _fmt(r.median("cpu_s")), _fmt(r.largest("peak_mb"), 0)]

    wall = fleet.median("wall_s") if fleet.ok else None
    wall_x = mem_x = None
    if wall is not None and checkov.ok:
        wall_x = wall / checkov.median("wall_s")
        mem_x = _ratio(fleet.largest("peak_mb"), checkov.largest("peak_mb"))
    summary = checkov_summary(checkov)
    checked = preflight_summary(fleet)
    counts = "-"
    if checked:
        counts = f"{checked['sites']}/{checked['failing']}/{checked.get('reused', '-')}"
    mine = figures(fleet)
    return [
        str(size),
        run,
        counts,
        str(checked["resources"]) if checked else "-",
        mine[0],
        _fmt(wall / size if wall is not None else None, 3),
        *mine[1:],
        *figures(checkov),
        str(summary["resource_count"]) if summary else "-",
        _fmt(wall_x, 2, "x"),
        _fmt(mem_x, 2, "x"),
    ]


def _fresh(directory: Path) -> Callable[[], None]:
    """Empties ``directory`` (the cold fleet's verdict cache) before each run."""

    def empty() -> None:
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)

    return empty


def fleet_targets(bench: Bench, size: int, cold: Result, warm: Result, checkov: Result) -> None:
    """The summary rows of one fleet size, judged: cold against one Checkov call, warm in seconds."""
    cold_row = SummaryRow(f"{size} sites cold", cold, checkov, f"≤ {COLD_TARGET_CHECKOV}x Checkov")
    ratio = _ratio(cold.median("wall_s"), checkov.median("wall_s")) if cold.ok and checkov.ok else None
    bench.judge(cold_row, ratio, COLD_TARGET_CHECKOV, lambda x: f"{x:.2f}x Checkov")
    warm_row = SummaryRow(f"{size} sites warm", warm, checkov, f"≤ {WARM_TARGET_SECONDS:g} s")
    bench.judge(warm_row, warm.median("wall_s") if warm.ok else None, WARM_TARGET_SECONDS, lambda x: f"{x:.1f} s")
    bench.summary += [cold_row, warm_row]


def section_fleet(bench: Bench, args: argparse.Namespace, checkov: str | None) -> dict[str, Any]:
    """``fleet`` over generated sites, cold then warm, against one Checkov run over the same sites' exports."""
    largest = max(args.sizes)
    root = bench.work / "fleet"
    progress(f"generating {largest} sites (bench/sites.py), each verified with preflight.engine.stacks.load_file")
    names = [s.name for s in sites.generate(largest, root / "all-stacks")]
    if not bench.capabilities.get("checkov") and checkov:
        progress(f"export, not timed: {largest} terraform-plan exports with {args.jobs} workers")
        export_terraform_plans(names, root / "all-stacks", root / "all-tfplan", args.jobs)
    cache = not bench.capabilities.get("cache")
    rows, raw = [], []
    for size in args.sizes:
        stacks_dir, exports = root / f"{size}" / "stacks", root / f"{size}" / "tfplan"
        for directory, source, suffix in ((stacks_dir, "all-stacks", ".yaml"), (exports, "all-tfplan", ".json")):
            directory.mkdir(parents=True, exist_ok=True)
            for name in names[:size]:
                file = root / source / (f"Pulumi.{name}.yaml" if suffix == ".yaml" else f"{name}.json")
                if file.is_file():
                    shutil.copy2(file, directory / file.name)
        cache_dir = root / f"{size}" / "cache"
        argv = _preflight(
            "fleet", "--stacks-dir", str(stacks_dir), "--jobs", str(args.jobs), "--format", "json", "--no-progress"
        )
        cold = bench.run(
            Command(
                f"fleet-{size}-cold",
                f"fleet {size} sites, cold",
                [*argv, "--cache-dir", str(cache_dir)] if cache else argv,
                needs="fleet",
                prepare=_fresh(cache_dir) if cache else None,
            ),
            repeat=args.fleet_repeat,
        )
        warm_command = Command(
            f"fleet-{size}-warm", f"fleet {size} sites, warm", [*argv, "--cache-dir", str(cache_dir)], needs="cache"
        )
        if cold.ok or bench.capabilities.get("cache"):
            warm = bench.run(warm_command, repeat=args.fleet_repeat)
        else:
            warm = skipped(warm_command.key, warm_command.label, "the cold run failed")
        scan = (
            bench.run(
                checkov_command(checkov, f"checkov-fleet-{size}", f"checkov -d ({size} exports)", [str(exports)]),
                repeat=args.fleet_repeat,
            )
            if checkov
            else skipped(f"checkov-fleet-{size}", "checkov", bench.capabilities.get("checkov") or "no Checkov")
        )
        rows += [fleet_row(size, "cold", cold, scan), fleet_row(size, "warm", warm, scan)]
        raw.append({"sites": size, "cold": cold.as_json(), "warm": warm.as_json(), "checkov": scan.as_json()})
        fleet_targets(bench, size, cold, warm, scan)
    notes = [
        f"preflight: fleet --stacks-dir DIR --jobs {args.jobs} --format json --no-progress (every mode, the default) "
        "over generated sites (bench/sites.py: lausanne and utrecht alternately)",
        "cold: --cache-dir of an empty directory (emptied before each run); warm: the same command again, "
        "nothing changed"
        if cache
        else f"cold: no --cache-dir; warm: not measured, {NO_CACHE}",
        "checkov: ONE call, -d over the folder of the same sites' Terraform-plan exports; exports made beforehand, "
        "not timed",
        f"median of {args.fleet_repeat} run(s) per size; wall x and mem x (peak MB) are preflight / Checkov",
        "checked/failing/reused: sites in fleet's JSON report, sites with a nonzero exit, sites whose verdict "
        "it says was reused from the cache (- without that field); resources: judged by preflight (the largest "
        "mode per site), by Checkov",
    ]
    skips: dict[tuple[str, str], list[str]] = {}
    for entry in raw:
        for tool in ("cold", "warm", "checkov"):
            if entry[tool]["skipped"]:
                skips.setdefault((tool, entry[tool]["skipped"]), []).append(str(entry["sites"]))
    notes += [f"{tool} skipped ({', '.join(sizes)} sites): {reason}" for (tool, reason), sizes in skips.items()]
    bench.section(f"3. fleet (--jobs {args.jobs}), cold and warm, vs Checkov", FLEET_HEADERS, rows, notes)
    return {"sizes": raw}


def _git(*args: str) -> str:
    answer = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S607
    return answer.stdout.strip()


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    unknown = set(args.sections.split(",")) - {"site", "checkov", "fleet"}
    if unknown:
        parser().error(f"--sections: unknown {', '.join(sorted(unknown))}; accepted: site, checkov, fleet")
    if os.environ.pop("PYTHONDONTWRITEBYTECODE", None) is not None:
        # Without .pyc files every run would compile the repository's modules again; an installed tool
        # writes them on its first run (here: the warm-up), so the measured runs load them.
        progress("PYTHONDONTWRITEBYTECODE is unset for the measured commands, so the warm-up leaves .pyc files")
    for name in CACHE_ENVIRONMENT:
        if os.environ.pop(name, None) is not None:
            # The cold and warm runs choose their cache with options; these would override or disable it.
            progress(f"{name} is unset for the measured commands: the benchmark chooses the verdict cache")
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        return run(args, args.keep.resolve())
    with tempfile.TemporaryDirectory(prefix="preflight-bench-") as work:
        return run(args, Path(work))


def warm_up(bench: Bench, args: argparse.Namespace) -> None:
    """One unmeasured ``check`` (or ``plan``) of the site: fills the file cache and writes the .pyc files."""
    stacks_dir = args.stacks_dir.resolve()
    if bench.capabilities.get("check"):
        argv = _preflight("plan", args.site, "--stacks-dir", str(stacks_dir), "--format", "json")
    else:
        argv = check_argv(bench, args.site, stacks_dir)
    progress(f"warm-up, not timed: {argv[3]} {args.site}")
    subprocess.run(argv, cwd=ROOT, capture_output=True, check=False)


def print_verdict(bench: Bench) -> None:
    """The summary table, the warnings, then every missed target (or that all were met, or none measured)."""
    if bench.summary:
        notes = [
            f"peak MB: the largest summed {MEMORY_KIND} of the command's process tree; ratio: preflight's wall "
            "time / Checkov's on the same sites",
        ]
        if bench.capabilities.get("cache") and any(row.label.endswith(" warm") for row in bench.summary):
            notes.append(f"warm rows not measured: {bench.capabilities['cache']}")
        print_section("summary", summary_table(bench.summary), notes)
    print()
    for line in bench.warnings:
        print(f"warning: {line}")
    if bench.missed:
        for line in bench.missed:
            print(f"target missed: {line}")
    elif bench.evaluated:
        print(f"targets: all {bench.evaluated} measured targets met")
    else:
        print("targets: none could be measured on this branch (see 'not measured' above)")


def markdown(bench: Bench, heading: str) -> str:
    """The summary table, then each section's table, as Markdown (``--markdown``)."""
    parts = [heading, "", summary_table(bench.summary, markdown=True)]
    for title, headers, rows in bench.tables:
        parts += ["", f"**{title}**", "", "\n".join(markdown_table([headers, *rows], align=_alignment(headers)))]
    return "\n".join(parts) + "\n"


def run(args: argparse.Namespace, work: Path) -> int:
    """Measure the wanted sections in ``work``; always 0 (a measurement, not a test)."""
    checkov, checkov_note = find_checkov(args.checkov)
    found = capabilities(checkov, checkov_note)
    bench = Bench(work, found, args.repeat, args.timeout, args.sample_interval)
    version = ""
    if checkov:
        answer = subprocess.run([checkov, "--version"], capture_output=True, text=True, check=False)
        version = answer.stdout.strip()
        checkov_note = f"{checkov_note} (version {version})"
    bench.checkov_note = checkov_note
    meta = {
        "commit": _git("rev-parse", "HEAD"),
        "branch": _git("rev-parse", "--abbrev-ref", "HEAD"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "psutil": psutil.__version__,
        "memory": MEMORY_KIND,
        "checkov": checkov,
        "checkovVersion": version or None,
        "capabilities": found,
        "options": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "loadAverageAtStart": os.getloadavg(),
    }
    commit = str(meta["commit"])[:10]
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    heading = (
        f"preflight benchmark: {meta['branch']} {commit}, Python {meta['python']}, {meta['cpus']} CPUs, load {load}"
    )
    print(heading)
    print(checkov_note)
    for name, reason in found.items():
        if reason:
            print(f"not measured: {name}: {reason}")
    warm_up(bench, args)
    sections: dict[str, Any] = {}
    wanted = args.sections.split(",")
    if "site" in wanted:
        sections["site"] = section_site(bench, args)
    if "checkov" in wanted:
        sections["checkov"] = section_checkov(bench, args, checkov)
    if "fleet" in wanted:
        sections["fleet"] = section_fleet(bench, args, checkov)
    print_verdict(bench)
    meta["loadAverageAtEnd"] = os.getloadavg()
    if args.json:
        document = {
            "format": "imaging-landing-zone/bench@2",
            "meta": meta,
            "sections": sections,
            "summary": [
                {
                    "row": row.label,
                    "preflight": row.preflight.as_json()["summary"],
                    "checkov": row.checkov.as_json()["summary"],
                    "target": row.target,
                    "verdict": row.verdict,
                }
                for row in bench.summary
            ],
            "missed": bench.missed,
            "warnings": bench.warnings,
        }
        args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        progress(f"raw figures written to {args.json}")
    if args.markdown:
        version_note = f"Checkov {version}" if version else "no Checkov"
        args.markdown.write_text(markdown(bench, f"{heading}; {version_note}"), encoding="utf-8")
        progress(f"Markdown tables written to {args.markdown}")
    if args.keep:
        progress(f"work files kept in {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
