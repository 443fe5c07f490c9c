"""What the UDP sender and receiver share: datagram sizes, where a datagram goes, and sending one.

Sizes follow design.md ("Limits") and iperf3; macOS needs its send buffer grown before a large
datagram (:func:`fit_send_buffer`).
"""

from __future__ import annotations

import contextlib
import socket
import sys
from collections.abc import Callable

from net._i18n import _
from net.address import Endpoint, bind_endpoint, format_peer, parse_host, parse_port, resolve
from net.errors import AddressError, ConnectError, PayloadError, describe_connect_error

__all__ = [
    "DEFAULT_RCVBUF",
    "MAX_DATAGRAM",
    "RECEIVE_BUFFER",
    "check_payload",
    "fit_send_buffer",
    "max_payload",
    "send_one",
    "sender_endpoints",
    "target_for",
]

#: Bytes read per datagram: the largest UDP payload there is (design.md, "Limits"; iperf3).
RECEIVE_BUFFER = 65535
#: Largest payload one datagram carries: 65,535 minus the IPv4 (20) or IPv6 (none: its payload
#: length excludes its header) and UDP (8) headers. IPv6 jumbograms do not exist on real links.
MAX_DATAGRAM: dict[int, int] = {socket.AF_INET: 65507, socket.AF_INET6: 65527}
#: Receive buffer requested from the OS, so that a burst waits in the kernel, not on the floor.
DEFAULT_RCVBUF = 4 * 1024 * 1024

#: Room for the UDP and IP headers on top of the payload when sizing a send buffer.
_HEADER_ROOM = 64


def max_payload(family: int) -> int:
    """The largest payload of one datagram of address ``family`` (:data:`MAX_DATAGRAM`), bytes."""
    return MAX_DATAGRAM.get(family, 65507)


def check_payload(size: int, limit: int, peer: str | None = None) -> None:
    """Check that ``size`` bytes fit in one datagram of at most ``limit`` bytes (to ``peer``).

    Raises:
        PayloadError: they do not.
    """
    if size <= limit:
        return
    if peer is None:
        raise PayloadError(
            _(
                "{count:,} bytes do not fit in one UDP datagram (at most {max_payload:,} bytes)"
            ).format(count=size, max_payload=limit)
        )
    raise PayloadError(
        _(
            "{count:,} bytes do not fit in one UDP datagram (at most "
            "{max_payload:,} bytes to {peer})"
        ).format(count=size, max_payload=limit, peer=peer)
    )


def send_one(
    sock: socket.socket,
    data: bytes,
    target: Endpoint,
    wait_writable: Callable[[], bool] | None = None,
    peer: str = "",
) -> None:
    """Send ``data`` from ``sock`` to ``target`` as one datagram, growing the send buffer first
    where the system needs it (:func:`fit_send_buffer`).

    Args:
        wait_writable: when the send buffer is full, wait with it and try again (it returns
            False when the loop was shut down meanwhile); without it, a full buffer is an error.
        peer: the target as the caller names it in sentences (default: ``target``'s address).
    Raises:
        ConnectError: the system refused to send it (no route, broadcast not allowed, ...), the
            send buffer was full, or ``wait_writable`` gave up.
    """
    peer = peer or format_peer(target)
    fit_send_buffer(sock, len(data))
    while True:
        try:
            sock.sendto(data, target.sockaddr)
            return
        except (BlockingIOError, InterruptedError) as exc:
            if wait_writable is None:
                raise ConnectError(
                    _(
                        "the system's send buffer is full: the datagram to {peer} was not sent; "
                        "try again"
                    ).format(peer=peer)
                ) from exc
            if not wait_writable():
                raise ConnectError(
                    _("stopped before the datagram to {peer} was sent").format(peer=peer)
                ) from None
        except OSError as exc:
            raise ConnectError(describe_connect_error(exc, target.host, target.port)) from exc


def sender_endpoints(
    host: str, port: int | str, bind_host: str, bind_port: int | str, resolve_timeout: float
) -> tuple[Endpoint, Endpoint]:
    """Where to send and where to bind: an address of ``host`` (IPv4 when it has both, since
    that is where most UDP peers listen; of ``bind_host``'s version when that is given), and
    ``bind_host``:``bind_port`` or the wildcard address of the target's version.

    Raises:
        AddressError: a bad host or port, an unknown host name, or a bind address of the other
            IP version.
    """
    port = parse_port(port)
    bind_port = parse_port(bind_port, allow_zero=True)
    endpoints = resolve(host, port, kind=socket.SOCK_DGRAM, timeout=resolve_timeout)
    if parse_host(bind_host, allow_empty=True):
        local = bind_endpoint(bind_host, bind_port, kind=socket.SOCK_DGRAM)
        same_family = [e for e in endpoints if e.family == local.family]
        if not same_family:
            raise AddressError(
                _("cannot send from {host} to {host2}: they are of different IP versions").format(
                    host=local.host, host2=host
                )
            )
        return same_family[0], local
    target = next((e for e in endpoints if e.family == socket.AF_INET), endpoints[0])
    wildcard = "0.0.0.0" if target.family == socket.AF_INET else "::"
    return target, Endpoint(target.family, (wildcard, bind_port))


def target_for(
    sock: socket.socket, host: str, port: int | str, resolve_timeout: float, *, where: str
) -> Endpoint:
    """Where a datagram from ``sock`` to ``host``:``port`` goes: an address of the socket's IP
    version (an IPv4 address, mapped, from a dual-stack IPv6 socket).

    Raises:
        AddressError: a bad or unknown host or port, or only addresses of the other version.
    """
    port = parse_port(port)
    endpoints = resolve(host, port, kind=socket.SOCK_DGRAM, timeout=resolve_timeout)
    for endpoint in endpoints:
        if endpoint.family == sock.family:
            return endpoint
    if sock.family == socket.AF_INET6:
        v4 = endpoints[0].host
        return Endpoint(socket.AF_INET6, (f"::ffff:{v4}", port, 0, 0))
    raise AddressError(
        _("cannot send from {host} to {host2}: they are of different IP versions").format(
            host=where, host2=host
        )
    )


def fit_send_buffer(sock: socket.socket, size: int) -> None:
    """Make room in ``sock``'s send buffer for one datagram of ``size`` bytes, where needed.

    macOS refuses datagrams larger than the socket's send buffer (9,216 bytes by default) with
    EMSGSIZE, although UDP carries up to 65,507; other systems' defaults hold any datagram.
    A system that grants less leaves the send to fail with its own sentence.
    """
    if sys.platform != "darwin":
        return
    wanted = size + _HEADER_ROOM
    with contextlib.suppress(OSError):
        if sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) < wanted:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, wanted)
