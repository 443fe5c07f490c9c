"""One connection of the TCP loops (net._tcp_loop): its socket, its send queue, and how each
queued item goes out.

Files are streamed from disk with ``os.sendfile`` where the platform has it; inside TLS (the kernel
cannot encrypt) and where sendfile refuses the pair, they are read in chunks and written through
the socket.
"""

from __future__ import annotations

import contextlib
import errno
import os
import selectors
import socket
import sys
import time
from collections import deque
from typing import BinaryIO, Final

from net._i18n import _
from net._loop import is_tls_socket, would_block_errors
from net.errors import TransferError, system_words

__all__ = [
    "USE_SENDFILE",
    "Connection",
    "QueuedBytes",
    "QueuedFile",
    "open_file",
]

#: Stream files with os.sendfile where the platform has it (else, and where it refuses, read + send).
USE_SENDFILE: Final = sys.platform != "win32" and hasattr(os, "sendfile")

_FILE_READ_SIZE = 256 * 1024
_SENDFILE_SIZE = 1024 * 1024
# Plaintext handed to one SSL_write: bytes_out moves in steps, and a retry after SSLWantWriteError
# (which OpenSSL requires to repeat the same bytes) sees the same slice.
_TLS_WRITE_SIZE = 64 * 1024
# sendfile(2) refusing this pair of file and socket: fall back to read + send.
_NO_SENDFILE = {errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSOCK, errno.EAFNOSUPPORT}


class QueuedBytes:
    """Bytes waiting in a connection's send queue, and how many of them went out."""

    __slots__ = ("data", "heartbeat", "offset", "view")

    def __init__(self, data: bytes, heartbeat: bool = False) -> None:
        self.data = data
        self.view = memoryview(data)
        self.offset = 0
        self.heartbeat = heartbeat

    @property
    def done(self) -> bool:
        return self.offset >= len(self.data)


class QueuedFile:
    """An open file waiting in a connection's send queue, streamed from ``offset`` to ``end``."""

    __slots__ = ("end", "file", "offset", "path", "pending")

    def __init__(self, path: str, file: BinaryIO, size: int) -> None:
        self.path = path
        self.file = file
        self.offset = 0  # bytes of the file already written to the socket
        self.end = size
        self.pending = memoryview(b"")  # read but not yet written (read + send fallback)

    @property
    def done(self) -> bool:
        return self.offset >= self.end


class Connection:
    """One TCP connection of a loop: the socket, its queue, its counters and how it ended.

    The loop's thread alone reads and writes the socket; other threads touch :attr:`queue` and
    :attr:`queued` only under the loop's lock.
    """

    __slots__ = (
        "address",
        "bytes_in",
        "bytes_out",
        "close_reason",
        "closed",
        "conn_id",
        "ended",
        "events",
        "handshake_deadline",
        "handshake_events",
        "handshaking",
        "last_in",
        "last_out",
        "local",
        "paused",
        "peer",
        "queue",
        "queued",
        "reading",
        "since",
        "sock",
        "tls",
        "use_sendfile",
        "would_block",
    )

    def __init__(self, sock: socket.socket, conn_id: int, peer: str, local: str) -> None:
        self.sock = sock
        self.conn_id = conn_id
        self.peer = peer
        self.local = local
        self.since = time.time()
        self.bytes_in = 0
        self.bytes_out = 0
        self.queue: deque[QueuedBytes | QueuedFile] = deque()
        self.queued = 0  # bytes of data (not files) in the queue
        self.reading = True  # False once the peer has closed its side
        self.paused = False  # reading stopped until the replies queued for it drain
        self.events = 0  # what the selector watches for now
        self.closed = False
        self.close_reason: str | None = None  # close with this once the queue is written
        self.ended: tuple[str, bool] | None = None  # (reason, error) once closed
        self.tls = is_tls_socket(sock)
        # Not an error on a non-blocking socket: try again when the selector says so.
        self.would_block = would_block_errors(sock)
        # The kernel cannot encrypt, so inside TLS files are read and written through OpenSSL.
        self.use_sendfile = USE_SENDFILE and not self.tls
        self.handshaking = False  # a TLS server's client whose handshake is still running
        self.handshake_events = selectors.EVENT_READ  # what the handshake waits for
        self.handshake_deadline = 0.0  # time.monotonic() by which it must be done
        self.address: tuple[str, int] = ("", 0)  # the peer's host and port, for sentences
        self.last_in = self.last_out = time.monotonic()  # the last bytes read / written

    def pending(self) -> int:
        """Bytes OpenSSL has decrypted but nobody has read yet (0 for plain TCP)."""
        if self.tls:
            try:
                return self.sock.pending()  # type: ignore[attr-defined, no-any-return]
            except (OSError, ValueError):
                return 0
        return 0

    def shut(self, unsent: list[QueuedBytes | QueuedFile], *, orderly: bool) -> None:
        """Close the socket and the files in ``unsent`` (what its queue held); for an
        ``orderly`` end inside TLS, say goodbye first."""
        if self.tls and orderly and not self.handshaking:
            # close_notify, so the peer can tell an end from a cut. The socket is non-blocking:
            # this sends the alert if there is room and never waits.
            with contextlib.suppress(OSError, ValueError):
                self.sock.unwrap()  # type: ignore[attr-defined]
        self.sock.close()
        for item in unsent:
            if isinstance(item, QueuedFile):
                item.file.close()

    def send(self, item: QueuedBytes | QueuedFile) -> int:
        """Write the next part of ``item`` to the socket; returns the bytes written.

        Raises:
            OSError: the socket failed, or (one of :attr:`would_block`) it has no room now.
        """
        if isinstance(item, QueuedBytes):
            return self._send_bytes(item)
        return self._send_file(item)

    def _send_bytes(self, item: QueuedBytes) -> int:
        chunk = item.view[item.offset :]
        if self.tls:
            chunk = chunk[:_TLS_WRITE_SIZE]
        try:
            sent = self.sock.send(chunk)
        finally:
            chunk.release()
        item.offset += sent
        return sent

    def _send_file(self, item: QueuedFile) -> int:
        sent = 0
        if item.offset < item.end:
            if sys.platform != "win32" and self.use_sendfile and not item.pending:
                try:
                    sent = os.sendfile(
                        self.sock.fileno(),
                        item.file.fileno(),
                        item.offset,
                        min(item.end - item.offset, _SENDFILE_SIZE),
                    )
                except OSError as exc:
                    if exc.errno not in _NO_SENDFILE:
                        raise
                    self.use_sendfile = False
                    return 0
                if sent == 0:
                    item.end = item.offset  # the file shrank while it was being sent
            else:
                if not item.pending:
                    item.file.seek(item.offset)
                    chunk = item.file.read(min(item.end - item.offset, _FILE_READ_SIZE))
                    if not chunk:
                        item.end = item.offset
                    item.pending = memoryview(chunk)
                if item.pending:
                    piece = item.pending[:_TLS_WRITE_SIZE] if self.tls else item.pending
                    sent = self.sock.send(piece)
                    item.pending = item.pending[sent:]
        item.offset += sent
        return sent


def open_file(path: str) -> QueuedFile:
    """Open ``path`` for sending, as a queue item covering the whole file.

    Raises:
        TransferError: the file does not exist, is a folder, or cannot be read.
    """
    try:
        file = open(path, "rb")  # noqa: SIM115 - closed when sent or when the connection ends
    except FileNotFoundError as exc:
        raise TransferError(
            _("cannot send {path}: there is no such file").format(path=path)
        ) from exc
    except IsADirectoryError as exc:
        raise TransferError(
            _("cannot send {path}: it is a folder, not a file").format(path=path)
        ) from exc
    except PermissionError as exc:
        raise TransferError(_("cannot send {path}: permission denied").format(path=path)) from exc
    except OSError as exc:
        raise _cannot_send(path, exc) from exc
    try:
        size = os.fstat(file.fileno()).st_size
    except OSError as exc:
        file.close()
        raise _cannot_send(path, exc) from exc
    return QueuedFile(path, file, size)


def _cannot_send(path: str, exc: OSError) -> TransferError:
    return TransferError(
        _("cannot send {path}: {system_words}").format(path=path, system_words=system_words(exc))
    )
