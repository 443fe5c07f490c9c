"""The file server's loop before a request is complete: accepting, TLS handshakes, reading a
request head under its deadline, telling the two dialects apart (:func:`net.httpfile.sniff`),
the password check, and connections coming back from transfer threads between requests."""

from __future__ import annotations

import contextlib
import errno
import selectors
import socket
import ssl
import time

import h11

from net._i18n import N_, _
from net._serve_base import Conn, HttpJob, RawJob, ServerBase
from net._serve_headers import SHOWN_NAME, peer_host, request_header, target_name
from net.address import format_peer
from net.httpfile import MAX_HEAD_BYTES, check_head, parse_raw_name, sniff
from net.sharepage import https_hint
from net.upload import check_basic

__all__ = ["REFUSING", "HeadReader"]

_READ = selectors.EVENT_READ
_WRITE = selectors.EVENT_WRITE
REFUSING = 8  # connections beyond the pending cap read only to be refused politely
_REFUSE_TIMEOUT = 1.0  # seconds such a connection gets to send its request line


class HeadReader(ServerBase):
    """The head phase of the file server's loop: every method runs on the loop's thread."""

    def _accept(self) -> bool:
        """Accept what is waiting; False when out of file descriptors (pause accepting)."""
        for _accepted in range(64):
            try:
                sock, addr = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return True
            except OSError as exc:
                if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    return False
                continue  # ECONNABORTED and friends: that client is gone already
            refuse = False
            if self._admitted() >= self._max_pending and not self._make_room():
                self._refused += 1
                if len(self._pending) >= self._max_pending + REFUSING:
                    sock.close()
                    continue
                refuse = True  # read just enough to say 503 (HTTP) or close (raw)
            sock.setblocking(False)
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            peer = format_peer(addr)
            deadline = time.monotonic() + (
                min(self._head_timeout, _REFUSE_TIMEOUT) if refuse else self._head_timeout
            )
            if self._ssl_context is not None:
                try:
                    tls_sock = self._ssl_context.wrap_socket(
                        sock, server_side=True, do_handshake_on_connect=False
                    )
                except (OSError, ValueError):
                    sock.close()
                    continue
                conn = Conn(tls_sock, peer, True, "handshake", deadline)
            else:
                conn = Conn(sock, peer, False, "head", deadline)
                if not self.raw_dialect:
                    self._start_http(conn)
            conn.refuse = refuse
            self._pending.add(conn)
            self._watch(conn, _READ)
        return True

    def _on_ready(self, conn: Conn, mask: int) -> None:
        if conn not in self._pending:
            return
        if conn.phase == "handshake":
            self._handshake(conn)
        elif conn.phase == "head":
            self._read_head(conn)
        else:
            self._closing(conn)

    def _handshake(self, conn: Conn) -> None:
        sock = conn.sock
        assert isinstance(sock, ssl.SSLSocket)
        if not self._step(conn, lambda: _handshake_done(sock), _READ, self._not_tls):
            return
        conn.phase = "head"
        if not self.raw_dialect:
            self._start_http(conn)
        self._watch(conn, _READ)
        self._read_head(conn)  # application data may already sit in the TLS buffer

    def _not_tls(self, conn: Conn, exc: Exception) -> None:
        """A failed handshake (ssl.SSLError): plain HTTP gets a hint, anything else a close."""
        if getattr(exc, "reason", None) == "HTTP_REQUEST":
            self._hint_https(conn)
        else:
            self._drop(conn)

    def _hint_https(self, conn: Conn) -> None:
        """Answer plain HTTP sent to the TLS port with a 400 page that names the https:// URL
        (nginx's 497 "The plain HTTP request was sent to HTTPS port"), instead of a reset."""
        self._unwatch(conn)
        plain = socket.socket(fileno=conn.sock.detach())
        try:
            plain.setblocking(False)
            try:
                received = plain.recv(MAX_HEAD_BYTES)
            except (BlockingIOError, InterruptedError):
                received = b""
            _url, page = https_hint(received, plain.getsockname())
        except OSError:
            self._pending.discard(conn)
            plain.close()
            return
        conn.sock = plain
        conn.tls = False
        self._reject(conn, 400, page, "text/html; charset=utf-8")

    def _read_head(self, conn: Conn) -> None:
        while len(conn.buf) <= MAX_HEAD_BYTES + 1024 and not conn.eof:
            if conn.tls and not self._tls_readable(conn):
                break
            data = self._step(conn, lambda: conn.sock.recv(64 * 1024), _READ)
            if data is None:
                if conn not in self._pending:
                    return  # dropped
                break
            if not data:
                conn.eof = True
                break
            conn.buf += data
            if conn.http is not None:
                conn.http.receive_data(data)
        self._advance(conn, time.monotonic())

    @staticmethod
    def _tls_readable(conn: Conn) -> bool:
        """Whether a TLS read may find bytes; a client's FIN is noted here, below TLS.

        A client may half-close its socket right after its request (nc, scripts). If OpenSSL 3
        read that end of the stream itself, it would take it for a truncation attack, mark the
        connection broken and refuse to send the answer; noticed on the plain socket, it is just
        the end of the request (TLS 1.3 allows half-closed connections).
        """
        sock = conn.sock
        assert isinstance(sock, ssl.SSLSocket)
        if sock.pending():
            return True
        try:
            peeked = socket.socket.recv(sock, 1, socket.MSG_PEEK)
        except (BlockingIOError, InterruptedError):
            return False
        except OSError:
            return True  # a reset: the TLS read reports it
        if not peeked:
            conn.eof = True
            return False
        return True

    def _advance(self, conn: Conn, now: float) -> None:
        """Move a connection in the head phase as far as the bytes it sent allow."""
        if conn.dialect is None:
            if not conn.buf:
                if conn.eof:
                    self._drop(conn)
                return
            final = conn.eof or (conn.grace_until is not None and now >= conn.grace_until)
            verdict = sniff(bytes(conn.buf), self.share.__contains__, final=final)
            if verdict == "more":
                if conn.grace_until is None:
                    conn.grace_until = now + self._raw_grace
                return
            conn.grace_until = None
            if verdict == "raw":
                self._start_raw(conn)
                return
            self._start_http(conn)
            assert conn.http is not None
            conn.http.receive_data(bytes(conn.buf))
        if conn.dialect == "http":
            self._advance_http(conn)

    def _start_http(self, conn: Conn) -> None:
        conn.dialect = "http"
        # h11's own limit sits above ours so that check_head() decides between 414 and 431.
        conn.http = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD_BYTES + 4096)

    def _advance_http(self, conn: Conn) -> None:
        http = conn.http
        assert http is not None
        verdict = check_head(conn.buf)
        if verdict.status is not None:
            self._reject(conn, verdict.status)
            return
        if conn.eof and not conn.eof_fed:
            conn.eof_fed = True
            http.receive_data(b"")
        try:
            event = http.next_event()
        except h11.RemoteProtocolError as exc:
            self._reject(conn, exc.error_status_hint)
            return
        if event is h11.NEED_DATA:
            if conn.eof:
                self._drop(conn)
            else:
                self._watch(conn, _READ)
            return
        if not isinstance(event, h11.Request):  # ConnectionClosed, or PAUSED after an error
            self._drop(conn)
            return
        if self.password is not None and not self._authorized(conn, event):
            return
        first: object = None
        try:
            first = http.next_event()
        except h11.RemoteProtocolError:
            first = None
        body_done = isinstance(first, h11.EndOfMessage)
        self._dispatch(conn, HttpJob(event, body_done, first))

    def _authorized(self, conn: Conn, request: h11.Request) -> bool:
        """Check the request's password; when wrong or missing, answer 401 from the loop (after
        the address's delay for a wrong one: the connection waits in phase "delay", unwatched)."""
        password = self.password
        assert password is not None
        given = request_header(request, b"authorization")
        host = peer_host(conn.peer)
        if check_basic(given, password):
            self.auth.succeeded(host)
            return True
        delay = self.auth.failed(host) if given is not None else 0.0
        if given is not None:
            self._report_unknown(conn, target_name(request), "http", _("wrong password"))
        if delay <= 0:
            self._reject(conn, 401)
            return False
        self._unwatch(conn)
        conn.phase = "delay"
        conn.deadline = time.monotonic() + delay
        conn.grace_until = None
        return False

    def _start_raw(self, conn: Conn) -> None:
        conn.dialect = "raw"
        data = bytes(conn.buf)
        name = parse_raw_name(data)
        entry = self.share.lookup(name) if name is not None else None
        if entry is not None and self.password is not None:
            self._report_unknown(
                conn,
                entry.name,
                "raw",
                _("raw is refused: the share has a password, raw cannot send one"),
            )
            self._drop(conn)
            return
        if entry is None:
            # The classic answer to an unknown name: close, say nothing; the user sees it.
            shown, reason = _unknown_raw_name(data)
            self._report_unknown(conn, shown, "raw", reason)
            self._drop(conn)
            return
        self._dispatch(conn, RawJob(entry))

    def _expire(self, now: float) -> None:
        for conn in list(self._pending):
            if conn.phase == "delay":
                if now >= conn.deadline:
                    self._reject(conn, 401)
                continue
            if conn.grace_until is not None and now >= conn.grace_until and conn.dialect is None:
                self._advance(conn, now)
                if conn not in self._pending:
                    continue
            if now >= conn.deadline:
                self._drop(conn)  # nginx does the same on client_header_timeout

    def _take_returned(self) -> None:
        while True:
            with self._lock:
                if not self._returned:
                    return
                conn, phase = self._returned.popleft()
            try:
                conn.sock.setblocking(False)
            except OSError:
                with contextlib.suppress(OSError):
                    conn.sock.close()
                continue
            if self._admitted() >= self._max_pending:
                # No place to wait for its next request: a persistent connection may be closed
                # between requests (RFC 9112 §9.6), the client opens a new one. It goes rather
                # than a new connection whose request may be on its way.
                with contextlib.suppress(OSError):
                    conn.sock.close()
                continue
            self._pending.add(conn)
            now = time.monotonic()
            if phase == "closing":
                conn.phase = "closing"
                conn.deadline = now + self._linger
                self._closing(conn)
                continue
            conn.phase = "head"
            conn.cycle += 1
            conn.since = now
            conn.deadline = now + self._head_timeout
            http = conn.http
            assert http is not None
            # Bytes of a pipelined next request that h11 already holds count toward its head.
            conn.buf = bytearray(http.trailing_data[0])
            self._advance_http(conn)


_TLS_HELLO = N_("(TLS handshake)")


def _handshake_done(sock: ssl.SSLSocket) -> bool:
    """One step of a TLS handshake; True when it is complete (OpenSSL raises until then)."""
    sock.do_handshake()
    return True


def _is_tls_handshake(data: bytes) -> bool:
    """A TLS record of type handshake, versions SSL 3.0 to TLS 1.3 on the wire (RFC 8446 §5.1):
    no file name starts with these control bytes, and showing them as one helps nobody."""
    return len(data) >= 3 and data[0] == 0x16 and data[1] == 0x03 and data[2] <= 0x04


def _unknown_raw_name(data: bytes) -> tuple[str, str]:
    """(the name as people should see it, why it was not served) for a raw request that names no
    shared file. A name that is not UTF-8 but reads as GBK/GB18030 (a C client on a Chinese
    Windows sends its code page) is shown decoded, and the reason says what went wrong."""
    if _is_tls_handshake(data):
        return _(_TLS_HELLO), (
            _(
                "a TLS client (https:// or raw+tls://) connected, but this share does not speak TLS: "
                "use http:// or raw://, or share with TLS"
            )
        )
    name = parse_raw_name(data)
    if name is not None:
        return name[:SHOWN_NAME], _("no such file is shared")
    stripped = data.rstrip(b"\r\n")
    try:
        guess = stripped.decode("gb18030")
    except UnicodeDecodeError:
        guess = ""
    if guess and not guess.isascii() and guess.isprintable():
        return guess[:SHOWN_NAME], _("the name was sent in GBK, not UTF-8; it must be UTF-8")
    shown = stripped.decode("utf-8", "backslashreplace")[:SHOWN_NAME]
    return shown, _("the name is not UTF-8 text")
