"""Every view of received bytes is rendered from the bytes, in the encoding chosen now (issue 12.10).

GBK bytes that arrived while the log showed UTF-8 read as Chinese in the table, in Copy and in
Export once GBK is chosen; a character split across two TCP chunks stays whole in every encoding,
including one chosen between the two chunks.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from gui.panels.tcp_client import TcpClientPanel
from gui.widgets import TrafficLog, TrafficLogModel
from gui.widgets.traffic_log import StreamRows
from net.events import Received
from tests.conftest import WAIT

TIMEOUT = int(WAIT * 1000)

TEXT = "国家统计局"  # 5 characters, 10 bytes in GBK, 15 in UTF-8


def cells(log: TrafficLog) -> list[str]:
    model = log.model
    return [model.data(model.index(row, TrafficLogModel.DATA)) for row in range(model.rowCount())]


def every_view(log: TrafficLog, tmp_path: Path) -> list[str]:
    """The data column as the table, Copy, the CSV export and the text export show it."""
    log.view.clearSelection()
    copied = "".join(line.split("\t")[-1] for line in log.copy_selection().splitlines())
    log.export(tmp_path / "log.csv")
    log.export(tmp_path / "log.txt")
    csv_rows = (tmp_path / "log.csv").read_text(encoding="utf-8-sig").splitlines()[1:]
    text_rows = (tmp_path / "log.txt").read_text(encoding="utf-8").splitlines()
    exported = "".join(line.rsplit(",", 1)[-1] for line in csv_rows)
    texted = "".join(line.split("\t")[-1] for line in text_rows)
    return ["".join(cells(log)), copied, exported, texted]


@pytest.mark.parametrize("split", range(1, 10))
def test_gbk_rows_read_right_once_gbk_is_chosen_wherever_chunks_split(
    qtbot: QtBot, tmp_path: Path, split: int
) -> None:
    log = TrafficLog()
    qtbot.addWidget(log)
    data = TEXT.encode("gbk")
    stream = StreamRows()
    log.append([stream.row(Received(1.0, 1, "p", data[:split]))])
    log.append([stream.row(Received(2.0, 1, "p", data[split:]))])
    assert "\\x" in "".join(cells(log)) or "\ufffd" in "".join(cells(log))  # UTF-8 cannot read it
    log.set_encoding("GBK")
    assert every_view(log, tmp_path) == [TEXT] * 4
    log.set_encoding("UTF-8")
    log.set_encoding("GB18030")
    assert every_view(log, tmp_path) == [TEXT] * 4


@pytest.mark.parametrize(("first", "then"), [("UTF-8", "GBK"), ("GBK", "UTF-8")])
def test_a_character_split_when_the_encoding_changes_is_not_lost(
    qtbot: QtBot, tmp_path: Path, first: str, then: str
) -> None:
    """The first chunk ends inside a character; the user switches encoding before the rest."""
    log = TrafficLog()
    qtbot.addWidget(log)
    log.set_encoding(first)
    data = TEXT.encode(then.lower())
    stream = StreamRows()
    log.append([stream.row(Received(1.0, 1, "p", data[:3]))])
    log.set_encoding(then)
    log.append([stream.row(Received(2.0, 1, "p", data[3:]))])
    assert every_view(log, tmp_path) == [TEXT] * 4
    assert [entry.data for entry in log.model.entries()] == [data[:3], data[3:]]


def test_an_unfinished_last_character_shows_once_the_stream_ends(qtbot: QtBot) -> None:
    log = TrafficLog()
    qtbot.addWidget(log)
    stream = StreamRows()
    log.append([stream.row(Received(1.0, 1, "p", "ab中".encode()[:3]))])
    assert cells(log) == ["ab"]  # the lone lead byte may still be completed
    log.append([stream.finish(2.0, "p")])
    assert cells(log) == ["ab\\xe4"]
    log.set_hex(True)
    assert cells(log) == ["61 62 E4"]


def test_tcp_client_log_follows_the_encoding_over_a_real_connection(
    qtbot: QtBot, tmp_path: Path
) -> None:
    panel = TcpClientPanel()
    qtbot.addWidget(panel)
    data = TEXT.encode("gbk")
    with socket.create_server(("127.0.0.1", 0)) as server:
        panel.host.set_text("127.0.0.1")
        panel.port.set_text(str(server.getsockname()[1]))
        qtbot.mouseClick(panel.connect_button, Qt.MouseButton.LeftButton)
        peer, _ = server.accept()
        with peer:
            qtbot.waitUntil(lambda: panel._connected and panel.client is not None, timeout=TIMEOUT)
            peer.sendall(data[:5])  # ends inside 统
            qtbot.waitUntil(lambda: panel.client.bytes_in == 5, timeout=TIMEOUT)
            panel.log.set_encoding("GBK")
            peer.sendall(data[5:])
            qtbot.waitUntil(lambda: panel.client.bytes_in == len(data), timeout=TIMEOUT)
        with qtbot.waitSignal(panel.runner.finished, timeout=TIMEOUT):
            panel.trigger_stop()
    received = [e for e in panel.log.model.entries() if e.direction == "in"]
    assert b"".join(e.data for e in received) == data
    log = panel.log
    rows = [r for r in range(log.model.rowCount()) if log.model.entry(r).direction == "in"]
    shown = "".join(log.model.data(log.model.index(r, TrafficLogModel.DATA)) for r in rows)
    assert shown == TEXT
    copied = log.copy_selection()
    assert TEXT[:2] in copied and TEXT[2:] in copied.replace("\n", "")
