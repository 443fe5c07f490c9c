"""TcpServer's liveness policy and limits over real loopback sockets: keepalive on accepted
sockets, an idle timeout, a refused client told why, a cap lowered to what the process can hold,
and timers that stay right after the loop sat idle longer than each of them (issue 12, items 1
and 8)."""

from __future__ import annotations

import socket
import ssl
import subprocess
import sys
import time
from typing import Any

import pytest

import net.tcp
from net._loop import DESCRIPTOR_RESERVE
from net.errors import AddressError
from net.events import Connected, Disconnected, Received, Reconnecting
from net.tcp import TcpServer, client_cap, idle_reason
from net.tls import ServerCertificate, default_server_certificate, server_context
from tests import simulate
from tests.conftest import WAIT
from tests.net.test_tcp import connect, serving, session, start

# Longer than every timeout the servers below are given, so a deadline computed from a clock read
# before the wait would already be over when the next client comes.
IDLE_SPELL = 1.0


def _echo_once(sock: socket.socket, data: bytes) -> bytes:
    sock.sendall(data)
    got = b""
    while len(got) < len(data):
        chunk = sock.recv(len(data) - len(got))
        if not chunk:
            break
        got += chunk
    return got


def _sole_connection(server: TcpServer) -> socket.socket:
    # White-box: the accepted socket itself, to read its options back.
    [conn] = list(server._conns.values())
    return conn.sock


@pytest.fixture
def self_signed(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> ServerCertificate:
    monkeypatch.setenv("SWB_DATA_DIR", str(tmp_path))
    return default_server_certificate()


def test_accepted_sockets_have_keepalive_by_default() -> None:
    server, log = start(keepalive_idle=7, keepalive_interval=3, keepalive_count=4)
    with serving(server), socket.create_connection(("127.0.0.1", server.port), WAIT):
        log.wait_for(Connected)
        sock = _sole_connection(server)
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == 7
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL) == 3
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT) == 4


def test_keepalive_can_be_turned_off() -> None:
    server, log = start(keepalive=False)
    with serving(server), socket.create_connection(("127.0.0.1", server.port), WAIT):
        log.wait_for(Connected)
        assert _sole_connection(server).getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 0


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"idle_timeout": 0}, "idle timeout must be a number of seconds above 0"),
        ({"idle_timeout": -1.0}, "idle timeout must be a number of seconds above 0"),
        ({"keepalive_idle": 0}, "keepalive idle time must be a whole number"),
        ({"keepalive_count": 1000}, "keepalive probe count must be a whole number"),
        ({"max_clients": 0}, "most clients at once must be 1 or more"),
    ],
)
def test_bad_liveness_settings_are_address_errors(kw: dict[str, Any], message: str) -> None:
    with pytest.raises(AddressError, match=message):
        start(**kw)


def test_idle_timeout_closes_quiet_clients_and_keeps_busy_ones() -> None:
    server, log = start(reply_mode="echo", idle_timeout=0.5)
    with (
        serving(server),
        socket.create_connection(("127.0.0.1", server.port), WAIT) as quiet,
        socket.create_connection(("127.0.0.1", server.port), WAIT) as busy,
    ):
        quiet.settimeout(WAIT)
        log.wait_for(Connected, 2)
        # The busy client talks every 0.2 s for 1.5 s: three times the idle timeout.
        end = time.monotonic() + 1.5
        while time.monotonic() < end:
            assert _echo_once(busy, b"ping") == b"ping"
            time.sleep(0.2)  # pacing the traffic, not waiting for anything
        assert quiet.recv(10) == b""  # the server closed the quiet one
        [ended] = log.wait_for(Disconnected)
        assert isinstance(ended, Disconnected)
        assert (ended.reason, ended.error) == (idle_reason(0.5), False)
        assert (
            ended.reason == "nothing was sent or received for 0.5 s, so the connection was closed"
        )
        assert len(server.clients()) == 1
        assert _echo_once(busy, b"still here") == b"still here"


def test_timers_start_fresh_after_the_server_sat_idle(self_signed: ServerCertificate) -> None:
    # Handshake deadline and idle timeout both 0.5 s; the loop then waits idle for 1 s. A client
    # arriving after that gets its whole handshake time and its whole idle time.
    server, log = start(
        reply_mode="echo",
        ssl_context=server_context(self_signed),
        handshake_timeout=0.5,
        idle_timeout=0.5,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with serving(server):
        time.sleep(IDLE_SPELL)  # the idle spell under test
        raw = socket.create_connection(("127.0.0.1", server.port), WAIT)
        with context.wrap_socket(raw) as tls:
            log.wait_for(Connected)
            assert _echo_once(tls, "安全".encode()) == "安全".encode()
            time.sleep(0.2)  # well inside its idle time: still served
            assert _echo_once(tls, b"again") == b"again"
            [ended] = log.wait_for(Disconnected)
    assert isinstance(ended, Disconnected) and ended.reason == idle_reason(0.5)
    assert server.tls_failures == 0


def test_idle_timeout_after_the_server_sat_idle_closes_only_at_its_time() -> None:
    server, log = start(reply_mode="echo", idle_timeout=0.5)
    with serving(server):
        time.sleep(IDLE_SPELL)  # the idle spell under test
        with socket.create_connection(("127.0.0.1", server.port), WAIT) as client:
            client.settimeout(WAIT)
            log.wait_for(Connected)
            assert _echo_once(client, b"first") == b"first"
            assert client.recv(10) == b""
    [ended] = log.of(Disconnected)
    assert isinstance(ended, Disconnected) and ended.reason == idle_reason(0.5)


def test_a_refused_client_is_closed_and_told_why_while_the_others_still_echo() -> None:
    server, log = start(reply_mode="echo", max_clients=2)
    with serving(server):
        first = socket.create_connection(("127.0.0.1", server.port), WAIT)
        second = socket.create_connection(("127.0.0.1", server.port), WAIT)
        log.wait_for(Connected, 2)
        with first, second, socket.create_connection(("127.0.0.1", server.port), WAIT) as third:
            third.settimeout(WAIT)
            assert third.recv(10) == b""
            [refused] = log.wait_for(Disconnected)
            assert isinstance(refused, Disconnected) and refused.error
            port = third.getsockname()[1]
            assert refused.reason == (
                f"refused 127.0.0.1:{port}: the server already has 2 clients, its limit"
            )
            assert (server.refused, server.max_clients, server.limit_reason) == (1, 2, None)
            assert _echo_once(first, b"one") == b"one"
            assert _echo_once(second, b"two") == b"two"


def test_the_cap_is_lowered_to_the_descriptor_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(net.tcp, "descriptor_limit", lambda: 1024)
    cap, reason = client_cap(2000)
    assert cap == 1024 - DESCRIPTOR_RESERVE
    assert reason == (
        "this process may open only 1024 files and sockets (its descriptor limit), and keeps "
        f"{DESCRIPTOR_RESERVE} of them for other uses"
    )
    assert client_cap(100) == (100, None)
    server, _log = start(max_clients=2000)
    with server:
        assert (server.requested_max_clients, server.max_clients) == (2000, cap)
        assert server.limit_reason == reason


def test_the_cap_is_lowered_to_the_selector_capacity(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(net.tcp, "selector_capacity", lambda: 500)
    monkeypatch.setattr(net.tcp, "descriptor_limit", lambda: None)
    assert client_cap(2000) == (
        500,
        "select() on this system lets one server watch at most 500 connections",
    )
    assert client_cap(300) == (300, None)


# ---- TcpClient's timers after an idle spell -------------------------------------------------


def test_a_reconnect_after_a_long_backoff_gets_its_whole_connect_time() -> None:
    # The backoff (0.8 s) is longer than the connect timeout (0.3 s): the retry must still get
    # its 0.3 s, measured from when it starts, not from before the wait.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))  # bound, not listening: connections are refused
        port = listener.getsockname()[1]
        client, log = connect(
            port,
            connect_timeout=0.3,
            reconnect=True,
            reconnect_initial=0.8,
            reconnect_max=0.8,
        )
        with session(client):
            [retry] = log.wait_for(Reconnecting)
            assert isinstance(retry, Reconnecting) and "connection refused" in retry.reason
            listener.listen()
            log.wait_for(Connected)
            assert len(log.of(Reconnecting)) == 1


def test_client_timers_start_fresh_on_a_connection_made_after_an_idle_spell() -> None:
    # Heartbeat every 0.2 s, dead after 0.5 s of silence, idle timeout 0.5 s; the first
    # connection ends and the client waits 0.8 s before the next. The echoing server answers
    # each heartbeat, so the new connection stays up: no dead-peer or idle verdict from clocks
    # read before the wait.
    server, server_log = start(reply_mode="echo")
    with serving(server):
        client, log = connect(
            server.port,
            heartbeat=b"hb",
            heartbeat_interval=0.2,
            dead_after=0.5,
            idle_timeout=0.5,
            reconnect=True,
            reconnect_initial=0.8,
            reconnect_max=0.8,
        )
        with session(client):
            [first] = server_log.wait_for(Connected)
            assert isinstance(first, Connected)
            server.disconnect(first.conn_id)
            log.wait_for(Reconnecting)
            log.wait_for(Connected, 2)
            echoed = len(log.of(Received))
            log.wait(lambda _: len(log.of(Received)) >= echoed + 5, "for 5 echoed heartbeats")
            assert len(log.of(Disconnected)) == 1  # only the first, closed by the server
            server.set_reply("none")  # heartbeats go unanswered from now on
            log.wait_for(Disconnected, 2)
    last = log.of(Disconnected)[-1]
    assert isinstance(last, Disconnected) and last.error
    assert last.reason.endswith("sent nothing for 0.5 s; treating it as dead")


# A server whose process has used up its descriptors (everything else of a GUI, say): it prints
# each Disconnected reason, and its port once it is ready.
OUT_OF_DESCRIPTORS = """
import os, resource, sys
resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
from net.events import Disconnected
from net.tcp import TcpServer

def on_event(event):
    if isinstance(event, Disconnected):
        print(event.reason, flush=True)

server = TcpServer("127.0.0.1", 0, on_event=on_event, reply_mode="echo", max_clients=1000)
hog = []
while True:
    try:
        hog.append(os.open(os.devnull, os.O_RDONLY))
    except OSError:
        break
for _ in range(3):
    os.close(hog.pop())
print(server.port, flush=True)
server.serve_forever()
"""


def test_a_client_beyond_the_descriptor_limit_is_refused_not_left_hanging() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", OUT_OF_DESCRIPTORS],
        stdout=subprocess.PIPE,
        text=True,
        env=simulate.env(),
    )
    clients: list[socket.socket] = []
    try:
        assert child.stdout is not None
        port = int(child.stdout.readline())
        for _ in range(8):
            client = socket.create_connection(("127.0.0.1", port), WAIT)
            client.settimeout(WAIT)
            clients.append(client)
        # Three descriptors were free and the loop's selector took one: two clients are
        # served, the others are told no at once instead of hanging in the backlog.
        for client in clients[2:]:
            assert client.recv(10) == b""
        lines = [child.stdout.readline() for _ in clients[2:]]
        for client, line in zip(clients[2:], lines, strict=True):
            port_of_client = client.getsockname()[1]
            assert line == (
                f"refused 127.0.0.1:{port_of_client}: this process has no descriptors left for "
                "another connection (its limit is 256 open files and sockets)\n"
            )
        assert _echo_once(clients[0], b"served") == b"served"
        assert _echo_once(clients[1], b"served") == b"served"
    finally:
        for client in clients:
            client.close()
        child.kill()
        child.wait(WAIT)
        if child.stdout is not None:
            child.stdout.close()
