"""The Relay panel against real loopback peers: a client and a server talk through it byte-exact
with both directions in the log, faults change while running, connections close from the list."""

from __future__ import annotations

import os
import socket
import ssl
import time
from pathlib import Path

import pytest
import trustme
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from gui.panels.relay import RelayPanel
from tests.conftest import WAIT
from tests.gui.conftest import TcpEchoServer, UdpEcho
from tests.net.test_relay import echo, tcp_target

TIMEOUT = int(WAIT * 1000)


@pytest.fixture
def panel(qtbot: QtBot) -> RelayPanel:
    widget = RelayPanel()
    qtbot.addWidget(widget)
    widget.show()
    return widget


def start(qtbot: QtBot, panel: RelayPanel, target_port: int, *, udp: bool = False) -> int:
    panel.bind.set_address("127.0.0.1")
    panel.port.set_text("0")
    panel.target_host.set_text("127.0.0.1")
    panel.target_port.set_text(str(target_port))
    panel.protocol.setCurrentIndex(1 if udp else 0)
    with qtbot.waitSignal(panel.runner.opened, timeout=TIMEOUT):
        qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    assert not panel.start_button.isEnabled() and panel.stop_button.isEnabled()
    return int(panel.relay.port)


def stop(qtbot: QtBot, panel: RelayPanel) -> None:
    with qtbot.waitSignal(panel.runner.finished, timeout=TIMEOUT):
        qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    assert panel.start_button.isEnabled()


def log_bytes(panel: RelayPanel, direction: str) -> bytes:
    return b"".join(e.data for e in panel.log.model.entries() if e.direction == direction)


def log_total(panel: RelayPanel, direction: str) -> int:
    return sum(e.total for e in panel.log.model.entries() if e.direction == direction)


def receive(sock: socket.socket, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        assert chunk, "closed early"
        data += chunk
    return bytes(data)


def test_client_and_server_talk_through_the_panel_byte_exact(
    qtbot: QtBot, panel: RelayPanel, tcp_echo: TcpEchoServer
) -> None:
    port = start(qtbot, panel, tcp_echo.port)
    message = "你好, relay\r\n".encode()
    big = os.urandom(512 * 1024)
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as client:
        client.sendall(message)
        assert receive(client, len(message)) == message
        qtbot.waitUntil(lambda: log_bytes(panel, "<-") == message, timeout=TIMEOUT)
        assert log_bytes(panel, "->") == message
        peer = next(e.peer for e in panel.log.model.entries() if e.direction == "->")
        assert peer == f"#1 127.0.0.1:{client.getsockname()[1]}"
        texts = [panel.log.model.data_text(e) for e in panel.log.model.entries()]
        assert "你好, relay\\r\\n" in texts
        client.sendall(big)
        assert receive(client, len(big)) == big
        qtbot.waitUntil(lambda: log_total(panel, "<-") == len(message) + len(big), timeout=TIMEOUT)
        assert log_total(panel, "->") == len(message) + len(big)
        qtbot.waitUntil(lambda: panel.connections.rowCount() == 1, timeout=TIMEOUT)
        assert (
            panel.connections.item(0, panel.CLIENT).text() == f"127.0.0.1:{client.getsockname()[1]}"
        )
        counters = panel.counters.text()
        assert "-> " in counters and "<- " in counters and "0 dropped" in counters
    stop(qtbot, panel)


def test_faults_apply_while_running_and_connections_close_from_the_list(
    qtbot: QtBot, panel: RelayPanel, tcp_echo: TcpEchoServer
) -> None:
    port = start(qtbot, panel, tcp_echo.port)

    def round_trip(client: socket.socket) -> float:
        begin = time.monotonic()
        client.sendall(b"ping")
        assert receive(client, 4) == b"ping"
        return time.monotonic() - begin

    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as client:
        plain = min(round_trip(client) for _ in range(3))
        panel.fault_direction.setCurrentIndex(1)  # client -> target only
        panel.delay.setValue(100)
        assert panel.relay.faults("->").delay_ms == 100
        assert panel.relay.faults("<-").delay_ms == 0
        assert round_trip(client) - plain >= 0.090
        panel.delay.setValue(0)
        panel.down.setChecked(True)
        with (
            pytest.raises(ConnectionResetError),
            socket.create_connection(("127.0.0.1", port), timeout=WAIT) as refused,
        ):
            refused.recv(1)
        panel.down.setChecked(False)
        qtbot.waitUntil(lambda: panel.connections.rowCount() == 1, timeout=TIMEOUT)
        panel.connections.selectRow(0)
        assert panel.close_button.isEnabled()
        qtbot.mouseClick(panel.close_button, Qt.MouseButton.LeftButton)
        assert client.recv(1) == b""  # closed in order by the relay
        qtbot.waitUntil(lambda: panel.connections.rowCount() == 0, timeout=TIMEOUT)
    notes = [panel.log.model.data_text(e) for e in panel.log.model.entries()]
    assert any("closed on purpose" in note for note in notes)
    stop(qtbot, panel)


def test_udp_relay_with_loss(qtbot: QtBot, panel: RelayPanel, udp_echo: UdpEcho) -> None:
    port = start(qtbot, panel, udp_echo.port, udp=True)
    assert not panel.slice.isEnabled() and panel.loss.isEnabled()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        client.settimeout(WAIT)
        client.sendto(b"hello", ("127.0.0.1", port))
        assert client.recv(100) == b"hello"
        qtbot.waitUntil(lambda: log_bytes(panel, "<-") == b"hello", timeout=TIMEOUT)
        panel.loss.setValue(100)
        client.sendto(b"lost", ("127.0.0.1", port))
        qtbot.waitUntil(lambda: "1 dropped" in panel.counters.text(), timeout=TIMEOUT)
    assert any(e.direction == "-> dropped" for e in panel.log.model.entries())
    stop(qtbot, panel)


def test_bad_input_is_shown_and_nothing_starts(qtbot: QtBot, panel: RelayPanel) -> None:
    panel.bind.set_address("127.0.0.1")
    panel.port.set_text("0")
    panel.target_host.set_text("127.0.0.1")
    panel.target_port.set_text("0")
    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    assert not panel.runner.running
    assert "Port 0 cannot be used" in panel.status.text()


def test_tls_on_both_sides_is_seen_in_clear(
    qtbot: QtBot, panel: RelayPanel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SWB_DATA_DIR", str(tmp_path / "data"))  # the generated certificate
    ca = trustme.CA()
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    panel.listen_security.tls_check.setChecked(True)
    panel.target_security.tls_check.setChecked(True)
    panel.target_security.ca_edit.setText(str(ca_file))
    with tcp_target(echo, server_context) as target_port:
        port = start(qtbot, panel, target_port)
        fingerprint = panel.listen_security.fingerprint
        assert fingerprint.count(":") == 31
        client_context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        client_context.check_hostname = False
        client_context.verify_mode = ssl.CERT_NONE
        raw = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
        with client_context.wrap_socket(raw) as client:
            client.sendall(b"secret")
            assert receive(client, 6) == b"secret"
            qtbot.waitUntil(lambda: log_bytes(panel, "<-") == b"secret", timeout=TIMEOUT)
        assert log_bytes(panel, "->") == b"secret"
        stop(qtbot, panel)
    assert not panel.listen_security.fingerprint
