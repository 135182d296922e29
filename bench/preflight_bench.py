"""Benchmark of the offline preflight check: wall time, CPU and peak memory, against baselines run alongside.

    python bench/preflight_bench.py [--sizes 1,10,50,100] [--jobs 2] [--repeat N] [--keep DIR] [--json FILE]

Three sections, each a plain table on stdout (progress goes to stderr):

1. ``site``: one site's ``check`` (update and preview mode) and ``plan`` against its floor, a bare
   ``python -c`` that only imports ``pulumi`` and forces every ``pulumi_gcp`` module the site's plan
   uses. Target: check within 1.5x its floor.
2. ``checkov``: the same site's ``check`` against Checkov on the site's Terraform-plan export.
   Target: faster than Checkov.
3. ``fleet``: ``fleet --jobs N`` over 1, 10, 50, 100 generated sites (``bench/sites.py``) against ONE
   Checkov run over the same sites' exports (exported beforehand, not timed). Targets: 100 sites
   within 30 s, faster than Checkov.

Every measured command is one ``Command`` entry in a list; a command the branch does not have yet
(``check``, ``fleet``, ``plan --format terraform-plan``) or a missing Checkov is skipped with a note.
Ratios are always against a baseline measured in the same invocation. The script exits 0 when the
measurements ran, whether or not the targets are met (it prints ``target missed``); 2 on bad options.

Memory, per measured process tree (see bench/README.md):

- ``peak MB``: ``ru_maxrss`` from ``os.wait4`` of the command: the largest resident set of any ONE
  process in its tree (the command and the children it waited for, such as the policy pack). Exact.
- ``main MB`` / ``child MB``: the peak resident set (``VmHWM``) of the command's own process and of
  its largest descendant, read from ``/proc`` every 50 ms (a lower bound: growth in the last 50 ms
  before a process exits is missed).
- ``tree MB``: the largest sum of resident sets of every live process of the tree at one sample
  (50 ms). Pages shared between processes (forked workers, libraries) count once per process.
- ``PSS MB``: the largest sum of proportional set sizes of the tree (every 500 ms): shared pages
  divided among the processes that share them, so the memory the command needs at once. The ratios
  (``mem x``) use it. Sampled, so a spike shorter than 500 ms can be missed.
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
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import sites  # noqa: E402
from preflight.tables import text_table  # noqa: E402

SAMPLE_SECONDS = 0.05
PSS_EVERY = 10
"""Read the proportional set sizes every 10th sample (500 ms): smaps_rollup costs milliseconds per process."""
FLOOR_TARGET = 1.5
FLEET_TARGET_SITES, FLEET_TARGET_SECONDS = 100, 30.0
OK_EXITS = (0, 1)
"""``check``, ``fleet`` and Checkov exit 1 on a finding: the run itself succeeded."""


# ---------------------------------------------------------------------------------------------- measuring


def _update_parents(parents: dict[int, int]) -> None:
    """Bring ``parents`` (pid to parent pid) up to date with /proc; only new processes' stat is read."""
    live = {int(name) for name in os.listdir("/proc") if name.isdigit()}
    for pid in set(parents) - live:
        del parents[pid]
    for pid in live - set(parents):
        try:
            with open(f"/proc/{pid}/stat", "rb") as stat:
                text = stat.read()
        except OSError:
            continue
        parents[pid] = int(text[text.rfind(b")") + 2 :].split()[1])


def _pss_kb(pid: int) -> int:
    """The proportional set size of ``pid`` in kB (shared pages divided among their users); 0 if gone."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as rollup:
            for line in rollup:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _memory_kb(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of ``pid`` in kB; zeros for a process that is gone or a zombie."""
    rss = hwm = 0
    try:
        with open(f"/proc/{pid}/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmRSS:"):
                    rss = int(line.split()[1])
                elif line.startswith(b"VmHWM:"):
                    hwm = int(line.split()[1])
    except OSError:
        pass
    return rss, hwm


class TreeSampler(threading.Thread):
    """Polls the process tree under ``root``: per-process peak RSS and the largest sum of live RSS."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.hwm_kb: dict[int, int] = {}
        self.tree_kb = 0
        self.pss_kb = 0
        self.cpu_s = 0.0
        """CPU time the sampling itself used (its share of the machine while measuring)."""
        self._samples = 0
        self._parents: dict[int, int] = {}
        self._done = threading.Event()

    def run(self) -> None:
        start = time.thread_time()
        while not self._done.is_set():
            self.sample()
            self._done.wait(SAMPLE_SECONDS)
        self.cpu_s = time.thread_time() - start

    def sample(self) -> None:
        _update_parents(self._parents)
        children: dict[int, list[int]] = {}
        for pid, parent in self._parents.items():
            children.setdefault(parent, []).append(pid)
        tree, todo, total = [], [self.root], 0
        while todo:
            pid = todo.pop()
            tree.append(pid)
            todo.extend(children.get(pid, []))
        for pid in tree:
            rss, hwm = _memory_kb(pid)
            total += rss
            self.hwm_kb[pid] = max(self.hwm_kb.get(pid, 0), hwm)
        self.tree_kb = max(self.tree_kb, total)
        if self._samples % PSS_EVERY == 0:
            self.pss_kb = max(self.pss_kb, sum(_pss_kb(pid) for pid in tree))
        self._samples += 1

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
    main_mb: float
    child_mb: float
    tree_mb: float
    pss_mb: float
    sampler_cpu_s: float
    processes: int
    stdout: str
    stderr_tail: str = ""


def _kill_group(pgid: int) -> bool:
    """SIGKILL every process of the group the measured command leads; whether there were any."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        return False
    return True


def measure(
    argv: Sequence[str], *, stdout: Path, env: dict[str, str] | None = None, timeout: float | None = None
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
        sampler = TreeSampler(process.pid)
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
    others = [kb for pid, kb in sampler.hwm_kb.items() if pid != process.pid]
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
        peak_mb=usage.ru_maxrss / 1024,
        main_mb=sampler.hwm_kb.get(process.pid, 0) / 1024,
        child_mb=max(others, default=0) / 1024,
        tree_mb=sampler.tree_kb / 1024,
        pss_mb=sampler.pss_kb / 1024,
        sampler_cpu_s=sampler.cpu_s,
        processes=len(sampler.hwm_kb),
        stdout=str(stdout),
        stderr_tail=tail,
    )


@dataclass
class Command:
    """One measured command: its label, argv and the capability it needs (None: always available)."""

    key: str
    label: str
    argv: list[str]
    needs: str | None = None
    ok_exits: tuple[int, ...] = OK_EXITS
    env: dict[str, str] | None = None


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
        return statistics.median(getattr(r, name) for r in self.runs)

    def largest(self, name: str) -> float:
        return max(getattr(r, name) for r in self.runs)

    def exits(self) -> str:
        return ",".join(sorted({str(r.exit) for r in self.runs}))

    def as_json(self) -> dict[str, Any]:
        summary = (
            {
                "wallSeconds": self.median("wall_s"),
                "cpuSeconds": self.median("cpu_s"),
                **{f"{n}MB": self.largest(f"{n}_mb") for n in ("peak", "main", "child", "tree", "pss")},
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


def progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


class Bench:
    """The measuring session: capabilities of this branch, the work directory, the repeat count."""

    def __init__(self, work: Path, capabilities: dict[str, str | None], repeat: int, timeout: float) -> None:
        self.work = work
        self.timeout = timeout
        self.capabilities = capabilities
        """Capability to None (available) or the reason it is not."""
        self.repeat = repeat
        self.notes: list[str] = []
        self.missed: list[str] = []
        self.warnings: list[str] = []
        self.done: dict[str, Result] = {}
        """Results by command key, so a later section can reuse a measurement."""
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
            progress(f"{command.label} ({i + 1}/{count})")
            stdout = self.work / "out" / f"{command.key}.{i}.out"
            stdout.parent.mkdir(parents=True, exist_ok=True)
            run = measure(command.argv, stdout=stdout, env=command.env, timeout=self.timeout)
            result.runs.append(run)
            if run.stderr_tail.startswith("left processes"):
                self.warnings.append(f"{command.label}: {run.stderr_tail}")
            if run.exit not in command.ok_exits or run.stderr_tail.startswith("timed out"):
                result.skipped = f"failed: exit {run.exit}: {run.stderr_tail}"
                progress(f"{command.label} {result.skipped}")
                break
        self.done[command.key] = result
        return result


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
    """What this branch and machine can run: ``check``, ``fleet``, the Terraform-plan export, Checkov."""

    def helps(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(_preflight(*args, "--help"), cwd=ROOT, capture_output=True, text=True, check=False)

    found: dict[str, str | None] = {}
    for command in ("check", "fleet"):
        answer = helps(command)
        found[command] = None if answer.returncode == 0 else f"`python -m preflight {command}` not on this branch"
    plan_help = helps("plan").stdout
    found["tfplan"] = (
        None if "terraform-plan" in plan_help else "`plan --format terraform-plan` not on this branch (merge tfplan)"
    )
    found["checkov"] = None if checkov else checkov_reason
    if found["tfplan"] and not found["checkov"]:
        found["checkov"] = found["tfplan"]
    return found


# ------------------------------------------------------------------------------------------- the sections


def plan_modules(plan: dict[str, Any]) -> list[str]:
    """The distinct ``pulumi_gcp`` modules of a plan's type tokens (``gcp:<module>/<type>:<Type>``)."""
    return sorted({r["type"].split(":")[1].split("/")[0] for r in plan["resources"] if r["type"].startswith("gcp:")})


def floor_command(modules: Iterable[str]) -> Command:
    """A bare interpreter that imports pulumi and forces the given (lazy) pulumi_gcp modules to load."""
    names = sorted(modules)
    code = f"import pulumi, pulumi_gcp as g\nfor m in {names!r}:\n    getattr(g, m)._utilities\n"
    return Command(
        "floor",
        f"floor: import pulumi + {len(names)} pulumi_gcp modules",
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
    """Sites, resources, failing sites and findings in the last run's ``--format json`` report, or None
    when the output is not that report (``docs/check-format.md``: ``{"sites": [{"resources", ...}]}``)."""
    if not result.ok:
        return None
    try:
        report = json.loads(Path(result.runs[-1].stdout).read_text(encoding="utf-8"))
        sites_ = report["sites"]
        resources = [s.get("resources", 0) for s in sites_]
        return {
            "sites": len(sites_),
            "resources": sum(_count(r) for r in resources),
            "failing": sum(1 for s in sites_ if s.get("exitCode", 0) != 0),
            "findings": sum(len(s.get("findings", [])) for s in sites_),
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def _fmt(value: float | None, digits: int = 2, suffix: str = "") -> str:
    return "-" if value is None else f"{value:.{digits}f}{suffix}"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain aligned table under a rule: first column left, the figures right."""
    return "\n".join(text_table([headers, *rows], align="l" + "r" * (len(headers) - 1), rule=True))


SITE_HEADERS = (
    "command",
    "exit",
    "wall s",
    "cpu s",
    "peak MB",
    "main MB",
    "child MB",
    "tree MB",
    "PSS MB",
    "wall x",
    "mem x",
)


def site_rows(results: Sequence[Result], baseline: Result) -> list[list[str]]:
    """Rows of a one-site table, ratios against ``baseline``."""
    rows = []
    for r in results:
        if not r.ok:
            rows.append([r.label, "-", *(["-"] * (len(SITE_HEADERS) - 2))])
            continue
        wall_x = _ratio(r.median("wall_s"), baseline.median("wall_s")) if baseline.ok else None
        mem_x = _ratio(r.largest("pss_mb"), baseline.largest("pss_mb")) if baseline.ok else None
        rows.append(
            [
                r.label,
                r.exits(),
                _fmt(r.median("wall_s")),
                _fmt(r.median("cpu_s")),
                _fmt(r.largest("peak_mb"), 0),
                _fmt(r.largest("main_mb"), 0),
                _fmt(r.largest("child_mb"), 0),
                _fmt(r.largest("tree_mb"), 0),
                _fmt(r.largest("pss_mb"), 0),
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


# ----------------------------------------------------------------------------------------------- main


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be comma-separated whole numbers, got {text!r}") from None
    if any(not 1 <= s <= sites.MAX_SITES for s in sizes):
        raise argparse.ArgumentTypeError(f"sizes must be 1 to {sites.MAX_SITES}, got {text!r}")
    return sizes


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {text!r}")
    return int(text)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python bench/preflight_bench.py",
        description="Wall time and peak memory of the offline preflight check against baselines run alongside.",
    )
    p.add_argument("--sizes", type=_sizes, default=[1, 10, 50, 100], help="fleet sizes (default 1,10,50,100)")
    p.add_argument("--jobs", type=_positive_int, default=2, help="fleet --jobs, and export workers (default 2)")
    p.add_argument(
        "--repeat", type=_positive_int, default=3, help="runs of each one-site command; median wall (default 3)"
    )
    p.add_argument("--fleet-repeat", type=_positive_int, default=1, help="runs of each fleet command (default 1)")
    p.add_argument("--site", default="lausanne", help="the one site of sections 1 and 2 (default lausanne)")
    p.add_argument(
        "--stacks-dir", type=Path, default=ROOT / "stacks", help="where --site's stack file is (default stacks/)"
    )
    p.add_argument("--checkov", default=None, help="Checkov executable (else $CHECKOV, .venv-checkov, PATH)")
    p.add_argument(
        "--sections",
        default="site,checkov,fleet",
        help="which sections to run, comma-separated (default site,checkov,fleet)",
    )
    p.add_argument(
        "--timeout", type=_positive_int, default=900, help="kill a measured command after S seconds (default 900)"
    )
    p.add_argument("--keep", type=Path, default=None, help="keep generated stacks, exports and outputs in DIR")
    p.add_argument("--json", type=Path, default=None, help="also write the raw figures to FILE")
    return p


def section_site(bench: Bench, args: argparse.Namespace) -> dict[str, Any]:
    """One site's check and plan against the floor of its imports."""
    site, stacks_dir = args.site, str(args.stacks_dir.resolve())
    progress(f"warm-up, not timed: plan {site} --format json (gives the pulumi_gcp modules of the floor)")
    answer = subprocess.run(
        _preflight("plan", site, "--stacks-dir", stacks_dir, "--format", "json"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if answer.returncode != 0:
        bench.notes.append(f"site section skipped: plan {site} failed: {answer.stderr.strip()}")
        print_section(f"1. one site ({site}) vs its floor", "skipped", bench.notes[-1:])
        return {"skipped": bench.notes[-1]}
    plan = json.loads(answer.stdout)
    modules = plan_modules(plan)
    floor = floor_command(modules)
    progress("warm-up, not timed: the floor")
    subprocess.run(floor.argv, cwd=ROOT, check=False)
    where = ["--stacks-dir", stacks_dir]
    commands = [
        floor,
        Command(
            "plan-update",
            f"plan {site} --format json",
            _preflight("plan", site, *where, "--format", "json"),
            ok_exits=(0,),
        ),
        *(
            Command(
                f"check-{mode}",
                f"check {site} --mode {mode}",
                _preflight("check", site, *where, "--mode", mode, "--format", "json"),
                needs="check",
            )
            for mode in ("update", "preview")
        ),
    ]
    results = [bench.run(c) for c in commands]
    baseline = results[0]
    notes = [
        f"floor modules ({len(modules)}): {', '.join(modules)}; the plan has {len(plan['resources'])} resources",
        f"median of {args.repeat} run(s) for wall and cpu, largest of them for memory; ratios against the floor",
    ]
    for r in results:
        if r.skipped:
            notes.append(f"{r.label}: skipped: {r.skipped}")
        elif r.key.startswith("check-") and baseline.ok:
            ratio = r.median("wall_s") / baseline.median("wall_s")
            verdict = "met" if ratio <= FLOOR_TARGET else "target missed"
            bench.evaluated += 1
            notes.append(f"target {r.label} within {FLOOR_TARGET}x the floor: {verdict} ({ratio:.2f}x)")
            if verdict != "met":
                bench.missed.append(f"{r.label}: {ratio:.2f}x its floor (target {FLOOR_TARGET}x)")
        summary = preflight_summary(r) if r.key.startswith("check-") else None
        if summary:
            notes.append(f"{r.label}: {summary['resources']} resources judged, {summary['findings']} finding(s)")
        if r.ok and "1" in r.exits().split(","):
            notes.append(f"{r.label}: exit 1, the check reported a mandatory violation")
    print_section(f"1. one site ({site}) vs its floor", table(SITE_HEADERS, site_rows(results, baseline)), notes)
    return {"site": site, "modules": modules, "results": [r.as_json() for r in results]}


def section_checkov(bench: Bench, args: argparse.Namespace, checkov: str | None) -> dict[str, Any]:
    """One site's check against Checkov on the site's Terraform-plan export."""
    site, stacks_dir = args.site, args.stacks_dir.resolve()
    title = f"2. one site ({site}) vs Checkov"
    reason = bench.capabilities.get("checkov")
    if reason or checkov is None:
        bench.notes.append(f"Checkov columns skipped: {reason}")
        print_section(title, "skipped", bench.notes[-1:])
        return {"skipped": reason}
    exports = bench.work / "site-tfplan"
    progress(f"export, not timed: plan {site} --format terraform-plan")
    export_terraform_plans([site], stacks_dir, exports, 1)
    export = str(exports / f"{site}.json")
    baseline_command = checkov_command(checkov, "checkov-site", f"checkov -f {site}.json", [export])
    progress("warm-up, not timed: Checkov")
    subprocess.run(baseline_command.argv, cwd=ROOT, capture_output=True, check=False)
    baseline = bench.run(baseline_command)
    check = bench.done.get("check-update") or bench.run(
        Command(
            "check-update",
            f"check {site} --mode update",
            _preflight("check", site, "--stacks-dir", str(stacks_dir), "--mode", "update", "--format", "json"),
            needs="check",
        )
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
        ratio = check.median("wall_s") / baseline.median("wall_s")
        verdict = "met" if ratio < 1 else "target missed"
        bench.evaluated += 1
        notes.append(f"target {check.label} faster than Checkov: {verdict} ({ratio:.2f}x)")
        if verdict != "met":
            bench.missed.append(f"{check.label}: {ratio:.2f}x Checkov's time on the same site (target below 1x)")
    elif check.skipped:
        notes.append(f"{check.label}: skipped: {check.skipped}")
    print_section(title, table(SITE_HEADERS, site_rows(results, baseline)), notes)
    return {"site": site, "checkovSummary": summary, "results": [r.as_json() for r in results]}


FLEET_HEADERS = (
    "sites",
    "checked/failing/resources",
    "preflight s",
    "s/site",
    "cpu s",
    "peak MB",
    "PSS MB",
    "checkov s",
    "cpu s",
    "peak MB",
    "PSS MB",
    "resources",
    "wall x",
    "mem x",
    "targets",
)


def _fleet_row(size: int, fleet: Result, checkov: Result) -> tuple[list[str], list[str], int]:
    """A fleet table row, the targets it misses and how many targets it could judge."""
    missed, verdicts = [], []

    def figures(r: Result) -> list[str]:
        if not r.ok:
            return ["-"] * 4
        return [
            _fmt(r.median("wall_s")),
            _fmt(r.median("cpu_s")),
            _fmt(r.largest("peak_mb"), 0),
            _fmt(r.largest("pss_mb"), 0),
        ]

    wall = fleet.median("wall_s") if fleet.ok else None
    if wall is not None and size == FLEET_TARGET_SITES:
        ok = wall <= FLEET_TARGET_SECONDS
        verdicts.append(f"{FLEET_TARGET_SECONDS:.0f}s " + ("met" if ok else "MISSED"))
        if not ok:
            missed.append(f"fleet of {size} sites took {wall:.1f} s (target {FLEET_TARGET_SECONDS:.0f} s)")
    wall_x = mem_x = None
    if wall is not None and checkov.ok:
        wall_x = wall / checkov.median("wall_s")
        mem_x = _ratio(fleet.largest("pss_mb"), checkov.largest("pss_mb"))
        verdicts.append("vs checkov " + ("met" if wall_x < 1 else "MISSED"))
        if wall_x >= 1:
            missed.append(f"fleet of {size} sites: {wall_x:.2f}x Checkov's time (target below 1x)")
    summary = checkov_summary(checkov)
    mine = figures(fleet)
    checked = preflight_summary(fleet)
    row = [
        str(size),
        f"{checked['sites']}/{checked['failing']}/{checked['resources']}" if checked else "-",
        mine[0],
        _fmt(wall / size if wall is not None else None),
        *mine[1:],
        *figures(checkov),
        str(summary["resource_count"]) if summary else "-",
        _fmt(wall_x, 2, "x"),
        _fmt(mem_x, 2, "x"),
        ", ".join(verdicts) or "-",
    ]
    return row, missed, len(verdicts)


def section_fleet(bench: Bench, args: argparse.Namespace, checkov: str | None) -> dict[str, Any]:
    """``fleet`` over generated sites against one Checkov run over the same sites' exports."""
    largest = max(args.sizes)
    root = bench.work / "fleet"
    progress(f"generating {largest} sites (bench/sites.py), each verified with preflight.stacks.load_file")
    names = [s.name for s in sites.generate(largest, root / "all-stacks")]
    if not bench.capabilities.get("checkov") and checkov:
        progress(f"export, not timed: {largest} terraform-plan exports with {args.jobs} workers")
        export_terraform_plans(names, root / "all-stacks", root / "all-tfplan", args.jobs)
    rows, raw = [], []
    for size in args.sizes:
        stacks_dir, exports = root / f"{size}" / "stacks", root / f"{size}" / "tfplan"
        for directory, source, suffix in ((stacks_dir, "all-stacks", ".yaml"), (exports, "all-tfplan", ".json")):
            directory.mkdir(parents=True, exist_ok=True)
            for name in names[:size]:
                file = root / source / (f"Pulumi.{name}.yaml" if suffix == ".yaml" else f"{name}.json")
                if file.is_file():
                    shutil.copy2(file, directory / file.name)
        fleet = bench.run(
            Command(
                f"fleet-{size}",
                f"fleet {size} sites",
                _preflight(
                    "fleet",
                    "--stacks-dir",
                    str(stacks_dir),
                    "--jobs",
                    str(args.jobs),
                    "--mode",
                    "update",
                    "--format",
                    "json",
                    "--no-progress",
                ),
                needs="fleet",
            ),
            repeat=args.fleet_repeat,
        )
        scan = (
            bench.run(
                checkov_command(checkov, f"checkov-fleet-{size}", f"checkov -d ({size} exports)", [str(exports)]),
                repeat=args.fleet_repeat,
            )
            if checkov
            else Result(
                f"checkov-fleet-{size}", "checkov", [], skipped=bench.capabilities.get("checkov") or "no Checkov"
            )
        )
        row, missed, evaluated = _fleet_row(size, fleet, scan)
        bench.evaluated += evaluated
        rows.append(row)
        bench.missed.extend(missed)
        raw.append({"sites": size, "fleet": fleet.as_json(), "checkov": scan.as_json()})
    notes = [
        f"preflight: fleet --jobs {args.jobs} --mode update --format json --no-progress over generated sites "
        "(bench/sites.py: lausanne and utrecht alternately)",
        "checkov: ONE run, -d over the same sites' Terraform-plan exports; exports made beforehand, not timed",
        f"median of {args.fleet_repeat} run(s) per size; wall x and mem x (PSS) are preflight / Checkov",
        "checked/failing/resources: sites in fleet's JSON report, sites with a nonzero exit, resources judged; "
        "resources: Checkov's own count",
        f"targets: {FLEET_TARGET_SITES} sites within {FLEET_TARGET_SECONDS:.0f} s; faster than Checkov",
    ]
    skips: dict[tuple[str, str], list[str]] = {}
    for entry in raw:
        for tool in ("fleet", "checkov"):
            if entry[tool]["skipped"]:
                skips.setdefault((tool, entry[tool]["skipped"]), []).append(str(entry["sites"]))
    notes += [f"{tool} skipped ({', '.join(sizes)} sites): {reason}" for (tool, reason), sizes in skips.items()]
    notes += [f"target missed: {m}" for m in bench.missed if "fleet of" in m]
    print_section(f"3. fleet (--jobs {args.jobs}) vs Checkov", table(FLEET_HEADERS, rows), notes)
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
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        return run(args, args.keep.resolve())
    with tempfile.TemporaryDirectory(prefix="preflight-bench-") as work:
        return run(args, Path(work))


def warm_up(bench: Bench, args: argparse.Namespace) -> None:
    """One unmeasured ``check`` (or ``plan``) of the site: fills the file cache and writes the .pyc files."""
    where = ["--stacks-dir", str(args.stacks_dir.resolve())]
    if bench.capabilities.get("check"):
        argv = _preflight("plan", args.site, *where, "--format", "json")
    else:
        argv = _preflight("check", args.site, *where, "--mode", "both", "--format", "json")
    progress(f"warm-up, not timed: {argv[3]} {args.site}")
    subprocess.run(argv, cwd=ROOT, capture_output=True, check=False)


def print_verdict(bench: Bench) -> None:
    """The warnings, then every missed target (or that all were met, or that none could be measured)."""
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


def run(args: argparse.Namespace, work: Path) -> int:
    """Measure the wanted sections in ``work``; always 0 (a measurement, not a test)."""
    checkov, checkov_note = find_checkov(args.checkov)
    found = capabilities(checkov, checkov_note)
    bench = Bench(work, found, args.repeat, args.timeout)
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
        "checkov": checkov,
        "checkovVersion": version or None,
        "capabilities": found,
        "options": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "loadAverageAtStart": os.getloadavg(),
    }
    commit = str(meta["commit"])[:10]
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"preflight benchmark: {meta['branch']} {commit}, Python {meta['python']}, {meta['cpus']} CPUs, load {load}")
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
            "format": "imaging-landing-zone/bench@1",
            "meta": meta,
            "sections": sections,
            "missed": bench.missed,
            "warnings": bench.warnings,
        }
        args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        progress(f"raw figures written to {args.json}")
    if args.keep:
        progress(f"work files kept in {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
