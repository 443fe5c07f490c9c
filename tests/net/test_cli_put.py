"""``swb put`` and ``swb serve --upload-dir/--password`` as processes (issue 21)."""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from net.events import TransferFailed, TransferStarted
from net.fileserver import FileServer
from net.share import ShareTable
from tests.conftest import WAIT
from tests.net.test_fileserver import EventLog, running

pytestmark = pytest.mark.posix_only

SWB = [sys.executable, "-m", "net"]
PASSWORD = "s3cret pass"


def swb(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k != "SWB_PASSWORD"}
    full.update(env or {})
    return subprocess.run(
        [*SWB, *args],
        capture_output=True,
        text=True,
        timeout=WAIT * 3,
        check=False,
        env=full,
        stdin=subprocess.DEVNULL,
    )


class Inbox:
    def __init__(self, server: FileServer, folder: Path, log: EventLog) -> None:
        self.server = server
        self.folder = folder
        self.log = log
        self.url = f"http://127.0.0.1:{server.port}/"


@pytest.fixture(params=[None, PASSWORD], ids=["open", "password"])
def inbox(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Inbox]:
    folder = tmp_path / "inbox"
    folder.mkdir()
    log = EventLog()
    with ShareTable() as share:
        srv = FileServer(
            share,
            "127.0.0.1",
            0,
            upload_dir=folder,
            password=request.param,
            idle_timeout=2.0,
            on_event=log,
        )
        with srv, running(srv):
            yield Inbox(srv, folder, log)


def auth_line(inbox: Inbox) -> str:
    """The Authorization header line a hand-made request needs ("" without a password)."""
    if not inbox.server.password:
        return ""
    token = base64.b64encode(f":{inbox.server.password}".encode()).decode()
    return f"Authorization: Basic {token}\r\n"


def env_for(inbox: Inbox) -> dict[str, str]:
    return {"SWB_PASSWORD": inbox.server.password} if inbox.server.password else {}


def test_put_several_files_byte_exact(inbox: Inbox, tmp_path: Path) -> None:
    files = []
    for name, size in [("one.bin", 3_000_000), ("two words.txt", 10), ("empty", 0)]:
        path = tmp_path / name
        path.write_bytes(os.urandom(size))
        files.append(path)
    done = swb("put", inbox.url, *map(str, files), env=env_for(inbox))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 3
    for path, line in zip(files, lines, strict=True):
        stored = inbox.folder / path.name
        assert stored.read_bytes() == path.read_bytes()
        assert hashlib.sha256(path.read_bytes()).hexdigest() in line
        assert "verified by the server" in line
    # The same name again: refused (409), the stored file unchanged, exit 1 with one line.
    again = swb("put", inbox.url, str(files[1]), env=env_for(inbox))
    assert again.returncode == 1 and len(again.stderr.strip().splitlines()) == 1
    assert "409" in again.stderr


def test_put_carries_on_after_a_refused_file(inbox: Inbox, tmp_path: Path) -> None:
    """Issue: the first refused file used to end the run, the rest silently skipped."""
    files = []
    for name in ("a.txt", "b.txt", "c.txt"):
        path = tmp_path / name
        path.write_bytes(name.encode() * 1000)
        files.append(str(path))
    (inbox.folder / "a.txt").write_bytes(b"already here")
    done = swb("put", inbox.url, *files, env=env_for(inbox))
    assert done.returncode == 1, done.stderr
    assert (inbox.folder / "a.txt").read_bytes() == b"already here"
    for name in ("b.txt", "c.txt"):
        assert (inbox.folder / name).read_bytes() == name.encode() * 1000
    assert [line.split()[0] for line in done.stdout.splitlines()] == [
        inbox.url + "b.txt",
        inbox.url + "c.txt",
    ]
    errors = done.stderr.strip().splitlines()
    assert len(errors) == 2 and "a.txt: 409" in errors[0], errors
    assert errors[1].startswith("swb: 2 files sent, 1 refused: the server refused a.txt: 409")


@pytest.mark.parametrize("name", ["CON", "a b#?%.txt"])
def test_put_prints_the_url_the_server_stored_the_file_at(
    inbox: Inbox, tmp_path: Path, name: str
) -> None:
    """The server renames what Windows or a URL cannot hold; the printed URL is its choice."""
    source = tmp_path / name
    source.write_bytes(b"renamed?")
    done = swb("put", inbox.url, str(source), env=env_for(inbox))
    assert done.returncode == 0, done.stderr
    [stored] = os.listdir(inbox.folder)
    assert stored != name and (inbox.folder / stored).read_bytes() == b"renamed?"
    url = done.stdout.split()[0]
    assert url == inbox.url + urllib.parse.quote(stored), done.stdout


def test_a_cut_upload_resumes_byte_exact(inbox: Inbox, tmp_path: Path) -> None:
    """A client killed mid-upload (here: a socket that sends half a resumable PUT and is gone,
    what the server sees of a killed swb put) leaves a hidden .part; swb put asks for the offset
    and sends only the rest."""
    data = os.urandom(2_000_000)
    source = tmp_path / "resume.bin"
    source.write_bytes(data)
    half = 1_234_567
    head = (
        f"PUT /resume.bin HTTP/1.1\r\nHost: x\r\nContent-Length: {len(data)}\r\n"
        "Upload-Complete: ?1\r\nUpload-Draft-Interop-Version: 6\r\n"
    )
    head += auth_line(inbox)
    with socket.create_connection(("127.0.0.1", inbox.server.port), timeout=WAIT) as sock:
        sock.sendall(head.encode() + b"\r\n" + data[:half])
    failed = inbox.log.wait(lambda ev: any(isinstance(e, TransferFailed) for e in ev))
    assert [e.done for e in failed if isinstance(e, TransferFailed)] == [half]
    assert (inbox.folder / ".resume.bin.part").stat().st_size == half
    done = swb("put", inbox.url, str(source), env=env_for(inbox))
    assert done.returncode == 0, done.stderr
    assert (inbox.folder / "resume.bin").read_bytes() == data
    assert sorted(os.listdir(inbox.folder)) == ["resume.bin"]
    starts = [e for e in inbox.log.of(TransferStarted) if isinstance(e, TransferStarted)]
    assert [(e.direction, e.offset) for e in starts] == [("in", 0), ("in", half)]


def test_password_sources(tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    source = tmp_path / "f.txt"
    source.write_bytes(b"hello")
    with ShareTable() as share:
        srv = FileServer(share, "127.0.0.1", 0, upload_dir=folder, password=PASSWORD)
        with srv, running(srv):
            base = f"127.0.0.1:{srv.port}/"
            missing = swb("put", "http://" + base, str(source))
            assert missing.returncode == 1 and "password" in missing.stderr
            wrong = swb("put", "http://:nope@" + base, str(source))
            assert wrong.returncode == 1 and "refused the password" in wrong.stderr
            in_url = swb("put", "http://:s3cret%20pass@" + base, str(source))
            assert in_url.returncode == 0, in_url.stderr
    assert (folder / "f.txt").read_bytes() == b"hello"


def test_bad_input_exits_2(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("a")
    several = swb("put", "http://127.0.0.1:1/x", str(tmp_path / "a"), str(tmp_path / "a"))
    assert several.returncode == 2 and "ends in /" in several.stderr
    missing = swb("put", "http://127.0.0.1:1/", str(tmp_path / "nope"))
    assert missing.returncode == 2
    scheme = swb("put", "ftp://127.0.0.1:1/", str(tmp_path / "a"))
    assert scheme.returncode == 2


def test_serve_password_and_uploads(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("shared")
    folder = tmp_path / "inbox"
    folder.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "SWB_PASSWORD"}
    no_password = swb("serve", "--password", "-p", "0", str(tmp_path / "a.txt"))
    assert no_password.returncode == 2 and "SWB_PASSWORD" in no_password.stderr
    no_folder = swb("serve", "--upload-dir", str(tmp_path / "nope"), str(tmp_path / "a.txt"))
    assert no_folder.returncode == 2
    process = subprocess.Popen(
        [
            *SWB,
            *("serve", "-H", "127.0.0.1", "-p", "0", "--no-announce", "--password"),
            *("--upload-dir", str(folder), str(tmp_path / "a.txt")),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env={**env, "SWB_PASSWORD": PASSWORD},
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")

        def curl(*args: str) -> str:
            done = subprocess.run(
                ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", *args],
                capture_output=True,
                text=True,
                timeout=WAIT,
                check=False,
            )
            return done.stdout

        assert curl(url + "a.txt") == "401"
        assert curl("-u", f"x:{PASSWORD}", url + "a.txt") == "200"
        assert curl("-u", f"x:{PASSWORD}", "-T", str(tmp_path / "a.txt"), url + "up.txt") == "201"
        assert (folder / "up.txt").read_text() == "shared"
    finally:
        process.terminate()
        _out, err = process.communicate(timeout=WAIT)
    assert "travels in clear text" in err
    assert "Classic raw is off" in err
    assert "Uploads go to" in err
    assert "6 bytes received" in err  # the summary counts uploads apart from what was sent


def test_a_killed_swb_put_resumes_byte_exact(tmp_path: Path) -> None:
    """swb put is killed (SIGKILL) while it sends; the server keeps the hidden .part, and the
    next swb put asks for the offset and sends only the rest."""
    import signal

    from net.events import TransferProgress

    folder = tmp_path / "inbox"
    folder.mkdir()
    source = tmp_path / "big.bin"
    with source.open("wb") as f:
        for _ in range(256):
            f.write(os.urandom(1024 * 1024))
    log = EventLog()
    with ShareTable() as share:
        srv = FileServer(share, "127.0.0.1", 0, upload_dir=folder, idle_timeout=2.0, on_event=log)
        with srv, running(srv):
            url = f"http://127.0.0.1:{srv.port}/"
            process = subprocess.Popen(
                [*SWB, "put", "--quiet", url, str(source)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                log.wait(lambda ev: any(isinstance(e, TransferProgress) for e in ev))
                process.send_signal(signal.SIGKILL)
            finally:
                process.wait(WAIT)
            failed = log.wait(lambda ev: any(isinstance(e, TransferFailed) for e in ev))
            cut = next(e.done for e in failed if isinstance(e, TransferFailed))
            assert 0 < cut < source.stat().st_size
            assert (folder / ".big.bin.part").stat().st_size == cut
            done = swb("put", "--quiet", url, str(source))
            assert done.returncode == 0, done.stderr
    assert sorted(os.listdir(folder)) == ["big.bin"]
    assert (
        hashlib.sha256((folder / "big.bin").read_bytes()).digest()
        == hashlib.sha256(source.read_bytes()).digest()
    )
    starts = [e for e in log.of(TransferStarted) if isinstance(e, TransferStarted)]
    assert [e.offset for e in starts] == [0, cut]


def test_a_resume_with_other_bytes_is_refused_and_not_kept(inbox: Inbox, tmp_path: Path) -> None:
    """The held part came from another file of the same name: the whole-file digest does not
    match at the end, so the mix is dropped (400) and the next swb put starts afresh."""
    first = os.urandom(100_000)
    head = (
        f"PUT /same.bin HTTP/1.1\r\nHost: x\r\nContent-Length: {len(first)}\r\n"
        "Upload-Complete: ?1\r\n"
    )
    head += auth_line(inbox)
    with socket.create_connection(("127.0.0.1", inbox.server.port), timeout=WAIT) as sock:
        sock.sendall(head.encode() + b"\r\n" + first[:50_000])
    inbox.log.wait(lambda ev: any(isinstance(e, TransferFailed) for e in ev))
    other = tmp_path / "same.bin"
    other.write_bytes(os.urandom(100_000))
    mixed = swb("put", inbox.url, str(other), env=env_for(inbox))
    assert mixed.returncode == 1 and "400" in mixed.stderr
    assert os.listdir(inbox.folder) == []
    again = swb("put", inbox.url, str(other), env=env_for(inbox))
    assert again.returncode == 0, again.stderr
    assert (inbox.folder / "same.bin").read_bytes() == other.read_bytes()


def test_put_to_a_port_nobody_listens_on_says_so_and_exits_1(tmp_path: Path) -> None:
    """swb put connects through net._connect: the shared sentence, exit 1 (a network failure)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    (tmp_path / "f.txt").write_bytes(b"x")
    done = swb("put", "--retries", "0", f"http://127.0.0.1:{port}/", str(tmp_path / "f.txt"))
    assert done.returncode == 1, done
    assert done.stderr == (
        f"swb: connection refused by 127.0.0.1:{port}: nothing is listening on that port\n"
    )
