"""Where a download is saved and how its ``.part`` is opened, as mutation testing found them
unchecked (tools/mutation.py download_files): numbered names, a linked .part, its mode."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from net.download.files import final_path, open_part
from net.share import LocalFileError, numbered_name


@pytest.mark.parametrize(
    ("name", "taken", "saved"),
    [
        ("a.txt", 0, "a.txt"),
        ("a.txt", 1, "a (2).txt"),
        ("a.txt", 3, "a (4).txt"),
        ("archive.tar.gz", 1, "archive.tar (2).gz"),  # the last extension stays last
        ("README", 2, "README (3)"),
        (".bashrc", 1, ".bashrc (2)"),
    ],
)
def test_a_taken_name_gets_the_next_number(
    tmp_path: Path, name: str, taken: int, saved: str
) -> None:
    for number in range(1, taken + 1):
        existing = name if number == 1 else numbered_name(name, number)  # as the share does
        (tmp_path / existing).write_bytes(b"x")
    assert final_path(tmp_path, name) == tmp_path / saved


def test_a_part_that_is_a_link_is_not_followed(tmp_path: Path) -> None:
    """A .part swapped for a link (to a file the user cares about) is refused, not written
    through: O_NOFOLLOW."""
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"precious")
    part = tmp_path / "a.bin.part"
    part.symlink_to(victim)
    with pytest.raises(LocalFileError) as info:
        open_part(part, 0)
    assert str(info.value) == f"cannot write {part}: too many levels of symbolic links"
    assert victim.read_bytes() == b"precious"


def test_a_new_part_is_readable_by_all_and_writable_by_its_owner(tmp_path: Path) -> None:
    part = tmp_path / "a.bin.part"
    umask = os.umask(0o022)
    try:
        fd = open_part(part, 0)
    finally:
        os.umask(umask)
    os.close(fd)
    assert stat.S_IMODE(part.stat().st_mode) == 0o644
