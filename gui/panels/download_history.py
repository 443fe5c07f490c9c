"""The Download panel's history: the files it downloaded or sent, verified or not, kept between
runs (as JSON in the settings), with Open in file manager and Clear history."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt, QUrl
from PySide6.QtWidgets import (
    QGroupBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui.panels.remote_files import SHORT_HASH
from gui.widgets import StatusLine, format_bytes, monospace_font
from gui.widgets.forms import button_row, named, push_buttons
from gui.widgets.style import text_color
from gui.widgets.tables import size_columns, table_look

__all__ = ["HISTORY_LIMIT", "DownloadHistory", "HistoryEntry"]

#: Finished downloads kept in the history (and in the settings).
HISTORY_LIMIT = 200

#: One finished download: name, path, size, sha256, verified, time (a plain dict, for JSON);
#: a multi-file run adds outcome ("downloaded", "up to date", "failed", "uploaded") and reason.
HistoryEntry = dict[str, Any]


class DownloadHistory(QGroupBox):
    """The "Finished downloads" box: a table of :data:`HistoryEntry`, newest first.

    Args:
        parent: the panel (its objectName keys the stored history).
        status: where "that folder is gone" is said.
        save_folder: the folder Open in file manager shows when no row is selected.
        open_url: how a folder is opened (the panel's ``open_url``, which tests replace).
    """

    COLUMNS = H_NAME, H_SIZE, H_SHA, H_VERIFIED, H_TIME = range(5)

    def __init__(
        self,
        parent: QWidget,
        status: StatusLine,
        save_folder: Callable[[], str],
        open_url: Callable[[QUrl], object],
    ) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Finished downloads"))
        self.entries: list[HistoryEntry] = []
        self._status = status
        self._save_folder = save_folder
        self._open_url = open_url
        self.table = named(
            QTableWidget(0, 5, self), "historyTable", accessible=self.tr("Finished downloads")
        )
        self.table.setHorizontalHeaderLabels(
            [
                self.tr("Name"),
                self.tr("Size"),
                self.tr("SHA-256"),
                self.tr("Result"),
                self.tr("Time"),
            ]
        )
        table_look(self.table)
        self.table.horizontalHeader().setSectionResizeMode(
            self.H_NAME, QHeaderView.ResizeMode.Stretch
        )
        size_columns(
            self.table,
            [
                (self.H_SIZE, "999.9 MiB"),
                (self.H_SHA, "0" * 14),
                (self.H_VERIFIED, "✓ up to date"),
                (self.H_TIME, "2025-12-31 23:59"),
            ],
        )
        # At least the header and one row (not Qt's 70 px): the panel must fit in 800x600.
        self.table.setMinimumHeight(
            self.table.horizontalHeader().sizeHint().height()
            + self.table.verticalHeader().defaultSectionSize()
            + 2 * self.table.frameWidth()
        )
        self.table.cellDoubleClicked.connect(lambda _row, _col: self.open_folder())
        self.open_button, self.clear_button = push_buttons(
            self,
            (
                self.tr("Open in file &manager"),
                "openFolderButton",
                self.open_folder,
                self.tr("Show the folder of the selected download (or the save folder)"),
            ),
            (
                self.tr("Clear histor&y"),
                "clearHistoryButton",
                self.clear,
                self.tr("Forget the finished downloads (the files stay)"),
            ),
        )
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(button_row(self.open_button, self.clear_button))
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self._update_buttons()

    def focus_chain(self) -> list[QWidget]:
        return [self.table, self.open_button, self.clear_button]

    def add(self, *entries: HistoryEntry) -> None:
        """Put ``entries`` (in the order they happened) at the top, the last one first; the
        oldest beyond :data:`HISTORY_LIMIT` leave."""
        self.entries[:0] = reversed(entries)
        del self.entries[HISTORY_LIMIT:]
        self.show_entries()

    def show_entries(self) -> None:
        table = self.table
        table.setRowCount(len(self.entries))
        mono = monospace_font()
        for row, entry in enumerate(self.entries):
            digest = str(entry.get("sha256") or "")
            verified = bool(entry.get("verified"))
            stamp = float(entry.get("time") or 0)
            size = int(entry.get("size") or 0)
            name = QTableWidgetItem(str(entry.get("name", "")))
            name.setToolTip(str(entry.get("path", "")))
            size_item = QTableWidgetItem(format_bytes(size))
            size_item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            sha = QTableWidgetItem(digest[:SHORT_HASH] + "…" if digest else "")
            sha.setFont(mono)
            sha.setToolTip(digest)
            check = self._result_item(entry, verified)
            when = QTableWidgetItem(time.strftime("%Y-%m-%d %H:%M", time.localtime(stamp)))
            for column, item in enumerate((name, size_item, sha, check, when)):
                table.setItem(row, column, item)
        self._update_buttons()

    def _result_item(self, entry: HistoryEntry, verified: bool) -> QTableWidgetItem:
        """The Result cell: verified or not (one file), or what a multi-file run did with it."""
        outcome = entry.get("outcome")
        if outcome == "failed":
            item = QTableWidgetItem(self.tr("✗ failed"))
            item.setForeground(text_color("error"))
            item.setToolTip(str(entry.get("reason", "")))
            return item
        if outcome == "uploaded":
            item = QTableWidgetItem(self.tr("✓ sent"))
            item.setToolTip(self.tr("Sent to the server, which checked its SHA-256"))
        elif outcome == "up to date":
            item = QTableWidgetItem(self.tr("✓ up to date"))
            item.setToolTip(self.tr("Already there with the server's SHA-256: not fetched"))
        else:
            item = QTableWidgetItem(self.tr("✓ verified") if verified else self.tr("not verified"))
        item.setForeground(text_color("success" if verified else "warning"))
        return item

    def open_folder(self) -> None:
        """Show the folder of the selected row (or the save folder) in the file manager."""
        rows = self.table.selectionModel().selectedRows()
        if rows:
            folder = str(Path(str(self.entries[rows[0].row()]["path"])).parent)
        else:
            folder = self._save_folder()
        if not folder or not Path(folder).is_dir():
            self._status.show_error(
                self.tr("The folder {folder} does not exist any more").format(folder=folder)
            )
            return
        self._open_url(QUrl.fromLocalFile(folder))

    def clear(self) -> None:
        self.entries = []
        self.table.setRowCount(0)
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.clear_button.setEnabled(bool(self.entries))

    def save(self, settings: QSettings, key: str) -> None:
        settings.setValue(key, json.dumps(self.entries))

    def restore(self, settings: QSettings, key: str) -> None:
        """Load what :meth:`save` stored under ``key``; anything not a list of dicts is ignored."""
        try:
            stored = json.loads(str(settings.value(key, "[]")))
        except ValueError:
            stored = []
        if isinstance(stored, list):
            self.entries = [item for item in stored if isinstance(item, dict)][:HISTORY_LIMIT]
            self.show_entries()
