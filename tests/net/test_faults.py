"""Faults in the middle of transfers: killed clients, resets, half-closed sockets, a full disk.

After each one the server reports a failed transfer in words (never a traceback), keeps serving
everyone else, and holds no descriptor or thread for the dead connection.
"""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import ssl
import struct
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import trustme

from net.events import TransferFailed, TransferProgress, TransferStarted
from net.fileserver import FileServer, TransferEvent
from net.share import ShareTable
from tests.conftest import WAIT
from tests.net.test_fileserver import EventLog, running
from tests.net.test_security import nothing_left_behind, open_fds, read_to_end, settle

# RLIMIT_FSIZE makes a full disk; SIGKILL and Linux-only descriptor counts (test_security).
pytestmark = pytest.mark.posix_only

MIB = 1024 * 1024
SMALL = b"small file\n" * 100
MEDIUM = hashlib.sha256(b"faults").digest() * (MIB // 32)  # 1 MiB
BIG = 1024 * MIB  # sparse


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


class Served:
    def __init__(
        self, server: FileServer, log: EventLog, client: ssl.SSLContext | None, folder: Path
    ) -> None:
        self.server = server
        self.log = log
        self.client = client
        self.folder = folder
        self.fds = 0

    @property
    def port(self) -> int:
        return self.server.port

    def connect(self, *, rcvbuf: int | None = None) -> socket.socket:
        sock = socket.socket()
        if rcvbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.settimeout(WAIT)
        sock.connect(("127.0.0.1", self.port))
        if self.client is None:
            return sock
        return self.client.wrap_socket(sock, server_hostname="127.0.0.1")

    def still_serves(self) -> None:
        """Everyone else is still served: an HTTP download and a raw one, complete."""
        with self.connect() as sock:
            sock.sendall(b"GET /medium.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            response = read_to_end(sock)
        assert response.startswith(b"HTTP/1.1 200 OK") and response.endswith(MEDIUM)
        with self.connect() as sock:
            sock.sendall(b"small.txt")
            assert read_to_end(sock) == SMALL

    def failure(self) -> TransferFailed:
        events = self.log.wait(lambda ev: any(isinstance(e, TransferFailed) for e in ev))
        return next(e for e in events if isinstance(e, TransferFailed))


@contextmanager
def serving(folder: Path, ca: trustme.CA | None, **kwargs: float) -> Iterator[Served]:
    (folder / "small.txt").write_bytes(SMALL)
    (folder / "medium.bin").write_bytes(MEDIUM)
    with open(folder / "big.bin", "wb") as big:
        big.truncate(BIG)
    server_context = client_context = None
    if ca is not None:
        server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1").configure_cert(server_context)
        client_context = ssl.create_default_context()
        ca.configure_trust(client_context)
    log = EventLog()
    with nothing_left_behind(), ShareTable(hash_files=False) as share:
        for name in ("small.txt", "medium.bin", "big.bin"):
            share.add(folder / name)
        server = FileServer(
            share,
            "127.0.0.1",
            0,
            ssl_context=server_context,
            on_event=log,
            **kwargs,  # type: ignore[arg-type]
        )
        # Serving adds one descriptor to the built server's: the loop's selector.
        fds_serving = open_fds() + 1
        with running(server):
            served = Served(server, log, client_context, folder)
            served.still_serves()  # its selector and first transfer thread exist now
            assert settle(lambda: open_fds() == fds_serving)
            served.fds = fds_serving
            yield served
            # Nothing of the faulty connection is left while it keeps serving.
            assert settle(lambda: open_fds() <= served.fds)


def wait_for_progress(served: Served, name: str = "big.bin") -> None:
    """Until the transfer of ``name`` has sent some bytes (still_serves' transfers do not count)."""

    def moving(events: list[TransferEvent]) -> bool:
        ids = {e.transfer_id for e in events if isinstance(e, TransferStarted) and e.name == name}
        return any(isinstance(e, TransferProgress) and e.transfer_id in ids for e in events)

    served.log.wait(moving)


both = pytest.mark.parametrize("use_tls", [False, True], ids=["plain", "tls"])


# ---- killed and reset clients -------------------------------------------------------------------------


def test_curl_killed_mid_download(tmp_path: Path) -> None:
    with serving(tmp_path, None, rate_limit=2 * MIB) as served:
        curl = subprocess.Popen(
            [
                "curl",
                "-sS",
                "-o",
                str(tmp_path / "out.bin"),
                f"http://127.0.0.1:{served.port}/big.bin",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for_progress(served)
        finally:
            curl.send_signal(signal.SIGKILL)  # no goodbye of any kind
            curl.wait(WAIT)
        failed = served.failure()
        assert not failed.cancelled and 0 < failed.done < BIG
        assert "closed the connection" in failed.reason or "reset" in failed.reason
        served.still_serves()


def close_with_reset(sock: socket.socket) -> None:
    """SO_LINGER 0: close() sends a reset instead of a FIN (and no TLS goodbye)."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()  # an SSLSocket's close sends no close_notify either


@both
@pytest.mark.parametrize(
    "request_bytes",
    [b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n", b"big.bin"],
    ids=["http", "raw"],
)
def test_reset_mid_transfer(
    tmp_path: Path, ca: trustme.CA, use_tls: bool, request_bytes: bytes
) -> None:
    with serving(tmp_path, ca if use_tls else None, rate_limit=4 * MIB) as served:
        sock = served.connect()
        sock.sendall(request_bytes)
        assert sock.recv(65536)
        wait_for_progress(served)
        close_with_reset(sock)
        failed = served.failure()
        assert not failed.cancelled
        assert "reset the connection" in failed.reason or "closed the connection" in failed.reason
        assert "_ssl.c" not in failed.reason and "eOF" not in failed.reason  # a sentence
        served.still_serves()


@both
def test_reset_right_after_the_request(tmp_path: Path, ca: trustme.CA, use_tls: bool) -> None:
    with serving(tmp_path, ca if use_tls else None) as served:
        for _ in range(20):
            sock = served.connect()
            sock.sendall(b"GET /medium.bin HTTP/1.1\r\nHost: x\r\n\r\n")
            close_with_reset(sock)
        served.still_serves()


@both
def test_reset_in_the_middle_of_a_head_or_handshake(
    tmp_path: Path, ca: trustme.CA, use_tls: bool
) -> None:
    with serving(tmp_path, ca if use_tls else None) as served:
        for _ in range(20):
            plain = socket.create_connection(("127.0.0.1", served.port), timeout=WAIT)
            plain.sendall(b"\x16\x03\x01" if use_tls else b"GET /medium.bin HTTP/1.1\r\nHo")
            close_with_reset(plain)
        served.still_serves()
        assert len(served.log.of(TransferStarted)) == 4  # only those of still_serves, twice


# ---- half-closed clients ------------------------------------------------------------------------------


HALF_CLOSE_CASES = [
    ("http", b"GET /medium.bin HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("http, keep-alive pipelined", b"GET /small.txt HTTP/1.1\r\nHost: x\r\n\r\n" * 3),
    ("http/1.0", b"GET /small.txt HTTP/1.0\r\n\r\n"),
    ("raw", b"medium.bin"),
    ("raw with a newline", b"small.txt\n"),
]


@both
@pytest.mark.parametrize(
    ("case", "request_bytes"), HALF_CLOSE_CASES, ids=[c for c, _ in HALF_CLOSE_CASES]
)
def test_half_closed_clients_are_answered(
    tmp_path: Path, ca: trustme.CA, use_tls: bool, case: str, request_bytes: bytes
) -> None:
    with serving(tmp_path, ca if use_tls else None) as served:
        with served.connect() as sock:
            sock.sendall(request_bytes)
            socket.socket.shutdown(sock, socket.SHUT_WR)  # "that is all I will ever send"
            response = read_to_end(sock)
        expected = MEDIUM if b"medium" in request_bytes else SMALL
        if case.startswith("raw"):
            assert response == expected
        else:
            answers = request_bytes.count(b"GET ")
            assert response.count(b" 200 OK\r\n") == answers
            assert response.count(expected) == answers


# ---- a full disk on the download side ----------------------------------------------------------------


def limit_file_size(limit: int) -> Callable[[], None]:
    def apply() -> None:
        import resource  # POSIX only

        # Ignored, SIGXFSZ would kill the process; then the write fails with EFBIG instead.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


@pytest.mark.parametrize("scheme", ["http", "raw"])
def test_swb_get_onto_a_full_disk(tmp_path: Path, scheme: str) -> None:
    (tmp_path / "srv").mkdir()
    out = tmp_path / "out"
    out.mkdir()
    with serving(tmp_path / "srv", None) as served:
        got = subprocess.run(
            [
                sys.executable,
                "-m",
                "net",
                "get",
                f"{scheme}://127.0.0.1:{served.port}/medium.bin",
                "-o",
                str(out),
            ],
            capture_output=True,
            text=True,
            timeout=WAIT * 3,
            preexec_fn=limit_file_size(256 * 1024),
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
            check=False,
        )
        served.still_serves()
    assert got.returncode == 1, got.stderr
    assert (
        got.stderr == f"swb: cannot write into {out}: the file is larger than this system allows\n"
    )
    assert got.stdout == ""
    # Nothing that looks complete (the .part's resume state may sit beside it).
    assert sorted(os.listdir(out)) in (
        [],
        ["medium.bin.part"],
        ["medium.bin.part", "medium.bin.part.resume"],
    )
    if os.listdir(out):
        assert (out / "medium.bin.part").stat().st_size <= 256 * 1024
