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
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import os
import stat
import sys
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from net._i18n import _
from net.download import safe_file_name
from net.errors import NetError
from net.share import numbered_name

__all__ = [
    "AuthThrottle",
    "FormReceiver",
    "Receiver",
    "UploadRefused",
    "basic_credentials",
    "check_basic",
    "part_path",
    "partial_size",
    "upload_name",
]

PART_SUFFIX = ".part"
_NUMBERED_TRIES = 1000  # "name (2).ext" ... before a form upload gives up finding a free name
_HASH_CHUNK = 1024 * 1024  # bytes per read when a resumed upload's first part is hashed
_THROTTLE_HOSTS = 4096  # client addresses whose failures are remembered (oldest forgotten first)


class UploadRefused(NetError):
    """An upload cannot be stored; ``status`` is the HTTP status that says why (409, 413, 400...);
    ``offset`` the bytes the server holds when a resumed upload named the wrong offset."""

    def __init__(self, status: int, message: str, offset: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.offset = offset


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
    Raises:
        UploadRefused: 409 when the name is taken; 507 when the folder cannot be written.
    """

    def __init__(
        self,
        folder: Path,
        name: str,
        *,
        unique: bool = False,
        expected: bytes | None = None,
        resumable: bool = False,
    ) -> None:
        self.folder = folder
        self.expected = expected
        self.resumable = resumable
        self.received = 0
        self._hash = hashlib.sha256()
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        flags |= getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
        for number in range(1, _NUMBERED_TRIES + 1 if unique else 2):
            candidate = name if number == 1 else numbered_name(name, number)
            part = part_path(folder, candidate)
            if (folder / candidate).exists():
                continue
            try:
                self._fd = os.open(part, flags, 0o644)
            except FileExistsError:
                continue  # another upload of that name is in progress
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
        self._hash = hashlib.sha256()
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
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        self._hash.update(data)
        self.received += len(data)

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
        if self.expected is not None and not hmac.compare_digest(
            self.expected, self._hash.digest()
        ):
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
