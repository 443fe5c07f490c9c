"""Folders shared as trees (issue 20): keys, the folder index and JSON list, rescans, and zips of
a folder or of the whole share, checked with zipfile, ``python -m zipfile -t`` and Info-ZIP's
``unzip -t``, and extracted back to the same tree.

The tree (:func:`make_tree`) is shared with tests/net/test_mirror.py: three levels, a few hundred
files, hostile names (spaces, "#", "?", "%", Chinese, emoji, names that differ only in case).
"""

from __future__ import annotations

import html
import io
import json
import os
import random
import subprocess
import sys
import urllib.parse
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from net.fileserver import FileServer
from net.share import ShareTable
from tests.conftest import WAIT
from tests.net.test_body import simulated_serve
from tests.net.test_fileserver import EventLog, get, running

# Names that differ only in case ("Case"/"case", "README"/"readme") are two files here (Linux);
# on a case-insensitive file system (Windows, macOS by default) they could not both exist, which is
# why the tree is only ever made on the test machine's own (case-sensitive) temporary folder.
FOLDERS_1 = ["a b", "#hash", "百分 100%", "emoji 😀", "Case", "case"]
FOLDERS_2 = ["x?y", "中文", "deep"]
FILE_NAMES = [
    "file 1.txt",
    "#2.bin",
    "q?.txt",
    "100%.dat",
    "报告.txt",
    "😀 smile.txt",
    "README",
    "readme",
    "a&b=c.txt",
    "plus+sign.txt",
    "semi;colon.txt",
    "tilde~.txt",
]


def make_tree(root: Path, *, seed: int = 20) -> dict[str, bytes]:
    """Write the hostile tree under ``root`` (which must not exist); returns {relative path: bytes}
    ("/"-separated), 300 files in 25 folders on three levels, plus an empty folder "empty"."""
    rng = random.Random(seed)
    files: dict[str, bytes] = {}
    folders = [""]
    for first in FOLDERS_1:
        folders.append(first)
        folders += [f"{first}/{second}" for second in FOLDERS_2]
    for folder in folders:
        for name in FILE_NAMES:
            relative = f"{folder}/{name}" if folder else name
            data = rng.randbytes(rng.choice([0, 1, 100, 4096, 5000]))
            path = root.joinpath(*relative.split("/"))
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            files[relative] = data
    (root / "empty").mkdir()
    return files


def read_tree(root: Path) -> tuple[dict[str, bytes], set[str]]:
    """({relative path: bytes} of every file, {relative path} of every folder) under ``root``."""
    files: dict[str, bytes] = {}
    folders: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath).relative_to(root).as_posix()
        prefix = "" if here == "." else here + "/"
        folders.update(prefix + d for d in dirnames)
        for name in filenames:
            files[prefix + name] = (Path(dirpath) / name).read_bytes()
    return files, folders


def url_of(relative: str, *, folder: bool = False) -> str:
    path = "/" + "/".join(urllib.parse.quote(part, safe="") for part in relative.split("/"))
    return path + "/" if folder else path


@dataclass
class Tree:
    server: FileServer
    share: ShareTable
    source: Path  # the shared folder, "tree"
    files: dict[str, bytes]  # relative to source
    log: EventLog

    @property
    def port(self) -> int:
        return self.server.port


@contextmanager
def serve_tree(
    tmp_path: Path,
    *,
    rescan_after: float = 2.0,
    more: dict[str, bytes] | None = None,
    **server_options: Any,
) -> Iterator[Tree]:
    """The hostile tree shared as the folder "tree" (with ``more`` files added to it), plus
    "alone.txt" shared alone, served by a FileServer made with ``server_options``."""
    source = tmp_path / "tree"
    files = make_tree(source)
    for relative, data in (more or {}).items():
        source.joinpath(*relative.split("/")).write_bytes(data)
        files[relative] = data
    (tmp_path / "alone.txt").write_bytes(b"shared alone")
    share = ShareTable(rescan_after=rescan_after)
    log = EventLog()
    try:
        share.add(tmp_path / "alone.txt")
        share.add_folder(source)
        assert share.wait_hashed(WAIT)
        server = FileServer(share, "127.0.0.1", 0, on_event=log, **server_options)
        with running(server):
            yield Tree(server, share, source, files, log)
    finally:
        share.close()


@pytest.fixture
def tree(tmp_path: Path) -> Iterator[Tree]:
    with serve_tree(tmp_path) as served:
        yield served


def get_json(port: int, target: str) -> list[dict[str, object]]:
    status, headers, body = get(port, target)
    assert status == 200, (target, body[:200])
    assert headers["Content-Type"] == "application/json"
    items = json.loads(body)
    assert isinstance(items, list)
    return items


# ---- the share table ----------------------------------------------------------------------------


def test_keys_are_relative_paths_under_the_folder_name(tree: Tree) -> None:
    keys = {f.name for f in tree.share.files()}
    assert keys == {"alone.txt"} | {f"tree/{k}" for k in tree.files}
    assert len(tree.files) == 300
    assert tree.share.lookup("tree/Case/README") is not None
    assert tree.share.lookup("tree/Case/README") != tree.share.lookup("tree/case/README")
    folder = tree.share.folder("tree/emoji 😀/中文")
    assert folder is not None and folder.path == tree.source / "emoji 😀" / "中文"
    assert tree.share.folder("tree/empty") is not None


def test_a_second_folder_of_the_same_name_is_numbered(tmp_path: Path) -> None:
    for side in ("one", "two"):
        (tmp_path / side / "docs").mkdir(parents=True)
        (tmp_path / side / "docs" / "a.txt").write_bytes(side.encode())
    with ShareTable(hash_files=False) as share:
        assert share.add_folder(tmp_path / "one" / "docs") == ["docs/a.txt"]
        assert share.add_folder(tmp_path / "two" / "docs") == ["docs (2)/a.txt"]
        assert share.add_folder(tmp_path / "one" / "docs") == ["docs/a.txt"]  # shared already
        share.remove("docs")
        assert [f.name for f in share.files()] == ["docs (2)/a.txt"]
        assert share.folder("docs") is None and share.listing("docs") is None


# ---- lists --------------------------------------------------------------------------------------


def test_the_root_list_shows_folders_as_entries(tree: Tree) -> None:
    items = get_json(tree.port, "/?format=json")
    assert [(i["name"], i["type"]) for i in items] == [("tree", "folder"), ("alone.txt", "file")]
    folder = items[0]
    assert folder["path"] == "tree" and folder["url"] == "/tree/" and folder["sha256"] is None
    assert folder["size"] == sum(len(d) for d in tree.files.values())


def test_a_folder_list_has_paths_types_and_urls_that_work(tree: Tree) -> None:
    items = get_json(tree.port, url_of("tree/百分 100%", folder=True) + "?format=json")
    folders = [i for i in items if i["type"] == "folder"]
    files = [i for i in items if i["type"] == "file"]
    assert items == folders + files  # folders first
    assert [i["name"] for i in folders] == sorted(FOLDERS_2, key=lambda n: (n.casefold(), n))
    assert {i["name"] for i in files} == set(FILE_NAMES)
    for item in items:
        assert set(item) == {"name", "path", "type", "size", "mtime", "sha256", "url"}
        assert item["path"] == f"tree/百分 100%/{item['name']}"
    for item in files:
        relative = f"百分 100%/{item['name']}"
        status, headers, body = get(tree.port, str(item["url"]))
        assert status == 200 and body == tree.files[relative]
        assert item["size"] == len(body) and item["sha256"] is not None
        assert headers["Content-Disposition"].endswith(
            "filename*=UTF-8''" + urllib.parse.quote(str(item["name"]), safe="!#$&+^`|")
        )
    sub = get_json(tree.port, str(folders[0]["url"]) + "?format=json")
    assert {i["path"] for i in sub} == {
        f"tree/百分 100%/{folders[0]['name']}/{n}" for n in FILE_NAMES
    }


def test_unknown_folders_are_404_and_a_folder_without_its_slash_redirects(tree: Tree) -> None:
    for target in ("/nope/", "/nope/?format=json", "/tree/nope/?format=zip", "/alone.txt/"):
        status, _headers, _body = get(tree.port, target)
        assert status == 404, target
    status, headers, _body = get(tree.port, url_of("tree/a b"))
    assert status == 301 and headers["Location"] == "/tree/a%20b/"


def test_the_folder_index_has_breadcrumbs_and_folders_first(tree: Tree) -> None:
    target = url_of("tree/emoji 😀", folder=True)
    status, headers, body = get(tree.port, target)
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    page = body.decode()
    # Breadcrumbs: the root, then "tree", then this folder (not a link).
    assert '<nav class="crumbs"><a href="/">' in page
    assert '<a href="/tree/">tree</a> / <span aria-current="page">emoji 😀</span>' in page
    # The three folders come before any file, in name order; links are the segments encoded.
    rows = [line for line in page.splitlines() if line.startswith("<tr ")]
    kinds = [row.split('data-kind="', 1)[1].split('"', 1)[0] for row in rows]
    assert kinds == ["folder"] * 3 + ["file"] * len(FILE_NAMES)
    assert 'href="/tree/emoji%20%F0%9F%98%80/%E4%B8%AD%E6%96%87/"' in page
    assert 'href="/tree/emoji%20%F0%9F%98%80/q%3F.txt"' in page
    assert html.escape("a&b=c.txt") in page and "a&b=c.txt<" not in page
    assert 'href="?format=zip"' in page and 'href="?format=json"' in page


def test_the_root_index_lists_the_folder(tree: Tree) -> None:
    _status, _headers, body = get(tree.port, "/")
    page = body.decode()
    assert 'data-kind="folder"' in page and 'href="/tree/"' in page
    assert page.index('href="/tree/"') < page.index('href="/alone.txt"')
    assert '<nav class="crumbs">' not in page


def test_files_added_or_removed_show_in_the_next_list(tmp_path: Path) -> None:
    """The rescan policy: a list of a folder walks it again when its last walk is older than
    ``rescan_after`` seconds (here 0: every list; by default 2 s)."""
    with serve_tree(tmp_path, rescan_after=0.0) as tree:
        (tree.source / "a b" / "new file.txt").write_bytes(b"new")
        (tree.source / "a b" / "file 1.txt").unlink()
        (tree.source / "a b" / "new folder").mkdir()
        names = {i["name"] for i in get_json(tree.port, "/tree/a%20b/?format=json")}
        assert "new file.txt" in names and "new folder" in names and "file 1.txt" not in names
        status, _headers, body = get(tree.port, "/tree/a%20b/new%20file.txt")
        assert status == 200 and body == b"new"
        assert get(tree.port, "/tree/a%20b/file%201.txt")[0] == 404


def test_a_recent_walk_is_not_repeated(tmp_path: Path) -> None:
    """Within ``rescan_after`` seconds of the last walk, a list answers from the table."""
    with serve_tree(tmp_path, rescan_after=3600.0) as tree:
        (tree.source / "a b" / "new file.txt").write_bytes(b"new")
        names = {i["name"] for i in get_json(tree.port, "/tree/a%20b/?format=json")}
        assert "new file.txt" not in names
        tree.share.rescan("tree/a b", max_age=0)
        names = {i["name"] for i in get_json(tree.port, "/tree/a%20b/?format=json")}
        assert "new file.txt" in names


# ---- zips ---------------------------------------------------------------------------------------


def fetch_zip(port: int, target: str) -> tuple[dict[str, str], bytes]:
    status, headers, body = get(port, target)
    assert status == 200, body[:200]
    assert headers["Content-Type"] == "application/zip"
    assert int(headers["Content-Length"]) == len(body)
    return headers, body


def test_zip_of_a_folder_extracts_to_the_same_tree(tree: Tree, tmp_path: Path) -> None:
    headers, body = fetch_zip(tree.port, "/tree/?format=zip")
    assert headers["Content-Disposition"] == (
        "attachment; filename=\"tree.zip\"; filename*=UTF-8''tree.zip"
    )
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert archive.testzip() is None
    assert all(info.compress_type == zipfile.ZIP_STORED for info in archive.infolist())
    assert all(info.flag_bits & 0x800 for info in archive.infolist())  # UTF-8 names
    path = tmp_path / "tree.zip"
    path.write_bytes(body)
    tested = subprocess.run(
        [sys.executable, "-m", "zipfile", "-t", str(path)], capture_output=True, text=True
    )
    assert tested.returncode == 0 and "Done testing" in tested.stdout, tested
    unzip = subprocess.run(["unzip", "-t", str(path)], capture_output=True)
    assert unzip.returncode == 0 and b"No errors detected" in unzip.stdout, unzip
    out = tmp_path / "out"
    archive.extractall(out)
    files, folders = read_tree(out / "tree")
    source_files, source_folders = read_tree(tree.source)
    assert files == source_files == tree.files
    assert folders == source_folders and "empty" in folders
    extracted = tmp_path / "unzipped"
    unzipped = subprocess.run(["unzip", "-q", str(path), "-d", str(extracted)], capture_output=True)
    assert unzipped.returncode == 0, unzipped
    assert read_tree(extracted / "tree") == (source_files, source_folders)


def test_zip_of_the_whole_share_and_of_a_subfolder(tree: Tree) -> None:
    _headers, body = fetch_zip(tree.port, "/?format=zip")
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert archive.testzip() is None
    assert archive.read("alone.txt") == b"shared alone"
    assert archive.read("tree/百分 100%/中文/报告.txt") == tree.files["百分 100%/中文/报告.txt"]
    headers, body = fetch_zip(tree.port, url_of("tree/emoji 😀", folder=True) + "?format=zip")
    quoted = urllib.parse.quote("emoji 😀.zip", safe="!#$&+^`|")
    assert headers["Content-Disposition"].endswith("filename*=UTF-8''" + quoted)
    names = zipfile.ZipFile(io.BytesIO(body)).namelist()
    assert names[0] == "tree/emoji 😀/" and all(n.startswith("tree/emoji 😀/") for n in names)


def test_head_of_a_zip_gives_its_exact_length(tree: Tree) -> None:
    _headers, body = fetch_zip(tree.port, "/tree/?format=zip")
    status, headers, head_body = get(tree.port, "/tree/?format=zip", method="HEAD")
    assert status == 200 and head_body == b""
    assert int(headers["Content-Length"]) == len(body)


@pytest.mark.posix_only  # the simulated server is stopped with SIGTERM
@pytest.mark.parametrize("platform", ["win32", "darwin"])
def test_swb_serve_of_a_folder_in_a_simulated_python(tmp_path: Path, platform: str) -> None:
    """`swb serve DIR` where there is no sendfile, pread or O_NOFOLLOW (Windows) or no xattrs
    (macOS): the folder's index, a file by its key, and its zip, checked by unzip."""
    files = make_tree(tmp_path / "tree")
    with simulated_serve(platform, str(tmp_path / "tree")) as (port, _process):
        items = get_json(port, "/tree/%23hash/?format=json")
        assert {i["name"] for i in items} >= {"README", "readme", "中文"}
        status, _headers, body = get(port, url_of("tree/#hash/中文/q?.txt"))
        assert status == 200 and body == files["#hash/中文/q?.txt"]
        _headers, archive = fetch_zip(port, "/tree/?format=zip")
    path = tmp_path / "tree.zip"
    path.write_bytes(archive)
    unzip = subprocess.run(
        ["unzip", "-q", str(path), "-d", str(tmp_path / "out")], capture_output=True
    )
    assert unzip.returncode == 0, unzip
    assert read_tree(tmp_path / "out" / "tree")[0] == files


class _FailingReader(io.RawIOBase):
    """A member's file that gives ``good`` bytes and then fails as ``error`` says."""

    def __init__(self, real: io.RawIOBase, good: int, error: Exception) -> None:
        self._real, self._left, self._error = real, good, error

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._left <= 0:
            raise self._error
        view = memoryview(buffer)[: self._left]
        count = self._real.readinto(view) or 0
        self._left -= count
        return count

    def close(self) -> None:
        self._real.close()
        super().close()


BIG = bytes(range(256)) * 1024  # 256 KiB: the break comes mid-member, mid-archive


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (OSError(5, "Input/output error"), "tree/big.bin could not be read: input/output error"),
        (RuntimeError("a bug"), "internal error in the server (RuntimeError: a bug)"),
    ],
    ids=["unreadable", "bug"],
)
def test_a_zip_member_failing_mid_stream_fails_the_transfer_and_the_server_goes_on(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    error: Exception,
    reason: str,
) -> None:
    import http.client

    import net._serve_files
    from net.events import TransferFailed, TransferFinished

    real_open = net._serve_files._open_member

    def failing_open(member: Any) -> io.RawIOBase:
        opened = real_open(member)
        return _FailingReader(opened, 1000, error) if member.name == "tree/big.bin" else opened

    with serve_tree(tmp_path, more={"big.bin": BIG}) as tree:
        monkeypatch.setattr(net._serve_files, "_open_member", failing_open)
        with pytest.raises(http.client.IncompleteRead):
            get(tree.port, "/tree/?format=zip")
        failed = tree.log.wait(lambda events: any(isinstance(e, TransferFailed) for e in events))
        event = next(e for e in failed if isinstance(e, TransferFailed))
        assert event.reason == reason and not event.cancelled and event.done > 0
        bug = isinstance(error, RuntimeError)
        assert any("internal error" in r.getMessage() for r in caplog.records) == bug
        monkeypatch.setattr(net._serve_files, "_open_member", real_open)
        _headers, body = fetch_zip(tree.port, "/tree/?format=zip")
        assert zipfile.ZipFile(io.BytesIO(body)).read("tree/big.bin") == BIG
        tree.log.wait(lambda events: any(isinstance(e, TransferFinished) for e in events))
