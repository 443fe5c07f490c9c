"""Multicast group membership for the UDP receiver: the group a user typed, and joining it on an
interface (IP_ADD_MEMBERSHIP, or IPV6_JOIN_GROUP with an interface index, RFC 3493 section 5.2).
"""

from __future__ import annotations

import errno
import ipaddress
import socket
import struct
from typing import TypeAlias

from net._i18n import _
from net.address import parse_host, resolve
from net.errors import AddressError, BindError, system_words

__all__ = ["Group", "join_group", "parse_group"]

#: A multicast group address.
Group: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_group(text: str) -> tuple[Group, str]:
    """The group in ``text`` and the zone given with it ("ff02::1%12" names interface 12)."""
    raw = text.strip().strip("[]")
    address, _percent, zone = raw.partition("%")
    try:
        group = ipaddress.ip_address(address)
    except ValueError:
        raise AddressError(
            _("{text!r} is not a multicast group: use an address like 239.1.2.3 or ff15::1").format(
                text=text
            )
        ) from None
    if not group.is_multicast:
        raise AddressError(
            _(
                "{group} is not a multicast address (IPv4 groups are 224.0.0.0 to 239.255.255.255)"
            ).format(group=group)
        )
    if zone and group.version == 4:
        raise AddressError(
            _("{text!r}: only IPv6 groups take a %zone (an interface)").format(text=text)
        )
    return group, zone


def _interface_index(zone: str) -> int:
    """The interface index a zone names: a number as Windows shows it ("12"), or a name ("eth0").

    Raises:
        OSError: no interface has that name.
    """
    if zone.isascii() and zone.isdigit():
        return int(zone)
    return socket.if_nametoindex(zone)


def join_group(
    sock: socket.socket,
    group: Group,
    interface: str,
    zone: str,
    resolve_timeout: float,
) -> None:
    """Join ``group`` on ``interface`` (an address; for IPv6 its %zone), or on the interface
    ``zone`` names (the group's own %zone), or where the system chooses."""
    interface = parse_host(interface, allow_empty=True)
    try:
        if group.version == 4:
            if interface:
                found = resolve(
                    interface,
                    0,
                    kind=socket.SOCK_DGRAM,
                    family=socket.AF_INET,
                    timeout=resolve_timeout,
                )
                local = found[0].host
            else:
                local = "0.0.0.0"
            request = socket.inet_aton(str(group)) + socket.inet_aton(local)
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, request)
        else:
            if "%" in interface:
                zone = interface.split("%", 1)[1]
            index = _interface_index(zone) if zone else 0
            request = socket.inet_pton(socket.AF_INET6, str(group)) + struct.pack("@I", index)
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, request)
    except OSError as exc:
        if exc.errno == errno.ENODEV and zone:
            raise BindError(
                _(
                    "cannot join the multicast group {group}: this computer has no network "
                    "interface {zone!r}"
                ).format(group=group, zone=zone)
            ) from exc
        where = f" on {interface}" if interface else ""
        raise BindError(
            _("cannot join the multicast group {group}{where}: {system_words}").format(
                group=group, where=where, system_words=system_words(exc)
            )
        ) from exc
