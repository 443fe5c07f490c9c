"""``swb get`` against hostile servers, as a user runs it: signals while data keeps coming, the
overall deadline, the size limit, true sentences, and resume across a kill on every platform
(Windows and macOS simulated with tests/simulate.py)."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests import simulate
from tests.conftest import WAIT
from tests.net.test_download_hostile import Handler, answer, endless, head, hostile

SWB = [sys.executable, "-m", "net"]


def wait_for_bytes(path: Path, at_least: int) -> None:
    deadline = time.monotonic() + WAIT
    while not (path.exists() and path.stat().st_size >= at_least):
        assert time.monotonic() < deadline, f"{path} never reached {at_least} bytes"
        time.sleep(0.02)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_get_while_data_keeps_coming(tmp_path: Path, signum: int) -> None:
    with hostile(endless(b"", b"x" * 65536)) as s:
        process = subprocess.Popen(
            [*SWB, "get", f"raw://127.0.0.1:{s.port}/f.bin", "-o", str(tmp_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            wait_for_bytes(tmp_path / "f.bin.part", 1)
            process.send_signal(signum)
            out, err = process.communicate(timeout=WAIT)
        finally:
            process.kill()
            process.wait(WAIT)
    assert process.returncode == 130 and out == ""
    assert err == (
        "swb: the download was cancelled; the bytes received are kept in f.bin.part, which "
        "cannot be resumed\n"
    )


def test_endless_informational_answers_end_with_a_sentence(tmp_path: Path) -> None:
    with hostile(endless(b"", b"HTTP/1.1 100 Continue\r\n\r\n")) as s:
        done = subprocess.run(
            [*SWB, "get", f"http://127.0.0.1:{s.port}/f.bin", "-o", str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=WAIT,
            check=False,
        )
    assert done.returncode == 1
    assert "informational (1xx) answers and no file" in done.stderr
    assert len(done.stderr.splitlines()) == 1


def test_timeout_bounds_the_whole_download(tmp_path: Path) -> None:
    trickle = endless(head("200 OK", [("Content-Length", "100000"), ("ETag", '"a"')]), b"x", 0.01)
    with hostile(trickle) as s:
        done = subprocess.run(
            [
                *SWB,
                "get",
                f"http://127.0.0.1:{s.port}/f.bin",
                "-o",
                str(tmp_path),
                "--timeout",
                "0.5",
                "--idle-timeout",
                "5",
            ],
            capture_output=True,
            text=True,
            timeout=WAIT,
            check=False,
        )
    assert done.returncode == 1
    assert done.stderr == (
        "swb: the download did not finish within 0.5 s; f.bin.part is kept to resume later\n"
    )


def test_max_size_bounds_a_body_without_length(tmp_path: Path) -> None:
    with hostile(endless(b"HTTP/1.0 200 OK\r\n\r\n", b"x" * 65536)) as s:
        done = subprocess.run(
            [
                *SWB,
                "get",
                f"http://127.0.0.1:{s.port}/f.bin",
                "-o",
                str(tmp_path),
                "--max-size",
                "1M",
            ],
            capture_output=True,
            text=True,
            timeout=WAIT,
            check=False,
        )
    assert done.returncode == 1
    assert "the server kept sending" in done.stderr and "nothing was kept" in done.stderr
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("value", ["abc", "0", "-5M", "1X"])
def test_a_bad_max_size_is_bad_input(tmp_path: Path, value: str) -> None:
    done = subprocess.run(
        [*SWB, "get", "http://127.0.0.1:9/f.bin", "-o", str(tmp_path), "--max-size", value],
        capture_output=True,
        text=True,
        timeout=WAIT,
        check=False,
    )
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) <= 2
    assert "Traceback" not in done.stderr


def reset_after(data: bytes) -> Handler:
    def handler(conn: socket.socket, _request: bytes) -> None:
        conn.sendall(data)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    return handler


def test_a_plain_reset_mid_answer_gives_no_tls_advice(tmp_path: Path) -> None:
    sent = head("200 OK", [("Content-Length", "100000")], b"x" * 1000)
    with hostile(reset_after(sent)) as s:
        done = subprocess.run(
            [*SWB, "get", f"http://127.0.0.1:{s.port}/f.bin", "-o", str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=WAIT,
            check=False,
        )
    assert done.returncode == 1
    assert done.stderr == f"swb: 127.0.0.1:{s.port} reset the connection\n"


def test_a_server_that_never_sends_a_byte_is_not_told_to_resume(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]
        done = subprocess.run(
            [
                *SWB,
                "get",
                f"http://127.0.0.1:{port}/f.bin",
                "-o",
                str(tmp_path),
                "--idle-timeout",
                "0.3",
            ],
            capture_output=True,
            text=True,
            timeout=WAIT,
            check=False,
        )
    assert done.returncode == 1
    assert "stopped sending" not in done.stderr and "resume" not in done.stderr
    assert f"127.0.0.1:{port} accepted the connection but sent nothing for 0.3 s" in done.stderr


# ---- 13.2: resume across a kill, on every platform ---------------------------------------------

DATA = os.urandom(600_000)
HALF = 200_000


@pytest.mark.parametrize("platform", [*simulate.PLATFORMS, "linux"])
def test_a_killed_get_resumes_with_a_range_byte_exact(tmp_path: Path, platform: str) -> None:
    """The first connection sends a third and then holds still, so the kill lands half-way."""
    killed = threading.Event()

    def first(conn: socket.socket, _request: bytes) -> None:
        fields = [("Content-Length", str(len(DATA))), ("ETag", '"v7"')]
        conn.sendall(head("200 OK", fields, DATA[:HALF]))
        killed.wait(WAIT)

    rest = head(
        "206 Partial Content",
        [
            ("Content-Length", str(len(DATA) - HALF)),
            ("Content-Range", f"bytes {HALF}-{len(DATA) - 1}/{len(DATA)}"),
            ("ETag", '"v7"'),
        ],
        DATA[HALF:],
    )
    out = tmp_path / "out"
    out.mkdir()

    def command(url: str) -> list[str]:
        args = ["get", url, "-o", str(out)]
        return [*SWB, *args] if platform == "linux" else simulate.swb_command(platform, *args)

    with hostile(first, answer(rest)) as s:
        url = f"http://127.0.0.1:{s.port}/data.bin"
        process = subprocess.Popen(command(url), env=simulate.env())
        try:
            wait_for_bytes(out / "data.bin.part", HALF)
        finally:
            process.kill()  # SIGKILL: no cleanup at all
            process.wait(WAIT)
            killed.set()
        assert sorted(os.listdir(out)) == ["data.bin.part", "data.bin.part.resume"]
        again = subprocess.run(
            command(url), env=simulate.env(), capture_output=True, text=True, timeout=WAIT
        )
    assert again.returncode == 0, again.stderr
    assert f"Range: bytes={HALF}-".encode() in s.requests[1]
    assert b'If-Range: "v7"' in s.requests[1]
    assert os.listdir(out) == ["data.bin"]
    assert hashlib.sha256((out / "data.bin").read_bytes()).digest() == hashlib.sha256(DATA).digest()
