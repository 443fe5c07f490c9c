"""Shared widgets: address fields, payload editor, traffic log, settings, counters."""

from __future__ import annotations

import csv
import gc
import socket
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, QModelRoleData, QModelRoleDataSpan, QSettings, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QLineEdit,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)
from pytestqt.qtbot import QtBot

import gui.widgets.address as address
from gui.runner import ReceivedRun
from gui.settings import restore_fields, save_fields
from gui.widgets import (
    BindAddressPicker,
    HostField,
    LogEntry,
    PayloadEditor,
    PortField,
    RateMeter,
    TrafficLog,
    TrafficLogModel,
    format_bytes,
    format_count,
)
from gui.widgets.traffic_log import CELL_BYTES, StreamRows
from net.errors import AddressError, PayloadError
from net.events import Received
from net.interfaces import InterfaceAddress, interface_addresses

ROW_KEEP = 64 * 1024  # a small row_keep, so the bounds are reached with little memory

MIB = 1024 * 1024

GOOD_HOSTS = ["127.0.0.1", "::1", "[::1]", "fe80::1", "localhost", "example.org", "my-device.lan"]
BAD_HOSTS = ["", "999.1.1.1", "1.2.3.256", "bad host", "-dash.example", "::zz"]


@pytest.mark.parametrize("text", GOOD_HOSTS)
def test_host_field_accepts_addresses_and_names(qtbot: QtBot, text: str) -> None:
    field = HostField()
    qtbot.addWidget(field)
    qtbot.keyClicks(field.combo.lineEdit(), text)
    assert field.check() is None
    assert field.error.isHidden()
    assert field.host() == text.strip("[]").lower()


@pytest.mark.parametrize("text", BAD_HOSTS)
def test_host_field_shows_the_problem_inline(qtbot: QtBot, text: str) -> None:
    field = HostField()
    qtbot.addWidget(field)
    field.show()
    field.set_text(text)
    with pytest.raises(AddressError):
        field.host()
    assert field.error.isVisible()
    if text:
        assert text.strip() in field.error.text() or "host" in field.error.text()


def test_host_field_checks_while_typing_but_not_an_empty_field(qtbot: QtBot) -> None:
    field = HostField()
    qtbot.addWidget(field)
    field.show()
    qtbot.keyClicks(field.combo.lineEdit(), "999.1.1.1")
    assert field.error.isVisible()
    assert "IPv4" in field.error.text()
    field.set_text("")
    assert field.error.isHidden()
    field.set_text("10.0.0.1")
    assert field.error.isHidden()


def test_host_field_remembers_recent_hosts_newest_first(qtbot: QtBot) -> None:
    field = HostField(recent_limit=3)
    qtbot.addWidget(field)
    for host in ["a.lan", "b.lan", "c.lan", "a.lan", "d.lan"]:
        field.remember(host)
    assert field.recent() == ["d.lan", "a.lan", "c.lan"]


@pytest.mark.parametrize(
    ("text", "allow_zero", "expected"),
    [("5000", False, 5000), ("1", False, 1), ("65535", False, 65535), ("0", True, 0)],
)
def test_port_field_accepts(qtbot: QtBot, text: str, allow_zero: bool, expected: int) -> None:
    field = PortField(allow_zero=allow_zero)
    qtbot.addWidget(field)
    qtbot.keyClicks(field.edit, text)
    assert field.port() == expected


@pytest.mark.parametrize("text", ["", "0", "70000", "65536", "abc", "-1", "5 000", "１２"])
def test_port_field_rejects_with_an_inline_message(qtbot: QtBot, text: str) -> None:
    field = PortField()
    qtbot.addWidget(field)
    field.show()
    field.set_text(text)
    with pytest.raises(AddressError):
        field.port()
    assert field.error.isVisible()
    assert "port" in field.error.text().lower()


def test_optional_port_field_means_any_when_empty(qtbot: QtBot) -> None:
    field = PortField(optional=True, allow_zero=True)
    qtbot.addWidget(field)
    assert field.port() == 0
    field.set_text("abc")
    assert field.check() is not None


def test_bind_picker_lists_any_loopback_and_interfaces(qtbot: QtBot) -> None:
    picker = BindAddressPicker()
    qtbot.addWidget(picker)
    addresses = [picker.combo.itemData(i) for i in range(picker.combo.count())]
    assert addresses[:4] == ["0.0.0.0", "::", "127.0.0.1", "::1"]
    assert picker.address() == "0.0.0.0"
    picker.set_address("::1")
    assert picker.address() == "::1"
    picker.set_text("127.0.0.2")
    assert picker.address() == "127.0.0.2"
    picker.show()
    picker.set_text("999.1.1.1")
    with pytest.raises(AddressError):
        picker.address()
    assert picker.error.isVisible()


@pytest.mark.parametrize(
    ("text", "mode", "encoding", "ending", "expected"),
    [
        ("hello", "text", "UTF-8", "none", b"hello"),
        ("hi", "text", "UTF-8", "crlf", b"hi\r\n"),
        ("中文", "text", "UTF-8", "none", "中文".encode()),
        ("中文", "text", "GBK", "lf", "中文\n".encode("gbk")),
        ("48 65 6c", "hex", "UTF-8", "crlf", b"Hel"),
        ("0x01,0x02", "hex", "UTF-8", "none", b"\x01\x02"),
        (r"a\tb\x00", "escapes", "UTF-8", "none", b"a\tb\x00"),
    ],
)
def test_payload_editor_makes_bytes(
    qtbot: QtBot, text: str, mode: str, encoding: str, ending: str, expected: bytes
) -> None:
    editor = PayloadEditor()
    qtbot.addWidget(editor)
    editor.mode_combo.setCurrentIndex(editor.mode_combo.findData(mode))
    editor.encoding_combo.setCurrentText(encoding)
    editor.ending_combo.setCurrentIndex(editor.ending_combo.findData(ending))
    editor.set_text(text)
    assert editor.payload() == expected
    assert editor.size_label.text().startswith(f"{len(expected)} byte")


def test_payload_editor_flags_malformed_hex_as_you_type(qtbot: QtBot) -> None:
    editor = PayloadEditor()
    qtbot.addWidget(editor)
    editor.show()
    editor.set_mode("hex")
    qtbot.keyClicks(editor.edit, "4G")
    assert editor.error.isVisible()
    assert "hex digit" in editor.error.text()
    with pytest.raises(PayloadError):
        editor.payload()
    editor.set_text("4F")
    assert editor.error.isHidden()
    assert editor.payload() == b"\x4f"


def test_payload_editor_flags_text_the_encoding_cannot_write(qtbot: QtBot) -> None:
    editor = PayloadEditor()
    qtbot.addWidget(editor)
    editor.show()
    editor.encoding_combo.setCurrentText("ASCII")
    editor.set_text("中")
    assert editor.error.isVisible()
    assert editor.check() is not None


def test_switching_mode_keeps_the_bytes(qtbot: QtBot) -> None:
    editor = PayloadEditor()
    qtbot.addWidget(editor)
    editor.set_text("Hi!")
    editor.set_mode("hex")
    assert editor.text() == "48 69 21"
    editor.set_mode("text")
    assert editor.text() == "Hi!"
    editor.set_text("a\tb\x01")
    editor.set_mode("escapes")
    assert editor.text() == r"a\tb\x01"
    assert editor.payload() == b"a\tb\x01"


def test_compact_editor_is_one_line(qtbot: QtBot) -> None:
    editor = PayloadEditor(compact=True, name="replyEdit")
    qtbot.addWidget(editor)
    assert isinstance(editor.edit, QLineEdit)
    assert editor.edit.objectName() == "replyEdit"
    editor.set_text("pong")
    assert editor.payload() == b"pong"


def _entries(count: int, start: int = 0) -> list[LogEntry]:
    return [
        LogEntry(1.0 + i, "in", "127.0.0.1:9", f"m{i}".encode())
        for i in range(start, start + count)
    ]


def test_log_model_keeps_the_newest_rows_within_its_limit(qtbot: QtBot) -> None:
    model = TrafficLogModel(limit=100)
    inserts: list[int] = []
    model.rowsInserted.connect(lambda parent, first, last: inserts.append(last - first + 1))
    for batch in range(5):
        model.append(_entries(30, batch * 30))
    assert model.rowCount() == 100
    assert model.entry(0).data == b"m50"
    assert model.entry(99).data == b"m149"
    assert inserts == [30] * 5  # one insert per batch, not one per row
    assert model.dropped == 50
    model.append(_entries(250, 1000))  # a batch larger than the limit
    assert model.rowCount() == 100
    assert model.entry(99).data == b"m1249"
    model.clear()
    assert model.rowCount() == 0


def test_log_keeps_its_payload_bound_after_200_mib(qtbot: QtBot) -> None:
    model = TrafficLogModel(limit=100_000, max_bytes=8 * MIB, row_keep=ROW_KEEP)
    block = bytes(range(256)) * 4096  # 1 MiB: more than a row keeps
    sent = 0
    for batch in range(50):
        rows = [LogEntry(float(batch), "out", "127.0.0.1:9", block) for _ in range(2)]
        rows += [LogEntry(float(batch), "in", "127.0.0.1:9", bytes(ROW_KEEP)) for _ in range(32)]
        model.append(rows)
        sent += 2 * len(block) + 32 * ROW_KEEP
        assert model.payload_bytes <= 8 * MIB
    assert sent >= 200 * MIB
    entries = model.entries()
    assert sum(len(e.data) for e in entries) == model.payload_bytes <= 8 * MIB
    assert max(len(e.data) for e in entries) == ROW_KEEP
    assert entries[-1].time == 49.0  # the newest rows stay
    capped = next(e for e in entries if e.direction == "out")
    assert (capped.total, capped.data, capped.tail) == (len(block), block[:ROW_KEEP], False)
    assert model.data(model.index(entries.index(capped), TrafficLogModel.SIZE)) == "1,048,576"
    assert model.dropped == 50 * 34 - len(entries)


def test_a_batch_larger_than_the_log_leaves_only_its_newest_rows(qtbot: QtBot) -> None:
    model = TrafficLogModel(limit=1000)
    rows = [(float(i), "127.0.0.1:9", b"%d" % i, False) for i in range(100_000)]
    model.append_rows(rows)
    assert model.rowCount() == 1000
    assert [e.data for e in model.entries()] == [b"%d" % i for i in range(99_000, 100_000)]
    assert model.dropped == 99_000
    model.append_rows(rows[:300])
    assert model.rowCount() == 1000
    assert model.entry(999).data == b"299"
    assert model.entry(0).data == b"99300"
    assert model.dropped == 99_300


def test_log_rows_are_left_alone_by_the_garbage_collector(qtbot: QtBot) -> None:
    # A flood keeps 100,000 rows; as tracked objects they made every full collection long.
    model = TrafficLogModel()
    model.append_rows([(1.0, "127.0.0.1:9", b"x", False)] * 10)
    model.append([LogEntry(2.0, "in", "127.0.0.1:9", b"y", "y"), LogEntry.note("hello")])
    gc.collect()
    assert not any(gc.is_tracked(row) for row in model._rows)


def test_multi_data_answers_as_data_does(qtbot: QtBot) -> None:
    log = TrafficLog()
    qtbot.addWidget(log)
    log.append_rows([(1.0, "127.0.0.1:9", b"dgram\r\n", False)])
    log.append([LogEntry(2.0, "out", "[::1]:7", b"sent"), LogEntry.note("oops", error=True)])
    model = log.model
    roles = [
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.ForegroundRole,
        Qt.ItemDataRole.TextAlignmentRole,
        Qt.ItemDataRole.FontRole,
        Qt.ItemDataRole.DecorationRole,
    ]
    reused = {role: QModelRoleData(role) for role in roles}  # the view reuses one span per role
    for row in range(model.rowCount()):
        for column in range(model.columnCount()):
            index = model.index(row, column)
            for role in roles:
                slot = QModelRoleData(role)
                model.multiData(index, QModelRoleDataSpan(slot))
                assert slot.data() == model.data(index, role)
                model.multiData(index, QModelRoleDataSpan(reused[role]))
                assert reused[role].data() == model.data(index, role), (row, column, role)
            option = QStyleOptionViewItem()  # what the view's delegate does when it paints
            QStyledItemDelegate().initStyleOption(option, index)
            assert option.text == model.data(index)
    assert not model.index(3, 0).isValid() and not model.index(0, 5).isValid()
    assert model.data(model.index(0, TrafficLogModel.DATA)) == r"dgram\r\n"


def test_a_long_row_shows_a_short_cell_and_a_stream_run_its_end(qtbot: QtBot) -> None:
    model = TrafficLogModel(row_keep=ROW_KEEP)
    start = b"S" + b"a" * (ROW_KEEP - 1)
    model.append(
        [
            LogEntry(1.0, "out", "p", start + b"z" * 1000),  # kept: its start
            LogEntry(2.0, "in", "p", b"b" * (ROW_KEEP - 3) + b"END", size=10 * MIB, tail=True),
        ]
    )
    head = model.data(model.index(0, TrafficLogModel.DATA))
    end = model.data(model.index(1, TrafficLogModel.DATA))
    assert head.startswith("Saaa") and head.endswith("…") and len(head) <= 402
    assert end.startswith("…") and end.endswith("bbEND") and len(end) <= 402
    assert model.data(model.index(1, TrafficLogModel.SIZE)) == f"{10 * MIB:,}"
    assert model.entry(0).data == start  # a row keeps ROW_KEEP bytes
    assert model.data_text(model.entry(1)).startswith("… b")
    assert len(model.data_text(model.entry(1))) == 2 + CELL_BYTES


def test_stream_rows_keep_characters_whole_and_show_the_end_of_a_big_run(qtbot: QtBot) -> None:
    model = TrafficLogModel()
    rows = StreamRows()
    data = "中文字符".encode()
    first = rows.row(Received(1.0, 1, "p", data[:4]))
    second = rows.row(Received(2.0, 1, "p", data[4:]))
    assert (first.data + second.data) == data and not first.tail
    tail = "…终".encode() * 30_000
    big = rows.row(ReceivedRun(3.0, 1, "p", tail[-ROW_KEEP:], skipped=5 * MIB))
    assert big.tail and big.total == 5 * MIB + ROW_KEEP and big.data == tail[-ROW_KEEP:]
    after = rows.row(Received(4.0, 1, "p", "完".encode()[:1]))
    model.append([first, second, big, after, rows.row(Received(5.0, 1, "p", "完".encode()[1:]))])
    cells = [model.data(model.index(row, TrafficLogModel.DATA)) for row in range(5)]
    assert cells[:2] == ["中", "文字符"]
    assert cells[2].endswith("…终…终") and len(cells[2]) <= 402
    assert cells[3:] == ["", "完"]
    model.append([rows.finish(6.0, "p")])  # an end adds no row
    assert model.rowCount() == 5


def test_log_model_shows_text_or_hex_in_the_chosen_encoding(qtbot: QtBot) -> None:
    model = TrafficLogModel()
    model.append(
        [
            LogEntry(1.0, "in", "127.0.0.1:9", "你好".encode()),
            LogEntry(2.0, "in", "127.0.0.1:9", "你好".encode("gbk")),
            LogEntry(3.0, "info", "", b"", "Client connected"),
            LogEntry(4.0, "in", "127.0.0.1:9", b"a\r\n\x1b"),
        ]
    )
    data = model.index(0, TrafficLogModel.DATA)
    assert model.data(data) == "你好"
    model.set_encoding("GBK")
    assert model.data(model.index(1, TrafficLogModel.DATA)) == "你好"
    assert model.data(model.index(2, TrafficLogModel.DATA)) == "Client connected"
    assert model.data(model.index(3, TrafficLogModel.DATA)) == r"a\r\n\x1b"
    model.set_hex_mode(True)
    assert model.data(model.index(0, TrafficLogModel.DATA)) == "E4 BD A0 E5 A5 BD"
    assert model.data(model.index(0, TrafficLogModel.SIZE)) == "6"
    assert model.data(model.index(0, TrafficLogModel.PEER)) == "127.0.0.1:9"
    assert model.data(QModelIndex()) is None


def test_log_exports_csv_and_text(qtbot: QtBot, tmp_path: Path) -> None:
    log = TrafficLog()
    qtbot.addWidget(log)
    log.append(
        [
            LogEntry(1.5, "in", "[::1]:7", '中文,"q"'.encode()),
            LogEntry(2.0, "out", "[::1]:7", b"ok"),
        ]
    )
    assert log.export(tmp_path / "log.csv") == 2
    with open(tmp_path / "log.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["time", "direction", "peer", "bytes", "rtt_ms", "data"]
    assert rows[1][1:] == ["in", "[::1]:7", "10", "", '中文,"q"']
    assert rows[2][1:] == ["out", "[::1]:7", "2", "", "ok"]
    log.set_hex(True)
    assert log.export(tmp_path / "log.txt") == 2
    lines = (tmp_path / "log.txt").read_text(encoding="utf-8").splitlines()
    assert lines[1].endswith("\t[::1]:7\t2\t6F 6B")


def test_log_copies_selected_rows_and_clears(qtbot: QtBot) -> None:
    log = TrafficLog()
    qtbot.addWidget(log)
    log.append(_entries(3))
    log.select_row(1)
    text = log.copy_selection()
    assert text.endswith("\tm1")
    assert QGuiApplication.clipboard().text() == text
    log.clear()
    assert log.model.rowCount() == 0
    assert log.rows_label.text().startswith("0 rows")


def test_log_follows_new_rows_unless_paused(qtbot: QtBot) -> None:
    log = TrafficLog()
    qtbot.addWidget(log)
    log.resize(500, 200)
    log.show()
    log.append(_entries(500))
    bar = log.view.verticalScrollBar()
    assert bar.value() == bar.maximum()
    log.follow_check.setChecked(False)
    bar.setValue(0)
    log.append(_entries(100, 500))
    assert bar.value() == 0


def test_fields_are_saved_and_restored_by_object_name(qtbot: QtBot, settings: QSettings) -> None:
    def build() -> tuple[QWidget, HostField, PayloadEditor, QCheckBox]:
        root = QWidget()
        root.setObjectName("somePanel")
        host = HostField(root)
        payload = PayloadEditor(root)
        check = QCheckBox(root)
        check.setObjectName("someCheck")
        qtbot.addWidget(root)
        return root, host, payload, check

    root, host, payload, check = build()
    host.remember("10.0.0.1")
    host.set_text("example.org")
    payload.set_mode("hex")
    payload.set_text("01 02")
    payload.encoding_combo.setCurrentText("GBK")
    check.setChecked(True)
    save_fields(root, settings)

    root2, host2, payload2, check2 = build()
    restore_fields(root2, settings)
    assert host2.text() == "example.org"
    assert host2.recent() == ["10.0.0.1"]
    assert payload2.mode() == "hex"
    assert payload2.text() == "01 02"  # restoring the mode must not rewrite the text
    assert payload2.encoding() == "GBK"
    assert check2.isChecked()
    assert settings.value("somePanel/payloadEdit") == "01 02"


def test_counters_format_and_rate() -> None:
    assert format_count(12345) == "12,345"
    assert format_bytes(999) == "999 B"
    assert format_bytes(5 * 1024 * 1024) == "5.0 MiB"
    meter = RateMeter(window=1.0)
    assert meter.update(0, now=10.0) == 0.0
    assert meter.update(500, now=10.5) == pytest.approx(1000.0)
    assert meter.update(1500, now=11.5) == pytest.approx(1000.0)


def test_bind_picker_reads_the_interfaces_off_the_gui_thread(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading the interfaces can take seconds on Windows: the picker shows its fixed choices at
    once and adds the computer's addresses when the worker's read ends."""

    readers: list[str] = []
    release = threading.Event()
    real = interface_addresses

    def slow_read(*, ipv6: bool = True) -> list[InterfaceAddress]:
        readers.append(threading.current_thread().name)
        release.wait(10)
        return [*real(ipv6=ipv6), InterfaceAddress("test0", "10.99.0.7", socket.AF_INET, 0, True)]

    monkeypatch.setattr(address, "interface_addresses", slow_read)
    monkeypatch.setattr(address.InterfaceList, "_shared", None)
    picker = BindAddressPicker()
    qtbot.addWidget(picker)
    shown = [picker.combo.itemData(i) for i in range(picker.combo.count())]
    assert shown == ["0.0.0.0", "::", "127.0.0.1", "::1"]  # built while the read still waits
    release.set()
    qtbot.waitUntil(lambda: picker.combo.findData("10.99.0.7") >= 0, timeout=5000)
    assert readers and threading.main_thread().name not in readers
    assert "test0" in picker.combo.itemText(picker.combo.findData("10.99.0.7"))


def test_a_bind_picker_keeps_its_choice_when_the_interface_list_arrives(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The list is refilled when a read ends: the chosen item stays chosen (settings keep its
    address, and restore it in the chosen language), a typed address the list now holds
    becomes its item, other typed text stays."""
    monkeypatch.setattr(address.InterfaceList, "_shared", None)
    chosen, typed, listed = BindAddressPicker(), BindAddressPicker(), BindAddressPicker()
    for picker in (chosen, typed, listed):
        qtbot.addWidget(picker)
    qtbot.waitUntil(lambda: not address.InterfaceList.shared()._reading, timeout=5000)
    chosen.set_address("127.0.0.1")
    typed.set_text("127.0.0.2")
    listed.combo.setEditText("::1")
    # The pickers' queued refills were posted before the blocker's: they have run when it returns.
    with qtbot.waitSignal(address.InterfaceList.shared().ready, timeout=5000):
        address.InterfaceList.shared().read()
    assert chosen.combo.currentData() == "127.0.0.1"
    assert chosen.combo.currentText() == chosen.combo.itemText(chosen.combo.findData("127.0.0.1"))
    assert typed.text() == "127.0.0.2"
    assert listed.combo.currentData() == "::1"
