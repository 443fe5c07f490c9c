"""Round-trip times in the traffic log: the first reply after a send shows its RTT beside its
byte count, keeps it in the CSV export (rtt_ms), and keeps it when framing splits the reply
or older rows leave the log."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from PySide6.QtCore import QModelRoleData, QModelRoleDataSpan, Qt
from pytestqt.qtbot import QtBot

from gui.panels.tcp_client import TcpClientPanel
from gui.panels.udp_send import UdpSendPanel
from gui.widgets.traffic_log import LogEntry, TrafficLog
from gui.widgets.traffic_log_model import TrafficLogModel
from tests.conftest import WAIT
from tests.gui.conftest import TcpEchoServer, UdpEcho
from tests.gui.test_tcp_connections import connect, send

TIMEOUT = int(WAIT * 1000)


def csv_rows(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def size_cell(log: TrafficLog, row: int) -> str:
    """The Bytes cell as the view paints it (multiData), which data() agrees with."""
    index = log.model.index(row, TrafficLogModel.SIZE)
    slot = QModelRoleData(Qt.ItemDataRole.DisplayRole)
    log.model.multiData(index, QModelRoleDataSpan(slot))
    assert slot.data() == log.model.data(index)
    return str(slot.data())


def test_udp_send_reply_row_shows_its_rtt_and_exports_it(
    qtbot: QtBot, udp_echo: UdpEcho, tmp_path: Path
) -> None:
    panel = UdpSendPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.host.set_text("127.0.0.1")
    panel.port.set_text(str(udp_echo.port))
    panel.payload.set_text("ping")
    panel.wait_check.setChecked(True)
    with qtbot.waitSignal(panel.runner.finished, timeout=TIMEOUT):
        qtbot.mouseClick(panel.send_button, Qt.MouseButton.LeftButton)
    log = panel.log
    assert [log.model.row_direction(row) for row in range(2)] == ["out", "in"]
    (rtt,) = panel._rtt.times_ms
    assert log.model.row_rtt(0) is None
    assert log.model.row_rtt(1) == rtt
    assert size_cell(log, 0) == "4"
    assert size_cell(log, 1) == f"4 · {rtt:.3f} ms"
    tooltip = log.model.data(log.model.index(1, TrafficLogModel.SIZE), Qt.ItemDataRole.ToolTipRole)
    assert f"{rtt:.3f} ms" in tooltip
    # The Bytes column was widened to show it whole.
    width = log.view.fontMetrics().horizontalAdvance(size_cell(log, 1))
    assert log.view.horizontalHeader().sectionSize(TrafficLogModel.SIZE) > width
    assert log.export(tmp_path / "log.csv") == 2
    rows = csv_rows(tmp_path / "log.csv")
    assert rows[0] == ["time", "direction", "peer", "bytes", "rtt_ms", "data"]
    assert [row[1] for row in rows[1:]] == ["out", "in"]
    assert rows[1][3:] == ["4", "", "ping"]
    assert rows[2][3] == "4" and rows[2][5] == "ping"
    assert float(rows[2][4]) == pytest.approx(rtt, abs=0.001)


@pytest.mark.parametrize("framing", ["raw", "line"])
def test_tcp_client_first_reply_row_shows_its_rtt(
    qtbot: QtBot, tcp_echo: TcpEchoServer, framing: str
) -> None:
    panel = TcpClientPanel()
    qtbot.addWidget(panel)
    panel.resize(800, 560)
    panel.show()
    page = panel.current_connection()
    page.log.set_framing(framing)
    connect(qtbot, page, tcp_echo.port)
    model = page.log.model

    def replies() -> list[int]:
        return [row for row in range(model.rowCount()) if model.row_direction(row) == "in"]

    for count, text in enumerate(["one\n", "two\n"], start=1):
        send(qtbot, page, text)
        qtbot.waitUntil(lambda count=count: len(replies()) == count, timeout=TIMEOUT)
    times = page._rtt.times_ms
    assert len(times) == 2
    assert [model.row_rtt(row) for row in replies()] == times
    assert [model.row_data(row) for row in replies()] == [b"one\n", b"two\n"]
    assert all(
        model.row_rtt(row) is None for row in range(model.rowCount()) if row not in replies()
    )
    assert size_cell(page.log, replies()[1]) == f"4 · {times[1]:.3f} ms"


def test_rtt_stays_on_its_row_when_older_rows_leave(qtbot: QtBot) -> None:
    log = TrafficLog(limit=3)
    qtbot.addWidget(log)
    log.append([LogEntry(1.0, "out", "p", b"a"), LogEntry(1.1, "in", "p", b"b", rtt_ms=100.0)])
    log.append([LogEntry(2.0, "out", "p", b"c"), LogEntry(2.1, "in", "p", b"d", rtt_ms=2.5)])
    model = log.model
    assert [model.row_data(row) for row in range(3)] == [b"b", b"c", b"d"]
    assert [model.row_rtt(row) for row in range(3)] == [100.0, None, 2.5]
    log.append([LogEntry(3.0, "in", "p", b"e")])
    assert [model.row_rtt(row) for row in range(3)] == [None, 2.5, None]
    log.clear()
    log.append([LogEntry(4.0, "in", "p", b"f")])
    assert model.row_rtt(0) is None and not model.has_rtt


def test_rtt_waits_for_the_frame_that_completes_a_reply(qtbot: QtBot) -> None:
    log = TrafficLog()
    qtbot.addWidget(log)
    log.protocol = "tcp"
    log.set_framing("line")
    stream = 7
    log.append([LogEntry(1.0, "out", "p", b"ask\n")])
    log.append([LogEntry(1.2, "in", "p", b"rep", stream=stream, rtt_ms=200.0)])
    assert log.model.rowCount() == 1  # the partial line waits
    log.append([LogEntry(1.3, "in", "p", b"ly\nmore\n", stream=stream)])
    model = log.model
    assert [model.row_data(row) for row in range(3)] == [b"ask\n", b"reply\n", b"more\n"]
    assert [model.row_rtt(row) for row in range(3)] == [None, 200.0, None]
