"""Download panel with folders (issue 20): open a folder and go back, download a folder, several
files or the whole share byte-exact through the mirror engine, a rerun that fetches no bodies, and
Cancel then Resume; against a real FileServer on loopback sharing a small three-level tree."""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from pytestqt.qtbot import QtBot

from gui.panels.download import DownloadPanel
from net.events import TransferStarted
from net.fileserver import FileServer
from net.mirror import STAGING
from net.share import ShareTable
from tests.conftest import WAIT
from tests.net.test_big_folder import looping_lister
from tests.net.test_fileserver import EventLog, running
from tests.net.test_folders import read_tree

TIMEOUT = int(WAIT * 1000)
CHINESE = "季度 报告"
HOSTILE = "50% off #1.txt"
DEEP = "深 #%"


@dataclass
class Tree:
    server: FileServer
    log: EventLog
    source: Path  # the shared folder "tree"

    def url(self) -> str:
        return f"127.0.0.1:{self.server.port}"

    def bodies(self, since: int = 0) -> list[str]:
        """Names of the files whose bodies the server began to send since event ``since``."""
        return [e.name for e in self.log.events[since:] if isinstance(e, TransferStarted)]


@pytest.fixture
def tree(tmp_path: Path) -> Iterator[Tree]:
    """tree/{top.txt, 50% off #1.txt, 季度 报告/{数据.csv, 深 #%/{a#b%c.bin, big.bin}}} and
    alone.txt, shared by a FileServer on 127.0.0.1."""
    source = tmp_path / "server" / "tree"
    deep = source / CHINESE / DEEP
    deep.mkdir(parents=True)
    (source / "top.txt").write_bytes(b"top level\n")
    (source / HOSTILE).write_bytes("半价 #1 100%\n".encode() * 100)
    (source / CHINESE / "数据.csv").write_bytes(b"a,b\n1,2\n" * 1000)
    (deep / "a#b%c.bin").write_bytes(os.urandom(70_000))
    (deep / "big.bin").write_bytes(os.urandom(16 * 1024 * 1024))
    (tmp_path / "server" / "alone.txt").write_bytes(b"shared alone")
    share = ShareTable()
    log = EventLog()
    try:
        share.add(tmp_path / "server" / "alone.txt")
        share.add_folder(source)
        assert share.wait_hashed(WAIT)
        server = FileServer(share, "127.0.0.1", 0, on_event=log)
        with running(server):
            yield Tree(server, log, source)
    finally:
        share.close()


@pytest.fixture
def panel(qtbot: QtBot, tmp_path: Path) -> DownloadPanel:
    widget = DownloadPanel()
    qtbot.addWidget(widget)
    widget.resize(800, 600)
    widget.show()
    (tmp_path / "downloads").mkdir()
    widget.folder_edit.setText(str(tmp_path / "downloads"))
    return widget


def names(panel: DownloadPanel) -> list[str]:
    return [remote.name for remote in panel.remote_model.files]


def list_root(qtbot: QtBot, panel: DownloadPanel, tree: Tree) -> None:
    panel.url_edit.setText(tree.url())
    with qtbot.waitSignal(panel.list_runner.finished, timeout=TIMEOUT):
        qtbot.mouseClick(panel.list_button, Qt.MouseButton.LeftButton)


def open_row(qtbot: QtBot, panel: DownloadPanel, name: str) -> None:
    row = names(panel).index(name)
    with qtbot.waitSignal(panel.list_runner.finished, timeout=TIMEOUT):
        panel.remote.doubleClicked.emit(panel.remote_model.index(row, 0))


def click_and_wait(qtbot: QtBot, panel: DownloadPanel, button: object) -> None:
    with qtbot.waitSignal(panel.mirror_runner.finished, timeout=TIMEOUT):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # type: ignore[arg-type]


def results(panel: DownloadPanel) -> dict[str, str]:
    """History rows: name -> Result text."""
    table = panel.history_table
    return {
        table.item(row, DownloadPanel.H_NAME).text(): table.item(
            row, DownloadPanel.H_VERIFIED
        ).text()
        for row in range(table.rowCount())
    }


def test_open_a_folder_and_go_back(qtbot: QtBot, panel: DownloadPanel, tree: Tree) -> None:
    list_root(qtbot, panel, tree)
    assert names(panel) == ["tree", "alone.txt"]  # folders first
    assert panel.remote_model.index(0, DownloadPanel.SHA).data() == "folder"
    assert not panel.up_button.isEnabled()
    assert not panel.download_folder_button.isEnabled()  # the root: that is Download all

    open_row(qtbot, panel, "tree")
    assert panel.folder_key == "tree"
    assert names(panel) == [CHINESE, HOSTILE, "top.txt"]
    assert "tree" in panel.breadcrumb.text()
    open_row(qtbot, panel, CHINESE)
    open_row(qtbot, panel, DEEP)
    assert panel.folder_key == f"tree/{CHINESE}/{DEEP}"
    assert sorted(names(panel)) == ["a#b%c.bin", "big.bin"]
    # The list's URLs are percent-encoded, each segment.
    big = panel.remote_model.files[names(panel).index("big.bin")]
    assert big.url.endswith(
        "/tree/%E5%AD%A3%E5%BA%A6%20%E6%8A%A5%E5%91%8A/%E6%B7%B1%20%23%25/big.bin"
    )

    with qtbot.waitSignal(panel.list_runner.finished, timeout=TIMEOUT):
        qtbot.mouseClick(panel.up_button, Qt.MouseButton.LeftButton)
    assert panel.folder_key == f"tree/{CHINESE}"
    assert names(panel) == [DEEP, "数据.csv"]
    with qtbot.waitSignal(panel.list_runner.finished, timeout=TIMEOUT):
        panel.breadcrumb.linkActivated.emit("0")  # the breadcrumb's first link: the root
    assert panel.folder_key == ""
    assert names(panel) == ["tree", "alone.txt"]
    assert not panel.up_button.isEnabled()


def test_download_a_folder_then_again_fetches_no_bodies(
    qtbot: QtBot, panel: DownloadPanel, tree: Tree, tmp_path: Path
) -> None:
    downloads = tmp_path / "downloads"
    list_root(qtbot, panel, tree)
    open_row(qtbot, panel, "tree")
    assert panel.download_folder_button.isEnabled()
    click_and_wait(qtbot, panel, panel.download_folder_button)

    files, folders = read_tree(downloads)
    assert files == {f"tree/{k}": v for k, v in read_tree(tree.source)[0].items()}
    assert folders == {"tree", f"tree/{CHINESE}", f"tree/{CHINESE}/{DEEP}"}  # no staging left
    assert panel.status.kind == "info"
    assert panel.status.text().startswith("5 downloaded, 0 up to date, 0 failed in ")
    assert panel.progress_bar.value() == panel.progress_bar.maximum()
    assert panel.progress_label.text().startswith("5 of 5 files")
    assert results(panel) == {
        "top.txt": "✓ verified",
        HOSTILE: "✓ verified",
        f"{CHINESE}/数据.csv": "✓ verified",
        f"{CHINESE}/{DEEP}/a#b%c.bin": "✓ verified",
        f"{CHINESE}/{DEEP}/big.bin": "✓ verified",
    }
    assert sorted(tree.bodies()) == sorted(f"tree/{name}" for name in results(panel))
    top = next(r for r in range(5) if panel.history_table.item(r, 0).text() == "top.txt")
    assert panel.history_table.item(top, DownloadPanel.H_SHA).toolTip() == (
        hashlib.sha256(b"top level\n").hexdigest()
    )

    before = len(tree.log.events)
    panel.clear_history()
    click_and_wait(qtbot, panel, panel.download_folder_button)
    assert panel.status.text().startswith("0 downloaded, 5 up to date, 0 failed")
    assert set(results(panel).values()) == {"✓ up to date"}
    assert len(results(panel)) == 5
    assert tree.bodies(before) == []  # only the lists were asked for
    assert read_tree(downloads)[0] == files


def test_download_selected_files_and_folders(
    qtbot: QtBot, panel: DownloadPanel, tree: Tree, tmp_path: Path
) -> None:
    downloads = tmp_path / "downloads"
    list_root(qtbot, panel, tree)
    open_row(qtbot, panel, "tree")
    assert not panel.download_selected_button.isEnabled()
    selection = panel.remote.selectionModel()
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for name in (HOSTILE, CHINESE):
        selection.select(panel.remote_model.index(names(panel).index(name), 0), flags)
    assert panel.download_selected_button.isEnabled()
    click_and_wait(qtbot, panel, panel.download_selected_button)
    expected = {
        k: v for k, v in read_tree(tree.source)[0].items() if k == HOSTILE or k.startswith(CHINESE)
    }
    assert read_tree(downloads)[0] == expected  # top.txt was not picked
    assert panel.status.text().startswith("4 downloaded, 0 up to date, 0 failed")


def test_cancel_mid_way_keeps_parts_and_resume_finishes_only_what_is_missing(
    qtbot: QtBot, panel: DownloadPanel, tree: Tree, tmp_path: Path
) -> None:
    downloads = tmp_path / "downloads"
    tree.server.rate_limit = 2 * 1024 * 1024  # big.bin takes seconds: cancel in its middle
    list_root(qtbot, panel, tree)
    qtbot.mouseClick(panel.download_all_button, Qt.MouseButton.LeftButton)
    assert panel.cancel_button.isEnabled()
    assert not panel.download_all_button.isEnabled()
    staging = downloads / STAGING

    def big_part_started() -> bool:
        for part in staging.glob("*.part") if staging.is_dir() else []:
            # A small file's .part can be renamed between the listing and the stat.
            with contextlib.suppress(FileNotFoundError):
                if part.stat().st_size > 256 * 1024:
                    return True
        return False

    qtbot.waitUntil(big_part_started, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: 0 < panel.progress_bar.value() < 1000, timeout=TIMEOUT)
    with qtbot.waitSignal(panel.mirror_runner.finished, timeout=TIMEOUT):
        qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    assert panel.status.kind == "warning"
    assert "cancelled" in panel.status.text()
    assert panel.progress_bar.value() < panel.progress_bar.maximum()  # files cut short are not done
    assert not (downloads / "tree" / CHINESE / DEEP / "big.bin").exists()
    parts = list(staging.glob("*.part"))
    assert parts, "the .part was not kept"
    kept = max(part.stat().st_size for part in parts)
    assert "big.bin" not in " ".join(results(panel))  # a file cut short is no result
    assert panel.resume_button.isEnabled()

    tree.server.rate_limit = None
    before = len(tree.log.events)
    click_and_wait(qtbot, panel, panel.resume_button)
    source = read_tree(tree.source)[0]
    assert read_tree(downloads)[0] == {"alone.txt": b"shared alone"} | {
        f"tree/{k}": v for k, v in source.items()
    }
    assert not staging.exists()
    big = [
        e for e in tree.log.events[before:] if isinstance(e, TransferStarted) and "big" in e.name
    ]
    assert len(big) == 1 and big[0].offset >= kept  # resumed with a Range, not from 0
    assert panel.status.kind == "info"
    assert "0 failed" in panel.status.text()
    assert not panel.resume_button.isEnabled()


def test_the_panel_fits_800_by_600(panel: DownloadPanel) -> None:
    """Nothing is squeezed below its minimum (clipped) in a window of 800x600."""
    assert panel.minimumSizeHint().width() <= 800
    assert panel.minimumSizeHint().height() <= 600


def test_a_list_whose_pages_loop_ends_with_an_error(qtbot: QtBot, tmp_path: Path) -> None:
    """A hostile share whose every page links to a next one: the Remote files list stops."""
    widget = DownloadPanel()
    qtbot.addWidget(widget)
    widget.show()
    with looping_lister(b"[]") as port:
        widget.url_edit.setText(f"http://127.0.0.1:{port}/")
        with qtbot.waitSignal(widget.list_runner.finished, timeout=TIMEOUT):
            qtbot.mouseClick(widget.list_button, Qt.MouseButton.LeftButton)
    assert widget.status.kind == "error"
    assert "never ends" in widget.status.text()
