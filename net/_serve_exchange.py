"""One request's exchange on a transfer thread: :class:`Exchange` owns the client's connection
while a transfer thread answers it, and holds what every kind of answer uses: simple answers,
304s, a file span streamed with transfer events (:mod:`net._body`), and why a transfer failed."""

from __future__ import annotations

import logging
import time

import h11

from net._body import BodySender, Cancelled, ShortFile
from net._i18n import N_, _
from net._serve_base import Conn, ServerBase, dialect_of
from net._serve_headers import common_headers, reason_phrase
from net.errors import describe_stream_error
from net.events import TransferFailed, TransferFinished, TransferProgress, TransferStarted
from net.sharepage import page_headers
from net.zipstream import MemberChanged

__all__ = ["GONE", "Exchange", "Progress", "internal_error"]

# The file server's log, whichever of its modules writes.
_log = logging.getLogger("net.fileserver")

_PROGRESS_INTERVAL = 0.1  # at most ~10 progress events per second per transfer
GONE = N_("the shared file is no longer in its folder (moved or deleted)")


class Exchange:
    """A transfer thread's hold on one connection: ``server``'s settings and events, ``conn``'s
    socket (non-blocking; every wait for the client goes through ``body``'s
    :meth:`BodySender.await_room`, whose idle clock runs from the client's last progress)."""

    def __init__(self, server: ServerBase, conn: Conn) -> None:
        self.server = server
        self.conn = conn
        self.body = BodySender(
            conn.sock,
            idle_timeout=server._idle_timeout,
            stopping=lambda: server.stopping,
            wait_stopped=server.wait_stopped,
            rate_limit=lambda: server.rate_limit,
        )

    def _report_unknown(self, name: str, kind: str, reason: str) -> None:
        self.server._report_unknown(self.conn, name, kind, reason)

    def _send_simple(
        self,
        status: int,
        body: bytes,
        *,
        keep_alive: bool,
        head_only: bool,
        content: str = "text/plain; charset=utf-8",
        extra: list[tuple[str, str]] | None = None,
    ) -> None:
        http = self.conn.http
        assert http is not None
        headers = [
            *common_headers(),
            ("Content-Type", content),
            ("Content-Length", str(len(body))),
            *(extra or []),
        ]
        if not any(name == "Content-Security-Policy" for name, _value in headers):
            headers += page_headers("locked")
        if not keep_alive:
            headers.append(("Connection", "close"))
        data = http.send(
            h11.Response(status_code=status, headers=headers, reason=reason_phrase(status))
        )
        if not head_only and body:
            data += http.send(h11.Data(data=body)) or b""
        data += http.send(h11.EndOfMessage()) or b""
        self.body.send(data or b"")

    def _transfer_failed(self, tid: int, name: str, done: int, exc: Exception) -> None:
        """End the sending of ``name`` (transfer ``tid``) as failed after ``done`` bytes, saying
        why: the server is stopping (which also closes connections under running transfers),
        the file changed under it, the connection broke, or a bug of ours. A bug (issue 13.1: an
        AttributeError once ended bodies silently) is logged, its traceback at debug level, and
        the server goes on serving."""
        stopped = self.server.stopping or isinstance(exc, Cancelled)
        if stopped:
            reason = _("the server was stopped")
        elif isinstance(exc, ShortFile):
            reason = _("the file became shorter while it was sent")
        elif isinstance(exc, MemberChanged):
            reason = str(exc)
        elif isinstance(exc, OSError):
            reason = describe_stream_error(exc, self.conn.peer, receiving=False)
        elif isinstance(exc, ValueError):  # a socket closed under the transfer
            reason = _("connection with {peer} failed").format(peer=self.conn.peer)
        else:
            reason = internal_error(tid, name, exc)
        self.server._emit(TransferFailed(time.time(), tid, done, reason, stopped))

    def _send_not_modified(self, validators: list[tuple[str, str]], *, keep_alive: bool) -> None:
        """304 (RFC 9110 §15.4.5): the validators a 200 would carry, and no content."""
        http = self.conn.http
        assert http is not None
        headers = [*common_headers(), *validators]
        if not keep_alive:
            headers.append(("Connection", "close"))
        data = http.send(h11.Response(status_code=304, headers=headers, reason=reason_phrase(304)))
        data = (data or b"") + (http.send(h11.EndOfMessage()) or b"")
        self.body.send(data)

    def _stream(self, fd: int, name: str, offset: int, length: int, kind: str) -> bool:
        """Send ``length`` bytes of ``fd`` from ``offset`` with transfer events; False on failure."""
        tid = next(self.server._transfer_ids)
        dialect = dialect_of(self.conn, kind)
        self.server._emit(
            TransferStarted(time.time(), tid, self.conn.peer, name, dialect, offset, length)
        )
        progress = Progress(self.server, tid, length)
        try:
            self.body.send_file(fd, offset, length, progress.update)
        except Exception as exc:
            self._transfer_failed(tid, name, progress.done, exc)
            return False
        self.server._emit(TransferFinished(time.time(), tid, length))
        return True


class Progress:
    """Throttles TransferProgress events to about ten a second per transfer."""

    __slots__ = ("done", "last", "server", "started", "tid", "total")

    def __init__(self, server: ServerBase, tid: int, total: int) -> None:
        self.server = server
        self.tid = tid
        self.total = total
        self.done = 0
        self.started = time.monotonic()
        self.last = self.started

    def update(self, done: int) -> None:
        self.done = done
        now = time.monotonic()
        if now - self.last >= _PROGRESS_INTERVAL and done < self.total:
            self.last = now
            self.server._emit(TransferProgress(time.time(), self.tid, done, self.total))


def internal_error(tid: int, name: str, exc: Exception) -> str:
    """Log a bug of ours that ended transfer ``tid`` of ``name`` (the traceback at debug level)
    and say it in the transfer's words."""
    reason = _("internal error in the server ({error_type}: {exc})").format(
        error_type=type(exc).__name__, exc=exc
    )
    _log.error("file server: transfer %d of %r failed: %s", tid, name, reason)
    _log.debug("file server: internal error", exc_info=True)
    return reason
