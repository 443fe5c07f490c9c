"""TcpClient keeping a connection honest over real loopback sockets: keepalive settings, heartbeats,
a silent peer declared dead, idle timeouts, and auto-reconnect with backoff (a server restarting on
the same port, shutdown() during the wait, errors that must not be retried)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from net.errors import AddressError, ConnectError, TlsError
from net.events import Connected, Disconnected, Received, Reconnecting, Sent
from net.tcp import TcpClient, TcpEvent, TcpServer
from net.tls import ClientTls, default_server_certificate, server_context
from tests.conftest import WAIT
from tests.net.test_tcp import EventLog, connect, serving, session, start

FAST_RECONNECT = {"reconnect": True, "reconnect_initial": 0.05, "reconnect_max": 0.2}


@contextmanager
def running(client: TcpClient) -> Iterator[list[BaseException]]:
    """Run ``client`` in a thread; the list gets what run() raised. Joined on the way out."""
    failures: list[BaseException] = []

    def run() -> None:
        try:
            client.run()
        except BaseException as exc:
            failures.append(exc)

    thread = threading.Thread(target=run, name="test client")
    thread.start()
    try:
        yield failures
    finally:
        client.shutdown()
        thread.join(WAIT)
        client.close()
        assert not thread.is_alive(), "the client did not stop"


def run_to_the_end(client: TcpClient) -> None:
    """run() on a thread, expected to return by itself (joined within WAIT)."""
    thread = threading.Thread(target=client.run)
    thread.start()
    thread.join(WAIT)
    try:
        assert not thread.is_alive(), "run() did not return"
    finally:
        client.shutdown()
        thread.join(WAIT)
        client.close()


@contextmanager
def silent_server() -> Iterator[tuple[int, list[socket.socket]]]:
    """A listener whose accepted connections never send anything (kept open until the end)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(WAIT)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            accepted.append(conn)

    thread = threading.Thread(target=accept)
    thread.start()
    try:
        yield listener.getsockname()[1], accepted
    finally:
        stop.set()
        socket.create_connection(("127.0.0.1", listener.getsockname()[1])).close()  # wake accept
        thread.join(WAIT)
        listener.close()
        for conn in accepted:
            conn.close()


def kinds(events: list[TcpEvent]) -> list[str]:
    return [type(e).__name__ for e in events]


# ---- settings -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        ({"keepalive": True, "keepalive_idle": 0}, "keepalive idle time"),
        ({"keepalive": True, "keepalive_count": 500}, "keepalive probe count"),
        ({"heartbeat": b""}, "heartbeat is empty"),
        ({"heartbeat": b"x", "heartbeat_interval": 0}, "heartbeat interval"),
        ({"dead_after": -1}, "dead-peer time"),
        ({"idle_timeout": 0}, "idle timeout"),
        ({"connect_timeout": 0}, "connect timeout"),
        ({"reconnect": True, "reconnect_initial": 5, "reconnect_max": 1}, "shorter than the first"),
        ({"reconnect": True, "reconnect_initial": 0}, "more than 0 seconds"),
    ],
)
def test_bad_settings_are_address_errors_at_once(settings: dict[str, object], words: str) -> None:
    with pytest.raises(AddressError, match=words):
        TcpClient("127.0.0.1", 9, on_event=print, **settings)  # type: ignore[arg-type]


def test_keepalive_timings_reach_the_socket() -> None:
    server, _ = start()
    with serving(server):
        client, log = connect(
            server.port, keepalive=True, keepalive_idle=7, keepalive_interval=3, keepalive_count=4
        )
        with session(client):
            log.wait_for(Connected)
            assert client._conn is not None
            sock = client._conn.sock
            assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE)
            if hasattr(socket, "TCP_KEEPIDLE"):
                assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == 7
                assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL) == 3
                assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT) == 4


# ---- heartbeats, dead peers, idle connections ---------------------------------------------------


def test_heartbeats_are_sent_and_flagged() -> None:
    server, server_log = start()
    with serving(server):
        client, log = connect(server.port, heartbeat="心跳\n".encode(), heartbeat_interval=0.05)
        with session(client):
            log.wait_for(Connected)
            client.send(b"data\n")
            server_log.wait(
                lambda _: server_log.received().count("心跳\n".encode()) >= 3, "three heartbeats"
            )
    sent = [e for e in log.of(Sent) if isinstance(e, Sent)]
    assert [e.data for e in sent if not e.heartbeat] == [b"data\n"]
    beats = [e for e in sent if e.heartbeat]
    assert len(beats) >= 3 and all(e.data == "心跳\n".encode() for e in beats)
    assert server_log.received().replace("心跳\n".encode(), b"") == b"data\n"


def test_a_silent_peer_is_declared_dead() -> None:
    with silent_server() as (port, _):
        client, log = connect(port, dead_after=0.2)
        run_to_the_end(client)
    assert kinds(log.events) == ["Connected", "Disconnected"]
    gone = log.events[-1]
    assert isinstance(gone, Disconnected) and gone.error
    assert gone.reason == f"127.0.0.1:{port} sent nothing for 0.2 s; treating it as dead"


def test_a_peer_that_answers_heartbeats_stays_alive() -> None:
    server, _ = start(reply_mode="echo")
    with serving(server):
        client, log = connect(
            server.port, heartbeat=b"ping", heartbeat_interval=0.05, dead_after=WAIT
        )
        with session(client):
            log.wait(lambda _: log.received().count(b"ping") >= 5, "five echoed heartbeats")
            assert client.connected
    assert kinds(log.events).count("Disconnected") == 1
    last = log.events[-1]
    assert isinstance(last, Disconnected) and last.reason == "disconnected"


def test_an_idle_connection_is_closed_and_not_reconnected() -> None:
    with silent_server() as (port, accepted):
        client, log = connect(port, idle_timeout=0.2, **FAST_RECONNECT)
        run_to_the_end(client)
        assert len(accepted) == 1
    assert kinds(log.events) == ["Connected", "Disconnected"]
    gone = log.events[-1]
    assert isinstance(gone, Disconnected) and not gone.error
    assert gone.reason == "nothing was sent or received for 0.2 s, so the connection was closed"


# ---- reconnecting -------------------------------------------------------------------------------


def test_reconnects_after_the_server_restarts_on_the_same_port() -> None:
    first, _ = start(reply_mode="echo")
    port = first.port
    log = EventLog()
    client = TcpClient(
        "127.0.0.1", port, on_event=log, reconnect_reset_after=WAIT, **FAST_RECONNECT
    )
    with running(client) as failures:
        with serving(first):
            log.wait_for(Connected)
            client.send(b"one")
            log.wait_received(b"one")
        # The server is gone: the client says why, waits, and tries again and again.
        log.wait_for(Reconnecting, 3)
        assert not client.connected and client.reconnecting
        with pytest.raises(ConnectError, match=r"not connected \(reconnecting…\)"):
            client.send(b"lost")
        second = TcpServer("127.0.0.1", port, on_event=lambda e: None, reply_mode="echo")
        with serving(second):
            log.wait_for(Connected, 2)
            client.send(b"two")
            log.wait_received(b"onetwo")
            assert client.connected and not client.reconnecting
    assert failures == []
    events = log.events
    connected = [e for e in events if isinstance(e, Connected)]
    assert [e.conn_id for e in connected] == [1, 2]
    first_gone = next(e for e in events if isinstance(e, Disconnected))
    assert first_gone.conn_id == 1 and first_gone.reason == "closed by peer"
    # (Stopping the second server at the end starts another round: leave that out.)
    retries = [e for e in events[: events.index(connected[1])] if isinstance(e, Reconnecting)]
    assert len(retries) >= 3 and retries[0].reason == "closed by peer"
    assert all(r.reason.startswith("connection refused by 127.0.0.1") for r in retries[1:])
    assert [r.attempt for r in retries] == list(range(1, len(retries) + 1))
    assert all(0 < r.delay <= 0.2 for r in retries)
    assert all(r.peer == f"127.0.0.1:{port}" for r in retries)
    # Each Reconnecting comes after the Disconnected of the connection it replaces.
    assert events.index(first_gone) < events.index(retries[0]) < events.index(connected[1])


def test_the_first_connection_is_retried_too_and_the_backoff_resets() -> None:
    placeholder = socket.create_server(("127.0.0.1", 0))  # a port that is free once closed
    port = placeholder.getsockname()[1]
    placeholder.close()
    log = EventLog()
    client = TcpClient("127.0.0.1", port, on_event=log, reconnect_reset_after=0, **FAST_RECONNECT)
    with running(client) as failures:
        log.wait_for(Reconnecting, 2)
        server_log = EventLog()
        server = TcpServer("127.0.0.1", port, on_event=server_log)
        with serving(server):
            log.wait_for(Connected)
            [accepted] = server_log.wait_for(Connected)
            server.disconnect(accepted.conn_id)
            log.wait_for(Connected, 2)
    assert failures == []
    retries = [e for e in log.events if isinstance(e, Reconnecting)]
    before = [r for r in retries if log.events.index(r) < log.events.index(log.of(Connected)[0])]
    after = retries[len(before) :]
    assert [r.attempt for r in before] == list(range(1, len(before) + 1))
    # That connection lasted (reconnect_reset_after=0), so counting starts again at 1.
    assert after[0].attempt == 1 and after[0].reason == "closed by peer"


def test_shutdown_ends_a_long_backoff_at_once() -> None:
    placeholder = socket.create_server(("127.0.0.1", 0))
    port = placeholder.getsockname()[1]
    placeholder.close()
    log = EventLog()
    client = TcpClient(
        "127.0.0.1",
        port,
        on_event=log,
        reconnect=True,
        reconnect_initial=3600,
        reconnect_max=3600,
    )
    thread = threading.Thread(target=client.run)
    thread.start()
    try:
        [waiting] = log.wait_for(Reconnecting)
        assert isinstance(waiting, Reconnecting) and waiting.delay > 60
        client.shutdown()
        thread.join(WAIT)  # far less than the hour it was waiting for
        assert not thread.is_alive()
    finally:
        client.shutdown()
        thread.join(WAIT)
        client.close()
    assert kinds(log.events) == ["Reconnecting"]


def test_shutdown_while_connected_does_not_reconnect() -> None:
    server, _ = start()
    with serving(server):
        client, log = connect(server.port, **FAST_RECONNECT)
        with session(client):
            log.wait_for(Connected)
    assert kinds(log.events) == ["Connected", "Disconnected"]


@pytest.fixture
def self_signed_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TcpServer]:
    monkeypatch.setenv("SWB_DATA_DIR", str(tmp_path / "data"))
    server, _ = start(reply_mode="echo", ssl_context=server_context(default_server_certificate()))
    with serving(server):
        yield server


NOT_RETRIED: list[tuple[Callable[[], ClientTls], str]] = [
    (lambda: ClientTls(fingerprint=":".join(["AB"] * 32)), "does not match the pinned one"),
    (ClientTls, "is self-signed and not trusted"),
]


@pytest.mark.parametrize(("opts", "words"), NOT_RETRIED, ids=["wrong pin", "not trusted"])
def test_certificate_problems_are_not_retried(
    self_signed_server: TcpServer, opts: Callable[[], ClientTls], words: str
) -> None:
    log = EventLog()
    client = TcpClient(
        "localhost", self_signed_server.port, on_event=log, tls=opts(), **FAST_RECONNECT
    )
    with client, pytest.raises(TlsError, match=words):
        client.run()
    assert log.events == []


def test_a_plain_server_is_not_retried_with_tls() -> None:
    server, _ = start(reply_mode="fixed", fixed_reply=b"plain\n")
    with serving(server):
        client, log = connect(server.port, tls=ClientTls(verify=False), **FAST_RECONNECT)
        with client, pytest.raises(TlsError, match="speaks plain TCP, not TLS"):
            client.run()
    assert log.events == []


def test_an_unknown_host_is_not_retried() -> None:
    client, log = connect(80, "no-such-host.invalid", **FAST_RECONNECT)
    with client, pytest.raises(AddressError, match="no such host"):
        client.run()
    assert log.events == []


def test_tls_reconnects_after_the_server_restarts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SWB_DATA_DIR", str(tmp_path / "data"))
    cert = default_server_certificate()
    first, _ = start(reply_mode="echo", ssl_context=server_context(cert))
    port = first.port
    log = EventLog()
    opts = ClientTls(fingerprint=cert.fingerprint)
    client = TcpClient("localhost", port, on_event=log, tls=opts, **FAST_RECONNECT)
    with running(client) as failures:
        with serving(first):
            log.wait_for(Connected)
        log.wait_for(Reconnecting)
        second = TcpServer(
            "127.0.0.1", port, on_event=lambda e: None, ssl_context=server_context(cert)
        )
        with serving(second):
            [_, again] = log.wait_for(Connected, 2)
    assert failures == []
    assert isinstance(again, Connected) and again.tls is not None
    assert again.tls.peer_fingerprint == cert.fingerprint
    assert not any(isinstance(e, Received) for e in log.events)
