"""The components as a library: the wheel built from the repository holds only
``imaging_landing_zone.components``, installs with its dependencies in a fresh virtualenv, and the
README's example runs against the installed package (from outside the repository), under Pulumi's
mocks; the repository itself and a ``git+file://`` URL of a clone install over it (one virtualenv for
the module: creating one is the slow part). Proves the package and its import paths; not that GCP
accepts the resources."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

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
    section = readme.split("## Use the components in your own stack", 1)[1].split("\n## ", 1)[0]
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
    """A fresh virtualenv with the wheel and its dependencies (from the package index or pip's cache)."""
    env = tmp_path_factory.mktemp("venv")
    venv.create(env, with_pip=True)
    python = env / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(wheel)],
        check=True,
        capture_output=True,
    )
    return python


def test_the_wheel_holds_the_components_under_a_name_that_cannot_clash(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    code = [n for n in names if ".dist-info/" not in n]
    assert code
    assert all(n.startswith("imaging_landing_zone/components/") for n in code)
    assert "imaging_landing_zone/components/py.typed" in names
    assert "imaging_landing_zone/components/storage.py" in names
    # the site program's side (program/: the stack-file model, the site composition) is not the library
    assert not any(n.endswith(("/config.py", "/site.py")) for n in code)


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
