"""What a pip user gets: the wheel built from the repository holds the library
``imaging_landing_zone.components`` and the offline check's folder ``imaging_landing_zone/_check``
(ADR 0016, ADR 0036); installed with ``[check]`` in a fresh virtualenv it gives the command
``imaging-preflight``, which checks another team's project (``examples/research-archive``) from outside
the repository; the README's example runs against the installed package under Pulumi's mocks, and
every document's Python example imports there; the repository itself and a ``git+file://`` URL of a
clone install over it (one virtualenv for the module: creating one is the slow part). Proves the
package, its command and its import paths; not that GCP accepts the resources."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest

from tests.test_doc_examples import EXAMPLES

ROOT = Path(__file__).resolve().parent.parent
CHECK_FOLDERS = ("components", "program", "preflight", "netcheck", "policies")
"""The repository's folders the check's application folder ``imaging_landing_zone/_check`` copies."""

HARNESS = """
import json
import pulumi


class Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args):
        return f"{args.name}-id", {**args.inputs, "name": args.inputs.get("name", args.name)}

    def call(self, args):
        if args.token == "gcp:storage/getProjectServiceAccount:getProjectServiceAccount":
            return {"emailAddress": "service-1234@gs-project-accounts.iam.gserviceaccount.com"}, []
        raise NotImplementedError(args.token)


registered = []
class Monitor(pulumi.runtime.mocks.MockMonitor):
    def RegisterResource(self, request):
        registered.append(request.type)
        return super().RegisterResource(request)


mocks = Mocks()
pulumi.runtime.set_mocks(mocks, project="research", stack="dev", preview=False, monitor=Monitor(mocks))


@pulumi.runtime.test
def program():
    exec(compile(open("example.py").read(), "example.py", "exec"), {"__name__": "__main__"})


program()
import imaging_landing_zone.components as package
print(json.dumps({"types": sorted(set(registered)), "package": package.__file__}))
"""


def _readme_example() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Use the components\n", 1)[1].split("\n## ", 1)[0]
    [example] = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    return example


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "--disable-pip-version-check",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    [built] = out.glob("imaging_landing_zone-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A fresh virtualenv with the wheel, its dependencies and the ``check`` extra's (from the package
    index or pip's cache)."""
    env = tmp_path_factory.mktemp("venv")
    venv.create(env, with_pip=True)
    python = env / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", f"{wheel}[check]"],
        check=True,
        capture_output=True,
    )
    return python


def test_the_wheel_holds_the_components_under_a_name_that_cannot_clash(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    code = [n for n in names if ".dist-info/" not in n]
    assert code
    assert all(n.startswith(("imaging_landing_zone/components/", "imaging_landing_zone/_check/")) for n in code)
    assert "imaging_landing_zone/components/py.typed" in names
    assert "imaging_landing_zone/components/storage.py" in names
    # the site program's side (program/: the stack-file model, the site composition) is not the library
    library = [n for n in code if n.startswith("imaging_landing_zone/components/")]
    assert not any(n.endswith(("/config.py", "/site.py")) for n in library)


def test_the_wheel_s_check_folder_is_the_repository_s_code_and_the_pack_s_directory(wheel):
    """Every module of the check's folders, the pack's directory as Pulumi runs it, and the files the
    check reads at run time; nothing else of the repository (tests, stacks, the bootstrap, rollout)."""
    names = set(zipfile.ZipFile(wheel).namelist())
    source = {
        f"imaging_landing_zone/_check/{p.relative_to(ROOT)}"
        for folder in CHECK_FOLDERS
        for p in (ROOT / folder).rglob("*.py")
        if "__pycache__" not in p.parts and "tools" not in p.parts
    }
    # and the data files the check reads at run time (the catalogue, the provider's stored forms, ...)
    source |= {
        f"imaging_landing_zone/_check/{p.relative_to(ROOT)}"
        for p in (ROOT / "preflight").rglob("*")
        if p.is_file() and p.suffix not in (".py", ".pyc", ".md")
    }
    assert source - names == set()
    shipped = {
        "imaging_landing_zone/_check/__main__.py",
        "imaging_landing_zone/_check/Pulumi.yaml",
        "imaging_landing_zone/_check/preflight/catalogue/controls.toml",
        "imaging_landing_zone/_check/policies/PulumiPolicy.yaml",
        "imaging_landing_zone/_check/policies/requirements.txt",
    }
    assert shipped <= names
    assert not any(f"/_check/{folder}/" in n for n in names for folder in ("tests", "stacks", "bootstrap", "rollout"))


def test_the_package_list_is_every_package_of_the_check_s_folders():
    """``[tool.setuptools] packages`` names each folder of code (with an ``__init__.py``, or the pack's
    directory and its ``__main__.py``): a new subpackage that is not listed would be left out of the wheel."""
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"])
    folders = {
        "imaging_landing_zone._check." + ".".join(p.parent.relative_to(ROOT).parts)
        for folder in CHECK_FOLDERS
        for p in [*(ROOT / folder).rglob("__init__.py"), *(ROOT / folder).glob("__main__.py")]
        if "__pycache__" not in p.parts
    }
    assert listed == {"imaging_landing_zone.components", "imaging_landing_zone._check", *folders}


def test_the_installed_command_checks_another_team_s_project_from_outside_the_repository(installed, tmp_path):
    """``imaging-preflight check --project`` on a copy of ``examples/research-archive``, from a folder
    outside the repository: zero findings in every mode, as ``python -m preflight`` finds in a clone."""
    project = tmp_path / "research-archive"
    shutil.copytree(ROOT / "examples" / "research-archive", project)
    command = installed.parent / "imaging-preflight"
    argv = [str(command), "check", "--project", "research-archive", "dev", "--format", "json"]
    argv += ["--policy-config", "research-archive/policy-config.json"]
    env = {k: v for k, v in os.environ.items() if k != "PREFLIGHT_CACHE_DIR"}  # the command's own default
    done = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, check=False, env=env)
    assert done.returncode == 0, done.stderr
    [site] = json.loads(done.stdout)["sites"]
    assert site["findings"] == []
    assert site["modes"] == ["preview", "update"]
    # its verdict is kept in the current directory, never in the installed package
    assert (tmp_path / ".preflight-cache" / "CACHEDIR.TAG").is_file()


@pytest.mark.parametrize("command", ["check", "fleet", "plan", "access", "netcheck"])
def test_the_installed_command_is_the_same_command_line_as_python_m_preflight(installed, tmp_path, command):
    """Every option, default and description of ``imaging-preflight`` is ``python -m preflight``'s; only the
    name in the usage lines differs."""
    env = {**os.environ, "COLUMNS": "100"}

    def usage(argv: list[str], cwd: Path) -> tuple[str, str]:
        """The usage lines (wrapped by the name's length) and the rest: description, options, defaults."""
        done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=True, env=env)
        lines, rest = done.stdout.split("\n\n", 1)
        return lines, rest.replace("python -m preflight", "imaging-preflight")

    installed_usage, installed_help = usage([str(installed.parent / "imaging-preflight"), command, "--help"], tmp_path)
    _, clone_help = usage([sys.executable, "-m", "preflight", command, "--help"], ROOT)
    assert installed_usage.startswith(f"usage: imaging-preflight {command} ")
    assert installed_help == clone_help


def test_the_installed_command_runs_our_site_program_on_the_current_directory_s_stacks(installed, tmp_path):
    """A site's stack file in ``./stacks`` (the installed command's default) is judged with the site
    program the wheel ships: the same verdict as in a clone."""
    (tmp_path / "stacks").mkdir()
    shutil.copy(ROOT / "stacks" / "Pulumi.lausanne.yaml", tmp_path / "stacks")
    argv = [str(installed.parent / "imaging-preflight"), "check", "lausanne", "--mode", "update", "--format", "json"]
    done = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    [site] = json.loads(done.stdout)["sites"]
    assert site["findings"] == []
    assert site["site"] == "lausanne"


def test_the_installed_command_catches_a_careless_change(installed, tmp_path):
    """The same project without its deny-all firewall: exit 1 with the network's default-deny findings."""
    project = tmp_path / "research-archive"
    shutil.copytree(ROOT / "examples" / "research-archive", project)
    program = project / "__main__.py"
    source = program.read_text(encoding="utf-8")
    start, end = source.index("AllowlistFirewall(\n"), source.index("archive = ImageBucket(")
    program.write_text(source[:start] + source[end:])
    argv = [str(installed.parent / "imaging-preflight"), "check", "--project", str(project), "dev"]
    argv += ["--policy-config", str(project / "policy-config.json"), "--mode", "update", "--format", "json"]
    done = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert done.returncode == 1, done.stderr
    [site] = json.loads(done.stdout)["sites"]
    assert {f["policy"] for f in site["findings"]} == {
        "gcp-compute-network-denies-egress",
        "gcp-compute-network-denies-ingress",
    }


def test_the_check_s_names_stay_inside_its_command(installed, tmp_path):
    """The check's folder is on the import path of ``imaging-preflight`` only: a user's program cannot
    import ``preflight``, ``program`` or ``components`` from the installed distribution."""
    script = (
        "import importlib.util as u\n"
        "print([n for n in ('preflight', 'program', 'components', 'netcheck', 'imaging_policies') if u.find_spec(n)])\n"
    )
    done = subprocess.run([str(installed), "-c", script], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_every_document_s_python_example_imports_from_the_installed_wheel(installed, tmp_path):
    imports = sorted(
        {line for _, code in EXAMPLES for line in _import_statements(code)},
    )
    assert imports
    script = "\n".join(imports) + "\nprint('imported')\n"
    done = subprocess.run([str(installed), "-c", script], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "imported"


def _import_statements(code: str) -> list[str]:
    """The example's top-level import statements, each on one line (parenthesised lists joined)."""
    joined = re.sub(r"\(\s*([^)]*?)\s*\)", lambda m: " ".join(m.group(1).split()).rstrip(","), code, flags=re.S)
    return [line for line in joined.splitlines() if re.match(r"(from \S+ import |import )", line)]


def test_the_readme_example_runs_against_the_installed_package(installed, tmp_path):
    (tmp_path / "example.py").write_text(_readme_example(), encoding="utf-8")
    (tmp_path / "harness.py").write_text(HARNESS, encoding="utf-8")
    done = subprocess.run([str(installed), "harness.py"], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert str(ROOT) not in result["package"]  # the installed package, not this checkout
    assert {"imaging:kms:SiteKeys", "imaging:storage:ImageBucket", "gcp:storage/bucket:Bucket"} <= set(result["types"])


def test_the_installed_args_refuse_what_the_controls_forbid(installed, tmp_path):
    """A public member cannot be expressed through the library either (IAM-03)."""
    script = (
        "from imaging_landing_zone.components.storage import BucketMember, BucketRole\n"
        "try:\n"
        "    BucketMember(role=BucketRole.OBJECT_VIEWER, member='allUsers')\n"
        "except ValueError as error:\n"
        "    print('refused:', str(error).splitlines()[0])\n"
        "else:\n"
        "    print('accepted')\n"
    )
    done = subprocess.run([str(installed), "-c", script], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("refused"), done.stdout


def test_pip_installs_the_repository_itself(installed, tmp_path):
    """`pip install <path of a clone>` (what `pip install git+<url>` does after cloning) builds the same
    package; installed over the wheel's copy, it imports from site-packages, not from this checkout."""
    subprocess.run(
        [
            str(installed),
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--force-reinstall",
            "--disable-pip-version-check",
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    done = subprocess.run(
        [str(installed), "-c", "import imaging_landing_zone.components.kms as m; print(m.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "site-packages/imaging_landing_zone/components/kms.py" in done.stdout


def test_pip_installs_a_git_url(installed, tmp_path):
    """The README's install form, `pip install "imaging-landing-zone @ git+<url>"`, through pip's git path:
    the tests have no network, so a `file://` URL of a fresh clone of this repository's HEAD stands in for
    the hosted one (pip clones it, builds and installs). The installed distribution `imaging-landing-zone`
    records the git commit it came from (PEP 610 ``direct_url.json``), which proves the git path was taken.
    Installed over the wheel's copy with ``--no-deps`` (the dependencies are there already)."""
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed: pip needs it for git+ URLs")
    head = subprocess.run([git, "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, check=False)
    if head.returncode != 0:
        pytest.skip(f"no commit to clone in {ROOT} (git rev-parse HEAD: {head.stderr.strip()})")
    clone = tmp_path / "clone"
    subprocess.run([git, "clone", "-q", "--no-hardlinks", str(ROOT), str(clone)], check=True, capture_output=True)
    # The bare URL: the pip that Python 3.11's venv installs (23.2, its vendored packaging 21.3) refuses the
    # named form `name @ git+file:///...` (a URL without a host); with an https URL both forms work. The
    # distribution's name is checked below.
    requirement = f"git+{clone.as_uri()}"
    install = subprocess.run(
        [
            str(installed),
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--force-reinstall",
            "--disable-pip-version-check",
            requirement,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert install.returncode == 0, install.stderr
    script = (
        "import json, importlib.metadata as md\n"
        "import imaging_landing_zone.components.storage as m\n"
        "origin = json.loads(md.distribution('imaging-landing-zone').read_text('direct_url.json'))\n"
        "print(json.dumps({'file': m.__file__, 'origin': origin}))\n"
    )
    done = subprocess.run([str(installed), "-c", script], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert "site-packages/imaging_landing_zone/components/storage.py" in result["file"]
    assert result["origin"]["url"] == clone.as_uri()
    assert result["origin"]["vcs_info"]["vcs"] == "git"
    assert result["origin"]["vcs_info"]["commit_id"] == head.stdout.strip()
