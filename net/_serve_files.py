"""Answers that send shared files: one file (GET/HEAD with validators, conditional requests and a
single range, RFC 9110 §13-14), a folder as a zip made while it is sent (:mod:`net.zipstream`),
and the classic raw dialect's bytes-then-close. Every body is a transfer with events."""

from __future__ import annotations

import contextlib
import io
import os
import socket
import ssl
import stat
import time

import h11

from net._body import Cancelled
from net._i18n import _
from net._serve_base import Phase, dialect_of
from net._serve_exchange import GONE, Exchange, Progress
from net._serve_headers import FileSpan, common_headers, reason_phrase, request_header
from net.events import TransferFinished, TransferStarted
from net.httpfile import (
    content_disposition,
    evaluate_preconditions,
    format_repr_digest,
    http_date,
    if_range_matches,
    make_etag,
    plan_range,
)
from net.share import SharedFile
from net.sharepage import file_headers, page_headers
from net.zipstream import MemberChanged, ZipMember, ZipPlan

__all__ = ["FileAnswers"]

_ZIP_COALESCE = 64 * 1024  # zip pieces smaller than this are gathered before they are sent


class FileAnswers(Exchange):
    """Sending shared files' bytes over one connection (a transfer thread's)."""

    def _send_zip(self, request: h11.Request, folder: str, *, keep_alive: bool) -> bool:
        """Answer ``?format=zip`` for a folder ("" = the whole share) with a zip made while it
        is sent (:mod:`net.zipstream`); False when the connection broke during the body.

        The archive's length is exact (stored members, sizes known), so the answer carries a
        Content-Length and HEAD gets the same headers. Files are stat()ed now; one that changed
        size by the time it is read ends the transfer (the client sees a short body).
        """
        folders, files = self.server.share.tree(folder)
        members = [ZipMember(d.name + "/", 0, d.mtime) for d in folders]
        for f in files:
            try:
                st = f.path.stat()
            except OSError:
                continue  # gone since the last walk: left out of the archive
            if stat.S_ISREG(st.st_mode):
                members.append(ZipMember(f.name, st.st_size, st.st_mtime, f))
        members.sort(key=lambda m: m.name)  # a folder ("a/") before what it holds ("a/b")
        plan = ZipPlan(members)
        base = folder.rpartition("/")[2] if folder else "shared files"
        headers = [
            *common_headers(),
            ("Content-Type", "application/zip"),
            ("Content-Disposition", content_disposition(base + ".zip", inline=False)),
            ("Content-Length", str(plan.length)),
            ("Cache-Control", "no-store"),
            *page_headers("locked"),
        ]
        if not keep_alive:
            headers.append(("Connection", "close"))
        http = self.conn.http
        assert http is not None
        head = http.send(h11.Response(status_code=200, headers=headers, reason=reason_phrase(200)))
        if request.method == b"HEAD":
            self.body.send((head or b"") + (http.send(h11.EndOfMessage()) or b""))
            return True
        self.body.send(head or b"")
        if not self._stream_zip(plan, base + ".zip"):
            return False
        http.send_with_data_passthrough(h11.Data(data=FileSpan(plan.length)))  # type: ignore[arg-type]
        http.send(h11.EndOfMessage())
        return True

    def _stream_zip(self, plan: ZipPlan, name: str) -> bool:
        """Send the archive with transfer events; False on failure (see :meth:`_stream`)."""
        tid = next(self.server._transfer_ids)
        self.server._emit(
            TransferStarted(
                time.time(),
                tid,
                self.conn.peer,
                name,
                dialect_of(self.conn, "http"),
                0,
                plan.length,
            )
        )
        progress = Progress(self.server, tid, plan.length)
        body = self.body
        limited = body.pace()
        pending = bytearray()  # headers and small files, sent together: fewer sends
        try:
            for chunk in plan.chunks(_open_member):
                if len(chunk) < _ZIP_COALESCE:
                    pending += chunk
                    if len(pending) < _ZIP_COALESCE:
                        continue
                    chunk, pending = memoryview(pending), bytearray()
                elif pending:
                    body.send(memoryview(pending))
                    progress.update(progress.done + len(pending))
                    pending = bytearray()
                if self.server.stopping or limited.wait(progress.done):
                    raise Cancelled
                body.send(chunk)
                progress.update(progress.done + len(chunk))
            if pending:
                body.send(memoryview(pending))
                progress.update(progress.done + len(pending))
        except Exception as exc:
            self._transfer_failed(tid, name, progress.done, exc)
            return False
        self.server._emit(TransferFinished(time.time(), tid, plan.length))
        return True

    def _send_file(
        self, request: h11.Request, entry: SharedFile | None, *, keep_alive: bool
    ) -> bool:
        """Answer a GET/HEAD for one file; False when the connection broke during the body."""
        head_only = request.method == b"HEAD"
        opened = _open_shared(entry) if entry is not None else None
        if entry is not None and opened is None:
            self._report_unknown(entry.name, "http", _(GONE))
        if entry is None or opened is None:
            self._send_simple(
                404,
                b"No file by that name is shared here.\n",
                keep_alive=keep_alive,
                head_only=head_only,
            )
            return True
        fd, st = opened
        try:
            size = st.st_size
            digest = entry.sha256
            if (size, st.st_mtime_ns) != (entry.size, entry.mtime_ns):
                self.server.share.refresh(entry.name, size, st.st_mtime_ns)
                digest = None
            etag = make_etag(size, st.st_mtime_ns)
            plan = plan_range(None, size)
            ranges = request_header(request, b"range")
            validators = [
                ("Last-Modified", http_date(st.st_mtime)),
                ("ETag", etag),
                ("Accept-Ranges", "bytes"),
            ]
            if digest is not None:
                validators.append(("Repr-Digest", format_repr_digest(digest)))
            verdict = evaluate_preconditions(
                request.method,
                etag=etag,
                mtime=st.st_mtime,
                if_match=request_header(request, b"if-match"),
                if_unmodified_since=request_header(request, b"if-unmodified-since"),
                if_none_match=request_header(request, b"if-none-match"),
                if_modified_since=request_header(request, b"if-modified-since"),
            )
            if verdict == 412:
                self._send_simple(
                    412,
                    b"The file is not the version the request names: it changed.\n",
                    keep_alive=keep_alive,
                    head_only=head_only,
                    extra=validators,
                )
                return True
            if verdict == 304:
                self._send_not_modified(validators, keep_alive=keep_alive)
                return True
            if not head_only and ranges is not None:
                # RFC 9110 §14.2: Range is defined for GET only; HEAD gets the plain headers.
                validator = request_header(request, b"if-range")
                if validator is None or if_range_matches(validator, etag, st.st_mtime):
                    plan = plan_range(ranges, size)
            if plan.status == 416:
                self._send_simple(
                    416,
                    b"The requested range is not in the file.\n",
                    keep_alive=keep_alive,
                    head_only=False,
                    extra=[*validators, ("Content-Range", f"bytes */{size}")],
                )
                return True
            headers = [*common_headers(), *validators]
            if plan.status == 206:
                end = plan.start + plan.length - 1
                headers.append(("Content-Range", f"bytes {plan.start}-{end}/{size}"))
            headers += file_headers(entry, fd, size, st.st_mtime_ns)
            headers.append(("Content-Length", str(plan.length)))
            if not keep_alive:
                headers.append(("Connection", "close"))
            http = self.conn.http
            assert http is not None
            head = http.send(
                h11.Response(
                    status_code=plan.status, headers=headers, reason=reason_phrase(plan.status)
                )
            )
            if head_only:
                self.body.send((head or b"") + (http.send(h11.EndOfMessage()) or b""))
                return True
            self.body.send(head or b"")
            if not self._stream(fd, entry.name, plan.start, plan.length, "http"):
                return False
            http.send_with_data_passthrough(h11.Data(data=FileSpan(plan.length)))  # type: ignore[arg-type]
            http.send(h11.EndOfMessage())
            return True
        finally:
            os.close(fd)

    def _send_raw(self, entry: SharedFile) -> Phase | None:
        opened = _open_shared(entry)
        if opened is None:
            self._report_unknown(entry.name, "raw", _(GONE))
            return None  # gone since it was shared: the classic answer, close silently
        fd, st = opened
        try:
            if not self._stream(fd, entry.name, 0, st.st_size, "raw"):
                return None
        finally:
            os.close(fd)
        sock = self.conn.sock
        if isinstance(sock, ssl.SSLSocket):
            # Send close_notify so a client reading to the end can tell the end from a cut.
            sock.setblocking(False)
            with contextlib.suppress(OSError, ValueError):
                sock.unwrap()
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_WR)
        self.conn.shut = True
        return "closing"


def _open_member(member: ZipMember) -> io.RawIOBase:
    """Open a zip member's file (its source is the SharedFile) the way single files are opened."""
    entry = member.source
    assert isinstance(entry, SharedFile)
    opened = _open_shared(entry)
    if opened is None:
        raise MemberChanged(
            _("{name} is no longer in its folder (moved or deleted)").format(name=entry.name)
        )
    fd, st = opened
    if st.st_size != member.size:
        os.close(fd)
        raise MemberChanged(
            _("{name} changed size while the archive was being sent").format(name=entry.name)
        )
    return io.FileIO(fd, "rb", closefd=True)


def _open_shared(entry: SharedFile) -> tuple[int, os.stat_result] | None:
    """Open the path the table resolved when the file was added; None unless it is a regular file.

    O_NOFOLLOW: a file swapped for a link since then is not followed. O_NONBLOCK: one swapped for a
    pipe cannot hang the thread in open(); it is then refused as not regular.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    flags |= getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(entry.path, flags)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
    except OSError:
        os.close(fd)
        return None
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        return None
    return fd, st
