"""The file server's body path on every platform (issue 13.1).

Each way of sending a file (sendfile, positional reads, seek + read) is run directly over loopback,
then `swb serve` runs under tests/simulate.py as CPython on Windows and macOS would (no sendfile,
no pread on Windows) and must send whole files, byte-exact, over HTTP (curl), classic raw and TLS.
"""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import trustme

from net._body import BodySender, Method, ShortFile, best_method
from net.events import TransferFailed, TransferFinished, TransferStarted
from net.fileserver import FileServer
from net.share import ShareTable
from tests import simulate
from tests.conftest import WAIT
from tests.net.test_fileserver import EventLog, read_to_end, running

#: Every way of sending; where this Python lacks one (CPython on Windows), its case says so.
METHODS = [
    pytest.param(
        "sendfile", marks=pytest.mark.skipif(not hasattr(os, "sendfile"), reason="no os.sendfile")
    ),
    pytest.param("pread", marks=pytest.mark.skipif(not hasattr(os, "pread"), reason="no os.pread")),
    "read",
]
DATA = os.urandom(3 * 1024 * 1024 + 12345)  # several chunks of every method, and a ragged end


@contextmanager
def socket_pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    """A connected TCP pair on loopback: (server side, non-blocking; client side)."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        client = socket.create_connection(listener.getsockname(), timeout=WAIT)
        server, _ = listener.accept()
    server.setblocking(False)
    with server, client:
        yield server, client


def sender(sock: socket.socket) -> BodySender:
    stop = threading.Event()
    return BodySender(sock, idle_timeout=WAIT, stopping=stop.is_set, wait_stopped=stop.wait)


def receive(sock: socket.socket, out: list[bytes]) -> threading.Thread:
    thread = threading.Thread(target=lambda: out.append(read_to_end(sock)))
    thread.start()
    return thread


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(("offset", "length"), [(0, len(DATA)), (1, 1), (777, len(DATA) - 1000)])
def test_every_method_sends_the_exact_span(
    tmp_path: Path, method: Method, offset: int, length: int
) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(DATA)
    received: list[bytes] = []
    progress: list[int] = []
    with socket_pair() as (server, client):
        thread = receive(client, received)
        fd = os.open(path, os.O_RDONLY)
        try:
            sender(server).send_file(fd, offset, length, progress.append, method=method)
        finally:
            os.close(fd)
        server.shutdown(socket.SHUT_WR)
        thread.join(WAIT)
    assert received == [DATA[offset : offset + length]]
    assert progress[-1] == length and progress == sorted(progress)


@pytest.mark.parametrize("method", METHODS)
def test_every_method_notices_a_file_that_became_shorter(tmp_path: Path, method: Method) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(DATA[:1000])
    with socket_pair() as (server, _client):
        fd = os.open(path, os.O_RDONLY)
        try:
            with pytest.raises(ShortFile):
                sender(server).send_file(fd, 0, 5000, lambda done: None, method=method)
        finally:
            os.close(fd)


def test_tls_sockets_never_use_sendfile() -> None:
    positional = "pread" if hasattr(os, "pread") else "read"
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    with socket.socket() as plain:
        assert best_method(plain) == ("sendfile" if hasattr(os, "sendfile") else positional)
        tls = context.wrap_socket(socket.socket(), server_side=True, do_handshake_on_connect=False)
        with tls:
            assert best_method(tls) == positional


def test_a_bug_in_a_transfer_ends_it_as_failed_and_the_server_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 13.1: an AttributeError once ended every body silently; now it is a failed transfer
    with a log line, and the next request is served."""
    (tmp_path / "f.bin").write_bytes(DATA)
    log = EventLog()
    real = BodySender.send_file

    def broken(self: BodySender, *args: object, **kwargs: object) -> None:
        raise AttributeError("module 'os' has no attribute 'pread'")

    monkeypatch.setattr(BodySender, "send_file", broken)
    with ShareTable(hash_files=False) as share:
        share.add(tmp_path / "f.bin")
        with running(FileServer(share, "127.0.0.1", 0, on_event=log)) as server:
            with socket.create_connection(("127.0.0.1", server.port), timeout=WAIT) as sock:
                sock.sendall(b"f.bin")
                assert read_to_end(sock) == b""
            failed = log.wait(lambda events: any(isinstance(e, TransferFailed) for e in events))
            reason = next(e.reason for e in failed if isinstance(e, TransferFailed))
            assert "internal error" in reason and "AttributeError" in reason
            assert any("internal error" in r.getMessage() for r in caplog.records)
            monkeypatch.setattr(BodySender, "send_file", real)
            with socket.create_connection(("127.0.0.1", server.port), timeout=WAIT) as sock:
                sock.sendall(b"f.bin")
                assert read_to_end(sock) == DATA


# ---- swb serve as on Windows and macOS -----------------------------------------------------------


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@contextmanager
def simulated_serve(platform: str, *args: str) -> Iterator[tuple[int, subprocess.Popen[str]]]:
    process = subprocess.Popen(
        simulate.swb_command(platform, "serve", "-H", "127.0.0.1", "-p", "0", *args),
        env=simulate.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url, process.stderr.read() if process.stderr else ""
        yield int(url.rsplit(":", 1)[1].strip("/")), process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.communicate(timeout=WAIT)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(WAIT)
    assert process.returncode == 0


def curl(*args: str) -> bytes:
    done = subprocess.run(["curl", "-sS", "--fail", *args], capture_output=True, timeout=WAIT)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("platform", simulate.PLATFORMS)
def test_simulated_swb_serve_sends_whole_files_over_http_and_raw(
    tmp_path: Path, platform: str
) -> None:
    (tmp_path / "data.bin").write_bytes(DATA)
    with simulated_serve(platform, str(tmp_path / "data.bin")) as (port, process):
        assert curl(f"http://127.0.0.1:{port}/data.bin") == DATA
        assert curl("-r", "100-", f"http://127.0.0.1:{port}/data.bin") == DATA[100:]
        with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as sock:
            sock.sendall(b"data.bin")
            assert hashlib.sha256(read_to_end(sock)).digest() == hashlib.sha256(DATA).digest()
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(6)]  # started + finished, three times
    assert sum("finished" in line for line in lines) == 3, lines


@pytest.mark.parametrize("platform", simulate.PLATFORMS)
def test_simulated_swb_serve_sends_whole_files_over_tls(
    tmp_path: Path, platform: str, ca: trustme.CA
) -> None:
    (tmp_path / "data.bin").write_bytes(DATA)
    cert = ca.issue_cert("127.0.0.1")
    cert.private_key_pem.write_to_path(str(tmp_path / "key.pem"))
    cert.cert_chain_pems[0].write_to_path(str(tmp_path / "cert.pem"))
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    context = ssl.create_default_context(cafile=str(tmp_path / "ca.pem"))
    args = ("--cert", str(tmp_path / "cert.pem"), "--key", str(tmp_path / "key.pem"))
    with simulated_serve(platform, *args, str(tmp_path / "data.bin")) as (port, _process):
        url = f"https://127.0.0.1:{port}/data.bin"
        assert curl("--cacert", str(tmp_path / "ca.pem"), url) == DATA
        with (
            socket.create_connection(("127.0.0.1", port), timeout=WAIT) as raw,
            context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
        ):
            tls.sendall(b"data.bin")
            assert read_to_end(tls) == DATA


def test_events_name_the_finished_transfers(tmp_path: Path) -> None:
    """Each body path ends in TransferFinished with every byte counted (plain and sendfile)."""
    (tmp_path / "f.bin").write_bytes(DATA)
    log = EventLog()
    with ShareTable(hash_files=False) as share:
        share.add(tmp_path / "f.bin")
        with running(FileServer(share, "127.0.0.1", 0, on_event=log)) as server:
            assert curl(f"http://127.0.0.1:{server.port}/f.bin") == DATA
            events = log.wait(lambda ev: any(isinstance(e, TransferFinished) for e in ev))
    started = [e for e in events if isinstance(e, TransferStarted)]
    finished = [e for e in events if isinstance(e, TransferFinished)]
    assert started[0].total == len(DATA) and finished[0].done == len(DATA)


@pytest.mark.parametrize(("platform", "expected"), [("win32", "read"), ("darwin", "sendfile")])
def test_simulated_platforms_pick_their_body_path(platform: str, expected: str) -> None:
    code = "import socket\nfrom net._body import best_method\nprint(best_method(socket.socket()))"
    done = subprocess.run(
        simulate.code_command(platform, code),
        env=simulate.env(),
        capture_output=True,
        text=True,
        timeout=WAIT,
    )
    assert done.stdout.strip() == expected, done.stderr
