"""The receiving side of uploads and the share password, without sockets (the file server calls these).

* :func:`upload_name` cleans the name a client asked for the way downloads clean names
  (:func:`net.download.safe_file_name`, always with Windows' rules, so a file received on Linux
  can be copied to any system): no separators, no control characters, no device names.
* :class:`Receiver` writes one upload into the upload folder as ``.<name>.part`` and renames it when
  it is complete and its digest (RFC 9530 ``Repr-Digest``) matched; an existing name is never
  overwritten (the rename is a hard link, which fails when the name exists). A failed upload leaves
  nothing behind.
* :func:`check_basic` and :class:`AuthThrottle`: HTTP Basic authentication (RFC 7617) compared in
  constant time, and an escalating delay per client address after wrong passwords.
* :class:`FileUpload` is the sending side (``swb put``, the Download panel): a resumable upload
  (draft-ietf-httpbis-resumable-upload-05): ``HEAD`` with ``Upload-Draft-Interop-Version`` asks
  for the offset of an interrupted upload of the name, then ``PATCH`` sends the rest or ``PUT``
  the whole file, with ``Upload-Complete: ?1``, the whole file's ``Repr-Digest: sha-256`` (RFC
  9530) and ``Expect: 100-continue`` (RFC 9110 §10.1.1) so that a refusal comes before the body.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import hashlib
import hmac
import os
import queue
import socket
import ssl
import stat
import sys
import threading
import time
import urllib.parse
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import h11

from net._cli_common import counted
from net._connect import connect
from net._i18n import N_, _
from net._loop import StoppableLoop
from net._record import Record
from net.address import DEFAULT_RESOLVE_TIMEOUT, resolve
from net.download import safe_file_name
from net.download.exchange import USER_AGENT
from net.download.files import write_all
from net.errors import (
    AddressError,
    ConnectError,
    FileRefused,
    TransferError,
    UploadRefused,
    UploadStopped,
)
from net.events import DownloadProgress
from net.share import numbered_name

if TYPE_CHECKING:
    from net.tls import ClientTls

__all__ = [
    "PART_MAX_AGE",
    "PASSWORD_NEEDED",
    "AuthThrottle",
    "FileRefused",
    "FileUpload",
    "FilesUpload",
    "FormReceiver",
    "Receiver",
    "UploadRefused",
    "UploadSent",
    "UploadStopped",
    "UploadTarget",
    "basic_credentials",
    "check_basic",
    "expire_parts",
    "part_path",
    "partial_size",
    "refused_summary",
    "upload_name",
]

PART_SUFFIX = ".part"
_CHUNK = 256 * 1024  # bytes per send of a file body
_CONTINUE_WAIT = 1.0  # seconds to wait for 100 Continue before sending the body anyway (curl: 1 s)
_MAX_ANSWER = 64 * 1024  # bytes of an answer's body that are read (they are short texts)
_INTEROP = "6"  # Upload-Draft-Interop-Version of draft-ietf-httpbis-resumable-upload-05
#: Seconds an interrupted resumable upload's ``.part`` is kept after its last byte arrived: then
#: :func:`expire_parts` removes it, and a plain PUT of that name replaces it.
PART_MAX_AGE = 24 * 3600.0
_NUMBERED_TRIES = 1000  # "name (2).ext" ... before a form upload gives up finding a free name
_HASH_CHUNK = 1024 * 1024  # bytes per read when a resumed upload's first part is hashed
_HASH_THREADED = 32 * 1024  # bytes: a chunk this big moves an upload's hashing to a thread
_HASH_BUFFER = 2 * 1024 * 1024  # bytes of one buffer shared by the receiving and hashing threads
_HASH_BUFFERS = 8  # such buffers per upload (16 MiB): the receiver waits when all are hashed
_HASH_MIN_ROOM = 64 * 1024  # bytes: a buffer with less room left goes to the hashing thread
_THROTTLE_HOSTS = 4096  # client addresses whose failures are remembered (oldest forgotten first)


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


def basic_credentials(authorization: bytes | None) -> tuple[str, str] | None:
    """(user, password) of an ``Authorization: Basic`` value (RFC 7617 §2, UTF-8 per §2.1), or None
    when there is none or it is malformed."""
    if authorization is None:
        return None
    scheme, _sep, token = authorization.strip().partition(b" ")
    if scheme.lower() != b"basic":
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


def check_basic(authorization: bytes | None, password: str) -> bool:
    """Whether an ``Authorization`` header carries ``password`` (any user name), compared in
    constant time (:func:`hmac.compare_digest` on the UTF-8 bytes)."""
    credentials = basic_credentials(authorization)
    given = credentials[1] if credentials is not None else ""
    ok = hmac.compare_digest(given.encode("utf-8"), password.encode("utf-8"))
    return ok and credentials is not None


class AuthThrottle:
    """How long to wait before answering 401 to a client address after wrong passwords.

    The first wrong attempt waits ``base`` seconds, each further one twice as long, up to
    ``limit``; a right password forgets the address. At most 4096 addresses are remembered. The
    server waits with its loop's timers (never a sleep), so other clients are not slowed.
    """

    def __init__(self, base: float = 0.5, limit: float = 8.0) -> None:
        self.base = base
        self.limit = limit
        self._failures: OrderedDict[str, int] = OrderedDict()

    def failed(self, host: str) -> float:
        """Count a wrong password from ``host``; returns the seconds to wait before the 401."""
        count = self._failures.pop(host, 0) + 1
        self._failures[host] = count
        while len(self._failures) > _THROTTLE_HOSTS:
            self._failures.popitem(last=False)
        return min(self.limit, self.base * float(2 ** min(count - 1, 16)))

    def succeeded(self, host: str) -> None:
        self._failures.pop(host, None)

    def failures(self, host: str) -> int:
        """Wrong passwords counted for ``host`` since its last right one."""
        return self._failures.get(host, 0)


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


# ---- the sending side: swb put and the Download panel -------------------------------------


class _Answer(Record):
    status: int
    headers: dict[str, str]
    text: str


class UploadTarget:
    """Where files go: scheme, host, port, the path of the folder or of the one file.

    Raises:
        AddressError: not an http(s):// URL, no valid port, or several files for a URL that
            names one file (it must end in "/").
    """

    def __init__(self, url: str, count: int) -> None:
        parts = urllib.parse.urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise AddressError(_("{url} is not an http:// or https:// URL").format(url=url))
        try:
            port = parts.port
        except ValueError:
            raise AddressError(_("{url} has no valid port").format(url=url)) from None
        self.tls = parts.scheme == "https"
        self.host = parts.hostname
        self.port = port or (443 if self.tls else 80)
        self.password = urllib.parse.unquote(parts.password) if parts.password else None
        self.path = parts.path or "/"
        if count > 1 and not self.path.endswith("/"):
            raise AddressError(_("several files need a URL that ends in / (a share, not a name)"))
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.authority = host if port is None else f"{host}:{port}"
        self.base = f"{parts.scheme}://{self.authority}"

    def path_for(self, file: str) -> str:
        if not self.path.endswith("/"):
            return self.path
        return self.path + urllib.parse.quote(os.path.basename(file))


class FileUpload:
    """One file's resumable upload (see the module's docstring): asks for the offset, sends the
    rest, retries a broken connection.

    Args:
        target: where it goes (:class:`UploadTarget`).
        file: the local file.
        context: the TLS context for https (None for http).
        idle_timeout: seconds each wait for the server may take.
        password: the share password (HTTP Basic), or None.
        stopper: stops the upload from another thread (``stopper.shutdown()``).
        on_progress: bytes sent so far (``received`` holds them), a few times a second.
        ask_password: called on a 401 for a password (None: no way to ask: the 401 fails).
    """

    def __init__(
        self,
        target: UploadTarget,
        file: str,
        context: ssl.SSLContext | None,
        *,
        idle_timeout: float,
        password: str | None,
        stopper: StoppableLoop,
        on_progress: Callable[[DownloadProgress], None] | None,
        ask_password: Callable[[], str | None] | None = None,
    ) -> None:
        self.target = target
        self.file = file
        self.path = target.path_for(file)
        self.context = context
        self.timeout = idle_timeout
        self.password = password
        self.stopper = stopper
        self.on_progress = on_progress
        self.ask_password = ask_password
        self.size = os.path.getsize(file)
        self.sha256 = ""
        #: Where the server says it stored the file (its ``Location``, RFC 9110 §10.2.2): the
        #: name it chose may differ from the one sent ("CON" is kept as "_CON").
        self.url = target.base + self.path

    def run(self, *, retries: int) -> str:
        """Upload; returns the SHA-256 (hex) the server stored.

        Raises:
            ConnectError: the server cannot be reached, or the connection broke ``retries``
                times.
            UploadStopped: ``stopper`` was shut down.
            TransferError: the server refused it (its sentence: 409 taken, 413 too big, 401).
        """
        digest = hashlib.sha256()
        with open(self.file, "rb") as f:
            while chunk := f.read(1024 * 1024):
                digest.update(chunk)
        self.sha256 = digest.hexdigest()
        repr_digest = "sha-256=:" + base64.b64encode(digest.digest()).decode("ascii") + ":"
        attempt = 0
        while True:
            try:
                return self._attempt(repr_digest)
            except (ConnectError, OSError) as exc:
                attempt += 1
                if attempt > retries or self.stopper.stopping:
                    if isinstance(exc, ConnectError):
                        raise
                    raise ConnectError(
                        _(
                            "the upload of {basename} broke off: {exc}; "
                            "run swb put again to continue"
                        ).format(basename=os.path.basename(self.file), exc=exc)
                    ) from exc
                if self.stopper.wait_stopped(min(2.0, 0.25 * 2**attempt)):
                    raise UploadStopped() from exc

    def _attempt(self, repr_digest: str) -> str:
        offset = self._offset()
        common = [
            ("Upload-Draft-Interop-Version", _INTEROP),
            ("Upload-Complete", "?1"),
            ("Repr-Digest", repr_digest),
        ]
        if offset:
            method = "PATCH"
            headers = [
                *common,
                ("Upload-Offset", str(offset)),
                ("Content-Type", "application/partial-upload"),
            ]
        else:
            method, headers = "PUT", common
        answer = self._exchange(method, headers, offset)
        if answer.status in (200, 201) and answer.headers.get("upload-complete") != "?0":
            location = answer.headers.get("location", "")
            # Only a path on this server is shown: an absolute or odd Location is not.
            if (
                location.startswith("/")
                and not location.startswith("//")
                and location.isprintable()
                and len(location) <= 4096
            ):
                self.url = self.target.base + location
            return self.sha256
        if answer.status == 409 and "upload-offset" in answer.headers:
            raise ConnectError(_("the server holds another part of this upload; trying again"))
        raise FileRefused(
            _("the server refused {basename}: {status} {reason}").format(
                basename=os.path.basename(self.file),
                status=answer.status,
                reason=answer.text.strip() or _("without saying why"),
            )
        )

    def _offset(self) -> int:
        """Bytes of this file the server already holds from an interrupted upload (0: none)."""
        answer = self._exchange("HEAD", [("Upload-Draft-Interop-Version", _INTEROP)], None)
        if answer.status != 200:
            return 0
        text = answer.headers.get("upload-offset", "")
        held = int(text) if text.isdigit() else 0
        return held if held <= self.size else 0

    def _exchange(self, method: str, headers: list[tuple[str, str]], offset: int | None) -> _Answer:
        """One request (with the file from ``offset`` as body unless None); asks for the password
        on a 401 when stdin is a terminal and tries once more."""
        answer = self._request(method, headers, offset)
        if answer.status == 401:
            asked = self.ask_password() if self.ask_password is not None else None
            if asked is None:
                raise TransferError(
                    _("{password_needed}: set SWB_PASSWORD or use http://:PASSWORD@host/").format(
                        password_needed=_(PASSWORD_NEEDED)
                    )
                    if self.password is None
                    else _("the server refused the password")
                )
            self.password = asked
            answer = self._request(method, headers, offset)
            if answer.status == 401:
                raise TransferError(_("the server refused the password"))
        return answer

    def _request(self, method: str, extra: list[tuple[str, str]], offset: int | None) -> _Answer:
        sock = self._connect()
        try:
            http = h11.Connection(h11.CLIENT)
            headers = [("Host", self.target.authority), ("User-Agent", USER_AGENT), *extra]
            if self.password is not None:
                token = base64.b64encode(f":{self.password}".encode()).decode("ascii")
                headers.append(("Authorization", "Basic " + token))
            length = self.size - offset if offset is not None else None
            if length is not None:
                headers += [("Content-Length", str(length)), ("Expect", "100-continue")]
            else:
                headers.append(("Content-Length", "0") if method != "HEAD" else ("Accept", "*/*"))
            sock.sendall(http.send(h11.Request(method=method, target=self.path, headers=headers)))
            if length is not None and offset is not None:
                early = _wait_continue(sock, http, self.timeout)
                if early is not None:
                    return _read_answer(sock, http, early)
                try:
                    self._send_body(sock, http, offset, length)
                except OSError:
                    # The server may have answered and closed (a refusal): read what it said.
                    sock.settimeout(self.timeout)
                    return _read_answer(sock, http, None)
            return _read_answer(sock, http, None)
        finally:
            sock.close()

    def _connect(self) -> socket.socket:
        host, port = self.target.host, self.target.port
        endpoints = resolve(host, port, timeout=min(self.timeout, DEFAULT_RESOLVE_TIMEOUT))
        sock = connect(self.stopper, endpoints, self.timeout, host, port)
        if sock is None:
            raise UploadStopped()
        sock.settimeout(self.timeout)  # the exchange below is written with blocking calls
        if self.context is None:
            return sock
        try:
            return self.context.wrap_socket(sock, server_hostname=self.target.host)
        except (OSError, ValueError) as exc:
            sock.close()
            raise ConnectError(
                _("TLS with {authority} failed: {exc}").format(
                    authority=self.target.authority, exc=exc
                )
            ) from exc

    def _send_body(
        self, sock: socket.socket, http: h11.Connection, offset: int, length: int
    ) -> None:
        started = time.monotonic()
        sent = 0
        last = 0.0
        with open(self.file, "rb") as f:
            f.seek(offset)
            while sent < length:
                if self.stopper.stopping:
                    raise UploadStopped()
                chunk = f.read(min(_CHUNK, length - sent))
                if not chunk:
                    raise TransferError(
                        _("{file} became shorter while it was sent").format(file=self.file)
                    )
                sock.sendall(http.send(h11.Data(data=chunk)) or b"")
                sent += len(chunk)
                now = time.monotonic()
                if self.on_progress is not None and (now - last >= 0.1 or sent == length):
                    last = now
                    speed = sent / max(now - started, 1e-6)
                    self.on_progress(
                        DownloadProgress(time.time(), offset + sent, self.size, speed, offset)
                    )
        sock.sendall(http.send(h11.EndOfMessage()) or b"")


def _wait_continue(
    sock: socket.socket, http: h11.Connection, timeout: float
) -> h11.Response | None:
    """Wait up to a second for 100 Continue; the final answer when the server refused early."""
    sock.settimeout(_CONTINUE_WAIT)
    try:
        while True:
            event = http.next_event()
            if event is h11.NEED_DATA:
                http.receive_data(sock.recv(_MAX_ANSWER))
                continue
            if isinstance(event, h11.InformationalResponse):
                return None
            if isinstance(event, h11.Response):
                return event
            raise ConnectError(_("the server closed the connection before the upload"))
    except TimeoutError:
        return None  # a server that ignores Expect: send the body anyway (RFC 9110 §10.1.1)
    except h11.RemoteProtocolError as exc:
        raise ConnectError(
            _("the server's answer is not valid HTTP: {exc}").format(exc=exc)
        ) from exc
    finally:
        sock.settimeout(timeout)


def _read_answer(
    sock: socket.socket, http: h11.Connection, response: h11.Response | None
) -> _Answer:
    body = bytearray()
    try:
        while True:
            event = http.next_event()
            if event is h11.NEED_DATA:
                data = sock.recv(_MAX_ANSWER)
                http.receive_data(data)
                continue
            if isinstance(event, h11.Response):
                response = event
            elif isinstance(event, h11.Data):
                body += event.data[: _MAX_ANSWER - len(body)]
            elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                break
    except h11.RemoteProtocolError as exc:
        if response is None:
            raise ConnectError(
                _("the server's answer is not valid HTTP: {exc}").format(exc=exc)
            ) from exc
    if response is None:
        raise ConnectError(_("the server closed the connection without an answer"))
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in response.headers}
    return _Answer(response.status_code, headers, body.decode("utf-8", "replace"))


def refused_summary(sent: int, refused: list[str]) -> str:
    """The sentence that ends a batch in which the server refused some files: "2 files sent,
    1 refused: <the first refusals' sentences>"."""
    shown = "; ".join(refused[:3]) + ("; …" if len(refused) > 3 else "")
    return _("{sent} sent, {refused} refused: {reasons}").format(
        sent=counted(sent, "file"), refused=len(refused), reasons=shown
    )


#: The start of the sentence :class:`FileUpload` fails with when the share wants a password it
#: was not given (the Download panel then asks for one).
PASSWORD_NEEDED = N_("the share needs a password")


class UploadSent(Record):
    """One file the server stored and verified: the local ``file``, its ``url`` on the server,
    ``size`` in bytes and ``sha256`` (hex), which the server checked (``Repr-Digest``)."""

    file: str
    url: str
    size: int
    sha256: str


class FilesUpload(StoppableLoop):
    """Files sent one after another to a share's upload folder, each a :class:`FileUpload`
    (resumed where an interrupted upload of its name stopped); what the Download panel runs on a
    worker thread. ``shutdown()`` stops it between two chunks of 256 KiB.

    Args:
        url: the share (any path in it is ignored: uploads go to its root, "/name"); a password
            in it (``http://:PASSWORD@host:port/``) is sent with every request.
        files: the local files.
        tls: how to check an https server (default: verified against the system's CAs).
        idle_timeout: seconds each wait for the server may take.
        retries: tries again this often after a broken connection, from the server's offset.
        on_progress: ``(file, progress)`` a few times a second (``received`` = bytes the server
            holds of it, ``total`` its size).
        on_sent: each file once the server stored it.
    Raises:
        AddressError: the URL is not http(s)://.
    """

    def __init__(
        self,
        url: str,
        files: list[str],
        *,
        tls: ClientTls | None = None,
        idle_timeout: float = 30.0,
        retries: int = 3,
        on_progress: Callable[[str, DownloadProgress], None] | None = None,
        on_sent: Callable[[UploadSent], None] | None = None,
    ) -> None:
        super().__init__()
        parts = urllib.parse.urlsplit(url.strip())
        root = urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/", "", ""))
        self.target = UploadTarget(root, len(files))
        self.files = list(files)
        self.password = self.target.password
        self._tls = tls
        self._idle_timeout = idle_timeout
        self._retries = retries
        self._on_progress = on_progress
        self._on_sent = on_sent

    def run(self) -> list[UploadSent]:
        """Send every file; returns them as stored.

        Raises:
            ConnectError: the server cannot be reached, or a connection broke ``retries`` times.
            UploadStopped: :meth:`shutdown` was called (what was sent of the file is kept).
            FileRefused: the server refused some files (:func:`refused_summary`); the others
                were sent and stored.
            TransferError: a file cannot be read, or the password is missing or wrong; the
                files before it are stored.
        """
        context = None
        if self.target.tls:
            from net.tls import ClientTls, client_context

            context = client_context(self._tls or ClientTls())
        sent: list[UploadSent] = []
        refused: list[FileRefused] = []
        for file in self.files:
            if self.stopping:
                raise UploadStopped()
            if not os.path.isfile(file):
                raise TransferError(_("{file} is not a file that can be read").format(file=file))
            upload = FileUpload(
                self.target,
                file,
                context,
                idle_timeout=self._idle_timeout,
                password=self.password,
                stopper=self,
                on_progress=functools.partial(self._progress, file),
            )
            try:
                digest = upload.run(retries=self._retries)
            except FileRefused as exc:
                refused.append(exc)
                continue
            except OSError as exc:
                raise TransferError(
                    _("{given} cannot be read: {reason}").format(
                        given=file, reason=exc.strerror or exc
                    )
                ) from exc
            done = UploadSent(file, upload.url, upload.size, digest)
            sent.append(done)
            if self._on_sent is not None:
                self._on_sent(done)
        if len(self.files) == 1 and refused:
            raise refused[0]
        if refused:
            raise FileRefused(refused_summary(len(sent), [str(exc) for exc in refused]))
        return sent

    def _progress(self, file: str, event: DownloadProgress) -> None:
        if self._on_progress is not None:
            self._on_progress(file, event)
