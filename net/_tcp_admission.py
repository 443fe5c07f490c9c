"""How a client gets into a TCP server (net.tcp.TcpServer): the listening socket, accepting at the
descriptor limit, and the TLS handshake a client finishes before it counts as connected.

At the descriptor limit accept() fails and the client would hang in the backlog; a spare
descriptor, freed for a moment, lets the server accept it and close it with a reason (libuv's way).
A TLS client's handshake runs non-blocking in the server's loop, with a deadline, so a client that
never finishes it cannot hold up the others.
"""

from __future__ import annotations

import contextlib
import errno
import os
import selectors
import socket
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from net._i18n import _
from net._loop import descriptor_limit
from net._tcp_conn import Connection
from net._tcp_loop import ACCEPT
from net.address import DEFAULT_RESOLVE_TIMEOUT, bind_endpoint, bound_socket, format_peer
from net.errors import AddressError
from net.keepalive import set_keepalive

if TYPE_CHECKING:
    import ssl

__all__ = [
    "Listener",
    "ServerHandshakes",
    "check_max_clients",
    "listening_socket",
    "prepare",
    "refusal",
]

# accept() failing for lack of resources: stop accepting until a client leaves, or it spins.
_ACCEPT_EXHAUSTED = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}


def listening_socket(
    host: str, port: int | str, backlog: int = 128, resolve_timeout: float = DEFAULT_RESOLVE_TIMEOUT
) -> tuple[socket.socket, str]:
    """A non-blocking TCP socket listening on ``host:port``, and its address ("127.0.0.1:8000").

    Raises:
        AddressError: a bad host or port.
        BindError: the port is in use, or the address is not this computer's.
    """
    local = bind_endpoint(host, port, kind=socket.SOCK_STREAM, timeout=resolve_timeout)
    sock = bound_socket(local, socket.SOCK_STREAM, listen=backlog, reuse_address=True)
    return sock, format_peer((local.host, int(sock.getsockname()[1])))


def prepare(
    sock: socket.socket,
    keepalive: tuple[int, int, int] | None,
    handshakes: ServerHandshakes | None,
) -> tuple[socket.socket, str] | None:
    """Make an accepted socket ready for the server's loop: non-blocking, without Nagle's delay,
    with ``keepalive`` (idle, interval, count) when given, and wrapped by ``handshakes`` for TLS.

    Returns:
        The socket and its local address ("127.0.0.1:8000"); None (the socket closed) when the
        client reset before it was ready.
    """
    try:
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if keepalive is not None:
            with contextlib.suppress(OSError):  # checked by the server; works without
                set_keepalive(sock, *keepalive)
        local = format_peer(sock.getsockname())
        if handshakes is not None:
            sock = handshakes.wrap(sock)
    except (OSError, ValueError):
        sock.close()
        return None
    return sock, local


def check_max_clients(max_clients: int) -> None:
    """Check the most clients a server may serve at once, as the user gave it.

    Raises:
        AddressError: it is not a whole number of 1 or more.
    """
    if isinstance(max_clients, bool) or not isinstance(max_clients, int) or max_clients < 1:
        raise AddressError(
            _("the most clients at once must be 1 or more, not {max_clients!r}").format(
                max_clients=max_clients
            )
        )


def refusal(peer: str, max_clients: int, limit_reason: str | None) -> str:
    """The sentence for ``peer`` refused because ``max_clients`` are connected (lowered from what
    was asked for because of ``limit_reason``, when that is given)."""
    reason = _("refused {peer}: the server already has {max_clients} clients, its limit").format(
        peer=peer, max_clients=max_clients
    )
    if limit_reason:
        reason += f" ({limit_reason})"
    return reason


class Listener:
    """A server's listening socket, and a spare descriptor for refusing clients at the limit."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._spare = _spare_descriptor()
        #: True while accepting waits for a client to leave (no descriptor left, no spare).
        self.paused = False

    def accepted(
        self,
        selector: selectors.BaseSelector | None,
        most: int,
        on_refused: Callable[[str, str], None],
    ) -> Iterator[tuple[socket.socket, Any]]:
        """The clients waiting now (socket and address), at most ``most`` of them so the connected
        ones get a turn too.

        A client refused at the descriptor limit goes to ``on_refused(peer, reason)``. When no
        descriptor is left even for that, the listener leaves ``selector`` (it would wake the
        loop again at once, for ever) until :meth:`resume`.
        """
        for _accepted in range(most):
            try:
                sock, address = self.sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                if exc.errno not in _ACCEPT_EXHAUSTED:
                    return
                refused = self._refuse_with_spare(on_refused)
                if refused:
                    continue
                if refused is None:
                    return  # nobody else waits (Linux says EMFILE before it looks)
                if selector is not None:
                    selector.unregister(self.sock)
                    self.paused = True
                return
            yield sock, address

    def resume(self, selector: selectors.BaseSelector | None) -> None:
        """Accept again (a client has left, so a descriptor is free), if accepting was paused."""
        if self.paused and selector is not None:
            self.paused = False
            selector.register(self.sock, selectors.EVENT_READ, ACCEPT)

    def close(self) -> None:
        self.sock.close()
        spare, self._spare = self._spare, None
        if spare is not None:
            os.close(spare)

    def _refuse_with_spare(self, on_refused: Callable[[str, str], None]) -> bool | None:
        """accept() failed for lack of descriptors: free the spare one, accept the waiting
        client with it, close it with a reason, and take the spare again.

        Returns:
            True when a client was refused; None when no client was waiting after all; False
            when there is no spare, or the client could not be accepted even so.
        """
        if self._spare is None:
            return False
        os.close(self._spare)
        self._spare = None
        try:
            try:
                sock, address = self.sock.accept()
            except (BlockingIOError, InterruptedError):
                return None
            except OSError:
                return False
            sock.close()
        finally:
            self._spare = _spare_descriptor()
        peer = format_peer(address)
        limit = descriptor_limit()
        reason = _(
            "refused {peer}: this process has no descriptors left for another connection"
        ).format(peer=peer)
        if limit is not None:
            reason += _(" (its limit is {limit} open files and sockets)").format(limit=limit)
        on_refused(peer, reason)
        return True


class ServerHandshakes:
    """The TLS handshakes of a server's new clients, taken a step at a time as their sockets
    become ready, oldest (so soonest deadline) first."""

    def __init__(self, context: ssl.SSLContext, timeout: float) -> None:
        self.context = context
        self.timeout = timeout
        self._pending: dict[int, Connection] = {}

    def wrap(self, sock: socket.socket) -> socket.socket:
        """``sock`` as the server side of a TLS connection whose handshake has not begun.

        Raises:
            OSError, ValueError: the client reset before it could be wrapped.
        """
        # A cut without close_notify must read as an error, not as the end.
        return self.context.wrap_socket(
            sock, server_side=True, do_handshake_on_connect=False, suppress_ragged_eofs=False
        )

    def begin(self, conn: Connection, address: Any) -> None:
        """Start timing ``conn``'s handshake; it is driven by :meth:`step`."""
        conn.handshaking = True
        conn.handshake_deadline = time.monotonic() + self.timeout
        conn.address = (str(address[0]), int(address[1]))
        self._pending[conn.conn_id] = conn

    def step(self, conn: Connection) -> bool | BaseException:
        """Take ``conn``'s handshake one step further.

        Returns:
            True once it is done; False while it waits (for what: ``conn.handshake_events``);
            the exception when it failed.
        """
        import ssl  # loaded already: the server's context made this socket

        from net.tls import handshake_step

        assert isinstance(conn.sock, ssl.SSLSocket)
        try:
            waits = handshake_step(conn.sock)
        except (OSError, ValueError) as exc:
            return exc
        if waits:
            conn.handshake_events = waits
            return False
        self.forget(conn)
        conn.handshaking = False
        return True

    def late(self, now: float) -> Connection | None:
        """The oldest handshake if its deadline has passed at ``now``, else None."""
        oldest = next(iter(self._pending.values()), None)
        if oldest is not None and oldest.handshake_deadline <= now:
            return oldest
        return None

    def next_deadline(self) -> float | None:
        """When the oldest handshake must be done (time.monotonic()), or None."""
        oldest = next(iter(self._pending.values()), None)
        return oldest.handshake_deadline if oldest is not None else None

    def failure(self, conn: Connection, exc: BaseException) -> str:
        """Stop timing ``conn``'s failed handshake; returns the sentence for ``exc`` (net.tls)."""
        self.forget(conn)
        host, port = conn.address
        from net.tls import describe_ssl_error

        return describe_ssl_error(exc, host, port, server_side=True)

    def forget(self, conn: Connection) -> None:
        self._pending.pop(conn.conn_id, None)


def _spare_descriptor() -> int | None:
    """A descriptor held in reserve for refusing a client at the descriptor limit, or None."""
    try:
        return os.open(os.devnull, os.O_RDONLY)
    except OSError:
        return None
