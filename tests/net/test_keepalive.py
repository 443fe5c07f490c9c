"""set_keepalive: the options read back from the kernel with getsockopt on real sockets."""

from __future__ import annotations

import socket
import sys

import pytest

from net.errors import AddressError
from net.keepalive import set_keepalive


def _tcp_options(sock: socket.socket) -> dict[str, int]:
    names = ["TCP_KEEPIDLE", "TCP_KEEPINTVL", "TCP_KEEPCNT"]
    return {
        name: sock.getsockopt(socket.IPPROTO_TCP, getattr(socket, name))
        for name in names
        if hasattr(socket, name)
    }


@pytest.fixture
def connected() -> socket.socket:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        client = socket.create_connection(listener.getsockname())
        server, _ = listener.accept()
    server.close()
    return client


def test_defaults_are_read_back(connected: socket.socket) -> None:
    with connected:
        set_keepalive(connected)
        assert connected.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) != 0
        if sys.platform.startswith("linux"):
            assert _tcp_options(connected) == {
                "TCP_KEEPIDLE": 60,
                "TCP_KEEPINTVL": 10,
                "TCP_KEEPCNT": 5,
            }


def test_custom_timings_on_an_unconnected_socket() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        set_keepalive(sock, idle=7, interval=3, count=2)
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) != 0
        expected = {"TCP_KEEPIDLE": 7, "TCP_KEEPINTVL": 3, "TCP_KEEPCNT": 2}
        read_back = _tcp_options(sock)
        assert read_back == {name: expected[name] for name in read_back}


@pytest.mark.requires_ipv6
def test_ipv6_socket() -> None:
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
        set_keepalive(sock, idle=30)
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) != 0


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"idle": 0}, "idle time"),
        ({"idle": 40000}, "idle time"),
        ({"interval": -1}, "interval"),
        ({"count": 0}, "probe count"),
        ({"count": 128}, "probe count"),
        ({"idle": 1.5}, "whole number"),
        ({"count": True}, "whole number"),
    ],
)
def test_out_of_range_values_are_refused(kwargs: dict[str, int], words: str) -> None:
    with (
        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock,
        pytest.raises(AddressError, match=words),
    ):
        set_keepalive(sock, **kwargs)
