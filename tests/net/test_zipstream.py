"""The streamed zip (net.zipstream): exact length, stored members, data descriptors, UTF-8 names,
ZIP64 for a member over 4 GiB (a sparse file, checked without reading its 4 GiB) and for more
than 65,535 entries, and names that would extract outside the archive's folder refused."""

from __future__ import annotations

import io
import os
import struct
import subprocess
import zipfile
import zlib
from pathlib import Path

import pytest

from net.zipstream import MemberChanged, ZipMember, ZipPlan

GIB = 1024**3


def opener(member: ZipMember) -> io.RawIOBase:
    assert isinstance(member.source, Path)
    return io.FileIO(member.source, "rb")


def stream(plan: ZipPlan) -> bytes:
    return b"".join(bytes(chunk) for chunk in plan.chunks(opener))


def test_small_archive_is_exact_and_valid(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"alpha")
    (tmp_path / "big.bin").write_bytes(os.urandom(3 * 1024 * 1024 + 1))
    (tmp_path / "empty").write_bytes(b"")
    members = [
        ZipMember("d/", 0, 1_700_000_000),
        ZipMember("d/a.txt", 5, 1_700_000_000, tmp_path / "a.txt"),
        ZipMember("d/中文 😀 #?%.bin", 3 * 1024 * 1024 + 1, 0, tmp_path / "big.bin"),
        ZipMember("d/empty", 0, 5e9, tmp_path / "empty"),  # dates outside 1980-2107 are clamped
    ]
    plan = ZipPlan(members)
    data = stream(plan)
    assert len(data) == plan.length
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    assert archive.namelist() == [m.name for m in members]
    info = archive.getinfo("d/中文 😀 #?%.bin")
    assert info.flag_bits & 0x0808 == 0x0808  # data descriptor, UTF-8 name
    assert info.compress_type == zipfile.ZIP_STORED and info.compress_size == info.file_size
    assert zlib.crc32((tmp_path / "big.bin").read_bytes()) == info.CRC
    assert archive.getinfo("d/").is_dir()
    assert archive.getinfo("d/empty").date_time[0] == 2107
    assert archive.getinfo("d/").date_time[0] >= 2023


def test_a_file_that_changes_size_stops_the_archive(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"alpha")
    shorter = ZipPlan([ZipMember("a.txt", 6, 0, tmp_path / "a.txt")])
    with pytest.raises(MemberChanged, match="shorter"):
        stream(shorter)
    longer = ZipPlan([ZipMember("a.txt", 4, 0, tmp_path / "a.txt")])
    with pytest.raises(MemberChanged, match="grew"):
        stream(longer)


@pytest.mark.parametrize(
    "name", ["", "/etc/passwd", "../x", "a/../../x", "a/./b", "a//b", "./a", "a/..", "//"]
)
def test_names_that_would_extract_elsewhere_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="not a relative path"):
        ZipPlan([ZipMember(name, 0, 0)])


def write_sparse(plan: ZipPlan, path: Path, crcs: list[int], data: dict[int, bytes]) -> None:
    """The archive as a sparse file: every header at its offset, ``data`` (member index ->
    bytes) where given, holes (zeros) for the rest: no file is read."""
    with open(path, "wb") as out:
        out.truncate(plan.length)
        for offset, chunk in plan.frames(crcs):
            out.seek(offset)
            out.write(chunk)
        for index, content in data.items():
            offset = plan_offsets(plan)[index]
            out.seek(offset)
            out.write(content)


def plan_offsets(plan: ZipPlan) -> list[int]:
    """Where each member's data starts: just after its local header."""
    return [
        offset + len(chunk)
        for offset, chunk in list(plan.frames([0] * len(plan)))[:-1]
        if chunk[:4] == b"PK\x03\x04"
    ]


def test_a_member_over_4_gib_makes_a_valid_zip64(tmp_path: Path) -> None:
    huge = tmp_path / "huge.bin"
    with open(huge, "wb") as f:
        f.truncate(4 * GIB + 10)  # sparse: takes no disk space
    after = b"the member after the big one starts past 4 GiB"
    members = [
        ZipMember("first.txt", 5, 1_700_000_000),
        ZipMember("huge.bin", 4 * GIB + 10, 1_700_000_000, huge),
        ZipMember("after.txt", len(after), 1_700_000_000),
    ]
    plan = ZipPlan(members)
    assert plan.length > 4 * GIB + 10
    crcs = [zlib.crc32(b"first"), 0, zlib.crc32(after)]  # huge.bin's CRC is never checked here
    path = tmp_path / "archive.zip"
    write_sparse(plan, path, crcs, {0: b"first", 2: after})

    archive = zipfile.ZipFile(path)
    big = archive.getinfo("huge.bin")
    assert big.file_size == big.compress_size == 4 * GIB + 10
    assert big.extract_version >= 45
    last = archive.getinfo("after.txt")
    assert last.header_offset > 4 * GIB  # from the ZIP64 extra field of its central header
    assert archive.read("after.txt") == after  # local header found at the ZIP64 offset
    assert archive.read("first.txt") == b"first"
    # The ZIP64 end of central directory record and its locator precede the classic end record.
    with open(path, "rb") as f:
        f.seek(-(22 + 20 + 56), os.SEEK_END)
        tail = f.read()
    assert (
        tail[:4] == b"PK\x06\x06" and tail[56:60] == b"PK\x06\x07" and tail[76:80] == b"PK\x05\x06"
    )
    (entries,) = struct.unpack("<Q", tail[32:40])
    assert entries == 3
    # Info-ZIP reads it too: lists the sizes and tests the small members.
    listed = subprocess.run(["unzip", "-l", str(path)], capture_output=True, text=True)
    assert listed.returncode == 0 and str(4 * GIB + 10) in listed.stdout, listed
    tested = subprocess.run(
        ["unzip", "-t", str(path), "after.txt", "first.txt"], capture_output=True
    )
    assert tested.returncode == 0 and b"No errors detected" in tested.stdout, tested


def test_more_than_65535_entries_use_the_zip64_end_record(tmp_path: Path) -> None:
    members = [ZipMember(f"d{i}/", 0, 1_700_000_000) for i in range(70_000)]
    plan = ZipPlan(members)
    assert plan.zip64_end
    path = tmp_path / "many.zip"
    path.write_bytes(b"".join(bytes(chunk) for chunk in plan.chunks(opener)))
    assert path.stat().st_size == plan.length
    archive = zipfile.ZipFile(path)
    assert len(archive.infolist()) == 70_000
    assert archive.testzip() is None
