"""``swb serve`` and ``swb get`` as a user runs them: real processes, signals, exit codes."""

from __future__ import annotations

import hashlib
import http.client
import os
import pty
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from net.cli import main
from net.events import TransferStarted
from tests.conftest import WAIT
from tests.net.test_fileserver import PUBLIC, serve_folder

# Children are stopped with SIGINT/SIGTERM and must print their summary (not so on Windows,
# where send_signal(SIGTERM) is TerminateProcess).
pytestmark = pytest.mark.posix_only

SWB = [sys.executable, "-m", "net"]


def swb(*args: str, timeout: float = WAIT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SWB, *args], capture_output=True, text=True, timeout=timeout, check=False
    )


@contextmanager
def swb_serve(*args: str) -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    """Start ``swb serve``; yields the process and the URLs it printed."""
    process = subprocess.Popen(
        [*SWB, "serve", "-H", "127.0.0.1", "-p", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("http://127.0.0.1:"), first + (
            process.stderr.read() if process.stderr else ""
        )
        yield process, [first.strip()]
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(WAIT)
        for stream in (process.stdout, process.stderr):
            if stream:
                stream.close()


def stop(process: subprocess.Popen[str], signum: int) -> tuple[int, str, str]:
    process.send_signal(signum)
    out, err = process.communicate(timeout=WAIT)
    return process.returncode, out, err


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_serve_prints_urls_serves_and_stops(tmp_path: Path, signum: int) -> None:
    (tmp_path / "a.txt").write_bytes(b"alpha")
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "b.txt").write_bytes(b"bravo")
    with swb_serve(str(tmp_path / "a.txt"), str(tmp_path / "dir")) as (process, urls):
        port = int(urls[0].rsplit(":", 1)[1].strip("/"))
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
        conn.request("GET", "/dir/b.txt")  # a folder keeps its tree (issue 20)
        assert conn.getresponse().read() == b"bravo"
        conn.close()
        code, out, err = stop(process, signum)
    assert code == 0
    assert "127.0.0.1:" in out and "started 'dir/b.txt'" in out and "finished 'dir/b.txt'" in out
    assert "Sharing 2 files" in err
    assert "raw://127.0.0.1:" in err
    assert err.strip().splitlines()[-1] == "1 transfer, 5 bytes sent"
    assert "Traceback" not in err


def test_serve_stops_mid_transfer(tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    with open(big, "wb") as f:
        f.truncate(64 * 1024 * 1024)  # more than any socket buffer holds
    with swb_serve("--json", str(big)) as (process, urls):
        port = int(urls[0].rsplit(":", 1)[1].strip("/"))
        with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as client:
            client.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
            assert client.recv(1024).startswith(b"HTTP/1.1 200 OK")  # then never reads again
            assert process.stdout is not None
            assert '"event": "started"' in process.stdout.readline()
            started = time.monotonic()
            code, out, err = stop(process, signal.SIGTERM)
            assert time.monotonic() - started < WAIT
    assert code == 0
    assert '"event": "failed"' in out and '"cancelled": true' in out
    assert "the server was stopped" in out
    assert "Traceback" not in err


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``swb ARGS`` in this process (quicker than a process; signals and terminals need one)."""
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_get_prints_one_final_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = str(tmp_path / "out")
    (tmp_path / "out").mkdir()
    with serve_folder(tmp_path) as s:
        result = run_main(capsys, "get", f"http://127.0.0.1:{s.port}/public.txt", "-o", out_dir)
        raw = run_main(capsys, "get", f"raw://127.0.0.1:{s.port}/public.txt", "-o", out_dir)
    digest = hashlib.sha256(PUBLIC).hexdigest()
    assert result == (
        0,
        f"{tmp_path / 'out' / 'public.txt'}  {len(PUBLIC):,} bytes  sha256 {digest}  verified\n",
        "",  # not a terminal: no progress line
    )
    assert raw[0] == 0
    assert raw[1].endswith("not verified: the classic raw protocol carries no checksum\n")
    assert (tmp_path / "out" / "public (2).txt").read_bytes() == PUBLIC


def test_get_shows_progress_on_a_terminal(tmp_path: Path) -> None:
    with serve_folder(tmp_path, rate_limit=len(PUBLIC) * 3) as s:
        (tmp_path / "out").mkdir()
        leader, follower = pty.openpty()
        try:
            process = subprocess.Popen(
                [*SWB, "get", f"http://127.0.0.1:{s.port}/public.txt", "-o", str(tmp_path / "out")],
                stdout=subprocess.PIPE,
                stderr=follower,
                text=True,
            )
            os.close(follower)
            shown = b""
            while True:
                ready, _, _ = select.select([leader], [], [], WAIT)
                if not ready:
                    break
                try:
                    chunk = os.read(leader, 4096)
                except OSError:  # the terminal closed with the process
                    break
                if not chunk:
                    break
                shown += chunk
            out, _ = process.communicate(timeout=WAIT)
        finally:
            os.close(leader)
    assert process.returncode == 0
    assert b"\r" in shown and b"%" in shown and b"/s" in shown
    assert "verified" in out


BAD_INPUT = [
    (["get", "127.0.0.1:8000/x"], "is not a URL"),
    (["get", "http://127.0.0.1:70000/x"], "out of range"),
    (["get", "http://127.0.0.1:8000/"], "names no file"),
    # The example keeps the user's scheme: a raw server does not speak http://.
    (["get", "raw://127.0.0.1:8000/"], "like raw://127.0.0.1:8000/report.pdf"),
    (["get", "raw+tls://127.0.0.1:8000/"], "like raw+tls://127.0.0.1:8000/report.pdf"),
    (["get", "gopher://h/x"], "not supported"),
    (["get", "http://127.0.0.1:9/x", "-o", "/no/such/folder"], "does not exist"),
    # -o with a file (curl's meaning) is not "the folder ... does not exist".
    (["get", "http://127.0.0.1:9/x", "-o", __file__], "is a file, not a folder"),
    (["get", "http://127.0.0.1:9/x", "--insecure"], "--insecure is for TLS servers"),
    (["get", "https://127.0.0.1:9/x", "--fingerprint", "xyz"], "is not a hex digit"),
    (["serve", "/no/such/file.txt"], "does not exist"),
    (["serve", "-p", "70000", "x"], "out of range"),
    (["serve", "--tls", "--key", __file__, "x"], "--key needs --cert too"),
    (["serve", "-H", "not a host!", "-p", "0", __file__], "not a valid host"),
]


@pytest.mark.parametrize(("args", "message"), BAD_INPUT)
def test_bad_input_exits_2_with_one_line(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_main(capsys, *args)
    assert code == 2, err
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert out == ""


def test_bad_input_from_a_real_process() -> None:
    result = swb("get", "http://127.0.0.1:70000/x")
    assert result.returncode == 2
    assert result.stderr == "swb: port 70000 is out of range: ports go from 1 to 65535\n"


def test_serve_empty_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty").mkdir()
    code, _, err = run_main(capsys, "serve", "-p", "0", str(tmp_path / "empty"))
    assert code == 2 and "has no files to share" in err


def test_serve_an_empty_folder_with_uploads_is_a_drop_box(tmp_path: Path) -> None:
    """An empty folder has nothing to share, but with --upload-dir it takes files (a drop box)."""
    empty, inbox = tmp_path / "empty", tmp_path / "inbox"
    empty.mkdir()
    inbox.mkdir()
    (tmp_path / "log.txt").write_text("the log\n")
    process = subprocess.Popen(
        [
            *SWB,
            *("serve", "-H", "127.0.0.1", "-p", "0", "--no-announce"),
            "--upload-dir",
            str(inbox),
            str(empty),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), url
        done = subprocess.run(
            [
                *("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}"),
                *("-T", str(tmp_path / "log.txt"), url + "log.txt"),
            ],
            capture_output=True,
            text=True,
            timeout=WAIT,
            check=False,
        )
        assert done.stdout == "201", done.stderr
        assert (inbox / "log.txt").read_text() == "the log\n"
    finally:
        process.terminate()
        process.wait(WAIT)


def test_network_failures_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    refused = run_main(capsys, "get", f"http://127.0.0.1:{port}/x", "-o", str(tmp_path))
    assert refused[0] == 1 and "connection refused" in refused[2]
    with serve_folder(tmp_path) as s:
        missing = run_main(capsys, "get", f"http://127.0.0.1:{s.port}/nope", "-o", str(tmp_path))
    assert missing[0] == 1 and "has no file named 'nope'" in missing[2]


def test_killed_download_resumes_byte_identical(tmp_path: Path) -> None:
    data = os.urandom(400_000)
    (tmp_path / "srv").mkdir()
    out = tmp_path / "out"
    out.mkdir()
    with serve_folder(tmp_path / "srv", rate_limit=100_000) as s:
        (s.folder / "payload.bin").write_bytes(data)
        s.share.add(s.folder / "payload.bin")
        assert s.share.wait_hashed(WAIT)
        url = f"http://127.0.0.1:{s.port}/payload.bin"
        process = subprocess.Popen([*SWB, "get", url, "-o", str(out)])
        part = out / "payload.bin.part"
        try:
            s.log.wait(lambda ev: any(isinstance(e, TransferStarted) for e in ev))
            deadline = time.monotonic() + WAIT
            while not (part.exists() and part.stat().st_size > 50_000):
                assert time.monotonic() < deadline, "the download never got going"
                time.sleep(0.02)
        finally:
            process.kill()  # SIGKILL: no cleanup at all
            process.wait(WAIT)
        assert sorted(os.listdir(out)) == ["payload.bin.part", "payload.bin.part.resume"]
        assert 0 < part.stat().st_size < len(data)
        s.server.rate_limit = None
        again = swb("get", url, "-o", str(out))
    assert again.returncode == 0, again.stderr
    assert os.listdir(out) == ["payload.bin"]
    digest = hashlib.sha256(data).hexdigest()
    assert hashlib.sha256((out / "payload.bin").read_bytes()).hexdigest() == digest
    assert again.stdout.strip().endswith(f"sha256 {digest}  verified")
