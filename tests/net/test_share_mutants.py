"""Share-table behaviour that mutation testing (tools/mutation.py share) found unchecked: a file
removed while it waits for its checksum, and the sentences for files that cannot be opened."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from net.share import LocalFileError, ShareTable
from tests.conftest import WAIT


def test_a_file_removed_while_queued_for_its_checksum_leaves_no_work(tmp_path: Path) -> None:
    """Removed before its turn, a file leaves the queue: hashing is then done (not waiting for
    a file that is gone), and the other files still get their checksums."""
    kept = tmp_path / "kept.txt"
    kept.write_bytes(b"kept")
    gone = tmp_path / "gone.txt"
    gone.write_bytes(b"gone")
    with ShareTable() as share:
        # The table's lock held: the hashing thread cannot take "gone.txt" before it is removed.
        with share._lock:
            share.add(kept)
            share.add(gone)
            share.remove("gone.txt")
        assert share.wait_hashed(WAIT)
        entry = share.lookup("kept.txt")
        assert entry is not None and entry.sha256 is not None
        assert share.lookup("gone.txt") is None


@pytest.mark.posix_only
def test_a_file_even_root_may_not_read_is_refused_as_permission_denied() -> None:
    """Linux's /proc/sys/vm/drop_caches is a regular file that no one may read, root included:
    what any unreadable file gets."""
    with ShareTable() as share:
        with pytest.raises(LocalFileError) as info:
            share.add("/proc/sys/vm/drop_caches")
        assert str(info.value) == "/proc/sys/vm/drop_caches cannot be read: permission denied"
        assert len(share) == 0


# Out of file descriptors, a file can be found and looked at (no descriptor needed) but not
# opened: the sentence names the system's reason. In a child, whose limit can be lowered.
OUT_OF_DESCRIPTORS = """
import os, resource, sys
from net.share import LocalFileError, ShareTable
table = ShareTable(hash_files=False)
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (64, hard))
held = []
try:
    while True:
        held.append(os.open(os.devnull, os.O_RDONLY))
except OSError:
    pass
try:
    table.add(sys.argv[1])
except LocalFileError as exc:
    print(exc)
    print(len(table))
"""


@pytest.mark.posix_only
def test_a_file_that_cannot_be_opened_says_why(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"a")
    done = subprocess.run(
        [sys.executable, "-c", OUT_OF_DESCRIPTORS, str(path)],
        capture_output=True,
        text=True,
        timeout=WAIT * 3,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [f"{path} cannot be read: too many open files", "0"]


# ---- the folder walk (tools/mutation.py share_rest) ---------------------------------------------

TWIN = "another name here differs only in Unicode normalisation"


def test_a_walk_reports_each_name_it_leaves_out_and_goes_on(tmp_path: Path) -> None:
    """Of two names that differ only in normalisation the first (in code point order) is kept,
    folder or file; the other, and a pipe, are reported with their full path and reason, and the
    names after them are still shared."""
    root = tmp_path / "shared"
    nfd_folder, nfc_folder = (unicodedata.normalize(f, "déjà") for f in ("NFD", "NFC"))
    nfd_file, nfc_file = (unicodedata.normalize(f, "café.txt") for f in ("NFD", "NFC"))
    for folder in (nfd_folder, nfc_folder, "zz"):
        (root / folder).mkdir(parents=True)
        (root / folder / "in.txt").write_bytes(folder.encode())
    for name in (nfd_file, nfc_file, "z.txt"):
        (root / name).write_bytes(b"x")
    os.mkfifo(root / "pipe")
    skipped: list[tuple[str, str]] = []
    with ShareTable(hash_files=False) as share:
        names = share.add_folder(root, on_skip=lambda path, reason: skipped.append((path, reason)))
    assert sorted(names) == [
        f"shared/{nfd_file}",
        f"shared/{nfd_folder}/in.txt",
        "shared/z.txt",
        "shared/zz/in.txt",
    ]
    pipe = root / "pipe"
    assert skipped == [
        (str(root / nfc_folder), TWIN),
        (str(root / nfc_file), TWIN),
        (str(pipe), f"{pipe} is not a regular file (a device, pipe or socket)"),
    ]


def test_a_folder_named_by_a_dot_gets_its_own_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "a.jpg").write_bytes(b"a")
    monkeypatch.chdir(tmp_path / "photos")
    with ShareTable(hash_files=False) as share:
        assert share.add_folder(".") == ["photos/a.jpg"]


def test_a_folder_behind_a_link_loop_says_so(tmp_path: Path) -> None:
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    with ShareTable(hash_files=False) as share, pytest.raises(LocalFileError) as info:
        share.add_folder(loop)
    assert str(info.value) == f"{loop} cannot be opened: the links around it form a loop"


def test_sharing_a_folder_again_walks_it_at_once(tmp_path: Path) -> None:
    """However recent its last walk, a folder shared again shows what is on disk now."""
    root = tmp_path / "shared"
    root.mkdir()
    (root / "a.txt").write_bytes(b"a")
    with ShareTable(hash_files=False, rescan_after=3600) as share:
        assert share.add_folder(root) == ["shared/a.txt"]
        (root / "b.txt").write_bytes(b"b")
        assert sorted(share.add_folder(root)) == ["shared/a.txt", "shared/b.txt"]


def test_a_rescan_sees_changed_files_new_folders_and_a_folder_gone(tmp_path: Path) -> None:
    root = tmp_path / "shared"
    root.mkdir()
    (root / "a.txt").write_bytes(b"a")
    with ShareTable() as share:
        share.add_folder(root)
        assert share.wait_hashed(WAIT)
        shape = share.shape_version
        (root / "a.txt").write_bytes(b"longer now")
        (root / "new").mkdir()
        share.rescan("shared", max_age=0)
        entry = share.lookup("shared/a.txt")
        assert entry is not None and entry.size == len(b"longer now")
        assert share.folder("shared/new") is not None
        assert share.shape_version != shape  # a folder came
        assert share.wait_hashed(WAIT)
        entry = share.lookup("shared/a.txt")
        assert entry is not None
        assert entry.sha256 == hashlib.sha256(b"longer now").hexdigest()
        shutil.rmtree(root)
        share.rescan("shared", max_age=0)
        assert share.lookup("shared/a.txt") is None
        assert share.listing("shared") is None  # the folder is gone from the listing too
        assert share.files() == []


def test_the_root_lists_in_sharing_order_and_a_folder_by_name(tmp_path: Path) -> None:
    """The root keeps the order things were shared in; a folder lists by name (case-folded);
    a folder's tree is depth first, each folder before what it holds, by name."""
    root = tmp_path / "shared"
    for relative in ("z.txt", "A.txt", "b.txt", "b/y/1.txt", "a/x/2.txt", "a/3.txt"):
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_bytes(b"x")
    alone = [tmp_path / "second.txt", tmp_path / "first.txt"]
    for path in alone:
        path.write_bytes(b"x")
    with ShareTable(hash_files=False) as share:
        for path in alone:
            share.add(path)
        share.add_folder(root)
        listed = share.listing()
        assert listed is not None
        assert [f.name for f in listed[0]] == ["shared"]
        assert [f.name for f in listed[1]] == ["second.txt", "first.txt"]
        listed = share.listing("shared")
        assert listed is not None
        assert [f.name for f in listed[0]] == ["shared/a", "shared/b"]
        assert [f.name for f in listed[1]] == ["shared/A.txt", "shared/b.txt", "shared/z.txt"]
        folders, files = share.tree("shared")
        assert [f.name for f in folders] == [
            "shared",
            "shared/a",
            "shared/a/x",
            "shared/b",
            "shared/b/y",
        ]
        assert [f.name for f in files] == [
            "shared/A.txt",
            "shared/b.txt",
            "shared/z.txt",
            "shared/a/3.txt",
            "shared/a/x/2.txt",
            "shared/b/y/1.txt",
        ]


def test_refresh_records_the_new_size_and_time_and_reuses_a_known_checksum(tmp_path: Path) -> None:
    """What the server calls when it sees a file changed: size, time and checksum follow, and a
    file back at a size and time already hashed gets that checksum again at once."""
    path = tmp_path / "a.txt"
    path.write_bytes(b"first")
    with ShareTable() as share:
        share.add(path)
        assert share.wait_hashed(WAIT)
        before = share.lookup("a.txt")
        assert before is not None and before.sha256 == hashlib.sha256(b"first").hexdigest()
        path.write_bytes(b"second, longer")
        os.utime(path, ns=(before.mtime_ns + 10**9, before.mtime_ns + 10**9))
        st = path.stat()
        share.refresh("a.txt", st.st_size, st.st_mtime_ns)
        changed = share.lookup("a.txt")
        assert changed is not None
        assert (changed.size, changed.mtime_ns, changed.mtime) == (
            st.st_size,
            st.st_mtime_ns,
            st.st_mtime_ns / 1e9,
        )
        assert share.wait_hashed(WAIT)
        changed = share.lookup("a.txt")
        assert changed is not None
        assert changed.sha256 == hashlib.sha256(b"second, longer").hexdigest()
        path.write_bytes(b"first")
        os.utime(path, ns=(before.mtime_ns, before.mtime_ns))
        share.refresh("a.txt", before.size, before.mtime_ns)
        back = share.lookup("a.txt")
        assert back is not None and back.sha256 == before.sha256  # from the cache, not hashed


def test_a_file_changed_before_its_checksum_is_recorded_as_it_is_now(tmp_path: Path) -> None:
    """The hashing thread finds the file other than when it was shared: it records the new size
    and time (refresh) and hashes that, not what was there before."""
    path = tmp_path / "a.txt"
    path.write_bytes(b"old")
    with ShareTable() as share:
        # The table's lock held: the file changes before the hashing thread can open it.
        with share._lock:
            share.add(path)
            path.write_bytes(b"new and longer")
            os.utime(path, ns=(10**18, 10**18))
        assert share.wait_hashed(WAIT)
        entry = share.lookup("a.txt")
        assert entry is not None
        assert (entry.size, entry.mtime_ns) == (len(b"new and longer"), 10**18)
        assert entry.sha256 == hashlib.sha256(b"new and longer").hexdigest()


def test_folders_of_one_name_are_numbered_in_turn(tmp_path: Path) -> None:
    roots = [tmp_path / str(n) / "photos" for n in range(3)]
    for root in roots:
        root.mkdir(parents=True)
        (root / "a.jpg").write_bytes(b"a")
    with ShareTable(hash_files=False) as share:
        assert [share.add_folder(root) for root in roots] == [
            ["photos/a.jpg"],
            ["photos (2)/a.jpg"],
            ["photos (3)/a.jpg"],
        ]
        assert [f.name for f in share.shared_folders()] == ["photos", "photos (2)", "photos (3)"]
