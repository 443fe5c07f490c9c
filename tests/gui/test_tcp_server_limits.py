"""The TCP server panel's liveness policy and limits (issue 12, item 8): a Max clients setting
instead of a fixed 256, refusals said in the status line and the counters, an idle timeout,
keepalive on by default, and a cap lowered by the system said so. Real sockets on loopback."""

from __future__ import annotations

import socket

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QCheckBox, QSpinBox
from pytestqt.qtbot import QtBot

import net.tcp
from gui.panels.tcp_server import DEFAULT_MAX_CLIENTS, TcpServerPanel
from tests.conftest import WAIT
from tests.gui.test_tcp_panels import TIMEOUT, recv_exactly, start_server


@pytest.fixture
def server_panel(qtbot: QtBot) -> TcpServerPanel:
    panel = TcpServerPanel()
    qtbot.addWidget(panel)
    panel.show()
    return panel


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
