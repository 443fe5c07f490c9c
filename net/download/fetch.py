"""One download: HTTP (resumable, verified) or the classic raw dialect, into a ``.part`` in a folder."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import h11

from net.download.exchange import (
    Cancelled,
    Client,
    Restart,
    TransferCancelled,
    header,
    shown,
    status_error,
    validator,
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
from net.download.resume import ResumeState
from net.download.urls import parse_share_url, safe_file_name
from net.errors import AddressError, NetError, TransferError, describe_io_error
from net.events import DownloadFinished, DownloadProgress
from net.httpfile import parse_content_range, parse_repr_digest
from net.share import LocalFileError

if TYPE_CHECKING:
    from net.tls import ClientTls

__all__ = ["Download"]


class Download(Client):
    """Download one file into ``folder``.

    Args:
        url: ``http(s)://host:port/name`` or ``raw://host:port/name``.
        folder: an existing folder; the file is saved under the URL's last segment, made safe
            (:func:`safe_file_name`), as "name (2).ext" when "name.ext" already exists.
        raw: speak the classic raw dialect even for an http:// URL.
        tls: how to check an https server (default: verified against the system's CAs).
        timeout: seconds for connecting, and for any wait for the server's next bytes.
        on_progress: at most ~10 DownloadProgress events a second, on the thread calling run().
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
        on_progress: Callable[[DownloadProgress], None] | None = None,
        resume: bool = True,
    ) -> None:
        parsed = parse_share_url(url)
        super().__init__(parsed, tls, timeout)
        self.raw = raw or parsed.scheme == "raw"
        name = parsed.raw_name if self.raw else parsed.name
        if not name:
            raise AddressError(
                f"{url.strip()!r} names no file: add its name, like {parsed.origin}/report.pdf"
            )
        self.folder = Path(os.fspath(folder))
        self.file_name = safe_file_name(parsed.name or name.rsplit("/", 1)[-1])
        self.path: Path | None = None  # the final path, known once run() starts
        self._on_progress = on_progress
        self._resume = resume
        self._notes: list[str] = []

    def run(self) -> DownloadFinished:
        """Download; returns when the file is complete (and verified when the server allows).

        Raises:
            LocalFileError: the folder is missing or not writable (bad input).
            ConnectError: the server cannot be reached (TlsError for TLS problems).
            TransferError: the server refused, the transfer broke or did not verify
                (TransferCancelled after shutdown()).
        """
        if not self.folder.is_dir():
            raise LocalFileError(f"the folder {self.folder} does not exist")
        final = final_path(self.folder, self.file_name)
        self.path = final
        part = final.with_name(final.name + ".part")
        try:
            if self.raw:
                return self._run_raw(final, part)
            try:
                return self._run_http(final, part, resume=self._resume)
            except Restart:
                return self._run_http(final, part, resume=False)
        except Cancelled:
            raise TransferCancelled(
                f"the download was cancelled; {part.name} is kept to resume later"
            ) from None
        except TimeoutError as exc:
            raise TransferError(
                f"{self.share_url.authority} stopped sending (no data for {self._timeout:g} s); "
                "run the download again to resume"
            ) from exc
        except NetError:
            raise
        except OSError as exc:
            raise TransferError(self._describe(exc)) from exc
        finally:
            self._close_reader()

    def close(self) -> None:
        self._close_reader()
        super().close()

    # ---- HTTP ---------------------------------------------------------------------------------

    def _run_http(self, final: Path, part: Path, *, resume: bool) -> DownloadFinished:
        url = self.share_url
        state = ResumeState(part, self._identity())
        offset, if_range = state.resume_point() if resume else (0, None)
        headers: list[tuple[str, str]] = []
        if offset and if_range:
            headers = [("Range", f"bytes={offset}-"), ("If-Range", if_range)]
        else:
            offset = 0
        sock = self._connect()
        try:
            http, response, recv_into = self._request_head(sock, headers)
            status = response.status_code
            digest_text = header(response, b"repr-digest") or header(response, b"digest")
            digest = parse_repr_digest(digest_text) if digest_text else None
            if status == 416 and offset:
                return self._already_complete(final, part, offset, response, digest, state)
            if status not in (200, 206):
                raise status_error(response, url)
            encoding = (header(response, b"content-encoding") or "identity").strip().lower()
            if encoding not in ("identity", ""):
                raise TransferError(
                    f"the server sent the file compressed ({shown(encoding)}), which is not "
                    "unpacked here"
                )
            length_text = header(response, b"content-length")
            length = int(length_text) if length_text and length_text.isdigit() else None
            if status == 206:
                span = parse_content_range(header(response, b"content-range") or "")
                if not offset or span is None or span.start != offset or span.end is None:
                    raise Restart  # not the part we asked for: start over cleanly
                total = span.total
                length = span.end - span.start + 1
            else:
                if offset:
                    self._notes.append("the server sent the whole file again, so it started over")
                offset = 0
                total = length
            fd = open_part(part, offset)
            try:
                state.remember(fd, validator(response), total)
                hasher = hashlib.sha256()
                if offset:
                    self._notes.append(f"resumed after {offset} bytes")
                    hash_existing(fd, offset, hasher, self)
                chunked = (
                    header(response, b"transfer-encoding") or ""
                ).lower().strip() == "chunked"
                progress = Meter(self._on_progress, offset, total)
                pipe = HashPipe(hasher)
                try:
                    if chunked:
                        received = self._body_chunked(http, recv_into, fd, pipe, progress)
                    else:
                        leftover = bytes(http.trailing_data[0])
                        received = self._body(leftover, length, recv_into, fd, pipe, progress)
                finally:
                    pipe.finish()
                size = offset + received
                if total is not None and size != total:
                    raise TransferError(
                        f"the connection ended after {size} of {total} bytes; "
                        "run the download again to resume"
                    )
                return self._finish(fd, final, part, size, hasher, digest, state)
            finally:
                with contextlib.suppress(OSError):
                    os.close(fd)
        finally:
            sock.close()

    def _body(
        self,
        leftover: bytes,
        length: int | None,
        recv_into: Callable[[memoryview], int],
        fd: int,
        pipe: HashPipe,
        progress: Meter,
    ) -> int:
        """Copy a Content-Length (or close-delimited, when ``length`` is None) body to ``fd``."""
        received = 0
        if leftover:
            if length is not None:
                leftover = leftover[:length]
            write_all(fd, memoryview(leftover))
            pipe.submit(leftover, len(leftover))
            received = len(leftover)
            progress.update(received)
        while length is None or received < length:
            want = BUFFER if length is None else min(BUFFER, length - received)
            buffer = pipe.take()
            view = memoryview(buffer)
            try:
                count = recv_into(view[:want])
            except ssl.SSLEOFError:
                count = 0  # a TLS peer that closed without close_notify
            except BaseException:
                pipe.give_back(buffer)
                raise
            if count == 0:
                pipe.give_back(buffer)
                break
            write_all(fd, view[:count])
            pipe.submit(buffer, count, pooled=True)
            received += count
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
    ) -> int:
        buffer = bytearray(BUFFER)
        view = memoryview(buffer)
        received = 0
        while True:
            try:
                event = http.next_event()
            except h11.RemoteProtocolError as exc:
                raise TransferError(f"the server broke the chunked encoding ({exc})") from exc
            if event is h11.NEED_DATA:
                count = recv_into(view)
                http.receive_data(bytes(view[:count]))
                continue
            if isinstance(event, h11.Data):
                write_all(fd, memoryview(event.data))
                pipe.submit(event.data, len(event.data))
                received += len(event.data)
                progress.update(received)
                continue
            if isinstance(event, h11.EndOfMessage):
                progress.update(received, force=True)
                return received
            raise TransferError("the connection ended before the whole file arrived")

    def _already_complete(
        self,
        final: Path,
        part: Path,
        offset: int,
        response: h11.Response,
        digest: bytes | None,
        state: ResumeState,
    ) -> DownloadFinished:
        """A 416 to our resume request: the .part may already hold the whole file."""
        span = parse_content_range(header(response, b"content-range") or "")
        if span is None or span.total != offset:
            raise Restart
        fd = open_part(part, offset)
        try:
            hasher = hashlib.sha256()
            hash_existing(fd, offset, hasher, self)
            self._notes.append("the earlier part already held the whole file")
            return self._finish(fd, final, part, offset, hasher, digest, state)
        finally:
            with contextlib.suppress(OSError):
                os.close(fd)

    # ---- raw ----------------------------------------------------------------------------------

    def _run_raw(self, final: Path, part: Path) -> DownloadFinished:
        url = self.share_url
        sock = self._connect()
        try:
            # The classic protocol: the bare name in one write, no terminator; then read to EOF.
            self._send_all(sock, url.raw_name.encode("utf-8"))
            recv_into = self._reader(sock)
            if part.exists():
                self._notes.append("the classic raw protocol cannot resume, so it started over")
            state = ResumeState(part, self._identity())
            fd = open_part(part, 0)
            try:
                hasher = hashlib.sha256()
                progress = Meter(self._on_progress, 0, None)
                pipe = HashPipe(hasher)
                try:
                    size = self._body(b"", None, recv_into, fd, pipe, progress)
                finally:
                    pipe.finish()
                if size == 0:
                    os.close(fd)
                    fd = -1
                    with contextlib.suppress(OSError):
                        part.unlink()
                    raise TransferError(
                        f"{url.authority} closed the connection without sending anything "
                        f"(does it share a file named {url.raw_name!r}?)"
                    )
                self._notes.append("the classic raw protocol carries no length or checksum")
                return self._finish(fd, final, part, size, hasher, None, state)
            finally:
                if fd >= 0:
                    with contextlib.suppress(OSError):
                        os.close(fd)
        finally:
            sock.close()

    def _finish(
        self,
        fd: int,
        final: Path,
        part: Path,
        size: int,
        hasher: hashlib._Hash,
        digest: bytes | None,
        state: ResumeState,
    ) -> DownloadFinished:
        result = finish(fd, final, part, size, hasher, digest, state, self._notes)
        self.path = Path(result.path)
        return result

    def _identity(self) -> str:
        return self.share_url.origin + self.share_url.target

    def _describe(self, exc: OSError) -> str:
        if exc.errno in WRITE_PROBLEMS:
            kept = " (the .part is kept: free some space and run it again to resume)"
            return f"cannot write into {self.folder}: {WRITE_PROBLEMS[exc.errno]}" + (
                kept if exc.errno in (errno.ENOSPC, errno.EDQUOT) else ""
            )
        return describe_io_error(exc, self.share_url.authority)
