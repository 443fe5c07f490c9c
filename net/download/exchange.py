"""The client side of one exchange: connect (TLS when asked), send, and read a response head with
deadlines, where ``shutdown()`` ends any wait at once; and how a response's fields are read."""

from __future__ import annotations

import errno
import selectors
import socket
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import h11

from net._connect import connect
from net._i18n import _
from net._loop import StoppableLoop, Waker, is_unclean_tls_end, would_block_errors
from net.address import Endpoint, resolve
from net.download.urls import DEFAULT_PORTS, ShareUrl
from net.errors import ConnectError, ProtocolError, TransferCancelled, TransferError

if TYPE_CHECKING:
    from net.tls import ClientTls

__all__ = [
    "Cancelled",
    "Client",
    "OutOfTime",
    "Restart",
    "TransferCancelled",
    "field_values",
    "header",
    "list_header",
    "shown",
    "status_error",
    "validator",
]

MAX_HEAD = 64 * 1024
#: 1xx answers skipped before a final one (RFC 9110 §15.2); a server that streams them forever
#: is refused.
MAX_INFORMATIONAL = 16
USER_AGENT = "socket-workbench"


class Cancelled(Exception):
    """shutdown() was called: the exchange ends at once."""


class OutOfTime(Exception):
    """The overall deadline passed."""


class Restart(Exception):
    """Start the HTTP download over from byte 0 on a new connection; ``str()`` says why."""


class Client(StoppableLoop):
    """Connecting and reading with deadlines, where ``shutdown()`` ends any wait at once.

    ``timeout`` bounds each wait (connecting, the next bytes); ``deadline`` (seconds, or None)
    bounds the whole exchange and starts counting at :meth:`start_clock`, not at construction, so an
    object made long before it runs is not already late. Every read checks the stop flag and the
    deadline first, so a peer that never stops sending cannot hold the loop.
    """

    def __init__(
        self, url: ShareUrl, tls: ClientTls | None, timeout: float, deadline: float | None = None
    ) -> None:
        super().__init__()
        self.share_url = url
        self._tls = tls
        self._timeout = timeout
        self._deadline = deadline
        self._deadline_at: float | None = None
        self._selector: selectors.BaseSelector | None = None
        #: Bytes received on the connection so far (head and body).
        self.received_bytes = 0
        #: The first bytes the server sent (up to 8), to recognise a TLS server spoken to in plain.
        self.first_bytes = b""
        #: True when a TLS connection ended without close_notify (a possible truncation).
        self.ragged_eof = False

    @property
    def uses_tls(self) -> bool:
        url = self.share_url
        return url.scheme in ("https", "raw+tls") or (url.scheme == "raw" and self._tls is not None)

    def start_clock(self) -> None:
        """Start the overall deadline (called when the exchange really begins)."""
        if self._deadline is not None:
            self._deadline_at = time.monotonic() + self._deadline

    def _check(self) -> None:
        """Raise Cancelled after shutdown(), OutOfTime after the overall deadline."""
        if self.stopping:
            raise Cancelled
        if self._deadline_at is not None and time.monotonic() >= self._deadline_at:
            raise OutOfTime

    def _wait_time(self, timeout: float) -> float:
        """``timeout``, cut to what is left of the overall deadline (read just before the wait)."""
        if self._deadline_at is None:
            return timeout
        return max(0.0, min(timeout, self._deadline_at - time.monotonic()))

    def _connect(self) -> socket.socket:
        url = self.share_url
        endpoints = self._resolve()
        try:
            sock = connect(self, endpoints, self._wait_time(self._timeout), url.host, url.port)
        except ConnectError:
            self._check()  # the overall deadline, not this connect, ran out
            raise
        if sock is None:
            raise Cancelled
        if self.uses_tls:
            return self._start_tls(sock)
        return sock

    def _resolve(self) -> list[Endpoint]:
        """The URL's host resolved (:func:`net.address.resolve`), while shutdown() still works.

        getaddrinfo cannot be interrupted, so it runs on a daemon thread that wakes this loop when
        it is done; a cancel returns at once and leaves the lookup to finish on its own.
        """
        self._check()
        url = self.share_url
        timeout = min(self._wait_time(self._timeout), 10.0)
        outcome: list[list[Endpoint] | BaseException] = []
        done = threading.Event()  # set after the wake-up byte is written, so drain() gets it

        def lookup() -> None:
            try:
                outcome.append(resolve(url.host, url.port, timeout=timeout))
            except BaseException as exc:  # handed over to the waiting loop
                outcome.append(exc)
            finally:
                self._waker.wake()
                done.set()

        threading.Thread(target=lookup, name=f"swb-resolve {url.host}", daemon=True).start()
        selector = self.new_selector()
        try:
            while not done.is_set():
                self._check()
                selector.select()  # woken by the lookup or by shutdown()
        finally:
            selector.close()
        # The lookup's wake-up byte is not a stop request (the stop flag says that): drop it, or
        # the next wait would take it for one.
        self._waker.drain()
        self._check()
        result = outcome[0]
        if isinstance(result, BaseException):
            raise result
        return result

    def _start_tls(self, sock: socket.socket) -> socket.socket:
        from net.tls import ClientTls, wrap_client  # only TLS downloads need it

        try:
            tls = wrap_client(
                sock,
                self.share_url.host,
                self._tls or ClientTls(),
                self._wait_time(self._timeout),
                loop=self,
            )
        except ConnectError:
            self._check()
            raise
        # An end without close_notify must show as SSLEOFError, not as a clean end (RFC 8446
        # §6.1): whoever reads to the end would otherwise keep a cut file as complete.
        tls.suppress_ragged_eofs = False  # type: ignore[attr-defined]  # missing in typeshed
        return tls

    def _wait(self, sock: socket.socket, events: int, timeout: float) -> None:
        """Wait until ``sock`` is ready; Cancelled on shutdown(), TimeoutError after ``timeout``."""
        self._check()
        selector = self.new_selector()
        try:
            selector.register(sock, events)
            ready = selector.select(self._wait_time(timeout))
        finally:
            selector.close()
        if any(isinstance(key.data, Waker) for key, _ in ready):
            raise Cancelled
        self._check()
        if not ready:
            raise TimeoutError(errno.ETIMEDOUT, "timed out")

    def _reader(self, sock: socket.socket) -> Callable[[memoryview], int]:
        """A recv_into for ``sock`` that waits in one selector with the waker (made once).

        It checks the stop flag and the deadline before every read, returns 0 at the end of the
        stream, and sets :attr:`ragged_eof` when a TLS stream ended without close_notify.
        """
        selector = self.new_selector()
        selector.register(sock, selectors.EVENT_READ)
        self._selector = selector
        timeout = self._timeout
        would_block = would_block_errors(sock)

        def recv_into(view: memoryview) -> int:
            while True:
                self._check()
                try:
                    count = sock.recv_into(view)
                except would_block:
                    pass
                except OSError as exc:
                    if not is_unclean_tls_end(exc):
                        raise
                    self.ragged_eof = True
                    return 0
                else:
                    if len(self.first_bytes) < 8:
                        self.first_bytes += bytes(view[: min(count, 8 - len(self.first_bytes))])
                    self.received_bytes += count
                    return count
                ready = selector.select(self._wait_time(timeout))
                if any(isinstance(key.data, Waker) for key, _ in ready):
                    raise Cancelled
                self._check()
                if not ready:
                    raise TimeoutError(errno.ETIMEDOUT, "timed out")

        return recv_into

    def _send_all(self, sock: socket.socket, data: bytes) -> None:
        view = memoryview(data)
        would_block = would_block_errors(sock)
        while view:
            self._check()
            try:
                sent = sock.send(view)
            except would_block:
                self._wait(sock, selectors.EVENT_WRITE, self._timeout)
                continue
            view = view[sent:]

    def _close_reader(self) -> None:
        if self._selector is not None:
            self._selector.close()
            self._selector = None

    def looks_like_tls(self) -> bool:
        """Whether the server answered with a TLS record (alert or handshake), as a TLS server
        spoken to in plain text does (RFC 8446 §5.1: content type 21 or 22, version 3.x)."""
        data = self.first_bytes
        return len(data) >= 3 and data[0] in (0x15, 0x16) and data[1] == 0x03

    def _request_head(
        self, sock: socket.socket, headers: list[tuple[str, str]]
    ) -> tuple[h11.Connection, h11.Response, Callable[[memoryview], int]]:
        """Send a GET for the URL's target and read the response head.

        At most :data:`MAX_INFORMATIONAL` 1xx answers are skipped and at most :data:`MAX_HEAD`
        bytes are read for all the heads together (RFC 9110 §15.2 lets a server send 1xx answers,
        but not without end).

        Raises:
            ProtocolError: not HTTP/1.1, a head over the limit, too many 1xx answers.
            TransferError: the connection closed before a response head.
        """
        url = self.share_url
        http = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEAD)
        bare = f"[{url.host}]" if ":" in url.host else url.host
        base = [
            ("Host", url.authority if url.port != DEFAULT_PORTS.get(url.scheme) else bare),
            ("User-Agent", USER_AGENT),
            ("Accept", "*/*"),
            ("Accept-Encoding", "identity"),
            ("Connection", "close"),
        ]
        if url.authorization is not None:
            base.append(("Authorization", url.authorization))
        request = h11.Request(method="GET", target=url.target, headers=base + headers)
        self._send_all(sock, (http.send(request) or b"") + (http.send(h11.EndOfMessage()) or b""))
        recv_into = self._reader(sock)
        buffer = bytearray(16 * 1024)
        view = memoryview(buffer)
        head_bytes = 0
        informational = 0
        while True:
            try:
                event = http.next_event()
            except h11.RemoteProtocolError as exc:
                if not self.received_bytes:
                    break
                if head_bytes > MAX_HEAD:
                    raise self._head_too_large() from exc
                raise ProtocolError(
                    _(
                        "{authority} did not answer in HTTP/1.1 ({exc}); if it is a classic "
                        "raw server, use a raw:// URL"
                    ).format(authority=url.authority, exc=exc)
                ) from exc
            if event is h11.NEED_DATA:
                if head_bytes > MAX_HEAD:
                    raise self._head_too_large()
                # Read no further than the limit: the rest of a head that is too long is not ours.
                count = recv_into(view[: max(1, min(len(view), MAX_HEAD + 1 - head_bytes))])
                head_bytes += count
                http.receive_data(bytes(view[:count]))
                continue
            if isinstance(event, h11.Response):
                return http, event, recv_into
            if isinstance(event, h11.ConnectionClosed):
                break
            if isinstance(event, h11.InformationalResponse):
                informational += 1
                if informational > MAX_INFORMATIONAL:
                    raise ProtocolError(
                        _(
                            "{authority} sent more than {max_informational} informational (1xx) "
                            "answers and no file"
                        ).format(authority=url.authority, max_informational=MAX_INFORMATIONAL)
                    )
        if self.received_bytes:
            raise TransferError(
                _("{authority} closed the connection in the middle of its answer").format(
                    authority=url.authority
                )
            )
        raise TransferError(
            _("{authority} closed the connection without an answer").format(authority=url.authority)
        )

    def _head_too_large(self) -> ProtocolError:
        return ProtocolError(
            _("{authority} sent an answer whose head is larger than {max_head} KiB").format(
                authority=self.share_url.authority, max_head=MAX_HEAD // 1024
            )
        )


def field_values(response: h11.Response, name: bytes) -> list[str]:
    """Every value of the field ``name`` (lower case), in order, as text."""
    return [value.decode("latin-1") for key, value in response.headers if key == name]


def header(response: h11.Response, name: bytes) -> str | None:
    """A field that may appear once (Content-Range, ETag, ...); None when absent.

    Raises:
        ProtocolError: it appears more than once with different values (RFC 9110 §5.3 allows
            repeating only list-valued fields).
    """
    values = field_values(response, name)
    if not values:
        return None
    if any(value.strip() != values[0].strip() for value in values[1:]):
        raise ProtocolError(
            _("the server sent {count} different {title} fields ({values})").format(
                count=len(values),
                title=name.decode().title(),
                values=", ".join(shown(v) for v in values[:3]),
            )
        )
    return values[0]


def list_header(response: h11.Response, name: bytes) -> str | None:
    """A list-valued field, its lines combined with ", " in order (RFC 9110 §5.3); None if absent."""
    values = field_values(response, name)
    return ", ".join(values) if values else None


def shown(text: str) -> str:
    """Server-chosen text fit for a message: control characters (C1 ones like CSI are legal in
    HTTP's obs-text) and other invisible characters are shown as escapes, not sent to a terminal."""
    return "".join(ch if ch.isprintable() or ch == " " else f"\\x{ord(ch):02x}" for ch in text)


def status_error(response: h11.Response, url: ShareUrl) -> TransferError:
    status = response.status_code
    reason = shown(response.reason.decode("latin-1", "replace"))
    code = f"{status} {reason}".strip()
    if 300 <= status < 400:
        location = header(response, b"location")
        where = _(" to {location}").format(location=shown(location)) if location else ""
        return TransferError(
            _(
                "the server redirects{where} ({code}); redirects are not followed: "
                "download from that address instead"
            ).format(where=where, code=code)
        )
    if status == 404:
        return TransferError(
            _("{authority} has no file named {name!r} ({code})").format(
                authority=url.authority, name=url.name, code=code
            )
        )
    if status == 401:
        if url.password is not None:
            return TransferError(
                _("{authority} refused the password ({code})").format(
                    authority=url.authority, code=code
                )
            )
        return TransferError(
            _(
                "{authority} needs a password ({code}): set SWB_PASSWORD or use "
                "{scheme}://:PASSWORD@{authority}/"
            ).format(authority=url.authority, code=code, scheme=url.scheme)
        )
    if status in (401, 403):
        return TransferError(
            _("{authority} refused access to {name!r} ({code})").format(
                authority=url.authority, name=url.name, code=code
            )
        )
    if status >= 500:
        return TransferError(
            _("the server at {authority} failed ({code})").format(
                authority=url.authority, code=code
            )
        )
    return TransferError(
        _("the server at {authority} answered {code}").format(authority=url.authority, code=code)
    )


def validator(response: h11.Response) -> str | None:
    """What If-Range can carry later: a strong ETag, else Last-Modified (RFC 9110 §13.1.5)."""
    etag = header(response, b"etag")
    if etag and etag.strip().startswith('"'):
        return etag.strip()
    modified = header(response, b"last-modified")
    return modified.strip() if modified else None
