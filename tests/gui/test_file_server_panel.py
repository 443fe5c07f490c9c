"""File Server panel: drops, the share list, serving to http.client / curl / a raw client, URLs,
the transfers table, and a 1 GiB transfer that leaves the GUI responsive."""

from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import socket
import subprocess
import tempfile
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QModelIndex, QPoint, QPointF, QSettings, Qt, QTimer, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QGuiApplication
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from gui.main_window import MainWindow
from gui.panels.file_server import DEFAULT_PORT, FileServerPanel, is_loopback
from gui.widgets import format_bytes
from gui.widgets.share_list import ShareListModel
from gui.widgets.transfers import PROGRESS_ROLE, TransfersModel
from gui.widgets.units import format_eta, format_progress, format_speed
from net.events import TransferFailed, TransferFinished, TransferProgress, TransferStarted
from tests.conftest import WAIT

TIMEOUT = int(WAIT * 1000)
CHINESE = "季度 报告 v2.txt"


@pytest.fixture
def panel(qtbot: QtBot) -> Iterator[FileServerPanel]:
    widget = FileServerPanel()
    qtbot.addWidget(widget)
    widget.show()
    yield widget
    widget.stop_workers()  # the server, and the share table's checksum thread


@pytest.fixture
def files(tmp_path: Path) -> dict[str, bytes]:
    """Three files: a Chinese name with spaces, the same name in another folder, and a binary."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    contents = {
        str(tmp_path / "a" / CHINESE): "第一季度：收入增长 12%\n".encode() * 500,
        str(tmp_path / "b" / CHINESE): b"the other report, same name\n" * 100,
        str(tmp_path / "a" / "data 100%.bin"): os.urandom(300_000),
    }
    for path, data in contents.items():
        Path(path).write_bytes(data)
    return contents


def drop_on(target: QWidget, paths: list[str]) -> None:
    """Drag ``paths`` from a file manager and drop them on ``target``, with real events."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(path) for path in paths])
    point = target.rect().center()
    action = Qt.DropAction.CopyAction
    button, modifier = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(point, action, mime, button, modifier)
    QApplication.sendEvent(target, enter)
    assert enter.isAccepted()
    move = QDragMoveEvent(point, action, mime, button, modifier)
    QApplication.sendEvent(target, move)
    assert move.isAccepted()
    drop = QDropEvent(QPointF(point), action, mime, button, modifier)
    QApplication.sendEvent(target, drop)
    assert drop.isAccepted()


def start(qtbot: QtBot, panel: FileServerPanel) -> int:
    panel.bind.set_address("127.0.0.1")
    panel.port.set_text("0")
    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.server is not None, timeout=TIMEOUT)
    assert not panel.start_button.isEnabled()
    assert panel.stop_button.isEnabled()
    return int(panel.server.port)


def stop(qtbot: QtBot, panel: FileServerPanel) -> None:
    with qtbot.waitSignal(panel.runner.finished, timeout=TIMEOUT):
        qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    assert panel.start_button.isEnabled()


def http_get(port: int, name: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
    try:
        connection.request("GET", "/" + urllib.parse.quote(name))
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def cell(model: ShareListModel, row: int, column: int, role: int = 0) -> object:
    return model.data(model.index(row, column), role or Qt.ItemDataRole.DisplayRole)


def test_dropped_files_are_served_byte_for_byte_to_http_client_and_curl(
    qtbot: QtBot, panel: FileServerPanel, files: dict[str, bytes], tmp_path: Path
) -> None:
    assert panel.port.text() == str(DEFAULT_PORT)
    drop_on(panel.share_list.view.viewport(), list(files))
    names = panel.share_list.names()
    assert names == [CHINESE, "季度 报告 v2 (2).txt", "data 100%.bin"]
    assert "Added 3 files" in panel.status.text()
    model = panel.share_list.model
    assert cell(model, 0, ShareListModel.SIZE) == format_bytes(len(next(iter(files.values()))))

    # Checksums arrive from the share table's thread: first 12 digits shown, all 64 in the tooltip.
    by_name = dict(zip(names, files.values(), strict=True))
    qtbot.waitUntil(lambda: model.pending() == 0, timeout=TIMEOUT)
    for row, name in enumerate(names):
        digest = hashlib.sha256(by_name[name]).hexdigest()
        assert cell(model, row, ShareListModel.SHA256) == digest[:12] + "…"
        assert cell(model, row, ShareListModel.SHA256, Qt.ItemDataRole.ToolTipRole) == digest

    port = start(qtbot, panel)
    assert f"http://127.0.0.1:{port}/" in panel.urls()
    for name, data in by_name.items():
        assert http_get(port, name) == (200, data)
    target = tmp_path / "curl-out"
    quoted = urllib.parse.quote(CHINESE)
    subprocess.run(
        ["curl", "-sS", "-f", "-o", str(target), f"http://127.0.0.1:{port}/{quoted}"],
        check=True,
        timeout=WAIT * 3,
    )
    assert target.read_bytes() == by_name[CHINESE]

    transfers = panel.transfers.model
    qtbot.waitUntil(lambda: transfers.finished == 4, timeout=TIMEOUT)
    rows = transfers.rows()
    assert [row.name for row in rows] == [*names, CHINESE]
    assert {transfers.state_text(row) for row in rows} == {"done"}
    assert {transfers.dialect_text(row) for row in rows} == {"HTTP"}
    first = transfers.index(0, TransfersModel.PROGRESS)
    assert transfers.data(first, PROGRESS_ROLE) == 1.0
    assert transfers.data(first) == "100%"
    assert transfers.bytes_sent == sum(map(len, files.values())) + len(by_name[CHINESE])
    assert "4 done · 0 failed" in panel.transfers.summary.text()
    stop(qtbot, panel)
    assert panel.urls() == []
    assert "Stopped serving" in panel.status.text()


def test_files_can_be_added_and_removed_while_serving(
    qtbot: QtBot, panel: FileServerPanel, files: dict[str, bytes], tmp_path: Path
) -> None:
    first, _second, third = list(files)
    panel.add_paths([first])
    port = start(qtbot, panel)
    assert http_get(port, CHINESE)[0] == 200
    assert http_get(port, "data 100%.bin")[0] == 404
    panel.add_paths([third])
    assert http_get(port, "data 100%.bin") == (200, files[third])
    panel.share_list.view.selectRow(0)
    assert panel.share_list.remove_button.isEnabled()
    qtbot.mouseClick(panel.share_list.remove_button, Qt.MouseButton.LeftButton)
    assert panel.share_list.names() == ["data 100%.bin"]
    assert http_get(port, CHINESE)[0] == 404
    assert Path(first).exists()  # removing stops sharing; the file stays
    stop(qtbot, panel)


def test_a_dropped_folder_adds_its_files_recursively_and_skips_links_leading_out(
    qtbot: QtBot, panel: FileServerPanel, tmp_path: Path
) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("not for sharing")
    folder = tmp_path / "photos 2024"
    (folder / "trip" / "day 1").mkdir(parents=True)
    (folder / "cover.jpg").write_bytes(b"\xff\xd8cover")
    (folder / "trip" / "day 1" / "海边.jpg").write_bytes(b"\xff\xd8sea")
    (folder / "trip" / "notes.txt").write_text("notes")
    (folder / "escape.txt").symlink_to(outside)
    (folder / "trip" / "again.jpg").symlink_to(folder / "cover.jpg")  # inside: the same file
    with qtbot.waitSignal(panel.share_list.paths_added, timeout=TIMEOUT):
        drop_on(panel.share_list.view.viewport(), [str(folder)])  # walked on a worker thread
    # The folder keeps its tree; a link inside it to a file inside it is shared by its own name.
    assert sorted(panel.share_list.names()) == [
        "photos 2024/cover.jpg",
        "photos 2024/trip/again.jpg",
        "photos 2024/trip/day 1/海边.jpg",
        "photos 2024/trip/notes.txt",
    ]
    assert panel.status.kind == "warning"
    assert "escape.txt" in panel.status.text()
    assert "a link that leads outside the folder" in panel.status.text()
    assert all(entry.path != outside for entry in panel.share_list.share.files())


def test_dropping_on_the_panel_outside_the_list_also_shares(
    panel: FileServerPanel, files: dict[str, bytes]
) -> None:
    drop_on(panel, [next(iter(files))])
    assert panel.share_list.names() == [CHINESE]
    mime = QMimeData()
    mime.setText("just text")
    enter = QDragEnterEvent(
        QPoint(5, 5),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(panel.share_list.view.viewport(), enter)
    assert not enter.isAccepted()


def test_missing_files_are_reported(panel: FileServerPanel, tmp_path: Path) -> None:
    panel.add_paths([str(tmp_path / "gone.txt")])
    assert panel.status.kind == "error"
    assert "gone.txt does not exist" in panel.status.text()
    assert panel.share_list.names() == []


def test_urls_copy_links_and_qr_code(
    qtbot: QtBot, panel: FileServerPanel, files: dict[str, bytes]
) -> None:
    panel.add_paths(list(files))
    assert not panel.copy_button.isEnabled()
    assert panel.qr.pixmap().isNull()
    port = start(qtbot, panel)
    url = f"http://127.0.0.1:{port}/"
    assert panel.urls() == [url]
    assert panel.selected_url() == url
    assert not panel.qr.pixmap().isNull()
    assert panel.qr.pixmap().width() >= 100
    assert panel.qr.caption.text() == url
    qtbot.mouseClick(panel.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == url

    panel.share_list.view.selectRow(2)
    links = panel.copy_file_links()
    assert links == [url + "data%20100%25.bin"]
    assert QGuiApplication.clipboard().text() == links[0]
    panel.share_list.view.clearSelection()
    links = panel.copy_file_links()
    assert len(links) == 3
    parsed = urllib.parse.urlsplit(links[0])
    assert urllib.parse.unquote(parsed.path[1:]) == CHINESE
    stop(qtbot, panel)
    assert panel.qr.pixmap().isNull()


def test_exposure_notice_follows_the_bind_address_and_the_list(
    panel: FileServerPanel, files: dict[str, bytes]
) -> None:
    panel.bind.set_address("0.0.0.0")
    assert "the list is empty" in panel.exposure.text()
    panel.add_paths(list(files)[:2])
    assert panel.exposure.text() == (
        "Anyone on your network can download the 2 files in this list."
    )
    panel.bind.set_address("127.0.0.1")
    assert panel.exposure.text().startswith("Only programs on this computer")
    panel.bind.set_address("::")
    assert "download the 2 files" in panel.exposure.text()
    assert is_loopback("::1") and is_loopback("127.0.0.5") and not is_loopback("0.0.0.0")


def raw_fetch(port: int, name: str, ending: bytes = b"\r\n") -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as sock:
        sock.sendall(name.encode() + ending)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_classic_raw_dialect_can_be_switched_off_while_serving(
    qtbot: QtBot, panel: FileServerPanel, files: dict[str, bytes]
) -> None:
    path = next(iter(files))
    panel.add_paths([path])
    port = start(qtbot, panel)
    assert raw_fetch(port, CHINESE) == files[path]
    qtbot.waitUntil(lambda: panel.transfers.model.finished == 1, timeout=TIMEOUT)
    assert panel.transfers.model.dialect_text(panel.transfers.model.rows()[0]) == "raw"
    panel.raw_check.setChecked(False)
    # Now it is only HTTP, which reads a bare name as a broken request head.
    assert raw_fetch(port, CHINESE, b"\r\n\r\n").startswith(b"HTTP/1.1 400")
    stop(qtbot, panel)


def test_a_port_in_use_is_reported(qtbot: QtBot, panel: FileServerPanel) -> None:
    with socket.create_server(("127.0.0.1", 0)) as busy:
        panel.bind.set_address("127.0.0.1")
        panel.port.set_text(str(busy.getsockname()[1]))
        with qtbot.waitSignal(panel.runner.finished, timeout=TIMEOUT):
            panel.trigger_start()
    assert panel.status.kind == "error"
    assert "in use" in panel.status.text()
    assert panel.start_button.isEnabled()


def test_one_gibibyte_to_curl_keeps_the_gui_responsive(
    qtbot: QtBot, panel: FileServerPanel, tmp_path: Path
) -> None:
    big = tmp_path / "big.img"
    with open(big, "wb") as handle:
        handle.truncate(1024**3)  # sparse: reads as zeros, costs no disk
    panel.add_paths([str(big)])
    port = start(qtbot, panel)
    ticks = []
    probe = QTimer()
    probe.setInterval(20)
    probe.timeout.connect(lambda: ticks.append(1))
    probe.start()
    curl = subprocess.Popen(
        ["curl", "-sS", "-f", "-o", os.devnull, f"http://127.0.0.1:{port}/big.img"],
        stderr=subprocess.PIPE,
    )
    try:
        qtbot.waitUntil(lambda: curl.poll() is not None, timeout=TIMEOUT * 6)
    finally:
        if curl.poll() is None:
            curl.kill()
        _, stderr = curl.communicate(timeout=WAIT)
        probe.stop()
    assert curl.returncode == 0, stderr
    assert len(ticks) > 5
    model = panel.transfers.model
    qtbot.waitUntil(lambda: model.finished == 1, timeout=TIMEOUT)
    assert model.rows()[0].done == 1024**3
    assert model.bytes_sent == 1024**3
    stop(qtbot, panel)


def test_transfers_model_applies_a_batch_in_one_insert_and_one_change(qtbot: QtBot) -> None:
    model = TransfersModel(limit=3)
    inserts: list[tuple[int, int]] = []
    changes: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _p, first, last: inserts.append((first, last)))
    model.dataChanged.connect(lambda a, b: changes.append((a.row(), b.row())))
    model.apply(
        [
            TransferStarted(100.0, 1, "127.0.0.1:5000", "a.txt", "http", 0, 1000),
            TransferStarted(100.0, 2, "127.0.0.1:5001", "b.txt", "raw", 0, 2000),
            TransferProgress(100.5, 1, 500, 1000),
            TransferStarted(100.0, 3, "[::1]:5002", "c.txt", "https", 100, 900),
        ]
    )
    assert inserts == [(0, 2)] and changes == []
    assert model.rows()[0].done == 500
    model.apply(
        [
            TransferFinished(101.0, 1, 1000),
            TransferFailed(101.0, 2, 300, "127.0.0.1:5001 reset the connection"),
            TransferFailed(101.0, 3, 50, "the server was stopped", cancelled=True),
        ]
    )
    assert inserts == [(0, 2)] and changes == [(0, 2)]
    texts = [model.data(model.index(row, TransfersModel.STATUS)) for row in range(3)]
    assert texts == ["done", "failed: 127.0.0.1:5001 reset the connection", "cancelled"]
    assert model.data(model.index(0, TransfersModel.SPEED)) == "1,000 B/s"
    assert model.data(model.index(2, TransfersModel.DIALECT)) == "HTTPS"
    assert (model.finished, model.failed, model.bytes_sent) == (1, 1, 1350)
    # Over the limit: the oldest finished row leaves to make room.
    model.apply([TransferStarted(102.0, 4, "127.0.0.1:5003", "d.txt", "http", 0, 10)])
    assert [row.name for row in model.rows()] == ["b.txt", "c.txt", "d.txt"]
    model.apply([TransferProgress(102.1, 1, 5, 10)])  # a row that left: ignored
    model.apply([TransferFinished(102.01, 4, 10)])  # too short to tell a speed
    assert model.data(model.index(2, TransfersModel.SPEED)) == ""
    model.apply([TransferStarted(103.0, 5, "127.0.0.1:5004", "e.txt", "http", 0, 10)])
    model.clear_finished()
    assert [row.name for row in model.rows()] == ["e.txt"]
    assert model.rowCount(QModelIndex()) == 1


def test_units() -> None:
    assert format_speed(0) == "0 B/s"
    assert format_speed(1536 * 1024) == "1.5 MiB/s"
    assert format_speed(float("nan")) == "0 B/s"
    assert format_eta(None) == ""
    assert format_eta(0.2) == "1 s"
    assert format_eta(125) == "2 min 05 s"
    assert format_eta(3725) == "1 h 02 min"
    assert format_eta(float("inf")) == ""
    assert format_progress(5 * 1024**2, 1024**3) == "5.0 MiB of 1.0 GiB"
    assert format_progress(12, None) == "12 B"


# ---- honest state: failed requests, files gone from disk, the list after a restart (15.8) -------


def test_unknown_names_count_as_failed_transfers(
    qtbot: QtBot, panel: FileServerPanel, files: dict[str, bytes]
) -> None:
    panel.add_paths(list(files)[2:])
    port = start(qtbot, panel)
    assert http_get(port, "no such file.txt")[0] == 404
    for name in (b"nothing.bin", "报告.txt".encode("gbk")):  # the second as a Chinese Windows sends
        with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as sock:
            sock.sendall(name)
            assert sock.recv(1) == b""
    model = panel.transfers.model
    qtbot.waitUntil(lambda: model.failed == 3, timeout=TIMEOUT)
    shown = [model.data(model.index(row, TransfersModel.FILE)) for row in range(model.rowCount())]
    assert shown == ["no such file.txt", "nothing.bin", "报告.txt"]
    assert "3 failed" in panel.transfers.summary.text()
    stop(qtbot, panel)


def test_a_file_moved_away_shows_as_missing(
    qtbot: QtBot, panel: FileServerPanel, files: dict[str, bytes], tmp_path: Path
) -> None:
    path = Path(list(files)[2])
    panel.add_paths([str(path)])
    model = panel.share_list.model
    assert model.missing() == []
    path.rename(tmp_path / "elsewhere.bin")
    # The list looks by itself every few seconds.
    qtbot.waitUntil(lambda: model.missing() == ["data 100%.bin"], timeout=TIMEOUT)
    assert cell(model, 0, ShareListModel.SHA256) == "missing"
    assert "no longer there" in str(
        cell(model, 0, ShareListModel.NAME, Qt.ItemDataRole.ToolTipRole)
    )
    assert "1 missing" in panel.share_list.summary.text()
    (tmp_path / "elsewhere.bin").rename(path)
    assert panel.share_list.check_missing() == []
    assert "missing" not in panel.share_list.summary.text()


def test_the_share_list_survives_a_restart(
    qtbot: QtBot, files: dict[str, bytes], settings: QSettings
) -> None:
    first = MainWindow(settings)
    qtbot.addWidget(first)
    panel = first.panel("fileServerPanel")
    assert isinstance(panel, FileServerPanel)
    panel.add_paths(list(files))
    names = panel.share_list.names()
    assert names == [CHINESE, "季度 报告 v2 (2).txt", "data 100%.bin"]
    first.close()
    gone = list(files)[1]
    os.remove(gone)

    second = MainWindow(QSettings(settings.fileName(), QSettings.Format.IniFormat))
    qtbot.addWidget(second)
    restored = second.panel("fileServerPanel")
    assert isinstance(restored, FileServerPanel)
    assert restored.share_list.names() == [CHINESE, "data 100%.bin"]
    assert restored.status.kind == "warning"
    assert gone in restored.status.text() and "gone" in restored.status.text()
    second.close()


def test_a_folder_is_walked_off_the_gui_thread_and_remembered_as_a_folder(
    qtbot: QtBot, tmp_path: Path, settings: QSettings
) -> None:
    """Issue 20: adding a folder returns at once (the walk runs on a worker thread, the summary
    says which folder is being read); the folder, not each of its files, survives a restart."""
    folder = tmp_path / "logs"
    for day in range(3):
        (folder / f"day {day}").mkdir(parents=True)
        for hour in range(5):
            (folder / f"day {day}" / f"{hour:02d}.log").write_text(f"{day} {hour}\n")
    first = MainWindow(settings)
    qtbot.addWidget(first)
    panel = first.panel("fileServerPanel")
    assert isinstance(panel, FileServerPanel)
    with qtbot.waitSignal(panel.share_list.paths_added, timeout=TIMEOUT) as added:
        result = panel.add_paths([str(folder)])
        # Nothing is taken over on the GUI thread before its timer runs: still being read.
        assert not result.done and panel.share_list.walking() == [str(folder)]
        assert panel.share_list.summary.text().startswith("Reading logs")
    assert added.args[0] is result and result.done and len(result.added) == 15
    assert "logs/day 2/04.log" in panel.share_list.names()
    assert panel.share_list.paths() == [str(folder)]
    # The list is a tree: the folder at the top, its folders below it, their files below them.
    model = panel.share_list.model
    top = model.index(0, ShareListModel.NAME)
    assert model.rowCount() == 1 and model.data(top) == "logs/"
    assert model.data(model.index(0, ShareListModel.SIZE)) == format_bytes(15 * len("0 0\n"))
    assert model.rowCount(top) == 3
    day = model.index(2, ShareListModel.NAME, top)
    assert model.data(day) == "day 2/" and model.rowCount(day) == 5
    hour = model.index(4, ShareListModel.NAME, day)
    assert model.data(hour) == "04.log"
    assert model.data(hour, Qt.ItemDataRole.UserRole) == "logs/day 2/04.log"
    # A file inside a shared folder cannot be removed alone (the next walk would bring it back).
    panel.share_list.view.setCurrentIndex(hour)
    assert not panel.share_list.remove_button.isEnabled()
    panel.share_list.view.selectRow(0)
    assert panel.share_list.selected_names() == ["logs"]
    first.close()

    second = MainWindow(QSettings(settings.fileName(), QSettings.Format.IniFormat))
    qtbot.addWidget(second)
    restored = second.panel("fileServerPanel")
    assert isinstance(restored, FileServerPanel)
    assert restored.share_list.wait_walks(WAIT)
    assert sorted(restored.share_list.names()) == sorted(panel.share_list.names())
    second.close()


def test_removing_a_shared_folder_removes_its_tree(
    qtbot: QtBot, panel: FileServerPanel, tmp_path: Path
) -> None:
    folder = tmp_path / "docs"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("a")
    (folder / "sub" / "b.txt").write_text("b")
    (tmp_path / "alone.txt").write_text("alone")
    with qtbot.waitSignal(panel.share_list.paths_added, timeout=TIMEOUT):
        panel.add_paths([str(tmp_path / "alone.txt"), str(folder)])
    assert panel.share_list.names() == ["alone.txt", "docs/a.txt", "docs/sub/b.txt"]
    panel.share_list.view.selectRow(1)
    qtbot.mouseClick(panel.share_list.remove_button, Qt.MouseButton.LeftButton)
    assert panel.share_list.names() == ["alone.txt"]
    assert panel.share_list.share.folder("docs") is None


def test_an_open_folder_stays_open_when_files_come_and_checksums_arrive(
    qtbot: QtBot, panel: FileServerPanel, tmp_path: Path
) -> None:
    folder = tmp_path / "docs"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "a.txt").write_text("a")
    with qtbot.waitSignal(panel.share_list.paths_added, timeout=TIMEOUT):
        panel.add_paths([str(folder)])
    share_list = panel.share_list
    share_list.view.setExpanded(share_list.model.index_of("docs"), True)
    share_list.view.setExpanded(share_list.model.index_of("docs/sub"), True)
    (folder / "sub" / "b.txt").write_text("b")
    share_list.share.rescan("docs", max_age=0)  # what the server does when the list is asked for
    qtbot.waitUntil(lambda: "docs/sub/b.txt" in share_list.names(), timeout=TIMEOUT)
    qtbot.waitUntil(lambda: share_list.model.pending() == 0, timeout=TIMEOUT)
    assert share_list.view.isExpanded(share_list.model.index_of("docs"))
    assert share_list.view.isExpanded(share_list.model.index_of("docs/sub"))


def test_uploads_and_a_password_from_the_panel(
    qtbot: QtBot, panel: FileServerPanel, tmp_path: Path
) -> None:
    """The upload box and folder and the password field reach the server: without the password
    401, with it a PUT lands in the folder; the fields are locked while serving."""
    import base64

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shared = tmp_path / "shared.txt"
    shared.write_bytes(b"shared")
    panel.share_list.share.add(shared)
    assert not panel.upload_folder.isEnabled()
    panel.upload_check.setChecked(True)
    assert panel.upload_folder.isEnabled()
    panel.upload_folder.setText(str(inbox))
    panel.password_field.setText("pass 口令")
    port = start(qtbot, panel)
    assert not panel.password_field.isEnabled() and not panel.upload_check.isEnabled()
    assert http_get(port, "shared.txt")[0] == 401
    token = base64.b64encode(":pass 口令".encode()).decode()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
    try:
        connection.request(
            "PUT", "/sent.txt", body=b"from the test", headers={"Authorization": "Basic " + token}
        )
        assert connection.getresponse().status == 201
    finally:
        connection.close()
    assert (inbox / "sent.txt").read_bytes() == b"from the test"
    model = panel.transfers.model
    qtbot.waitUntil(lambda: model.finished == 1, timeout=TIMEOUT)
    files = [model.index(r, TransfersModel.FILE).data() for r in range(model.rowCount())]
    uploads = [r for r, name in enumerate(files) if name == "sent.txt"]
    assert len(uploads) == 1
    assert model.index(uploads[0], TransfersModel.DIALECT).data() == "HTTP upload"
    stop(qtbot, panel)
    assert panel.password_field.isEnabled() and panel.upload_folder.isEnabled()


def test_a_missing_upload_folder_is_reported(panel: FileServerPanel, tmp_path: Path) -> None:
    panel.upload_check.setChecked(True)
    panel.upload_folder.setText(str(tmp_path / "nowhere"))
    panel.trigger_start()
    assert panel.server is None and panel.start_button.isEnabled()


def test_a_folder_of_100000_files_is_counted_while_it_is_read(
    qtbot: QtBot, panel: FileServerPanel
) -> None:
    """Issue 20: the walk of a big folder (100,000 empty files on tmpfs) leaves the window
    working, and the summary counts the files found so far until the folder is in the list."""
    base = Path("/dev/shm") if Path("/dev/shm").is_dir() else None
    top = Path(tempfile.mkdtemp(prefix="swb-big-gui-", dir=base))
    try:
        folder = top / "many"
        folder.mkdir()
        for i in range(100_000):
            os.close(os.open(folder / f"{i:06d}.txt", os.O_CREAT | os.O_WRONLY, 0o644))
        seen: list[str] = []
        ticks: list[int] = []
        timer = QTimer()
        timer.timeout.connect(
            lambda: (ticks.append(1), seen.append(panel.share_list.summary.text()))
        )
        timer.start(20)
        with qtbot.waitSignal(panel.share_list.paths_added, timeout=60_000) as added:
            result = panel.add_paths([str(folder)])
            assert not result.done
        timer.stop()
        counted = [t for t in seen if t.startswith("Reading many…") and "files found" in t]
        assert counted, seen[:5]
        assert len(ticks) > 5  # the GUI thread's timers ran while the folder was read
        assert len(added.args[0].added) == 100_000
        assert panel.share_list.model.file_count() == 100_000
    finally:
        panel.share_list.close_share()
        shutil.rmtree(top)
