"""TLS, heartbeat and reconnect controls of the panels, against real loopback sockets."""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from gui.panels.download import DownloadPanel
from gui.panels.file_server import FileServerPanel
from gui.panels.tcp_client import TcpClientPanel
from gui.panels.tcp_server import TcpServerPanel
from net.events import Received
from net.tcp import TcpServer
from net.tls import default_server_certificate, server_context
from tests.conftest import WAIT
from tests.gui.conftest import free_port

TIMEOUT = int(WAIT * 1000)


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The generated self-signed certificate lives in a temp folder."""
    folder = tmp_path / "data"
    monkeypatch.setenv("SWB_DATA_DIR", str(folder))
    return folder


class RunningServer:
    """A net TcpServer serving on its own thread (joined on close)."""

    def __init__(self, port: int = 0, **kwargs: Any) -> None:
        self.events: list[Any] = []
        self.server = TcpServer("127.0.0.1", port, on_event=self.events.append, **kwargs)
        self.port = self.server.port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def received(self) -> bytes:
        return b"".join(e.data for e in list(self.events) if isinstance(e, Received))

    def close(self) -> None:
        self.server.shutdown()
        self.thread.join(WAIT)
        self.server.close()
        assert not self.thread.is_alive()


@pytest.fixture
def servers() -> Iterator[list[RunningServer]]:
    started: list[RunningServer] = []
    yield started
    for server in started:
        server.close()


@pytest.fixture
def client_panel(qtbot: QtBot) -> TcpClientPanel:
    panel = TcpClientPanel()
    qtbot.addWidget(panel)
    panel.show()
    return panel


def start_client(qtbot: QtBot, panel: TcpClientPanel, port: int) -> None:
    panel.host.set_text("127.0.0.1")
    panel.port.set_text(str(port))
    qtbot.mouseClick(panel.connect_button, Qt.MouseButton.LeftButton)


def in_bytes(panel: TcpClientPanel | TcpServerPanel) -> bytes:
    return b"".join(e.data for e in panel.log.model.entries() if e.direction == "in")


def test_client_verifies_a_trusted_certificate_and_shows_the_tls_version(
    qtbot: QtBot, client_panel: TcpClientPanel, servers: list[RunningServer], tmp_path: Path
) -> None:
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    servers.append(RunningServer(ssl_context=context, reply_mode="echo"))
    client_panel.security.tls_check.setChecked(True)
    client_panel.security.set_mode("verify")
    client_panel.security.ca_edit.setText(str(ca_file))
    start_client(qtbot, client_panel, servers[0].port)
    qtbot.waitUntil(client_panel.send_button.isEnabled, timeout=TIMEOUT)
    assert "TLSv1." in client_panel.status.text()
    client_panel.payload.set_text("secret hello")
    qtbot.mouseClick(client_panel.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: b"secret hello" in in_bytes(client_panel), timeout=TIMEOUT)


def test_client_pins_the_generated_certificate(
    qtbot: QtBot, client_panel: TcpClientPanel, servers: list[RunningServer]
) -> None:
    cert = default_server_certificate()
    servers.append(RunningServer(ssl_context=server_context(cert), reply_mode="echo"))
    client_panel.security.tls_check.setChecked(True)
    client_panel.security.set_mode("pin")
    client_panel.security.pin_edit.setText(cert.fingerprint.replace(":", "").lower())
    start_client(qtbot, client_panel, servers[0].port)
    qtbot.waitUntil(client_panel.send_button.isEnabled, timeout=TIMEOUT)
    assert cert.fingerprint in client_panel.status.text()


def test_a_wrong_pin_is_a_clear_error_and_nothing_connects(
    qtbot: QtBot, client_panel: TcpClientPanel, servers: list[RunningServer]
) -> None:
    cert = default_server_certificate()
    servers.append(RunningServer(ssl_context=server_context(cert)))
    client_panel.security.tls_check.setChecked(True)
    client_panel.security.set_mode("pin")
    client_panel.security.pin_edit.setText(":".join(["AB"] * 32))
    with qtbot.waitSignal(client_panel.runner.finished, timeout=TIMEOUT):
        start_client(qtbot, client_panel, servers[0].port)
    assert client_panel.status.kind == "error"
    assert "fingerprint" in client_panel.status.text()
    assert not any("Connected to" in (e.text or "") for e in client_panel.log.model.entries())
    assert client_panel.connect_button.isEnabled()


def test_a_malformed_pin_is_shown_inline_and_nothing_starts(
    qtbot: QtBot, client_panel: TcpClientPanel
) -> None:
    client_panel.security.tls_check.setChecked(True)
    client_panel.security.set_mode("pin")
    client_panel.security.pin_edit.setText("not a fingerprint")
    assert client_panel.security.pin_error.isVisible()
    start_client(qtbot, client_panel, free_port(socket.SOCK_STREAM))
    assert not client_panel.runner.running
    assert client_panel.status.kind == "error"


def test_insecure_shows_the_warning(client_panel: TcpClientPanel) -> None:
    security = client_panel.security
    assert not security.warning_label.isVisible()
    security.tls_check.setChecked(True)
    security.set_mode("insecure")
    assert security.warning_label.isVisible()
    assert security.warning_label.text()
    assert security.client_tls() is not None
    security.set_mode("verify")
    assert not security.warning_label.isVisible()


def test_heartbeats_reach_the_server_and_are_counted(
    qtbot: QtBot, client_panel: TcpClientPanel, servers: list[RunningServer]
) -> None:
    servers.append(RunningServer())
    client_panel.connection.heartbeat_check.setChecked(True)
    client_panel.connection.heartbeat_edit.setText("HB\\n")
    client_panel.connection.heartbeat_period.setValue(0.2)
    start_client(qtbot, client_panel, servers[0].port)
    qtbot.waitUntil(lambda: servers[0].received().count(b"HB\n") >= 3, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: "heartbeats" in client_panel.counters.text(), timeout=TIMEOUT)


def test_reconnect_waits_for_the_server_and_disconnect_stops_the_backoff(
    qtbot: QtBot, client_panel: TcpClientPanel, servers: list[RunningServer]
) -> None:
    port = free_port(socket.SOCK_STREAM)
    client_panel.connection.reconnect_check.setChecked(True)
    client_panel.connection.reconnect_max.setValue(1.0)
    start_client(qtbot, client_panel, port)
    qtbot.waitUntil(lambda: "reconnecting in" in client_panel.status.text(), timeout=TIMEOUT)
    assert client_panel.disconnect_button.isEnabled()
    servers.append(RunningServer(port))
    qtbot.waitUntil(client_panel.send_button.isEnabled, timeout=TIMEOUT)
    # The server goes away: the client is back to waiting; Disconnect ends the wait at once.
    servers.pop().close()
    qtbot.waitUntil(lambda: "reconnecting in" in client_panel.status.text(), timeout=TIMEOUT)
    with qtbot.waitSignal(client_panel.runner.finished, timeout=TIMEOUT):
        qtbot.mouseClick(client_panel.disconnect_button, Qt.MouseButton.LeftButton)
    assert client_panel.connect_button.isEnabled()
    assert client_panel.runner.wait(WAIT)


def test_server_panel_serves_tls_with_the_generated_certificate(qtbot: QtBot) -> None:
    panel = TcpServerPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.security.tls_check.setChecked(True)
    panel.bind.set_address("127.0.0.1")
    panel.port.set_text("0")
    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.server is not None, timeout=TIMEOUT)
    cert = default_server_certificate()
    assert panel.security.fingerprint == cert.fingerprint
    assert panel.security.fingerprint_label.text().replace("\n", "") == cert.fingerprint
    context = ssl.create_default_context(cafile=str(cert.cert_path))
    with (
        socket.create_connection(("127.0.0.1", panel.server.port), timeout=WAIT) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        tls.sendall(b"hello over tls")
        qtbot.waitUntil(lambda: panel.clients.rowCount() == 1, timeout=TIMEOUT)
        qtbot.waitUntil(lambda: b"hello over tls" in in_bytes(panel), timeout=TIMEOUT)
    # A plain TCP client is turned away; the log says why.
    with socket.create_connection(("127.0.0.1", panel.server.port), timeout=WAIT) as plain:
        plain.sendall(b"GET / HTTP/1.0\r\n\r\n")
        qtbot.waitUntil(
            lambda: any(e.direction == "error" for e in panel.log.model.entries()),
            timeout=TIMEOUT,
        )
    with qtbot.waitSignal(panel.runner.finished, timeout=TIMEOUT):
        qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    assert panel.security.tls_check.isEnabled()


@pytest.fixture
def shared_file(tmp_path: Path) -> Path:
    path = tmp_path / "shared" / "report 1.bin"
    path.parent.mkdir()
    path.write_bytes(bytes(range(256)) * 400)
    return path


def start_tls_file_server(qtbot: QtBot, shared_file: Path) -> FileServerPanel:
    panel = FileServerPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.add_paths([str(shared_file)])
    panel.security.tls_check.setChecked(True)
    panel.bind.set_address("127.0.0.1")
    panel.port.set_text("0")
    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.server is not None, timeout=TIMEOUT)
    return panel


def test_file_server_panel_shares_over_https(qtbot: QtBot, shared_file: Path) -> None:
    panel = start_tls_file_server(qtbot, shared_file)
    try:
        cert = default_server_certificate()
        assert panel.security.fingerprint == cert.fingerprint
        assert panel.urls() and all(url.startswith("https://") for url in panel.urls())
        assert panel.qr.text().startswith("https://")
        context = ssl.create_default_context(cafile=str(cert.cert_path))
        conn = http.client.HTTPSConnection(
            "127.0.0.1", panel.server.port, context=context, timeout=WAIT
        )
        try:
            conn.request("GET", "/" + urllib.parse.quote(shared_file.name))
            response = conn.getresponse()
            assert response.status == 200
            assert response.read() == shared_file.read_bytes()
        finally:
            conn.close()
    finally:
        panel.stop_workers()


def test_download_panel_fetches_https_with_the_pin(
    qtbot: QtBot, shared_file: Path, tmp_path: Path
) -> None:
    server = start_tls_file_server(qtbot, shared_file)
    panel = DownloadPanel()
    qtbot.addWidget(panel)
    panel.show()
    try:
        folder = tmp_path / "downloads"
        folder.mkdir()
        url = f"https://127.0.0.1:{server.server.port}/" + urllib.parse.quote(shared_file.name)
        panel.url_edit.setText(url)
        panel.folder_edit.setText(str(folder))
        # Verification against the system's CAs refuses the self-signed certificate, and says so.
        with qtbot.waitSignal(panel.runner.finished, timeout=TIMEOUT):
            qtbot.mouseClick(panel.download_button, Qt.MouseButton.LeftButton)
        assert panel.status.kind == "error"
        assert "certificate" in panel.status.text()
        assert not (folder / shared_file.name).exists()
        panel.security.set_mode("pin")
        panel.security.pin_edit.setText(default_server_certificate().fingerprint)
        with qtbot.waitSignal(panel.runner.finished, timeout=TIMEOUT):
            qtbot.mouseClick(panel.download_button, Qt.MouseButton.LeftButton)
        assert (folder / shared_file.name).read_bytes() == shared_file.read_bytes()
        assert panel.status.kind != "error", panel.status.text()
    finally:
        panel.stop_workers()
        server.stop_workers()
