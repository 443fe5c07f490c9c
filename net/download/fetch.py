"""One download: HTTP (resumable, verified) or the classic raw dialect, into a ``.part`` in a folder.

Every answer is judged by what it says before a byte is kept (RFC 9110 §14.4, §13.1.5): a ``206``
must carry the range that was asked for, of the length already known, under the very validator the
``.part`` was stored with; anything else starts over from byte 0 once, or fails with a sentence. A
body without a length (raw, chunked, close-delimited) is bounded by ``max_size`` and the free space,
and inside TLS it must end with close_notify, or it is a truncation: the ``.part`` is kept and never
renamed.
"""

from __future__ import annotations

import errno
import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from net._i18n import _
from net.download.body import DISK_RESERVE, BodyCopy
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
    hash_existing,
)
from net.download.judge import judge_response
from net.download.part import Part, PartFile
from net.download.resume import ResumeState
from net.download.urls import parse_share_url, safe_file_name
from net.errors import AddressError, NetError, TransferError, describe_io_error
from net.events import DownloadFinished, DownloadProgress
from net.share import LocalFileError

if TYPE_CHECKING:
    from net.tls import ClientTls

__all__ = ["DISK_RESERVE", "Download", "resumable_part"]


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
        self._keeper: Part | None = None  # the .part, known once run() starts

    def run(self) -> DownloadFinished:
        """Download; returns when the file is complete (and verified when the server allows).

        Raises:
            LocalFileError: the folder is missing or not writable, or the ``.part`` was deleted.
            ConnectError: the server cannot be reached (TlsError for TLS problems).
            TransferError: the server refused, the transfer broke, did not verify or ran out of
                time or space (TransferCancelled after shutdown()).
        """
        self.start_clock()
        _check_folder(self.folder)
        final = final_path(self.folder, self.file_name)
        self.path = final
        keeper = self._keeper = Part(
            final.with_name(final.name + ".part"), self._identity(), raw=self.raw
        )
        try:
            if self.raw:
                return self._saved(self._run_raw(final, keeper))
            try:
                return self._saved(self._run_http(final, keeper, resume=self._resume))
            except Restart as why:
                self._notes.append(_("{why}, so it started over").format(why=why))
                self.received_bytes = 0
                self.first_bytes = b""
            try:
                return self._saved(self._run_http(final, keeper, resume=False))
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

    def _saved(self, result: DownloadFinished) -> DownloadFinished:
        """``result``, with :attr:`path` set to where the file was saved: "name (2)" when
        another file took the name during the download."""
        self.path = Path(result.path)
        return result

    def _kept(self) -> str:
        """What the user can do with the ``.part`` left behind, as the end of a sentence."""
        return "" if self._keeper is None else self._keeper.kept()

    def _body_copy(self, keeper: Part) -> BodyCopy:
        return BodyCopy(self, keeper, max_size=self.max_size, truncated=self._truncated)

    # ---- HTTP ---------------------------------------------------------------------------------

    def _run_http(self, final: Path, keeper: Part, *, resume: bool) -> DownloadFinished:
        url, part = self.share_url, keeper.path
        body = self._body_copy(keeper)
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
        keeper.resumable = bool(offset)
        sock = self._connect()
        try:
            http, response, recv_into = self._request_head(sock, headers)
            plan = judge_response(
                response, url, offset=offset, if_range=if_range, stored_total=stored_total
            )
            if plan.complete:
                return self._already_complete(final, keeper, offset, plan.digest, state)
            if plan.whole_again:
                self._notes.append(_("the server sent the whole file again, so it started over"))
            offset, total, digest = plan.offset, plan.total, plan.digest
            body.check_room(offset, total)
            with PartFile(part, offset) as opened:
                fd = opened.fd
                state.remember(plan.validator, total)
                keeper.resumable = plan.validator is not None
                hasher = hashlib.sha256()
                if offset:
                    self._notes.append(_("resumed after {offset} bytes").format(offset=offset))
                    self._hash_part(fd, offset, total, hasher)
                chunked = (header(response, b"transfer-encoding") or "").lower().strip()
                progress = Meter(self._on_progress, offset, total)
                pipe = HashPipe(hasher)
                try:
                    if chunked == "chunked":
                        received = body.chunked(http, recv_into, fd, pipe, progress, offset)
                    else:
                        leftover = bytes(http.trailing_data[0])
                        received = body.plain(leftover, plan.length, recv_into, fd, pipe, progress)
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
                return keeper.finish(opened, final, size, hasher, digest, state, self._notes)
        finally:
            sock.close()

    def _hash_part(self, fd: int, length: int, total: int | None, hasher: hashlib._Hash) -> None:
        """Hash the ``length`` bytes already in the ``.part``, reporting them as progress."""
        meter = Meter(self._on_progress, 0, total)

        def checked(done: int) -> None:
            self.checked = done
            meter.update(done, force=done <= BUFFER)

        hash_existing(fd, length, hasher, self._check, checked)
        os.lseek(fd, length, os.SEEK_SET)

    def _truncated(self, size: int) -> TransferError:
        return TransferError(
            _(
                "the TLS connection with {authority} ended without close_notify after "
                "{size:,} bytes, so the file may be cut short; it was not saved as "
                "{file_name}"
            ).format(authority=self.share_url.authority, size=size, file_name=self.file_name)
            + self._kept()
        )

    def _already_complete(
        self, final: Path, keeper: Part, offset: int, digest: bytes | None, state: ResumeState
    ) -> DownloadFinished:
        """A 416 to our resume request: the .part already holds the whole file."""
        with PartFile(keeper.path, offset) as opened:
            hasher = hashlib.sha256()
            self._hash_part(opened.fd, offset, offset, hasher)
            self._notes.append(_("the earlier part already held the whole file"))
            return keeper.finish(opened, final, offset, hasher, digest, state, self._notes)

    # ---- raw ----------------------------------------------------------------------------------

    def _run_raw(self, final: Path, keeper: Part) -> DownloadFinished:
        url, part = self.share_url, keeper.path
        sock = self._connect()
        try:
            # The classic protocol: the bare name in one write, no terminator; then read to EOF.
            self._send_all(sock, url.raw_name.encode("utf-8"))
            recv_into = self._reader(sock)
            if part.exists():
                self._notes.append(_("the classic raw protocol cannot resume, so it started over"))
            state = ResumeState(part, self._identity())
            with PartFile(part, 0) as opened:
                fd = opened.fd
                state.remember(None, None)
                hasher = hashlib.sha256()
                progress = Meter(self._on_progress, 0, None)
                pipe = HashPipe(hasher)
                try:
                    size = self._body_copy(keeper).plain(b"", None, recv_into, fd, pipe, progress)
                finally:
                    pipe.finish()
                if self.ragged_eof:
                    raise self._truncated(size)
                if size == 0:
                    os.close(opened.take())
                    keeper.discard()
                    raise TransferError(
                        _(
                            "{authority} closed the connection without sending anything (does it "
                            "share a file named {raw_name!r}?)"
                        ).format(authority=url.authority, raw_name=url.raw_name)
                    )
                self._notes.append(_("the classic raw protocol carries no length or checksum"))
                return keeper.finish(opened, final, size, hasher, None, state, self._notes)
        finally:
            sock.close()

    # ---- files --------------------------------------------------------------------------------

    # _part and _resumable: the .part's path and its state as they were before Part held them
    # (the full-disk test in tests/net/test_download_hostile.py sets them).
    @property
    def _part(self) -> Path | None:
        """The ``.part``'s path (None before :meth:`run`); setting it starts its :class:`Part`."""
        return None if self._keeper is None else self._keeper.path

    @_part.setter
    def _part(self, path: Path) -> None:
        self._keeper = Part(path, self._identity(), raw=self.raw)

    @property
    def _resumable(self) -> bool:
        """Whether the ``.part`` on disk has a stored validator: run() again resumes it."""
        return self._keeper is not None and self._keeper.resumable

    @_resumable.setter
    def _resumable(self, resumable: bool) -> None:
        assert self._keeper is not None, "the .part is named first"
        self._keeper.resumable = resumable

    def _identity(self) -> str:
        return self.share_url.origin + self.share_url.target

    def _os_error(self, exc: OSError) -> NetError:
        if exc.errno in WRITE_PROBLEMS:
            problem = _("cannot write into {folder}: {write_problems}").format(
                folder=self.folder, write_problems=_(WRITE_PROBLEMS[exc.errno])
            )
            if exc.errno in (errno.ENOSPC, errno.EDQUOT) and self._keeper is not None:
                problem += self._keeper.out_of_space()
            return TransferError(problem)
        return TransferError(describe_io_error(exc, self.share_url.authority))


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


def _check_folder(folder: Path) -> None:
    """Raises LocalFileError when ``folder`` is not a folder to save into."""
    if not folder.is_dir():
        if folder.exists():  # -o names the file to write, as with curl -o: say so
            raise LocalFileError(
                _("{folder} is a file, not a folder: give the folder to save into").format(
                    folder=folder
                )
            )
        raise LocalFileError(_("the folder {folder} does not exist").format(folder=folder))
