"""Slow, idle and trickling clients: they must not delay anyone else, and their deadlines end them.

Hundreds of connections that send nothing or trickle a request head one byte a second (slowloris)
stay connected while curl and http.client download a 1 MiB file, plain and inside TLS; the file
server's head deadline then closes every one of them. A download that reads slowly but steadily
is never cut by the idle timeout, while one that stops reading is. The TCP server serves a real
client among hundreds of idle ones. (The UDP receiver has no connections to hold.)
"""

from __future__ import annotations

import hashlib
import http.client
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
import trustme

from net.events import Received, TransferFailed, TransferStarted
from net.fileserver import FileServer
from net.share import ShareTable
from net.tcp import TcpEvent, TcpServer
from tests.conftest import WAIT
from tests.net.test_fileserver import EventLog, running
from tests.net.test_security import nothing_left_behind, read_to_end, settle

MIB = 1024 * 1024
DATA = hashlib.sha256(b"slow").digest() * (MIB // 32)  # 1 MiB that is not all zeros
IDLE = 150  # connections that send nothing
TRICKLING = 150  # connections that send a head one byte a second
HEAD_TIMEOUT = 3.0


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


class Tls:
    def __init__(self, ca: trustme.CA, folder: Path) -> None:
        self.server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1").configure_cert(self.server)
        self.client = ssl.create_default_context()
        ca.configure_trust(self.client)
        self.cafile = folder / "ca.pem"
        ca.cert_pem.write_to_path(str(self.cafile))


@contextmanager
def file_server(
    folder: Path, tls: Tls | None, **kwargs: float
) -> Iterator[tuple[FileServer, EventLog]]:
    (folder / "one.bin").write_bytes(DATA)
    with open(folder / "big.bin", "wb") as big:
        big.truncate(256 * MIB)  # sparse: costs no disk
    log = EventLog()
    with ShareTable(hash_files=False) as share:
        share.add(folder / "one.bin")
        share.add(folder / "big.bin")
        server = FileServer(
            share,
            "127.0.0.1",
            0,
            ssl_context=tls.server if tls else None,
            on_event=log,
            **kwargs,  # type: ignore[arg-type]
        )
        with running(server):
            yield server, log


def connect(port: int, tls: Tls | None, *, handshake: bool = True) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
    if tls is None or not handshake:
        return sock
    return tls.client.wrap_socket(sock, server_hostname="127.0.0.1")


class Trickler:
    """Sends one more byte of a never-ending head to every socket once a second, on one thread."""

    HEAD = b"GET /one.bin HTTP/1.1\r\nHost: x\r\nX-Slow: "

    def __init__(self, socks: list[socket.socket]) -> None:
        self.socks = list(socks)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="test-trickler")
        self.thread.start()

    def _run(self) -> None:
        sent = 0
        while not self.stop.wait(1.0 if sent else 0.0):
            byte = self.HEAD[sent : sent + 1] or b"x"
            for sock in self.socks:
                with suppress(OSError):  # closed by the server's deadline: that is the point
                    sock.sendall(byte)
            sent += 1

    def close(self) -> None:
        self.stop.set()
        self.thread.join(WAIT)
        assert not self.thread.is_alive()


def closed_by_server(sock: socket.socket) -> bool:
    """True once the server has closed ``sock`` (EOF or reset), reading whatever came first."""
    try:
        sock.settimeout(WAIT)
        return read_to_end(sock) == b""  # it says nothing: no answer to half a head
    except OSError:
        return True


def curl(url: str, out: Path, tls: Tls | None) -> subprocess.CompletedProcess[bytes]:
    args = ["curl", "-sS", "--max-time", str(WAIT), "-o", str(out), url]
    if tls is not None:
        args[1:1] = ["--cacert", str(tls.cafile)]
    return subprocess.run(args, capture_output=True, timeout=WAIT + 5, check=False)


@pytest.mark.parametrize("use_tls", [False, True], ids=["plain", "tls"])
def test_idle_and_slowloris_clients_do_not_delay_a_download(
    tmp_path: Path, ca: trustme.CA, use_tls: bool
) -> None:
    tls = Tls(ca, tmp_path) if use_tls else None
    with (
        nothing_left_behind(),
        file_server(tmp_path, tls, head_timeout=HEAD_TIMEOUT) as (server, _),
    ):
        idle = [connect(server.port, tls, handshake=False) for _ in range(IDLE)]
        slow = [connect(server.port, tls) for _ in range(TRICKLING)]
        trickler = Trickler(slow)
        try:
            scheme = "https" if tls else "http"
            started = time.monotonic()
            done = curl(f"{scheme}://127.0.0.1:{server.port}/one.bin", tmp_path / "got", tls)
            assert done.returncode == 0, done.stderr
            assert (tmp_path / "got").read_bytes() == DATA
            if tls is None:
                conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=WAIT)
            else:
                conn = http.client.HTTPSConnection(
                    "127.0.0.1", server.port, timeout=WAIT, context=tls.client
                )
            try:
                conn.request("GET", "/one.bin")
                assert conn.getresponse().read() == DATA
            finally:
                conn.close()
            print(
                f"two 1 MiB downloads among {IDLE + TRICKLING} slow clients: "
                f"{time.monotonic() - started:.2f} s"
            )
            # Their deadline (wall clock, from the first byte of the connection) ends them all.
            assert all(closed_by_server(sock) for sock in idle + slow)
        finally:
            trickler.close()
            for sock in idle + slow:
                sock.close()
        assert server.refused == 0


@pytest.mark.parametrize("use_tls", [False, True], ids=["plain", "tls"])
def test_a_slow_but_steady_reader_is_not_cut(tmp_path: Path, ca: trustme.CA, use_tls: bool) -> None:
    """Regression: the idle timeout ran from the last time the kernel reported room (a third of a
    4 MiB send buffer), not from the client's last progress, so a client reading 160 KiB/s was
    cut after one idle timeout although it never stopped reading."""
    tls = Tls(ca, tmp_path) if use_tls else None
    with file_server(tmp_path, tls, idle_timeout=2.0) as (server, log):
        with connect(server.port, tls) as sock:
            sock.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
            received = 0
            until = time.monotonic() + 6.0  # three idle timeouts
            while time.monotonic() < until:
                chunk = sock.recv(8 * 1024)
                assert chunk, f"cut after {received:,} bytes: {log.of(TransferFailed)}"
                received += len(chunk)
                time.sleep(0.05)
            assert not log.of(TransferFailed)
        failed = log.wait(lambda ev: any(isinstance(e, TransferFailed) for e in ev))
    assert received > MIB // 4
    assert "stopped answering" not in next(
        e.reason for e in failed if isinstance(e, TransferFailed)
    )


@pytest.mark.parametrize("use_tls", [False, True], ids=["plain", "tls"])
def test_a_reader_that_stops_is_cut_after_the_idle_timeout(
    tmp_path: Path, ca: trustme.CA, use_tls: bool
) -> None:
    tls = Tls(ca, tmp_path) if use_tls else None
    with file_server(tmp_path, tls, idle_timeout=1.0) as (server, log):
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        sock.settimeout(WAIT)
        sock.connect(("127.0.0.1", server.port))
        if tls is not None:
            sock = tls.client.wrap_socket(sock, server_hostname="127.0.0.1")
        with sock:
            sock.sendall(b"big.bin")  # the raw dialect: then never read
            log.wait(lambda ev: any(isinstance(e, TransferStarted) for e in ev))
            failed = log.wait(lambda ev: any(isinstance(e, TransferFailed) for e in ev))
    event = next(e for e in failed if isinstance(e, TransferFailed))
    assert "stopped answering (timed out)" in event.reason and not event.cancelled


@pytest.mark.parametrize("use_tls", [False, True], ids=["plain", "tls"])
def test_a_trickling_reader_cannot_hold_a_transfer(
    tmp_path: Path, ca: trustme.CA, use_tls: bool
) -> None:
    """The slow-read attack: a tiny window and a few hundred bytes read now and then. Taking a
    few bytes is not progress enough to keep a transfer slot past the idle timeout."""
    tls = Tls(ca, tmp_path) if use_tls else None
    with file_server(tmp_path, tls, idle_timeout=2.0) as (server, log):
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.settimeout(WAIT)
        sock.connect(("127.0.0.1", server.port))
        if tls is not None:
            sock = tls.client.wrap_socket(sock, server_hostname="127.0.0.1")
        with sock:
            sock.sendall(b"big.bin")
            until = time.monotonic() + WAIT
            while not log.of(TransferFailed) and time.monotonic() < until:
                with suppress(OSError):
                    sock.recv(1024)
                time.sleep(0.25)
        failed = log.wait(lambda ev: any(isinstance(e, TransferFailed) for e in ev))
    event = next(e for e in failed if isinstance(e, TransferFailed))
    assert "stopped answering (timed out)" in event.reason and not event.cancelled


# ---- the TCP server -----------------------------------------------------------------------------


def test_idle_tcp_clients_do_not_block_others() -> None:
    received: list[int] = []

    def on_event(event: TcpEvent) -> None:
        if isinstance(event, Received):
            received.append(len(event.data))

    with nothing_left_behind():
        server = TcpServer("127.0.0.1", 0, on_event=on_event, reply_mode="echo", max_clients=512)
        thread = threading.Thread(target=server.serve_forever, name="test-tcp-server")
        thread.start()
        try:
            idle = [
                socket.create_connection(("127.0.0.1", server.port), timeout=WAIT)
                for _ in range(IDLE)
            ]
            slow = [
                socket.create_connection(("127.0.0.1", server.port), timeout=WAIT)
                for _ in range(TRICKLING)
            ]
            trickler = Trickler(slow)
            try:
                assert settle(lambda: len(server.clients()) == IDLE + TRICKLING)
                with socket.create_connection(("127.0.0.1", server.port), timeout=WAIT) as real:
                    sender = threading.Thread(target=real.sendall, args=(DATA,))
                    sender.start()
                    echoed = b""
                    while len(echoed) < len(DATA):
                        chunk = real.recv(65536)
                        assert chunk
                        echoed += chunk
                    sender.join(WAIT)
                assert echoed == DATA
            finally:
                trickler.close()
                for sock in idle + slow:
                    sock.close()
            assert settle(lambda: not server.clients())
        finally:
            server.shutdown()
            thread.join(WAIT)
            server.close()
        assert not thread.is_alive()
