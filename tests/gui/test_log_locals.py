"""The panels tell their traffic log this end's address (TrafficLog.set_local), so a pcapng export
names the real local ends: a server bound to 0.0.0.0 shows 127.0.0.1, a client its own port."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from gui.panels.tcp_client import TcpClientPanel
from gui.panels.tcp_server import TcpServerPanel
from gui.panels.udp_receive import UdpReceivePanel
from gui.widgets.traffic_log import TrafficLog
from tests.conftest import WAIT
from tests.gui.conftest import TcpEchoServer
from tests.gui.test_tcp_connections import connect, send

TIMEOUT = int(WAIT * 1000)


def ends(log: TrafficLog, path: Path, protocol: str) -> list[tuple[str, ...]]:
    """(source, source port, destination, destination port) of each packet with a payload."""
    assert log.export(path) > 0
    fields = ("ip.src", f"{protocol}.srcport", "ip.dst", f"{protocol}.dstport")
    command = ["tshark", "-r", str(path), "-Y", f"{protocol} && data || tcp.len > 0"]
    command += ["-T", "fields", *(a for f in fields for a in ("-e", f))]
    out = subprocess.run(command, capture_output=True, text=True, check=True, timeout=30).stdout
    return [tuple(line.split("\t")) for line in out.splitlines()]


def test_tcp_server_on_every_address_exports_each_clients_real_end(
    qtbot: QtBot, tmp_path: Path
) -> None:
    panel = TcpServerPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.bind.set_address("0.0.0.0")
    panel.port.set_text("0")
    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.server is not None, timeout=TIMEOUT)
    port = int(panel.server.port)
    assert panel.log.local == f"0.0.0.0:{port}"
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as client:
        client.sendall(b"hello")
        mine = client.getsockname()[1]
        qtbot.waitUntil(
            lambda: any(
                panel.log.model.row_data(r) == b"hello" for r in range(panel.log.model.rowCount())
            ),
            timeout=TIMEOUT,
        )
    panel.runner.stop()
    assert ends(panel.log, tmp_path / "server.pcapng", "tcp") == [
        ("127.0.0.1", str(mine), "127.0.0.1", str(port))
    ]


def test_tcp_client_tab_exports_its_own_port(
    qtbot: QtBot, tcp_echo: TcpEchoServer, tmp_path: Path
) -> None:
    panel = TcpClientPanel()
    qtbot.addWidget(panel)
    panel.show()
    page = panel.current_connection()
    connect(qtbot, page, tcp_echo.port)
    send(qtbot, page, "ping")
    model = page.log.model
    qtbot.waitUntil(
        lambda: [model.row_direction(r) for r in range(model.rowCount())].count("in") == 1,
        timeout=TIMEOUT,
    )
    (accepted,) = tcp_echo.clients
    mine = str(accepted.getpeername()[1])  # the client's port, as the server saw it
    assert ends(page.log, tmp_path / "client.pcapng", "tcp") == [
        ("127.0.0.1", mine, "127.0.0.1", str(tcp_echo.port)),
        ("127.0.0.1", str(tcp_echo.port), "127.0.0.1", mine),
    ]


def test_udp_receive_exports_its_bound_address(qtbot: QtBot, tmp_path: Path) -> None:
    panel = UdpReceivePanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.bind.set_address("127.0.0.1")
    panel.port.set_text("0")
    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.receiver is not None, timeout=TIMEOUT)
    port = int(panel.receiver.port)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        sender.bind(("127.0.0.1", 0))
        sender.sendto(b"datagram", ("127.0.0.1", port))
        mine = sender.getsockname()[1]
        qtbot.waitUntil(lambda: panel.log.model.rowCount() >= 1, timeout=TIMEOUT)
    assert ends(panel.log, tmp_path / "udp.pcapng", "udp") == [
        ("127.0.0.1", str(mine), "127.0.0.1", str(port))
    ]
