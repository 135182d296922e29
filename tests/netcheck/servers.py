"""Real servers on loopback for the netcheck tests, and the certificates they present.

Every server is a real socket on 127.0.0.1 served by threads: HTTPS (``http.server`` over ``ssl``)
with a test CA and a leaf for ``127.0.0.1``/``localhost`` made by the ``openssl`` command, and
behaviours the probe must tell apart: fast, bandwidth-throttled, slow to answer each request,
limited to given TLS versions, and two raw sockets (one that never answers the TLS handshake, one
port that refuses connections). Nothing is mocked.
"""

from __future__ import annotations

import http.server
import secrets
import shutil
import socket
import ssl
import subprocess
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OBJECT_PATH = "/test-object"
"""A readable test object; ``/private...`` answers 403 instead."""


@dataclass(frozen=True)
class Pki:
    """A test CA and the server's leaf certificate (signed by it) with its key."""

    ca: Path
    cert: Path
    key: Path


def make_pki(directory: Path) -> Pki:
    """Generate a CA and a leaf for 127.0.0.1 and localhost with the openssl command line."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("the netcheck tests generate their certificates with the openssl command; install it")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

    def run(*args: str) -> None:
        subprocess.run([openssl, *args], cwd=directory, check=True, capture_output=True)

    run(
        "req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=netcheck test CA",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    )  # fmt: skip
    run("req", *ec, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=localhost")
    (directory / "leaf.ext").write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
        "basicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature\n"
        "extendedKeyUsage=serverAuth\n"
        "authorityKeyIdentifier=keyid,issuer\n"
        "subjectKeyIdentifier=hash\n"
    )
    run(
        "x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-out", "leaf.pem", "-days", "2",
        "-set_serial", f"0x{secrets.token_hex(8)}", "-extfile", "leaf.ext",
    )  # fmt: skip
    return Pki(ca=directory / "ca.pem", cert=directory / "leaf.pem", key=directory / "leaf.key")


def server_context(
    pki: Pki, *, minimum: ssl.TLSVersion = ssl.TLSVersion.TLSv1_2, maximum: ssl.TLSVersion = ssl.TLSVersion.TLSv1_3
) -> ssl.SSLContext:
    """A server context limited to ``minimum``..``maximum``; below TLS 1.2 it lowers OpenSSL's security level.

    Raises ``ssl.SSLError`` or ``ValueError`` when the local OpenSSL cannot be configured that way.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki.cert, pki.key)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TLS 1.0/1.1 are deprecated: that is the point
        if minimum < ssl.TLSVersion.TLSv1_2:
            context.set_ciphers("ALL:@SECLEVEL=0")
        context.minimum_version = minimum
        context.maximum_version = maximum
    return context


@dataclass(frozen=True)
class Behaviour:
    """How a test server answers ``GET``: body size, bandwidth cap (bytes/s) and a delay before every answer."""

    size: int = 1 << 30
    rate: float | None = None
    delay: float = 0.0


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        # The handshake runs here, in the connection's own thread, never in the accept loop.
        self.handshake_ok = True
        try:
            self.request.do_handshake()
        except (OSError, ValueError):
            self.handshake_ok = False
        super().setup()

    def handle(self) -> None:
        if self.handshake_ok:
            super().handle()

    def do_GET(self) -> None:
        behaviour = self.server.behaviour
        if behaviour.delay:
            time.sleep(behaviour.delay)
        if self.path.startswith("/private"):
            self.send_error(403, "Forbidden")
            return
        if self.headers.get("Range") == "bytes=0-0":
            self.send_response(206)
            self.send_header("Content-Range", f"bytes 0-0/{behaviour.size}")
            self.send_header("Content-Length", "1")
            self.end_headers()
            self.wfile.write(b"\0")
            return
        self.send_response(200)
        self.send_header("Content-Length", str(behaviour.size))
        self.end_headers()
        self._stream(behaviour)

    def _stream(self, behaviour: Behaviour) -> None:
        chunk = b"\0" * (16 * 1024 if behaviour.rate else 256 * 1024)
        sent, start = 0, time.perf_counter()
        try:
            while sent < behaviour.size:
                part = chunk[: behaviour.size - sent]
                self.wfile.write(part)
                sent += len(part)
                if behaviour.rate:
                    ahead = sent / behaviour.rate - (time.perf_counter() - start)
                    if ahead > 0:
                        time.sleep(ahead)
        except (OSError, ValueError):  # the probe hangs up once it has measured enough
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests read the probe's output, not the server's log."""


class _PlainHandler(_Handler):
    """The same answers over plaintext HTTP: no handshake."""

    def setup(self) -> None:
        self.handshake_ok = True
        http.server.BaseHTTPRequestHandler.setup(self)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, context: ssl.SSLContext, behaviour: Behaviour) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.context, self.behaviour = context, behaviour

    def get_request(self) -> tuple[Any, Any]:
        sock, address = super().get_request()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as production servers do
        return self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), address

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that refuse the certificate or hang up mid-download are what these tests do."""


@contextmanager
def https_server(context: ssl.SSLContext, behaviour: Behaviour = Behaviour()) -> Iterator[str]:
    """Serve HTTPS on 127.0.0.1 until the block ends; yields the base URL ``https://127.0.0.1:<port>``."""
    server = _Server(context, behaviour)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def plain_http_server() -> Iterator[str]:
    """Plain HTTP (no TLS) on 127.0.0.1; yields an ``https://`` URL to it, as a user who typed https
    for a plaintext endpoint would have."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _PlainHandler)
    server.daemon_threads = True
    server.behaviour = Behaviour(size=1024)  # type: ignore[attr-defined]
    server.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def stalled_server() -> Iterator[str]:
    """A port whose kernel accepts TCP connections (listen backlog) but where nobody ever answers."""
    with socket.create_server(("127.0.0.1", 0), backlog=64) as sock:
        yield f"https://127.0.0.1:{sock.getsockname()[1]}"


@contextmanager
def closed_port() -> Iterator[str]:
    """A port that refuses connections: bound (so no one else takes it) but not listening."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"https://127.0.0.1:{sock.getsockname()[1]}"


def negotiated_version(url: str, pki: Pki) -> str | None:
    """The version a client that allows every version the local OpenSSL knows gets from ``url``'s server."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(pki.ca)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    context.set_ciphers("ALL:@SECLEVEL=0")
    port = int(url.rsplit(":", 1)[1])
    with (
        socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        return tls.version()
