"""One download: HTTP (resumable, verified) or the classic raw dialect, into a ``.part`` in a folder.

Every answer is judged by what it says before a byte is kept (RFC 9110 §14.4, §13.1.5): a ``206``
must carry the range that was asked for, of the length already known, under the very validator the
``.part`` was stored with; anything else starts over from byte 0 once, or fails with a sentence. A
body without a length (raw, chunked, close-delimited) is bounded by ``max_size`` and the free space,
and inside TLS it must end with close_notify, or it is a truncation: the ``.part`` is kept and never
renamed.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import h11

from net._i18n import _
from net.download.exchange import (
    Cancelled,
    Client,
    OutOfTime,
    Restart,
    TransferCancelled,
    header,
)
from net.download.files import (
    BUFFER,
    WRITE_PROBLEMS,
    HashPipe,
    Meter,
    final_path,
    finish,
    hash_existing,
    open_part,
    write_all,
)
from net.download.judge import judge_response
from net.download.resume import ResumeState
from net.download.urls import parse_share_url, safe_file_name
from net.errors import AddressError, NetError, TransferError, describe_io_error
from net.events import DownloadFinished, DownloadProgress
from net.httpfile import human_size
from net.share import LocalFileError

if TYPE_CHECKING:
    from net.tls import ClientTls

__all__ = ["Download", "resumable_part"]

#: Left free on the disk by a body without a length, so a server cannot fill it to the last byte.
DISK_RESERVE = 64 * 1024 * 1024


class Download(Client):
    """Download one file into ``folder``.

    Args:
        url: ``http(s)://host:port/name``, ``raw://host:port/name`` or ``raw+tls://host:port/name``.
        folder: an existing folder; the file is saved under the URL's last segment, made safe
            (:func:`safe_file_name`), as "name (2).ext" when "name.ext" already exists.
        raw: speak the classic raw dialect even for an http(s):// URL.
        tls: how to check a TLS server (default: verified against the system's CAs).
        timeout: seconds for connecting, and for any wait for the server's next bytes.
        deadline: seconds for the whole download, counted from :meth:`run` (None: no limit).
        max_size: bytes at most for a file (None: only the free space limits a body without a
            length; a body with one must fit the free space from the start).
        on_progress: at most ~10 DownloadProgress events a second, on the thread calling run();
            while an existing ``.part`` is checked, ``received`` counts the bytes checked.
        resume: continue a ``.part`` left by an earlier attempt (HTTP only).
    Raises:
        AddressError: the URL is malformed or names no file.
    """

    def __init__(
        self,
        url: str,
        folder: str | os.PathLike[str],
        *,
        raw: bool = False,
        tls: ClientTls | None = None,
        timeout: float = 30.0,
        deadline: float | None = None,
        max_size: int | None = None,
        on_progress: Callable[[DownloadProgress], None] | None = None,
        resume: bool = True,
    ) -> None:
        parsed = parse_share_url(url)
        super().__init__(parsed, tls, timeout, deadline)
        self.raw = raw or parsed.scheme in ("raw", "raw+tls")
        name = parsed.raw_name if self.raw else parsed.name
        if not name:
            raise AddressError(
                _(
                    "{url!r} names no file: add its name, like {scheme}://{authority}/report.pdf"
                ).format(url=url.strip(), scheme=parsed.scheme, authority=parsed.authority)
            )
        self.folder = Path(os.fspath(folder))
        self.file_name = safe_file_name(parsed.name or name.rsplit("/", 1)[-1])
        self.path: Path | None = None  # the final path, known once run() starts
        #: Bytes of an existing ``.part`` hashed so far (resume check, or a 416 "already there").
        self.checked = 0
        self.max_size = max_size
        self._on_progress = on_progress
        self._resume = resume
        self._notes: list[str] = []
        self._part: Path | None = None
        self._resumable = False  # the .part on disk has a stored validator: run() again resumes

    def run(self) -> DownloadFinished:
        """Download; returns when the file is complete (and verified when the server allows).

        Raises:
            LocalFileError: the folder is missing or not writable, or the ``.part`` was deleted.
            ConnectError: the server cannot be reached (TlsError for TLS problems).
            TransferError: the server refused, the transfer broke, did not verify or ran out of
                time or space (TransferCancelled after shutdown()).
        """
        self.start_clock()
        if not self.folder.is_dir():
            if self.folder.exists():  # -o names the file to write, as with curl -o: say so
                raise LocalFileError(
                    _("{folder} is a file, not a folder: give the folder to save into").format(
                        folder=self.folder
                    )
                )
            raise LocalFileError(_("the folder {folder} does not exist").format(folder=self.folder))
        final = final_path(self.folder, self.file_name)
        self.path = final
        part = final.with_name(final.name + ".part")
        self._part = part
        try:
            if self.raw:
                return self._run_raw(final, part)
            try:
                return self._run_http(final, part, resume=self._resume)
            except Restart as why:
                self._notes.append(_("{why}, so it started over").format(why=why))
                self.received_bytes = 0
                self.first_bytes = b""
            try:
                return self._run_http(final, part, resume=False)
            except Restart as why:
                raise TransferError(f"{self.share_url.authority}: {why}") from None
        except Cancelled:
            raise TransferCancelled(_("the download was cancelled") + self._kept()) from None
        except OutOfTime:
            raise TransferError(
                _("the download did not finish within {deadline:g} s").format(
                    deadline=self._deadline
                )
                + self._kept()
            ) from None
        except TimeoutError as exc:
            if not self.received_bytes:
                raise TransferError(
                    _(
                        "{authority} accepted the connection but sent nothing for {timeout:g} s"
                    ).format(authority=self.share_url.authority, timeout=self._timeout)
                ) from exc
            raise TransferError(
                _("{authority} stopped sending (no data for {timeout:g} s)").format(
                    authority=self.share_url.authority, timeout=self._timeout
                )
                + self._kept()
            ) from exc
        except NetError:
            raise
        except OSError as exc:
            raise self._os_error(exc) from exc
        finally:
            self._close_reader()

    def close(self) -> None:
        self._close_reader()
        super().close()

    def _kept(self) -> str:
        """What the user can do with the ``.part`` left behind, as the end of a sentence."""
        part = self._part
        if part is None or not part.exists():
            return ""
        if self._resumable and not self.raw:
            return _("; {name} is kept to resume later").format(name=part.name)
        return _("; the bytes received are kept in {name}, which cannot be resumed").format(
            name=part.name
        )

    # ---- HTTP ---------------------------------------------------------------------------------

    def _run_http(self, final: Path, part: Path, *, resume: bool) -> DownloadFinished:
        url = self.share_url
        state = ResumeState(part, self._identity())
        offset, if_range, stored_total = state.resume_point() if resume else (0, None, None)
        headers: list[tuple[str, str]] = []
        if offset and if_range:
            headers = [("Range", f"bytes={offset}-"), ("If-Range", if_range)]
        else:
            offset = 0
            if resume and _size(part):
                self._notes.append(
                    _("{name} had no resume state for this URL, so it started over").format(
                        name=part.name
                    )
                )
        self._resumable = bool(offset)
        sock = self._connect()
        try:
            http, response, recv_into = self._request_head(sock, headers)
            plan = judge_response(
                response, url, offset=offset, if_range=if_range, stored_total=stored_total
            )
            if plan.complete:
                return self._already_complete(final, part, offset, plan.digest, state)
            if plan.whole_again:
                self._notes.append(_("the server sent the whole file again, so it started over"))
            offset, total, digest = plan.offset, plan.total, plan.digest
            self._check_room(offset, total)
            with _PartFile(part, offset) as opened:
                fd = opened.fd
                state.remember(plan.validator, total)
                self._resumable = plan.validator is not None
                hasher = hashlib.sha256()
                if offset:
                    self._notes.append(_("resumed after {offset} bytes").format(offset=offset))
                    self._hash_part(fd, offset, total, hasher)
                chunked = (header(response, b"transfer-encoding") or "").lower().strip()
                progress = Meter(self._on_progress, offset, total)
                pipe = HashPipe(hasher)
                try:
                    if chunked == "chunked":
                        received = self._body_chunked(http, recv_into, fd, pipe, progress, offset)
                    else:
                        leftover = bytes(http.trailing_data[0])
                        received = self._body(leftover, plan.length, recv_into, fd, pipe, progress)
                finally:
                    pipe.finish()
                size = offset + received
                if total is not None and size != total:
                    raise TransferError(
                        _("the connection ended after {size:,} of {total:,} bytes").format(
                            size=size, total=total
                        )
                        + self._kept()
                    )
                if total is None and self.ragged_eof:
                    raise self._truncated(size)
                return self._finish(opened, final, part, size, hasher, digest, state)
        finally:
            sock.close()

    def _check_room(self, offset: int, total: int | None) -> None:
        """Refuse a file over ``max_size``, or one that cannot fit the free space, before writing."""
        if total is None:
            return
        if self.max_size is not None and total > self.max_size:
            raise TransferError(
                _("the file is {total}, over the {max_size} limit").format(
                    total=human_size(total), max_size=human_size(self.max_size)
                )
            )
        free = _free_space(self.folder)
        if free is not None and total - offset > free:
            raise TransferError(
                _("the file needs {total} more but {folder} has only {free} free").format(
                    total=human_size(total - offset), folder=self.folder, free=human_size(free)
                )
            )

    def _hash_part(self, fd: int, length: int, total: int | None, hasher: hashlib._Hash) -> None:
        """Hash the ``length`` bytes already in the ``.part``, reporting them as progress."""
        meter = Meter(self._on_progress, 0, total)

        def checked(done: int) -> None:
            self.checked = done
            meter.update(done, force=done <= BUFFER)

        hash_existing(fd, length, hasher, self._check, checked)
        os.lseek(fd, length, os.SEEK_SET)

    def _body(
        self,
        leftover: bytes,
        length: int | None,
        recv_into: Callable[[memoryview], int],
        fd: int,
        pipe: HashPipe,
        progress: Meter,
    ) -> int:
        """Copy a Content-Length (or read-to-end, when ``length`` is None) body to ``fd``."""
        limit = self._length_limit() if length is None else length
        received = 0
        if leftover:
            # Bytes after a Content-Length body are not the file's; a body without a length may
            # show that it is over the limit already.
            leftover = leftover[: limit if length is not None else limit + 1]
            write_all(fd, memoryview(leftover))
            pipe.submit(leftover, len(leftover))
            received = len(leftover)
            progress.update(received)
        while received < limit or length is None:
            if received > limit:
                raise self._too_large(received)
            want = BUFFER if length is None else min(BUFFER, length - received)
            buffer = pipe.take()
            view = memoryview(buffer)
            try:
                count = recv_into(view[:want])
            except BaseException:
                pipe.give_back(buffer)
                raise
            if count == 0:
                pipe.give_back(buffer)
                break
            write_all(fd, view[:count])
            pipe.submit(buffer, count, pooled=True)
            received += count
            self._check_part(fd)
            progress.update(received)
        progress.update(received, force=True)
        return received

    def _body_chunked(
        self,
        http: h11.Connection,
        recv_into: Callable[[memoryview], int],
        fd: int,
        pipe: HashPipe,
        progress: Meter,
        offset: int,
    ) -> int:
        buffer = bytearray(BUFFER)
        view = memoryview(buffer)
        limit = self._length_limit()
        received = 0
        while True:
            try:
                event = http.next_event()
            except h11.RemoteProtocolError as exc:
                if self.ragged_eof:
                    raise self._truncated(offset + received) from exc
                raise TransferError(
                    _("the server broke the chunked encoding ({exc})").format(exc=exc)
                ) from exc
            if event is h11.NEED_DATA:
                count = recv_into(view)
                http.receive_data(bytes(view[:count]))
                continue
            if isinstance(event, h11.Data):
                write_all(fd, memoryview(event.data))
                pipe.submit(event.data, len(event.data))
                received += len(event.data)
                if received > limit:
                    raise self._too_large(received)
                self._check_part(fd)
                progress.update(received)
                continue
            if isinstance(event, h11.EndOfMessage):
                progress.update(received, force=True)
                return received
            if self.ragged_eof:
                raise self._truncated(offset + received)
            raise TransferError(
                _("the connection ended before the whole file arrived") + self._kept()
            )

    def _length_limit(self) -> int:
        """Bytes a body without a length may have: ``max_size``, and the free space less a reserve."""
        limit = self.max_size if self.max_size is not None else 2**63
        free = _free_space(self.folder)
        if free is not None:
            limit = min(limit, max(0, free - DISK_RESERVE))
        return limit

    def _too_large(self, received: int) -> TransferError:
        if self.max_size is not None and received > self.max_size:
            why = _("over the {max_size} limit").format(max_size=human_size(self.max_size))
        else:
            why = _("more than {folder} has free").format(folder=self.folder)
        self._discard()
        return TransferError(
            _("the server kept sending: {received} so far, {why}; nothing was kept").format(
                received=human_size(received), why=why
            )
        )

    def _truncated(self, size: int) -> TransferError:
        return TransferError(
            _(
                "the TLS connection with {authority} ended without close_notify after "
                "{size:,} bytes, so the file may be cut short; it was not saved as "
                "{file_name}"
            ).format(authority=self.share_url.authority, size=size, file_name=self.file_name)
            + self._kept()
        )

    def _check_part(self, fd: int) -> None:
        """The ``.part`` must still be in the folder: deleted or moved, nothing can be saved."""
        if os.fstat(fd).st_nlink == 0:
            raise LocalFileError(
                _(
                    "{part} was deleted while downloading, so nothing was saved; download "
                    "the file again"
                ).format(part=self._part)
            )

    def _already_complete(
        self, final: Path, part: Path, offset: int, digest: bytes | None, state: ResumeState
    ) -> DownloadFinished:
        """A 416 to our resume request: the .part already holds the whole file."""
        with _PartFile(part, offset) as opened:
            hasher = hashlib.sha256()
            self._hash_part(opened.fd, offset, offset, hasher)
            self._notes.append(_("the earlier part already held the whole file"))
            return self._finish(opened, final, part, offset, hasher, digest, state)

    # ---- raw ----------------------------------------------------------------------------------

    def _run_raw(self, final: Path, part: Path) -> DownloadFinished:
        url = self.share_url
        sock = self._connect()
        try:
            # The classic protocol: the bare name in one write, no terminator; then read to EOF.
            self._send_all(sock, url.raw_name.encode("utf-8"))
            recv_into = self._reader(sock)
            if part.exists():
                self._notes.append(_("the classic raw protocol cannot resume, so it started over"))
            state = ResumeState(part, self._identity())
            with _PartFile(part, 0) as opened:
                fd = opened.fd
                state.remember(None, None)
                hasher = hashlib.sha256()
                progress = Meter(self._on_progress, 0, None)
                pipe = HashPipe(hasher)
                try:
                    size = self._body(b"", None, recv_into, fd, pipe, progress)
                finally:
                    pipe.finish()
                if self.ragged_eof:
                    raise self._truncated(size)
                if size == 0:
                    os.close(opened.take())
                    self._discard()
                    raise TransferError(
                        _(
                            "{authority} closed the connection without sending anything (does it "
                            "share a file named {raw_name!r}?)"
                        ).format(authority=url.authority, raw_name=url.raw_name)
                    )
                self._notes.append(_("the classic raw protocol carries no length or checksum"))
                return self._finish(opened, final, part, size, hasher, None, state)
        finally:
            sock.close()

    # ---- files --------------------------------------------------------------------------------

    def _finish(
        self,
        opened: _PartFile,
        final: Path,
        part: Path,
        size: int,
        hasher: hashlib._Hash,
        digest: bytes | None,
        state: ResumeState,
    ) -> DownloadFinished:
        """Verify and keep the ``.part`` held by ``opened``; its descriptor is closed here, before
        the rename (Windows cannot rename an open file)."""
        self._check_part(opened.fd)
        fd = opened.take()
        try:
            result = finish(fd, final, part, size, hasher, digest, state, self._notes)
        except FileNotFoundError as exc:
            raise LocalFileError(
                _(
                    "{part} was deleted or moved while downloading, so nothing was saved; "
                    "download the file again"
                ).format(part=part)
            ) from exc
        self.path = Path(result.path)
        return result

    def _discard(self) -> None:
        """Delete a ``.part`` that can never become the file (and its resume state)."""
        if self._part is not None:
            with contextlib.suppress(OSError):
                self._part.unlink()
            ResumeState(self._part, self._identity()).forget()
        self._resumable = False

    def _identity(self) -> str:
        return self.share_url.origin + self.share_url.target

    def _os_error(self, exc: OSError) -> NetError:
        if exc.errno in WRITE_PROBLEMS:
            problem = _("cannot write into {folder}: {write_problems}").format(
                folder=self.folder, write_problems=_(WRITE_PROBLEMS[exc.errno])
            )
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                if self._resumable and not self.raw:
                    problem += _(
                        "; {part_name} is kept: free some space, then run the download again "
                        "to resume"
                    ).format(part_name=self._part_name())
                else:
                    self._discard()  # it cannot be resumed: give the space back
                    problem += _("; nothing was kept: free some space, then download it again")
            return TransferError(problem)
        return TransferError(describe_io_error(exc, self.share_url.authority))

    def _part_name(self) -> str:
        return self._part.name if self._part is not None else ".part"


def resumable_part(url: str, folder: str | os.PathLike[str], *, raw: bool = False) -> Path | None:
    """The ``.part`` that ``Download(url, folder)`` would resume, or None.

    None when there is no ``.part`` for that file, it has no resume state for this very URL, or the
    download is classic raw (which cannot resume). Touches nothing on disk.

    Raises:
        AddressError: a malformed URL.
    """
    parsed = parse_share_url(url)
    if raw or parsed.scheme in ("raw", "raw+tls") or not parsed.name:
        return None
    try:
        final = final_path(Path(os.fspath(folder)), safe_file_name(parsed.name))
    except OSError:
        return None
    part = final.with_name(final.name + ".part")
    return part if ResumeState(part, parsed.origin + parsed.target).has_state() else None


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _free_space(folder: Path) -> int | None:
    """Bytes free for us in ``folder``, or None when the system cannot say."""
    try:
        return shutil.disk_usage(folder).free
    except (OSError, AttributeError):  # AttributeError: a system with neither statvfs nor its API
        return None


class _PartFile:
    """The open ``.part`` of one download; its descriptor is closed exactly once, by whoever
    :meth:`take` s it or on leaving the ``with`` block (a second close could shut a descriptor
    another thread of this process has just opened).

    Raises:
        LocalFileError: the ``.part`` cannot be written (from :func:`open_part`).
    """

    def __init__(self, part: Path, offset: int) -> None:
        self.fd = open_part(part, offset)

    def take(self) -> int:
        """The descriptor, now the caller's to close."""
        fd, self.fd = self.fd, -1
        return fd

    def __enter__(self) -> _PartFile:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self.take())
