"""The File Server panel's URL list and QR code: read from the interface table in the worker that
opens the server (not on the GUI thread), LAN addresses first and preselected, loopback last."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from gui.panels.file_server import FileServerPanel
from net import fileserver
from net.address import format_peer
from tests.conftest import WAIT


def test_the_urls_come_from_the_worker_lan_first(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[threading.Thread] = []
    read = fileserver.local_addresses

    def local_addresses(*, ipv6: bool = True) -> list[str]:
        threads.append(threading.current_thread())
        return read(ipv6=ipv6)

    monkeypatch.setattr(fileserver, "local_addresses", local_addresses)
    panel = FileServerPanel()
    qtbot.addWidget(panel)
    panel.show()
    try:
        panel.bind.set_address("0.0.0.0")
        panel.port.set_text("0")
        qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: panel.server is not None, timeout=int(WAIT * 1000))
        assert len(threads) == 1 and threads[0] is not threading.main_thread()
        port = panel.server.port
        expected = [f"http://{format_peer((host, port))}/" for host in read(ipv6=False)]
        assert panel.urls() == expected
        assert expected[-1] == f"http://127.0.0.1:{port}/"  # this computer only: last
        # The first URL (a LAN one, when there is a LAN) is chosen and drawn as the QR code.
        assert panel.selected_url() == expected[0]
        assert panel.qr.text() == expected[0]
    finally:
        panel.stop_workers()
