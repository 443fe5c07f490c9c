"""A zip archive written on the fly, to a socket, with no temporary file: the file server's
``?format=zip``.

The format is PKWARE's APPNOTE.TXT (6.3.10). Choices, and why:

* Members are *stored* (method 0), not deflated: photos, videos and archives do not shrink, and
  storing lets the archive's exact length be known before the first byte is sent, so the answer
  carries a Content-Length (a browser shows a real progress bar, HEAD works, a cut is detected).
* CRC-32 is computed *while streaming*, in the same read that sends the bytes, and written after
  each member in a data descriptor (general purpose bit 3, APPNOTE 4.3.9). Computing it
  beforehand would read every file twice. A data descriptor has a fixed size (16 bytes, 24 with
  ZIP64), so the length stays exact. The central directory at the end carries every CRC and size,
  which is what unzip, Python's zipfile, 7-Zip and Windows Explorer read.
* ZIP64 (APPNOTE 4.5.3, 4.3.14) is used per member when its size or its offset reaches 4 GiB, and
  for the end records when the central directory lies past 4 GiB or there are more than 65,535
  entries; smaller archives are plain zip, which every tool opens.
* Names are UTF-8 with the language encoding flag (bit 11, APPNOTE appendix D), folders end in "/".
* A member that changed size since the plan was made cannot be sent without breaking the promised
  length: :class:`MemberChanged` is raised and the server cuts the connection, so the client sees a
  short, failed download rather than a wrong archive.
"""

from __future__ import annotations

import io
import struct
import time
import zlib
from collections.abc import Callable, Iterator, Sequence

from net._i18n import _
from net._record import Record
from net.errors import system_words

__all__ = ["MemberChanged", "ZipMember", "ZipPlan"]

_LIMIT = 0xFFFFFFFF  # a 4-byte field holding this says "see the ZIP64 extra field"
_CHUNK = 1024 * 1024
_FLAGS = 0x0008 | 0x0800  # data descriptor follows; names are UTF-8
_VERSION = 20  # 2.0: folders, stored members
_VERSION_ZIP64 = 45  # 4.5: ZIP64
_MADE_BY_UNIX = 3 << 8  # the external attributes hold Unix mode bits (APPNOTE 4.4.2)
_FILE_MODE = 0o100644
_FOLDER_MODE = 0o040755


class MemberChanged(Exception):
    """A file ended early, changed size or could not be read while the archive was being sent."""


class ZipMember(Record):
    """One entry of the archive.

    ``name`` is the path inside the archive, "/"-separated, without a leading "/"; a folder's ends
    with "/" and has ``size`` 0. ``source`` is whatever the caller's opener needs to open the file
    (None for a folder); ``mtime`` is seconds since the epoch.
    """

    name: str
    size: int
    mtime: float
    source: object = None

    @property
    def is_folder(self) -> bool:
        return self.name.endswith("/")


class _Placed(Record):
    member: ZipMember
    encoded: bytes  # the name in UTF-8
    offset: int  # of its local header
    zip64: bool  # sizes or offset need the ZIP64 extra field
    dos_time: int
    dos_date: int


class ZipPlan:
    """The layout of an archive of ``members`` (in this order), and its exact length in bytes.

    Raises:
        ValueError: a name that is empty, absolute, or has "." or ".." segments (an archive that
            would extract outside its folder, "zip slip"), or a folder with a size.
    """

    def __init__(self, members: Sequence[ZipMember]) -> None:
        placed: list[_Placed] = []
        offset = 0
        for member in members:
            _check_name(member)
            encoded = member.name.encode("utf-8")
            zip64 = member.size >= _LIMIT or offset >= _LIMIT
            dos_time, dos_date = _dos_time(member.mtime)
            placed.append(_Placed(member, encoded, offset, zip64, dos_time, dos_date))
            offset += _local_length(encoded, zip64) + member.size + (24 if zip64 else 16)
        self._placed = placed
        self.central_offset = offset
        self.central_length = sum(_central_length(p) for p in placed)
        end = self.central_offset + self.central_length
        self.zip64_end = len(placed) > 0xFFFF or self.central_offset >= _LIMIT or end >= _LIMIT
        #: The archive's exact length in bytes (the answer's Content-Length).
        self.length = end + (56 + 20 if self.zip64_end else 0) + 22

    def __len__(self) -> int:
        return len(self._placed)

    def chunks(
        self, open_member: Callable[[ZipMember], io.RawIOBase]
    ) -> Iterator[bytes | memoryview]:
        """The archive's bytes, in order; a memoryview is valid only until the next one is asked
        for. Files are opened one at a time with ``open_member`` (and closed here) and read once:
        the CRC-32 is computed on the bytes as they go out.

        Raises:
            MemberChanged: a file is shorter or longer than its planned size, or reading it
                failed (the OSError is chained).
        """
        crcs: list[int] = []
        buffer = bytearray(_CHUNK)
        view = memoryview(buffer)
        for placed in self._placed:
            member = placed.member
            yield _local_header(placed)
            crc = 0
            if not member.is_folder:
                with _reading(member, open_member) as file:
                    left = member.size
                    while left:
                        count = _read_into(member, file, view[: min(_CHUNK, left)])
                        if count == 0:
                            raise MemberChanged(
                                _("{name} became shorter while it was sent").format(
                                    name=member.name
                                )
                            )
                        crc = zlib.crc32(view[:count], crc)
                        left -= count
                        yield view[:count]
                    if file.readinto(view[:1]):
                        raise MemberChanged(
                            _("{name} grew while it was sent").format(name=member.name)
                        )
            crcs.append(crc)
            yield _descriptor(placed, crc)
        yield self._directory(crcs)

    def frames(self, crcs: Sequence[int]) -> Iterator[tuple[int, bytes]]:
        """(offset, bytes) of every part of the archive that is not file data, given each
        member's CRC-32: what :meth:`chunks` sends around the files' bytes. It lets a test check
        the layout of a huge archive (ZIP64) without reading its files."""
        for placed, crc in zip(self._placed, crcs, strict=True):
            yield placed.offset, _local_header(placed)
            data_end = placed.offset + _local_length(placed.encoded, placed.zip64)
            yield data_end + placed.member.size, _descriptor(placed, crc)
        yield self.central_offset, self._directory(crcs)

    def _directory(self, crcs: Sequence[int]) -> bytes:
        """The central directory and the end records."""
        central = bytearray()
        for placed, crc in zip(self._placed, crcs, strict=True):
            central += _central_header(placed, crc)
        return bytes(central) + self._end_records()

    def _end_records(self) -> bytes:
        count = len(self._placed)
        out = b""
        if self.zip64_end:
            zip64_end_at = self.central_offset + self.central_length
            out += struct.pack(
                "<IQHHIIQQQQ",
                0x06064B50,
                44,  # the size of the rest of this record
                _MADE_BY_UNIX | _VERSION_ZIP64,
                _VERSION_ZIP64,
                0,
                0,
                count,
                count,
                self.central_length,
                self.central_offset,
            )
            out += struct.pack("<IIQI", 0x07064B50, 0, zip64_end_at, 1)
        out += struct.pack(
            "<IHHHHIIH",
            0x06054B50,
            0,
            0,
            min(count, 0xFFFF),
            min(count, 0xFFFF),
            min(self.central_length, _LIMIT),
            min(self.central_offset, _LIMIT),
            0,
        )
        return out


def _reading(member: ZipMember, open_member: Callable[[ZipMember], io.RawIOBase]) -> io.RawIOBase:
    try:
        return open_member(member)
    except OSError as exc:
        raise _unreadable(member, exc) from exc


def _read_into(member: ZipMember, file: io.RawIOBase, view: memoryview) -> int:
    """Bytes of ``file`` read into ``view``; a file that cannot be read ends the archive as one
    that changed does (the promised length cannot be kept)."""
    try:
        return file.readinto(view) or 0
    except OSError as exc:
        raise _unreadable(member, exc) from exc


def _unreadable(member: ZipMember, exc: OSError) -> MemberChanged:
    return MemberChanged(
        _("{name} could not be read: {reason}").format(name=member.name, reason=system_words(exc))
    )


def _check_name(member: ZipMember) -> None:
    name = member.name[:-1] if member.is_folder else member.name
    parts = name.split("/")
    if not name or name.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise ValueError(
            _("{name!r} is not a relative path inside the archive").format(name=member.name)
        )
    if member.is_folder and member.size:
        raise ValueError(_("the folder {name!r} cannot have a size").format(name=member.name))


def _dos_time(mtime: float) -> tuple[int, int]:
    """MS-DOS time and date (APPNOTE 4.4.6) in local time, clamped to 1980-2107."""
    try:
        t = time.localtime(mtime)
    except (OverflowError, OSError, ValueError):
        t = time.localtime(0)
    if t.tm_year < 1980:
        return 0, (1 << 5) | 1  # 1980-01-01 00:00
    if t.tm_year > 2107:
        return (23 << 11) | (59 << 5) | 29, (127 << 9) | (12 << 5) | 31
    return (
        (t.tm_hour << 11) | (t.tm_min << 5) | (t.tm_sec // 2),
        ((t.tm_year - 1980) << 9) | (t.tm_mon << 5) | t.tm_mday,
    )


def _descriptor(placed: _Placed, crc: int) -> bytes:
    """The data descriptor after a member's data (APPNOTE 4.3.9): 8-byte sizes for ZIP64."""
    size = placed.member.size
    if placed.zip64:
        return struct.pack("<IIQQ", 0x08074B50, crc, size, size)
    return struct.pack("<IIII", 0x08074B50, crc, size, size)


def _local_length(encoded: bytes, zip64: bool) -> int:
    return 30 + len(encoded) + (20 if zip64 else 0)


def _local_header(placed: _Placed) -> bytes:
    # With a data descriptor the CRC and sizes here are zero (APPNOTE 4.4.4); a ZIP64 member
    # still carries the extra field with both sizes (4.5.3), zero too, as Python's zipfile does.
    if placed.zip64:
        extra = struct.pack("<HHQQ", 0x0001, 16, 0, 0)
        sizes = _LIMIT
    else:
        extra = b""
        sizes = 0
    head = struct.pack(
        "<IHHHHHIIIHH",
        0x04034B50,
        _VERSION_ZIP64 if placed.zip64 else _VERSION,
        _FLAGS,
        0,  # stored
        placed.dos_time,
        placed.dos_date,
        0,
        sizes,
        sizes,
        len(placed.encoded),
        len(extra),
    )
    return head + placed.encoded + extra


def _central_extra(placed: _Placed) -> tuple[bytes, int, int]:
    """(ZIP64 extra field, size field, offset field) of a central directory header: the extra
    field holds, in this order, only the values whose 4-byte field says 0xFFFFFFFF (4.5.3)."""
    size = placed.member.size
    values = []
    size_field = size
    offset_field = placed.offset
    if size >= _LIMIT:
        values += [size, size]
        size_field = _LIMIT
    if placed.offset >= _LIMIT:
        values.append(placed.offset)
        offset_field = _LIMIT
    if not values:
        return b"", size_field, offset_field
    extra = struct.pack(f"<HH{len(values)}Q", 0x0001, 8 * len(values), *values)
    return extra, size_field, offset_field


def _central_length(placed: _Placed) -> int:
    return 46 + len(placed.encoded) + len(_central_extra(placed)[0])


def _central_header(placed: _Placed, crc: int) -> bytes:
    extra, size_field, offset_field = _central_extra(placed)
    folder = placed.member.is_folder
    mode = _FOLDER_MODE if folder else _FILE_MODE
    attributes = (mode << 16) | (0x10 if folder else 0)  # 0x10: MS-DOS directory
    version = _VERSION_ZIP64 if extra or placed.zip64 else _VERSION
    head = struct.pack(
        "<IHHHHHHIIIHHHHHII",
        0x02014B50,
        _MADE_BY_UNIX | version,
        version,
        _FLAGS,
        0,
        placed.dos_time,
        placed.dos_date,
        crc,
        size_field,
        size_field,
        len(placed.encoded),
        len(extra),
        0,
        0,
        0,
        attributes,
        offset_field,
    )
    return head + placed.encoded + extra
