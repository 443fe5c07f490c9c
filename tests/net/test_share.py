"""The share table: names, duplicates, links, folders, and background checksums."""

from __future__ import annotations

import hashlib
import os
import threading
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from net.share import LocalFileError, ShareTable, is_hidden, numbered_name
from tests.conftest import WAIT


@pytest.fixture
def share() -> Iterator[ShareTable]:
    table = ShareTable()
    try:
        yield table
    finally:
        table.close()


def _write(path: Path, data: bytes = b"data") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_add_lookup_remove(share: ShareTable, tmp_path: Path) -> None:
    path = _write(tmp_path / "a.txt", b"hello")
    assert share.add(path) == "a.txt"
    entry = share.lookup("a.txt")
    assert entry is not None
    assert (entry.name, entry.path, entry.size) == ("a.txt", path.resolve(), 5)
    assert "a.txt" in share and len(share) == 1
    share.remove("a.txt")
    assert share.lookup("a.txt") is None
    share.remove("a.txt")  # unknown names are ignored


def test_duplicates_get_numbers(share: ShareTable, tmp_path: Path) -> None:
    paths = [_write(tmp_path / d / "report.txt") for d in ("x", "y", "z")]
    # The extension stays last (issue 23.5), as the download side names saved files.
    assert [share.add(p) for p in paths] == ["report.txt", "report (2).txt", "report (3).txt"]
    assert share.add(paths[1]) == "report (2).txt"  # the same file again: the same name
    assert [f.name for f in share.files()] == ["report.txt", "report (2).txt", "report (3).txt"]


@pytest.mark.parametrize(
    ("name", "second"),
    [
        ("readme.txt", "readme (2).txt"),
        ("README", "README (2)"),
        (".bashrc", ".bashrc (2)"),
        ("archive.tar.gz", "archive.tar (2).gz"),
        ("中文 报告.txt", "中文 报告 (2).txt"),
        ("dots...", "dots.. (2)."),
    ],
)
def test_numbered_names(name: str, second: str) -> None:
    assert numbered_name(name, 2) == second


def test_a_numbered_name_never_takes_a_shared_one(share: ShareTable, tmp_path: Path) -> None:
    """ "a (2).txt" shared first: the second "a.txt" becomes "a (3).txt", not a duplicate key."""
    assert share.add(_write(tmp_path / "x" / "a (2).txt")) == "a (2).txt"
    assert share.add(_write(tmp_path / "y" / "a.txt")) == "a.txt"
    assert share.add(_write(tmp_path / "z" / "a.txt")) == "a (3).txt"
    assert len(share) == 3


def test_nfd_names_match_nfc_requests(share: ShareTable, tmp_path: Path) -> None:
    """macOS stores names decomposed; a request typed (or sent by a browser) composed finds them,
    and the other way round. Two names that differ only in normalisation are duplicates."""
    nfd = unicodedata.normalize("NFD", "café résumé.txt")
    nfc = unicodedata.normalize("NFC", nfd)
    assert nfd != nfc
    assert share.add(_write(tmp_path / "mac" / nfd)) == nfd
    assert share.wait_hashed(5)  # the entry is replaced once its checksum is known
    found = share.lookup(nfc)
    assert found is not None and found.name == nfd
    assert nfc in share
    # The same name composed, from another folder: numbered, not a second key for one lookup.
    second = share.add(_write(tmp_path / "win" / nfc))
    assert second == numbered_name(nfc, 2)
    assert share.lookup(nfd) is found and share.lookup(nfc) is found
    # Normalisation is NFC only: compatibility forms stay different names.
    assert share.lookup("cafe\u0301 re\u0301sume\u0301.txt") is found
    assert share.lookup("ｃａｆé résumé.txt") is None
    share.remove(nfd)
    assert share.lookup(nfc) is None


@pytest.mark.parametrize(
    "name",
    ["desktop.ini", "Desktop.ini", "Thumbs.db", "thumbs.db", "ehthumbs.db", ".DS_Store", "._x"],
)
def test_system_files_are_not_shared_from_folders(
    share: ShareTable, tmp_path: Path, name: str
) -> None:
    root = tmp_path / "shared"
    _write(root / "photo.jpg")
    _write(root / name)
    _write(root / "$RECYCLE.BIN" / "S-1-5-21" / "deleted.txt")
    _write(root / "System Volume Information" / "tracking.log")
    assert share.add_folder(root) == ["shared/photo.jpg"]
    everything = ShareTable(hash_files=False)
    try:
        assert f"shared/{name}" in everything.add_folder(root, include_hidden=True)
    finally:
        everything.close()


def test_hidden_and_system_attributes_count_where_the_system_has_them() -> None:
    """Windows marks hidden and system files with attributes (os.stat_result.st_file_attributes)."""
    assert is_hidden("notes.txt", SimpleNamespace(st_file_attributes=0x2))  # HIDDEN
    assert is_hidden("pagefile.sys", SimpleNamespace(st_file_attributes=0x4))  # SYSTEM
    assert not is_hidden("notes.txt", SimpleNamespace(st_file_attributes=0x20))  # ARCHIVE
    assert not is_hidden("notes.txt", os.stat(__file__))  # no such field on Linux
    assert not is_hidden("notes.txt")


def test_files_moved_away_are_missing(share: ShareTable, tmp_path: Path) -> None:
    kept = _write(tmp_path / "kept.txt")
    moved = _write(tmp_path / "moved.txt")
    share.add(kept)
    share.add(moved)
    assert [f.name for f in share.available_files()] == ["kept.txt", "moved.txt"]
    moved.rename(tmp_path / "elsewhere.txt")
    assert [f.name for f in share.available_files()] == ["kept.txt"]
    assert share.missing() == ["moved.txt"]
    assert len(share.files()) == 2  # still shared: it comes back when the file does
    (tmp_path / "elsewhere.txt").rename(moved)
    assert share.missing() == []


def test_small_files_are_not_stuck_behind_a_big_files_checksum(tmp_path: Path) -> None:
    """Issue 15.8: a small file added after a big one gets its checksum first."""
    big = tmp_path / "big.bin"
    with open(big, "wb") as f:
        f.truncate(768 * 1024 * 1024)  # sparse: costs no disk, a second or more to hash
    order: list[str] = []
    hashed = threading.Condition()
    table: ShareTable

    def changed() -> None:
        with hashed:
            for entry in table.files():
                if entry.sha256 and entry.name not in order:
                    order.append(entry.name)
            hashed.notify_all()

    table = ShareTable(on_change=changed)
    try:
        table.add(big)
        table.add(_write(tmp_path / "small.txt", b"small"))
        with hashed:
            assert hashed.wait_for(lambda: "small.txt" in order, WAIT)
            assert "big.bin" not in order
        small = table.lookup("small.txt")
        assert small is not None and small.sha256 == hashlib.sha256(b"small").hexdigest()
    finally:
        table.close()  # stops the big file's hash within a chunk


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.txt", "does not exist"),
        (lambda d: d, "is a folder"),
        (lambda d: _fifo(d / "pipe"), "not a regular file"),
        (lambda d: _loop(d / "loop"), r"loop cannot be opened: the links around it form a loop$"),
    ],
)
def test_bad_files(share: ShareTable, tmp_path: Path, make: object, message: str) -> None:
    target = make(tmp_path)  # type: ignore[operator]
    with pytest.raises(LocalFileError, match=message) as info:
        share.add(target)
    assert isinstance(info.value, ValueError)  # bad input for the CLI (exit 2)


def _loop(path: Path) -> Path:
    path.symlink_to(path)
    return path


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def test_symlink_resolved_when_added(share: ShareTable, tmp_path: Path) -> None:
    real = _write(tmp_path / "real.txt", b"real")
    link = tmp_path / "latest.txt"
    link.symlink_to(real)
    assert share.add(link) == "latest.txt"
    entry = share.lookup("latest.txt")
    assert entry is not None and entry.path == real.resolve()
    other = _write(tmp_path / "other.txt", b"other")
    link.unlink()
    link.symlink_to(other)  # repointing the link later changes nothing that is shared
    entry = share.lookup("latest.txt")
    assert entry is not None and entry.path == real.resolve()


def test_add_folder(share: ShareTable, tmp_path: Path) -> None:
    root = tmp_path / "shared"
    _write(root / "a.txt")
    _write(root / "sub" / "b.txt")
    _write(root / "sub" / "a.txt")
    _write(root / ".hidden")
    _write(root / ".git" / "config")
    outside = _write(tmp_path / "secret.txt", b"secret")
    (root / "escape.txt").symlink_to(outside)
    (root / "inside.txt").symlink_to(root / "sub" / "b.txt")
    (root / "dirlink").symlink_to(tmp_path)
    (root / "broken").symlink_to(tmp_path / "nothing")
    skipped: list[tuple[str, str]] = []
    names = share.add_folder(root, on_skip=lambda p, r: skipped.append((Path(p).name, r)))
    # The tree is kept: two a.txt in two folders keep their names; a link inside the folder to a
    # file inside it is shared under its own name too; the link to a folder is not followed.
    assert sorted(names) == [
        "shared/a.txt",
        "shared/inside.txt",
        "shared/sub/a.txt",
        "shared/sub/b.txt",
    ]
    assert [f.name for f in share.shared_folders()] == ["shared"]
    assert share.lookup("shared/inside.txt").path == (root / "sub" / "b.txt").resolve()  # type: ignore[union-attr]
    assert ("dirlink", "a link to a folder (not followed)") in skipped
    assert all(f.path != outside.resolve() for f in share.files())
    assert ("escape.txt", "a link that leads outside the folder") in skipped
    assert ("broken", "a broken link") in skipped


def test_add_folder_errors(share: ShareTable, tmp_path: Path) -> None:
    with pytest.raises(LocalFileError, match="does not exist"):
        share.add_folder(tmp_path / "nope")
    with pytest.raises(LocalFileError, match="not a folder"):
        share.add_folder(_write(tmp_path / "f"))


def test_add_path_takes_files_and_folders(share: ShareTable, tmp_path: Path) -> None:
    _write(tmp_path / "d" / "x.bin")
    assert share.add_path(tmp_path / "d") == ["d/x.bin"]
    assert share.add_path(_write(tmp_path / "y.bin")) == ["y.bin"]


def test_checksums_in_background(share: ShareTable, tmp_path: Path) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    share.add(_write(tmp_path / "big.bin", data))
    share.add(_write(tmp_path / "empty.bin", b""))
    assert share.wait_hashed(WAIT)
    big = share.lookup("big.bin")
    empty = share.lookup("empty.bin")
    assert big is not None and big.sha256 == hashlib.sha256(data).hexdigest()
    assert empty is not None and empty.sha256 == hashlib.sha256(b"").hexdigest()


def test_checksum_cache_and_refresh(tmp_path: Path) -> None:
    changes = threading.Event()
    table = ShareTable(on_change=changes.set)
    try:
        path = _write(tmp_path / "f.txt", b"one")
        table.add(path)
        assert table.wait_hashed(WAIT) and changes.wait(WAIT)
        table.remove("f.txt")
        table.add(path)  # cached by (path, size, mtime): known at once
        entry = table.lookup("f.txt")
        assert entry is not None and entry.sha256 == hashlib.sha256(b"one").hexdigest()
        path.write_bytes(b"two!")
        st = path.stat()
        table.refresh("f.txt", st.st_size, st.st_mtime_ns)
        entry = table.lookup("f.txt")
        assert entry is not None and entry.size == 4
        assert table.wait_hashed(WAIT)
        entry = table.lookup("f.txt")
        assert entry is not None and entry.sha256 == hashlib.sha256(b"two!").hexdigest()
    finally:
        table.close()


def test_without_hashing(tmp_path: Path) -> None:
    with ShareTable(hash_files=False) as table:
        table.add(_write(tmp_path / "f"))
        assert table.wait_hashed(0)
        entry = table.lookup("f")
        assert entry is not None and entry.sha256 is None


def test_close_stops_hashing_promptly(tmp_path: Path) -> None:
    path = tmp_path / "large.bin"
    with open(path, "wb") as f:
        f.truncate(256 * 1024 * 1024)  # sparse: quick to make, a while to hash
    before = set(threading.enumerate())
    table = ShareTable()
    table.add(path)
    hashing = [
        t for t in threading.enumerate() if t not in before and t.name.startswith("swb-share-hash")
    ]
    assert hashing
    table.close()  # returns within one chunk, joins the thread
    assert not any(t.is_alive() for t in hashing)


def test_thread_safety(share: ShareTable, tmp_path: Path) -> None:
    paths = [_write(tmp_path / str(i) / "same.txt", str(i).encode()) for i in range(40)]

    def add_some(chunk: list[Path]) -> None:
        for p in chunk:
            share.add(p)
            share.lookup("same.txt")
            share.files()

    threads = [threading.Thread(target=add_some, args=(paths[i::4],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT)
    names = [f.name for f in share.files()]
    assert len(names) == len(set(names)) == 40


@pytest.mark.parametrize("swap", ["fifo", "link"])
def test_a_file_swapped_before_hashing_cannot_hang_or_mislead(tmp_path: Path, swap: str) -> None:
    """The server asks for a new checksum when a file changes; if it became a pipe meanwhile,
    hashing must not block in open() (close() joins the hashing thread), nor follow a link."""
    path = tmp_path / "f.bin"
    path.write_bytes(b"first")
    (tmp_path / "other.bin").write_bytes(b"something else entirely")
    table = ShareTable()
    closer: threading.Thread | None = None
    try:
        name = table.add(path)
        assert table.wait_hashed(WAIT)
        path.unlink()
        if swap == "fifo":
            os.mkfifo(path)
        else:
            path.symlink_to(tmp_path / "other.bin")
        table.refresh(name, 23, 1)  # what the server does when it sees another size or time
        assert table.wait_hashed(WAIT)
        entry = table.lookup(name)
        assert entry is not None and entry.sha256 is None
    finally:
        closer = threading.Thread(target=table.close)
        closer.start()
        closer.join(WAIT)
    assert not closer.is_alive(), "close() hangs: the hashing thread is stuck in open()"


def test_a_removed_file_is_unreachable_by_any_spelling(share: ShareTable, tmp_path: Path) -> None:
    """Removing forgets the name, its NFC key and its place in the root: nothing finds it, and
    the name is free again (the same file re-added is not numbered against a ghost)."""
    nfd = unicodedata.normalize("NFD", "é.txt")
    nfc = unicodedata.normalize("NFC", nfd)
    path = _write(tmp_path / nfd)
    other = _write(tmp_path / "o" / "b.txt")
    assert share.add(path) == nfd and share.add(other) == "b.txt"
    shape = share.shape_version
    share.remove(nfd)
    assert share.shape_version != shape
    assert share.lookup(nfd) is None and share.lookup(nfc) is None and nfc not in share
    root = share.listing("")
    assert root is not None and [f.name for f in root[1]] == ["b.txt"]
    assert [f.name for f in share.tree("")[1]] == ["b.txt"]
    assert share.add(_write(tmp_path / "p" / nfc)) == nfc  # the key is free again
    assert share.add(path) == numbered_name(nfd, 2)  # a new entry: its old name is taken now
    assert len(share) == 3


def test_a_removed_folder_takes_everything_below_it(share: ShareTable, tmp_path: Path) -> None:
    root = tmp_path / "shared"
    _write(root / "a.txt")
    _write(root / "sub" / "deep" / "b.txt")
    _write(tmp_path / "other" / "c.txt")
    share.add_folder(root)
    share.add_folder(tmp_path / "other")
    assert share.folder("shared/sub/deep") is not None
    share.remove("shared")
    for key in ("shared", "shared/sub", "shared/sub/deep"):
        assert share.folder(key) is None and share.listing(key) is None
        assert share.tree(key) == ([], [])
    for key in ("shared/a.txt", "shared/sub/deep/b.txt"):
        assert share.lookup(key) is None
    assert [f.name for f in share.shared_folders()] == ["other"]
    assert [f.name for f in share.files()] == ["other/c.txt"]
    listed = share.listing("")
    assert listed is not None and [d.name for d in listed[0]] == ["other"]
    assert sorted(share.add_folder(root)) == ["shared/a.txt", "shared/sub/deep/b.txt"]  # free again


def test_a_folder_is_looked_up_like_a_file(share: ShareTable, tmp_path: Path) -> None:
    nfd = unicodedata.normalize("NFD", "Café")
    _write(tmp_path / nfd / "x.txt")
    share.add_folder(tmp_path / nfd)
    found = share.folder(nfd)
    assert found is not None and found.name == nfd
    assert share.folder(unicodedata.normalize("NFC", nfd)) is found
    assert share.folder(nfd + "/x.txt") is None  # a file's key is not a folder
    assert share.folder("café") is None and share.folder("") is None
    assert share.lookup(nfd) is None  # nor a folder's key a file


def test_the_shape_changes_when_a_key_comes_or_goes_only(tmp_path: Path) -> None:
    """shape_version tells a view to redraw its tree: on each add and remove, not on a checksum."""
    with ShareTable() as share:
        shapes = [share.shape_version]
        path = _write(tmp_path / "a.txt", b"hello")
        share.add(path)
        shapes.append(share.shape_version)
        with ShareTable(hash_files=False) as plain:  # the entry as added, before any checksum
            plain.add(path)
            added, st = plain.lookup("a.txt"), path.stat()
            assert added is not None and (added.mtime, added.mtime_ns) == (
                st.st_mtime,
                st.st_mtime_ns,
            )
        assert share.wait_hashed(WAIT)  # the entry is replaced with its checksum: same shape
        entry = share.lookup("a.txt")
        assert entry is not None and entry.sha256 == hashlib.sha256(b"hello").hexdigest()
        assert share.shape_version == shapes[-1]
        st = path.stat()
        assert (entry.size, entry.mtime, entry.mtime_ns) == (5, st.st_mtime, st.st_mtime_ns)
        share.remove("a.txt")
        shapes.append(share.shape_version)
        share.add(_write(tmp_path / "b.txt"))
        shapes.append(share.shape_version)
        assert len(set(shapes)) == len(shapes), shapes


def test_a_file_gone_from_a_subfolder_leaves_its_listing(share: ShareTable, tmp_path: Path) -> None:
    root = tmp_path / "shared"
    _write(root / "sub" / "a.txt")
    gone = _write(root / "sub" / "b.txt")
    share.add_folder(root)
    gone.unlink()
    share.rescan("shared", max_age=0)
    assert share.lookup("shared/sub/b.txt") is None
    listed = share.listing("shared/sub")
    assert listed is not None and [f.name for f in listed[1]] == ["shared/sub/a.txt"]
    assert [f.name for f in share.tree("shared")[1]] == ["shared/sub/a.txt"]
