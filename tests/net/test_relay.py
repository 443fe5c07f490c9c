"""The relay (net.relay) on loopback with real peers: TCP both ways byte-exact, half-close, many
clients, TLS on either side, UDP mappings and their expiry, and every fault measured."""

from __future__ import annotations

import itertools
import os
import random
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any, TypeVar

import pytest
import trustme

from net._faults import TO_CLIENT, TO_TARGET, Faults, TokenBucket, datagram_fate
from net.errors import AddressError, BindError
from net.events import RelayClosed, RelayData, RelayOpened
from net.relay import HIGH_WATER, RelayEvent, TcpRelay, UdpRelay
from net.tls import ClientTls, certificate_fingerprint
from tests.conftest import WAIT

Relay = TypeVar("Relay", TcpRelay, UdpRelay)


class Events:
    """Collects a relay's events (from its loop thread) and waits for conditions on them."""

    def __init__(self) -> None:
        self.items: list[RelayEvent] = []
        self._cond = threading.Condition()

    def __call__(self, event: RelayEvent) -> None:
        with self._cond:
            self.items.append(event)
            self._cond.notify_all()

    def wait_for(self, check: Callable[[list[RelayEvent]], bool], timeout: float = WAIT) -> None:
        with self._cond:
            assert self._cond.wait_for(lambda: check(self.items), timeout), self.items[-20:]

    def data(self, direction: str, action: str = "forwarded") -> bytes:
        with self._cond:
            return b"".join(
                e.data
                for e in self.items
                if isinstance(e, RelayData) and e.direction == direction and e.action == action
            )

    def of(self, kind: type[Any]) -> list[Any]:
        with self._cond:
            return [e for e in self.items if isinstance(e, kind)]


@contextmanager
def running(relay: Relay) -> Iterator[Relay]:
    thread = threading.Thread(target=relay.run, name="relay")
    thread.start()
    try:
        yield relay
    finally:
        relay.shutdown()
        thread.join(WAIT)
        relay.close()
        assert not thread.is_alive()


@contextmanager
def tcp_target(
    handle: Callable[[socket.socket], None], context: ssl.SSLContext | None = None
) -> Iterator[int]:
    """A classic threaded TCP server: one thread per client running ``handle``."""
    listener = socket.create_server(("127.0.0.1", 0))
    threads: list[threading.Thread] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            conn.settimeout(WAIT)
            if context is not None:
                try:
                    conn = context.wrap_socket(conn, server_side=True)
                except (OSError, ssl.SSLError):
                    conn.close()
                    continue
            thread = threading.Thread(target=_handle_and_close, args=(handle, conn), daemon=True)
            threads.append(thread)
            thread.start()

    acceptor = threading.Thread(target=serve, daemon=True)
    acceptor.start()
    try:
        yield listener.getsockname()[1]
    finally:
        listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        acceptor.join(WAIT)
        for thread in threads:
            thread.join(WAIT)


def _handle_and_close(handle: Callable[[socket.socket], None], conn: socket.socket) -> None:
    with conn, suppress(OSError):
        handle(conn)


def echo(conn: socket.socket) -> None:
    while data := conn.recv(65536):
        conn.sendall(data)


def read_all(sock: socket.socket) -> bytes:
    chunks = []
    while data := sock.recv(65536):
        chunks.append(data)
    return b"".join(chunks)


def connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def send_in_background(
    sock: socket.socket, data: bytes, *, half_close: bool = True
) -> threading.Thread:
    def run() -> None:
        sock.sendall(data)
        if half_close:
            sock.shutdown(socket.SHUT_WR)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def tcp_relay(target_port: int, events: Events | None = None, **kw: Any) -> TcpRelay:
    return TcpRelay("127.0.0.1", 0, "127.0.0.1", target_port, on_event=events, **kw)


# --- TCP ------------------------------------------------------------------------------------------


def test_tcp_relays_both_ways_byte_exact_and_shows_both_directions() -> None:
    payload = random.Random(1).randbytes(3 * 1024 * 1024)
    events = Events()
    with (
        tcp_target(echo) as port,
        running(tcp_relay(port, events)) as relay,
        connect(relay.port) as c,
    ):
        local = f"127.0.0.1:{c.getsockname()[1]}"
        sender = send_in_background(c, payload)
        back = read_all(c)
        sender.join(WAIT)
    assert back == payload
    events.wait_for(lambda items: len([e for e in items if isinstance(e, RelayClosed)]) == 2)
    assert events.data(TO_TARGET) == payload
    assert events.data(TO_CLIENT) == payload
    opened = events.of(RelayOpened)
    assert [e.side for e in opened] == ["client", "target"]
    assert opened[0].peer == local
    assert opened[1].peer == f"127.0.0.1:{port}"
    closed = events.of(RelayClosed)
    assert {e.side for e in closed} == {"client", "target"}
    assert all(not e.error for e in closed)
    counters = relay.counters()
    assert counters[TO_TARGET].bytes == counters[TO_CLIENT].bytes == len(payload)
    assert counters[TO_TARGET].chunks == len(
        [e for e in events.of(RelayData) if e.direction == "->"]
    )


def test_half_close_is_passed_through_both_ways() -> None:
    request = b"all of the request, then FIN"

    def answer_after_eof(conn: socket.socket) -> None:
        got = read_all(conn)  # returns only once the client's FIN came through the relay
        conn.sendall(b"you sent %d bytes" % len(got))
        conn.shutdown(socket.SHUT_WR)
        assert conn.recv(1) == b""

    with (
        tcp_target(answer_after_eof) as port,
        running(tcp_relay(port)) as relay,
        connect(relay.port) as c,
    ):
        c.sendall(request)
        c.shutdown(socket.SHUT_WR)
        assert read_all(c) == b"you sent %d bytes" % len(request)


def test_many_clients_at_once_each_get_their_own_target_connection() -> None:
    events = Events()
    count = 40
    with tcp_target(echo) as port, running(tcp_relay(port, events)) as relay:
        clients = [connect(relay.port) for _ in range(count)]
        try:
            for n, c in enumerate(clients):
                c.sendall(b"client %d" % n)
            for n, c in enumerate(clients):
                assert c.recv(100) == b"client %d" % n
            assert len(relay.connections()) == count
            assert len({conn.client for conn in relay.connections()}) == count
        finally:
            for c in clients:
                c.close()
        events.wait_for(
            lambda items: len([e for e in items if isinstance(e, RelayClosed)]) == 2 * count
        )
    assert relay.total_clients == count


def test_clients_beyond_max_clients_are_refused_with_a_reset() -> None:
    events = Events()
    with tcp_target(echo) as port, running(tcp_relay(port, events, max_clients=2)) as relay:
        first, second = connect(relay.port), connect(relay.port)
        with first, second:
            for c in (first, second):
                c.sendall(b"x")
                assert c.recv(1) == b"x"
            # The reset may come before connect() returns, or at the first read.
            with pytest.raises(ConnectionResetError), connect(relay.port) as third:
                third.recv(1)
    assert relay.refused == 1
    refused = [e for e in events.of(RelayClosed) if e.error]
    assert refused[0].reason == "refused: the relay already has 2 connections"


def test_a_target_that_refuses_is_reported_and_the_client_reset() -> None:
    events = Events()
    closed_port = socket.create_server(("127.0.0.1", 0))
    port = closed_port.getsockname()[1]
    closed_port.close()
    with (
        running(tcp_relay(port, events)) as relay,
        pytest.raises(ConnectionResetError),
        connect(relay.port) as c,
    ):
        c.recv(1)
    events.wait_for(lambda items: any(isinstance(e, RelayClosed) for e in items))
    closed = events.of(RelayClosed)[0]
    assert closed.error
    assert "connection refused" in closed.reason


def test_a_target_that_does_not_answer_times_out() -> None:
    # A listener whose backlog is full: the kernel ignores further SYNs, so connect hangs.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(0)
    fillers = []
    try:
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(silent.getsockname())
            fillers.append(filler)
        events = Events()
        relay = tcp_relay(silent.getsockname()[1], events, connect_timeout=0.5)
        with running(relay), pytest.raises(ConnectionResetError), connect(relay.port) as c:
            c.recv(1)
        closed = events.of(RelayClosed)[0]
        assert "no answer" in closed.reason and "time limit" in closed.reason
    finally:
        for filler in fillers:
            filler.close()
        silent.close()


def test_an_idle_connection_is_closed_after_the_idle_timeout() -> None:
    events = Events()
    with (
        tcp_target(echo) as port,
        running(tcp_relay(port, events, idle_timeout=0.3)) as relay,
        connect(relay.port) as c,
    ):
        c.sendall(b"hi")
        assert c.recv(2) == b"hi"
        assert c.recv(1) == b""  # nothing for 0.3 s: the relay closed it
    assert "idle for 0.3 s" in events.of(RelayClosed)[0].reason


# --- TLS ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def test_tls_towards_the_target_is_seen_in_clear(ca: trustme.CA, tmp_path: Any) -> None:
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    events = Events()
    with (
        tcp_target(echo, server_context) as port,
        running(tcp_relay(port, events, target_tls=ClientTls(cafile=str(ca_file)))) as relay,
        connect(relay.port) as c,
    ):
        c.sendall(b"secret in clear")
        assert c.recv(100) == b"secret in clear"
        c.shutdown(socket.SHUT_WR)
        assert read_all(c) == b""
    assert events.data(TO_TARGET) == b"secret in clear"
    assert events.data(TO_CLIENT) == b"secret in clear"
    target = next(e for e in events.of(RelayOpened) if e.side == "target")
    assert target.tls is not None and target.tls.version.startswith("TLSv1.")


def test_tls_target_with_an_untrusted_certificate_is_refused(ca: trustme.CA) -> None:
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    events = Events()
    with (
        tcp_target(echo, server_context) as port,
        running(tcp_relay(port, events, target_tls=ClientTls())) as relay,
        pytest.raises(ConnectionResetError),
        connect(relay.port) as c,
    ):
        c.recv(1)
    events.wait_for(lambda items: any(isinstance(e, RelayClosed) for e in items))
    reason = events.of(RelayClosed)[0].reason
    assert "certificate" in reason


def test_tls_towards_clients_is_seen_in_clear(ca: trustme.CA) -> None:
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    events = Events()
    with (
        tcp_target(echo) as port,
        running(tcp_relay(port, events, ssl_context=server_context)) as relay,
        client_context.wrap_socket(connect(relay.port), server_hostname="127.0.0.1") as c,
    ):
        c.sendall(b"hello through TLS")
        assert c.recv(100) == b"hello through TLS"
    assert events.data(TO_TARGET) == b"hello through TLS"
    client = next(e for e in events.of(RelayOpened) if e.side == "client")
    assert client.tls is not None


# --- TCP faults -----------------------------------------------------------------------------------


def round_trip(c: socket.socket, size: int = 64) -> float:
    payload = os.urandom(size)
    start = time.monotonic()
    c.sendall(payload)
    got = b""
    while len(got) < size:
        got += c.recv(size - len(got))
    assert got == payload
    return time.monotonic() - start


def test_delay_adds_to_a_round_trip() -> None:
    with tcp_target(echo) as port, running(tcp_relay(port)) as relay, connect(relay.port) as c:
        plain = min(round_trip(c) for _ in range(5))
        relay.set_faults(Faults(delay_ms=100), TO_TARGET)  # while running, one direction
        delayed = min(round_trip(c) for _ in range(3))
        relay.set_faults(Faults(delay_ms=100))  # both directions
        both = min(round_trip(c) for _ in range(3))
    assert 0.090 <= delayed - plain < 5.0
    assert 0.190 <= both - plain < 5.0


def test_jitter_keeps_a_stream_in_order() -> None:
    payload = random.Random(2).randbytes(200_000)
    with (
        tcp_target(echo) as port,
        running(tcp_relay(port, faults=Faults(delay_ms=5, jitter_ms=5), seed=7)) as relay,
        connect(relay.port) as c,
    ):
        c.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        sender = send_in_background(c, payload)
        assert read_all(c) == payload
        sender.join(WAIT)


def test_rate_limit_moves_2_mib_in_about_4_seconds() -> None:
    size = 2 * 1024 * 1024
    with (
        tcp_target(lambda conn: conn.sendall(bytes(size))) as port,
        running(tcp_relay(port, faults=Faults(rate=524288))) as relay,
        connect(relay.port) as c,
    ):
        start = time.monotonic()
        received = len(read_all(c))
        elapsed = time.monotonic() - start
    assert received == size
    assert 3.4 <= elapsed < 12.0, elapsed


def test_slicing_forwards_in_pieces_of_n_bytes() -> None:
    payload = bytes(range(256)) * 4
    events = Events()
    with (
        tcp_target(echo) as port,
        running(tcp_relay(port, events, faults=Faults(slice_bytes=100, slice_pause_ms=5))) as relay,
        connect(relay.port) as c,
    ):
        c.sendall(payload)
        c.shutdown(socket.SHUT_WR)
        assert read_all(c) == payload
    pieces = [e.data for e in events.of(RelayData) if e.direction == TO_TARGET]
    assert b"".join(pieces) == payload
    assert [len(p) for p in pieces] == [100] * 10 + [24]


@pytest.mark.parametrize("direction", [TO_TARGET, TO_CLIENT])
def test_reset_after_n_bytes(direction: str) -> None:
    received: list[bytes] = []
    target_error: list[BaseException] = []

    def target(conn: socket.socket) -> None:
        if direction == TO_CLIENT:
            conn.sendall(bytes(5000))
        got = bytearray()
        try:
            while data := conn.recv(65536):
                got += data
        except OSError as exc:
            target_error.append(exc)
        received.append(bytes(got))

    events = Events()
    faults = Faults(reset_after=1000)
    with tcp_target(target) as port, running(tcp_relay(port, events)) as relay:
        relay.set_faults(faults, direction)
        with connect(relay.port) as c:
            if direction == TO_TARGET:
                c.sendall(bytes(5000))
            got = bytearray()
            with pytest.raises(ConnectionResetError):
                while data := c.recv(65536):
                    got += data
            if direction == TO_CLIENT:
                assert len(got) == 1000
        events.wait_for(lambda items: len([e for e in items if isinstance(e, RelayClosed)]) == 2)
    assert relay.counters()[direction].bytes == 1000
    if direction == TO_TARGET:
        # The target saw exactly 1,000 bytes, then the reset.
        assert received == [bytes(1000)]
        assert [type(e) for e in target_error] == [ConnectionResetError]
    closed = events.of(RelayClosed)[0]
    assert closed.error and closed.reason == f"reset on purpose after 1,000 bytes {direction}"


def test_stall_holds_data_until_lifted_and_then_backpressures() -> None:
    with tcp_target(echo) as port, running(tcp_relay(port)) as relay, connect(relay.port) as c:
        relay.set_faults(Faults(stall=True), TO_CLIENT)
        c.sendall(b"held back")
        # The echo comes back to the relay but is not forwarded while the stall lasts.
        assert select.select([c], [], [], 0.3)[0] == []
        relay.set_faults(Faults())
        assert c.recv(100) == b"held back"
        # A stalled direction reads no more than its buffer holds: the sender is held back.
        relay.set_faults(Faults(stall=True), TO_TARGET)
        c.setblocking(False)
        sent = 0
        deadline = time.monotonic() + WAIT
        chunk = bytes(65536)
        while time.monotonic() < deadline:
            try:
                sent += c.send(chunk)
            except BlockingIOError:
                if not select.select([], [c], [], 0.5)[1]:
                    break  # the relay stopped reading: backpressure
        assert HIGH_WATER <= sent < 64 * HIGH_WATER
        connections = relay.connections()
        assert connections[0].bytes_to_target == len(b"held back")


def test_closing_a_connection_on_purpose() -> None:
    events = Events()
    with tcp_target(echo) as port, running(tcp_relay(port, events)) as relay:
        with connect(relay.port) as c:
            c.sendall(b"1")
            assert c.recv(1) == b"1"
            relay.close_connection(relay.connections()[0].conn_id)
            assert c.recv(1) == b""  # a FIN
        with connect(relay.port) as c:
            c.sendall(b"2")
            assert c.recv(1) == b"2"
            relay.close_connection(relay.connections()[0].conn_id, reset=True)
            with pytest.raises(ConnectionResetError):
                c.recv(1)
    reasons = [e.reason for e in events.of(RelayClosed) if e.side == "client"]
    assert reasons == ["closed on purpose at the relay", "reset on purpose at the relay"]


def test_down_refuses_new_connections_and_keeps_the_old_ones() -> None:
    with tcp_target(echo) as port, running(tcp_relay(port)) as relay, connect(relay.port) as old:
        old.sendall(b"a")
        assert old.recv(1) == b"a"
        relay.set_down(True)
        with pytest.raises(ConnectionResetError), connect(relay.port) as new:
            new.recv(1)
        old.sendall(b"b")
        assert old.recv(1) == b"b"
        relay.set_down(False)
        with connect(relay.port) as again:
            again.sendall(b"c")
            assert again.recv(1) == b"c"
    assert relay.refused == 1


# --- UDP ------------------------------------------------------------------------------------------


@contextmanager
def udp_target(reply: Callable[[bytes], bytes] | None = None) -> Iterator[tuple[int, list[bytes]]]:
    """A UDP server in a thread: records what it receives, answers with ``reply(data)``."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
    sock.bind(("127.0.0.1", 0))
    received: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            if not select.select([sock], [], [], 0.05)[0]:
                continue
            data, address = sock.recvfrom(65535)
            received.append(data)
            if reply is not None:
                sock.sendto(reply(data), address)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1], received
    finally:
        stop.set()
        thread.join(WAIT)
        sock.close()


def udp_client() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(WAIT)
    return sock


def udp_relay(port: int, events: Events | None = None, **kw: Any) -> UdpRelay:
    return UdpRelay("127.0.0.1", 0, "127.0.0.1", port, on_event=events, **kw)


def test_udp_each_client_gets_its_own_mapping_and_replies() -> None:
    events = Events()
    with (
        udp_target(lambda data: b"re: " + data) as (port, received),
        running(udp_relay(port, events)) as relay,
        udp_client() as a,
        udp_client() as b,
    ):
        a.sendto(b"from a", ("127.0.0.1", relay.port))
        b.sendto(b"from b", ("127.0.0.1", relay.port))
        assert a.recvfrom(100) == (b"re: from a", ("127.0.0.1", relay.port))
        assert b.recvfrom(100) == (b"re: from b", ("127.0.0.1", relay.port))
        a.sendto(b"again", ("127.0.0.1", relay.port))
        assert a.recv(100) == b"re: again"
        connections = relay.connections()
        assert [c.client for c in connections] == [
            f"127.0.0.1:{a.getsockname()[1]}",
            f"127.0.0.1:{b.getsockname()[1]}",
        ]
        assert connections[0].bytes_to_target == len(b"from a") + len(b"again")
    assert sorted(received) == [b"again", b"from a", b"from b"]
    assert events.data(TO_TARGET) in (b"from afrom bagain", b"from bfrom aagain")
    counters = relay.counters()
    assert counters[TO_TARGET].chunks == counters[TO_CLIENT].chunks == 3


def test_udp_idle_mappings_expire() -> None:
    events = Events()
    with (
        udp_target(lambda data: data) as (port, _received),
        running(udp_relay(port, events, idle_timeout=0.3)) as relay,
        udp_client() as a,
    ):
        a.sendto(b"ping", ("127.0.0.1", relay.port))
        assert a.recv(10) == b"ping"
        assert len(relay.connections()) == 1
        events.wait_for(lambda items: len([e for e in items if isinstance(e, RelayClosed)]) == 2)
        assert relay.connections() == []
        a.sendto(b"pong", ("127.0.0.1", relay.port))  # a new mapping
        assert a.recv(10) == b"pong"
    reason = events.of(RelayClosed)[0].reason
    assert reason == "idle for 0.3 s, so the mapping expired"
    assert [e.conn_id for e in events.of(RelayOpened)] == [1, 1, 2, 2]


def send_paced(sock: socket.socket, port: int, relay: UdpRelay, payloads: list[bytes]) -> None:
    """Send in batches, each once the relay has taken the last in, so the kernel drops nothing."""
    batch = 200
    for start in range(0, len(payloads), batch):
        for payload in payloads[start : start + batch]:
            sock.sendto(payload, ("127.0.0.1", port))
        goal = start + len(payloads[start : start + batch])
        deadline = time.monotonic() + WAIT
        while True:
            c = relay.counters()[TO_TARGET]
            if c.chunks - c.duplicated + c.dropped >= goal:
                break
            assert time.monotonic() < deadline, c
            select.select([], [], [], 0.001)


def test_udp_loss_10_percent_of_20000_datagrams_seeded() -> None:
    count, seed = 20_000, 1234
    rng = random.Random(seed)
    expected = sum(datagram_fate(Faults(loss=10), rng)[0] for _ in range(count))
    with (
        udp_target() as (port, received),
        running(udp_relay(port, faults=Faults(loss=10), seed=seed)) as relay,
        udp_client() as a,
    ):
        send_paced(a, relay.port, relay, [b"%d" % n for n in range(count)])
        counters = relay.counters()[TO_TARGET]
        deadline = time.monotonic() + WAIT
        while len(received) < counters.chunks and time.monotonic() < deadline:
            select.select([], [], [], 0.01)
    assert counters.dropped == expected
    assert abs(expected / count - 0.10) <= 0.015
    assert counters.chunks == count - expected == len(received)


def test_udp_duplication_and_reordering_seeded() -> None:
    count = 2000
    with (
        udp_target() as (port, received),
        running(udp_relay(port, faults=Faults(duplicate=10, reorder=10), seed=5)) as relay,
        udp_client() as a,
    ):
        send_paced(a, relay.port, relay, [b"%d" % n for n in range(count)])
        c = relay.counters()[TO_TARGET]
        deadline = time.monotonic() + WAIT
        while len(received) < c.chunks and time.monotonic() < deadline:
            select.select([], [], [], 0.01)
    numbers = [int(d) for d in received]
    assert c.duplicated > 0 and len(numbers) == count + c.duplicated
    assert sorted(set(numbers)) == list(range(count))  # nothing lost
    swaps = sum(1 for x, y in itertools.pairwise(numbers) if y < x)
    assert swaps > 0


def test_udp_delay_and_down() -> None:
    with (
        udp_target(lambda data: data) as (port, received),
        running(udp_relay(port)) as relay,
        udp_client() as a,
    ):
        start = time.monotonic()
        a.sendto(b"x", ("127.0.0.1", relay.port))
        a.recv(10)
        plain = time.monotonic() - start
        relay.set_faults(Faults(delay_ms=100), TO_TARGET)
        start = time.monotonic()
        a.sendto(b"y", ("127.0.0.1", relay.port))
        a.recv(10)
        assert 0.090 <= time.monotonic() - start - plain < 5.0
        relay.set_faults(Faults())
        relay.set_down(True)
        a.sendto(b"lost", ("127.0.0.1", relay.port))
        assert select.select([a], [], [], 0.3)[0] == []
        assert relay.counters()[TO_TARGET].dropped == 1
        relay.set_down(False)
        a.sendto(b"z", ("127.0.0.1", relay.port))
        assert a.recv(10) == b"z"
    assert received == [b"x", b"y", b"z"]


def test_udp_rate_limit() -> None:
    with (
        udp_target() as (port, received),
        running(udp_relay(port, faults=Faults(rate=100_000))) as relay,
        udp_client() as a,
    ):
        start = time.monotonic()
        for _ in range(300):  # 300,000 bytes: 3 s at 100,000 B/s
            a.sendto(bytes(1000), ("127.0.0.1", relay.port))
        deadline = time.monotonic() + WAIT
        while len(received) < 300 and time.monotonic() < deadline:
            select.select([], [], [], 0.01)
        elapsed = time.monotonic() - start
    assert len(received) == 300
    assert 2.5 <= elapsed < 10


# --- bad input and the sans-IO model --------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"loss": 101},
        {"delay_ms": -1},
        {"rate": -5},
        {"slice_bytes": 1.5},
        {"jitter_ms": float("nan")},
    ],
)
def test_faults_out_of_range_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(AddressError):
        Faults(**kwargs)


def test_bad_relay_input() -> None:
    with pytest.raises(AddressError, match="port"):
        TcpRelay("127.0.0.1", 0, "127.0.0.1", 0)
    with pytest.raises(AddressError, match="no such host"):
        UdpRelay("127.0.0.1", 0, "no-such-host.invalid", 9)
    with pytest.raises(AddressError, match="idle timeout"):
        TcpRelay("127.0.0.1", 0, "127.0.0.1", 9, idle_timeout=0)
    with socket.create_server(("127.0.0.1", 0)) as taken, pytest.raises(BindError):
        TcpRelay("127.0.0.1", taken.getsockname()[1], "127.0.0.1", 9)
    with pytest.raises(ValueError, match="direction"):
        udp_relay(9).set_faults(Faults(), "<>")


def test_token_bucket_keeps_the_long_run_rate() -> None:
    bucket = TokenBucket(1000, now=0.0)
    now, sent = 0.0, 0
    while now < 10.0:
        if bucket.ready(now):
            bucket.spend(300)  # pieces larger than the burst still go, as a debt
            sent += 300
        else:
            now = bucket.next_ready(now)
    assert 10_000 <= sent <= 10_000 + 300 + bucket.burst


def test_datagram_fate_is_repeatable_with_a_seed() -> None:
    faults = Faults(loss=30, duplicate=20, reorder=10)
    first = [datagram_fate(faults, r) for r in [random.Random(9)] for _ in range(1000)]
    second = [datagram_fate(faults, r) for r in [random.Random(9)] for _ in range(1000)]
    assert first == second
    assert 250 < sum(d for d, _, _ in first) < 350
    assert 150 < sum(dup for d, dup, _ in first if not d) < 250


def test_tls_target_pinned_by_fingerprint(ca: trustme.CA) -> None:
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    leaf = ca.issue_cert("127.0.0.1")
    leaf.configure_cert(server_context)
    pem = leaf.cert_chain_pems[0].bytes().decode()
    right = certificate_fingerprint(ssl.PEM_cert_to_DER_cert(pem))
    wrong = certificate_fingerprint(b"another certificate")
    with tcp_target(echo, server_context) as port:
        pinned = tcp_relay(port, target_tls=ClientTls(fingerprint=right))
        with running(pinned) as relay, connect(relay.port) as c:
            c.sendall(b"pinned")
            assert c.recv(100) == b"pinned"
        events = Events()
        mismatch = tcp_relay(port, events, target_tls=ClientTls(fingerprint=wrong))
        with (
            running(mismatch) as relay,
            pytest.raises(ConnectionResetError),
            connect(relay.port) as c,
        ):
            c.recv(1)
    events.wait_for(lambda items: any(isinstance(e, RelayClosed) for e in items))
    assert "does not match the pinned one" in events.of(RelayClosed)[0].reason


@pytest.mark.requires_ipv6
def test_ipv6_on_both_sides() -> None:
    listener = socket.create_server(("::1", 0), family=socket.AF_INET6)
    port = listener.getsockname()[1]

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            echo(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        with (
            running(TcpRelay("::1", 0, "::1", port)) as relay,
            socket.create_connection(("::1", relay.port), timeout=WAIT) as c,
        ):
            assert relay.address == f"[::1]:{relay.port}"
            assert relay.target == f"[::1]:{port}"
            c.sendall(b"six")
            assert c.recv(3) == b"six"
            assert relay.connections()[0].client.startswith("[::1]:")
    finally:
        listener.close()
        thread.join(WAIT)


def test_tls_target_insecure_accepts_any_certificate(ca: trustme.CA) -> None:
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    with (
        tcp_target(echo, server_context) as port,
        running(tcp_relay(port, target_tls=ClientTls(verify=False))) as relay,
        connect(relay.port) as c,
    ):
        c.sendall(b"unchecked")
        assert c.recv(100) == b"unchecked"
