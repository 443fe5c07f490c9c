"""The one helper that opens listening sockets (net.address.bound_socket / server_socket): dual
stack, the fall-back to IPv4, and the BindError sentence, on real loopback sockets."""

from __future__ import annotations

import socket

import pytest

from net.address import Endpoint, bound_socket, server_socket
from net.errors import AddressError, BindError

WAIT = 5.0


def connect_to(family: socket.AddressFamily, host: str, port: int) -> None:
    """Connect once to ``host:port`` and close; raises when nothing listens there."""
    with socket.socket(family, socket.SOCK_STREAM) as client:
        client.settimeout(WAIT)
        client.connect((host, port))


def test_every_address_is_one_dual_stack_socket_that_ipv4_clients_reach() -> None:
    with server_socket("", 0) as sock:
        assert sock.family == socket.AF_INET6
        assert sock.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY) == 0
        assert not sock.getblocking()
        port = sock.getsockname()[1]
        connect_to(socket.AF_INET, "127.0.0.1", port)
        connect_to(socket.AF_INET6, "::1", port)


def test_a_named_host_listens_on_its_first_address() -> None:
    with server_socket("localhost", 0) as sock:
        host, port = sock.getsockname()[:2]
        assert host in ("127.0.0.1", "::1")
        connect_to(sock.family, host, port)


def test_a_taken_port_on_every_address_is_told_not_hidden_by_the_ipv4_fall_back() -> None:
    with server_socket("", 0) as sock:
        port = sock.getsockname()[1]
        with pytest.raises(BindError, match=f"port {port} is already in use"):
            server_socket("", port)


def test_bad_input_is_an_address_error() -> None:
    with pytest.raises(AddressError, match="out of range"):
        server_socket("", 70000)
    with pytest.raises(AddressError, match="looks like host:port"):
        server_socket("localhost:80", 0)


@pytest.mark.parametrize(("dual_stack", "v6only"), [(True, 0), (False, 1)])
def test_dual_stack_is_asked_for_explicitly(dual_stack: bool, v6only: int) -> None:
    local = Endpoint(socket.AF_INET6, ("::", 0, 0, 0))
    with bound_socket(local, socket.SOCK_STREAM, listen=8, dual_stack=dual_stack) as sock:
        assert sock.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY) == v6only


def test_a_bind_failure_names_the_host_the_user_gave() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        local = Endpoint(socket.AF_INET, ("127.0.0.1", port))
        with pytest.raises(BindError, match=r"already in use by another program \(here:"):
            bound_socket(local, socket.SOCK_STREAM, listen=8, name="here")
        with pytest.raises(BindError, match=r"\(127\.0\.0\.1:"):
            bound_socket(local, socket.SOCK_STREAM, listen=8)
