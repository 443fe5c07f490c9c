"""``swb get --recursive`` (net.mirror): the hostile tree of tests/net/test_folders.py mirrors
byte-exact over HTTP and HTTPS; a rerun fetches nothing; a changed file is the only one fetched; a
run killed half-way is finished by the next, resuming its .part; a hostile server cannot make it
write outside DIR or loop forever."""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import io
import itertools
import json
import os
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ClassVar

import pytest
import trustme

from net.events import TransferStarted
from net.fileserver import FileServer
from net.mirror import STAGING, Mirror, MirrorFile, MirrorProgress
from net.share import ShareTable
from net.zipstream import ZipMember, ZipPlan
from tests import simulate
from tests.conftest import WAIT
from tests.net.test_cli_files import SWB
from tests.net.test_fileserver import running
from tests.net.test_folders import Tree, read_tree, serve_tree

# The mirror is stopped with SIGKILL in one test.
pytestmark = pytest.mark.posix_only


def swb_get(url: str, out: Path, *more: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SWB, "get", "--recursive", url, "-o", str(out), "--quiet", *more],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def file_transfers(tree: Tree) -> list[TransferStarted]:
    return [e for e in tree.log.events if isinstance(e, TransferStarted)]


def mirrored(out: Path) -> tuple[dict[str, bytes], set[str]]:
    files, folders = read_tree(out)
    assert not any(name.startswith(STAGING) for name in [*files, *folders]), "staging left"
    return files, folders


def test_the_tree_mirrors_exactly_then_nothing_then_one_changed_file(tmp_path: Path) -> None:
    with serve_tree(tmp_path / "server") as tree:
        out = tmp_path / "out"
        url = f"http://127.0.0.1:{tree.port}/"
        done = swb_get(url, out)
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines()[-1] == "301 downloaded, 0 up to date, 0 failed"
        files, folders = mirrored(out)
        source_files, source_folders = read_tree(tree.source)
        assert files == {"alone.txt": b"shared alone"} | {
            f"tree/{k}": v for k, v in source_files.items()
        }
        assert folders == {"tree"} | {f"tree/{f}" for f in source_folders}  # "tree/empty" too
        # 301 files missing: fetched as the share's zip, one request, each file verified.
        assert [e.name for e in file_transfers(tree)] == ["shared files.zip"]

        before = len(tree.log.events)
        again = swb_get(url, out)
        assert again.returncode == 0, again.stderr
        assert again.stdout.splitlines()[-1] == "0 downloaded, 301 up to date, 0 failed"
        assert not [e for e in tree.log.events[before:] if isinstance(e, TransferStarted)]

        changed = tree.source / "emoji 😀" / "中文" / "q?.txt"
        changed.write_bytes(b"changed on the server")
        tree.share.rescan("tree", max_age=0)
        assert tree.share.wait_hashed(WAIT)
        before = len(tree.log.events)
        third = swb_get(url, out)
        assert third.returncode == 0, third.stderr
        assert third.stdout.splitlines()[-1] == "1 downloaded, 300 up to date, 0 failed"
        fetched = [e.name for e in tree.log.events[before:] if isinstance(e, TransferStarted)]
        assert fetched == ["tree/emoji 😀/中文/q?.txt"]
        assert (
            out / "tree" / "emoji 😀" / "中文" / "q?.txt"
        ).read_bytes() == b"changed on the server"


def test_a_folder_url_mirrors_that_folder(tmp_path: Path) -> None:
    with serve_tree(tmp_path / "server") as tree:
        out = tmp_path / "out"
        done = swb_get(f"http://127.0.0.1:{tree.port}/tree/百分 100%/", out)
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines()[-1] == "48 downloaded, 0 up to date, 0 failed"
        files, _folders = mirrored(out)
        expected = {
            k.removeprefix("百分 100%/"): v
            for k, v in tree.files.items()
            if k.startswith("百分 100%/")
        }
        assert files == expected


def test_a_selection_with_progress_in_order(tmp_path: Path) -> None:
    """What the Download panel uses: ``only`` picks entries of the folder (a folder brings all
    below it; no zip is fetched for a selection), progress counts files and bytes in order up to
    the totals, and each file reports the SHA-256 of its copy."""
    with serve_tree(tmp_path / "server") as tree:
        out = tmp_path / "out"
        picked = ["#2.bin", "100%.dat", "百分 100%"]
        expected = {
            k: v for k, v in tree.files.items() if k in picked or k.startswith("百分 100%/")
        }
        progress: list[MirrorProgress] = []
        files: list[MirrorFile] = []
        url = f"http://127.0.0.1:{tree.port}/tree/"
        with Mirror(url, out, on_progress=progress.append, on_file=files.append, only=picked) as m:
            result = m.run()
        assert (result.downloaded, result.failed) == (len(expected), 0)
        assert mirrored(out)[0] == expected
        assert sorted(e.name for e in file_transfers(tree)) == sorted(f"tree/{k}" for k in expected)
        total = sum(map(len, expected.values()))
        assert progress[0] == MirrorProgress(0, len(expected), 0, total)
        assert progress[-1] == MirrorProgress(len(expected), len(expected), total, total)
        for before, after in itertools.pairwise(progress):
            assert before.files_done <= after.files_done
            assert before.bytes_done <= after.bytes_done
        assert {f.path: f.sha256 for f in files} == {
            k: hashlib.sha256(v).hexdigest() for k, v in expected.items()
        }


def test_over_https_with_the_ca_file(tmp_path: Path) -> None:
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    cafile = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(cafile))
    with serve_tree(tmp_path / "server", ssl_context=context) as tree:
        out = tmp_path / "out"
        url = f"https://127.0.0.1:{tree.port}/tree/"
        refused = swb_get(url, out)
        assert refused.returncode == 1 and "certificate" in refused.stderr, refused.stderr
        done = swb_get(url, out, "--cafile", str(cafile))
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines()[-1] == "300 downloaded, 0 up to date, 0 failed"
        assert mirrored(out)[0] == tree.files


def test_killed_half_way_the_next_run_finishes_only_what_is_missing(tmp_path: Path) -> None:
    big = os.urandom(3 * 1024 * 1024)
    with serve_tree(tmp_path / "server", more={"big.bin": big}, rate_limit=256 * 1024.0) as tree:
        out = tmp_path / "out"
        url = f"http://127.0.0.1:{tree.port}/tree/"
        process = subprocess.Popen(
            [*SWB, "get", "--recursive", url, "-o", str(out), "--quiet"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + WAIT
            while part_sizes(out) <= 64 * 1024:  # big.bin's .part (the others are < 5 KB)
                assert time.monotonic() < deadline, "big.bin's .part did not grow"
                time.sleep(0.05)
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(WAIT)
        had = {k for k, v in mirrored_files_so_far(out).items() if tree.files.get(k) == v}
        assert "big.bin" not in had
        tree.server.rate_limit = None
        before = len(tree.log.events)
        done = swb_get(url, out)
        assert done.returncode == 0, done.stderr
        downloaded, up_to_date = (int(done.stdout.split()[i]) for i in (0, 2))
        assert downloaded + up_to_date == 301 and up_to_date == len(had)
        assert mirrored(out)[0] == tree.files
        resumed = [
            e
            for e in tree.log.events[before:]
            if isinstance(e, TransferStarted) and e.name == "tree/big.bin"
        ]
        assert len(resumed) == 1 and resumed[0].offset > 0  # a Range request: the .part went on


def part_sizes(out: Path) -> int:
    """The largest .part in the staging folder so far (0 when none)."""
    largest = 0
    for dirpath, _dirnames, filenames in os.walk(out / STAGING):  # errors (gone meanwhile) skipped
        for name in filenames:
            with contextlib.suppress(FileNotFoundError):  # finished and moved meanwhile
                largest = max(largest, os.stat(os.path.join(dirpath, name)).st_size)
    return largest


def mirrored_files_so_far(out: Path) -> dict[str, bytes]:
    files, _folders = read_tree(out)
    return {k: v for k, v in files.items() if not k.startswith(STAGING)}


# ---- a hostile server ---------------------------------------------------------------------------

EVIL = b"bytes from a hostile server"
EVIL_SHA = hashlib.sha256(EVIL).hexdigest()


def _file(name: str, url: str = "/f", **extra: object) -> dict[str, object]:
    return {"name": name, "type": "file", "size": len(EVIL), "mtime": 0, "sha256": EVIL_SHA,
            "url": url, **extra}  # fmt: skip


def _folder(name: str, url: str) -> dict[str, object]:
    return {"name": name, "type": "folder", "size": 0, "mtime": 0, "sha256": None, "url": url}


HOSTILE_ROOT = [
    _file("../escape.txt"),
    _file("/etc/absolute.txt"),
    _file("a/../../b.txt"),
    _file("..\\..\\windows.txt"),
    _file("C:\\Windows\\win.ini"),
    _file(".."),
    _file("ok.txt"),
    _file("ok.txt"),  # twice: the second is refused
    _file(STAGING),
    _file("elsewhere.txt", url="http://127.0.0.2:1/f"),
    _file("dotdot-url.txt", url="/%2e%2e/f"),
    _file("bad size", size=-1),
    _file("bad digest", sha256="zz"),
    _folder("../..", "/sub/"),
    _folder("loop", "/"),
    _folder("up", "/../"),
    _folder("deep", "/deep/"),
]


MANY = [_file(f"f{i:03d}", url=f"/many/f{i:03d}", path=f"many/f{i:03d}") for i in range(70)]


def lying_zip() -> bytes:
    """The zip of /many/ as net.zipstream writes it, except that f003 holds other bytes."""
    with tempfile.TemporaryDirectory() as folder:
        for item in MANY:
            data = b"X" * len(EVIL) if item["name"] == "f003" else EVIL
            Path(folder, str(item["name"])).write_bytes(data)
        members = [ZipMember("many/", 0, 0)] + [
            ZipMember(str(item["path"]), len(EVIL), 0, Path(folder, str(item["name"])))
            for item in MANY
        ]
        plan = ZipPlan(members)
        return b"".join(
            bytes(chunk) for chunk in plan.chunks(lambda m: io.FileIO(str(m.source), "rb"))
        )


class _Hostile(http.server.BaseHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.requests.append(self.path)
        path, _, query = self.path.partition("?")
        if path == "/many/" and query == "format=zip":
            body = lying_zip()
        elif path == "/many/" and query == "format=json":
            body = json.dumps(MANY).encode()
        elif query == "format=json":
            if path == "/":
                body = json.dumps(HOSTILE_ROOT).encode()
            elif path == "/sub/":
                body = json.dumps([_file("../../deep-escape.txt", url="/sub/f")]).encode()
            elif path.startswith("/deep/"):
                body = json.dumps([_folder("d", path + "d/")]).encode()  # forever deeper
            else:
                body = b"[]"
        elif path.endswith("/f") or path.startswith("/many/f"):
            body = EVIL
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def hostile_server() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hostile)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        thread.join(WAIT)
        server.server_close()


def everything_under(root: Path) -> set[str]:
    return {
        str(Path(dirpath, name).relative_to(root))
        for dirpath, dirnames, filenames in os.walk(root)
        for name in [*dirnames, *filenames]
    }


def test_a_hostile_server_cannot_write_outside_dir_or_loop(tmp_path: Path) -> None:
    out = tmp_path / "a" / "b" / "out"
    out.mkdir(parents=True)
    before = everything_under(tmp_path)
    with hostile_server() as port:
        done = swb_get(f"http://127.0.0.1:{port}/", out)
        result = Mirror(f"http://127.0.0.1:{port}/", tmp_path / "again").run()
    assert done.returncode == 1
    assert done.stdout.splitlines()[-1] == result.summary()
    outside = everything_under(tmp_path) - before
    assert all(p.startswith(("a/b/out/", "again")) for p in outside), outside
    written = everything_under(out)
    # Every name was cleaned into one file name inside DIR (nothing went up or to /etc).
    assert {"ok.txt", ".._escape.txt", "_etc_absolute.txt", "a_.._.._b.txt"} <= written
    assert ".._../.._.._deep-escape.txt" in written  # the folder "../..", cleaned
    assert "download" in written  # the file ".."
    for name in written:
        path = out / name
        if path.is_file():
            assert path.read_bytes() == EVIL
    reasons = dict(result.failures)
    assert reasons["ok.txt"] == "another entry of this folder has the same local name"
    assert "outside the folder being mirrored" in reasons["elsewhere.txt"]
    assert "outside the folder being mirrored" in reasons["dotdot-url.txt"]
    assert "outside the folder being mirrored" in reasons["loop"]
    assert "outside the folder being mirrored" in reasons["up"]
    assert "malformed" in reasons["bad size"] and "malformed" in reasons["bad digest"]
    assert STAGING in reasons
    assert any("nest too deep" in why for why in reasons.values())
    assert result.downloaded == 8


@pytest.mark.parametrize(
    ("url", "code", "words"),
    [
        ("raw://127.0.0.1:9/", 2, "no file lists"),
        ("ftp://127.0.0.1/", 2, "not supported"),
        ("http://no-such-host.invalid/", 2, "no such host"),
    ],
)
def test_bad_urls(tmp_path: Path, url: str, code: int, words: str) -> None:
    done = swb_get(url, tmp_path / "out")
    assert done.returncode == code and words in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_server_that_is_no_share(tmp_path: Path) -> None:
    with hostile_server() as port:
        done = swb_get(f"http://127.0.0.1:{port}/nothing-here/", tmp_path / "out")
    # The hostile server answers [] for unknown lists: a folder with nothing in it.
    assert done.returncode == 0 and done.stdout.splitlines()[-1] == (
        "0 downloaded, 0 up to date, 0 failed"
    )
    with serve_tree(tmp_path / "server") as tree:
        missing = swb_get(f"http://127.0.0.1:{tree.port}/nope/", tmp_path / "out2")
    assert missing.returncode == 1 and "has no folder list" in missing.stderr, missing.stderr


def test_a_zip_that_lies_costs_only_its_lying_files(tmp_path: Path) -> None:
    """70 missing files come as the folder's zip; the one whose bytes do not match the list's
    SHA-256 is thrown away and fetched on its own, and verified then."""
    with hostile_server() as port:
        _Hostile.requests.clear()
        result = Mirror(f"http://127.0.0.1:{port}/many/", tmp_path / "out").run()
        asked = list(_Hostile.requests)
    assert (result.downloaded, result.failed) == (70, 0)
    # Into an empty DIR the zip is asked for while the list is read: the order of those two varies.
    assert sorted(asked[:2]) == ["/many/?format=json", "/many/?format=zip"]
    assert asked[2:] == ["/many/f003"]
    files, _folders = mirrored(tmp_path / "out")
    assert files == {str(item["name"]): EVIL for item in MANY}


def test_a_second_mirror_asks_for_no_zip(tmp_path: Path) -> None:
    """The zip is asked for ahead of the lists only into an empty DIR: a rerun with everything
    up to date asks for the list alone."""
    with hostile_server() as port:
        url = f"http://127.0.0.1:{port}/many/"
        assert Mirror(url, tmp_path / "out").run().downloaded == 70
        _Hostile.requests.clear()
        again = Mirror(url, tmp_path / "out").run()
        asked = list(_Hostile.requests)
    assert (again.downloaded, again.up_to_date, again.failed) == (0, 70, 0)
    assert asked == ["/many/?format=json"]


@pytest.mark.parametrize("platform", ["win32", "darwin"])
def test_names_that_differ_only_in_case_on_a_case_insensitive_system(
    tmp_path: Path, platform: str
) -> None:
    """Windows and macOS (by default) fold case: "README" and "readme" would be one file there,
    so the second one fails with a sentence instead of overwriting the first. Run in a Python
    that lacks what CPython lacks there (tests/simulate.py)."""
    folder = tmp_path / "share" / "docs"
    folder.mkdir(parents=True)
    (folder / "README").write_bytes(b"upper")
    (folder / "readme").write_bytes(b"lower")
    (folder / "other.txt").write_bytes(b"other")
    share = ShareTable()
    try:
        share.add_folder(folder)
        assert share.wait_hashed(WAIT)
        with running(FileServer(share, "127.0.0.1", 0)) as server:
            out = tmp_path / "out"
            url = f"http://127.0.0.1:{server.port}/docs/"
            done = subprocess.run(
                simulate.swb_command(platform, "get", "--recursive", url, "-o", str(out)),
                env=simulate.env(),
                capture_output=True,
                text=True,
                timeout=60,
            )
    finally:
        share.close()
    assert done.returncode == 1, done.stderr
    assert done.stdout.splitlines()[-1] == "2 downloaded, 0 up to date, 1 failed"
    assert "readme: another entry of this folder has the same local name" in done.stderr
    assert "(this file system ignores case)" in done.stderr
    files, _folders = mirrored(out)
    assert files == {"README": b"upper", "other.txt": b"other"}


def test_nothing_listening_and_a_file_as_dir(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    refused = swb_get(f"http://127.0.0.1:{port}/", tmp_path / "out")
    assert refused.returncode == 1 and "nothing is listening" in refused.stderr, refused.stderr
    (tmp_path / "file").write_bytes(b"")
    bad = swb_get(f"http://127.0.0.1:{port}/", tmp_path / "file")
    assert bad.returncode == 2 and "is a file, not a folder" in bad.stderr, bad.stderr


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_stopped_with_a_signal_it_says_so_and_keeps_its_parts(tmp_path: Path, signum: int) -> None:
    big = os.urandom(3 * 1024 * 1024)
    with serve_tree(tmp_path / "server", more={"big.bin": big}, rate_limit=256 * 1024.0) as tree:
        out = tmp_path / "out"
        process = subprocess.Popen(
            [*SWB, "get", "--recursive", f"http://127.0.0.1:{tree.port}/tree/", "-o", str(out)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + WAIT
        while part_sizes(out) <= 64 * 1024:
            assert time.monotonic() < deadline, "big.bin's .part did not grow"
            time.sleep(0.05)
        process.send_signal(signum)
        _out, err = process.communicate(timeout=WAIT)
    assert process.returncode == 130, err
    assert "the mirror was stopped; run it again to finish" in err
    assert part_sizes(out) > 64 * 1024  # kept for the next run to resume
