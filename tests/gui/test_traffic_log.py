"""The traffic log sees every byte (issue 16): a 1.28 MB burst copied, exported and saved
byte-exact, a hex dump pane at any offset, framing per connection, search and filters, receive to
file, pcapng export read by tshark, checksum marks (issue 17) and the lazily loaded rate graph.

Peers are small servers written here, over loopback TCP/UDP into the real panels.
"""

from __future__ import annotations

import contextlib
import os
import random
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QCloseEvent, QGuiApplication
from PySide6.QtWidgets import QMainWindow
from pytestqt.qtbot import QtBot

from gui.panels.tcp_client import TcpClientPanel
from gui.panels.tcp_server import TcpServerPanel
from gui.panels.udp_receive import UdpReceivePanel
from gui.runner import EventBuffer, ReceivedRun
from gui.widgets import LogEntry, TrafficLog, TrafficLogModel
from gui.widgets.style import text_color
from gui.widgets.traffic_log import MAX_LOCALS, StreamRows
from gui.widgets.traffic_log_detail import dump_line
from gui.widgets.traffic_log_export import ReceiveFile
from gui.widgets.traffic_log_framing import FRAME_BUDGET, FramingStage
from net.checksum import append_checksum
from net.errors import TransferError
from net.events import Received
from tests.conftest import WAIT

TIMEOUT = int(WAIT * 1000)
BURST = random.Random(16).randbytes(1_280_000)  # 1.28 MB, past offset 0x138000


class OneShotServer:
    """Accepts one connection, sends ``pieces`` (each in its own send, Nagle off), then closes."""

    def __init__(self, pieces: list[bytes]) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.pieces = pieces
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.listener.settimeout(WAIT)
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        with conn:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for piece in self.pieces:
                conn.sendall(piece)
            conn.shutdown(socket.SHUT_WR)
            conn.settimeout(WAIT)
            with contextlib.suppress(OSError):
                conn.recv(1)  # wait for the client to close

    def close(self) -> None:
        self.listener.close()
        self.thread.join(WAIT)


@pytest.fixture
def client(qtbot: QtBot) -> TcpClientPanel:
    panel = TcpClientPanel()
    qtbot.addWidget(panel)
    panel.resize(800, 600)
    panel.show()
    return panel


def serve(pieces: list[bytes]) -> Iterator[OneShotServer]:
    server = OneShotServer(pieces)
    try:
        yield server
    finally:
        server.close()


def connect(qtbot: QtBot, panel: TcpClientPanel, port: int) -> None:
    panel.host.set_text("127.0.0.1")
    panel.port.set_text(str(port))
    qtbot.mouseClick(panel.connect_button, Qt.MouseButton.LeftButton)


def in_rows(log: TrafficLog) -> list[int]:
    model = log.model
    return [row for row in range(model.rowCount()) if model.row_direction(row) == "in"]


def received(log: TrafficLog) -> bytes:
    return b"".join(log.model.row_data(row) for row in in_rows(log))


def select(log: TrafficLog, rows: list[int]) -> None:
    log.view.clearSelection()
    for row in rows:
        index = log.model.index(row, 0)
        log.view.selectionModel().select(
            index,
            log.view.selectionModel().SelectionFlag.Select
            | log.view.selectionModel().SelectionFlag.Rows,
        )


# -- 1.28 MB burst ---------------------------------------------------------------------------


def test_a_burst_of_1_28_mb_is_copied_exported_saved_and_dumped_byte_exact(
    qtbot: QtBot, client: TcpClientPanel, tmp_path: Path
) -> None:
    log = client.log
    saved = tmp_path / "received.bin"
    log.start_capture(saved, "raw")
    for server in serve([BURST]):
        connect(qtbot, client, server.port)
        qtbot.waitUntil(lambda: len(received(log)) == len(BURST), timeout=TIMEOUT)
    assert received(log) == BURST
    assert log.capture is not None and log.capture.size == len(BURST)
    qtbot.waitUntil(lambda: client.connect_button.isEnabled(), timeout=TIMEOUT)
    log.stop_capture()
    assert saved.read_bytes() == BURST

    rows = in_rows(log)
    select(log, rows)
    assert log.copy_bytes("raw") == BURST
    mime = QGuiApplication.clipboard().mimeData()
    assert bytes(mime.data("application/octet-stream").data()) == BURST
    log.copy_bytes("hex")
    copied_hex = QGuiApplication.clipboard().text()
    assert bytes.fromhex(copied_hex.replace("\n", " ")) == BURST

    assert log.export(tmp_path / "burst.bin", selection=True) == len(rows)
    assert (tmp_path / "burst.bin").read_bytes() == BURST
    log.export(tmp_path / "burst.hex", selection=True)
    assert bytes.fromhex((tmp_path / "burst.hex").read_text().replace("\n", " ")) == BURST
    assert not list(tmp_path.glob("*.part"))

    # The hex dump pane: the selected rows' bytes, offsets counted from their first byte.
    assert log.detail.data == BURST
    log.detail.scroll_to_offset(0x138000)
    first = log.detail.visible_lines()[0]
    assert first == dump_line(BURST, 0x138000)
    assert first.startswith("00138000  " + BURST[0x138000:0x138008].hex(" ").upper())
    assert log.detail.grab().width() > 0  # painting the lines in sight works
    assert log.go_to_offset("0") and log.detail.first_visible_offset() == 0
    assert log.go_to_offset("0x138000") and log.detail.visible_lines()[0] == first
    assert log.go_to_offset("#1277952") and log.detail.first_visible_offset() == 0x138000
    assert not log.go_to_offset("zz") and not log.go_to_offset(f"#{len(BURST)}")
    log.detail.scroll_to_offset(len(BURST))
    assert log.detail.visible_lines()[-1].startswith(f"{(len(BURST) - 1) // 16 * 16:08X}")


# -- framing ----------------------------------------------------------------------------------


def _length_messages() -> list[bytes]:
    bodies = [b"", b"a", b"hello", bytes(range(256)) * 3, "中文".encode()]
    return [len(body).to_bytes(2, "big") + body for body in bodies * 3]


def test_a_2_byte_length_prefix_gives_one_row_per_message_sent_byte_by_byte(
    qtbot: QtBot, client: TcpClientPanel
) -> None:
    messages = _length_messages()
    stream = b"".join(messages)
    client.log.set_framing("len2be")
    for server in serve([stream[i : i + 1] for i in range(len(stream))]):
        connect(qtbot, client, server.port)
        qtbot.waitUntil(lambda: len(in_rows(client.log)) == len(messages), timeout=TIMEOUT)
    assert [client.log.model.row_data(row) for row in in_rows(client.log)] == messages


def test_framing_does_not_depend_on_how_the_stream_was_split(qtbot: QtBot) -> None:
    messages = _length_messages()
    stream = b"".join(messages)
    for splits in ([1] * len(stream), [3, 7, 1000, 2], [len(stream)]):
        log = TrafficLog()
        qtbot.addWidget(log)
        log.set_framing("len2be")
        rows = StreamRows()
        offset = 0
        while offset < len(stream):
            for size in splits:
                chunk = stream[offset : offset + size]
                if chunk:
                    log.append([rows.row(Received(1.0, 1, "127.0.0.1:5", chunk))])
                offset += size
        log.append([rows.finish(2.0, "127.0.0.1:5")])
        assert [log.model.row_data(row) for row in in_rows(log)] == messages, splits


def test_line_framing_shows_one_row_per_line_and_the_rest_at_the_end(
    qtbot: QtBot, client: TcpClientPanel
) -> None:
    client.log.set_framing("line")
    pieces = [b"rep", b"ly\nsecond ", b"line\r\nthi", b"rd"]
    for server in serve(pieces):
        connect(qtbot, client, server.port)
        qtbot.waitUntil(lambda: len(in_rows(client.log)) == 3, timeout=TIMEOUT)
    model = client.log.model
    assert [model.row_data(r) for r in in_rows(client.log)] == [
        b"reply\n",
        b"second line\r\n",
        b"third",  # what was left when the server closed
    ]
    assert model.data(model.index(in_rows(client.log)[0], TrafficLogModel.DATA)) == r"reply\n"


def test_the_framing_combo_takes_a_typed_spec_and_refuses_a_bad_one(qtbot: QtBot) -> None:
    log = TrafficLog()
    qtbot.addWidget(log)
    log.show()
    log.framing_combo.setCurrentText("fixed:4")
    log.framing_combo.lineEdit().editingFinished.emit()
    assert str(log.framing.spec) == "fixed:4"
    rows = StreamRows()
    log.append([rows.row(Received(1.0, 1, "p", b"abcdefghij"))])
    assert [log.model.row_data(r) for r in in_rows(log)] == [b"abcd", b"efgh"]  # "ij" waits
    log.framing_combo.setCurrentText("fixed:zz")
    log.framing_combo.lineEdit().editingFinished.emit()
    assert str(log.framing.spec) == "fixed:4"
    assert log.framing_combo.currentText() == "fixed:4"
    assert "fixed:N" in log.tools.status_label.text() and log.tools.status_label.isVisible()
    raw = log.framing_combo.findData("raw")
    log.framing_combo.setCurrentIndex(raw)  # picked from the list: its label, its spec
    log.framing_combo.activated.emit(raw)
    assert str(log.framing.spec) == "raw" and not log.tools.status_label.isVisible()
    # The partial frame is shown, not lost.
    assert [log.model.row_data(r) for r in in_rows(log)] == [b"abcd", b"efgh", b"ij"]


def test_a_backlog_past_its_bound_skips_the_oldest_chunks_and_says_so() -> None:
    stage = FramingStage("line", backlog=100)
    rows = StreamRows()
    stage.push([rows.row(Received(1.0, 1, "p", b"a" * 60 + b"\n"))])
    stage.push([LogEntry.note("kept", "p")])
    stage.push([rows.row(Received(2.0, 1, "p", b"b" * 60 + b"\n"))])  # 122 bytes: over
    stage.push([rows.row(Received(3.0, 1, "p", b"c\n"))])
    taken = stage.take()
    assert stage.skipped == 61 and stage.backlog == 0
    assert "61 bytes were not framed" in taken[0].text  # the note says what was lost
    assert taken[1].text == "kept"
    assert [row[2] for row in taken[2:]] == [b"b" * 60 + b"\n", b"c\n"]


def test_a_big_stream_is_framed_a_budget_at_a_time_without_losing_a_line(qtbot: QtBot) -> None:
    log = TrafficLog()
    qtbot.addWidget(log)
    log.set_framing("line")
    lines = [b"%063d\n" % i for i in range(3 * FRAME_BUDGET // 64)]
    rows = StreamRows()
    log.append([rows.row(Received(1.0, 1, "p", b"".join(lines)))])
    assert len(in_rows(log)) == FRAME_BUDGET // 64  # the rest waits for the timer
    qtbot.waitUntil(lambda: len(in_rows(log)) == len(lines), timeout=TIMEOUT)
    assert [log.model.row_data(r) for r in in_rows(log)] == lines


# -- the TCP server: framing per client, filters, search --------------------------------------


@pytest.fixture
def server_panel(qtbot: QtBot) -> Iterator[TcpServerPanel]:
    panel = TcpServerPanel()
    qtbot.addWidget(panel)
    panel.show()
    yield panel


def test_server_frames_each_client_apart_and_filters_by_peer_and_search(
    qtbot: QtBot, server_panel: TcpServerPanel
) -> None:
    log = server_panel.log
    log.set_framing("line")
    server_panel.bind.set_address("127.0.0.1")
    server_panel.port.set_text("0")
    qtbot.mouseClick(server_panel.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: server_panel.server is not None, timeout=TIMEOUT)
    port = server_panel.server.port
    first = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
    second = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
    try:
        qtbot.waitUntil(lambda: server_panel.clients.rowCount() == 2, timeout=TIMEOUT)
        # Halves of lines, interleaved between the two clients: each client's framer waits.
        sent = 0
        for sock, data in ((first, b"hel"), (second, b"wor"), (first, b"lo\n"), (second, b"ld\n")):
            sock.sendall(data)
            sent += len(data)
            # The server has read it before the other client sends: the halves interleave.
            qtbot.waitUntil(lambda n=sent: server_panel.server.bytes_in == n, timeout=TIMEOUT)
        qtbot.waitUntil(lambda: len(in_rows(log)) == 2, timeout=TIMEOUT)
        first_peer = f"127.0.0.1:{first.getsockname()[1]}"
        by_peer = {log.model.row_peer(r): log.model.row_data(r) for r in in_rows(log)}
        assert by_peer == {
            first_peer: b"hello\n",
            f"127.0.0.1:{second.getsockname()[1]}": b"world\n",
        }

        total_rows = log.model.rowCount()
        log.tools.search_button.click()
        assert log.tools.search_row.isVisible()
        peer_index = log.tools.peer_combo.findData(first_peer)
        assert peer_index > 0
        log.tools.peer_combo.setCurrentIndex(peer_index)
        shown = [
            log.filter.mapToSource(log.filter.index(r, 0)).row()
            for r in range(log.filter.rowCount())
        ]
        assert all(log.model.row_peer(r) == first_peer for r in shown)
        assert [log.model.row_data(r) for r in shown if log.model.row_data(r)] == [b"hello\n"]
        assert log.model.rowCount() == total_rows  # filters hide, they never drop
        assert "shown" in log.rows_label.text()
        log.tools.peer_combo.setCurrentIndex(0)
        assert log.view.model() is log.model  # no filter: the view reads the model directly

        qtbot.keyClicks(log.tools.search_edit, "world")
        assert log.find_next() >= 0
        assert log.selected_rows() and log.model.row_data(log.selected_rows()[0]) == b"world\n"
        log.tools.hex_search_check.setChecked(True)
        log.tools.search_edit.setText("68 65 6c")  # "hel"
        row = log.find_previous()
        assert log.model.row_data(row) == b"hello\n"
        log.tools.matching_check.setChecked(True)
        assert log.filter.rowCount() == 1
        log.tools.search_edit.setText("zz")  # bad hex: nothing to look for, nothing filtered
        assert log.find_next() == -1
        log.tools.matching_check.setChecked(False)
        log.tools.direction_combo.setCurrentIndex(log.tools.direction_combo.findData("out"))
        assert all(log.model.row_direction(r) != "in" for r in _shown(log))
        log.clear()
        assert log.tools.peer_combo.count() == 1 and log.model.rowCount() == 0
    finally:
        first.close()
        second.close()
    server_panel.stop_workers()


def _shown(log: TrafficLog) -> list[int]:
    return [
        log.filter.mapToSource(log.filter.index(r, 0)).row() for r in range(log.filter.rowCount())
    ]


# -- pcapng ---------------------------------------------------------------------------------


def test_pcapng_export_holds_every_row_and_tshark_reassembles_the_stream(
    qtbot: QtBot, tmp_path: Path
) -> None:
    log = TrafficLog()
    qtbot.addWidget(log)
    log.protocol = "tcp"
    log.local = "127.0.0.1:8080"
    request = b"GET /index.html HTTP/1.1\r\nHost: device\r\n\r\n"
    reply = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
    log.append(
        [
            LogEntry.note("Client connected", "127.0.0.1:40000"),
            LogEntry(1.0, "in", "127.0.0.1:40000", request),
            LogEntry(1.5, "out", "127.0.0.1:40000", reply),
        ]
    )
    path = tmp_path / "log.pcapng"
    packets = log.export(path)
    assert packets == 3 + 2  # the synthetic handshake, then one packet per data row
    command = ["tshark", "-r", str(path), "-T", "fields", "-e", "tcp.len"]
    command += ["-e", "http.request.uri", "-e", "http.response.code"]
    result = subprocess.run(command, capture_output=True, text=True, check=True, timeout=30)
    fields = result.stdout.split("\n")
    rows = [line.split("\t") for line in fields if line]
    assert len(rows) == packets
    assert [row[0] for row in rows[3:]] == [str(len(request)), str(len(reply))]
    assert rows[3][1] == "/index.html" and rows[4][2] == "200"
    follow = subprocess.run(
        ["tshark", "-r", str(path), "-q", "-z", "follow,tcp,raw,0"],
        capture_output=True, text=True, check=True, timeout=30,
    ).stdout  # fmt: skip
    assert request.hex() in follow.replace("\n", "").replace("\t", "")


def test_pcapng_export_uses_the_local_address_each_connection_had(
    qtbot: QtBot, tmp_path: Path
) -> None:
    """A server bound to every address: its listening address is the default end, and each
    client's connection its own (as the Connected event's ``local`` names it)."""
    log = TrafficLog()
    qtbot.addWidget(log)
    log.protocol = "tcp"
    log.set_local("0.0.0.0:9000")
    log.set_local("127.0.0.1:9000", "127.0.0.1:40000")
    log.set_local("[::1]:9000", "[::1]:40001")
    log.set_local("", "127.0.0.1:40002")  # nothing known: ignored
    log.append(
        [
            LogEntry(1.0, "in", "127.0.0.1:40000", b"from v4"),
            LogEntry(2.0, "in", "[::1]:40001", b"from v6"),
            LogEntry(3.0, "out", "127.0.0.1:40002", b"to an unknown end"),
        ]
    )
    path = tmp_path / "ends.pcapng"
    assert log.export(path) == 3 * (3 + 1)
    fields = ("ip.src", "ipv6.src", "tcp.srcport", "ip.dst", "ipv6.dst", "tcp.dstport")
    command = ["tshark", "-r", str(path), "-Y", "tcp.len > 0", "-T", "fields"]
    command += [a for f in fields for a in ("-e", f)]
    out = subprocess.run(command, capture_output=True, text=True, check=True, timeout=30).stdout
    assert [[v for v in line.split("\t") if v] for line in out.splitlines()] == [
        ["127.0.0.1", "40000", "127.0.0.1", "9000"],
        ["::1", "40001", "::1", "9000"],
        ["0.0.0.0", "9000", "127.0.0.1", "40002"],
    ]


def test_the_log_remembers_a_bounded_number_of_local_addresses(qtbot: QtBot) -> None:
    log = TrafficLog()
    qtbot.addWidget(log)
    for n in range(MAX_LOCALS + 5):
        log.set_local(f"10.0.0.1:{n % 60000}", f"10.0.0.2:{n}")
    log.set_local("10.0.0.1:7", "10.0.0.2:5")  # a known peer again: now the newest
    assert len(log._locals) == MAX_LOCALS
    assert "10.0.0.2:0" not in log._locals and log._locals["10.0.0.2:5"] == "10.0.0.1:7"
    assert list(log._locals)[-1] == "10.0.0.2:5"


def test_pcapng_of_the_client_panel_starts_with_our_syn(
    qtbot: QtBot, client: TcpClientPanel, tmp_path: Path
) -> None:
    client.log.append([LogEntry(1.0, "out", "127.0.0.1:7", b"ping")])
    path = tmp_path / "client.pcapng"
    assert client.log.export(path) == 4
    command = ["tshark", "-r", str(path), "-T", "fields", "-e", "tcp.dstport", "-e", "tcp.flags"]
    lines = subprocess.run(command, capture_output=True, text=True, check=True, timeout=30)
    first = lines.stdout.splitlines()[0].split("\t")
    assert first == ["7", "0x0002"]  # the SYN goes to the server we connected to


def test_pcapng_export_of_a_udp_panel_selection(qtbot: QtBot, tmp_path: Path) -> None:
    panel = UdpReceivePanel()
    qtbot.addWidget(panel)
    log = panel.log
    log.append_rows([(float(i), f"127.0.0.1:{5000 + i}", b"dgram%d" % i, False) for i in range(10)])
    select(log, [2, 3, 4])
    path = tmp_path / "sel.pcapng"
    assert log.export(path, selection=True) == 3
    out = subprocess.run(
        ["tshark", "-r", str(path), "-T", "fields", "-e", "udp.srcport", "-e", "data.data"],
        capture_output=True, text=True, check=True, timeout=30,
    ).stdout.split()  # fmt: skip
    assert out == ["5002", b"dgram2".hex(), "5003", b"dgram3".hex(), "5004", b"dgram4".hex()]


# -- checksum marks (issue 17) ----------------------------------------------------------------


def test_rows_whose_checksum_fails_are_red_with_a_tooltip_and_counted(qtbot: QtBot) -> None:
    panel = UdpReceivePanel()
    qtbot.addWidget(panel)
    panel.show()
    log = panel.log
    assert not log.framing_combo.isEnabled()  # datagrams are not framed
    log.tools.checksum_group.actions()[1].trigger()  # crc16-modbus, the first after None
    assert log.model.checksum == "crc16-modbus"
    panel.bind.set_address("127.0.0.1")
    panel.port.set_text("0")
    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.receiver is not None, timeout=TIMEOUT)
    good = append_checksum(bytes.fromhex("01030000000A"), "crc16-modbus")
    assert good.hex() == "01030000000ac5cd"
    bad = good[:-1] + b"\x00"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        for data in (good, bad, good, bad, bad):
            sender.sendto(data, ("127.0.0.1", panel.receiver.port))
        qtbot.waitUntil(lambda: len(in_rows(log)) == 5, timeout=TIMEOUT)
    model = log.model
    colours = [
        model.data(model.index(r, TrafficLogModel.DATA), Qt.ItemDataRole.ForegroundRole)
        for r in in_rows(log)
    ]
    assert [c == text_color("error") for c in colours] == [False, True, False, True, True]
    tip = model.data(
        model.index(in_rows(log)[1], TrafficLogModel.TIME), Qt.ItemDataRole.ToolTipRole
    )
    assert "crc16-modbus" in tip and "C5 CD" in tip
    assert log.checksum_failures == 3
    assert "3 checksum failures" in log.rows_label.text()
    panel.stop_workers()


def test_a_checksum_before_a_line_ending_is_checked_without_it(qtbot: QtBot) -> None:
    log = TrafficLog()
    qtbot.addWidget(log)
    log.set_framing("line")
    log.set_checksum("xor8")
    rows = StreamRows()
    body = b"ABC"
    framed = append_checksum(body, "xor8") + b"\n" + body + b"\x00\n"
    log.append([rows.row(Received(1.0, 1, "p", framed))])
    assert [bool(log.model.checksum_failure(r)) for r in in_rows(log)] == [False, True]
    assert log.checksum_failures == 1


# -- receive to file ------------------------------------------------------------------------


def test_receive_to_file_lines_mode_writes_time_peer_and_text(qtbot: QtBot, tmp_path: Path) -> None:
    log = TrafficLog()
    qtbot.addWidget(log)
    log.show()
    path = tmp_path / "lines.txt"
    log.start_capture(path, "lines")
    log.append_rows([(1.0, "127.0.0.1:9", b"one\r\n", False), (2.0, "[::1]:9", b"two", False)])
    log.append([LogEntry(3.0, "out", "127.0.0.1:9", b"sent, not written")])
    assert log.tools.status_label.isVisible() and "lines.txt" in log.tools.status_label.text()
    log.stop_capture()
    lines = path.read_text().splitlines()
    assert [line.split("\t")[1:] for line in lines] == [
        ["127.0.0.1:9", r"one\r\n"],
        ["[::1]:9", "two"],
    ]
    assert not log.tools.status_label.isVisible()


def open_handles(path: Path) -> int:
    """How many of this process's file descriptors are open on ``path``."""
    fds = Path("/proc/self/fd")
    return sum(1 for fd in fds.iterdir() if os.path.realpath(fd) == str(path.resolve()))


def capture_in_window(
    qtbot: QtBot, window: QMainWindow, log: TrafficLog, path: Path
) -> ReceiveFile:
    """Show ``window`` around ``log`` (or the panel holding it) and start receiving to ``path``."""
    qtbot.addWidget(window)
    window.setCentralWidget(log if log.parentWidget() is None else log.parentWidget())
    window.show()
    log.start_capture(path)
    assert log.capture is not None and open_handles(path) == 1
    return log.capture


def test_receive_to_file_is_closed_when_its_window_closes(qtbot: QtBot, tmp_path: Path) -> None:
    panel = UdpReceivePanel()
    path = tmp_path / "received.bin"
    window = QMainWindow()
    capture = capture_in_window(qtbot, window, panel.log, path)
    panel.log.append_rows([(1.0, "127.0.0.1:9", b"first", False), (2.0, "[::1]:9", b"!", False)])
    window.close()
    qtbot.waitUntil(lambda: panel.log.capture is None, timeout=TIMEOUT)
    assert capture.closed and open_handles(path) == 0
    assert path.read_bytes() == b"first!"
    assert not panel.log.tools.capture_action.isChecked()


class Refusing(QMainWindow):
    """A window whose closing is cancelled (as by the quit question's Cancel)."""

    def closeEvent(self, event: QCloseEvent) -> None:
        event.ignore()


def test_receive_to_file_stays_open_when_the_window_refuses_to_close(
    qtbot: QtBot, tmp_path: Path
) -> None:
    window, log, path = Refusing(), TrafficLog(), tmp_path / "kept.bin"
    capture_in_window(qtbot, window, log, path)
    closed = QTimer()
    closed.setSingleShot(True)
    window.close()
    # The log decides on the next turn of the event loop; a timer queued after that turn has
    # fired once that decision is made.
    with qtbot.waitSignal(closed.timeout, timeout=TIMEOUT):
        closed.start(0)
    assert window.isVisible() and log.capture is not None and open_handles(path) == 1
    log.append_rows([(1.0, "127.0.0.1:9", b"still writing", False)])
    log.stop_capture()
    assert path.read_bytes() == b"still writing"


def test_receive_to_file_is_closed_when_its_panel_is_deleted(qtbot: QtBot, tmp_path: Path) -> None:
    panel = UdpReceivePanel()
    path = tmp_path / "torn-down.txt"
    panel.log.start_capture(path, "lines")
    capture = panel.log.capture
    assert capture is not None
    panel.log.append_rows([(1.0, "127.0.0.1:9", b"last line", False)])
    panel.deleteLater()
    qtbot.waitUntil(lambda: capture.closed, timeout=TIMEOUT)
    assert open_handles(path) == 0
    assert path.read_text().split("\t")[1:] == ["127.0.0.1:9", "last line\n"]


def test_receive_to_a_full_disk_stops_with_one_sentence(qtbot: QtBot) -> None:
    log = TrafficLog()
    qtbot.addWidget(log)
    log.show()
    log.start_capture("/dev/full")  # opening works; the first write finds the disk full
    with qtbot.waitSignal(log.capture_failed, timeout=TIMEOUT) as failed:
        log.append_rows([(1.0, "127.0.0.1:9", b"x" * 70_000, False)])
    message = failed.args[0]
    assert "No space left on device" in message and "\n" not in message
    assert log.capture is None and not log.tools.capture_action.isChecked()
    assert message in log.tools.status_label.text()
    assert log.model.rowCount() == 1  # the log itself goes on


def test_receive_to_a_path_that_cannot_be_created_says_why(qtbot: QtBot, tmp_path: Path) -> None:
    log = TrafficLog()
    qtbot.addWidget(log)
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(TransferError, match="Not a directory") as caught:
        log.start_capture(tmp_path / "file" / "inside-a-file")
    assert "\n" not in str(caught.value) and log.capture is None


# -- rate graph -----------------------------------------------------------------------------


def test_the_window_paints_without_pyqtgraph_or_numpy() -> None:
    code = (
        "import os, sys; os.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
        "from gui.app import create_app\n"
        "app = create_app([])\n"
        "from gui.main_window import MainWindow\n"
        "w = MainWindow(); w.show(); app.processEvents(); w.grab()\n"
        "print(sorted(m for m in ('pyqtgraph', 'numpy') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_the_rate_graph_plots_the_counted_traffic(qtbot: QtBot) -> None:
    log = TrafficLog()
    qtbot.addWidget(log)
    log.show()
    log.append_rows([(1.0, "127.0.0.1:9", b"x" * 100, False)] * 7)
    log.show_graph(True)
    assert log.graph is not None and log.graph.isVisible()
    log.graph.redraw()
    _, nbytes = log.graph.bytes_curve.getData()
    _, packets = log.graph.packets_curve.getData()
    assert int(nbytes.sum()) == 700 and int(packets.sum()) == 7
    log.show_graph(False)
    assert not log.graph.isVisible() and not log.graph.timer.isActive()


def test_ctrl_f_opens_the_search_row_with_the_cursor_in_it(qtbot: QtBot) -> None:
    log = TrafficLog()
    qtbot.addWidget(log)
    log.show()
    log.activateWindow()
    qtbot.waitUntil(log.isActiveWindow, timeout=TIMEOUT)
    assert not log.tools.search_row.isVisible()
    log.view.setFocus()
    qtbot.keyClick(log.view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    # A button's shortcut clicks it the way a mouse would: a moment later.
    qtbot.waitUntil(log.tools.search_row.isVisible, timeout=TIMEOUT)
    assert log.tools.search_edit.hasFocus()


def test_a_run_the_hand_over_buffer_dropped_reaches_the_log_as_a_gap(qtbot: QtBot) -> None:
    buffer = EventBuffer(limit=2)  # two events at most: a third pushes the oldest out
    buffer.push(Received(1.0, 1, "p", b"half a li"))  # dropped below
    buffer.push(Received(1.1, 2, "q", b"other\n"))
    buffer.push(Received(1.2, 3, "r", b"third\n"))
    buffer.push(Received(1.3, 1, "p", b"ne\nnext line\n"))
    events = buffer.drain()
    run = next(e for e in events if e.conn_id == 1)
    assert isinstance(run, ReceivedRun) and run.skipped == len(b"half a li")
    log = TrafficLog()
    qtbot.addWidget(log)
    log.set_framing("line")
    rows = StreamRows()
    log.append([rows.row(run)])
    model = log.model
    notes = [
        model.entry(r).text for r in range(model.rowCount()) if model.row_direction(r) == "info"
    ]
    assert any("9 bytes were not framed" in (note or "") for note in notes)
    # After the gap the framer starts over: the first row is the rest of the cut line.
    assert [log.model.row_data(r) for r in in_rows(log)] == [b"ne\n", b"next line\n"]
