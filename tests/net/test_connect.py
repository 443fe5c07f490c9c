"""net._connect: the one connect path of the TCP client, downloader, relay and scripts."""

from __future__ import annotations

import selectors
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from net._connect import connect, connect_outcome, interleave, start_connect
from net._loop import StoppableLoop
from net.address import Endpoint, resolve
from net.errors import ConnectError
from tests.conftest import WAIT, wait_until_blocked
from tests.net.test_tcp import unanswering_port

V4 = socket.AF_INET
V6 = socket.AF_INET6


def endpoint(host: str, port: int) -> Endpoint:
    family = V6 if ":" in host else V4
    sockaddr = (host, port, 0, 0) if family == V6 else (host, port)
    return Endpoint(family=family, sockaddr=sockaddr)


@contextmanager
def listening(host: str = "127.0.0.1") -> Iterator[socket.socket]:
    family = V6 if ":" in host else V4
    with socket.create_server((host, 0), family=family) as server:
        yield server


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_connects_and_the_peer_sees_it() -> None:
    with listening() as server, StoppableLoop() as loop:
        port = server.getsockname()[1]
        sock = connect(loop, [endpoint("127.0.0.1", port)], WAIT, "127.0.0.1", port)
        assert sock is not None
        with sock:
            peer, _ = server.accept()
            with peer:
                assert peer.getpeername() == sock.getsockname()
                assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


@pytest.mark.requires_ipv6
def test_connects_over_ipv6_loopback() -> None:
    with listening("::1") as server, StoppableLoop() as loop:
        port = server.getsockname()[1]
        sock = connect(loop, resolve("::1", port), WAIT, "::1", port)
        assert sock is not None
        with sock:
            assert sock.family == V6 and sock.getpeername()[:2] == ("::1", port)


def test_refused_says_nothing_listens() -> None:
    port = free_port()
    with StoppableLoop() as loop, pytest.raises(ConnectError) as caught:
        connect(loop, [endpoint("127.0.0.1", port)], WAIT, "127.0.0.1", port)
    assert str(caught.value) == (
        f"connection refused by 127.0.0.1:{port}: nothing is listening on that port"
    )
    assert isinstance(caught.value.__cause__, OSError)


def test_no_answer_before_the_deadline_says_so() -> None:
    with unanswering_port() as port, StoppableLoop() as loop:
        expected = f"no answer from 127.0.0.1:{port} before the time limit"
        with pytest.raises(ConnectError, match=expected):
            connect(loop, [endpoint("127.0.0.1", port)], 0.3, "127.0.0.1", port)


def test_an_unreachable_network_is_named() -> None:
    """TCP has no route to the limited broadcast address: Linux answers ENETUNREACH at once."""
    with StoppableLoop() as loop, pytest.raises(ConnectError) as caught:
        connect(loop, [endpoint("255.255.255.255", 9)], WAIT, "255.255.255.255", 9)
    assert str(caught.value) == (
        "255.255.255.255 cannot be reached from this computer (no route to it)"
    )


def test_a_silent_address_does_not_hold_up_the_next_one() -> None:
    """Happy Eyeballs (RFC 8305 §5): while the first address stays silent, the second is tried
    beside it, so the connect succeeds well inside a deadline the first alone would use up."""
    with unanswering_port() as silent, listening() as server:
        port = server.getsockname()[1]
        addresses = [endpoint("127.0.0.1", silent), endpoint("127.0.0.1", port)]
        with StoppableLoop() as loop:
            sock = connect(loop, addresses, WAIT, "localhost", port)
            assert sock is not None
            with sock:
                assert sock.getpeername()[1] == port


def test_a_refused_address_gives_way_to_the_next() -> None:
    with listening() as server, StoppableLoop() as loop:
        port = server.getsockname()[1]
        addresses = [endpoint("127.0.0.1", free_port()), endpoint("127.0.0.1", port)]
        sock = connect(loop, addresses, WAIT, "localhost", port)
        assert sock is not None
        sock.close()


def test_shutdown_ends_the_wait_with_none() -> None:
    with unanswering_port() as port, StoppableLoop() as loop:
        result: list[socket.socket | None] = []
        thread = threading.Thread(
            target=lambda: result.append(
                connect(loop, [endpoint("127.0.0.1", port)], 3600, "127.0.0.1", port)
            )
        )
        thread.start()
        wait_until_blocked(thread)
        loop.shutdown()
        thread.join(WAIT)
        assert not thread.is_alive() and result == [None]


def test_the_two_halves_for_a_loop_with_its_own_selector() -> None:
    with listening() as server:
        port = server.getsockname()[1]
        sock, done = start_connect(endpoint("127.0.0.1", port))
        with sock:
            if not done:
                with selectors.DefaultSelector() as selector:
                    selector.register(sock, selectors.EVENT_WRITE)
                    assert selector.select(WAIT)
                assert connect_outcome(sock) is None
            server.accept()[0].close()
    sock, done = start_connect(endpoint("127.0.0.1", free_port()))
    with sock:
        with selectors.DefaultSelector() as selector:
            selector.register(sock, selectors.EVENT_WRITE)
            assert selector.select(WAIT)
        error = connect_outcome(sock)
    assert isinstance(error, OSError) and error.errno is not None


def test_interleave_alternates_families_from_the_first() -> None:
    a6, b6 = endpoint("::1", 1), endpoint("::1", 2)
    a4, b4, c4 = endpoint("127.0.0.1", 1), endpoint("127.0.0.1", 2), endpoint("127.0.0.1", 3)
    assert interleave([a6, b6, a4, b4, c4]) == [a6, a4, b6, b4, c4]
    assert interleave([a4, a6]) == [a4, a6]
    assert interleave([]) == []
