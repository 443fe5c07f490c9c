"""The traffic log every panel shows: a bounded table of what went in and out.

:class:`TrafficLogModel` keeps at most ``limit`` rows (100,000 by default): when a batch would go
over, the oldest rows leave in one ``beginRemoveRows`` and the batch arrives in one
``beginInsertRows``, so a flood costs the view two updates per batch, not one per datagram.
Rows keep the raw bytes; text or hex is rendered only for the rows the view paints.

:class:`TrafficLog` is the widget: the table (``logView``) plus a small tool row — show as text or
hex, display encoding, follow new rows (auto-scroll), copy, clear, export to CSV or text.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QMessageBox,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gui.widgets.style import monospace_font, set_text_role, text_color
from net.codec import ENCODINGS, hexdump, render_text, to_hex

__all__ = ["DEFAULT_LOG_LIMIT", "LogEntry", "TrafficLog", "TrafficLogModel"]

#: Rows kept by default; older rows are dropped (counters elsewhere stay exact).
DEFAULT_LOG_LIMIT = 100_000
# A cell shows at most this much; the export and the tooltip carry the rest.
_CELL_BYTES = 2048

_Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One row: ``direction`` is "in", "out", "info" or "error".

    ``text`` is the row's text when it cannot be rendered from ``data`` alone: a note (info/error
    rows) or a TCP chunk already decoded by a stream decoder (a character may span two chunks).
    """

    time: float
    direction: str
    peer: str
    data: bytes = b""
    text: str | None = None

    @classmethod
    def note(cls, message: str, peer: str = "", *, error: bool = False) -> LogEntry:
        return cls(time.time(), "error" if error else "info", peer, b"", message)


class TrafficLogModel(QAbstractTableModel):
    """A bounded table model over log rows; columns time, direction, peer, bytes, data."""

    TIME, DIRECTION, PEER, SIZE, DATA = range(5)

    def __init__(self, parent: Any = None, *, limit: int = DEFAULT_LOG_LIMIT) -> None:
        super().__init__(parent)
        self._rows: list[LogEntry] = []
        self._limit = max(1, limit)
        self._hex = False
        self._encoding = "UTF-8"
        self._headers = [
            QCoreApplication.translate("TrafficLog", "Time"),
            QCoreApplication.translate("TrafficLog", "Dir"),
            QCoreApplication.translate("TrafficLog", "Peer"),
            QCoreApplication.translate("TrafficLog", "Bytes"),
            QCoreApplication.translate("TrafficLog", "Data"),
        ]
        self._directions = {
            "in": QCoreApplication.translate("TrafficLog", "in"),
            "out": QCoreApplication.translate("TrafficLog", "out"),
            "info": QCoreApplication.translate("TrafficLog", "info"),
            "error": QCoreApplication.translate("TrafficLog", "error"),
        }
        self.dropped = 0  # rows that left because of the limit, since the last clear

    # -- configuration -------------------------------------------------------------------------

    @property
    def limit(self) -> int:
        return self._limit

    def set_limit(self, limit: int) -> None:
        self._limit = max(1, limit)
        self._trim(0)

    @property
    def hex_mode(self) -> bool:
        return self._hex

    def set_hex_mode(self, on: bool) -> None:
        if on != self._hex:
            self._hex = on
            self._data_changed()

    @property
    def encoding(self) -> str:
        return self._encoding

    def set_encoding(self, encoding: str) -> None:
        if encoding != self._encoding:
            self._encoding = encoding
            self._data_changed()

    # -- rows ----------------------------------------------------------------------------------

    def append(self, entries: Sequence[LogEntry]) -> None:
        """Add a batch of rows at the end, dropping the oldest beyond the limit."""
        if not entries:
            return
        if len(entries) >= self._limit:
            self.beginResetModel()
            self.dropped += len(self._rows) + len(entries) - self._limit
            self._rows = list(entries[-self._limit :])
            self.endResetModel()
            return
        self._trim(len(entries))
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(entries) - 1)
        self._rows.extend(entries)
        self.endInsertRows()

    def clear(self) -> None:
        self.beginResetModel()
        self._rows = []
        self.dropped = 0
        self.endResetModel()

    def entry(self, row: int) -> LogEntry:
        return self._rows[row]

    def entries(self) -> list[LogEntry]:
        return list(self._rows)

    def _trim(self, incoming: int) -> None:
        excess = len(self._rows) + incoming - self._limit
        if excess > 0:
            self.beginRemoveRows(QModelIndex(), 0, excess - 1)
            del self._rows[:excess]
            self.endRemoveRows()
            self.dropped += excess

    def _data_changed(self) -> None:
        if self._rows:
            last = self.index(len(self._rows) - 1, self.DATA)
            self.dataChanged.emit(self.index(0, self.DATA), last)

    # -- rendering -----------------------------------------------------------------------------

    def direction_text(self, entry: LogEntry) -> str:
        return self._directions.get(entry.direction, entry.direction)

    def data_text(self, entry: LogEntry, *, full: bool = False) -> str:
        """The data column: hex or text (of the whole payload when ``full``)."""
        if entry.direction in ("info", "error"):
            return entry.text or ""
        data = entry.data if full else entry.data[:_CELL_BYTES]
        more = "" if full or len(entry.data) <= _CELL_BYTES else " …"
        if self._hex:
            return to_hex(data) + more
        if entry.text is not None:
            return entry.text
        return render_text(data, self._encoding) + more

    def row_texts(self, row: int, *, full: bool = True) -> list[str]:
        entry = self._rows[row]
        size = "" if entry.direction in ("info", "error") else str(len(entry.data))
        return [
            _format_time(entry.time),
            self.direction_text(entry),
            entry.peer,
            size,
            self.data_text(entry, full=full),
        ]

    # -- QAbstractTableModel -------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 5

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._headers[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        entry = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == self.TIME:
                return _format_time(entry.time)
            if column == self.DIRECTION:
                return self.direction_text(entry)
            if column == self.PEER:
                return entry.peer
            if column == self.SIZE:
                return "" if entry.direction in ("info", "error") else f"{len(entry.data):,}"
            return self.data_text(entry)
        if role == Qt.ItemDataRole.ForegroundRole and column in (self.DIRECTION, self.DATA):
            if entry.direction in ("in", "out", "error"):
                return text_color(entry.direction)  # light or dark, as the palette is
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and column == self.SIZE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and column == self.DATA and entry.data:
            dump = hexdump(entry.data[:256])
            return dump + ("\n…" if len(entry.data) > 256 else "")
        return None

    # -- export --------------------------------------------------------------------------------

    def export_csv(self, path: str | Path) -> int:
        """Write every row (full data, as shown: text or hex) as CSV; returns the row count."""
        with open(path, "w", newline="", encoding="utf-8-sig") as handle:
            writer = csv.writer(handle)
            writer.writerow(["time", "direction", "peer", "bytes", "data"])
            for row in range(len(self._rows)):
                entry = self._rows[row]
                texts = self.row_texts(row)
                texts[0] = _format_time(entry.time, with_date=True)
                texts[1] = entry.direction
                writer.writerow(texts)
        return len(self._rows)

    def export_text(self, path: str | Path) -> int:
        """Write every row as one tab-separated line; returns the row count."""
        with open(path, "w", encoding="utf-8") as handle:
            for row in range(len(self._rows)):
                entry = self._rows[row]
                texts = self.row_texts(row)
                texts[0] = _format_time(entry.time, with_date=True)
                handle.write("\t".join(texts) + "\n")
        return len(self._rows)


def _format_time(stamp: float, *, with_date: bool = False) -> str:
    local = time.localtime(stamp)
    millis = int((stamp % 1) * 1000)
    pattern = "%Y-%m-%d %H:%M:%S" if with_date else "%H:%M:%S"
    return f"{time.strftime(pattern, local)}.{millis:03d}"


class TrafficLog(QWidget):
    """The log table with its tool row; panels call :meth:`append` with a batch of rows."""

    exported = Signal(str)  # the path written

    def __init__(self, parent: QWidget | None = None, *, limit: int = DEFAULT_LOG_LIMIT) -> None:
        super().__init__(parent)
        self.model = TrafficLogModel(self, limit=limit)

        self.view = QTableView(self)
        self.view.setObjectName("logView")
        self.view.setModel(self.model)
        self.view.setFont(monospace_font())
        self.view.setAccessibleName(QCoreApplication.translate("TrafficLog", "Traffic log"))
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        self.view.setCornerButtonEnabled(False)
        self.view.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        vertical = self.view.verticalHeader()
        vertical.setVisible(False)
        # Fixed row heights keep a 100k-row table as cheap to scroll as a 10-row one.
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(self.view.fontMetrics().height() + 6)
        header = self.view.horizontalHeader()
        header.setStretchLastSection(True)
        header.setHighlightSections(False)
        metrics = self.view.fontMetrics()
        header.resizeSection(TrafficLogModel.TIME, metrics.horizontalAdvance("00:00:00.000") + 16)
        header.resizeSection(TrafficLogModel.DIRECTION, metrics.horizontalAdvance("error") + 18)
        header.resizeSection(
            TrafficLogModel.PEER, metrics.horizontalAdvance("[::ffff:255.255.255]:65535") + 8
        )
        header.resizeSection(TrafficLogModel.SIZE, metrics.horizontalAdvance("65,535") + 18)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)

        self.format_combo = QComboBox(self)
        self.format_combo.setObjectName("logFormatCombo")
        self.format_combo.addItem(QCoreApplication.translate("TrafficLog", "Text"), "text")
        self.format_combo.addItem(QCoreApplication.translate("TrafficLog", "Hex"), "hex")
        self.format_combo.setToolTip(
            QCoreApplication.translate("TrafficLog", "Show the data column as text or as hex bytes")
        )
        self.format_combo.setAccessibleName(
            QCoreApplication.translate("TrafficLog", "Show data as")
        )
        self.format_combo.currentIndexChanged.connect(self._on_format)

        self.encoding_combo = QComboBox(self)
        self.encoding_combo.setObjectName("logEncodingCombo")
        self.encoding_combo.setEditable(True)
        self.encoding_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.encoding_combo.addItems(list(ENCODINGS))
        self.encoding_combo.setToolTip(
            QCoreApplication.translate(
                "TrafficLog", "The encoding used to show received bytes as text"
            )
        )
        self.encoding_combo.setAccessibleName(
            QCoreApplication.translate("TrafficLog", "Display encoding")
        )
        self.encoding_combo.currentTextChanged.connect(self._on_encoding)

        self.follow_check = QCheckBox(QCoreApplication.translate("TrafficLog", "Follow"), self)
        self.follow_check.setObjectName("followCheck")
        self.follow_check.setChecked(True)
        self.follow_check.setToolTip(
            QCoreApplication.translate(
                "TrafficLog", "Scroll to each new row; untick to pause scrolling and read"
            )
        )

        self.copy_action = QAction(QCoreApplication.translate("TrafficLog", "Copy"), self)
        self.copy_action.setShortcut(QKeySequence.StandardKey.Copy)
        self.copy_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.copy_action.triggered.connect(self.copy_selection)
        self.view.addAction(self.copy_action)
        self.clear_action = QAction(QCoreApplication.translate("TrafficLog", "Clear"), self)
        self.clear_action.triggered.connect(self.clear)

        copy_button = QToolButton(self)
        copy_button.setDefaultAction(self.copy_action)
        copy_button.setToolTip(
            QCoreApplication.translate(
                "TrafficLog", "Copy the selected rows (all rows when none is selected)"
            )
        )
        clear_button = QToolButton(self)
        clear_button.setObjectName("clearLogButton")
        clear_button.setDefaultAction(self.clear_action)
        clear_button.setToolTip(
            QCoreApplication.translate("TrafficLog", "Remove every row from the log")
        )
        export_button = QToolButton(self)
        export_button.setObjectName("exportLogButton")
        export_button.setText(QCoreApplication.translate("TrafficLog", "Export…"))
        export_button.setToolTip(
            QCoreApplication.translate("TrafficLog", "Save the log as CSV or as text")
        )
        export_button.clicked.connect(self.export_dialog)

        self.rows_label = QLabel(self)
        self.rows_label.setObjectName("logRowsLabel")
        set_text_role(self.rows_label, "dim")

        tools = QHBoxLayout()
        tools.setContentsMargins(0, 0, 0, 0)
        tools.addWidget(QLabel(QCoreApplication.translate("TrafficLog", "Show as"), self))
        tools.addWidget(self.format_combo)
        tools.addWidget(self.encoding_combo)
        tools.addWidget(self.follow_check)
        tools.addStretch(1)
        tools.addWidget(self.rows_label)
        tools.addWidget(copy_button)
        tools.addWidget(clear_button)
        tools.addWidget(export_button)

        # The tool row is above the table: Tab reaches it first.
        QWidget.setTabOrder(export_button, self.view)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        layout.addLayout(tools)
        layout.addWidget(self.view, 1)
        self._update_rows_label()

    # -- API -----------------------------------------------------------------------------------

    def append(self, entries: Iterable[LogEntry]) -> None:
        batch = entries if isinstance(entries, list) else list(entries)
        if not batch:
            return
        self.model.append(batch)
        if self.follow_check.isChecked():
            self.view.scrollToBottom()
        self._update_rows_label()

    def note(self, message: str, peer: str = "", *, error: bool = False) -> None:
        self.append([LogEntry.note(message, peer, error=error)])

    def clear(self) -> None:
        self.model.clear()
        self._update_rows_label()

    def set_hex(self, on: bool) -> None:
        self.format_combo.setCurrentIndex(1 if on else 0)

    def set_encoding(self, encoding: str) -> None:
        self.encoding_combo.setCurrentText(encoding)

    def selected_rows(self) -> list[int]:
        selection = self.view.selectionModel()
        rows = sorted({index.row() for index in selection.selectedRows()})
        return rows

    def copy_selection(self) -> str:
        """Copy the selected rows (or every row) to the clipboard, tab-separated."""
        rows = self.selected_rows() or list(range(self.model.rowCount()))
        text = "\n".join("\t".join(self.model.row_texts(row)) for row in rows)
        QGuiApplication.clipboard().setText(text)
        return text

    def export(self, path: str | Path) -> int:
        """Save to ``path``: CSV when it ends in .csv, tab-separated text otherwise."""
        if str(path).lower().endswith(".csv"):
            count = self.model.export_csv(path)
        else:
            count = self.model.export_text(path)
        self.exported.emit(str(path))
        return count

    def export_dialog(self) -> None:
        csv_filter, text_filter = (
            QCoreApplication.translate("TrafficLog", "CSV files (*.csv)"),
            QCoreApplication.translate("TrafficLog", "Text files (*.txt)"),
        )
        path, chosen = QFileDialog.getSaveFileName(
            self,
            QCoreApplication.translate("TrafficLog", "Export log"),
            "traffic-log.csv",
            f"{csv_filter};;{text_filter}",
        )
        if not path:
            return
        if not Path(path).suffix:
            path += ".txt" if chosen == text_filter else ".csv"
        try:
            self.export(path)
        except OSError as exc:
            QMessageBox.warning(
                self,
                QCoreApplication.translate("TrafficLog", "Export log"),
                QCoreApplication.translate(
                    "TrafficLog", "The log could not be saved: {reason}"
                ).format(reason=exc.strerror or exc),
            )

    # -- internals -----------------------------------------------------------------------------

    def _on_format(self) -> None:
        hex_mode = self.format_combo.currentData() == "hex"
        self.model.set_hex_mode(hex_mode)
        self.encoding_combo.setEnabled(not hex_mode)

    def _on_encoding(self, text: str) -> None:
        self.model.set_encoding(text.strip() or "UTF-8")

    def _update_rows_label(self) -> None:
        count = self.model.rowCount()
        # self.tr (context "TrafficLog"): lupdate sees plurals only in tr(text, "", n)
        text = self.tr("{count} rows", "", count).format(count=f"{count:,}")
        if self.model.dropped:
            text = self.tr("{count} rows (the latest {limit} are kept)", "", count).format(
                count=f"{count:,}", limit=f"{self.model.limit:,}"
            )
        self.rows_label.setText(text)

    def _context_menu(self, pos: Any) -> None:
        menu = QMenu(self)
        menu.addAction(self.copy_action)
        menu.addAction(self.clear_action)
        menu.addSeparator()
        select_all = menu.addAction(QCoreApplication.translate("TrafficLog", "Select all"))
        select_all.triggered.connect(self.view.selectAll)
        menu.exec(self.view.viewport().mapToGlobal(pos))

    def select_row(self, row: int) -> None:
        index = self.model.index(row, 0)
        self.view.selectionModel().select(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
