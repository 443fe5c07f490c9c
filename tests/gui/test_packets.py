"""The Packets view (objectName packetLibrary) in the main window, against real loopback peers."""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, QSettings, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QAbstractItemView, QApplication, QDockWidget, QMenu, QToolButton
from pytestqt.qtbot import QtBot

from gui.main_window import MainWindow
from gui.panels.packets import PacketLibraryPanel
from net.packets import Packet, load_library, save_library
from tests.conftest import WAIT
from tests.gui.conftest import TcpEchoServer, UdpEcho
from tests.net.test_packets import export, packet_sender_item

TIMEOUT = int(WAIT * 1000)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "data"
    monkeypatch.setenv("SWB_DATA_DIR", str(folder))
    return folder


@pytest.fixture
def echo() -> Iterator[UdpEcho]:
    peer = UdpEcho(reply=b"ACK")
    yield peer
    peer.close()


def shown_window(qtbot: QtBot, settings: QSettings) -> MainWindow:
    """A main window on screen, as it starts (the Packets dock hidden the first time)."""
    window = MainWindow(settings)
    qtbot.addWidget(window)
    with qtbot.waitExposed(window):
        window.show()
    return window


def make_window(qtbot: QtBot, settings: QSettings) -> MainWindow:
    window = shown_window(qtbot, settings)
    window.findChild(QAction, "packetLibraryAction").trigger()  # the dock starts hidden
    return window


def window_with(
    qtbot: QtBot, settings: QSettings, data_dir: Path, packets: list[Packet]
) -> tuple[MainWindow, PacketLibraryPanel]:
    """A main window whose library (in the user's data folder) holds ``packets``."""
    data_dir.mkdir()
    save_library(data_dir / "packets.json", packets)
    window = make_window(qtbot, settings)
    return window, library_of(window)


def library_of(window: MainWindow) -> PacketLibraryPanel:
    library: PacketLibraryPanel = window.packet_library
    return library


def select(qtbot: QtBot, library: PacketLibraryPanel, name: str) -> None:
    row = [p.name for p in library.packets()].index(name)
    library.select_row(row)
    assert library.selected_rows() == [row]


def test_the_view_is_a_dock_with_a_menu_and_lists_the_library(
    qtbot: QtBot, settings: QSettings, data_dir: Path
) -> None:
    data_dir.mkdir()
    save_library(
        data_dir / "packets.json",
        [
            Packet("read coils", "udp", "10.0.0.2", 502, "01 01", "hex", folder="modbus"),
            Packet("hello", "tcp", "example.org", 7, "hi"),
        ],
    )
    window = make_window(qtbot, settings)
    view = window.findChild(QAbstractItemView, "packetLibrary")
    assert view is not None and view.isVisible()
    assert window.findChild(QDockWidget, "packetLibraryDock") is not None
    assert window.findChild(QMenu, "packetsMenu") is not None
    model = view.model()
    assert model.rowCount() == 2
    assert model.data(model.index(0, 0)) == "modbus/read coils"
    assert model.data(model.index(1, 2)) == "example.org:7"
    library = library_of(window)
    qtbot.keyClicks(library.search, "EXAMPLE")
    assert model.rowCount() == 1 and model.data(model.index(0, 0)) == "hello"
    library.search.clear()
    assert model.rowCount() == 2


def test_enter_sends_a_udp_packet_through_the_udp_panel(
    qtbot: QtBot, settings: QSettings, data_dir: Path, echo: UdpEcho
) -> None:
    modbus = Packet(
        "modbus", "udp", "127.0.0.1", echo.port, "01 03 00 00 00 0A", "hex", checksum="crc16-modbus"
    )
    window, library = window_with(qtbot, settings, data_dir, [modbus])
    select(qtbot, library, "modbus")
    assert "01 03 00 00 00 0A C5 CD" in library.preview.text()
    library.view.setFocus()
    qtbot.keyClick(library.view, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(echo.received) == 1, timeout=TIMEOUT)
    assert echo.received[0][0] == bytes.fromhex("01 03 00 00 00 0A C5 CD")
    panel = window.panel("udpSendPanel")
    assert window.current_panel() is panel
    qtbot.waitUntil(lambda: not panel.runner.running, timeout=TIMEOUT)
    out = [e.data for e in panel.log.model.entries() if e.direction == "out"]  # type: ignore[attr-defined]
    assert out == [bytes.fromhex("01 03 00 00 00 0A C5 CD")]


def test_a_repeated_packet_counts_1_2_3(
    qtbot: QtBot, settings: QSettings, data_dir: Path, echo: UdpEcho
) -> None:
    data_dir.mkdir()
    save_library(
        data_dir / "packets.json",
        [
            Packet(
                "seq",
                "udp",
                "127.0.0.1",
                echo.port,
                "#{{counter}}",
                repeat_count=3,
                repeat_interval_ms=0,
            )
        ],
    )
    window = make_window(qtbot, settings)
    library = library_of(window)
    select(qtbot, library, "seq")
    index = library.view.currentIndex()
    where = library.view.visualRect(index).center()
    # A person's double click: press, release, then the second press comes as a double click.
    qtbot.mouseClick(
        library.view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, where
    )
    qtbot.mouseDClick(
        library.view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, where
    )
    qtbot.waitUntil(lambda: len(echo.received) == 3, timeout=TIMEOUT)
    assert [data for data, _ in echo.received] == [b"#1", b"#2", b"#3"]


def test_a_tcp_packet_connects_the_client_and_shows_the_answer(
    qtbot: QtBot, settings: QSettings, data_dir: Path
) -> None:
    server = TcpEchoServer()
    try:
        ping = Packet(
            "ping", "tcp", "127.0.0.1", server.port, "PING\\r\\n", "escapes", checksum="sum8"
        )
        window, library = window_with(qtbot, settings, data_dir, [ping])
        select(qtbot, library, "ping")
        library.send_selected()
        panel = window.panel("tcpClientPanel")
        expected = b"PING\r\n" + bytes([sum(b"PING\r\n") & 0xFF])

        def received() -> bytes:
            return b"".join(e.data for e in panel.log.model.entries() if e.direction == "in")  # type: ignore[attr-defined]

        def sent() -> list[bytes]:
            return [e.data for e in panel.log.model.entries() if e.direction == "out"]  # type: ignore[attr-defined]

        qtbot.waitUntil(lambda: received() == expected, timeout=TIMEOUT)
        assert sent() == [expected]
        # A second send reuses the connection.
        library.send_selected()
        qtbot.waitUntil(lambda: sent() == [expected, expected], timeout=TIMEOUT)
        assert len(server.clients) == 1
        panel.trigger_stop()
    finally:
        server.close()


def test_edit_duplicate_delete_and_reorder_are_saved(
    qtbot: QtBot, settings: QSettings, data_dir: Path
) -> None:
    data_dir.mkdir()
    path = data_dir / "packets.json"
    save_library(path, [Packet("a", port=1), Packet("b", port=2), Packet("c", port=3)])
    window = make_window(qtbot, settings)
    library = library_of(window)

    select(qtbot, library, "b")
    dialog = library.edit_selected()
    assert dialog is not None
    dialog.name_edit.setText("a")  # taken: refused with a sentence
    dialog.accept()
    assert dialog.isVisible() and "exists already" in dialog.error.text()
    dialog.name_edit.setText("bee")
    dialog.payload.set_mode("hex")
    dialog.payload.set_text("zz")
    dialog.accept()
    assert dialog.isVisible() and "not a hex digit" in dialog.error.text()
    dialog.payload.set_text("62 65 65")
    dialog.payload.set_checksum("xor8")
    dialog.accept()
    qtbot.waitUntil(lambda: library.dialog is None, timeout=TIMEOUT)
    assert [p.name for p in load_library(path)] == ["a", "bee", "c"]
    assert load_library(path)[1].to_bytes() == b"bee" + bytes([0x62 ^ 0x65 ^ 0x65])

    library.duplicate_selected()
    assert [p.name for p in load_library(path)] == ["a", "bee", "bee (2)", "c"]
    library.delete_selected()
    assert [p.name for p in load_library(path)] == ["a", "bee", "c"]

    select(qtbot, library, "c")
    library.view.setFocus()
    window.activateWindow()  # the closed dialog took the activation with it (offscreen)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=TIMEOUT)
    qtbot.keyClick(library.view, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(
        lambda: [p.name for p in load_library(path)] == ["a", "c", "bee"], timeout=TIMEOUT
    )

    # What a drag and drop of "a" below "bee" does to the model (through the search proxy).
    proxy = library.view.model()
    mime = proxy.mimeData([proxy.index(0, 0)])
    # The model moves the rows itself, so it answers False: the view must not delete them.
    assert not proxy.dropMimeData(mime, Qt.DropAction.MoveAction, 3, 0, QModelIndex())
    assert [p.name for p in library.packets()] == ["c", "bee", "a"]
    qtbot.waitUntil(
        lambda: [p.name for p in load_library(path)] == ["c", "bee", "a"], timeout=TIMEOUT
    )
    # Dropped onto a row: the dragged rows go before it.
    assert not proxy.dropMimeData(
        proxy.mimeData([proxy.index(1, 0), proxy.index(2, 0)]),
        Qt.DropAction.MoveAction,
        -1,
        -1,
        proxy.index(0, 0),
    )
    assert [p.name for p in library.packets()] == ["bee", "a", "c"]


def test_save_as_packet_from_the_send_boxes(
    qtbot: QtBot, settings: QSettings, data_dir: Path
) -> None:
    window = make_window(qtbot, settings)
    library = library_of(window)
    udp = window.panel("udpSendPanel")
    udp.host.set_text("192.0.2.7")  # type: ignore[attr-defined]
    udp.port.set_text("5000")  # type: ignore[attr-defined]
    udp.payload.set_text("T={{unixtime}}")  # type: ignore[attr-defined]
    udp.payload.set_checksum("crc32")  # type: ignore[attr-defined]
    button = udp.findChild(QToolButton, "showPacketsButton")
    assert button.isVisible() and button.menu() is not None
    save = button.menu().findChild(QAction, "savePacketAction")
    assert save.text() == "Save as packet…"
    save.trigger()
    dialog = library.dialog
    assert dialog is not None
    dialog.name_edit.setText("clock")
    dialog.accept()
    saved = load_library(data_dir / "packets.json")
    assert [(p.name, p.protocol, p.host, p.port, p.payload, p.checksum) for p in saved] == [
        ("clock", "udp", "192.0.2.7", 5000, "T={{unixtime}}", "crc32")
    ]
    server = window.panel("tcpServerPanel")
    server.payload.set_text("to every client")  # type: ignore[attr-defined]
    server.payload.save_as_packet.emit()  # type: ignore[attr-defined]
    assert library.dialog is not None
    library.dialog.accept()
    saved = load_library(data_dir / "packets.json")
    assert (saved[1].name, saved[1].host, saved[1].port) == ("New packet", "", 0)


def test_import_packet_sender_and_a_broken_import_changes_nothing(
    qtbot: QtBot, settings: QSettings, data_dir: Path, tmp_path: Path
) -> None:
    window = make_window(qtbot, settings)
    library = library_of(window)
    good = tmp_path / "ps.json"
    good.write_bytes(
        export(packet_sender_item("Wake", b"\x02WAKE\x03"), packet_sender_item("T", b"t", "TCP"))
    )
    assert library.import_file(good)
    assert "Imported 2 packets (2 new, 0 replaced)" in library.status.text()
    path = data_dir / "packets.json"
    before = path.read_bytes()
    broken = tmp_path / "broken.json"
    broken.write_bytes(export(packet_sender_item("web", b"", "HTTPS")))
    assert not library.import_file(broken)
    assert "HTTPS, which is not supported" in library.status.text()
    assert path.read_bytes() == before
    assert [p.name for p in library.packets()] == ["Wake", "T"]


def test_a_broken_library_is_shown_and_never_overwritten(
    qtbot: QtBot, settings: QSettings, data_dir: Path, tmp_path: Path
) -> None:
    data_dir.mkdir()
    path = data_dir / "packets.json"
    path.write_text('{"format": "socket-workbench-packets", "version": 1, "packets": [{"name": 1}]')
    window = make_window(qtbot, settings)
    library = library_of(window)
    assert "is not valid JSON" in library.status.text()
    dialog = library.new_packet()
    dialog.name_edit.setText("x")
    dialog.accept()
    assert "cannot be read, so it is not changed" in library.status.text()
    assert path.read_text().endswith("}]")
    other = tmp_path / "other.json"
    assert library.save_library_as(other)
    assert json.loads(other.read_text())["packets"] == []
    assert library.open_library(other)


def test_payload_editor_preview_and_checksum_in_the_udp_panel(
    qtbot: QtBot, settings: QSettings, data_dir: Path, echo: UdpEcho
) -> None:
    window = make_window(qtbot, settings)
    panel = window.panel("udpSendPanel")
    editor = panel.payload  # type: ignore[attr-defined]
    editor.set_mode("hex")
    editor.set_text("01 03 00 00 00 0A")
    assert not editor.preview.isVisible()
    editor.set_checksum("crc16-modbus")
    assert editor.preview.isVisible()
    assert editor.preview.text().endswith("01 03 00 00 00 0A C5 CD")
    assert editor.size_label.text() == "8 bytes"
    panel.host.set_text("127.0.0.1")  # type: ignore[attr-defined]
    panel.port.set_text(str(echo.port))  # type: ignore[attr-defined]
    panel.trigger_send()
    qtbot.waitUntil(lambda: len(echo.received) == 1, timeout=TIMEOUT)
    assert echo.received[0][0] == bytes.fromhex("01 03 00 00 00 0A C5 CD")
    editor.set_mode("text")
    editor.set_text("{{nope}}")
    assert "Unknown variable {{nope}}" in editor.error.text()


def test_editing_while_a_search_narrows_the_list(
    qtbot: QtBot, settings: QSettings, data_dir: Path
) -> None:
    data_dir.mkdir()
    path = data_dir / "packets.json"
    names = ["read coils", "write coil", "read registers", "ping", "read input"]
    save_library(path, [Packet(name, port=i + 1) for i, name in enumerate(names)])
    window = make_window(qtbot, settings)
    library = library_of(window)
    model = library.view.model()
    library.search.setText("read")
    assert [model.data(model.index(r, 0)) for r in range(model.rowCount())] == [
        "read coils",
        "read registers",
        "read input",
    ]
    library.select_row(names.index("read registers"))
    library.delete_selected()
    assert [p.name for p in load_library(path)] == [
        "read coils", "write coil", "ping", "read input"
    ]  # fmt: skip
    assert model.rowCount() == 2
    # Drag "read input" (view row 1) above "read coils" (view row 0): library order follows.
    assert not model.dropMimeData(
        model.mimeData([model.index(1, 0)]), Qt.DropAction.MoveAction, 0, 0, QModelIndex()
    )
    assert [p.name for p in library.packets()] == ["read input", "read coils", "write coil", "ping"]
    qtbot.waitUntil(lambda: load_library(path)[0].name == "read input", timeout=TIMEOUT)
    library.select_row(1)
    library.duplicate_selected()
    assert [p.name for p in load_library(path)][:3] == [
        "read input",
        "read coils",
        "read coils (2)",
    ]
    # Selecting a packet the search hides clears the search.
    library.select_row(3)
    assert library.search.text() == "" and model.rowCount() == 5
    assert library.selected_rows() == [3]


def test_payload_history_is_one_key_away_bounded_and_remembered(
    qtbot: QtBot, settings: QSettings, data_dir: Path, echo: UdpEcho
) -> None:
    window = make_window(qtbot, settings)
    panel = window.panel("udpSendPanel")
    panel.host.set_text("127.0.0.1")  # type: ignore[attr-defined]
    panel.port.set_text(str(echo.port))  # type: ignore[attr-defined]
    editor = panel.payload  # type: ignore[attr-defined]
    for text in ("first", "second", "first"):
        editor.set_text(text)
        panel.trigger_send()
        qtbot.waitUntil(lambda: not panel.runner.running, timeout=TIMEOUT)  # type: ignore[attr-defined]
    assert [data for data, _ in echo.received] == [b"first", b"second", b"first"]
    history = panel.payload_history  # type: ignore[attr-defined]
    assert [e["text"] for e in history.entries] == ["first", "second"]  # once each, newest first

    editor.set_text("typing something new")
    editor.edit.setFocus()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=TIMEOUT)
    qtbot.keyClick(editor.edit, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
    assert editor.text() == "first"
    qtbot.keyClick(editor.edit, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
    assert editor.text() == "second"
    qtbot.keyClick(editor.edit, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    assert editor.text() == "first"

    editor.set_mode("hex")
    editor.set_text("01 02")
    editor.set_checksum("crc8")
    history.remember()
    editor.set_mode("text")
    editor.set_checksum("")
    history.recall(0)
    assert (editor.mode(), editor.text(), editor.checksum()) == ("hex", "01 02", "crc8")
    editor.set_mode("text")
    editor.set_text("x" * (64 * 1024 + 1))  # too long to keep
    history.remember()
    for i in range(60):
        editor.set_text(f"payload {i}")
        history.remember()
    assert len(history.entries) == 50
    assert history.entries[0]["text"] == "payload 59"

    # The next window (same settings) has the same history; the menu lists it.
    window.close()
    again = make_window(qtbot, QSettings(settings.fileName(), QSettings.Format.IniFormat))
    restored = again.panel("udpSendPanel").payload_history  # type: ignore[attr-defined]
    assert restored.entries == history.entries
    restored._fill_menu()
    assert restored.menu.actions()[0].text() == "payload 59"
    restored.recall(49)
    editor2 = again.panel("udpSendPanel").payload  # type: ignore[attr-defined]
    assert editor2.text() == "payload 10"


def test_the_dock_starts_hidden_and_then_as_the_user_left_it(
    qtbot: QtBot, settings: QSettings, data_dir: Path
) -> None:
    first = shown_window(qtbot, settings)
    dock = first.findChild(QDockWidget, "packetLibraryDock")
    assert not dock.isVisible()  # beside the widest panel it would not fit a 1366x768 screen
    first.findChild(QAction, "packetLibraryAction").trigger()
    assert dock.isVisible()
    first.close()
    second = MainWindow(QSettings(settings.fileName(), QSettings.Format.IniFormat))
    qtbot.addWidget(second)
    with qtbot.waitExposed(second):
        second.show()
    again = second.findChild(QDockWidget, "packetLibraryDock")
    assert again.isVisible()  # closing the window did not count as hiding the dock
    again.close()  # its own close button does
    third = MainWindow(QSettings(settings.fileName(), QSettings.Format.IniFormat))
    qtbot.addWidget(third)
    assert third.findChild(QDockWidget, "packetLibraryDock").isHidden()


def read_until(qtbot: QtBot, conn: socket.socket, size: int) -> bytes:
    """``size`` bytes from ``conn``, read while the GUI's event loop runs (the repeat's timer)."""
    got = bytearray()
    conn.setblocking(False)

    def enough() -> bool:
        with contextlib.suppress(BlockingIOError):
            got.extend(conn.recv(65536))
        return len(got) >= size

    qtbot.waitUntil(enough, timeout=TIMEOUT)
    return bytes(got)


def test_tcp_client_repeat_counts_and_stops_with_the_connection(
    qtbot: QtBot, settings: QSettings, data_dir: Path
) -> None:
    window = make_window(qtbot, settings)
    panel = window.panel("tcpClientPanel")
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(WAIT)
        panel.host.set_text("127.0.0.1")  # type: ignore[attr-defined]
        panel.port.set_text(str(server.getsockname()[1]))  # type: ignore[attr-defined]
        panel.trigger_start()
        conn, _ = server.accept()
        with conn:
            conn.settimeout(WAIT)
            qtbot.waitUntil(
                lambda: panel.client is not None and panel.send_button.isEnabled(), timeout=TIMEOUT
            )  # type: ignore[attr-defined]
            repeat = panel.repeat_send  # type: ignore[attr-defined]
            panel.payload.set_text("<{{counter}}>")  # type: ignore[attr-defined]
            assert repeat.start(3, 0)
            assert read_until(qtbot, conn, 9) == b"<1><2><3>"
            qtbot.waitUntil(lambda: not repeat.running, timeout=TIMEOUT)
            assert repeat.button.text() == "Repeat…"
            # At interval 0 the payloads go in one write: the log shows the stream as written.
            qtbot.waitUntil(
                lambda: (
                    b"".join(e.data for e in panel.log.model.entries() if e.direction == "out")  # type: ignore[attr-defined]
                    == b"<1><2><3>"
                ),
                timeout=TIMEOUT,
            )
            # Until stopped, every 10 ms; the panel's Stop (disconnect) ends it.
            assert repeat.start(0, 10)
            assert read_until(qtbot, conn, 3).startswith(b"<4>")  # it goes on counting
            assert repeat.running and "Stop repeat" in repeat.button.text()
            with qtbot.waitSignal(panel.runner.finished, timeout=TIMEOUT):  # type: ignore[attr-defined]
                panel.trigger_stop()
            qtbot.waitUntil(lambda: not repeat.running, timeout=TIMEOUT)


def test_tcp_server_repeat_goes_to_every_client(
    qtbot: QtBot, settings: QSettings, data_dir: Path
) -> None:
    window = make_window(qtbot, settings)
    panel = window.panel("tcpServerPanel")
    repeat = panel.repeat_send  # type: ignore[attr-defined]
    panel.payload.set_text("tick")  # type: ignore[attr-defined]
    assert not repeat.start(2, 0)  # no server yet: said, nothing started
    assert "start first" in panel.status.text()
    panel.bind.set_address("127.0.0.1")  # type: ignore[attr-defined]
    panel.port.set_text("0")  # type: ignore[attr-defined]
    panel.trigger_start()
    qtbot.waitUntil(lambda: panel.server is not None, timeout=TIMEOUT)  # type: ignore[attr-defined]
    port = int(panel.server.port)  # type: ignore[attr-defined]
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as one, \
         socket.create_connection(("127.0.0.1", port), timeout=WAIT) as two:  # fmt: skip
        qtbot.waitUntil(lambda: len(panel.server.clients()) == 2, timeout=TIMEOUT)  # type: ignore[attr-defined]
        assert repeat.start(2, 0)
        assert read_until(qtbot, one, 8) == b"ticktick"
        assert read_until(qtbot, two, 8) == b"ticktick"
    with qtbot.waitSignal(panel.runner.finished, timeout=TIMEOUT):  # type: ignore[attr-defined]
        panel.trigger_stop()


@pytest.mark.parametrize("panel_name", ["udpSendPanel", "tcpClientPanel", "tcpServerPanel"])
def test_every_send_box_has_a_packets_button_that_shows_the_hidden_dock(
    qtbot: QtBot, settings: QSettings, data_dir: Path, panel_name: str
) -> None:
    window = shown_window(qtbot, settings)
    dock = window.findChild(QDockWidget, "packetLibraryDock")
    assert not dock.isVisible()  # hidden at first start: it does not fit beside an 800x600 panel
    panel = window.show_panel(panel_name)
    button = panel.findChild(QToolButton, "showPacketsButton")
    assert button is not None and button.isVisible()
    assert "Ctrl+Shift+P" in button.toolTip()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(dock.isVisible, timeout=TIMEOUT)
    assert QApplication.focusWidget() is library_of(window).view
    # The shortcut hides and shows it again from any panel.
    window.findChild(QAction, "packetLibraryAction").trigger()
    assert not dock.isVisible()
    assert "Ctrl+Shift+P" in [
        key.toString() for key in window.findChild(QAction, "packetLibraryAction").shortcuts()
    ]
    assert window.findChild(QAction, "packetLibraryAction") in window.actions()


def test_counter_counts_each_packets_sends(
    qtbot: QtBot, settings: QSettings, data_dir: Path, echo: UdpEcho
) -> None:
    """Issue 17: {{counter}} is per packet; two packets with the same payload, sent in turn from
    the one UDP Send box, each count 1, 2, ... and typing in the box does not reset them."""
    packets = [
        Packet(name, "udp", "127.0.0.1", echo.port, "#{{counter}}", repeat_count=1)
        for name in ("a", "b")
    ]
    window, library = window_with(qtbot, settings, data_dir, packets)
    panel = window.panel("udpSendPanel")
    for name in ("a", "a", "b", "a", "b"):
        before = len(echo.received)
        select(qtbot, library, name)
        library.send_selected()
        qtbot.waitUntil(lambda before=before: len(echo.received) == before + 1, timeout=TIMEOUT)
        qtbot.waitUntil(lambda: not panel.runner.running, timeout=TIMEOUT)  # type: ignore[attr-defined]
    assert [data for data, _ in echo.received] == [b"#1", b"#2", b"#1", b"#3", b"#2"]
    panel.payload.set_text("typed by hand")  # type: ignore[attr-defined]
    select(qtbot, library, "a")
    library.send_selected()
    qtbot.waitUntil(lambda: len(echo.received) == 6, timeout=TIMEOUT)
    assert echo.received[-1][0] == b"#4"
