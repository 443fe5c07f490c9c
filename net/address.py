"""Hosts and ports as users type them: validation with clear messages, and resolution with a deadline.

Parsing is pure; only :func:`resolve` touches the network (DNS), and it never waits past its timeout.
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import re
import socket
import sys
import threading
from collections.abc import Callable
from typing import Any

from net._i18n import _
from net._record import Record
from net.errors import AddressError, BindError, describe_bind_error

__all__ = [
    "Endpoint",
    "bind_endpoint",
    "bound_socket",
    "format_peer",
    "parse_host",
    "parse_port",
    "resolve",
    "server_socket",
]

_LABEL = re.compile(r"^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$")
_HOST_AND_PORT = re.compile(r"^(\[[^\]]*\]|[^:\[\]]+):[0-9]*$")
DEFAULT_RESOLVE_TIMEOUT = 5.0


class Endpoint(Record):
    """A resolved address: what ``socket.socket(family, ...)`` and ``connect(sockaddr)`` take."""

    family: socket.AddressFamily
    sockaddr: tuple[Any, ...]

    @property
    def host(self) -> str:
        return str(self.sockaddr[0])

    @property
    def port(self) -> int:
        return int(self.sockaddr[1])

    def __str__(self) -> str:
        return format_peer(self.sockaddr)


def parse_port(text: str | int, *, allow_zero: bool = False) -> int:
    """Return the port number in ``text``.

    Args:
        text: what the user typed (surrounding spaces are ignored) or an int.
        allow_zero: accept 0, meaning "any free port" (only where binding).
    Raises:
        AddressError: empty, not a whole number, or outside 1-65535 (0-65535 with allow_zero).
    """
    if isinstance(text, int) and not isinstance(text, bool):
        value = text
    else:
        raw = str(text).strip()
        if not raw:
            raise AddressError(_("the port is empty: type a number from 1 to 65535"))
        if not raw.isascii() or not raw.isdigit():
            raise AddressError(
                _("port {port!r} is not a number: type a number from 1 to 65535").format(port=raw)
            )
        if len(raw) > 6:
            raise AddressError(
                _("port {port} is out of range: ports go from 1 to 65535").format(port=raw)
            )
        value = int(raw)
    low = 0 if allow_zero else 1
    if not low <= value <= 65535:
        if value == 0:
            raise AddressError(_("port 0 cannot be used here: type a number from 1 to 65535"))
        raise AddressError(
            _("port {value} is out of range: ports go from 1 to 65535").format(value=value)
        )
    return value


def parse_host(text: str, *, allow_empty: bool = False) -> str:
    """Return the host in ``text`` in a normal form: an IP literal, or a lower-case name.

    Accepts IPv4 ("192.168.1.10"), IPv6 ("::1", "[fe80::1%eth0]") and host names ("localhost",
    "example.org"). Brackets around IPv6 are removed.

    Raises:
        AddressError: empty (unless ``allow_empty``), or not a possible IP address or host name.
    """
    raw = text.strip()
    if not raw:
        if allow_empty:
            return ""
        raise AddressError(_("the host is empty: type an IP address or a host name"))
    if raw.startswith("[") and raw.endswith("]"):
        raw = raw[1:-1].strip()
        if not raw:
            raise AddressError(_("the host is empty: type an IP address or a host name"))
    if len(raw) > 253:
        raise AddressError(_("the host name is too long (at most 253 characters)"))
    if "://" in raw:
        raise AddressError(
            _("{raw!r} is a URL: type only the host, like example.org").format(raw=raw)
        )
    if ":" in raw:
        try:
            return str(ipaddress.IPv6Address(raw))
        except ValueError:
            pass
        if _HOST_AND_PORT.match(raw):
            # "example.org:80" or "[::1]:80": the port has a field (or argument) of its own.
            raise AddressError(
                _("{raw!r} looks like host:port: give the host and the port separately").format(
                    raw=raw
                )
            ) from None
        raise AddressError(_("{raw!r} is not a valid IPv6 address").format(raw=raw)) from None
    if re.fullmatch(r"[0-9.]+", raw):
        try:
            return str(ipaddress.IPv4Address(raw))
        except ValueError:
            raise AddressError(
                _(
                    "{raw!r} is not a valid IPv4 address (four numbers from 0 to 255, like "
                    "192.168.1.10)"
                ).format(raw=raw)
            ) from None
    name = raw.rstrip(".")
    try:
        # Internationalised names become their ASCII form; the user keeps seeing what they typed.
        ascii_name = name.encode("idna").decode("ascii") if not name.isascii() else name
    except UnicodeError:
        raise AddressError(_("{raw!r} is not a valid host name").format(raw=raw)) from None
    if re.fullmatch(r"[0-9.]+", ascii_name):
        # IDNA maps look-alikes ("²", fullwidth digits) to ASCII digits; a name made only of them
        # would be read as an IPv4 number by the resolver ("2" is 0.0.0.2).
        raise AddressError(_("{raw!r} is not a valid host name or IP address").format(raw=raw))
    labels = ascii_name.split(".")
    if not labels or not all(_LABEL.match(label) for label in labels):
        raise AddressError(
            _(
                "{raw!r} is not a valid host name: use letters, digits, '-' and dots, "
                "or an IP address"
            ).format(raw=raw)
        )
    return ascii_name.lower()


def resolve(
    host: str,
    port: int,
    *,
    kind: socket.SocketKind = socket.SOCK_STREAM,
    family: socket.AddressFamily = socket.AF_UNSPEC,
    passive: bool = False,
    timeout: float = DEFAULT_RESOLVE_TIMEOUT,
) -> list[Endpoint]:
    """Resolve ``host`` to endpoints for ``port``, IP literals without DNS, names within ``timeout``.

    Args:
        host: a host as returned by :func:`parse_host`; "" with ``passive`` means every address.
        port: the port, already validated.
        kind: SOCK_STREAM or SOCK_DGRAM.
        family: restrict to AF_INET or AF_INET6.
        passive: for binding (an empty host is then the wildcard address).
        timeout: seconds to wait for DNS.
    Returns:
        The endpoints in the resolver's order of preference, without duplicates.
    Raises:
        AddressError: the name does not exist, or DNS did not answer in time.
    """
    host = parse_host(host, allow_empty=passive)
    flags = socket.AI_PASSIVE if passive else 0
    # getaddrinfo encodes a str with the idna codec, whose import (with unicodedata) costs about a
    # millisecond of start-up; for an ASCII name (labels checked above) its result is the ASCII bytes.
    lookup_host: str | bytes | None = (host.encode("ascii") if host.isascii() else host) or None
    if _is_ip_literal(host) or not host:
        try:
            infos = socket.getaddrinfo(lookup_host, port, family, kind, 0, flags | _numeric(host))
        except socket.gaierror as literal_error:
            # No DNS here: the literal does not fit the family asked for, or its %zone is unknown.
            if family == socket.AF_INET:
                raise AddressError(
                    _("{host} is not an IPv4 address").format(host=host)
                ) from literal_error
            if family == socket.AF_INET6:
                raise AddressError(
                    _("{host} is not an IPv6 address").format(host=host)
                ) from literal_error
            raise AddressError(
                _("{host!r} cannot be used here: {strerror}").format(
                    host=host, strerror=literal_error.strerror
                )
            ) from literal_error
        return _dedupe(infos)

    result: list[Any] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            result.extend(socket.getaddrinfo(lookup_host, port, family, kind, 0, flags))
        except BaseException as exc:  # handed to the waiting thread below
            failure.append(exc)

    # getaddrinfo has no timeout of its own; a daemon thread lets us stop waiting for it.
    worker = threading.Thread(target=run, name=f"resolve {host}", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise AddressError(
            _("looking up {host!r} took longer than {timeout:g} s (is DNS reachable?)").format(
                host=host, timeout=timeout
            )
        )
    if failure:
        exc = failure[0]
        if isinstance(exc, socket.gaierror):
            if family in _FAMILY_NAMES and exc.errno in _no_address_codes():
                raise AddressError(
                    _("{host!r} has no {family_names} address").format(
                        host=host, family_names=_FAMILY_NAMES[family]
                    )
                ) from exc
            raise AddressError(
                _("no such host: {host!r} could not be found").format(host=host)
            ) from exc
        raise AddressError(
            _("could not look up {host!r}: {exc}").format(host=host, exc=exc)
        ) from exc
    if not result:
        raise AddressError(_("no such host: {host!r} could not be found").format(host=host))
    return _dedupe(result)


def bind_endpoint(
    host: str,
    port: int | str,
    *,
    kind: socket.SocketKind = socket.SOCK_STREAM,
    timeout: float = DEFAULT_RESOLVE_TIMEOUT,
) -> Endpoint:
    """The local address to bind for ``host`` and ``port`` (0 = any free port).

    "" means every IPv4 address ("0.0.0.0"), as most servers and tools default to; "::" means every
    IPv6 address (the caller makes it dual-stack where the OS allows). A name binds its first address.

    Raises:
        AddressError: as :func:`resolve`, or a port out of range.
    """
    port = parse_port(port, allow_zero=True)
    host = parse_host(host, allow_empty=True)
    if not host:
        return Endpoint(socket.AF_INET, ("0.0.0.0", port))
    return resolve(host, port, kind=kind, passive=True, timeout=timeout)[0]


def bound_socket(
    local: Endpoint,
    kind: socket.SocketKind,
    *,
    listen: int | None = None,
    reuse_address: bool = False,
    dual_stack: bool | None = None,
    name: str = "",
    prepare: Callable[[socket.socket], None] | None = None,
) -> socket.socket:
    """A non-blocking socket of ``kind`` bound to ``local`` (from :func:`bind_endpoint`).

    The one place where sockets are bound, for TCP servers, the file server and UDP alike.
    ``socket.create_server`` follows the same rules (SO_REUSEADDR except on Windows, IPV6_V6ONLY
    for dual stack) but cannot be the core here: it makes TCP sockets only, has no step for
    options that must be set before the bind (``prepare``), always sets SO_REUSEADDR, raises
    ValueError instead of binding IPv6 alone where dual stack is missing, and rewrites the
    system's error text, which the BindError sentence quotes.

    Args:
        listen: listen with this backlog (TCP servers).
        reuse_address: SO_REUSEADDR, except on Windows, where it would let another program
            take the port (there a restarted server needs none; elsewhere it restarts at once
            on a port whose old connections sit in TIME_WAIT, and multicast receivers share it).
        dual_stack: for IPv6 (RFC 3493 section 5.3): None, "::" also takes IPv4 where the system
            allows; True, it must (else BindError, so that the caller can bind IPv4 instead);
            False, IPv6 only.
        name: the host as the user gave it, for the error sentence (default: the address).
        prepare: sets further options before the bind (buffers, broadcast).
    Raises:
        BindError: the port is in use, or the address is not this computer's.
    """
    sock = socket.socket(local.family, kind)
    try:
        if reuse_address and sys.platform != "win32":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            if local.family == socket.AF_INET6 and dual_stack is not None:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, int(not dual_stack))
            elif local.family == socket.AF_INET6 and local.host == "::":
                with contextlib.suppress(OSError, AttributeError):
                    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            if prepare is not None:
                prepare(sock)
            sock.bind(local.sockaddr)
            if listen is not None:
                sock.listen(listen)
        except OSError as exc:
            raise BindError(describe_bind_error(exc, name or local.host, local.port)) from exc
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def server_socket(
    host: str, port: int | str, *, timeout: float = DEFAULT_RESOLVE_TIMEOUT
) -> socket.socket:
    """A non-blocking TCP socket listening on ``host:port`` (backlog SOMAXCONN) for a server
    that every client should reach, whatever its address family.

    "" means every address: one dual-stack IPv6 socket, or IPv4 alone where the system has no
    IPv6 or cannot take both families on one socket. A name listens on its first address that
    can be bound.

    Raises:
        AddressError: as :func:`resolve`, or a port out of range.
        BindError: the port is in use or forbidden (for "", on either family), or no address
            of the name can be bound (the first failure is told).
    """
    port = parse_port(port, allow_zero=True)
    host = parse_host(host, allow_empty=True)
    if host:
        endpoints = resolve(host, port, passive=True, timeout=timeout)
    else:
        endpoints = [Endpoint(socket.AF_INET, ("0.0.0.0", port))]
        if socket.has_ipv6:
            endpoints.insert(0, Endpoint(socket.AF_INET6, ("::", port, 0, 0)))
    failure: BindError | None = None
    for local in endpoints:
        dual = local.host == "::" and not host
        try:
            return bound_socket(
                local,
                socket.SOCK_STREAM,
                listen=socket.SOMAXCONN,
                reuse_address=True,
                dual_stack=dual if local.family == socket.AF_INET6 else None,
                name=host,
            )
        except BindError as exc:
            cause = exc.__cause__
            if dual and isinstance(cause, OSError) and cause.errno in _TAKEN:
                raise  # IPv4 would fail the same way: say it for the address asked for
            failure = failure or exc
    assert failure is not None
    raise failure


def format_peer(sockaddr: tuple[Any, ...] | Endpoint) -> str:
    """``127.0.0.1:9`` for IPv4, ``[::1]:9`` for IPv6 (the form URLs and most tools use)."""
    if isinstance(sockaddr, Endpoint):
        sockaddr = sockaddr.sockaddr
    host, port = str(sockaddr[0]), int(sockaddr[1])
    if host.startswith("::ffff:") and "." in host:
        host = host[7:]  # an IPv4 peer on a dual-stack socket reads better without the prefix
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


_FAMILY_NAMES = {socket.AF_INET: "IPv4", socket.AF_INET6: "IPv6"}
# Bind errors that a wildcard IPv4 socket would meet too (the port is taken, or not ours).
_TAKEN = (errno.EADDRINUSE, errno.EACCES, errno.EPERM)


def _no_address_codes() -> set[int]:
    """The getaddrinfo errors that, for a lookup restricted to one family, mean "no address of
    that family": EAI_ADDRFAMILY exists only on Linux and macOS, EAI_NODATA not everywhere
    (read at call time: the Windows stand-in removes them after import)."""
    names = ("EAI_NONAME", "EAI_ADDRFAMILY", "EAI_NODATA")
    return {code for name in names if isinstance(code := getattr(socket, name, None), int)}


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def _numeric(host: str) -> int:
    return socket.AI_NUMERICHOST if host else 0


def _dedupe(infos: list[Any]) -> list[Endpoint]:
    seen: set[tuple[Any, ...]] = set()
    endpoints: list[Endpoint] = []
    for fam, _kind, _proto, _canon, sockaddr in infos:
        key = (fam, *sockaddr)
        if key in seen:
            continue
        seen.add(key)
        endpoints.append(Endpoint(socket.AddressFamily(fam), tuple(sockaddr)))
    return endpoints
