"""UDP: send datagrams (once, repeatedly, waiting for replies) and receive them fast and exactly counted.

This module is where callers import UDP from. The sender lives in net._udp_send, the receiver
in net._udp_receive (its multicast groups in net._multicast), and what both need (sizes, targets,
sending one datagram) in net._udp_socket. Both objects follow the stop pattern of :mod:`net._loop`: every wait sits in a
selector that also watches the wake-up pair, so ``shutdown()`` from any thread ends it at once.
"""

from __future__ import annotations

from net._udp_receive import UdpReceiver, UdpStats
from net._udp_send import UdpSender, send_and_wait, send_datagram
from net._udp_socket import DEFAULT_RCVBUF, MAX_DATAGRAM, RECEIVE_BUFFER, fit_send_buffer
from net.events import DatagramRow

__all__ = [
    "DEFAULT_RCVBUF",
    "MAX_DATAGRAM",
    "RECEIVE_BUFFER",
    "DatagramRow",
    "UdpReceiver",
    "UdpSender",
    "UdpStats",
    "fit_send_buffer",
    "send_and_wait",
    "send_datagram",
]
