"""This computer's network interface addresses, on Windows, macOS and Linux alike.

The share URLs, the QR code and the bind-address choices come from here. The interface table comes
from ``psutil`` (getifaddrs on POSIX, GetAdaptersAddresses on Windows), so no platform needs its own
ioctl or /proc reader.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import sys
from dataclasses import dataclass
from typing import Any

__all__ = ["InterfaceAddress", "interface_addresses", "local_addresses"]

# Documentation addresses (RFC 5737, RFC 3849): "connecting" a UDP socket to them sends nothing,
# but makes the OS pick the source address its default route would use.
_PROBE_TARGETS = {socket.AF_INET: "192.0.2.1", socket.AF_INET6: "2001:db8::1"}


@dataclass(frozen=True, slots=True)
class InterfaceAddress:
    """One address of one network interface.

    Attributes:
        interface: the OS's name for the interface ("eth0", "en0", "Wi-Fi").
        address: the address as text; an IPv6 link-local one carries its zone ("fe80::1%eth0"),
            without which it cannot be used (RFC 4007, section 11).
        family: ``socket.AF_INET`` or ``socket.AF_INET6``.
        scope_id: the IPv6 zone's interface index (0 when the address needs none).
        up: whether the interface is up and running (has a carrier).
    """

    interface: str
    address: str
    family: socket.AddressFamily
    scope_id: int
    up: bool

    @property
    def ip(self) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
        """The address without its zone."""
        return ipaddress.ip_address(self.address.split("%", 1)[0])

    @property
    def loopback(self) -> bool:
        """127.0.0.0/8 or ::1: reachable from this computer only."""
        return self.ip.is_loopback

    @property
    def link_local(self) -> bool:
        """169.254.0.0/16 or fe80::/10: reachable on the attached link only."""
        return self.ip.is_link_local


def interface_addresses(*, ipv6: bool = True) -> list[InterfaceAddress]:
    """The addresses of the interfaces that are up, the ones other machines can use first.

    Order: IPv4 LAN addresses (the one the default route leaves from first, then private ranges,
    then the rest), global and unique-local IPv6 (RFC 4193), IPv4 link-local (169.254/16), then
    IPv6 link-local with their zones. Within a group the OS's interface order is kept.
    Loopback and interfaces that are down or have no carrier (an unplugged cable, Wi-Fi not
    associated) are left out, unless nothing else is there: then the loopback addresses are the
    answer.

    Args:
        ipv6: include IPv6 addresses.
    Returns:
        A list without duplicates; it may be empty only if not even loopback is up.
    """
    every = _read_table()
    families = (socket.AF_INET, socket.AF_INET6) if ipv6 else (socket.AF_INET,)
    up = [a for a in every if a.up and a.family in families]
    usable = [a for a in up if not a.loopback]
    if not usable:
        usable = [a for a in up if a.loopback]
    preferred = _default_route_sources(families)
    positions = {a: i for i, a in enumerate(usable)}
    return sorted(usable, key=lambda a: (*_rank(a, preferred), positions[a]))


def local_addresses(*, ipv6: bool = True) -> list[str]:
    """Hosts for share URLs: :func:`interface_addresses` without link-local IPv6, loopback last.

    Link-local IPv6 addresses are left out because the major browsers do not accept a zone in a
    URL (RFC 6874 is not implemented by them). 127.0.0.1 (and ::1 with ``ipv6``) always end the
    list: those URLs work on this computer.
    """
    hosts = [
        a.address
        for a in interface_addresses(ipv6=ipv6)
        if not a.loopback and not (a.family == socket.AF_INET6 and a.link_local)
    ]
    hosts += ["127.0.0.1", "::1"] if ipv6 else ["127.0.0.1"]
    return list(dict.fromkeys(hosts))


def _read_table() -> list[InterfaceAddress]:
    import psutil

    try:
        table = psutil.net_if_addrs()
        stats = psutil.net_if_stats()
    except OSError:
        return _from_resolver()
    found: list[InterfaceAddress] = []
    for name, entries in table.items():
        state = stats.get(name)
        up = state.isup if state is not None else True
        for entry in entries:
            if entry.family == socket.AF_INET:
                found.append(InterfaceAddress(name, entry.address, socket.AF_INET, 0, up))
            elif entry.family == socket.AF_INET6 and (scoped := _scoped(name, entry.address)):
                found.append(InterfaceAddress(name, scoped[0], socket.AF_INET6, scoped[1], up))
    return list(dict.fromkeys(found))


def _scoped(interface: str, text: str) -> tuple[str, int] | None:
    """An IPv6 address with its zone when it needs one: (text, scope id), or None if unusable.

    A link-local address is unusable when its zone cannot be named: on Windows psutil gives the
    adapters' friendly names ("Wi-Fi"), which are not zone ids, unless the address carries one.
    """
    bare, _, zone = text.partition("%")
    try:
        ip = ipaddress.IPv6Address(bare)
    except ValueError:
        return None
    if not ip.is_link_local:
        return bare, 0
    zone = zone or interface
    if zone.isdigit():
        return f"{bare}%{zone}", int(zone)
    try:
        index = socket.if_nametoindex(zone)
    except OSError:
        return None
    # Windows knows zones by number only (its friendly interface names are not zone ids).
    return (f"{bare}%{index}" if sys.platform == "win32" else f"{bare}%{zone}"), index


def _from_resolver() -> list[InterfaceAddress]:
    """What the host name resolves to: the fallback when the interface table cannot be read."""
    found: list[InterfaceAddress] = []
    with contextlib.suppress(OSError, UnicodeError):
        for family, _kind, _proto, _name, sockaddr in socket.getaddrinfo(
            socket.gethostname(), None, type=socket.SOCK_DGRAM
        ):
            fields: tuple[Any, ...] = tuple(sockaddr)
            host = str(fields[0]).split("%", 1)[0]
            if family == socket.AF_INET6 and fields[3]:
                found.append(InterfaceAddress("", f"{host}%{fields[3]}", family, fields[3], True))
            elif family in (socket.AF_INET, socket.AF_INET6):
                found.append(InterfaceAddress("", host, family, 0, True))
    found.append(InterfaceAddress("", "127.0.0.1", socket.AF_INET, 0, True))
    found.append(InterfaceAddress("", "::1", socket.AF_INET6, 0, True))
    return list(dict.fromkeys(found))


def _default_route_sources(families: tuple[socket.AddressFamily, ...]) -> set[str]:
    """The source addresses the OS would pick for off-link traffic, one per family that has a
    route; found by connecting UDP sockets, which sends no packet."""
    sources: set[str] = set()
    for family in families:
        with contextlib.suppress(OSError), socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.connect((_PROBE_TARGETS[family], 9))
            sources.add(str(probe.getsockname()[0]).split("%", 1)[0])
    return sources


def _rank(address: InterfaceAddress, preferred: set[str]) -> tuple[int, int, int]:
    ip = address.ip
    if ip.is_loopback:
        group = 4
    elif address.family == socket.AF_INET6:
        group = 3 if ip.is_link_local else 1
    else:
        group = 2 if ip.is_link_local else 0
    return group, 0 if str(ip) in preferred else 1, 0 if ip.is_private else 1
