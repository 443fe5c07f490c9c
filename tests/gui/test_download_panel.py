"""Download panel: list a share, download verified, cancel and resume, errors, history; and the
file server panel and the download panel talking to each other."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import socket
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt, QUrl
from pytestqt.qtbot import QtBot

from gui.panels.download import DownloadPanel, normalize_share_url
from gui.panels.file_server import FileServerPanel
from gui.panels.remote_files import RemoteFilesModel
from net.download.resume import ResumeState
from net.errors import AddressError
from net.fileserver import FileServer
from net.share import ShareTable
from tests.conftest import WAIT
from tests.gui.conftest import free_port
from tests.net.test_download_hostile import endless, hostile

TIMEOUT = int(WAIT * 1000)
CHINESE = "季度 报告 v2.txt"


class Share:
    """The engine's file server on 127.0.0.1, on a plain thread (joined by the fixture)."""

    def __init__(self) -> None:
        self.table = ShareTable()
        self.server = FileServer(self.table, "127.0.0.1", 0)
        self.port = self.server.port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def add(self, path: Path) -> str:
        name = self.table.add(path)
        assert self.table.wait_hashed(WAIT)
        return name

    def url(self, name: str = "") -> str:
        return f"http://127.0.0.1:{self.port}/" + urllib.parse.quote(name)

    def close(self) -> None:
        self.server.shutdown()
        self.thread.join(WAIT)
        self.server.close()
        self.table.close()
        assert not self.thread.is_alive()


@pytest.fixture
def share() -> Iterator[Share]:
    server = Share()
    yield server
    server.close()


@pytest.fixture
def panel(qtbot: QtBot) -> DownloadPanel:
    widget = DownloadPanel()
    qtbot.addWidget(widget)
    widget.show()
    return widget


@pytest.fixture
def downloads(tmp_path: Path) -> Path:
    folder = tmp_path / "downloads"
    folder.mkdir()
    return folder


def download(qtbot: QtBot, panel: DownloadPanel, url: str, folder: Path) -> None:
    panel.url_edit.setText(url)
    panel.folder_edit.setText(str(folder))
    with qtbot.waitSignal(panel.runner.finished, timeout=TIMEOUT):
        qtbot.mouseClick(panel.download_button, Qt.MouseButton.LeftButton)
    assert panel.download_button.isEnabled()
    assert not panel.cancel_button.isEnabled()


def test_list_pick_and_download_verified(
    qtbot: QtBot, panel: DownloadPanel, share: Share, tmp_path: Path, downloads: Path
) -> None:
    data = "第一季度：收入增长 12%\n".encode() * 5000
    (tmp_path / CHINESE).write_bytes(data)
    (tmp_path / "other.bin").write_bytes(b"x" * 10)
    share.add(tmp_path / CHINESE)
    share.add(tmp_path / "other.bin")

    panel.url_edit.setText(f"127.0.0.1:{share.port}")  # host:port is enough
    with qtbot.waitSignal(panel.list_runner.finished, timeout=TIMEOUT):
        qtbot.mouseClick(panel.list_button, Qt.MouseButton.LeftButton)
    model = panel.remote.model()
    assert model.rowCount() == 2
    assert model.index(0, DownloadPanel.NAME).data() == CHINESE
    digest = hashlib.sha256(data).hexdigest()
    assert model.index(0, DownloadPanel.SHA).data(Qt.ItemDataRole.ToolTipRole) == digest
    assert "2 files on the server" in panel.status.text()

    panel.folder_edit.setText(str(downloads))
    with qtbot.waitSignal(panel.runner.finished, timeout=TIMEOUT):
        panel.remote.doubleClicked.emit(model.index(0, 0))
    assert panel.url_edit.text() == share.url(CHINESE)
    assert (downloads / CHINESE).read_bytes() == data
    assert os.listdir(downloads) == [CHINESE]
    assert panel.verified_label.text() == "✓ SHA-256 verified"
    assert panel.sha_label.text() == digest
    assert panel.progress_bar.value() == panel.progress_bar.maximum()
    assert panel.status.kind == "info" and "Saved" in panel.status.text()

    assert panel.history_table.rowCount() == 1
    assert panel.history_table.item(0, DownloadPanel.H_NAME).text() == CHINESE
    assert panel.history_table.item(0, DownloadPanel.H_VERIFIED).text() == "✓ verified"
    assert panel.history_table.item(0, DownloadPanel.H_SHA).toolTip() == digest
    opened: list[QUrl] = []
    panel.open_url = opened.append
    panel.history_table.selectRow(0)
    qtbot.mouseClick(panel.open_button, Qt.MouseButton.LeftButton)
    assert opened == [QUrl.fromLocalFile(str(downloads))]


def test_cancel_leaves_only_the_part_and_resume_completes_it(
    qtbot: QtBot, panel: DownloadPanel, share: Share, tmp_path: Path, downloads: Path
) -> None:
    data = os.urandom(24 * 1024 * 1024)
    (tmp_path / "big file.bin").write_bytes(data)
    share.add(tmp_path / "big file.bin")
    share.server.rate_limit = 4 * 1024 * 1024  # slow enough to cancel in the middle
    panel.url_edit.setText(share.url("big file.bin"))
    panel.folder_edit.setText(str(downloads))
    qtbot.mouseClick(panel.download_button, Qt.MouseButton.LeftButton)
    assert panel.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: panel.progress_bar.value() > 0, timeout=TIMEOUT)
    assert "left" in panel.progress_label.text()
    with qtbot.waitSignal(panel.runner.finished, timeout=TIMEOUT):
        qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    assert sorted(os.listdir(downloads)) == ["big file.bin.part", "big file.bin.part.resume"]
    part = downloads / "big file.bin.part"
    assert 0 < part.stat().st_size < len(data)
    assert panel.status.kind == "warning"
    assert "cancelled" in panel.status.text()
    assert panel.resume_button.isEnabled()

    share.server.rate_limit = None
    with qtbot.waitSignal(panel.runner.finished, timeout=TIMEOUT):
        qtbot.mouseClick(panel.resume_button, Qt.MouseButton.LeftButton)
    assert os.listdir(downloads) == ["big file.bin"]
    assert hashlib.sha256((downloads / "big file.bin").read_bytes()).digest() == (
        hashlib.sha256(data).digest()
    )
    assert "resumed after" in panel.status.text()
    assert panel.verified_label.text() == "✓ SHA-256 verified"
    assert not panel.resume_button.isEnabled()


def test_a_closed_port_is_a_clear_message(
    qtbot: QtBot, panel: DownloadPanel, downloads: Path
) -> None:
    port = free_port(socket.SOCK_STREAM)
    download(qtbot, panel, f"http://127.0.0.1:{port}/report.pdf", downloads)
    assert panel.status.kind == "error"
    assert "refused" in panel.status.text()
    assert os.listdir(downloads) == []
    panel.url_edit.setText(f"127.0.0.1:{port}")
    with qtbot.waitSignal(panel.list_runner.finished, timeout=TIMEOUT):
        qtbot.mouseClick(panel.list_button, Qt.MouseButton.LeftButton)
    assert panel.status.kind == "error"
    assert "refused" in panel.status.text()


def test_a_server_that_is_not_a_share_is_a_clear_message(
    qtbot: QtBot, panel: DownloadPanel
) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    answered = threading.Event()

    def answer() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.settimeout(WAIT)
            conn.recv(65536)
            conn.sendall(b"220 mail.example.com ESMTP ready\r\n")
        answered.set()

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    try:
        panel.url_edit.setText(f"http://127.0.0.1:{listener.getsockname()[1]}/")
        with qtbot.waitSignal(panel.list_runner.finished, timeout=TIMEOUT):
            qtbot.mouseClick(panel.list_button, Qt.MouseButton.LeftButton)
    finally:
        thread.join(WAIT)
        listener.close()
    assert answered.is_set()
    assert panel.status.kind == "error"
    assert "HTTP" in panel.status.text() or "file list" in panel.status.text()


def test_a_missing_file_is_a_clear_message(
    qtbot: QtBot, panel: DownloadPanel, share: Share, downloads: Path
) -> None:
    download(qtbot, panel, share.url("no such file.txt"), downloads)
    assert panel.status.kind == "error"
    assert "has no file named 'no such file.txt'" in panel.status.text()
    assert "404" in panel.status.text()
    assert os.listdir(downloads) == []
    assert panel.history_table.rowCount() == 0


def test_a_file_that_does_not_match_its_checksum_is_deleted(
    qtbot: QtBot, panel: DownloadPanel, downloads: Path
) -> None:
    wrong = base64.b64encode(hashlib.sha256(b"other").digest()).decode()
    reply = (
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n"
        f"Repr-Digest: sha-256=:{wrong}:\r\n\r\nhello"
    ).encode()
    listener = socket.create_server(("127.0.0.1", 0))

    def answer() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.settimeout(WAIT)
            conn.recv(65536)
            conn.sendall(reply)

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    try:
        download(qtbot, panel, f"http://127.0.0.1:{listener.getsockname()[1]}/a.txt", downloads)
    finally:
        thread.join(WAIT)
        listener.close()
    assert panel.status.kind == "error"
    assert "does not match the SHA-256 checksum" in panel.status.text()
    assert os.listdir(downloads) == []
    assert panel.verified_label.text() == ""


def test_bad_input_starts_nothing(panel: DownloadPanel, share: Share, tmp_path: Path) -> None:
    panel.url_edit.setText("ftp://example.com/x")
    panel.start_download()
    assert not panel.runner.running
    assert panel.status.kind == "error" and "URLs are not supported" in panel.status.text()
    panel.url_edit.setText(share.url())  # names no file
    panel.start_download()
    assert not panel.runner.running
    assert "names no file" in panel.status.text()
    panel.url_edit.setText(share.url("x.txt"))
    panel.folder_edit.setText(str(tmp_path / "nowhere"))
    panel.start_download()
    assert not panel.runner.running
    assert "does not exist" in panel.status.text()


def test_classic_raw_download_says_it_is_not_verified(
    qtbot: QtBot, panel: DownloadPanel, share: Share, tmp_path: Path, downloads: Path
) -> None:
    data = b"classic bytes\n" * 1000
    (tmp_path / "plain.txt").write_bytes(data)
    share.add(tmp_path / "plain.txt")
    panel.raw_check.setChecked(True)
    download(qtbot, panel, f"127.0.0.1:{share.port}/plain.txt", downloads)  # becomes raw://
    assert (downloads / "plain.txt").read_bytes() == data
    assert panel.verified_label.text() == (
        "Not verified: the classic raw protocol carries no checksum"
    )
    assert panel.sha_label.text() == hashlib.sha256(data).hexdigest()
    assert panel.history_table.item(0, DownloadPanel.H_VERIFIED).text() == "not verified"


def test_history_is_remembered(
    qtbot: QtBot,
    panel: DownloadPanel,
    share: Share,
    tmp_path: Path,
    downloads: Path,
    settings: QSettings,
) -> None:
    (tmp_path / "a.txt").write_bytes(b"a")
    share.add(tmp_path / "a.txt")
    download(qtbot, panel, share.url("a.txt"), downloads)
    panel.save_settings(settings)
    again = DownloadPanel()
    qtbot.addWidget(again)
    again.restore_settings(settings)
    assert again.history_table.rowCount() == 1
    assert again.history[0]["path"] == str(downloads / "a.txt")
    assert again.folder_edit.text() == str(downloads)
    again.clear_history()
    assert again.history_table.rowCount() == 0


def test_normalize_share_url() -> None:
    assert normalize_share_url(" 192.168.1.5:8000 ") == "http://192.168.1.5:8000"
    assert normalize_share_url("192.168.1.5:8000/a b", raw=True) == "raw://192.168.1.5:8000/a b"
    assert normalize_share_url("https://[::1]:8443/") == "https://[::1]:8443/"
    with pytest.raises(AddressError):
        normalize_share_url("")


def test_file_server_panel_to_download_panel(qtbot: QtBot, tmp_path: Path, downloads: Path) -> None:
    """The two panels together: drop-shared by one, fetched and verified by the other."""
    server = FileServerPanel()
    qtbot.addWidget(server)
    client = DownloadPanel()
    qtbot.addWidget(client)
    try:
        data = os.urandom(2 * 1024 * 1024)
        (tmp_path / CHINESE).write_bytes(data)
        server.add_paths([str(tmp_path / CHINESE)])
        qtbot.waitUntil(lambda: server.share_list.model.pending() == 0, timeout=TIMEOUT)
        server.bind.set_address("127.0.0.1")
        server.port.set_text("0")
        server.trigger_start()
        qtbot.waitUntil(lambda: server.server is not None, timeout=TIMEOUT)
        links = server.copy_file_links()
        download(qtbot, client, links[0], downloads)
        assert (downloads / CHINESE).read_bytes() == data
        assert client.verified_label.text() == "✓ SHA-256 verified"
        model = server.transfers.model
        qtbot.waitUntil(lambda: model.finished == 1, timeout=TIMEOUT)
        row = model.rows()[0]
        assert (row.name, row.done, model.state_text(row)) == (CHINESE, len(data), "done")
        with qtbot.waitSignal(server.runner.finished, timeout=TIMEOUT):
            server.trigger_stop()
    finally:
        server.stop_workers()


def test_a_part_left_before_a_restart_is_resumed(
    qtbot: QtBot, panel: DownloadPanel, share: Share, tmp_path: Path, downloads: Path
) -> None:
    """15.7: a fresh panel (as after closing the app) offers Resume for a .part with its state."""
    data = os.urandom(300_000)
    (tmp_path / "report.bin").write_bytes(data)
    share.add(tmp_path / "report.bin")
    url = share.url("report.bin")
    etag = http_etag(share.port, "/report.bin")
    part = downloads / "report.bin.part"
    part.write_bytes(data[:100_000])
    ResumeState(part, url).remember(etag, len(data))
    assert not panel.resume_button.isEnabled()
    panel.folder_edit.setText(str(downloads))
    qtbot.keyClicks(panel.url_edit, url)
    assert panel.resume_button.isEnabled()
    with qtbot.waitSignal(panel.runner.finished, timeout=TIMEOUT):
        qtbot.mouseClick(panel.resume_button, Qt.MouseButton.LeftButton)
    assert os.listdir(downloads) == ["report.bin"]
    assert (downloads / "report.bin").read_bytes() == data
    assert "resumed after 100000 bytes" in panel.status.text()
    assert not panel.resume_button.isEnabled()


def http_etag(port: int, target: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
    try:
        conn.request("HEAD", target)
        etag = conn.getresponse().getheader("ETag")
    finally:
        conn.close()
    assert etag
    return etag


def test_the_url_field_takes_raw_over_tls(
    qtbot: QtBot, panel: DownloadPanel, downloads: Path
) -> None:
    """The panel takes raw+tls:// as `swb get` does: classic raw inside TLS."""
    assert normalize_share_url("raw+tls://127.0.0.1:9000/a.bin") == "raw+tls://127.0.0.1:9000/a.bin"
    port = free_port()
    panel.security.set_mode("insecure")
    download(qtbot, panel, f"raw+tls://127.0.0.1:{port}/a.bin", downloads)
    assert panel.download is not None
    assert panel.download.raw and panel.download.uses_tls
    assert panel.status.text().startswith(f"Connection refused by 127.0.0.1:{port}")


def test_a_list_of_100000_files_fills_a_model_not_widgets(
    qtbot: QtBot, panel: DownloadPanel
) -> None:
    """12.6: the rows are formatted on demand by a model (the parse runs on the worker)."""
    items = [{"name": f"f{i}.bin", "size": i, "mtime": 0, "sha256": None} for i in range(100_000)]
    body = json.dumps(items).encode()
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]

        def serve() -> None:
            conn, _ = listener.accept()
            with conn:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        panel.url_edit.setText(f"127.0.0.1:{port}")
        with qtbot.waitSignal(panel.list_runner.finished, timeout=TIMEOUT):
            qtbot.mouseClick(panel.list_button, Qt.MouseButton.LeftButton)
        thread.join(WAIT)
    model = panel.remote.model()
    assert isinstance(model, RemoteFilesModel) and model.rowCount() == 100_000
    assert model.index(99_999, DownloadPanel.NAME).data() == "f99999.bin"
    assert "100,000 files on the server" in panel.status.text()


def test_cancel_stops_a_server_that_never_stops_sending(
    qtbot: QtBot, panel: DownloadPanel, downloads: Path
) -> None:
    """12.4: Cancel works while data keeps coming (the loop reads the stop flag every step)."""
    with hostile(endless(b"HTTP/1.0 200 OK\r\n\r\n", b"x" * 65536)) as s:
        panel.url_edit.setText(f"http://127.0.0.1:{s.port}/f.bin")
        panel.folder_edit.setText(str(downloads))
        qtbot.mouseClick(panel.download_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: (downloads / "f.bin.part").exists(), timeout=TIMEOUT)
        with qtbot.waitSignal(panel.runner.finished, timeout=TIMEOUT):
            qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    assert panel.status.kind == "warning"
    assert panel.status.text().startswith("The download was cancelled")
    assert not (downloads / "f.bin").exists()


def test_cancel_stops_listing_a_silent_server(qtbot: QtBot, panel: DownloadPanel) -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never answers
        panel.url_edit.setText(f"127.0.0.1:{silent.getsockname()[1]}")
        qtbot.mouseClick(panel.list_button, Qt.MouseButton.LeftButton)
        assert panel.cancel_button.isEnabled()
        with qtbot.waitSignal(panel.list_runner.finished, timeout=TIMEOUT):
            qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    assert panel.status.kind == "warning"
    assert panel.status.text() == "Listing the files was cancelled"
    assert panel.list_button.isEnabled()


def test_a_401_asks_for_the_password_and_tries_again(
    qtbot: QtBot, panel: DownloadPanel, tmp_path: Path, downloads: Path
) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QInputDialog

    from tests.net.test_fileserver import running

    (tmp_path / "locked.txt").write_bytes(b"behind a password")
    asked: list[str] = []

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QInputDialog):
            QTimer.singleShot(20, answer)
            return
        asked.append(dialog.labelText())
        dialog.setTextValue("open sesame")
        dialog.accept()

    with ShareTable() as table:
        table.add(tmp_path / "locked.txt")
        server = FileServer(table, "127.0.0.1", 0, password="open sesame")
        with server, running(server):
            QTimer.singleShot(0, answer)
            panel.url_edit.setText(f"http://127.0.0.1:{server.port}/locked.txt")
            panel.folder_edit.setText(str(downloads))
            qtbot.mouseClick(panel.download_button, Qt.MouseButton.LeftButton)
            qtbot.waitUntil(lambda: bool(asked), timeout=TIMEOUT)
            qtbot.waitUntil(lambda: (downloads / "locked.txt").exists(), timeout=TIMEOUT)
            qtbot.waitUntil(lambda: panel.download_button.isEnabled(), timeout=TIMEOUT)
    assert asked and "needs a password" in asked[0]
    assert (downloads / "locked.txt").read_bytes() == b"behind a password"
    assert panel.verified_label.text() == "✓ SHA-256 verified"
