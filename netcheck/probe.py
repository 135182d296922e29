"""Site network readiness: ``python -m preflight netcheck <site>`` (PERF-01, PERF-02, TLS-04).

Run from a machine on the hospital network. For each endpoint (the site's storage and viewer
endpoints from its config, or the URLs given with ``--url``) it measures, in this order:

``connectMs``
    TCP connect time of ``samples`` fresh connections (SYN to SYN-ACK): the network round trip to
    whatever answers TCP first. Behind a transparent proxy that is the proxy, so it is shown, not
    judged.
``tls``
    One TLS handshake, timed, with a context whose minimum version is TLS 1.2 (TLS-04), verifying
    the certificate against the system's trust store (plus ``--ca-file``); the negotiated version and
    cipher are reported. A server that offers nothing newer than TLS 1.1 is refused.
``latencyMs``
    The judged latency (PERF-02): ``samples`` small requests (``GET`` with ``Range: bytes=0-0``) on
    the open TLS connection, each timed from sending the request to receiving the response's status
    line and headers. It is the end-to-end HTTPS round trip, through any proxy, including the
    server's time to first byte (docs/adr/0007-netcheck-latency-is-the-https-round-trip.md).
``download``
    Storage endpoints only (PERF-01): one ``GET`` of the URL, read until ``seconds`` have passed,
    ``maxBytes`` have arrived or the object ends; Mbit/s = bits received / time from the response
    headers to the end of the read.

The JSON record (``--format json``), format ``imaging-landing-zone/netcheck@1``::

    {"format": "imaging-landing-zone/netcheck@1", "site": "lausanne",
     "measuredAt": "2026-11-30T08:15:00+00:00",
     "minimums": {"downloadMbps": 50.0, "latencyMs": 30.0},
     "options": {"samples": 5, "seconds": 10.0, "maxBytes": 100000000, "timeoutSeconds": 10.0,
                 "caFile": null},
     "verdict": "pass" | "fail" | "error",
     "endpoints": [{"name": "storage", "role": "storage" | "viewer", "url": <query hidden>,
                    "source": "config" | "default" | "--url",
                    "verdict": "pass" | "fail" | "error" | "skipped",
                    "reason": <why it could not be measured, or null>,
                    "problems": [<each minimum it misses, with the figure and the minimum>],
                    "notes": [...], "address": "203.0.113.7" | null,
                    "connectMs": {"median", "min", "max", "samples"} | null,
                    "tls": {"version", "cipher", "handshakeMs"} | null,
                    "latencyMs": {"median", "min", "max", "samples"} | null,
                    "download": {"bytes", "seconds", "mbps", "status",
                                 "stoppedBy": "time" | "size" | "end"} | null}]}

Exit codes: 0 every endpoint meets the minimums; 1 one does not; 2 unusable input or an endpoint
that could not be measured (DNS failure, connection refused, timeout, certificate error, TLS below
1.2, an HTTP error where a readable object is needed), the reason named.
"""

from __future__ import annotations

import http.client
import re
import socket
import ssl
import statistics
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

from components import naming
from program.config import SiteConfig, https_url

FORMAT = "imaging-landing-zone/netcheck@1"
USER_AGENT = "imaging-landing-zone-netcheck/1"
ACCEPTED_TLS = ("TLSv1.2", "TLSv1.3")
EXIT_OK, EXIT_BELOW_MINIMUM, EXIT_UNUSABLE = 0, 1, 2

# OpenSSL's reasons when client and server share no protocol version (the server stops at TLS 1.1).
_OLD_PROTOCOL_REASONS = frozenset(
    {"TLSV1_ALERT_PROTOCOL_VERSION", "UNSUPPORTED_PROTOCOL", "WRONG_SSL_VERSION", "NO_PROTOCOLS_AVAILABLE"}
)
_SMALL_BODY = 64 * 1024
_CHUNK = 64 * 1024

Progress = Callable[[int, float], None]
"""Called while downloading with the bytes received so far and the seconds since the first byte."""


class Role(StrEnum):
    """What an endpoint is judged on."""

    STORAGE = "storage"
    """Image storage: latency (PERF-02) and download throughput (PERF-01)."""
    VIEWER = "viewer"
    """The viewer's launch endpoint: latency only (PERF-02)."""


@dataclass(frozen=True)
class Endpoint:
    """One endpoint to measure; ``url`` is None when there is none to measure (skipped, ``note`` says why)."""

    name: str
    role: Role
    url: str | None
    source: str
    note: str | None = None


@dataclass(frozen=True)
class Minimums:
    """The figures every endpoint must beat (per site: ``imaging-landing-zone:netcheck``)."""

    download_mbps: float
    latency_ms: float


@dataclass(frozen=True)
class Options:
    """How long and how often to measure."""

    samples: int = 5
    seconds: float = 10.0
    max_bytes: int = 100_000_000
    timeout: float = 10.0
    ca_file: Path | None = None


@dataclass
class Download:
    """One bounded download."""

    bytes: int
    seconds: float
    status: int
    stopped_by: str

    @property
    def mbps(self) -> float:
        """Throughput in Mbit/s (10^6 bits per second)."""
        return self.bytes * 8 / 1e6 / max(self.seconds, 1e-9)


@dataclass
class Measurement:
    """What was measured before the probe finished or stopped."""

    address: str | None = None
    connect_ms: list[float] = field(default_factory=list)
    tls_version: str | None = None
    cipher: str | None = None
    handshake_ms: float | None = None
    latency_ms: list[float] = field(default_factory=list)
    download: Download | None = None


@dataclass
class Result:
    """An endpoint's verdict: ``pass``, ``fail`` (``problems``), ``error`` (``reason``) or ``skipped``."""

    endpoint: Endpoint
    verdict: str
    measurement: Measurement
    reason: str | None = None
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Report:
    """Every endpoint's result for one site."""

    site: str
    minimums: Minimums
    options: Options
    results: list[Result]
    measured_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    """When the measurements finished (UTC, ISO 8601): the date ``check --evidence`` cites."""

    @property
    def verdict(self) -> str:
        """``error`` if any endpoint could not be measured, else ``fail`` if any misses a minimum, else ``pass``."""
        verdicts = {r.verdict for r in self.results}
        if "error" in verdicts or not verdicts - {"skipped"}:
            return "error"
        return "fail" if "fail" in verdicts else "pass"

    @property
    def exit_code(self) -> int:
        """0 pass, 1 fail, 2 error."""
        return {"pass": EXIT_OK, "fail": EXIT_BELOW_MINIMUM}.get(self.verdict, EXIT_UNUSABLE)


class EndpointError(Exception):
    """An endpoint that cannot be measured; the message is the reason, starting with its kind."""


# -- endpoints -----------------------------------------------------------------------------------


def default_storage_url(site: SiteConfig) -> str:
    """The image bucket's endpoint: ``https://storage.googleapis.com/<image bucket>``."""
    return f"https://storage.googleapis.com/{naming.bucket_name(site.gcp_project, site.site_code, 'images')}"


def site_endpoints(site: SiteConfig) -> list[Endpoint]:
    """The storage and viewer endpoints of the site's config (storage defaults to the image bucket)."""
    settings = site.netcheck
    storage = Endpoint(
        "storage",
        Role.STORAGE,
        settings.storage_url or default_storage_url(site),
        "config" if settings.storage_url else "default",
    )
    if settings.viewer_url:
        return [storage, Endpoint("viewer", Role.VIEWER, settings.viewer_url, "config")]
    note = "skipped: no imaging-landing-zone:netcheck.viewerUrl in the site config and no --url viewer=URL"
    return [storage, Endpoint("viewer", Role.VIEWER, None, "config", note)]


def url_endpoints(values: Sequence[str]) -> list[Endpoint]:
    """Endpoints from ``--url [storage=|viewer=]URL`` values; a bare URL is a storage endpoint.

    Raises ``ValueError`` naming the bad value.
    """
    endpoints: list[Endpoint] = []
    for value in values:
        match = re.match(r"^(storage|viewer)=(.*)$", value, re.S)
        role, url = (Role(match.group(1)), match.group(2)) if match else (Role.STORAGE, value)
        other = re.match(r"^([A-Za-z][\w-]*)=([A-Za-z][\w+.-]*://.*)$", value, re.S)
        if not match and other:
            raise ValueError(
                f"--url {other.group(1)}={display_url(other.group(2))}: unknown endpoint kind {other.group(1)!r}; "
                "write storage=URL, viewer=URL or the bare URL (a storage endpoint)"
            )
        try:
            https_url(url)
        except ValueError as exc:
            raise ValueError(f"--url {display_url(url)}: {exc}") from None
        count = sum(1 for e in endpoints if e.role is role)
        endpoints.append(Endpoint(role.value if count == 0 else f"{role.value}-{count + 1}", role, url, "--url"))
    return endpoints


def display_url(url: str) -> str:
    """``url`` without credentials: the query (a signed URL's signature) and any user info are hidden."""
    parts = urlsplit(url)
    try:
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return f"{parts.scheme}://(invalid)"
    if ":" in host:
        host = f"[{host}]"
    query = "?[hidden]" if parts.query else ""
    return f"{parts.scheme}://{host}{port}{parts.path}{query}"


# -- measuring -----------------------------------------------------------------------------------


def tls_context(ca_file: Path | None = None) -> ssl.SSLContext:
    """The probe's client context: system trust store (plus ``ca_file``), host names checked, TLS 1.2 at least.

    Raises ``OSError`` or ``ssl.SSLError`` when ``ca_file`` is not a readable PEM certificate.
    """
    context = ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if ca_file is not None:
        context.load_verify_locations(cafile=str(ca_file))
    return context


@dataclass(frozen=True)
class _Target:
    host: str
    port: int
    path: str
    shown: str

    @classmethod
    def of(cls, url: str) -> _Target:
        parts = urlsplit(url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return cls(parts.hostname or "", parts.port or 443, path, display_url(url))

    @property
    def where(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000


def _resolve(target: _Target, timeout: float) -> tuple[socket.AddressFamily, Any]:
    """The first address of ``target.host``; getaddrinfo has no timeout of its own, so it runs in a thread."""
    found: list[Any] = []
    failed: list[OSError] = []

    def work() -> None:
        try:
            found.extend(socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM))
        except OSError as exc:
            failed.append(exc)

    worker = threading.Thread(target=work, name="netcheck-dns", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise EndpointError(f"timeout: DNS gave no answer for {target.host} within {timeout:g} s")
    if failed or not found:
        detail = failed[0].strerror if failed and failed[0].strerror else "no address"
        raise EndpointError(f"DNS failure: cannot resolve {target.host} ({detail})")
    family, _, _, _, sockaddr = found[0]
    return family, sockaddr


def _reason(exc: BaseException, stage: str, target: _Target, timeout: float) -> str:
    """The one-line reason for ``exc``, starting with its kind (the kinds ``netcheck/README.md`` lists)."""
    if isinstance(exc, ssl.SSLError):
        return _tls_reason(exc, stage, target)
    kinds: list[tuple[type[BaseException], str]] = [
        (TimeoutError, f"timeout: no answer to the {stage} from {target.where} within {timeout:g} s"),
        (
            ConnectionRefusedError,
            f"connection refused: nothing accepts connections on {target.where} (closed port or a firewall)",
        ),
        (
            http.client.RemoteDisconnected,
            f"connection closed: {target.where} closed the connection without answering the {stage}",
        ),
        (
            http.client.HTTPException,
            f"not HTTP: {target.where} sent no valid HTTP answer to the {stage} ({type(exc).__name__})",
        ),
    ]
    for kind, text in kinds:
        if isinstance(exc, kind):
            return text
    detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return f"unreachable: {target.where}: {detail} (during the {stage})"


def _tls_reason(exc: ssl.SSLError, stage: str, target: _Target) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return (
            f"certificate error: {exc.verify_message} (untrusted or wrong certificate for {target.host}; "
            "behind a TLS-inspecting proxy, trust the proxy's CA with --ca-file)"
        )
    if exc.reason in _OLD_PROTOCOL_REASONS:
        return f"TLS below 1.2: {target.where} offers neither TLS 1.2 nor TLS 1.3 (TLS-04)"
    return f"TLS error during the {stage} with {target.where}: {exc.reason or exc}"


class _Probe:
    """One endpoint's measurements, filling ``measurement`` as it goes (kept when it stops early)."""

    def __init__(self, target: _Target, options: Options, context: ssl.SSLContext) -> None:
        self.target = target
        self.options = options
        self.context = context
        self.measurement = Measurement()
        self.family: socket.AddressFamily = socket.AF_INET
        self.sockaddr: Any = None
        self.connections: list[http.client.HTTPSConnection] = []

    def _fail(self, exc: BaseException, stage: str) -> EndpointError:
        return EndpointError(_reason(exc, stage, self.target, self.options.timeout))

    def _tcp(self) -> tuple[socket.socket, float]:
        sock = socket.socket(self.family, socket.SOCK_STREAM)
        sock.settimeout(self.options.timeout)
        # As http.client and browsers do: without it, Nagle's algorithm and delayed ACKs add ~40 ms to
        # a request that follows the handshake's last flight.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        start = time.perf_counter()
        try:
            sock.connect(self.sockaddr)
        except OSError as exc:
            sock.close()
            raise self._fail(exc, "TCP connection") from None
        return sock, _ms(start)

    def _tls(self) -> tuple[ssl.SSLSocket, float]:
        raw, _ = self._tcp()
        tls = self.context.wrap_socket(raw, server_hostname=self.target.host, do_handshake_on_connect=False)
        start = time.perf_counter()
        try:
            tls.do_handshake()
        except (OSError, ValueError) as exc:
            tls.close()
            reason = _reason(exc, "TLS handshake", self.target, self.options.timeout)
            if isinstance(exc, ssl.SSLError) and reason.startswith("TLS error") and self._speaks_plain_http():
                reason = (
                    f"not HTTPS: {self.target.where} answers in plain HTTP, not TLS (a plaintext server behind "
                    "an https:// URL); use the endpoint's HTTPS port or address (TLS-04)"
                )
            if reason.startswith("TLS below 1.2"):
                offered = self._legacy_version()
                reason = reason.replace("(TLS-04)", f"(it negotiates {offered}; TLS-04)" if offered else "(TLS-04)")
            raise EndpointError(reason) from None
        return tls, _ms(start)

    def _speaks_plain_http(self) -> bool:
        """Whether the server answers a plaintext HTTP request: the handshake failed because there is
        no TLS at all (its HTTP answer read as a TLS record), not a TLS problem."""
        try:
            raw, _ = self._tcp()
        except EndpointError:
            return False
        with raw:
            try:
                raw.sendall(f"HEAD / HTTP/1.0\r\nHost: {self.target.host}\r\n\r\n".encode("ascii", "replace"))
                return raw.recv(5) == b"HTTP/"
            except OSError:
                return False

    def _legacy_version(self) -> str | None:
        """The version a server that refused TLS 1.2 would negotiate, for the report only.

        A second handshake with every version and cipher the local OpenSSL still knows; nothing is
        sent over it. None when the local OpenSSL cannot speak the server's version either.
        """
        context = tls_context(self.options.ca_file)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
            context.set_ciphers("ALL:@SECLEVEL=0")
            raw, _ = self._tcp()
            with context.wrap_socket(raw, server_hostname=self.target.host) as tls:
                return tls.version()
        except (OSError, ValueError, EndpointError):
            return None

    def _connection(self, tls: ssl.SSLSocket) -> http.client.HTTPSConnection:
        connection = http.client.HTTPSConnection(
            self.target.host, self.target.port, timeout=self.options.timeout, context=self.context
        )
        connection.sock = tls
        self.connections.append(connection)
        return connection

    def run(self, role: Role, progress: Progress | None) -> Measurement:
        m = self.measurement
        self.family, self.sockaddr = _resolve(self.target, self.options.timeout)
        m.address = str(self.sockaddr[0])
        for _ in range(self.options.samples):
            sock, elapsed = self._tcp()
            sock.close()
            m.connect_ms.append(elapsed)
        tls, m.handshake_ms = self._tls()
        cipher = tls.cipher()
        m.tls_version, m.cipher = tls.version(), cipher[0] if cipher else None
        if m.tls_version not in ACCEPTED_TLS:  # unreachable with the context's minimum, kept as a guard
            tls.close()
            raise EndpointError(f"TLS below 1.2: {self.target.where} negotiated {m.tls_version} (TLS-04)")
        connection = self._connection(tls)
        try:
            for _ in range(self.options.samples):
                connection = self._latency_sample(connection)
            if role is Role.STORAGE:
                m.download = self._download(connection, progress)
        finally:
            for opened in self.connections:
                opened.close()
        return m

    def _reopen(self, connection: http.client.HTTPSConnection) -> http.client.HTTPSConnection:
        """The same connection, or a new one (untimed) when the server closed it after a response."""
        if connection.sock is not None:
            return connection
        tls, _ = self._tls()
        return self._connection(tls)

    def _latency_sample(self, connection: http.client.HTTPSConnection) -> http.client.HTTPSConnection:
        connection = self._reopen(connection)
        start = time.perf_counter()
        try:
            connection.request("GET", self.target.path, headers={"Range": "bytes=0-0", "User-Agent": USER_AGENT})
            response = connection.getresponse()
            self.measurement.latency_ms.append(_ms(start))
            if response.length is not None and response.length <= _SMALL_BODY and not response.chunked:
                response.read()
            else:  # a server that ignores Range: do not read the whole object just to reuse the connection
                response.close()
                connection.close()
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            raise self._fail(exc, "HTTP request") from None
        return connection

    def _download(self, connection: http.client.HTTPSConnection, progress: Progress | None) -> Download:
        connection = self._reopen(connection)
        sock = connection.sock
        assert sock is not None
        try:
            connection.request("GET", self.target.path, headers={"User-Agent": USER_AGENT})
            response = connection.getresponse()
        except (OSError, http.client.HTTPException) as exc:
            raise self._fail(exc, "download request") from None
        if response.status not in (200, 206):
            response.close()
            raise EndpointError(
                f"unusable URL: HTTP {response.status} {response.reason} from {self.target.shown}; the throughput "
                "needs a readable object: give a signed URL to a test object with --url"
            )
        received, stopped_by = 0, "end"
        start = time.perf_counter()
        deadline = start + self.options.seconds
        while True:
            now = time.perf_counter()
            if now >= deadline:
                stopped_by = "time"
                break
            if received >= self.options.max_bytes:
                stopped_by = "size"
                break
            sock.settimeout(min(self.options.timeout, max(deadline - now, 0.001)))
            try:
                chunk = response.read1(min(_CHUNK, self.options.max_bytes - received))
            except TimeoutError as exc:
                if time.perf_counter() >= deadline:
                    stopped_by = "time"
                    break
                raise self._fail(exc, "download") from None
            except (OSError, http.client.HTTPException) as exc:
                raise self._fail(exc, "download") from None
            if not chunk:
                break
            received += len(chunk)
            if progress is not None:
                progress(received, time.perf_counter() - start)
        elapsed = time.perf_counter() - start
        response.close()
        if received == 0:
            raise EndpointError(f"unusable URL: {self.target.shown} returned an empty object; give a test object")
        return Download(bytes=received, seconds=elapsed, status=response.status, stopped_by=stopped_by)


def measure(endpoint: Endpoint, minimums: Minimums, options: Options, progress: Progress | None = None) -> Result:
    """Measure one endpoint and judge it against ``minimums``."""
    if endpoint.url is None:
        return Result(endpoint, "skipped", Measurement(), notes=[endpoint.note] if endpoint.note else [])
    probe = _Probe(_Target.of(endpoint.url), options, tls_context(options.ca_file))
    try:
        measurement = probe.run(endpoint.role, progress)
    except EndpointError as exc:
        return Result(endpoint, "error", probe.measurement, reason=str(exc))
    return judge(endpoint, measurement, minimums)


def judge(endpoint: Endpoint, m: Measurement, minimums: Minimums) -> Result:
    """``pass`` when the median latency is below the maximum and (storage) the throughput above the minimum."""
    problems, notes = [], []
    latency = statistics.median(m.latency_ms)
    if latency >= minimums.latency_ms:
        problems.append(f"latency {latency:.1f} ms is above the maximum of {minimums.latency_ms:g} ms (PERF-02)")
        connect = statistics.median(m.connect_ms)
        if connect < minimums.latency_ms:
            notes.append(
                f"TCP connect takes {connect:.1f} ms: the time is spent beyond the first hop "
                "(a proxy answers TCP) or in the server"
            )
    if m.download is not None:
        if m.download.mbps <= minimums.download_mbps:
            problems.append(
                f"download {m.download.mbps:.1f} Mbps is below the minimum of {minimums.download_mbps:g} Mbps (PERF-01)"
            )
        if m.download.stopped_by == "end" and m.download.seconds < 1.0:
            notes.append(
                f"the object ended after {m.download.bytes / 1e6:.1f} MB in {m.download.seconds:.2f} s; "
                "a larger test object (100 MB) gives a steadier figure"
            )
    return Result(endpoint, "fail" if problems else "pass", m, problems=problems, notes=notes)


def run(
    site: str,
    endpoints: Sequence[Endpoint],
    minimums: Minimums,
    options: Options,
    progress: TextIO | None = None,
) -> Report:
    """Measure every endpoint in turn, showing download progress on ``progress`` if given."""
    results = []
    for endpoint in endpoints:
        line = ProgressLine(progress, endpoint.name, options) if progress is not None else None
        results.append(measure(endpoint, minimums, options, line))
        if line is not None:
            line.close()
    return Report(site, minimums, options, results)


# -- progress ------------------------------------------------------------------------------------


class ProgressLine:
    """Download progress on ``stream``: one rewritten line on a terminal, else a line per second."""

    def __init__(self, stream: TextIO, name: str, options: Options) -> None:
        self.stream, self.name, self.options = stream, name, options
        self.tty = stream.isatty()
        self.shown_at = 0.0
        self.started = False

    def __call__(self, received: int, elapsed: float) -> None:
        if not self.started:
            self.started = True
            if not self.tty:
                limit = f"up to {self.options.seconds:g} s or {self.options.max_bytes / 1e6:g} MB"
                self.stream.write(f"netcheck: {self.name}: downloading ({limit})\n")
        if elapsed - self.shown_at < (0.1 if self.tty else 1.0):
            return
        self.shown_at = elapsed
        mbps = received * 8 / 1e6 / max(elapsed, 1e-9)
        text = f"netcheck: {self.name}: {received / 1e6:.1f} MB in {elapsed:.1f} s ({mbps:.1f} Mbps)"
        self.stream.write(f"\r{text}\x1b[K" if self.tty else f"{text}\n")
        self.stream.flush()

    def close(self) -> None:
        """End the progress display (clears a terminal's progress line)."""
        if self.tty and self.started:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


# -- output --------------------------------------------------------------------------------------


def _spread(samples: list[float]) -> dict[str, Any] | None:
    if not samples:
        return None
    return {
        "median": round(statistics.median(samples), 3),
        "min": round(min(samples), 3),
        "max": round(max(samples), 3),
        "samples": [round(s, 3) for s in samples],
    }


def to_json(report: Report) -> dict[str, Any]:
    """The ``imaging-landing-zone/netcheck@1`` record (see the module docstring)."""
    options = report.options
    return {
        "format": FORMAT,
        "site": report.site,
        "measuredAt": report.measured_at,
        "minimums": {"downloadMbps": report.minimums.download_mbps, "latencyMs": report.minimums.latency_ms},
        "options": {
            "samples": options.samples,
            "seconds": options.seconds,
            "maxBytes": options.max_bytes,
            "timeoutSeconds": options.timeout,
            "caFile": str(options.ca_file) if options.ca_file else None,
        },
        "verdict": report.verdict,
        "endpoints": [_endpoint_json(r) for r in report.results],
    }


def _endpoint_json(result: Result) -> dict[str, Any]:
    m, endpoint = result.measurement, result.endpoint
    download = m.download
    return {
        "name": endpoint.name,
        "role": endpoint.role.value,
        "url": display_url(endpoint.url) if endpoint.url else None,
        "source": endpoint.source,
        "verdict": result.verdict,
        "reason": result.reason,
        "problems": result.problems,
        "notes": result.notes,
        "address": m.address,
        "connectMs": _spread(m.connect_ms),
        "tls": (
            {"version": m.tls_version, "cipher": m.cipher, "handshakeMs": round(m.handshake_ms, 3)}
            if m.handshake_ms is not None
            else None
        ),
        "latencyMs": _spread(m.latency_ms),
        "download": (
            {
                "bytes": download.bytes,
                "seconds": round(download.seconds, 3),
                "mbps": round(download.mbps, 3),
                "status": download.status,
                "stoppedBy": download.stopped_by,
            }
            if download
            else None
        ),
    }


def _ms_cell(samples: list[float]) -> str:
    if not samples:
        return "-"
    return f"{statistics.median(samples):.1f} ({min(samples):.1f}-{max(samples):.1f})"


def table(report: Report) -> str:
    """The report for people: one row per endpoint, then its URL and every problem, reason and note."""
    from preflight.reports.tables import text_table

    minimums = report.minimums
    lines = [
        f"site {report.site}: download > {minimums.download_mbps:g} Mbps (PERF-01), "
        f"latency < {minimums.latency_ms:g} ms (PERF-02), TLS 1.2 or newer (TLS-04)",
        "",
    ]
    header = ("endpoint", "verdict", "TLS", "handshake ms", "connect ms", "latency ms", "download Mbps")
    rows = [header]
    for r in report.results:
        m = r.measurement
        download = f"{m.download.mbps:.1f} ({m.download.bytes / 1e6:.1f} MB)" if m.download else "-"
        handshake = f"{m.handshake_ms:.1f}" if m.handshake_ms is not None else "-"
        rows.append(
            (
                r.endpoint.name,
                r.verdict,
                m.tls_version or "-",
                handshake,
                _ms_cell(m.connect_ms),
                _ms_cell(m.latency_ms),
                download,
            )
        )
    lines += text_table(rows)
    lines.append("")
    for r in report.results:
        name = r.endpoint.name
        if r.endpoint.url:
            lines.append(f"{name}: {display_url(r.endpoint.url)} ({r.endpoint.source})")
        lines += [f"{name}: {r.verdict.upper()}: {text}" for text in ([r.reason] if r.reason else r.problems)]
        lines += [f"{name}: note: {note}" for note in r.notes]
    lines.append("")
    lines.append(
        {
            "pass": "verdict: pass: every endpoint meets the minimums (exit 0)",
            "fail": "verdict: fail: an endpoint misses a minimum (exit 1)",
            "error": "verdict: error: an endpoint could not be measured (exit 2)",
        }[report.verdict]
    )
    return "\n".join(lines)


def errors(report: Report) -> list[str]:
    """One line per endpoint that could not be measured, for stderr."""
    lines = [f"{r.endpoint.name}: {r.reason}" for r in report.results if r.reason]
    if not lines and report.verdict == "error":
        lines.append("no endpoint to measure: give --url URL or set imaging-landing-zone:netcheck in the site config")
    return lines
