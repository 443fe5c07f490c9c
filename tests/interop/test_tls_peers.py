"""Our TLS servers against TLS clients nobody here wrote: openssl s_client and curl."""

from __future__ import annotations

import socket
import ssl
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import trustme

from net.tls import (
    default_server_certificate,
    load_server_certificate,
    normalize_fingerprint,
    server_context,
)
from tests.conftest import WAIT
from tests.net.test_tls import LoopbackServer

pytestmark = pytest.mark.interop

BODY = b"hello over TLS\n"


def answer_one_http_request(conn: socket.socket) -> None:
    request = b""
    while b"\r\n\r\n" not in request:
        chunk = conn.recv(4096)
        if not chunk:
            return
        request += chunk
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
        b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(BODY), BODY)
    )


def drain(conn: socket.socket) -> None:
    while conn.recv(4096):
        pass


@pytest.fixture
def serve() -> Iterator[Callable[..., LoopbackServer]]:
    servers: list[LoopbackServer] = []

    def start(handle: Callable[[socket.socket], None], context: ssl.SSLContext) -> LoopbackServer:
        server = LoopbackServer(handle, context)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "data"
    monkeypatch.setenv("SWB_DATA_DIR", str(path))
    return path


def run(*command: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(command, input=stdin, capture_output=True, timeout=WAIT)


def curl(port: int, *options: str) -> subprocess.CompletedProcess[bytes]:
    # --resolve pins localhost to 127.0.0.1, where the server listens (not ::1).
    return run(
        "curl",
        "-sS",
        "--noproxy",
        "*",
        "--max-time",
        str(int(WAIT)),
        "--resolve",
        f"localhost:{port}:127.0.0.1",
        *options,
        f"https://localhost:{port}/",
    )


def test_openssl_s_client_sees_the_fingerprint_we_announce(
    serve: Callable[..., LoopbackServer], data_dir: Path
) -> None:
    cert = default_server_certificate()
    server = serve(drain, server_context(cert))
    client = run(
        "openssl", "s_client", "-connect", f"127.0.0.1:{server.port}", "-servername", "localhost"
    )
    output = client.stdout.decode()
    assert client.returncode == 0, client.stderr.decode()
    assert "-----BEGIN CERTIFICATE-----" in output
    assert "TLSv1.3" in output or "TLSv1.2" in output
    printed = run("openssl", "x509", "-noout", "-fingerprint", "-sha256", stdin=client.stdout)
    assert printed.returncode == 0, printed.stderr.decode()
    assert printed.stdout.decode().lower().startswith("sha256 fingerprint=")
    assert normalize_fingerprint(printed.stdout.decode()) == cert.fingerprint
    assert not server.handshake_errors


def test_curl_trusts_a_certificate_from_the_ca_it_is_given(
    serve: Callable[..., LoopbackServer], tmp_path: Path
) -> None:
    ca = trustme.CA()
    leaf = ca.issue_cert("localhost")
    cert_file, key_file, ca_file = tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "ca.pem"
    cert_file.write_bytes(b"".join(pem.bytes() for pem in leaf.cert_chain_pems))
    leaf.private_key_pem.write_to_path(str(key_file))
    ca.cert_pem.write_to_path(str(ca_file))
    cert = load_server_certificate(str(cert_file), str(key_file))
    server = serve(answer_one_http_request, server_context(cert))
    result = curl(server.port, "--cacert", str(ca_file))
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout == BODY


def test_curl_and_the_self_signed_certificate(
    serve: Callable[..., LoopbackServer], data_dir: Path
) -> None:
    cert = default_server_certificate()
    server = serve(answer_one_http_request, server_context(cert))

    refused = curl(server.port)
    assert refused.returncode == 60, refused.stderr.decode()  # peer certificate not trusted

    insecure = curl(server.port, "-k")
    assert insecure.returncode == 0, insecure.stderr.decode()
    assert insecure.stdout == BODY

    # The certificate can also be its own trust anchor, an alternative to pinning it.
    anchored = curl(server.port, "--cacert", str(cert.cert_path))
    assert anchored.returncode == 0, anchored.stderr.decode()
    assert anchored.stdout == BODY

    assert len(server.handshake_errors) == 1  # the refused one
