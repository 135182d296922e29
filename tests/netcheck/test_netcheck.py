"""``python -m preflight netcheck``: the verdicts against real servers on loopback, and its config.

The servers (``tests/netcheck/servers.py``) are real sockets served by threads with certificates the
tests generate; nothing is mocked. Loopback is fast, so the default minimums (50 Mbps, 30 ms) hold
for the plain server; the others are slowed on purpose far beyond them: the throttled server sends
at most 250 kB/s (2 Mbps), the delayed one waits 80 ms before every answer. Assertions are on
verdicts, reasons and the figures quoted in messages, never on how long a test took.
"""

from __future__ import annotations

import copy
import json
import re
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from netcheck import probe as netcheck
from preflight import cli
from preflight.engine import stacks
from program.config import ConfigError, SiteConfig
from tests.netcheck import servers
from tests.paths import ROOT

CONTROLS = ("TLS-04", "PERF-01", "PERF-02")
"""The controls this module holds (the catalogue's "tests" line is read from it)."""


NS = "imaging-landing-zone"
BASE: dict[str, Any] = yaml.safe_load((ROOT / "stacks" / "Pulumi.lausanne.yaml").read_text())["config"]
THROTTLED_RATE = 250_000  # bytes/s = 2 Mbps, far below the 50 Mbps minimum
DELAY = 0.08  # seconds before every answer: 80 ms, far above the 30 ms maximum


# -- servers ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> servers.Pki:
    return servers.make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def fast(pki) -> Iterator[str]:
    with servers.https_server(servers.server_context(pki)) as url:
        yield url + servers.OBJECT_PATH


@pytest.fixture(scope="module")
def throttled(pki) -> Iterator[str]:
    with servers.https_server(servers.server_context(pki), servers.Behaviour(rate=THROTTLED_RATE)) as url:
        yield url + servers.OBJECT_PATH


@pytest.fixture(scope="module")
def delayed(pki) -> Iterator[str]:
    with servers.https_server(servers.server_context(pki), servers.Behaviour(delay=DELAY)) as url:
        yield url + servers.OBJECT_PATH


@pytest.fixture
def stalled() -> Iterator[str]:
    with servers.stalled_server() as url:
        yield url + servers.OBJECT_PATH


@pytest.fixture
def closed() -> Iterator[str]:
    with servers.closed_port() as url:
        yield url + servers.OBJECT_PATH


@pytest.fixture
def legacy(pki) -> Iterator[str]:
    """A server that offers TLS 1.0 and 1.1 only, if the local OpenSSL can be configured to run one."""
    try:
        context = servers.server_context(pki, minimum=ssl.TLSVersion.TLSv1, maximum=ssl.TLSVersion.TLSv1_1)
    except (ssl.SSLError, ValueError) as exc:
        pytest.skip(f"the local OpenSSL ({ssl.OPENSSL_VERSION}) cannot configure a TLS 1.1 server: {exc}")
    with servers.https_server(context) as url:
        try:
            version = servers.negotiated_version(url, pki)
        except (OSError, ssl.SSLError) as exc:
            pytest.skip(f"the local OpenSSL ({ssl.OPENSSL_VERSION}) refuses TLS below 1.2 even at level 0: {exc}")
        if version not in ("TLSv1", "TLSv1.1"):
            pytest.skip(f"the local OpenSSL negotiated {version} with a server limited to TLS 1.1")
        yield url + servers.OBJECT_PATH


# -- running the command ---------------------------------------------------------------------------


def run(capsys, pki: servers.Pki | None, *args: str, timeout: str = "2") -> tuple[int, str, str]:
    """``python -m preflight netcheck lausanne`` in this process, short and small; returns (exit, stdout, stderr)."""
    trust = ["--ca-file", str(pki.ca)] if pki else []
    argv = ["netcheck", "lausanne", "--quiet", "--samples", "3", "--seconds", "0.5", "--max-mb", "20"]
    code = cli.main([*argv, "--timeout", timeout, *trust, *args])
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys, pki: servers.Pki | None, *args: str, **kwargs: str) -> tuple[int, dict[str, Any]]:
    code, out, _ = run(capsys, pki, *args, "--format", "json", **kwargs)
    return code, json.loads(out)


def only(report: dict[str, Any]) -> dict[str, Any]:
    (endpoint,) = report["endpoints"]
    return endpoint


def stack_dir(tmp_path: Path, settings: dict[str, Any]) -> Path:
    """A stack directory holding ``Pulumi.lausanne.yaml`` with ``settings`` as its netcheck section."""
    (tmp_path / "Pulumi.lausanne.yaml").write_text(yaml.safe_dump({"config": {**BASE, f"{NS}:netcheck": settings}}))
    return tmp_path


def figure(pattern: str, text: str) -> float:
    found = re.fullmatch(pattern, text)
    assert found, text
    return float(found.group(1))


# -- verdicts --------------------------------------------------------------------------------------


def test_fast_endpoint_passes_with_every_figure_reported(capsys, pki, fast):
    code, report = run_json(capsys, pki, "--url", fast)
    assert code == 0
    assert report["format"] == "imaging-landing-zone/netcheck@1"
    assert report["verdict"] == "pass"
    assert report["minimums"] == {"downloadMbps": 50.0, "latencyMs": 30.0}
    storage = only(report)
    assert (storage["name"], storage["role"], storage["verdict"], storage["problems"]) == (
        "storage",
        "storage",
        "pass",
        [],
    )
    assert storage["address"] == "127.0.0.1"
    assert storage["tls"]["version"] in ("TLSv1.2", "TLSv1.3")
    for series in ("connectMs", "latencyMs"):
        assert len(storage[series]["samples"]) == 3
        assert storage[series]["min"] <= storage[series]["median"] <= storage[series]["max"]
    assert storage["download"]["status"] == 200
    assert storage["download"]["bytes"] > 0
    assert storage["download"]["stoppedBy"] in ("size", "time")


def test_throttled_endpoint_fails_quoting_its_throughput_and_the_minimum(capsys, pki, throttled):
    code, report = run_json(capsys, pki, "--url", throttled)
    assert code == 1
    storage = only(report)
    assert storage["verdict"] == "fail"
    (problem,) = storage["problems"]
    quoted = figure(r"download (\d+\.\d) Mbps is below the minimum of 50 Mbps \(PERF-01\)", problem)
    assert quoted == pytest.approx(storage["download"]["mbps"], abs=0.051)
    assert storage["download"]["stoppedBy"] == "time"


def test_delayed_endpoint_fails_quoting_its_latency_and_the_maximum(capsys, pki, delayed):
    code, report = run_json(capsys, pki, "--url", delayed)
    assert code == 1
    storage = only(report)
    (problem,) = storage["problems"]
    quoted = figure(r"latency (\d+\.\d) ms is above the maximum of 30 ms \(PERF-02\)", problem)
    assert quoted == pytest.approx(storage["latencyMs"]["median"], abs=0.051)
    assert quoted >= DELAY * 1000  # the server waits that long before every answer


def test_site_config_sets_a_stricter_latency_maximum(capsys, pki, delayed, tmp_path):
    stacks = stack_dir(tmp_path, {"maxLatencyMs": 0.001})
    code, report = run_json(capsys, pki, "--url", delayed, "--stacks-dir", str(stacks))
    assert report["minimums"]["latencyMs"] == 0.001
    assert (code, only(report)["verdict"]) == (1, "fail")


def test_site_config_sets_the_download_minimum(capsys, pki, fast, tmp_path):
    stacks = stack_dir(tmp_path, {"minDownloadMbps": 900000})  # 900 Gbit/s: beyond any loopback
    code, report = run_json(capsys, pki, "--url", fast, "--stacks-dir", str(stacks))
    assert code == 1
    (problem,) = only(report)["problems"]
    figure(r"download (\d+\.\d) Mbps is below the minimum of 900000 Mbps \(PERF-01\)", problem)


@pytest.mark.parametrize(
    ("maximum", "expected"),
    [
        pytest.param(ssl.TLSVersion.TLSv1_2, "TLSv1.2", id="tls-1.2-only"),
        pytest.param(ssl.TLSVersion.TLSv1_3, "TLSv1.3", id="tls-1.3-only"),
    ],
)
def test_negotiated_tls_version_is_reported(capsys, pki, maximum, expected):
    context = servers.server_context(pki, minimum=maximum, maximum=maximum)
    with servers.https_server(context) as url:
        code, report = run_json(capsys, pki, "--url", url + servers.OBJECT_PATH)
    assert code == 0
    assert only(report)["tls"]["version"] == expected


def test_server_below_tls_1_2_is_refused_naming_its_version(capsys, pki, legacy):
    code, report = run_json(capsys, pki, "--url", legacy)
    assert code == 2
    storage = only(report)
    assert storage["verdict"] == "error"
    assert storage["tls"] is None
    assert storage["reason"].startswith("TLS below 1.2: ")
    assert "it negotiates TLSv1.1" in storage["reason"]


@pytest.mark.parametrize(
    ("server", "reason"),
    [
        pytest.param("closed", "connection refused: nothing accepts connections on 127.0.0.1:", id="closed"),
        pytest.param("stalled", "timeout: no answer to the TLS handshake from 127.0.0.1:", id="stalled"),
    ],
)
def test_unreachable_endpoint_exits_2_naming_the_reason(capsys, request, pki, server, reason):
    code, out, err = run(capsys, pki, "--url", request.getfixturevalue(server), timeout="0.5")
    assert code == 2
    (line,) = err.splitlines()
    assert line.startswith(f"error: storage: {reason}")
    assert f"storage: ERROR: {reason}" in out
    assert out.rstrip().endswith("verdict: error: an endpoint could not be measured (exit 2)")


def test_untrusted_certificate_exits_2_with_a_certificate_error(capsys, fast):
    code, out, err = run(capsys, None, "--url", fast)  # no --ca-file: the test CA is not trusted
    assert code == 2
    reason = "certificate error: unable to get local issuer certificate"
    assert err.startswith(f"error: storage: {reason}")
    assert f"storage: ERROR: {reason}" in out


def test_unresolvable_host_is_a_dns_failure(capsys, pki):
    code, report = run_json(capsys, pki, "--url", "https://netcheck.invalid/object")  # RFC 6761: never resolves
    assert code == 2
    assert only(report)["reason"].startswith("DNS failure: cannot resolve netcheck.invalid")


def test_unreadable_object_is_unusable_for_throughput(capsys, pki, fast):
    private = fast.replace(servers.OBJECT_PATH, "/private/object")
    code, report = run_json(capsys, pki, "--url", private)
    assert code == 2
    storage = only(report)
    assert storage["reason"].startswith("unusable URL: HTTP 403 Forbidden from https://127.0.0.1:")
    assert "give a signed URL to a test object with --url" in storage["reason"]
    assert len(storage["latencyMs"]["samples"]) == 3  # what was measured before is kept


# -- endpoints -------------------------------------------------------------------------------------


def test_site_endpoints_are_used_and_a_missing_viewer_is_skipped_with_a_note(capsys, pki, fast, tmp_path):
    stacks = stack_dir(tmp_path, {"storageUrl": fast})
    code, out, _ = run(capsys, pki, "--stacks-dir", str(stacks))
    assert code == 0
    assert re.search(r"^storage +pass ", out, re.M)
    assert re.search(r"^viewer +skipped ", out, re.M)
    assert "viewer: note: skipped: no imaging-landing-zone:netcheck.viewerUrl in the site config" in out


def test_url_replaces_the_site_endpoints(capsys, pki, fast, closed, tmp_path):
    stacks = stack_dir(tmp_path, {"storageUrl": closed, "viewerUrl": closed})
    code, report = run_json(capsys, pki, "--url", fast, "--stacks-dir", str(stacks))
    assert code == 0
    assert [(e["name"], e["source"]) for e in report["endpoints"]] == [("storage", "--url")]


def test_viewer_endpoint_is_judged_on_latency_only(capsys, pki, throttled):
    code, report = run_json(capsys, pki, "--url", f"viewer={throttled}")
    assert code == 0
    viewer = only(report)
    assert (viewer["name"], viewer["role"], viewer["verdict"], viewer["download"]) == ("viewer", "viewer", "pass", None)


def test_default_storage_endpoint_is_the_image_bucket():
    site = SiteConfig.from_stack_config(BASE)
    assert [(e.name, e.url, e.source) for e in netcheck.site_endpoints(site)] == [
        ("storage", "https://storage.googleapis.com/chuv-imaging-lau-lau-images", "default"),
        ("viewer", None, "config"),
    ]


def test_signed_url_signature_is_never_printed(capsys, pki, fast):
    code, out, err = run(capsys, pki, "--url", f"{fast}?X-Goog-Signature=s3cr3t&X-Goog-Credential=robot")
    assert code == 0
    assert "s3cr3t" not in out + err
    assert "robot" not in out + err
    assert f"storage: {fast}?[hidden] (--url)" in out


# -- the table and progress ------------------------------------------------------------------------


def test_table_shows_one_row_per_endpoint_and_the_verdict(capsys, pki, fast, delayed):
    code, out, _ = run(capsys, pki, "--url", fast, "--url", f"viewer={delayed}")
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == (
        "site lausanne: download > 50 Mbps (PERF-01), latency < 30 ms (PERF-02), TLS 1.2 or newer (TLS-04)"
    )
    cells = [re.split(r" {2,}", line) for line in lines[2:5]]
    assert cells[0] == ["endpoint", "verdict", "TLS", "handshake ms", "connect ms", "latency ms", "download Mbps"]
    assert cells[1][:2] == ["storage", "pass"]
    assert cells[1][2] in ("TLSv1.2", "TLSv1.3")
    assert cells[2][:2] == ["viewer", "fail"]
    assert cells[2][-1] == "-"  # a viewer's throughput is not measured
    assert any(line.startswith("viewer: FAIL: latency ") for line in lines)
    assert lines[-1] == "verdict: fail: an endpoint misses a minimum (exit 1)"


def test_progress_is_line_based_when_stderr_is_not_a_terminal(capsys, pki, fast):
    code = cli.main(
        ["netcheck", "lausanne", "--seconds", "0.5", "--max-mb", "5", "--ca-file", str(pki.ca), "--url", fast]
    )
    _, err = capsys.readouterr()
    assert code == 0
    assert "\r" not in err
    assert err.splitlines()[0] == "netcheck: storage: downloading (up to 0.5 s or 5 MB)"


def test_quiet_leaves_stderr_empty(capsys, pki, fast):
    code, _, err = run(capsys, pki, "--url", fast)
    assert (code, err) == (0, "")


# -- bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ["--url", "http://storage.example/object"],
            "error: --url http://storage.example/object: must be an https:// URL; plaintext http is refused (TLS-04)",
            id="plaintext-url",
        ),
        pytest.param(
            ["--url", "viewer=https://"],
            "error: --url https://: must name a host, like https://storage.googleapis.com/<bucket>/<object>",
            id="url-without-host",
        ),
        pytest.param(
            ["--ca-file", "/nonexistent/ca.pem", "--url", "https://storage.example/o"],
            "error: --ca-file /nonexistent/ca.pem: not a readable PEM CA certificate (No such file or directory)",
            id="missing-ca-file",
        ),
    ],
)
def test_unusable_input_exits_2_with_one_line_and_no_report(capsys, args, message):
    code = cli.main(["netcheck", "lausanne", *args])
    out, err = capsys.readouterr()
    assert (code, out, err.splitlines()) == (2, "", [message])


def test_unknown_site_exits_2_naming_the_known_ones(capsys):
    code = cli.main(["netcheck", "atlantis"])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert f"no stack file stacks/Pulumi.atlantis.yaml (known sites: {', '.join(stacks.available())})" in err


def test_non_positive_seconds_are_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(["netcheck", "lausanne", "--seconds", "0"])
    assert exited.value.code == 2
    assert "argument --seconds: must be a number greater than 0, got '0'" in capsys.readouterr().err


def test_module_entry_point_reports_without_traceback(closed):
    result = subprocess.run(
        [sys.executable, "-m", "preflight", "netcheck", "lausanne", "--url", closed, "--samples", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: storage: connection refused")


# -- site config -----------------------------------------------------------------------------------


def test_netcheck_defaults_are_the_documented_minimums():
    settings = SiteConfig.from_stack_config(BASE).netcheck
    assert (settings.min_download_mbps, settings.max_latency_ms) == (50.0, 30.0)
    assert (settings.storage_url, settings.viewer_url) == (None, None)


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        pytest.param(
            {"storageUrl": "http://storage.googleapis.com/b"},
            "netcheck.storageUrl: must be an https:// URL; plaintext http is refused (TLS-04)",
            id="plaintext-storage-url",
        ),
        pytest.param(
            {"viewerUrl": "http://viewer.chuv.example/"},
            "netcheck.viewerUrl: must be an https:// URL; plaintext http is refused (TLS-04)",
            id="plaintext-viewer-url",
        ),
        pytest.param(
            {"viewerUrl": "https://viewer.chuv.example:99999/"},
            "netcheck.viewerUrl: is not a valid URL: Port out of range 0-65535",
            id="port-out-of-range",
        ),
        pytest.param(
            {"minDownloadMbps": -5},
            "netcheck.minDownloadMbps: must be a number greater than 0, got -5",
            id="negative-download-minimum",
        ),
        pytest.param(
            {"maxLatencyMs": 0},
            "netcheck.maxLatencyMs: must be a number greater than 0, got 0",
            id="zero-latency-maximum",
        ),
        pytest.param(
            {"maxLatency": 30},
            "netcheck.maxLatency: unknown field; accepted: maxLatencyMs, minDownloadMbps, storageUrl, viewerUrl",
            id="unknown-field",
        ),
    ],
)
def test_bad_netcheck_settings_get_one_line_naming_the_field(settings, expected):
    config = copy.deepcopy(BASE)
    config[f"{NS}:netcheck"] = settings
    with pytest.raises(ConfigError) as caught:
        SiteConfig.from_stack_config(config)
    assert caught.value.problems == [f"{NS}:{expected}"]


def test_the_reference_s_netcheck_example_is_a_valid_site_section():
    section = (ROOT / "netcheck" / "README.md").read_text(encoding="utf-8")
    example = next(block for block in re.findall(r"```yaml\n(.*?)```", section, re.S) if "netcheck" in block)
    config = {**BASE, **yaml.safe_load(example)["config"]}
    settings = SiteConfig.from_stack_config(config).netcheck
    assert (settings.min_download_mbps, settings.max_latency_ms) == (100, 20)
    assert settings.viewer_url == "https://viewer.chuv.example/"


# -- mistakes in the URL, through the CLI as a user runs it -------------------------------------------


def _netcheck_cli(*args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "preflight",
            "netcheck",
            "lausanne",
            "--quiet",
            "--samples",
            "1",
            "--timeout",
            "5",
            *args,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert "Traceback" not in done.stderr
    return done


def test_an_unknown_endpoint_kind_is_named_not_called_plain_http():
    # A user labels the endpoint by its purpose, as `viewer=` suggests: `pacs=https://...`.
    done = _netcheck_cli("--url", "pacs=https://storage.example/test-object?X-Goog-Signature=s3cr3t")
    assert done.returncode == 2
    assert done.stderr == (
        "error: --url pacs=https://storage.example/test-object?[hidden]: unknown endpoint kind 'pacs'; "
        "write storage=URL, viewer=URL or the bare URL (a storage endpoint)\n"
    )


def test_a_plain_http_server_behind_an_https_url_is_reported_as_not_https():
    # The test object is served by a plaintext proxy port, and the user typed https:// for it.
    with servers.plain_http_server() as url:
        done = _netcheck_cli("--url", f"{url}/object", "--format", "json")
    assert done.returncode == 2
    [endpoint] = json.loads(done.stdout)["endpoints"]
    assert endpoint["reason"].startswith(f"not HTTPS: {url.removeprefix('https://')} answers in plain HTTP, not TLS")
    assert "TLS error" not in done.stderr
