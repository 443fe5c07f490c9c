"""A mirror's bulk pass (:mod:`net.mirror`): many missing files taken from one stored zip of
the folder (``?format=zip``, the layout :mod:`net.zipstream` writes) read as it streams, each
verified against the list's SHA-256 before it is put in place."""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import hashlib
import http.client
import os
import struct
from collections.abc import Iterator
from pathlib import Path

from net._i18n import _
from net._loop import StoppableLoop
from net._mirror_client import COPY_CHUNK, HEADERS, Advance, MirrorClient
from net._mirror_local import STAGING, Entry, part_name, raise_if_stopped
from net.download.files import open_part, write_all
from net.errors import NetError, ProtocolError, TransferError
from net.events import MirrorFile

_INLINE = 1024 * 1024  # bytes: a zip member up to this size is read whole, written by a worker
_INLINE_BUFFER = 32 * 1024 * 1024  # bytes of such members waiting for their writer at most
_BATCH_FILES = 64  # such members handed to a writer at once at most
_BATCH_BYTES = 1024 * 1024  # and bytes of them


def fetch_zip(
    client: MirrorClient,
    folder_path: str,
    top: Path,
    wanted: list[Entry],
    listed: list[Entry],
    *,
    pool: concurrent.futures.Executor,
    loop: StoppableLoop,
    advance: Advance,
    ahead: http.client.HTTPResponse | None = None,
) -> dict[str, MirrorFile]:
    """Fetch many missing files at once: the folder's zip from the server (``?format=zip``,
    stored members, issue 20), one request instead of one per file. Only the files in
    ``wanted`` are kept, each from its list entry's local path (never from a name in the
    zip), each verified against the list's SHA-256; others in the stream are skipped (``ahead``:
    the zip's answer when it was asked for already, on a connection of its own). Any
    surprise (no zip, another layout, a size that differs) ends the bulk pass quietly: what
    it did not deliver is fetched file by file. Returns the outcomes by local path.

    This thread reads the stream and hashes; small members (up to ``_INLINE``) are written
    by the pool's workers (write, fsync, rename: system calls that run in parallel), at most
    ``_INLINE_BUFFER`` bytes of them waiting at a time; bigger ones are written here.
    ``advance`` hears the bytes of wanted members as they arrive; ``loop`` stops the pass."""
    by_key = {e.key: e for e in wanted if e.key is not None}
    sizes = {e.key: e.size for e in listed if e.key is not None}
    done: dict[str, MirrorFile] = {}
    writes: collections.deque[tuple[int, concurrent.futures.Future[list[MirrorFile]]]]
    writes = collections.deque()
    waiting = 0  # bytes handed to writers and not written yet
    # Small members go to a writer in batches: a hand-over per file costs more than its write.
    batch: list[tuple[Entry, bytes, str]] = []
    batched = 0

    def hand_over() -> None:
        nonlocal batch, batched, waiting
        if batch:
            writes.append((batched, pool.submit(_place_all, top, batch)))
            waiting += batched
            batch, batched = [], 0

    def settle(limit: int) -> None:
        nonlocal waiting
        while writes and (waiting > limit or writes[0][1].done()):
            size, future = writes.popleft()
            waiting -= size
            for outcome in future.result():
                done[outcome.path] = outcome

    if ahead is not None:
        response = ahead
    else:
        try:
            response = client.request(folder_path + "?format=zip", dict(HEADERS))
        except (NetError, OSError, http.client.HTTPException):
            return done
    try:
        if response.status != 200:
            return done
        reader = _ZipReader(response, loop)
        while (member := reader.next_member()) is not None:
            name, zip64 = member
            if name.endswith("/"):
                size = 0
            elif name in sizes:
                size = sizes[name]
            else:
                return done  # not in the lists: the layout is not what was listed
            entry = by_key.get(name)
            data: bytes | None = None
            if entry is None:
                reader.skip(size)
            elif size <= _INLINE:
                data = reader.take(size)
                digest = hashlib.sha256(data).hexdigest()
            else:
                part = top / STAGING / part_name(entry)
                digest = reader.save(size, part)
            if entry is not None:
                advance(entry.shown, size)
            if not reader.descriptor(size, zip64):
                if entry is not None and data is None:
                    part.unlink()
                return done
            if entry is None:
                continue
            if digest != entry.sha256:
                if data is None:
                    part.unlink()  # fetched again file by file
                continue
            if data is None:
                outcome = _place(top, entry, None, digest)
                if outcome is not None:
                    done[outcome.path] = outcome
                continue
            batch.append((entry, data, digest))
            batched += size
            if len(batch) >= _BATCH_FILES or batched >= _BATCH_BYTES:
                hand_over()
                settle(_INLINE_BUFFER)
    except (OSError, http.client.HTTPException, ProtocolError, TransferError):
        pass
    finally:
        response.close()
        if not loop.stopping and ahead is None:
            client.drop_connection()
        hand_over()  # the members read whole before the end are written too
        settle(-1)  # every write ends before the outcomes are counted
    return done


class _ZipReader:
    """Reads a stored zip as it streams (the layout :mod:`net.zipstream` writes): local headers,
    data, data descriptors, until the central directory begins."""

    def __init__(self, response: http.client.HTTPResponse, loop: StoppableLoop) -> None:
        self.response = response
        self.loop = loop
        self.buffer = memoryview(bytearray(COPY_CHUNK))
        # Bytes read ahead and not used yet: a member's header, data and descriptor are taken
        # from here, a few calls per member rather than six reads through http.client.
        self._ahead = b""
        self._at = 0

    def _exact(self, count: int) -> bytes:
        held = len(self._ahead) - self._at
        if held < count:
            pieces = [self._ahead[self._at :]]
            while held < count:
                raise_if_stopped(self.loop)
                more = self.response.read1(max(count - held, COPY_CHUNK))
                if not more:
                    raise TransferError(_("the zip ended early"))
                pieces.append(more)
                held += len(more)
            self._ahead, self._at = b"".join(pieces), 0
        data = self._ahead[self._at : self._at + count]
        self._at += count
        return data

    def next_member(self) -> tuple[str, bool] | None:
        """(name, ZIP64?) of the next member; None at the central directory."""
        signature = self._exact(4)
        if signature == b"PK\x01\x02":
            return None
        if signature != b"PK\x03\x04":
            raise ProtocolError(_("not a zip stream"))
        head = self._exact(26)
        flags, method = struct.unpack_from("<HH", head, 2)
        name_length, extra_length = struct.unpack_from("<HH", head, 22)
        if method != 0 or not flags & 0x08:
            raise ProtocolError(_("not a stored zip stream"))
        name = self._exact(name_length).decode("utf-8", "replace")
        extra = self._exact(extra_length)
        return name, _has_zip64(extra)

    def _chunks(self, size: int) -> Iterator[memoryview]:
        """The next ``size`` bytes, a buffer at a time (each valid until the next)."""
        held = min(size, len(self._ahead) - self._at)
        if held:
            yield memoryview(self._ahead)[self._at : self._at + held]
            self._at += held
        left = size - held
        while left:
            raise_if_stopped(self.loop)
            count = self.response.readinto(self.buffer[: min(left, COPY_CHUNK)])
            if not count:
                raise TransferError(_("the zip ended early"))
            left -= count
            yield self.buffer[:count]

    def skip(self, size: int) -> None:
        for _chunk in self._chunks(size):
            pass

    def take(self, size: int) -> bytes:
        """The next ``size`` bytes (a small member), in memory."""
        return self._exact(size) if size else b""

    def save(self, size: int, part: Path) -> str:
        """Write the next ``size`` bytes to ``part`` (fsynced); their SHA-256 hex."""
        hasher = hashlib.sha256()
        fd = open_part(part, 0)
        try:
            for chunk in self._chunks(size):
                hasher.update(chunk)
                write_all(fd, chunk)
            os.fsync(fd)
        finally:
            os.close(fd)
        return hasher.hexdigest()

    def descriptor(self, size: int, zip64: bool) -> bool:
        """Read the data descriptor; whether its sizes say ``size`` (the member was what the
        list said)."""
        if zip64:
            signature, _crc, packed, full = struct.unpack("<IIQQ", self._exact(24))
        else:
            signature, _crc, packed, full = struct.unpack("<IIII", self._exact(16))
        return bool(signature == 0x08074B50 and packed == full == size)


def _place(top: Path, entry: Entry, data: bytes | None, digest: str) -> MirrorFile | None:
    """Put a verified file in place: ``data`` written to its ``.part`` (fsynced; None: the part
    holds it already), its time set, renamed over the local path. None when the disk refused
    (the file is then fetched on its own)."""
    part = top / STAGING / part_name(entry)
    try:
        if data is not None:
            flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
            flags |= getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
            fd = os.open(part, flags, 0o644)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            finally:
                os.close(fd)
        with contextlib.suppress(OSError):
            os.utime(part, (entry.mtime, entry.mtime))
        os.replace(part, entry.local)
    except OSError:
        with contextlib.suppress(OSError):
            part.unlink()
        return None
    return MirrorFile(entry.shown, "downloaded", entry.size, verified=True, sha256=digest)


def _place_all(top: Path, batch: list[tuple[Entry, bytes, str]]) -> list[MirrorFile]:
    """:func:`_place` for each (entry, data, SHA-256 hex) of ``batch``: the files placed."""
    placed = (_place(top, entry, data, digest) for entry, data, digest in batch)
    return [outcome for outcome in placed if outcome is not None]


def _has_zip64(extra: bytes) -> bool:
    """Whether a local header's extra field holds a ZIP64 record (id 0x0001)."""
    at = 0
    while at + 4 <= len(extra):
        kind, length = struct.unpack_from("<HH", extra, at)
        if kind == 0x0001:
            return True
        at += 4 + length
    return False
