"""TCP Client and TCP Server panels against real loopback sockets; the server's liveness policy and
limits (issue 12, item 8): Max clients, refusals said, idle timeout, keepalive, a lowered cap."""

from __future__ import annotations

import random
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QCheckBox, QSpinBox
from pytestqt.qtbot import QtBot

import net.tcp
from gui.panels.tcp_client import TcpClientPanel
from gui.panels.tcp_server import DEFAULT_MAX_CLIENTS, TcpServerPanel
from gui.widgets import TrafficLogModel
from gui.widgets.traffic_log import CELL_BYTES
from tests.conftest import WAIT
from tests.gui.conftest import TcpEchoServer, free_port

TIMEOUT = int(WAIT * 1000)


@pytest.fixture
def client_panel(qtbot: QtBot) -> TcpClientPanel:
    panel = TcpClientPanel()
    qtbot.addWidget(panel)
    panel.show()
    return panel


@pytest.fixture
def server_panel(qtbot: QtBot) -> TcpServerPanel:
    panel = TcpServerPanel()
    qtbot.addWidget(panel)
    panel.show()
    return panel


def connect(qtbot: QtBot, panel: TcpClientPanel, port: int) -> None:
    panel.host.set_text("127.0.0.1")
    panel.port.set_text(str(port))
    qtbot.mouseClick(panel.connect_button, Qt.MouseButton.LeftButton)
    assert not panel.connect_button.isEnabled()
    qtbot.waitUntil(panel.send_button.isEnabled, timeout=TIMEOUT)
    assert panel.disconnect_button.isEnabled()


def in_text(panel: TcpClientPanel | TcpServerPanel) -> str:
    model = panel.log.model
    return "".join(model.data_text(entry) for entry in model.entries() if entry.direction == "in")


def in_bytes(panel: TcpClientPanel | TcpServerPanel) -> bytes:
    return b"".join(e.data for e in panel.log.model.entries() if e.direction == "in")


def in_total(panel: TcpClientPanel | TcpServerPanel) -> int:
    """Bytes the "in" rows stand for (a merged run keeps only its last bytes)."""
    return sum(e.total for e in panel.log.model.entries() if e.direction == "in")


def assert_rows_are_the_stream(panel: TcpClientPanel | TcpServerPanel, stream: bytes) -> None:
    """Every "in" row holds the bytes of the stream it stands for, or the end of them."""
    offset = 0
    for entry in panel.log.model.entries():
        if entry.direction == "in" and entry.total:
            offset += entry.total
            assert entry.data == stream[offset - len(entry.data) : offset]
            assert entry.tail or len(entry.data) == entry.total
    assert offset == len(stream)


def test_client_shows_the_echo_as_text_and_hex(
    qtbot: QtBot, client_panel: TcpClientPanel, tcp_echo: TcpEchoServer
) -> None:
    connect(qtbot, client_panel, tcp_echo.port)
    assert f"Connected to 127.0.0.1:{tcp_echo.port}" in client_panel.status.text()
    assert "TCP connected to" in client_panel.activity()
    client_panel.payload.set_text("hello")
    qtbot.mouseClick(client_panel.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: in_bytes(client_panel) == b"hello", timeout=TIMEOUT)
    assert in_text(client_panel) == "hello"
    out = [e for e in client_panel.log.model.entries() if e.direction == "out"]
    assert [e.data for e in out] == [b"hello"]
    client_panel.log.set_hex(True)
    assert in_text(client_panel) == "68 65 6C 6C 6F"
    qtbot.waitUntil(
        lambda: "received 5 B · sent 5 B" in client_panel.counters.text(), timeout=TIMEOUT
    )
    with qtbot.waitSignal(client_panel.runner.finished, timeout=TIMEOUT):
        qtbot.mouseClick(client_panel.disconnect_button, Qt.MouseButton.LeftButton)
    assert client_panel.connect_button.isEnabled()
    assert not client_panel.send_button.isEnabled()
    assert client_panel.activity() == ""
    assert "Disconnected from" in client_panel.status.text()


class SplittingServer:
    """Sends ``data`` in two parts cut inside a character: part 1 after "a", part 2 after "b"."""

    def __init__(self, data: bytes, cut: int) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.parts = [data[:cut], data[cut:]]
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        self.listener.settimeout(WAIT)
        conn, _ = self.listener.accept()
        with conn:
            conn.settimeout(WAIT)
            for part in self.parts:
                if not conn.recv(1):
                    return
                conn.sendall(part)
            conn.recv(1)  # until the client goes

    def close(self) -> None:
        self.thread.join(WAIT)
        self.listener.close()
        assert not self.thread.is_alive()


@pytest.mark.parametrize("encoding", ["UTF-8", "GBK"])
def test_client_keeps_a_character_split_across_two_reads_whole(
    qtbot: QtBot, client_panel: TcpClientPanel, encoding: str
) -> None:
    text = "中文字符"
    data = text.encode(encoding)
    server = SplittingServer(data, cut=len("中".encode(encoding)) + 1)
    try:
        client_panel.log.set_encoding(encoding)
        connect(qtbot, client_panel, server.port)
        client_panel.payload.set_text("a")
        client_panel.trigger_send()
        qtbot.waitUntil(
            lambda: len(in_bytes(client_panel)) == len(server.parts[0]), timeout=TIMEOUT
        )
        client_panel.trigger_send()
        qtbot.waitUntil(lambda: in_bytes(client_panel) == data, timeout=TIMEOUT)
        assert in_text(client_panel) == text
        rows = [e for e in client_panel.log.model.entries() if e.direction == "in"]
        model = client_panel.log.model
        assert [model.data_text(r) for r in rows] == ["中", "文字符"]
        with qtbot.waitSignal(client_panel.runner.finished, timeout=TIMEOUT):
            client_panel.trigger_stop()
    finally:
        server.close()


def test_client_reports_a_refused_connection(qtbot: QtBot, client_panel: TcpClientPanel) -> None:
    client_panel.host.set_text("127.0.0.1")
    client_panel.port.set_text(str(free_port(socket.SOCK_STREAM)))
    with qtbot.waitSignal(client_panel.runner.finished, timeout=TIMEOUT):
        client_panel.trigger_start()
    assert client_panel.status.kind == "error"
    assert "refused" in client_panel.status.text()
    assert client_panel.connect_button.isEnabled()
    assert not client_panel.disconnect_button.isEnabled()
    assert client_panel.log.model.entry(0).direction == "error"


def test_client_reports_an_unknown_host(qtbot: QtBot, client_panel: TcpClientPanel) -> None:
    client_panel.host.set_text("no-such-host.invalid")
    client_panel.port.set_text("80")
    with qtbot.waitSignal(client_panel.runner.finished, timeout=TIMEOUT):
        client_panel.trigger_start()
    assert client_panel.status.kind == "error"
    assert "no-such-host.invalid" in client_panel.status.text()
    assert client_panel.connect_button.isEnabled()


def test_client_sees_the_server_close(qtbot: QtBot, client_panel: TcpClientPanel) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    try:
        with qtbot.waitSignal(client_panel.runner.finished, timeout=TIMEOUT):
            connect(qtbot, client_panel, listener.getsockname()[1])
            listener.settimeout(WAIT)
            conn, _ = listener.accept()
            conn.sendall(b"bye")
            conn.close()
    finally:
        listener.close()
    assert in_bytes(client_panel) == b"bye"
    assert "closed by peer" in client_panel.status.text()
    assert client_panel.connect_button.isEnabled()


def test_client_shows_the_last_bytes_of_a_big_fast_stream(
    qtbot: QtBot, client_panel: TcpClientPanel
) -> None:
    stream = random.Random(8).randbytes(32 * 1024 * 1024) + b"THE END"
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        listener.settimeout(WAIT)
        conn, _ = listener.accept()
        with conn:
            conn.settimeout(WAIT)
            conn.sendall(stream)

    server = threading.Thread(target=serve)
    server.start()
    try:
        client_panel.host.set_text("127.0.0.1")
        client_panel.port.set_text(str(listener.getsockname()[1]))
        with qtbot.waitSignal(client_panel.runner.finished, timeout=TIMEOUT):
            client_panel.trigger_start()  # it may be over before Send is ever enabled
    finally:
        server.join(WAIT)
        listener.close()
    assert not server.is_alive()
    assert client_panel.client.bytes_in == len(stream)  # the counter is exact
    assert in_total(client_panel) == len(stream)
    assert_rows_are_the_stream(client_panel, stream)  # each row: the stream's bytes, or their end
    model = client_panel.log.model
    assert model.payload_bytes <= model.max_bytes
    last = max(i for i, e in enumerate(model.entries()) if e.direction == "in")
    entry = model.entry(last)
    assert entry.data.endswith(b"THE END")
    cell = model.data(model.index(last, TrafficLogModel.DATA))
    # How the chunks were batched depends on how fast the GUI drained them: a run whose start
    # was dropped shows its end; a whole run shows its start, as every row does (the hex pane
    # and Copy have the rest).
    if entry.tail or len(entry.data) <= CELL_BYTES:
        assert cell.endswith("THE END")
    else:
        assert cell.endswith("…")  # the cut is marked
    assert "received 32.0 MiB" in client_panel.counters.text()


def test_client_sends_a_file(
    qtbot: QtBot, client_panel: TcpClientPanel, tcp_echo: TcpEchoServer, tmp_path: Path
) -> None:
    path = tmp_path / "blob.bin"
    blob = bytes(range(256)) * 400
    path.write_bytes(blob)
    connect(qtbot, client_panel, tcp_echo.port)
    client_panel.send_file(str(path))
    qtbot.waitUntil(lambda: in_total(client_panel) == len(blob), timeout=TIMEOUT)
    assert_rows_are_the_stream(client_panel, blob)
    assert any("blob.bin" in (e.text or "") for e in client_panel.log.model.entries())
    client_panel.send_file(str(tmp_path / "missing.bin"))
    assert client_panel.status.kind == "error"
    with qtbot.waitSignal(client_panel.runner.finished, timeout=TIMEOUT):
        client_panel.trigger_stop()


def test_client_send_needs_a_connection(client_panel: TcpClientPanel) -> None:
    client_panel.payload.set_text("x")
    client_panel.trigger_send()
    assert client_panel.status.kind == "error"
    assert "Not connected" in client_panel.status.text()


@pytest.mark.parametrize(
    ("field", "text", "message"),
    [
        ("host", "", "host is empty"),
        ("host", "999.1.1.1", "not a valid IPv4"),
        ("port", "0", "port 0"),
        ("port", "70000", "out of range"),
        ("port", "abc", "not a number"),
    ],
)
def test_client_bad_input_connects_nothing(
    qtbot: QtBot, client_panel: TcpClientPanel, field: str, text: str, message: str
) -> None:
    client_panel.host.set_text("127.0.0.1")
    client_panel.port.set_text("80")
    target = client_panel.host if field == "host" else client_panel.port
    target.set_text(text)
    qtbot.mouseClick(client_panel.connect_button, Qt.MouseButton.LeftButton)
    assert not client_panel.runner.running
    assert target.error.isVisible()
    assert message in target.error.text().lower() or message in target.error.text()
    assert client_panel.status.kind == "error"


def test_client_malformed_hex_sends_nothing(
    qtbot: QtBot, client_panel: TcpClientPanel, tcp_echo: TcpEchoServer
) -> None:
    connect(qtbot, client_panel, tcp_echo.port)
    client_panel.payload.set_mode("hex")
    client_panel.payload.set_text("4G")
    qtbot.mouseClick(client_panel.send_button, Qt.MouseButton.LeftButton)
    assert client_panel.payload.error.isVisible()
    assert "hex digit" in client_panel.status.text()
    assert not [e for e in client_panel.log.model.entries() if e.direction == "out"]
    with qtbot.waitSignal(client_panel.runner.finished, timeout=TIMEOUT):
        client_panel.trigger_stop()


# -- server ------------------------------------------------------------------------------------


def start_server(qtbot: QtBot, panel: TcpServerPanel) -> int:
    panel.bind.set_address("127.0.0.1")
    panel.port.set_text("0")
    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.server is not None, timeout=TIMEOUT)
    assert not panel.start_button.isEnabled()
    return int(panel.server.port)


def recv_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


@pytest.fixture
def two_clients(qtbot: QtBot, server_panel: TcpServerPanel) -> Iterator[list[socket.socket]]:
    port = start_server(qtbot, server_panel)
    clients = []
    try:
        for count in (1, 2):
            sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
            clients.append(sock)
            qtbot.waitUntil(
                lambda count=count: server_panel.clients.rowCount() == count, timeout=TIMEOUT
            )
        yield clients
    finally:
        for sock in clients:
            sock.close()


def test_server_lists_clients_sends_to_one_to_all_and_disconnects_one(
    qtbot: QtBot, server_panel: TcpServerPanel, two_clients: list[socket.socket]
) -> None:
    a, b = two_clients
    table = server_panel.clients
    peers = [table.item(row, TcpServerPanel.PEER).text() for row in range(2)]
    assert peers == [f"127.0.0.1:{s.getsockname()[1]}" for s in (a, b)]
    assert "2 clients connected · 2 in all" in server_panel.counters.text()
    assert "TCP server 127.0.0.1:" in server_panel.activity()

    table.selectRow(0)
    server_panel.payload.set_text("to-a")
    qtbot.mouseClick(server_panel.send_button, Qt.MouseButton.LeftButton)
    assert recv_exactly(a, 4) == b"to-a"

    server_panel.payload.set_text("to-all")
    qtbot.mouseClick(server_panel.send_all_button, Qt.MouseButton.LeftButton)
    assert recv_exactly(a, 6) == b"to-all"
    assert recv_exactly(b, 6) == b"to-all"  # b never got "to-a"
    assert "2 clients" in server_panel.status.text()

    table.clearSelection()
    table.selectRow(1)
    qtbot.mouseClick(server_panel.disconnect_button, Qt.MouseButton.LeftButton)
    assert b.recv(10) == b""  # EOF
    qtbot.waitUntil(lambda: table.rowCount() == 1, timeout=TIMEOUT)
    assert table.item(0, TcpServerPanel.PEER).text() == peers[0]
    a.sendall(b"still here")
    qtbot.waitUntil(lambda: in_bytes(server_panel) == b"still here", timeout=TIMEOUT)

    with qtbot.waitSignal(server_panel.runner.finished, timeout=TIMEOUT):
        qtbot.mouseClick(server_panel.stop_button, Qt.MouseButton.LeftButton)
    assert a.recv(10) == b""  # stopping the server closes every client
    assert table.rowCount() == 0
    assert server_panel.start_button.isEnabled()


def test_server_shows_chinese_from_clients(
    qtbot: QtBot, server_panel: TcpServerPanel, two_clients: list[socket.socket]
) -> None:
    a, b = two_clients
    a.sendall("你好，服务器".encode())
    qtbot.waitUntil(lambda: in_text(server_panel) == "你好，服务器", timeout=TIMEOUT)
    server_panel.log.clear()
    server_panel.log.set_encoding("GBK")
    b.sendall("国标编码".encode("gbk"))
    qtbot.waitUntil(lambda: in_text(server_panel) == "国标编码", timeout=TIMEOUT)
    model = server_panel.log.model
    row = next(i for i, e in enumerate(model.entries()) if e.direction == "in")
    assert model.data(model.index(row, TrafficLogModel.DATA)) == "国标编码"


def test_server_reply_mode_changes_while_running(
    qtbot: QtBot, server_panel: TcpServerPanel, two_clients: list[socket.socket]
) -> None:
    a, _b = two_clients
    server_panel.reply_mode.setCurrentIndex(server_panel.reply_mode.findData("echo"))
    a.sendall(b"echo me")
    assert recv_exactly(a, 7) == b"echo me"
    server_panel.fixed_reply.set_mode("escapes")
    server_panel.fixed_reply.set_text(r"OK\r\n")
    server_panel.reply_mode.setCurrentIndex(server_panel.reply_mode.findData("fixed"))
    a.sendall(b"anything")
    assert recv_exactly(a, 4) == b"OK\r\n"
    server_panel.fixed_reply.set_text(r"DONE\n")
    a.sendall(b"again")
    assert recv_exactly(a, 5) == b"DONE\n"


def test_server_reports_a_port_in_use(qtbot: QtBot, server_panel: TcpServerPanel) -> None:
    with socket.create_server(("127.0.0.1", 0)) as busy:
        server_panel.bind.set_address("127.0.0.1")
        server_panel.port.set_text(str(busy.getsockname()[1]))
        with qtbot.waitSignal(server_panel.runner.finished, timeout=TIMEOUT):
            server_panel.trigger_start()
    assert server_panel.status.kind == "error"
    assert "already in use" in server_panel.status.text()
    assert server_panel.start_button.isEnabled()


@pytest.mark.parametrize(
    ("field", "text", "message"),
    [
        ("port", "70000", "out of range"),
        ("port", "abc", "not a number"),
        ("bind", "999.1.1.1", "not a valid IPv4"),
        ("bind", "", "host is empty"),
        ("fixed", "4G", "not a hex digit"),
    ],
)
def test_server_bad_input_starts_nothing(
    qtbot: QtBot, server_panel: TcpServerPanel, field: str, text: str, message: str
) -> None:
    server_panel.bind.set_address("127.0.0.1")
    server_panel.port.set_text("0")
    if field == "fixed":
        server_panel.reply_mode.setCurrentIndex(server_panel.reply_mode.findData("fixed"))
        server_panel.fixed_reply.set_mode("hex")
        server_panel.fixed_reply.set_text(text)
        inline = server_panel.fixed_reply.error
    else:
        target = server_panel.port if field == "port" else server_panel.bind
        target.set_text(text)
        inline = target.error
    qtbot.mouseClick(server_panel.start_button, Qt.MouseButton.LeftButton)
    assert not server_panel.runner.running
    assert inline.isVisible()
    assert message in server_panel.status.text()


def test_server_send_needs_a_running_server(server_panel: TcpServerPanel) -> None:
    server_panel.payload.set_text("x")
    server_panel.send_to_all()
    assert server_panel.status.kind == "error"
    assert "not running" in server_panel.status.text()


# ---- the server's liveness policy and limits (issue 12, item 8) ---------------------------


def stop(qtbot: QtBot, panel: TcpServerPanel) -> None:
    with qtbot.waitSignal(panel.runner.finished, timeout=TIMEOUT):
        qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)


def test_the_settings_are_there_with_their_defaults(server_panel: TcpServerPanel) -> None:
    spin = server_panel.findChild(QSpinBox, "maxClientsSpin")
    idle = server_panel.findChild(QSpinBox, "idleTimeoutSpin")
    keepalive = server_panel.findChild(QCheckBox, "keepaliveCheck")
    assert spin is not None and spin.value() == DEFAULT_MAX_CLIENTS == 256
    assert idle is not None and idle.value() == 0 and idle.text() == "Never"
    assert keepalive is not None and keepalive.isChecked()


def test_refused_clients_are_counted_and_said_with_the_limit(
    qtbot: QtBot, server_panel: TcpServerPanel
) -> None:
    server_panel.max_clients.setValue(2)
    server_panel.reply_mode.setCurrentIndex(server_panel.reply_mode.findData("echo"))
    port = start_server(qtbot, server_panel)
    assert not server_panel.max_clients.isEnabled()
    clients = [socket.create_connection(("127.0.0.1", port), WAIT) for _ in range(2)]
    try:
        qtbot.waitUntil(lambda: server_panel.clients.rowCount() == 2, timeout=TIMEOUT)
        with socket.create_connection(("127.0.0.1", port), WAIT) as third:
            third.settimeout(WAIT)
            assert third.recv(10) == b""
        qtbot.waitUntil(lambda: "1 refused" in server_panel.counters.text(), timeout=TIMEOUT)
        assert " · 1 refused: limit 2" in server_panel.counters.text()
        assert server_panel.status.kind == "warning"
        assert server_panel.status.text() == (
            "1 refused: 2 clients are connected, the most this server takes at once (Max clients)"
        )
        clients[0].sendall(b"still served")
        assert recv_exactly(clients[0], 12) == b"still served"
    finally:
        for client in clients:
            client.close()
    stop(qtbot, server_panel)
    assert " · 1 refused: limit 2" in server_panel.counters.text()  # kept after the run
    assert server_panel.max_clients.isEnabled()


def test_the_idle_timeout_disconnects_a_quiet_client(
    qtbot: QtBot, server_panel: TcpServerPanel
) -> None:
    server_panel.idle_timeout.setValue(1)
    port = start_server(qtbot, server_panel)
    assert server_panel.server.idle_timeout == 1
    with socket.create_connection(("127.0.0.1", port), WAIT) as quiet:
        quiet.settimeout(WAIT)
        assert quiet.recv(10) == b""
    note = "Client disconnected: nothing was sent or received for 1 s, so the connection was closed"
    qtbot.waitUntil(
        lambda: any(e.text == note for e in server_panel.log.model.entries()), timeout=TIMEOUT
    )
    stop(qtbot, server_panel)


def test_keepalive_reaches_the_server_and_can_be_turned_off(
    qtbot: QtBot, server_panel: TcpServerPanel
) -> None:
    port = start_server(qtbot, server_panel)
    with socket.create_connection(("127.0.0.1", port), WAIT):
        qtbot.waitUntil(lambda: server_panel.clients.rowCount() == 1, timeout=TIMEOUT)
        [conn] = list(server_panel.server._conns.values())  # white-box: the accepted socket
        assert conn.sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
    stop(qtbot, server_panel)
    server_panel.keepalive.setChecked(False)
    port = start_server(qtbot, server_panel)
    with socket.create_connection(("127.0.0.1", port), WAIT):
        qtbot.waitUntil(lambda: server_panel.clients.rowCount() == 1, timeout=TIMEOUT)
        [conn] = list(server_panel.server._conns.values())
        assert conn.sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 0
    stop(qtbot, server_panel)


def test_a_cap_the_system_cannot_hold_is_lowered_and_said(
    qtbot: QtBot, server_panel: TcpServerPanel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(net.tcp, "selector_capacity", lambda: 500)
    server_panel.max_clients.setValue(2000)
    start_server(qtbot, server_panel)
    assert server_panel.server.max_clients == 500
    assert server_panel.status.kind == "warning"
    assert server_panel.status.text().startswith(
        "Serving at most 500 clients at once, not 2,000: select() on this system"
    )
    stop(qtbot, server_panel)


def test_the_settings_are_remembered(qtbot: QtBot, tmp_path: object) -> None:
    settings = QSettings(str(tmp_path) + "/s.ini", QSettings.Format.IniFormat)
    first = TcpServerPanel()
    qtbot.addWidget(first)
    first.max_clients.setValue(1000)
    first.idle_timeout.setValue(300)
    first.keepalive.setChecked(False)
    first.save_settings(settings)
    second = TcpServerPanel()
    qtbot.addWidget(second)
    second.restore_settings(settings)
    assert second.max_clients.value() == 1000
    assert second.idle_timeout.value() == 300
    assert not second.keepalive.isChecked()
