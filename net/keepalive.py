"""TCP keepalive: notice a peer that vanished (cable pulled, NAT entry dropped) on an idle connection.

Without it an idle TCP connection to a dead peer looks healthy forever. The kernel's defaults wait two
hours before the first probe, so the timings are set per socket wherever the platform allows it.
"""

from __future__ import annotations

import socket
import sys

from net._i18n import N_, _
from net.errors import AddressError

__all__ = ["check_keepalive", "set_keepalive"]

# Linux caps TCP_KEEPIDLE/TCP_KEEPINTVL at 32767 s and TCP_KEEPCNT at 127; other systems are laxer.
_MAX_SECONDS = 32767
_MAX_COUNT = 127
# macOS names the idle time TCP_KEEPALIVE; Python does not export the constant there (netinet/tcp.h).
_MACOS_TCP_KEEPALIVE = 0x10


def set_keepalive(sock: socket.socket, idle: int = 60, interval: int = 10, count: int = 5) -> None:
    """Turn keepalive on for ``sock``: after ``idle`` quiet seconds, probe every ``interval`` seconds,
    and give the connection up after ``count`` unanswered probes.

    On systems without per-socket timings only SO_KEEPALIVE is set (the system's defaults apply).

    Args:
        sock: a TCP socket (connected or not).
        idle: seconds without traffic before the first probe (1-32767).
        interval: seconds between probes (1-32767).
        count: unanswered probes before the connection is declared dead (1-127).
    Raises:
        AddressError: a value outside the ranges above.
        OSError: the socket is closed or refuses the options.
    """
    _check_range(N_("keepalive idle time"), idle, _MAX_SECONDS, N_("seconds"))
    _check_range(N_("keepalive interval"), interval, _MAX_SECONDS, N_("seconds"))
    _check_range(N_("keepalive probe count"), count, _MAX_COUNT, N_("probes"))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    idle_option = getattr(socket, "TCP_KEEPIDLE", None)
    if idle_option is None and sys.platform == "darwin":
        idle_option = _MACOS_TCP_KEEPALIVE
    if idle_option is not None:
        sock.setsockopt(socket.IPPROTO_TCP, idle_option, idle)
    if hasattr(socket, "TCP_KEEPINTVL"):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, interval)
    if hasattr(socket, "TCP_KEEPCNT"):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, count)
    elif sys.platform == "win32" and idle_option is None:
        # Windows before 10 (1709) has no per-option timings, only this ioctl (times in ms).
        sock.ioctl(socket.SIO_KEEPALIVE_VALS, (1, idle * 1000, interval * 1000))


def check_keepalive(idle: int, interval: int, count: int) -> None:
    """Check keepalive settings now, as :func:`set_keepalive` would at the first connection
    (on a probe socket, so the system's own refusal shows too).

    Raises:
        AddressError: a value outside :func:`set_keepalive`'s ranges.
        OSError: the system refuses the options.
    """
    with socket.socket() as probe:
        set_keepalive(probe, idle, interval, count)


def _check_range(what: str, value: int, maximum: int, unit: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
        raise AddressError(
            _("the {what} must be a whole number from 1 to {maximum} {unit}").format(
                what=_(what), maximum=maximum, unit=_(unit)
            )
        )
