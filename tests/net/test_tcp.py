"""TCP over real loopback sockets: client sessions, a server for many clients, replies, resets, stopping."""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import net._tcp_conn
from net.errors import AddressError, BindError, ConnectError, TransferError
from net.events import Connected, Disconnected, FileSent, Received, Sent
from net.tcp import MAX_QUEUED_BYTES, REPLY_HIGH_WATER, TcpClient, TcpEvent, TcpServer
from tests.conftest import WAIT, wait_until_blocked


class EventLog:
    """Collects events from a loop's thread; the test waits for a condition on them."""

    def __init__(self) -> None:
        self.events: list[TcpEvent] = []
        self._changed = threading.Condition()

    def __call__(self, event: TcpEvent) -> None:
        with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    def wait(self, what: Callable[[list[TcpEvent]], bool], explain: str = "") -> list[TcpEvent]:
        with self._changed:
            ok = self._changed.wait_for(lambda: what(self.events), WAIT)
            assert ok, f"timed out waiting {explain}: {self.events}"
            return list(self.events)

    def of(self, kind: type) -> list[TcpEvent]:
        with self._changed:
            return [e for e in self.events if isinstance(e, kind)]

    def received(self, conn_id: int | None = None) -> bytes:
        return b"".join(
            e.data
            for e in self.of(Received)
            if isinstance(e, Received) and (conn_id is None or e.conn_id == conn_id)
        )

    def wait_received(self, data: bytes, conn_id: int | None = None) -> None:
        self.wait(lambda _: self.received(conn_id) == data, f"for {data!r}")

    def wait_for(self, kind: type, count: int = 1) -> list[TcpEvent]:
        self.wait(lambda events: sum(isinstance(e, kind) for e in events) >= count, kind.__name__)
        return self.of(kind)


@contextmanager
def serving(server: TcpServer) -> Iterator[TcpServer]:
    thread = threading.Thread(target=server.serve_forever, name="test server")
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        thread.join(WAIT)
        server.close()
        assert not thread.is_alive(), "the server did not stop"


@contextmanager
def session(client: TcpClient) -> Iterator[TcpClient]:
    failures: list[BaseException] = []

    def run() -> None:
        try:
            client.run()
        except BaseException as exc:
            failures.append(exc)

    thread = threading.Thread(target=run, name="test client")
    thread.start()
    try:
        yield client
    finally:
        client.shutdown()
        thread.join(WAIT)
        client.close()
        assert not thread.is_alive(), "the client did not stop"
    assert not failures, failures


def start(host: str = "127.0.0.1", **kw: object) -> tuple[TcpServer, EventLog]:
    log = EventLog()
    return TcpServer(host, 0, on_event=log, **kw), log  # type: ignore[arg-type]


def connect(port: int, host: str = "127.0.0.1", **kw: object) -> tuple[TcpClient, EventLog]:
    log = EventLog()
    return TcpClient(host, port, on_event=log, **kw), log  # type: ignore[arg-type]


def free_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port: int = probe.getsockname()[1]
    probe.close()
    return port


REPLY_CASES = [
    ("echo", b"", b"hello", b"hello"),
    ("echo", b"", "你好，中文".encode(), "你好，中文".encode()),
    ("echo", b"", "你好，中文".encode("gbk"), "你好，中文".encode("gbk")),
    ("fixed", "收到".encode(), b"anything", "收到".encode()),
    ("fixed", "收到".encode("gbk"), b"x", "收到".encode("gbk")),
    ("none", b"", b"ignored", b""),
]


@pytest.mark.parametrize(("mode", "fixed", "sent", "expected"), REPLY_CASES)
def test_reply_modes(mode: str, fixed: bytes, sent: bytes, expected: bytes) -> None:
    server, server_log = start(reply_mode=mode, fixed_reply=fixed)
    with serving(server):
        client, log = connect(server.port)
        with session(client):
            log.wait_for(Connected)
            client.send(sent)
            server_log.wait_received(sent)
            if expected:
                log.wait_received(expected)
            else:
                server_log.wait_for(Received)
        assert log.received() == expected
    [connected] = log.of(Connected)
    assert isinstance(connected, Connected)
    assert connected.peer == f"127.0.0.1:{server.port}"
    [server_side] = server_log.of(Connected)
    assert isinstance(server_side, Connected)
    assert server_side.peer == connected.local and server_side.local == connected.peer


def test_client_event_order_and_counters() -> None:
    server, server_log = start(reply_mode="echo")
    with serving(server):
        client, log = connect(server.port)
        with session(client):
            log.wait_for(Connected)
            assert client.connected
            client.send(b"one")
            log.wait_received(b"one")
            client.send(bytearray(b"two"))
            log.wait_received(b"onetwo")
            assert (client.bytes_in, client.bytes_out) == (6, 6)
        events = log.events
    kinds = [type(e).__name__ for e in events]
    assert kinds[0] == "Connected" and kinds[-1] == "Disconnected"
    assert kinds.count("Disconnected") == 1
    assert [e.data for e in events if isinstance(e, Sent)] == [b"one", b"two"]
    last = events[-1]
    assert isinstance(last, Disconnected) and last.reason == "disconnected" and not last.error
    assert not client.connected
    server_log.wait(lambda ev: isinstance(ev[-1], Disconnected), "for the server to see it")
    closed = server_log.events[-1]
    assert (
        isinstance(closed, Disconnected) and closed.reason == "closed by peer" and not closed.error
    )


def test_fifty_clients_at_once() -> None:
    server, server_log = start(reply_mode="echo")
    with serving(server):
        peers = [
            socket.create_connection(("127.0.0.1", server.port), timeout=WAIT) for _ in range(50)
        ]
        try:
            server_log.wait_for(Connected, 50)
            assert len(server.clients()) == 50
            for index, peer in enumerate(peers):
                peer.sendall(f"客户 {index}".encode())
            for index, peer in enumerate(peers):
                expected = f"客户 {index}".encode()
                got = b""
                while len(got) < len(expected):
                    chunk = peer.recv(100)
                    assert chunk
                    got += chunk
                assert got == expected
            server_log.wait_for(Sent, 50)  # counted before each Sent is emitted
            infos = server.clients()
            assert [info.conn_id for info in infos] == sorted(info.conn_id for info in infos)
            assert all(info.bytes_in == info.bytes_out > 0 for info in infos)
        finally:
            for peer in peers:
                peer.close()
        server_log.wait_for(Disconnected, 50)
    assert server.total_clients == 50
    assert server.bytes_in == server.bytes_out == sum(len(f"客户 {i}".encode()) for i in range(50))


def test_send_to_one_send_to_all_and_disconnect_one() -> None:
    server, server_log = start()
    with serving(server):
        (a, a_log), (b, b_log) = connect(server.port), connect(server.port)
        with session(a), session(b):
            a_log.wait_for(Connected)
            b_log.wait_for(Connected)
            server_log.wait_for(Connected, 2)
            first, second = (info.conn_id for info in server.clients())
            a_local = a_log.of(Connected)[0]
            assert isinstance(a_local, Connected)
            conn_of_a = next(i.conn_id for i in server.clients() if i.peer == a_local.local)
            conn_of_b = second if conn_of_a == first else first
            server.send(conn_of_a, "只给 A".encode())
            a_log.wait_received("只给 A".encode())
            assert server.send_all(b"!") == 2
            a_log.wait_received("只给 A!".encode())
            b_log.wait_received(b"!")
            server.disconnect(conn_of_b)
            b_log.wait_for(Disconnected)
            gone = [e for e in server_log.wait_for(Disconnected) if e.conn_id == conn_of_b]
            assert isinstance(gone[0], Disconnected)
            assert gone[0].reason == "disconnected by the server" and not gone[0].error
            closed = b_log.of(Disconnected)[0]
            assert isinstance(closed, Disconnected) and closed.reason == "closed by peer"
            with pytest.raises(ConnectError, match=f"client #{conn_of_b} is not connected"):
                server.send(conn_of_b, b"late")
            server.disconnect(conn_of_b)  # already gone: ignored
            assert server.send_all(b"?") == 1


def _reset(sock: socket.socket) -> None:
    """Close with SO_LINGER 0: the peer gets an RST instead of a FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def test_server_reports_a_client_reset() -> None:
    server, server_log = start()
    with serving(server):
        peer = socket.create_connection(("127.0.0.1", server.port), timeout=WAIT)
        name = f"127.0.0.1:{peer.getsockname()[1]}"
        server_log.wait_for(Connected)
        _reset(peer)
        [event] = server_log.wait_for(Disconnected)
    assert isinstance(event, Disconnected)
    assert event.error and event.reason == f"{name} reset the connection"


def test_client_reports_a_server_reset_and_an_orderly_close() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    try:
        for close, reason, error in [
            (_reset, f"127.0.0.1:{port} reset the connection", True),
            (socket.socket.close, "closed by peer", False),
        ]:
            client, log = connect(port)
            with session(client):
                accepted, _ = listener.accept()
                log.wait_for(Connected)
                close(accepted)
                [event] = log.wait_for(Disconnected)
            assert isinstance(event, Disconnected)
            assert (event.reason, event.error) == (reason, error)
    finally:
        listener.close()


def test_half_close_still_gets_the_echo() -> None:
    server, _ = start(reply_mode="echo")
    with serving(server):
        peer = socket.create_connection(("127.0.0.1", server.port), timeout=WAIT)
        with peer:
            peer.sendall("半关闭".encode())
            peer.shutdown(socket.SHUT_WR)
            got = b""
            while chunk := peer.recv(100):
                got += chunk
    assert got == "半关闭".encode()


@pytest.mark.parametrize(
    ("host", "client_host"),
    [
        pytest.param("::1", "::1", marks=pytest.mark.requires_ipv6),
        pytest.param("::", "127.0.0.1", marks=pytest.mark.requires_ipv6),
        pytest.param("::", "::1", marks=pytest.mark.requires_ipv6),
        ("", "localhost"),
    ],
)
def test_ipv6_and_dual_stack(host: str, client_host: str) -> None:
    server, server_log = start(host, reply_mode="echo")
    with serving(server):
        client, log = connect(server.port, client_host)
        with session(client):
            log.wait_for(Connected)
            client.send(b"v6")
            log.wait_received(b"v6")
        server_log.wait_for(Connected)
    event = server_log.of(Connected)[0]
    assert isinstance(event, Connected)
    prefix = "[::1]:" if client_host == "::1" else "127.0.0.1:"
    assert event.peer.startswith(prefix)


def test_connection_refused_is_a_connect_error_with_a_sentence() -> None:
    port = free_port()
    client, log = connect(port)
    with client, pytest.raises(ConnectError, match=f"connection refused by 127.0.0.1:{port}") as e:
        client.run()
    assert isinstance(e.value.__cause__, ConnectionRefusedError)
    assert log.events == []
    with pytest.raises(ConnectError, match="not connected"):
        client.send(b"x")


@contextmanager
def unanswering_port() -> Iterator[int]:
    """A port whose listener's queue is full, so new connections are never answered."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    try:
        for _ in range(16):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
            fillers.append(filler)
            probe = socket.socket()
            probe.settimeout(0.2)
            try:
                probe.connect(("127.0.0.1", port))
            except TimeoutError:
                break
            finally:
                probe.close()
        yield port
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


def test_connect_timeout() -> None:
    with unanswering_port() as port:
        client, _ = connect(port, connect_timeout=0.3)
        with client, pytest.raises(ConnectError, match=f"no answer from 127.0.0.1:{port}"):
            client.run()


def test_shutdown_while_connecting_returns_quietly() -> None:
    with unanswering_port() as port:
        client, log = connect(port, connect_timeout=3600)
        thread = threading.Thread(target=client.run)
        thread.start()
        wait_until_blocked(thread)  # waiting for the connection to be answered
        client.shutdown()
        thread.join(WAIT)
        client.close()
        assert not thread.is_alive()
        assert log.events == []


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: TcpClient("127.0.0.1", 0, on_event=print), "port 0"),
        (lambda: TcpClient("127.0.0.1", "70000", on_event=print), "out of range"),
        (lambda: TcpClient("", 80, on_event=print), "the host is empty"),
        (lambda: TcpServer("bad host", 0, on_event=print), "not a valid host name"),
        (lambda: TcpServer("127.0.0.1", -1, on_event=print), "out of range"),
    ],
)
def test_bad_addresses(make: Callable[[], object], message: str) -> None:
    with pytest.raises(AddressError, match=message):
        make()


def test_unknown_host_is_an_address_error_from_run() -> None:
    client, _ = connect(80, "no-such-host.invalid")
    with client, pytest.raises(AddressError, match="no such host"):
        client.run()


def test_port_in_use() -> None:
    taken = socket.create_server(("127.0.0.1", 0))
    port = taken.getsockname()[1]
    try:
        with pytest.raises(BindError, match=f"port {port} is already in use"):
            TcpServer("127.0.0.1", port, on_event=print)
    finally:
        taken.close()


def test_unknown_reply_mode() -> None:
    with pytest.raises(ValueError, match="unknown reply mode"):
        TcpServer("127.0.0.1", 0, on_event=print, reply_mode="shout")


def test_set_reply_while_running() -> None:
    server, server_log = start()
    with serving(server):
        client, log = connect(server.port)
        with session(client):
            log.wait_for(Connected)
            client.send(b"1")
            server_log.wait_received(b"1")
            server.set_reply("fixed", b"OK")
            client.send(b"2")
            log.wait_received(b"OK")
            server.set_reply("echo")
            client.send(b"3")
            log.wait_received(b"OK3")


def test_clients_beyond_the_limit_are_refused() -> None:
    server, server_log = start(max_clients=2)
    with serving(server):
        kept = [
            socket.create_connection(("127.0.0.1", server.port), timeout=WAIT) for _ in range(2)
        ]
        try:
            server_log.wait_for(Connected, 2)
            extra = socket.create_connection(("127.0.0.1", server.port), timeout=WAIT)
            with extra:
                assert extra.recv(10) == b""  # closed at once
            [refused] = server_log.wait_for(Disconnected)
            assert isinstance(refused, Disconnected)
            assert refused.error and "already has 2 clients" in refused.reason
            assert server.refused == 1 and len(server.clients()) == 2
        finally:
            for sock in kept:
                sock.close()


@pytest.mark.parametrize("use_sendfile", [True, False], ids=["sendfile", "read+send"])
def test_send_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, use_sendfile: bool) -> None:
    monkeypatch.setattr(net._tcp_conn, "USE_SENDFILE", use_sendfile)
    content = bytes(range(256)) * 12289  # a little over 3 MiB, not a multiple of any chunk
    path = tmp_path / "数据.bin"
    path.write_bytes(content)
    server, server_log = start()
    with serving(server):
        client, log = connect(server.port)
        with session(client):
            log.wait_for(Connected)
            client.send(b"<")
            client.send_file(str(path))
            client.send(b">")
            server_log.wait(
                lambda _: len(server_log.received()) == len(content) + 2, "for the file"
            )
            [done] = log.wait_for(FileSent)
    assert server_log.received() == b"<" + content + b">"
    assert isinstance(done, FileSent) and done.size == len(content) and done.path == str(path)
    assert [e.data for e in log.of(Sent) if isinstance(e, Sent)] == [b"<", b">"]


def test_send_file_errors(tmp_path: Path) -> None:
    server, _ = start()
    with serving(server):
        client, log = connect(server.port)
        with pytest.raises(ConnectError, match="not connected"):
            client.send_file(str(tmp_path))
        with session(client):
            log.wait_for(Connected)
            with pytest.raises(TransferError, match="no such file"):
                client.send_file(str(tmp_path / "missing.txt"))
            with pytest.raises(TransferError, match="a folder"):
                client.send_file(str(tmp_path))


def test_echo_to_a_client_that_does_not_read_stays_bounded() -> None:
    server, _ = start(reply_mode="echo")
    payload = bytes(range(256)) * 16384  # 4 MiB
    with serving(server):
        peer = socket.create_connection(("127.0.0.1", server.port), timeout=WAIT)
        with peer:
            writer = threading.Thread(target=peer.sendall, args=(payload,))
            writer.start()
            # While the client does not read, the server stops reading it once replies pile up.
            deadline = time.monotonic() + WAIT
            high = 0
            while time.monotonic() < deadline:
                conns = list(server._conns.values())
                if conns:
                    high = max(high, conns[0].queued)
                    if conns[0].paused:
                        break
                time.sleep(0.01)
            assert high <= REPLY_HIGH_WATER + 64 * 1024
            got = bytearray()
            while len(got) < len(payload):
                chunk = peer.recv(1 << 20)
                assert chunk
                got += chunk
            writer.join(WAIT)
            assert not writer.is_alive()
    assert got == payload


def test_send_refuses_more_when_the_peer_does_not_read() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    try:
        client, log = connect(listener.getsockname()[1])
        with session(client):
            accepted, _ = listener.accept()
            with accepted:
                log.wait_for(Connected)
                client.send(b"x" * (MAX_QUEUED_BYTES * 3))  # one big send is taken whole
                with pytest.raises(ConnectError, match="is not reading"):
                    client.send(b"more")
    finally:
        listener.close()


def test_a_server_with_no_clients_stops_on_shutdown() -> None:
    server, log = start()
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    wait_until_blocked(thread)
    server.shutdown()
    thread.join(5)
    server.close()
    assert not thread.is_alive()
    assert log.events == []
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", server.port), timeout=WAIT).close()


def test_stopping_a_server_disconnects_its_clients() -> None:
    server, server_log = start()
    with serving(server):
        client, log = connect(server.port)
        with session(client):
            log.wait_for(Connected)
            server_log.wait_for(Connected)
            server.shutdown()
            [gone] = log.wait_for(Disconnected)
    assert isinstance(gone, Disconnected) and gone.reason == "closed by peer"
    stopped = server_log.of(Disconnected)[0]
    assert isinstance(stopped, Disconnected) and stopped.reason == "server stopped"


def test_a_loop_runs_once() -> None:
    server, _ = start()
    with serving(server):
        pass
    with pytest.raises(RuntimeError, match="runs once"):
        server.serve_forever()


def test_send_from_inside_a_callback() -> None:
    server, server_log = start(reply_mode="echo")
    with serving(server):
        log = EventLog()

        def on_event(event: TcpEvent) -> None:
            log(event)
            if isinstance(event, Connected):
                client.send("回调".encode())

        client = TcpClient("127.0.0.1", server.port, on_event=on_event, keepalive=True)
        with session(client):
            log.wait_received("回调".encode())
        server_log.wait_for(Received)


def test_a_changed_idle_timeout_takes_effect_on_a_running_server() -> None:
    """TcpServer.idle_timeout is public: lowering it on a running server closes a quiet client
    at the new limit (as the panel's live settings may)."""
    events: list[object] = []
    server = TcpServer("127.0.0.1", 0, on_event=events.append, idle_timeout=60.0)
    assert server.idle_timeout == 60.0
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        server.idle_timeout = 0.2
        with socket.create_connection(("127.0.0.1", server.port)) as client:
            client.settimeout(WAIT)
            assert client.recv(1) == b""  # the server closed it, long before 60 s
        with pytest.raises(AddressError):
            server.idle_timeout = -1
    finally:
        server.shutdown()
        thread.join(WAIT)
        server.close()
    reasons = [e.reason for e in events if isinstance(e, Disconnected)]  # all in: the loop ended
    assert any("0.2 s" in r for r in reasons), reasons
