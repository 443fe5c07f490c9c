"""The Download panel's "Found on the network" list and the file server panel's "Announce" box.

Found shares are injected through the list's public slots (``server_found``/``server_lost``), then
clicked with real mouse events; one test runs it for real: the file server panel announcing from
one network namespace and the download panel finding it from another (tests/net/test_discovery.py's
``link`` fixture), both in this process: a network namespace belongs to a thread (setns(2)), and the
threads the panels start inherit the namespace of the thread that starts them.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from gui.panels.download import DownloadPanel
from gui.panels.file_server import FileServerPanel
from gui.widgets.found_servers import FoundServers
from net.discovery import FoundServer
from tests.conftest import WAIT
from tests.gui.test_download_panel import Share, share
from tests.net.test_discovery import Link, link

__all__ = ["link", "share"]  # fixtures used here

TIMEOUT = int(WAIT * 1000)
FP = ":".join(["5A"] * 32)


def found(name: str, *, port: int = 8443, tls: bool = True, host: str = "10.0.0.5") -> FoundServer:
    return FoundServer(
        name=name,
        host=f"{name}-swb-{port}.local.",
        port=port,
        addresses=(host,),
        tls=tls,
        fingerprint=FP if tls else None,
        raw=True,
        uploads=False,
        password=False,
        path="/",
    )


@pytest.fixture
def panel(qtbot: QtBot) -> Iterator[DownloadPanel]:
    widget = DownloadPanel()
    qtbot.addWidget(widget)
    widget.show()
    yield widget
    widget.stop_workers()


def click(qtbot: QtBot, widget: FoundServers, row: int, *, double: bool = False) -> None:
    view = widget.list
    rect = view.visualItemRect(view.item(row))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    if double:  # a real double-click: press, release, then the double-click event
        qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_a_click_fills_the_url_and_pins_the_fingerprint(qtbot: QtBot, panel: DownloadPanel) -> None:
    panel.raw_check.setChecked(True)
    panel.found.server_found(found("box"))
    panel.found.server_found(found("desk", port=8000, tls=False, host="10.0.0.9"))
    assert [s.name for s in panel.found.servers()] == ["box", "desk"]
    assert panel.found.list.item(0).text() == "box  https://10.0.0.5:8443/  (TLS)"
    assert FP in panel.found.list.item(0).toolTip()
    click(qtbot, panel.found, 0)
    assert panel.url_edit.text() == "https://10.0.0.5:8443/"
    assert not panel.raw_check.isChecked()  # a found share speaks HTTP
    assert panel.security.mode() == "pin"
    assert panel.security.pin_edit.text() == FP
    assert panel.security.client_tls() is not None
    assert panel.security.client_tls().fingerprint == FP  # type: ignore[union-attr]
    click(qtbot, panel.found, 1)
    assert panel.url_edit.text() == "http://10.0.0.9:8000/"


def test_found_again_updates_and_a_goodbye_removes(panel: DownloadPanel) -> None:
    panel.found.server_found(found("box"))
    panel.found.server_found(found("box", port=9443))
    assert [s.port for s in panel.found.servers()] == [9443]
    panel.found.server_lost("box")
    panel.found.server_lost("never seen")
    assert panel.found.servers() == []


def test_a_double_click_lists_the_files_of_the_share(
    qtbot: QtBot, panel: DownloadPanel, share: Share, tmp_path: Path
) -> None:
    (tmp_path / "report.txt").write_text("found and listed\n")
    share.add(tmp_path / "report.txt")
    panel.found.server_found(found("local", port=share.port, tls=False, host="127.0.0.1"))
    with qtbot.waitSignal(panel.list_runner.finished, timeout=TIMEOUT):
        click(qtbot, panel.found, 0, double=True)
    assert panel.url_edit.text() == share.url()
    assert [f.name for f in panel.remote_model.files] == ["report.txt"]


def test_nothing_is_searched_while_mdns_is_off(panel: DownloadPanel) -> None:
    assert os.environ["SWB_NO_MDNS"] == "1"  # tests/conftest.py
    assert panel.found.isVisible()
    assert not panel.found.runner.running
    assert "turned off" in panel.found.hint.text()


def test_announce_is_on_by_default_and_locked_while_serving(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SWB_NO_MDNS")  # the share is on loopback: nothing goes out
    widget = FileServerPanel()
    qtbot.addWidget(widget)
    widget.show()
    try:
        assert widget.announce_check.isChecked()
        (tmp_path / "a.txt").write_text("a")
        widget.add_paths([str(tmp_path / "a.txt")])
        widget.bind.set_address("127.0.0.1")
        widget.port.set_text("0")
        qtbot.mouseClick(widget.start_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: widget.announce_label.isVisible(), timeout=TIMEOUT)
        assert widget.announce_label.text() == (
            "Not announced on the local network: the share listens on 127.0.0.1 only."
        )
        assert not widget.announce_check.isEnabled()
        with qtbot.waitSignal(widget.runner.finished, timeout=TIMEOUT):
            qtbot.mouseClick(widget.stop_button, Qt.MouseButton.LeftButton)
        assert widget.announce_check.isEnabled()
        assert not widget.announce_label.isVisible()
    finally:
        widget.stop_workers()


# ---- for real, between two namespaces -----------------------------------------------------------

CLONE_NEWNET = 0x40000000


@contextlib.contextmanager
def thread_in_namespace(name: str) -> Iterator[None]:
    """Move this thread into network namespace ``name`` (setns(2)) and back afterwards."""
    libc = ctypes.CDLL(None, use_errno=True)
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(f"/run/netns/{name}", os.O_RDONLY)
    try:
        assert libc.setns(target, CLONE_NEWNET) == 0, os.strerror(ctypes.get_errno())
        try:
            yield
        finally:
            assert libc.setns(home, CLONE_NEWNET) == 0, os.strerror(ctypes.get_errno())
    finally:
        os.close(target)
        os.close(home)


@pytest.mark.posix_only
@pytest.mark.skipif(sys.platform != "linux", reason="setns(2) is Linux's")
def test_the_file_server_panel_is_found_by_the_download_panel(
    qtbot: QtBot, link: Link, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SWB_NO_MDNS")
    monkeypatch.setenv("SWB_DATA_DIR", str(tmp_path / "data"))
    server_panel = FileServerPanel()
    qtbot.addWidget(server_panel)
    server_panel.show()
    download = DownloadPanel()
    qtbot.addWidget(download)
    try:
        (tmp_path / "a.txt").write_text("across the link")
        server_panel.add_paths([str(tmp_path / "a.txt")])
        server_panel.bind.set_address("0.0.0.0")
        server_panel.port.set_text("0")
        server_panel.security.tls_check.setChecked(True)
        with thread_in_namespace(link.server):
            qtbot.mouseClick(server_panel.start_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: server_panel.announce_label.isVisible(), timeout=TIMEOUT)
        assert server_panel.announce_label.text().startswith("Announced on the local network as")
        port = server_panel.server.port
        with thread_in_namespace(link.client):
            download.show()  # the search starts: its thread is made in the client namespace
        qtbot.waitUntil(lambda: len(download.found.servers()) == 1, timeout=TIMEOUT)
        click(qtbot, download.found, 0)
        assert download.url_edit.text() == f"https://{link.server_ip}:{port}/"
        assert download.security.mode() == "pin"
        assert download.security.pin_edit.text() == server_panel._fingerprint
        assert download.found.servers()[0].raw
        # Switching the raw dialect off while sharing is announced again (TXT raw=0).
        server_panel.raw_check.setChecked(False)
        qtbot.waitUntil(lambda: not download.found.servers()[0].raw, timeout=TIMEOUT)
        # Stopping the share says goodbye: it leaves the list.
        with qtbot.waitSignal(server_panel.runner.finished, timeout=TIMEOUT):
            qtbot.mouseClick(server_panel.stop_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: download.found.servers() == [], timeout=TIMEOUT)
    finally:
        download.stop_workers()
        server_panel.stop_workers()
