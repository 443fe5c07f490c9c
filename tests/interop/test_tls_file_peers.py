"""`swb serve --tls` and `swb get https://` against programs nobody here wrote: curl, openssl
s_client and Python's http.client and ssl, with a trustme CA and with swb's self-signed
certificate; and the wrong protocol both ways."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import signal
import socket
import ssl
import subprocess
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from tests.conftest import WAIT
from tests.interop.test_socket_peers import ENV, SWB
from tests.net.test_cli_files import swb_serve
from tests.net.test_cli_files_tls import Leaf, TlsServe, issue_leaf, swb_serve_tls

pytestmark = pytest.mark.interop

NAME = "报告 #1.bin"  # a space, a "#" and Chinese: curl and s_client must send it right
DATA = hashlib.sha256(b"seed").digest() * 4096  # 128 KiB, more than one TLS record


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def leaf(ca: trustme.CA, tmp_path: Path) -> Leaf:
    return issue_leaf(ca, tmp_path)


@pytest.fixture
def shared(tmp_path: Path) -> Path:
    path = tmp_path / "shared" / NAME
    path.parent.mkdir()
    path.write_bytes(DATA)
    return path


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """The children's environment, with their own data folder for the self-signed certificate."""
    return dict(ENV, SWB_DATA_DIR=str(tmp_path / "data"))


@pytest.fixture
def with_ca(leaf: Leaf, shared: Path, env: dict[str, str]) -> Iterator[TlsServe]:
    with swb_serve_tls("--cert", str(leaf.cert), "--key", str(leaf.key), str(shared), env=env) as s:
        yield s


@pytest.fixture
def self_signed(shared: Path, env: dict[str, str]) -> Iterator[TlsServe]:
    with swb_serve_tls(str(shared), env=env) as s:
        yield s


def run(*argv: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(argv, input=stdin, capture_output=True, timeout=WAIT + 5, env=ENV)


def curl(port: int, *options: str) -> subprocess.CompletedProcess[bytes]:
    # --resolve: "localhost" (the certificate's name) is 127.0.0.1, where the server listens.
    url = f"https://localhost:{port}/" + urllib.parse.quote(NAME)
    return run(
        "curl", "-sS", "--noproxy", "*", "--max-time", str(int(WAIT)),
        "--resolve", f"localhost:{port}:127.0.0.1", *options, url,
    )  # fmt: skip


def swb_get(url: str, folder: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SWB, "get", url, "-o", str(folder), "--timeout", "5", *options],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=WAIT + 5,
        env=ENV,
    )


def stop(served: TlsServe) -> tuple[int, str, str]:
    served.process.send_signal(signal.SIGTERM)
    out, err = served.process.communicate(timeout=WAIT)
    return served.process.returncode, out, err


# ---- curl ---------------------------------------------------------------------------------------


def test_curl_with_the_ca_downloads_byte_for_byte(with_ca: TlsServe, leaf: Leaf) -> None:
    result = curl(with_ca.port, "--cacert", str(leaf.cafile))
    assert result.returncode == 0, result.stderr
    assert result.stdout == DATA
    code, out, _ = stop(with_ca)
    assert code == 0 and f"started {NAME!r}: 128.0 KiB (https)" in out


def test_curl_insecure_accepts_the_self_signed_certificate_and_plain_curl_refuses_it(
    self_signed: TlsServe,
) -> None:
    insecure = curl(self_signed.port, "-k")
    assert insecure.returncode == 0, insecure.stderr
    assert insecure.stdout == DATA
    verified = curl(self_signed.port)
    assert verified.returncode == 60  # CURLE_PEER_FAILED_VERIFICATION
    assert verified.stdout == b""


# ---- classic raw inside TLS ---------------------------------------------------------------------


def test_openssl_s_client_sends_a_raw_name_inside_tls(with_ca: TlsServe, leaf: Leaf) -> None:
    # -ign_eof: the end of our input does not end the connection; the server's close does.
    result = run(
        "openssl", "s_client", "-quiet", "-ign_eof", "-connect", f"127.0.0.1:{with_ca.port}",
        "-servername", "localhost", "-CAfile", str(leaf.cafile), "-verify_return_error",
        "-verify_hostname", "localhost",
        stdin=NAME.encode(),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout == DATA
    code, out, _ = stop(with_ca)
    assert code == 0 and f"started {NAME!r}: 128.0 KiB (raw+tls)" in out


def test_python_ssl_classic_client_pinned_to_the_printed_fingerprint(
    self_signed: TlsServe,
) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # checked below by the fingerprint instead
    with (
        socket.create_connection(("127.0.0.1", self_signed.port), timeout=WAIT) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        der = tls.getpeercert(binary_form=True)
        assert der is not None
        assert hashlib.sha256(der).digest().hex(":").upper() == self_signed.fingerprint()
        tls.sendall(NAME.encode())  # the name in one write, no terminator
        received = bytearray()
        while chunk := tls.recv(65536):
            received += chunk
    assert received == DATA


# ---- http.client ------------------------------------------------------------------------------


def test_http_client_lists_the_share_as_json_over_tls(with_ca: TlsServe, leaf: Leaf) -> None:
    context = ssl.create_default_context(cafile=str(leaf.cafile))

    def fetch(target: str) -> tuple[int, bytes]:
        # The certificate names 127.0.0.1 too, so the host check passes without a name.
        conn = http.client.HTTPSConnection("127.0.0.1", with_ca.port, timeout=WAIT, context=context)
        try:
            conn.request("GET", target)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    status, body = fetch("/?format=json")
    assert status == 200
    (entry,) = json.loads(body)
    assert (entry["name"], entry["size"]) == (NAME, len(DATA))
    assert entry["url"] == "/" + urllib.parse.quote(NAME)
    assert fetch(entry["url"]) == (200, DATA)


# ---- swb get against swb serve --tls ----------------------------------------------------------


def test_swb_get_with_the_fingerprint_swb_serve_printed(
    self_signed: TlsServe, tmp_path: Path
) -> None:
    url = self_signed.url + urllib.parse.quote(NAME)
    (tmp_path / "out").mkdir()
    refused = swb_get(url, tmp_path / "out")
    wrong = swb_get(url, tmp_path / "out", "--fingerprint", ":".join(["AB"] * 32))
    pinned = swb_get(url, tmp_path / "out", "--fingerprint", self_signed.fingerprint())
    assert refused.returncode == 1
    assert refused.stderr.startswith(
        f"swb: the certificate of 127.0.0.1:{self_signed.port} is self-signed and not trusted; "
        "pin its fingerprint with --fingerprint or use --insecure"
    )
    assert wrong.returncode == 1
    assert f"fingerprint {self_signed.fingerprint()} does not match the pinned one" in wrong.stderr
    assert pinned.returncode == 0, pinned.stderr
    assert pinned.stdout.endswith("  verified\n")
    assert os.listdir(tmp_path / "out") == [NAME]
    assert (tmp_path / "out" / NAME).read_bytes() == DATA
    for result in (refused, wrong, pinned):
        assert "Traceback" not in result.stderr


def test_swb_get_plain_from_tls_and_tls_from_plain_exit_1(
    self_signed: TlsServe, shared: Path, tmp_path: Path
) -> None:
    tls_port = self_signed.port
    plain = swb_get(f"http://127.0.0.1:{tls_port}/x.bin", tmp_path)
    with swb_serve(str(shared)) as (_, urls):
        plain_port = int(urls[0].rsplit(":", 1)[1].strip("/"))
        tls = swb_get(f"https://127.0.0.1:{plain_port}/x.bin", tmp_path, "--insecure")
    assert plain.returncode == 1
    assert plain.stderr == (
        f"swb: the server at 127.0.0.1:{tls_port} answered 400 Bad Request; "
        "if it is a TLS server, use "
        f"https://127.0.0.1:{tls_port}/x.bin\n"
    )
    assert tls.returncode == 1
    assert tls.stderr.splitlines()[-1] == (
        f"swb: 127.0.0.1:{plain_port} closed the connection during the TLS handshake: it may not "
        "speak TLS, or it refused this client"
    )
