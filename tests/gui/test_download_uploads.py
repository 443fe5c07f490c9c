"""Issue 21 in the Download panel: files dropped on it (or picked with Upload files…) go to the
share in the URL field as ``swb put`` sends them (resumed, digest checked by the server), the
password is asked on 401 and passed to lists, uploads and downloads, and a password in an
http:// URL (or in the file server panel) shows a warning that it travels in clear."""

from __future__ import annotations

import hashlib
import http.client
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from gui.panels.download import DownloadPanel
from gui.panels.file_server import FileServerPanel
from net._i18n import set_language as set_net_language
from net.fileserver import FileServer
from net.share import ShareTable
from tests.conftest import WAIT
from tests.gui.test_file_server_panel import drop_on
from tests.net.test_fileserver import running

TIMEOUT = int(WAIT * 1000)


@contextmanager
def upload_server(folder: Path, **options: object) -> Iterator[FileServer]:
    with ShareTable() as share:
        server = FileServer(share, "127.0.0.1", 0, upload_dir=folder, **options)  # type: ignore[arg-type]
        with server, running(server):
            yield server


@pytest.fixture
def panel(qtbot: QtBot) -> DownloadPanel:
    widget = DownloadPanel()
    qtbot.addWidget(widget)
    widget.show()
    return widget


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


def make_file(tmp_path: Path, name: str, size: int) -> Path:
    path = tmp_path / name
    path.write_bytes(os.urandom(size))
    return path


def test_dropped_files_are_uploaded_and_verified(
    qtbot: QtBot, panel: DownloadPanel, inbox: Path, tmp_path: Path
) -> None:
    first = make_file(tmp_path, "report 1.bin", 300_000)
    second = make_file(tmp_path, "报告.txt", 10)
    with upload_server(inbox) as server:
        panel.url_edit.setText(f"http://127.0.0.1:{server.port}/")
        with qtbot.waitSignal(panel.upload_runner.finished, timeout=TIMEOUT):
            drop_on(panel, [str(first), str(second)])
    assert (inbox / "report 1.bin").read_bytes() == first.read_bytes()
    assert (inbox / "报告.txt").read_bytes() == second.read_bytes()
    assert [entry["name"] for entry in panel.history] == ["报告.txt", "report 1.bin"]
    sent = panel.history[1]
    assert sent["sha256"] == hashlib.sha256(first.read_bytes()).hexdigest()
    assert panel.history_table.item(1, 3).text() == "✓ sent"
    assert "the server verified its SHA-256" in panel.status.text()
    assert panel.progress_bar.value() == 1000


def test_an_interrupted_upload_is_resumed(
    qtbot: QtBot, panel: DownloadPanel, inbox: Path, tmp_path: Path
) -> None:
    """The server holds the first half from an upload that broke off; the panel sends the rest
    (PATCH from the server's offset), and the whole file arrives byte-exact."""
    data = os.urandom(200_000)
    source = tmp_path / "half.bin"
    source.write_bytes(data)
    with upload_server(inbox) as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=WAIT)
        conn.request(
            "PUT",
            "/half.bin",
            body=data[:80_000],
            headers={"Upload-Complete": "?0", "Upload-Draft-Interop-Version": "6"},
        )
        assert conn.getresponse().status in (201, 204)
        conn.close()
        assert (inbox / ".half.bin.part").stat().st_size == 80_000
        panel.url_edit.setText(f"http://127.0.0.1:{server.port}/")
        with qtbot.waitSignal(panel.upload_runner.finished, timeout=TIMEOUT):
            panel.upload_files([str(source)])
    assert sorted(os.listdir(inbox)) == ["half.bin"]
    assert (inbox / "half.bin").read_bytes() == data
    assert panel.history[0]["sha256"] == hashlib.sha256(data).hexdigest()


def test_a_refused_upload_says_why(
    qtbot: QtBot, panel: DownloadPanel, inbox: Path, tmp_path: Path
) -> None:
    (inbox / "taken.txt").write_bytes(b"old")
    source = tmp_path / "taken.txt"
    source.write_bytes(b"new")
    with upload_server(inbox) as server:
        panel.url_edit.setText(f"http://127.0.0.1:{server.port}/")
        with qtbot.waitSignal(panel.upload_runner.finished, timeout=TIMEOUT):
            panel.upload_files([str(source)])
    assert panel.status.kind == "error"
    assert "409" in panel.status.text() and "taken.txt" in panel.status.text()
    assert (inbox / "taken.txt").read_bytes() == b"old"


def test_a_refused_file_does_not_stop_the_others(
    qtbot: QtBot, panel: DownloadPanel, inbox: Path, tmp_path: Path
) -> None:
    """Issue: the first refused file ended the batch and the rest were silently skipped."""
    (inbox / "taken.txt").write_bytes(b"old")
    files = [make_file(tmp_path, name, 1000) for name in ("one.bin", "taken.txt", "two.bin")]
    with upload_server(inbox) as server:
        panel.url_edit.setText(f"http://127.0.0.1:{server.port}/")
        with qtbot.waitSignal(panel.upload_runner.finished, timeout=TIMEOUT):
            panel.upload_files([str(f) for f in files])
    assert (inbox / "taken.txt").read_bytes() == b"old"
    for source in (files[0], files[2]):
        assert (inbox / source.name).read_bytes() == source.read_bytes()
    assert sorted(entry["name"] for entry in panel.history) == ["one.bin", "two.bin"]
    assert panel.status.kind == "error"
    assert panel.status.text().startswith("2 files sent, 1 refused: the server refused taken.txt")


def test_the_password_is_asked_on_401_and_kept_for_the_list_and_uploads(
    qtbot: QtBot, panel: DownloadPanel, inbox: Path, tmp_path: Path
) -> None:
    (inbox / "there.txt").write_bytes(b"listed")
    asked: list[str] = []

    def answer(server: str) -> str:
        asked.append(server)
        return "s3cret"

    panel.ask_password = answer  # type: ignore[method-assign]  # the dialog, not the network
    with ShareTable() as share:
        share.add(inbox / "there.txt")
        server = FileServer(
            share, "127.0.0.1", 0, upload_dir=inbox, password="s3cret", auth_delay=0.01
        )
        with server, running(server):
            panel.url_edit.setText(f"http://127.0.0.1:{server.port}/")
            assert not panel.password_warning.isVisible()
            with qtbot.waitSignal(panel.list_runner.returned, timeout=TIMEOUT):
                panel.list_files()  # 401, the password is asked, the list asked again
            assert asked == [f"127.0.0.1:{server.port}"]
            assert [f.name for f in panel.remote_model.files] == ["there.txt"]
            assert panel.url_edit.text() == f"http://:s3cret@127.0.0.1:{server.port}/"
            assert panel.password_warning.isVisible()
            assert "in clear" in panel.password_warning.text()
            source = make_file(tmp_path, "up.bin", 1000)
            with qtbot.waitSignal(panel.upload_runner.finished, timeout=TIMEOUT):
                panel.upload_files([str(source)])
            assert asked == [f"127.0.0.1:{server.port}"]  # the URL's password was used
    assert (inbox / "up.bin").read_bytes() == source.read_bytes()
    assert panel.status.kind != "error", panel.status.text()


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_an_upload_asks_for_the_password_on_401(
    qtbot: QtBot, panel: DownloadPanel, inbox: Path, tmp_path: Path, language: str
) -> None:
    """Also in Chinese, where the upload's failure sentence is translated (issue 15.1)."""
    assert set_net_language(language) == language  # the conftest sets English back after
    asked: list[str] = []

    def answer(server: str) -> str:
        asked.append(server)
        return "pw"

    panel.ask_password = answer  # type: ignore[method-assign]  # the dialog, not the network
    source = make_file(tmp_path, "a.bin", 5000)
    with upload_server(inbox, password="pw", auth_delay=0.01) as server:
        panel.url_edit.setText(f"http://127.0.0.1:{server.port}/")
        with qtbot.waitSignal(panel.upload_runner.finished, timeout=TIMEOUT):
            panel.upload_files([str(source)])
        qtbot.waitUntil(lambda: (inbox / "a.bin").exists(), timeout=TIMEOUT)
        qtbot.waitUntil(lambda: not panel.upload_runner.running, timeout=TIMEOUT)
    assert asked == [f"127.0.0.1:{server.port}"]
    assert (inbox / "a.bin").read_bytes() == source.read_bytes()


def test_the_file_server_panel_warns_about_a_password_without_tls(qtbot: QtBot) -> None:
    panel = FileServerPanel()
    qtbot.addWidget(panel)
    panel.show()
    assert not panel.password_warning.isVisible()
    panel.password_field.setText("pw")
    assert panel.password_warning.isVisible()
    assert "password travels in clear" in panel.password_warning.text()
    panel.security.tls_check.setChecked(True)
    assert not panel.password_warning.isVisible()
    panel.security.tls_check.setChecked(False)
    panel.password_field.setText("")
    panel.upload_check.setChecked(True)
    assert panel.password_warning.isVisible()
    assert "uploaded files travel in clear" in panel.password_warning.text()
