"""The receiving side of uploads, without sockets (the file server calls these).

* :func:`upload_name` cleans the name a client asked for the way downloads clean names
  (:func:`net.download.safe_file_name`, always with Windows' rules, so a file received on Linux
  can be copied to any system): no separators, no control characters, no device names.
* :class:`Receiver` writes one upload into the upload folder as ``.<name>.part`` and renames it when
  it is complete and its digest (RFC 9530 ``Repr-Digest``) matched; an existing name is never
  overwritten (the rename is a hard link, which fails when the name exists). A failed upload leaves
  nothing behind.
* :class:`FormReceiver` stores the files of a ``multipart/form-data`` body (RFC 7578).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import queue
import stat
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from net._i18n import _
from net.download import safe_file_name
from net.download.files import write_all
from net.errors import UploadRefused
from net.share import numbered_name

PART_SUFFIX = ".part"
#: Seconds an interrupted resumable upload's ``.part`` is kept after its last byte arrived: then
#: :func:`expire_parts` removes it, and a plain PUT of that name replaces it.
PART_MAX_AGE = 24 * 3600.0
_NUMBERED_TRIES = 1000  # "name (2).ext" ... before a form upload gives up finding a free name
_HASH_CHUNK = 1024 * 1024  # bytes per read when a resumed upload's first part is hashed
_HASH_THREADED = 32 * 1024  # bytes: a chunk this big moves an upload's hashing to a thread
_HASH_BUFFER = 2 * 1024 * 1024  # bytes of one buffer shared by the receiving and hashing threads
_HASH_BUFFERS = 8  # such buffers per upload (16 MiB): the receiver waits when all are hashed
_HASH_MIN_ROOM = 64 * 1024  # bytes: a buffer with less room left goes to the hashing thread


def part_path(folder: Path, name: str) -> Path:
    """Where an upload of ``name`` (cleaned) is written while it arrives: hidden, so that a shared
    upload folder never lists a half-written file."""
    return folder / ("." + name + PART_SUFFIX)


def partial_size(folder: Path, name: str) -> int | None:
    """Bytes an interrupted resumable upload of ``name`` holds, or None when there is none."""
    try:
        st = os.lstat(part_path(folder, name))
    except OSError:
        return None
    return st.st_size if stat.S_ISREG(st.st_mode) else None


def upload_name(asked: str) -> str:
    """The file name an upload asked for as ``asked`` (a URL path, percent-decoded) gets in the
    upload folder: one name, no folders ("a/b.txt" -> "a_b.txt"), cleaned by
    :func:`net.download.safe_file_name` with Windows' rules on every system; never ends in
    ``.part`` (that suffix is reserved for uploads in progress)."""
    name = safe_file_name(asked.strip("/"), windows=True)
    if name.lower().endswith(PART_SUFFIX):
        name += "_"
    return name


class Receiver:
    """One upload being written to ``folder``: ``.<name>.part`` while it arrives, ``<name>`` when done.

    Args:
        folder: the upload folder (it must exist).
        name: the cleaned name (:func:`upload_name`).
        unique: when ``name`` is taken, use "name (2).ext", "name (3).ext"... (form uploads);
            otherwise a taken name (or one with an upload in progress) is refused with 409 (PUT).
        expected: the SHA-256 the client announced (``Repr-Digest``) for the whole file, or None.
        resumable: an interrupted upload keeps its ``.part`` (``abort(keep=True)``) so that it can
            be continued with :meth:`resume`.
        part_max_age: seconds after its last write an interrupted upload's ``.part`` counts as
            abandoned: a new upload of the name then replaces it.
    Raises:
        UploadRefused: 409 when the name is taken, or when an interrupted upload of it is held
            for resuming (newer than ``part_max_age``; the sentence says how to resume it); 507
            when the folder cannot be written.
    """

    def __init__(
        self,
        folder: Path,
        name: str,
        *,
        unique: bool = False,
        expected: bytes | None = None,
        resumable: bool = False,
        part_max_age: float = PART_MAX_AGE,
    ) -> None:
        self.folder = folder
        self.expected = expected
        self.resumable = resumable
        self.received = 0
        self._hash = _BackgroundHash()
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        flags |= getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
        for number in range(1, _NUMBERED_TRIES + 1 if unique else 2):
            candidate = name if number == 1 else numbered_name(name, number)
            part = part_path(folder, candidate)
            if (folder / candidate).exists():
                continue
            try:
                if not unique and _abandoned(part, part_max_age):
                    part.unlink()  # a plain PUT replaces an upload nobody came back for
                self._fd = os.open(part, flags, 0o644)
            except FileExistsError:
                if unique:
                    continue  # another upload of that name is in progress
                raise UploadRefused(
                    409,
                    f"an interrupted upload of {name} is kept for resuming: continue it "
                    "(swb put resumes by itself; HEAD with Upload-Draft-Interop-Version tells "
                    f"its offset), or send it again after {part_max_age / 3600:g} h, when it "
                    "expires",
                ) from None
            except OSError as exc:
                raise UploadRefused(
                    507, _("cannot write into the upload folder: {exc}").format(exc=exc)
                ) from exc
            self.name = candidate
            self.part = part
            self.path = folder / candidate
            return
        raise UploadRefused(
            409, _("{name} exists already; uploads never overwrite a file").format(name=name)
        )

    @classmethod
    def resume(
        cls, folder: Path, name: str, offset: int, *, expected: bytes | None = None
    ) -> Receiver:
        """Continue the interrupted resumable upload of ``name`` at byte ``offset``.

        Raises:
            UploadRefused: 404 when there is no such upload; 409 (with ``offset`` = the bytes
                held) when ``offset`` is not where it stopped.
        """
        self = cls.__new__(cls)
        self.folder = folder
        self.expected = expected
        self.resumable = True
        self.name = name
        self.part = part_path(folder, name)
        self.path = folder / name
        self._hash = _BackgroundHash()
        flags = os.O_RDWR | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
        try:
            self._fd = os.open(self.part, flags | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            raise UploadRefused(
                404, _("there is no upload of {name} to resume").format(name=name)
            ) from None
        held = os.fstat(self._fd).st_size
        if held != offset:
            os.close(self._fd)
            self._fd = -1
            raise UploadRefused(
                409,
                _("the upload of {name} holds {held:,} bytes, not {offset:,}").format(
                    name=name, held=held, offset=offset
                ),
                held,
            )
        while chunk := os.read(self._fd, _HASH_CHUNK):
            self._hash.update(chunk)
        self.received = held
        return self

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Append ``data`` to the ``.part`` file (raises OSError when the disk refuses)."""
        write_all(self._fd, memoryview(data))
        self._hash.update(data)
        self.received += len(data)

    def room(self) -> memoryview:
        """A buffer to receive the next bytes into (at least 64 KiB), so that they reach the
        file and the hash without a copy: fill its start, then call :meth:`commit`."""
        return self._hash.room()

    def commit(self, count: int) -> None:
        """Append the first ``count`` bytes of the last :meth:`room` to the ``.part`` file
        (raises OSError when the disk refuses)."""
        room = self._hash.room()  # the same view: nothing was filled since
        write_all(self._fd, room[:count])
        self._hash.filled(count)
        self.received += count

    @property
    def sha256(self) -> str:
        """The SHA-256 of what was received so far, in hex."""
        return self._hash.hexdigest()

    def finish(self) -> Path:
        """Close the ``.part``, check the digest, and give it its name; returns the final path.

        Raises:
            UploadRefused: 400 when the digest does not match (the bytes are removed); 409 when
                the name was taken meanwhile (the bytes are removed).
        """
        os.close(self._fd)
        self._fd = -1  # from here on abort() leaves the file alone: finish() decides
        digest = self._hash.digest()  # also ends the hashing thread
        if self.expected is not None and not hmac.compare_digest(self.expected, digest):
            self._remove()
            raise UploadRefused(
                400, _("the upload does not match its Repr-Digest: it was damaged and is not kept")
            )
        try:
            _rename_no_overwrite(self.part, self.path)
        except FileExistsError:
            self._remove()
            raise UploadRefused(
                409, _("{name} was created meanwhile; it is not overwritten").format(name=self.name)
            ) from None
        return self.path

    def abort(self, *, keep: bool = False) -> None:
        """Stop writing (idempotent): the ``.part`` file is removed, unless ``keep`` (a resumable
        upload that was interrupted or sent only a part) and the upload is resumable."""
        self._hash.digest()  # ends the hashing thread
        if self._fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = -1
            if keep and self.resumable:
                return
            self._remove()

    def _remove(self) -> None:
        with contextlib.suppress(OSError):
            os.unlink(self.part)


class _BackgroundHash:
    """SHA-256 computed on a thread of its own once data arrives in big chunks, so that hashing
    an upload overlaps receiving and writing it (hashlib releases the GIL for large buffers).

    Bytes travel in ``_HASH_BUFFERS`` buffers of ``_HASH_BUFFER`` bytes: the receiver fills one
    (straight from the socket with :meth:`room` and :meth:`filled`, or by copying with
    :meth:`update`), hands it over when it is nearly full, and takes a free one, waiting when
    every buffer is still being hashed. A wake-up per buffer, not per socket read, and no copy
    of a received byte. :meth:`digest` hashes the rest and ends the thread."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self._queue: queue.SimpleQueue[tuple[memoryview, bytearray] | None] = queue.SimpleQueue()
        self._free: queue.SimpleQueue[bytearray] = queue.SimpleQueue()
        self._made = 0  # buffers allocated so far (at most _HASH_BUFFERS)
        self._thread: threading.Thread | None = None
        self._buffer: bytearray | None = None
        self._used = 0  # bytes of self._buffer filled and not handed over yet

    def update(self, data: bytes | bytearray | memoryview) -> None:
        if self._thread is None and len(data) < _HASH_THREADED:
            self._hash.update(data)  # small: not worth a hand-over (order is kept: no thread yet)
            return
        view = memoryview(data).cast("B")
        while view:
            room = self.room()
            count = min(len(room), len(view))
            room[:count] = view[:count]
            self.filled(count)
            view = view[count:]

    def room(self) -> memoryview:
        """The free part of the current buffer (at least ``_HASH_MIN_ROOM`` bytes), to be filled
        and then announced with :meth:`filled`; valid until then."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="swb-upload-hash", daemon=True)
            self._thread.start()
        if self._buffer is None:
            if self._made < _HASH_BUFFERS and self._free.empty():
                self._made += 1
                self._buffer = bytearray(_HASH_BUFFER)
            else:
                self._buffer = self._free.get()
            self._used = 0
        return memoryview(self._buffer)[self._used :]

    def filled(self, count: int) -> None:
        """``count`` bytes were put at the start of the last :meth:`room`."""
        self._used += count
        if self._buffer is not None and len(self._buffer) - self._used < _HASH_MIN_ROOM:
            self._hand_over()

    def _hand_over(self) -> None:
        if self._buffer is not None:
            if self._used:
                self._queue.put((memoryview(self._buffer)[: self._used], self._buffer))
            else:
                self._free.put(self._buffer)
            self._buffer, self._used = None, 0

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            view, buffer = item
            self._hash.update(view)
            view.release()  # the buffer may be filled again
            self._free.put(buffer)

    def digest(self) -> bytes:
        if self._thread is not None:
            self._hand_over()
            self._queue.put(None)
            self._thread.join()
            self._thread = None
        return self._hash.digest()

    def hexdigest(self) -> str:
        return self.digest().hex()


def _abandoned(part: Path, max_age: float) -> bool:
    """Whether ``part`` is a regular file last written more than ``max_age`` seconds ago."""
    try:
        st = os.lstat(part)
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and time.time() - st.st_mtime > max_age


def expire_parts(folder: Path, max_age: float = PART_MAX_AGE) -> list[Path]:
    """Remove the ``.<name>.part`` files of interrupted uploads in ``folder`` last written more
    than ``max_age`` seconds ago (the file server calls it when it starts and then at most
    hourly); returns the paths removed. Errors (a file gone meanwhile, no permission) are
    skipped: the next call tries again."""
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if not (entry.name.startswith(".") and entry.name.endswith(PART_SUFFIX)):
            continue
        path = Path(entry.path)
        if _abandoned(path, max_age):
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path)
    return removed


def _rename_no_overwrite(source: Path, target: Path) -> None:
    """Rename ``source`` to ``target``; FileExistsError when ``target`` exists (never replaced)."""
    if sys.platform == "win32":
        os.rename(source, target)  # Windows' rename refuses an existing target by itself
        return
    try:
        os.link(source, target)  # atomic and fails on an existing name, unlike rename()
    except OSError as exc:
        if isinstance(exc, FileExistsError):
            raise
        # A file system without hard links (FAT, some network shares): check, then rename.
        if target.exists():
            raise FileExistsError(str(target)) from exc
        os.rename(source, target)
        return
    os.unlink(source)


class FormReceiver:
    """A ``multipart/form-data`` body (RFC 7578) of files posted by the share page's form, fed in
    pieces as they arrive (no IO here but the files): every part with a file name is stored
    through a :class:`Receiver` with ``unique=True`` ("name (2).ext" when the name is taken);
    other parts (form fields) are read and dropped, at most 64 KiB each.

    Args:
        folder: the upload folder.
        content_type: the request's Content-Type (it carries the boundary).
        max_file: bytes one file may have (None: no limit); more raises 413.
        on_file: called with (name, None) when a file starts and (name, bytes) when it is stored.
    Raises (from the constructor, :meth:`feed` and :meth:`close`):
        UploadRefused: 415 not multipart/form-data; 400 malformed (the parser's sentence); 413
            a file over ``max_file``, more than 1000 parts, or a part head over 4 KiB.
    Limits come from the ``multipart`` library's push parser (header size and count, parts).
    """

    MAX_PARTS = 1000
    MAX_FIELD = 64 * 1024

    def __init__(
        self,
        folder: Path,
        content_type: str,
        *,
        max_file: int | None,
        on_file: Callable[[str, int | None], None],
    ) -> None:
        import multipart

        kind, options = multipart.parse_options_header(content_type)
        boundary = options.get("boundary", "")
        if kind != "multipart/form-data" or not boundary or len(boundary) > 70:
            raise UploadRefused(415, "The form must be sent as multipart/form-data.")
        self._multipart = multipart
        self._parser = multipart.PushMultipartParser(
            boundary,
            max_header_size=4096,
            max_header_count=8,
            max_segment_count=self.MAX_PARTS,
        )
        self.folder = folder
        self.max_file = max_file
        self.on_file = on_file
        self.stored: list[Path] = []
        self._current: Receiver | None = None
        self._field = 0  # bytes of the current non-file part

    def feed(self, chunk: bytes) -> None:
        """Take the next piece of the body (b"" at its end, see :meth:`close`)."""
        multipart = self._multipart
        try:
            for event in self._parser.parse(chunk):
                self._on_event(event)
        except multipart.ParserLimitReached as exc:
            self.abort()
            raise UploadRefused(413, f"The form is too large: {exc}") from None
        except multipart.MultipartError as exc:
            self.abort()
            raise UploadRefused(400, f"The form is not valid multipart/form-data: {exc}") from None

    def close(self) -> list[Path]:
        """The body ended: check that the form was complete; returns the files stored."""
        self.feed(b"")
        if not self._parser.closed:
            self.abort()
            raise UploadRefused(400, "The form ended before its last part.")
        return self.stored

    def abort(self) -> None:
        """Drop the file being received (files already stored stay: each is complete)."""
        if self._current is not None:
            self._current.abort()
            self._current = None

    def _on_event(self, event: object) -> None:
        if isinstance(event, self._multipart.MultipartSegment):
            self._field = 0
            if event.filename:
                # Browsers send a bare name; old ones a whole Windows path: keep the last part.
                base = event.filename.replace("\\", "/").rpartition("/")[2]
                self._current = Receiver(self.folder, upload_name(base), unique=True)
                self.on_file(self._current.name, None)
        elif isinstance(event, bytes | bytearray):
            current = self._current
            if current is None:
                self._field += len(event)
                if self._field > self.MAX_FIELD:
                    raise UploadRefused(413, "A form field is longer than 64 KiB.")
                return
            if self.max_file is not None and current.received + len(event) > self.max_file:
                self.abort()
                raise UploadRefused(413, f"Uploads may have at most {self.max_file:,} bytes.")
            current.write(event)
        elif event is None and self._current is not None:
            current, self._current = self._current, None
            path = current.finish()
            self.stored.append(path)
            self.on_file(current.name, current.received)
