"""Share-table behaviour that mutation testing (tools/mutation.py share) found unchecked: a file
removed while it waits for its checksum, and the sentences for files that cannot be opened."""

from __future__ import annotations

import subprocess
import sys
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
