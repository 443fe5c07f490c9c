"""The client side of one exchange: connect (TLS when asked), send, and read a response head with
deadlines, where ``shutdown()`` ends any wait at once; and how a response's fields are read."""

from __future__ import annotations

import contextlib
import errno
import os
import selectors
import socket
import ssl
from collections.abc import Callable
from typing import TYPE_CHECKING

import h11

from net._loop import StoppableLoop, Waker
from net.address import resolve
from net.download.urls import DEFAULT_PORTS, ShareUrl
from net.errors import ConnectError, ProtocolError, TransferError, describe_connect_error

if TYPE_CHECKING:
    from net.tls import ClientTls

__all__ = ["Cancelled", "Client", "Restart", "TransferCancelled", "header", "shown", "status_error"]

MAX_HEAD = 64 * 1024
USER_AGENT = "socket-workbench"


class TransferCancelled(TransferError):
    """The download was cancelled with ``shutdown()``; the ``.part`` is kept for a later resume."""


class Cancelled(Exception):
    pass


class Restart(Exception):
    """Start the HTTP download over from byte 0 on a new connection."""


class Client(StoppableLoop):
    """Connecting and reading with deadlines, where ``shutdown()`` ends any wait at once."""

    def __init__(self, url: ShareUrl, tls: ClientTls | None, timeout: float) -> None:
        super().__init__()
        self.share_url = url
        self._tls = tls
        self._timeout = timeout
        self._selector: selectors.BaseSelector | None = None

    def _connect(self) -> socket.socket:
        url = self.share_url
        endpoints = resolve(url.host, url.port, timeout=min(self._timeout, 10.0))
        failure: OSError | None = None
        for endpoint in endpoints:
            if self.stopping:
                raise Cancelled
            sock = socket.socket(endpoint.family, socket.SOCK_STREAM)
            sock.setblocking(False)
            try:
                code = sock.connect_ex(endpoint.sockaddr)
                if code not in (0, errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EAGAIN):
                    raise OSError(code, os.strerror(code))
                if code != 0:
                    self._wait(sock, selectors.EVENT_WRITE, self._timeout)
                    code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if code:
                        raise OSError(code, os.strerror(code))
            except Cancelled:
                sock.close()
                raise
            except OSError as exc:
                sock.close()
                failure = exc
                continue
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.share_url.scheme == "https" or (url.scheme == "raw" and self._tls is not None):
                return self._start_tls(sock)
            return sock
        assert failure is not None
        raise ConnectError(describe_connect_error(failure, url.host, url.port)) from failure

    def _start_tls(self, sock: socket.socket) -> socket.socket:
        from net.tls import ClientTls, wrap_client  # only TLS downloads need it

        try:
            return wrap_client(
                sock, self.share_url.host, self._tls or ClientTls(), self._timeout, loop=self
            )
        except ConnectError:
            if self.stopping:
                raise Cancelled from None
            raise

    def _wait(self, sock: socket.socket, events: int, timeout: float) -> None:
        """Wait until ``sock`` is ready; Cancelled on shutdown(), TimeoutError after ``timeout``."""
        selector = self.new_selector()
        try:
            selector.register(sock, events)
            ready = selector.select(timeout)
        finally:
            selector.close()
        if self.stopping or any(isinstance(key.data, Waker) for key, _ in ready):
            raise Cancelled
        if not ready:
            raise TimeoutError(errno.ETIMEDOUT, "timed out")

    def _reader(self, sock: socket.socket) -> Callable[[memoryview], int]:
        """A recv_into for ``sock`` that waits in one selector with the waker (made once)."""
        selector = self.new_selector()
        selector.register(sock, selectors.EVENT_READ)
        self._selector = selector
        timeout = self._timeout

        def recv_into(view: memoryview) -> int:
            while True:
                try:
                    return sock.recv_into(view)
                except (BlockingIOError, InterruptedError, ssl.SSLWantReadError):
                    pass
                if self.stopping:
                    raise Cancelled
                ready = selector.select(timeout)
                if self.stopping or any(isinstance(key.data, Waker) for key, _ in ready):
                    raise Cancelled
                if not ready:
                    raise TimeoutError(errno.ETIMEDOUT, "timed out")

        return recv_into

    def _send_all(self, sock: socket.socket, data: bytes) -> None:
        view = memoryview(data)
        while view:
            try:
                sent = sock.send(view)
            except (BlockingIOError, InterruptedError, ssl.SSLWantWriteError):
                self._wait(sock, selectors.EVENT_WRITE, self._timeout)
                continue
            view = view[sent:]

    def _close_reader(self) -> None:
        if self._selector is not None:
            self._selector.close()
            self._selector = None

    def _request_head(
        self, sock: socket.socket, headers: list[tuple[str, str]]
    ) -> tuple[h11.Connection, h11.Response, Callable[[memoryview], int]]:
        """Send a GET for the URL's target and read the response head (1xx skipped)."""
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
        request = h11.Request(method="GET", target=url.target, headers=base + headers)
        self._send_all(sock, (http.send(request) or b"") + (http.send(h11.EndOfMessage()) or b""))
        recv_into = self._reader(sock)
        buffer = bytearray(64 * 1024)
        view = memoryview(buffer)
        answered = False
        while True:
            try:
                event = http.next_event()
            except h11.RemoteProtocolError as exc:
                if not answered:
                    break
                raise ProtocolError(
                    f"{url.authority} did not answer in HTTP/1.1 ({exc}); if it is a classic raw "
                    "server, use a raw:// URL"
                ) from exc
            if event is h11.NEED_DATA:
                count = recv_into(view)
                answered = answered or count > 0
                http.receive_data(bytes(view[:count]))
                continue
            if isinstance(event, h11.Response):
                return http, event, recv_into
            if isinstance(event, h11.ConnectionClosed):
                break
            # InformationalResponse (1xx): keep reading
        raise TransferError(f"{url.authority} closed the connection without an answer")


def header(response: h11.Response, name: bytes) -> str | None:
    for key, value in response.headers:
        if key == name:
            return value.decode("latin-1")
    return None


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
        where = f" to {shown(location)}" if location else ""
        return TransferError(
            f"the server redirects{where} ({code}); redirects are not followed: "
            "download from that address instead"
        )
    if status == 404:
        return TransferError(f"{url.authority} has no file named {url.name!r} ({code})")
    if status in (401, 403):
        return TransferError(f"{url.authority} refused access to {url.name!r} ({code})")
    if status >= 500:
        return TransferError(f"the server at {url.authority} failed ({code})")
    return TransferError(f"the server at {url.authority} answered {code}")


def validator(response: h11.Response) -> str | None:
    """What If-Range can carry later: a strong ETag, else Last-Modified (RFC 9110 §13.1.5)."""
    etag = header(response, b"etag")
    if etag and etag.strip().startswith('"'):
        return etag.strip()
    modified = header(response, b"last-modified")
    return modified.strip() if modified else None
