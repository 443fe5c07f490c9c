"""The file server's share list: what is shared, under which name, with its checksum.

:class:`ShareListModel` shows a :class:`net.share.ShareTable` (the same table the running server
reads, so files can be added or removed while serving). :class:`ShareList` is the widget: the
table (``shareList``), which takes drops of files and folders from the file manager, and the
Add files…, Add folder… and Remove buttons. Checksums are computed by the table's own thread; the
table only raises a flag, and a timer on the GUI thread picks the news up a few times a second.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QCoreApplication,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QFont,
    QFontMetrics,
    QKeySequence,
    QPainter,
    QPaintEvent,
    QShortcut,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from gui.widgets.counters import format_bytes, format_count
from gui.widgets.style import monospace_font, text_color
from gui.widgets.table_model import RowTableModel
from net.share import LocalFileError, SharedFile, ShareTable

__all__ = ["AddResult", "ShareList", "ShareListModel", "local_paths"]

_Index = QModelIndex | QPersistentModelIndex
#: Hex digits of the checksum shown in the list; the tooltip has all 64.
SHORT_HASH = 12


def local_paths(mime: QMimeData) -> list[str]:
    """The local files and folders a drag carries (web links and other data are ignored)."""
    if not mime.hasUrls():
        return []
    return [url.toLocalFile() for url in mime.urls() if url.isLocalFile() and url.toLocalFile()]


class FileDropTarget:
    """Accepts drags of local files and folders; a widget mixes it in (before its Qt class) and
    says what a drop does in :meth:`paths_dropped_here`."""

    def paths_dropped_here(self, paths: list[str]) -> None:
        raise NotImplementedError

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        _accept_if_local(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        _accept_if_local(event)

    def dropEvent(self, event: QDropEvent) -> None:
        paths = local_paths(event.mimeData())
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.paths_dropped_here(paths)


def _accept_if_local(event: QDragEnterEvent | QDragMoveEvent) -> None:
    if local_paths(event.mimeData()):
        event.acceptProposedAction()
    else:
        event.ignore()


@dataclass(slots=True)
class AddResult:
    """What one add (drop, Add files…, Add folder…) did."""

    added: list[str] = field(default_factory=list)  # display names, in order
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    errors: list[str] = field(default_factory=list)  # sentences: paths that could not be shared


class ShareListModel(RowTableModel):
    """Rows of a ShareTable, in the order files were added: name, size, SHA-256."""

    NAME, SIZE, SHA256 = range(3)

    def __init__(self, share: ShareTable, parent: Any = None) -> None:
        super().__init__(
            [
                QCoreApplication.translate("ShareList", "Name"),
                QCoreApplication.translate("ShareList", "Size"),
                QCoreApplication.translate("ShareList", "SHA-256"),
            ],
            parent,
        )
        self._share = share
        self._rows: list[SharedFile] = []
        self._computing = QCoreApplication.translate("ShareList", "computing…")
        self._mono = monospace_font()
        self._italic = QFont()
        self._italic.setItalic(True)

    def sync(self) -> None:
        """Catch up with the table: new rows inserted, removed rows gone, new checksums shown."""
        new = self._share.files()
        old_names = [entry.name for entry in self._rows]
        new_names = [entry.name for entry in new]
        if new_names == old_names:
            changed = [
                row for row, (a, b) in enumerate(zip(self._rows, new, strict=True)) if a != b
            ]
            self._rows = new
            if changed:
                self.dataChanged.emit(
                    self.index(min(changed), 0), self.index(max(changed), self.SHA256)
                )
        elif new_names[: len(old_names)] == old_names:
            self.beginInsertRows(QModelIndex(), len(old_names), len(new_names) - 1)
            self._rows = new
            self.endInsertRows()
        else:
            self.beginResetModel()
            self._rows = new
            self.endResetModel()

    def entry(self, row: int) -> SharedFile:
        return self._rows[row]

    def entries(self) -> list[SharedFile]:
        return list(self._rows)

    def total_size(self) -> int:
        return sum(entry.size for entry in self._rows)

    def pending(self) -> int:
        """Rows whose checksum is not known yet."""
        return sum(1 for entry in self._rows if entry.sha256 is None)

    # -- QAbstractTableModel -------------------------------------------------------------------

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        entry = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == self.NAME:
                return entry.name
            if column == self.SIZE:
                return format_bytes(entry.size)
            if entry.sha256 is None:
                return self._computing
            return entry.sha256[:SHORT_HASH] + "…"
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == self.NAME:
                return str(entry.path)
            if column == self.SIZE:
                return QCoreApplication.translate("ShareList", "{count} bytes").format(
                    count=format_count(entry.size)
                )
            if entry.sha256 is None:
                return QCoreApplication.translate(
                    "ShareList", "The checksum is being computed in the background"
                )
            return entry.sha256
        if role == Qt.ItemDataRole.FontRole and column == self.SHA256:
            if entry.sha256 is None:
                return self._italic
            return self._mono
        if role == Qt.ItemDataRole.ForegroundRole and column == self.SHA256:
            return text_color("dim") if entry.sha256 is None else None
        if role == Qt.ItemDataRole.TextAlignmentRole and column == self.SIZE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.UserRole:
            return entry.name
        return None


class _ShareView(FileDropTarget, QTableView):
    """The table; files and folders dropped on it are announced with ``paths_dropped``."""

    paths_dropped = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.viewport().setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.setDropIndicatorShown(False)
        self._hint = QCoreApplication.translate(
            "ShareList", "Drop files or folders here, or use Add files… below"
        )

    def paths_dropped_here(self, paths: list[str]) -> None:
        self.paths_dropped.emit(paths)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        model = self.model()
        if model is not None and model.rowCount() == 0:
            painter = QPainter(self.viewport())
            painter.setPen(text_color("dim"))
            rect = self.viewport().rect().adjusted(12, 12, -12, -12)
            painter.drawText(
                rect, int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap), self._hint
            )
            painter.end()


class ShareList(QWidget):
    """The share table with its buttons; owns the :class:`ShareTable` that a server serves.

    Signals:
        paths_added(AddResult): after a drop or an Add…, with what was added and what was not.
        changed(): the list of files changed (added, removed, or a checksum became known).
    """

    paths_added = Signal(object)
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._dirty = False
        self.share = ShareTable(on_change=self._mark_dirty)
        self.model = ShareListModel(self.share, self)

        self.view = _ShareView(self)
        self.view.setObjectName("shareList")
        self.view.setModel(self.model)
        self.view.setAccessibleName(QCoreApplication.translate("ShareList", "Shared files"))
        self.view.setToolTip(
            QCoreApplication.translate(
                "ShareList",
                "The files this server offers; drop files or folders here to share them",
            )
        )
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        self.view.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.view.setCornerButtonEnabled(False)
        self.view.verticalHeader().setVisible(False)
        self.view.verticalHeader().setDefaultSectionSize(self.view.fontMetrics().height() + 6)
        header = self.view.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionResizeMode(ShareListModel.NAME, QHeaderView.ResizeMode.Stretch)
        header.resizeSection(
            ShareListModel.SIZE, self.view.fontMetrics().horizontalAdvance("999.9 MiB") + 24
        )
        hash_width = QFontMetrics(monospace_font()).horizontalAdvance("0" * (SHORT_HASH + 2))
        header.resizeSection(ShareListModel.SHA256, hash_width + 20)
        self.view.paths_dropped.connect(self.add_paths)
        self.view.selectionModel().selectionChanged.connect(self._update_buttons)

        self.add_files_button = QPushButton(
            QCoreApplication.translate("ShareList", "Add f&iles…"), self
        )
        self.add_files_button.setObjectName("addFilesButton")
        self.add_files_button.setToolTip(
            QCoreApplication.translate("ShareList", "Choose files to share")
        )
        self.add_files_button.clicked.connect(self.choose_files)
        self.add_folder_button = QPushButton(
            QCoreApplication.translate("ShareList", "Add fol&der…"), self
        )
        self.add_folder_button.setObjectName("addFolderButton")
        self.add_folder_button.setToolTip(
            QCoreApplication.translate(
                "ShareList",
                "Share every file in a folder and its subfolders (hidden files and links "
                "leading out of the folder are left out)",
            )
        )
        self.add_folder_button.clicked.connect(self.choose_folder)
        self.remove_button = QPushButton(QCoreApplication.translate("ShareList", "&Remove"), self)
        self.remove_button.setObjectName("removeButton")
        self.remove_button.setToolTip(
            QCoreApplication.translate(
                "ShareList", "Stop sharing the selected files (Delete); the files are not deleted"
            )
        )
        self.remove_button.clicked.connect(self.remove_selected)
        remove_key = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.view)
        remove_key.setContext(Qt.ShortcutContext.WidgetShortcut)
        remove_key.activated.connect(self.remove_selected)

        self.summary = QLabel(self)
        self.summary.setObjectName("shareSummary")

        buttons = QHBoxLayout()
        buttons.addWidget(self.add_files_button)
        buttons.addWidget(self.add_folder_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        buttons.addWidget(self.summary)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)

        QWidget.setTabOrder(self.view, self.add_files_button)
        QWidget.setTabOrder(self.add_files_button, self.add_folder_button)
        QWidget.setTabOrder(self.add_folder_button, self.remove_button)

        # The checksum thread only raises a flag; the GUI thread looks at it a few times a second.
        self._poll = QTimer(self)
        self._poll.setInterval(250)
        self._poll.timeout.connect(self._poll_changes)
        self._poll.start()
        self._refresh()

    # -- adding and removing -------------------------------------------------------------------

    def add_paths(self, paths: Iterable[str | Path]) -> AddResult:
        """Share files, and the files of folders (recursively); reports through ``paths_added``."""
        result = AddResult()

        def skipped(path: str, reason: str) -> None:
            result.skipped.append((path, reason))

        for path in paths:
            try:
                if Path(path).is_dir():
                    names = self.share.add_folder(path, on_skip=skipped)
                else:
                    names = [self.share.add(path)]
            except LocalFileError as exc:
                result.errors.append(str(exc))
                continue
            result.added.extend(name for name in names if name not in result.added)
        self._refresh()
        self.paths_added.emit(result)
        return result

    def choose_files(self) -> None:
        paths, _filter = QFileDialog.getOpenFileNames(
            self, QCoreApplication.translate("ShareList", "Share files")
        )
        if paths:
            self.add_paths(paths)

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, QCoreApplication.translate("ShareList", "Share a folder")
        )
        if folder:
            self.add_paths([folder])

    def selected_names(self) -> list[str]:
        rows = sorted({index.row() for index in self.view.selectionModel().selectedRows()})
        return [self.model.entry(row).name for row in rows]

    def remove_selected(self) -> list[str]:
        names = self.selected_names()
        self.remove(names)
        return names

    def remove(self, names: Iterable[str]) -> None:
        """Stop sharing these display names (a running server answers 404 for them at once)."""
        for name in names:
            self.share.remove(name)
        self._refresh()

    def names(self) -> list[str]:
        return [entry.name for entry in self.model.entries()]

    def close_share(self) -> None:
        """Stop the checksum thread (the window is closing)."""
        self._poll.stop()
        self.share.close()

    # -- internals -----------------------------------------------------------------------------

    def _mark_dirty(self) -> None:
        self._dirty = True  # called on the checksum thread: nothing else may happen here

    def _poll_changes(self) -> None:
        if self._dirty:
            self._dirty = False
            self._refresh()

    def _refresh(self) -> None:
        self.model.sync()
        count = self.model.rowCount()
        if count == 0:
            text = QCoreApplication.translate("ShareList", "No files shared")
        elif count == 1:
            text = QCoreApplication.translate("ShareList", "1 file · {size}").format(
                size=format_bytes(self.model.total_size())
            )
        else:
            text = QCoreApplication.translate("ShareList", "{count} files · {size}").format(
                count=format_count(count), size=format_bytes(self.model.total_size())
            )
        self.summary.setText(text)
        self._update_buttons()
        self.changed.emit()

    def _update_buttons(self, *_args: object) -> None:
        self.remove_button.setEnabled(bool(self.view.selectionModel().selectedRows()))
