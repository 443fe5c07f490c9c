"""The file server within its selector's capacity (issue 13.3).

select() on Windows watches at most 512 sockets; with 600 idle connections the loop used to die
with "too many file descriptors in select()" while its listener stayed open. Now the loop never
watches more than :func:`net._loop.selector_capacity` allows: idle connections make room for new
ones, and beyond that HTTP gets 503 with Retry-After and raw clients a close.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from net.fileserver import FileServer
from net.share import ShareTable
from tests import simulate
from tests.conftest import WAIT
from tests.net.test_fileserver import exchange, read_to_end, running, status_of

BODY = b"0123456789abcdef" * 4096
REQUEST = b"GET /data.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"


def test_600_idle_connections_do_not_stop_a_simulated_windows_server(tmp_path: Path) -> None:
    (tmp_path / "data.bin").write_bytes(BODY)
    key = f"{tmp_path.name}/data.bin"
    process = subprocess.Popen(
        simulate.swb_command("win32", "serve", "-H", "127.0.0.1", "-p", "0", str(tmp_path)),
        env=simulate.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    idle: list[socket.socket] = []
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline().strip().rsplit(":", 1)[1].strip("/"))
        for _ in range(600):
            idle.append(socket.create_connection(("127.0.0.1", port), timeout=WAIT))
        started = time.monotonic()
        # curl honours 503 + Retry-After (--retry); the download must still come within seconds.
        done = subprocess.run(
            # The folder is shared as a tree: the file's key is "<folder name>/data.bin".
            ["curl", "-sS", "--fail", "--retry", "5", f"http://127.0.0.1:{port}/{key}"],
            capture_output=True,
            timeout=WAIT,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout == BODY
        assert time.monotonic() - started < WAIT
        assert process.poll() is None, "the server's loop died"
        with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as sock:
            sock.sendall(key.encode())
            assert read_to_end(sock) == BODY
    finally:
        for sock in idle:
            sock.close()
        process.send_signal(signal.SIGTERM)
        try:
            _out, err = process.communicate(timeout=WAIT)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(WAIT)
    assert process.returncode == 0, err
    assert "Traceback" not in err and "too many file descriptors" not in err, err


@contextmanager
def three_places(
    tmp_path: Path, head_timeout: float
) -> Iterator[tuple[FileServer, list[socket.socket]]]:
    """A server with room for three pending connections, and three connections that take it."""
    (tmp_path / "data.bin").write_bytes(BODY)
    with ShareTable(hash_files=False) as share:
        share.add(tmp_path / "data.bin")
        server = FileServer(share, "127.0.0.1", 0, max_pending=3, head_timeout=head_timeout)
        with running(server):
            taken = [
                socket.create_connection(("127.0.0.1", server.port), timeout=WAIT) for _ in range(3)
            ]
            try:
                yield server, taken
            finally:
                for sock in taken:
                    sock.close()


def test_beyond_the_cap_http_gets_503_and_raw_a_close(tmp_path: Path) -> None:
    with three_places(tmp_path, head_timeout=5.0) as (server, busy):
        # Busy, not idle: each has started a request, so none may be closed to make room.
        for sock in busy:
            sock.sendall(b"GET /data.bin HTTP/1.1\r\nHost")
        response = exchange(server.port, REQUEST)
        assert status_of(response) == 503 and b"Retry-After: 1\r\n" in response
        assert exchange(server.port, b"data.bin") == b""
        assert server.refused >= 2
        for sock in busy:
            sock.close()
        deadline = time.monotonic() + WAIT
        while True:  # the places come back once the loop has seen those closes
            response = exchange(server.port, REQUEST)
            if status_of(response) == 200:
                break
            assert time.monotonic() < deadline
        assert response.endswith(BODY)


def test_connections_that_stay_silent_make_room(tmp_path: Path) -> None:
    with three_places(tmp_path, head_timeout=30.0) as (server, silent):
        response = exchange(server.port, REQUEST)  # takes the oldest idle one's place
        assert status_of(response) == 200 and response.endswith(BODY)
        assert read_to_end(silent[0]) == b""
        for sock in silent[1:]:  # the others keep theirs: no more room was needed
            sock.setblocking(False)
            with pytest.raises(BlockingIOError):
                sock.recv(1)
