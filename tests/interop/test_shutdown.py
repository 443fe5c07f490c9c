"""SIGINT and SIGTERM stop ``swb serve``, ``swb tcp-serve`` and ``swb get`` in the middle of a
transfer: quickly (the target is 2 s; the bound asserted here is generous and the measured time is
printed), with the exit code the CLI documents and its summary line, never a traceback.

serve and tcp-serve exit 0 for both signals (net/_cli_files.py, net/_cli_sockets.py: stopping a
server is how it ends); get exits 130, keeping its .part to resume.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from net.events import TransferProgress
from tests.conftest import WAIT
from tests.net.test_fileserver import serve_folder

pytestmark = pytest.mark.interop

SWB = [sys.executable, "-m", "net"]
ENV = dict(os.environ, PYTHONIOENCODING="utf-8")
TARGET = 2.0  # seconds: what a user waits at most after Ctrl-C
BOUND = 5.0  # what this test asserts, on a shared, loaded machine
SIGNALS = pytest.mark.parametrize(
    "signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"]
)


@contextmanager
def started(args: list[str], *, stdout: int = subprocess.PIPE) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [*SWB, *args], stdout=stdout, stderr=subprocess.PIPE, text=True, env=ENV
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(WAIT)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def stop(process: subprocess.Popen[str], signum: int, what: str) -> tuple[int, str, float]:
    """Signal ``process``; returns (exit code, stderr, seconds until it exited)."""
    begun = time.monotonic()
    process.send_signal(signum)
    _out, err = process.communicate(timeout=WAIT)
    took = time.monotonic() - begun
    print(f"{what} stopped by {signal.Signals(signum).name} in {took:.2f} s (target {TARGET} s)")
    return process.returncode, err, took


class SlowReader:
    """Reads a download a little at a time on a thread of its own, until the connection ends."""

    def __init__(self, port: int, request: bytes) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
        self.sock.sendall(request)
        self.received = 0
        self.first = threading.Event()
        self.thread = threading.Thread(target=self._run, name="test-slow-reader")
        self.thread.start()

    def _run(self) -> None:
        with suppress(OSError):
            while chunk := self.sock.recv(64 * 1024):
                self.received += len(chunk)
                self.first.set()
                time.sleep(0.05)

    def close(self) -> None:
        self.sock.close()
        self.thread.join(WAIT)
        assert not self.thread.is_alive()


@SIGNALS
def test_swb_serve_stops_during_downloads(tmp_path: Path, signum: int) -> None:
    big = tmp_path / "big.bin"
    with open(big, "wb") as f:
        f.truncate(4 * 1024**3)  # sparse, and far more than a slow reader takes in a test
    with started(["serve", "-H", "127.0.0.1", "-p", "0", "--quiet", str(big)]) as process:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        port = int(url.rsplit(":", 1)[1].strip("/"))
        readers = [
            SlowReader(port, b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n"),
            SlowReader(port, b"big.bin"),
        ]
        try:
            assert all(r.first.wait(WAIT) for r in readers)
            code, err, took = stop(process, signum, "swb serve")
        finally:
            for reader in readers:
                reader.close()
    assert code == 0, err
    assert took < BOUND
    assert "Traceback" not in err
    summary = err.strip().splitlines()[-1]
    assert re.fullmatch(r"0 transfers, [\d,]+ bytes sent, 2 failed", summary), summary


@SIGNALS
def test_swb_tcp_serve_stops_while_clients_send(signum: int) -> None:
    with started(
        ["tcp-serve", "0", "-H", "127.0.0.1", "--echo"], stdout=subprocess.DEVNULL
    ) as process:
        assert process.stderr is not None
        line = process.stderr.readline()
        match = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
        assert match, line
        port = int(match.group(1))
        idle = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
        busy = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
        stop_sending = threading.Event()

        def send_forever() -> None:
            with suppress(OSError):
                while not stop_sending.is_set():
                    busy.sendall(b"x" * 65536)

        def read_echo() -> None:
            with suppress(OSError):
                while busy.recv(65536):
                    pass

        threads = [threading.Thread(target=send_forever), threading.Thread(target=read_echo)]
        for thread in threads:
            thread.start()
        try:
            time.sleep(0.5)  # let data flow both ways
            code, err, took = stop(process, signum, "swb tcp-serve")
        finally:
            stop_sending.set()
            for sock in (idle, busy):
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            for thread in threads:
                thread.join(WAIT)
    assert code == 0, err
    assert took < BOUND
    assert "Traceback" not in err
    summary = err.strip().splitlines()[-1]
    assert re.fullmatch(r"2 clients, [\d,]+ bytes received, [\d,]+ bytes sent", summary), summary


@SIGNALS
def test_swb_get_stops_during_a_download(tmp_path: Path, signum: int) -> None:
    (tmp_path / "srv").mkdir()
    out = tmp_path / "out"
    out.mkdir()
    with serve_folder(tmp_path / "srv", rate_limit=200_000) as s:
        (s.folder / "slow.bin").write_bytes(os.urandom(2_000_000))  # ten seconds at that rate
        s.share.add(s.folder / "slow.bin")
        url = f"http://127.0.0.1:{s.port}/slow.bin"
        with started(["get", url, "-o", str(out)]) as process:
            s.log.wait(lambda ev: any(isinstance(e, TransferProgress) for e in ev))
            code, err, took = stop(process, signum, "swb get")
    assert code == 130, err
    assert took < BOUND
    assert err == "swb: the download was cancelled; slow.bin.part is kept to resume later\n"
    assert sorted(os.listdir(out)) == ["slow.bin.part", "slow.bin.part.resume"]
