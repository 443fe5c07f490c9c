"""`swb tcp-send --tls` and `swb tcp-serve --tls` against TLS programs nobody here wrote: openssl
s_client and s_server, and a plain socat server for the wrong-protocol case."""

from __future__ import annotations

import queue
import re
import signal
import ssl
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import trustme

from net.tls import certificate_fingerprint, default_server_certificate
from tests.conftest import WAIT
from tests.interop.test_socket_peers import (
    ENV,
    RTT,
    SWB,
    SWB_LISTENING,
    peer,
    peer_on_free_port,
    port_of,
    swb,
)

pytestmark = pytest.mark.interop


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """$SWB_DATA_DIR here and in the environment that swb() and peer() give their children."""
    path = tmp_path / "data"
    monkeypatch.setenv("SWB_DATA_DIR", str(path))
    monkeypatch.setitem(ENV, "SWB_DATA_DIR", str(path))
    return path


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def leaf(ca: trustme.CA, tmp_path: Path) -> tuple[Path, Path, Path, str]:
    """(certificate, key, CA file, SHA-256 fingerprint) for localhost and 127.0.0.1."""
    issued = ca.issue_cert("localhost", "127.0.0.1")
    cert, key, cafile = tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "ca.pem"
    cert.write_bytes(b"".join(pem.bytes() for pem in issued.cert_chain_pems))
    issued.private_key_pem.write_to_path(str(key))
    ca.cert_pem.write_to_path(str(cafile))
    der = ssl.PEM_cert_to_DER_cert(issued.cert_chain_pems[0].bytes().decode())
    return cert, key, cafile, certificate_fingerprint(der)


class Lines:
    """A child's stream read line by line on a thread; ``next`` waits at most WAIT."""

    def __init__(self, stream: object) -> None:
        self._queue: queue.Queue[bytes | None] = queue.Queue()
        self.seen: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            self._queue.put(line)
        self._queue.put(None)

    def next(self) -> str | None:
        raw = self._queue.get(timeout=WAIT)
        if raw is None:
            return None
        line = raw.decode("utf-8", "replace").rstrip("\n")
        self.seen.append(line)
        return line

    def wait_for(self, pattern: str) -> re.Match[str]:
        while (line := self.next()) is not None:
            if match := re.search(pattern, line):
                return match
        raise AssertionError(f"ended before {pattern!r}: {self.seen}")

    def join(self) -> None:
        self._thread.join(WAIT)


@contextmanager
def s_server(cert: Path, key: Path, *options: str) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """`openssl s_server` for one connection on a port it picks (it prints "ACCEPT host:port").

    Its stdin stays open and idle: at end of input it would end the connection itself.
    """
    argv = ["openssl", "s_server", "-accept", "127.0.0.1:0", "-naccept", "1"]
    process = subprocess.Popen(
        [*argv, "-cert", str(cert), "-key", str(key), *options],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=ENV,
    )
    out = Lines(process.stdout)
    try:
        port = int(out.wait_for(r"^ACCEPT 127\.0\.0\.1:(\d+)$").group(1))
        yield process, port
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(WAIT)
        out.join()
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()


# ---- swb tcp-serve --tls and openssl s_client -------------------------------------------------


def test_openssl_s_client_verifies_and_talks_to_tcp_serve_tls(data_dir: Path) -> None:
    argv = [*SWB, "tcp-serve", "0", "-H", "127.0.0.1", "--tls", "--echo"]
    with peer(argv, SWB_LISTENING) as server:
        port = port_of(server)
        cert = default_server_certificate()  # what swb made, from the same data folder
        printed = [line for line in server.watched_lines if "fingerprint" in line]
        assert printed == [f"TLS certificate SHA-256 fingerprint: {cert.fingerprint}"]
        client = subprocess.Popen(
            [
                "openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername",
                "localhost", "-quiet", "-no_ign_eof",
                # The self-signed certificate as its own trust anchor, host name checked.
                "-CAfile", str(cert.cert_path), "-verify_return_error",
                "-verify_hostname", "localhost",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=ENV,
        )  # fmt: skip
        out = Lines(client.stdout)
        try:
            assert client.stdin is not None
            client.stdin.write("你好 from s_client\n".encode())
            client.stdin.flush()
            echoed = out.next()
            client.stdin.close()  # -no_ign_eof: end of input ends the connection
            assert client.wait(WAIT) == 0
        finally:
            if client.poll() is None:
                client.kill()
                client.wait(WAIT)
            out.join()
            for stream in (client.stdout, client.stderr):
                if stream is not None:
                    stream.close()
        server.wait_line("disconnected: closed by peer")
        code, out_bytes, err = server.finish(signal.SIGTERM)
    assert echoed == "你好 from s_client"
    assert code == 0 and out_bytes.decode().endswith("  你好 from s_client\\n\n")
    assert re.search(r" connected \(TLSv1\.[23]\)$", err, re.MULTILINE)
    assert err.splitlines()[-1] == "1 client, 21 bytes received, 21 bytes sent"


# ---- swb tcp-send --tls and openssl s_server --------------------------------------------------


def test_tcp_send_verified_by_the_ca_file_to_s_server(leaf: tuple[Path, Path, Path, str]) -> None:
    cert, key, cafile, fingerprint = leaf
    # -rev answers each line reversed; a line "CLOSE" makes it close the connection.
    with s_server(cert, key, "-rev") as (server, port):
        result = swb(
            "tcp-send", "localhost", str(port), r"hello s_server\nCLOSE\n", "--escapes",
            "--tls", "--cafile", str(cafile), "--wait", str(WAIT),
        )  # fmt: skip
        assert server.wait(WAIT) == 0
    assert result.returncode == 0, result.stderr
    assert RTT.sub("", result.stdout) == f"127.0.0.1:{port}  revres_s olleh\\n\n"
    assert f"certificate SHA-256 fingerprint: {fingerprint}" in result.stderr


def test_tcp_send_pinned_to_s_server(leaf: tuple[Path, Path, Path, str]) -> None:
    cert, key, _, fingerprint = leaf
    with s_server(cert, key, "-rev") as (server, port):
        result = swb(
            "tcp-send", "127.0.0.1", str(port), r"pinned\nCLOSE\n", "--escapes",
            "--fingerprint", fingerprint.replace(":", "").lower(), "--wait", str(WAIT),
        )  # fmt: skip
        assert server.wait(WAIT) == 0
    assert result.returncode == 0, result.stderr
    assert RTT.sub("", result.stdout) == f"127.0.0.1:{port}  dennip\\n\n"


def test_tcp_send_with_the_wrong_fingerprint_exits_1(leaf: tuple[Path, Path, Path, str]) -> None:
    cert, key, _, fingerprint = leaf
    wrong = ":".join(["0F"] * 32)
    with s_server(cert, key, "-rev") as (_, port):
        result = swb("tcp-send", "127.0.0.1", str(port), "secret", "--fingerprint", wrong)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"swb: the server's certificate fingerprint {fingerprint} does not match the pinned one "
        f"{wrong}: the server has a new certificate, or another machine is answering in its "
        "place\n"
    )


def test_tcp_send_insecure_to_s_server_warns(leaf: tuple[Path, Path, Path, str]) -> None:
    cert, key, _, _ = leaf
    with s_server(cert, key, "-rev") as (server, port):
        result = swb(
            "tcp-send", "127.0.0.1", str(port), r"abc\nCLOSE\n", "--escapes", "--insecure",
            "--wait", str(WAIT),
        )  # fmt: skip
        assert server.wait(WAIT) == 0
    assert result.returncode == 0, result.stderr
    assert RTT.sub("", result.stdout) == f"127.0.0.1:{port}  cba\\n\n"
    assert result.stderr.startswith("swb: warning: Certificate checks are off")


# ---- the wrong protocol, both ways -----------------------------------------------------------


def test_plain_tcp_send_to_tcp_serve_tls_exits_1(data_dir: Path) -> None:
    # The server reads 5 bytes as a TLS record header, refuses them and closes with the rest
    # unread, which makes a reset. (openssl s_server reads everything first and closes quietly;
    # a plain tcp-send cannot tell that from a server that has nothing to say, and exits 0.)
    argv = [*SWB, "tcp-serve", "0", "-H", "127.0.0.1", "--tls"]
    with peer(argv, SWB_LISTENING) as server:
        port = port_of(server)
        result = swb("tcp-send", "127.0.0.1", port, "hello, plain text", "--wait", str(WAIT))
        server.wait_line("spoke plain TCP to a TLS port")
        code, _, err = server.finish(signal.SIGTERM)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"swb: 127.0.0.1:{port} reset the connection (if it is a TLS server, add --tls)\n"
    )
    assert (
        code == 0 and err.splitlines()[-1] == "0 clients, 0 bytes received, 1 TLS handshake failed"
    )


def test_tcp_send_tls_to_a_plain_socat_server_exits_1() -> None:
    with peer_on_free_port(
        lambda port: [
            "socat",
            "-d",
            "-d",
            f"TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr",
            "SYSTEM:echo this is plain text",
        ],
        r"listening on",
    ) as (_, port):
        result = swb("tcp-send", "127.0.0.1", str(port), "x", "--tls")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"swb: 127.0.0.1:{port} speaks plain TCP, not TLS: connect to it without TLS\n"
    )
