"""The file server's share list: what is shared, under which name, with its checksum.

:class:`ShareListModel` shows a :class:`net.share.ShareTable` (the same table the running server
reads, so files can be added or removed while serving). :class:`ShareList` is the widget: the
table (``shareList``), which takes drops of files and folders from the file manager, and the
Add files…, Add folder… and Remove buttons. Checksums are computed by the table's own thread; the
table only raises a flag, and a timer on the GUI thread picks the news up a few times a second.
The same timer looks every few seconds whether shared files are still on disk: a file moved away
is shown as missing (the server no longer lists it) until it is back.

A shared folder keeps its tree (its files are listed as "photos/2024/a.jpg"). Folders are walked on
a worker thread, never on the GUI thread: a folder of 100,000 files takes seconds to walk, and the
window stays responsive meanwhile (the summary says which folder is being read); the same timer
picks the walk's result up, and ``paths_added`` is emitted once the whole add is done.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QCoreApplication,
    QItemSelectionModel,
    QMimeData,
    QModelIndex,
    QObject,
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
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from gui.widgets.counters import format_bytes, format_count
from gui.widgets.style import monospace_font, text_color
from net.share import LocalFileError, SharedFile, SharedFolder, ShareTable

__all__ = ["AddResult", "ShareList", "ShareListModel", "local_paths"]

_Index = QModelIndex | QPersistentModelIndex
#: Hex digits of the checksum shown in the list; the tooltip has all 64.
SHORT_HASH = 12
#: How often (ms) the list looks whether shared files are still on disk (one stat per file).
MISSING_CHECK_MS = 2000
#: Most shared paths remembered between runs (settings stay small).
REMEMBERED_PATHS = 10_000


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
    done: bool = True  # False while folders of this add are still being walked


class _Doorbell(QObject):
    """What the checksum and folder-walk threads ring when the share changed: a parentless object
    that they keep alive, so a ring after the list was deleted goes nowhere instead of touching a
    deleted widget (Qt drops a deleted receiver's connections)."""

    rung = Signal()

    def ring(self) -> None:
        self.rung.emit()


class _FolderWalk:
    """Folders of one add, walked into the share table on a thread of their own; every 1,000 files
    and when it is done it calls ``on_news`` (on its thread), and the GUI thread then reads :attr:`result` (the
    walk never touches a widget)."""

    def __init__(
        self,
        share: ShareTable,
        folders: list[str],
        result: AddResult,
        on_news: Callable[[], object],
    ) -> None:
        self.result = result
        self.folders = folders
        self.finished = threading.Event()
        self._on_news = on_news
        self.found = 0  # files found so far in the folder being walked (an int: set atomically)
        self._share = share
        self._thread = threading.Thread(target=self._run, name="swb-share-walk", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        added: list[str] = []
        skipped: list[tuple[str, str]] = []
        errors: list[str] = []
        try:
            for folder in self.folders:
                try:
                    names = self._share.add_folder(
                        folder,
                        on_skip=lambda path, why: skipped.append((path, why)),
                        on_progress=self._progress,
                    )
                except LocalFileError as exc:
                    errors.append(str(exc))
                    continue
                added.extend(names)
        finally:
            # Handed over in one piece, after the walk: the GUI thread reads them only then.
            known = set(self.result.added)  # a set: 100,000 names against 100,000
            self.result.added.extend(n for n in added if n not in known)
            self.result.skipped.extend(skipped)
            self.result.errors.extend(errors)
            self.finished.set()
            self._on_news()

    def _progress(self, count: int) -> None:
        self.found = count  # the walk's thread: the GUI thread reads it when the bell rings
        self._on_news()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the walk ends (tests, closing); True when it did."""
        return self.finished.wait(timeout)


@dataclass(eq=False, slots=True)
class _Node:
    """One row of the tree: a file (``file``) or a folder (``folder``)."""

    parent: _Node | None
    row: int
    file: SharedFile | None = None
    folder: SharedFolder | None = None
    children: list[_Node] = field(default_factory=list)

    @property
    def name(self) -> str:
        item = self.file or self.folder
        assert item is not None
        return item.name

    @property
    def label(self) -> str:
        """What the row shows: the file's or folder's own name (its folders are its parents)."""
        return self.name.rpartition("/")[2] if self.parent is not None else self.name


class ShareListModel(QAbstractItemModel):
    """The ShareTable as a tree: files shared alone and shared folders at the top (in the order
    they were added), each folder's folders and files below it. Columns: name, size, SHA-256
    (a folder's size is the sum of its files'; its third column counts them)."""

    NAME, SIZE, SHA256 = range(3)

    def __init__(self, share: ShareTable, parent: Any = None) -> None:
        super().__init__(parent)
        self._headers = [
            QCoreApplication.translate("ShareList", "Name"),
            QCoreApplication.translate("ShareList", "Size"),
            QCoreApplication.translate("ShareList", "SHA-256"),
        ]
        self._share = share
        self._top: list[_Node] = []
        self._version = -1  # the table's shape_version the tree was built from
        self._by_name: dict[str, _Node] = {}
        self._file_nodes: list[_Node] = []  # every file's row, in list order
        self._folder_nodes: list[_Node] = []  # every folder's row, parents first
        self._total = 0  # bytes of every file shown
        self._sizes: dict[str, tuple[int, int]] = {}  # folder key -> (files, bytes) below it
        self._missing: set[str] = set()  # keys of files gone from disk
        self._computing = QCoreApplication.translate("ShareList", "computing…")
        self._missing_text = QCoreApplication.translate("ShareList", "missing")
        self._mono = monospace_font()
        self._italic = QFont()
        self._italic.setItalic(True)
        self._bold = QFont()
        self._bold.setBold(True)

    # -- keeping up with the table -------------------------------------------------------------

    def sync(self) -> bool:
        """Catch up with the table: a new shape resets the tree (the widget keeps what was
        expanded); new checksums only change their rows. Returns whether the tree was reset.

        A big folder gets its checksums over minutes, and this runs a few times a second then:
        unless a file came or went (:attr:`ShareTable.shape_version`), no node is made anew.
        """
        version = self._share.shape_version
        if version == self._version:
            self._update_files()
            return False
        # Every file shared alone, gone from disk or not (a missing one is shown as missing).
        singles = [f for f in self._share.files() if "/" not in f.name]
        folders = self._share.shared_folders()
        top: list[_Node] = []
        by_name: dict[str, _Node] = {}
        files: list[_Node] = []
        folder_nodes: list[_Node] = []
        sizes: dict[str, tuple[int, int]] = {}
        for f in singles:
            node = _Node(None, len(top), file=f)
            top.append(node)
            by_name[f.name] = node
            files.append(node)
        for folder in folders:
            sub_folders, sub_files = self._share.tree(folder.name)
            for sub in sub_folders:
                parent = by_name.get(sub.name.rpartition("/")[0])
                siblings = parent.children if parent is not None else top
                node = _Node(parent, len(siblings), folder=sub)
                siblings.append(node)
                by_name[sub.name] = node
                folder_nodes.append(node)
            for f in sub_files:
                parent = by_name.get(f.parent)
                if parent is None:
                    continue
                parent.children.append(_Node(parent, len(parent.children), file=f))
                by_name[f.name] = parent.children[-1]
                files.append(parent.children[-1])
                for key in _ancestors(f.name):
                    count, size = sizes.get(key, (0, 0))
                    sizes[key] = (count + 1, size + f.size)
        self.beginResetModel()
        self._top, self._by_name, self._file_nodes, self._sizes = top, by_name, files, sizes
        self._folder_nodes = folder_nodes
        self._total = sum(n.file.size for n in files if n.file is not None)
        self._version = version
        self.endResetModel()
        return True

    def _update_files(self) -> None:
        """New checksums (or sizes, times) of the files already shown: one dataChanged per
        folder for the rows between the first and the last that changed (a big folder's
        checksums arrive by the thousand between two polls)."""
        spans: dict[int, tuple[_Node | None, int, int]] = {}  # id(parent) -> (parent, rows)
        resized = False
        for f in self._share.files():
            node = self._by_name.get(f.name)
            # The table replaces an entry when it changes: the same object is the same entry.
            if node is None or node.file is None or node.file is f:
                continue
            resized = resized or node.file.size != f.size
            node.file = f
            parent, first, last = spans.get(id(node.parent), (node.parent, node.row, node.row))
            spans[id(node.parent)] = (parent, min(first, node.row), max(last, node.row))
        for parent, first, last in spans.values():
            siblings = parent.children if parent is not None else self._top
            self.dataChanged.emit(
                self.createIndex(first, 0, siblings[first]),
                self.createIndex(last, 2, siblings[last]),
            )
        if resized:
            self._total = sum(f.size for f in self._files)
            self._sizes = {}
            for f in self._files:
                for key in _ancestors(f.name):
                    count, size = self._sizes.get(key, (0, 0))
                    self._sizes[key] = (count + 1, size + f.size)

    def set_missing(self, names: Iterable[str]) -> None:
        """Mark the rows whose file is no longer on disk (and unmark those back again)."""
        missing = set(names)
        if missing == self._missing:
            return
        changed = missing ^ self._missing
        self._missing = missing
        for name in changed:
            node = self._by_name.get(name)
            if node is not None:
                self.dataChanged.emit(
                    self.createIndex(node.row, 0, node), self.createIndex(node.row, 2, node)
                )

    def missing(self) -> list[str]:
        """Keys of the files shown as missing, in list order."""
        if not self._missing:
            return []
        return [f.name for f in self._files if f.name in self._missing]

    def entries(self) -> list[SharedFile]:
        """Every shared file, in list order (top to bottom, folders expanded)."""
        return list(self._files)

    @property
    def _files(self) -> list[SharedFile]:
        return [n.file for n in self._file_nodes if n.file is not None]

    def total_size(self) -> int:
        return self._total

    def file_count(self) -> int:
        return len(self._file_nodes)

    def pending(self) -> int:
        """Files whose checksum is not known yet."""
        return sum(1 for f in self._files if f.sha256 is None)

    def node(self, index: _Index) -> _Node | None:
        return index.internalPointer() if index.isValid() else None

    def folder_names(self) -> list[str]:
        """Keys of every folder row, parents first."""
        return [node.name for node in self._folder_nodes]

    def index_of(self, name: str) -> QModelIndex:
        """The index of the row with this key (a file or a folder), or an invalid one."""
        node = self._by_name.get(name)
        return self.createIndex(node.row, 0, node) if node is not None else QModelIndex()

    # -- QAbstractItemModel --------------------------------------------------------------------

    def index(self, row: int, column: int, parent: _Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        siblings = self._siblings(parent)
        if not (0 <= row < len(siblings) and 0 <= column < len(self._headers)):
            return QModelIndex()
        return self.createIndex(row, column, siblings[row])

    def parent(self, index: _Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        node = self.node(index)
        if node is None or node.parent is None:
            return QModelIndex()
        return self.createIndex(node.parent.row, 0, node.parent)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        if parent.isValid() and parent.column() != 0:
            return 0
        return len(self._siblings(parent))

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return len(self._headers)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._headers[section]
        return None

    def _siblings(self, parent: _Index) -> list[_Node]:
        node = self.node(parent)
        return self._top if node is None else node.children

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        node = self.node(index)
        if node is None:
            return None
        if node.file is None:
            return self._folder_data(node, index.column(), role)
        entry = node.file
        column = index.column()
        gone = entry.name in self._missing
        if role == Qt.ItemDataRole.DisplayRole:
            if column == self.NAME:
                return node.label
            if column == self.SIZE:
                return format_bytes(entry.size)
            if gone:
                return self._missing_text
            if entry.sha256 is None:
                return self._computing
            return entry.sha256[:SHORT_HASH] + "…"
        if role == Qt.ItemDataRole.ToolTipRole:
            if gone:
                return QCoreApplication.translate(
                    "ShareList",
                    "{path} is no longer there (moved or deleted): it is not offered until it "
                    "is back",
                ).format(path=str(entry.path))
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
        if role == Qt.ItemDataRole.ForegroundRole:
            if gone:
                return text_color("error")
            if column == self.SHA256:
                return text_color("dim") if entry.sha256 is None else None
        if role == Qt.ItemDataRole.TextAlignmentRole and column == self.SIZE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.UserRole:
            return entry.name
        return None

    def _folder_data(self, node: _Node, column: int, role: int) -> Any:
        count, size = self._sizes.get(node.name, (0, 0))
        if role == Qt.ItemDataRole.DisplayRole:
            if column == self.NAME:
                return node.label + "/"
            if column == self.SIZE:
                return format_bytes(size)
            # No plural form needed ("files: 1"): lupdate sees plurals only in self.tr().
            return QCoreApplication.translate("ShareList", "files: {count}").format(
                count=format_count(count)
            )
        if role == Qt.ItemDataRole.ToolTipRole and column == self.NAME and node.folder:
            return str(node.folder.path)
        if role == Qt.ItemDataRole.FontRole and column == self.NAME:
            return self._bold
        if role == Qt.ItemDataRole.ForegroundRole and column == self.SHA256:
            return text_color("dim")
        if role == Qt.ItemDataRole.TextAlignmentRole and column == self.SIZE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.UserRole:
            return node.name
        return None


def _walk(nodes: list[_Node]) -> Iterator[_Node]:
    """Every node, depth first, parents before their children."""
    for node in nodes:
        yield node
        yield from _walk(node.children)


def _ancestors(key: str) -> Iterator[str]:
    """The folder keys above a file's key: "a/b/c.txt" -> "a/b", "a"."""
    parent = key.rpartition("/")[0]
    while parent:
        yield parent
        parent = parent.rpartition("/")[0]


class _ShareView(FileDropTarget, QTreeView):
    """The tree; files and folders dropped on it are announced with ``paths_dropped``."""

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

    def selectRow(self, row: int) -> None:
        """Select the top-level row ``row`` (a file shared alone, or a shared folder)."""
        model = self.model()
        index = model.index(row, 0)
        self.selectionModel().select(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.setCurrentIndex(index)

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
        self._closed = False
        # Rung on the checksum and folder-walk threads; queued, it runs _take_news on the GUI
        # thread (no polling: the list is redrawn when, and only when, something changed).
        self._doorbell = _Doorbell()
        self._doorbell.rung.connect(self._take_news, Qt.ConnectionType.QueuedConnection)
        self._walks: list[_FolderWalk] = []
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
        self.view.setUniformRowHeights(True)
        header = self.view.header()
        header.setStretchLastSection(False)
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
        self.summary.setWordWrap(True)  # "Reading … 12,000 files found" in a narrow column

        buttons = QHBoxLayout()
        buttons.addWidget(self.add_files_button)
        buttons.addWidget(self.add_folder_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.summary)
        layout.addLayout(buttons)

        QWidget.setTabOrder(self.view, self.add_files_button)
        QWidget.setTabOrder(self.add_files_button, self.add_folder_button)
        QWidget.setTabOrder(self.add_folder_button, self.remove_button)

        self._missing_check = QTimer(self)
        self._missing_check.setInterval(MISSING_CHECK_MS)
        self._missing_check.timeout.connect(self.check_missing)
        self._missing_check.start()
        self._refresh()

    # -- adding and removing -------------------------------------------------------------------

    def add_paths(self, paths: Iterable[str | Path]) -> AddResult:
        """Share files, and folders with their trees; reports through ``paths_added``.

        Files are added at once; folders are walked on a worker thread (see the module's
        docstring): the result then has ``done`` False, is completed when the walk ends, and
        ``paths_added`` is emitted then. :meth:`wait_walks` waits for them.
        """
        result = AddResult()
        folders: list[str] = []
        for path in paths:
            if Path(path).is_dir():
                folders.append(str(path))
                continue
            try:
                name = self.share.add(path)
            except LocalFileError as exc:
                result.errors.append(str(exc))
                continue
            if name not in result.added:
                result.added.append(name)
        self._refresh()
        if folders:
            result.done = False
            self._walks.append(_FolderWalk(self.share, folders, result, self._doorbell.ring))
            self._update_summary()
        else:
            self.paths_added.emit(result)
        return result

    def walking(self) -> list[str]:
        """The folders being walked now (added, not yet in the list)."""
        return [folder for walk in self._walks for folder in walk.folders]

    def files_found(self) -> int:
        """Files found so far by the folder walks under way (counted every 1,000 files)."""
        return sum(walk.found for walk in self._walks)

    def wait_walks(self, timeout: float | None = None) -> bool:
        """Block until every folder walk has ended and its result is shown (tests, closing);
        True when they did within ``timeout`` seconds."""
        ok = all(walk.wait(timeout) for walk in list(self._walks))
        self._take_walks()
        return ok

    def _take_walks(self) -> None:
        for walk in [w for w in self._walks if w.finished.is_set()]:
            self._walks.remove(walk)
            walk.result.done = True
            self._refresh()
            self.paths_added.emit(walk.result)

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
        """Keys of the selected top-level rows (files shared alone, shared folders): what Remove
        takes away. A file inside a shared folder comes back with the folder's next walk, so
        only whole folders are removed."""
        top = [
            index
            for index in self.view.selectionModel().selectedRows()
            if not index.parent().isValid()
        ]
        return [self.model.node(index).name for index in sorted(top, key=lambda i: i.row())]  # type: ignore[union-attr]

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
        """Keys of every shared file, in list order."""
        return [entry.name for entry in self.model.entries()]

    def paths(self) -> list[str]:
        """What is remembered between runs, at most :data:`REMEMBERED_PATHS`: the paths of the
        files shared alone, in list order, then of the shared folders (not of their files)."""
        singles = [str(e.path) for e in self.share.files() if "/" not in e.name]
        folders = [str(folder.path) for folder in self.share.shared_folders()]
        return (singles + folders)[:REMEMBERED_PATHS]

    def restore_paths(self, paths: Iterable[str]) -> list[str]:
        """Share again the files and folders of an earlier run, in their order (folders are
        walked on a worker thread); returns the paths that could not be shared any more (gone,
        unreadable), for the caller to say so."""
        gone: list[str] = []
        folders: list[str] = []
        for path in list(paths)[:REMEMBERED_PATHS]:
            if Path(path).is_dir():
                folders.append(path)
                continue
            try:
                self.share.add(path)
            except LocalFileError:
                gone.append(path)
        if folders:
            self._walks.append(
                _FolderWalk(self.share, folders, AddResult(done=False), self._doorbell.ring)
            )
        self._refresh()
        return gone

    def check_missing(self) -> list[str]:
        """Look now which shared files are gone from disk; the rows show it. Returns their names."""
        missing = self.share.missing()
        self.model.set_missing(missing)
        self._update_summary()
        return missing

    def close_share(self) -> None:
        """Stop the checksum thread (the window is closing)."""
        self._closed = True
        self._missing_check.stop()
        self.share.close()

    # -- internals -----------------------------------------------------------------------------

    def _mark_dirty(self) -> None:
        # Called on the checksum thread: raise the flag and wake the GUI thread once for all the
        # changes until it looks (a big folder's checksums arrive by the hundred).
        if not self._dirty:
            self._dirty = True
            self._doorbell.ring()

    def _take_news(self) -> None:
        if self._closed:
            return
        if self._walks:
            self._take_walks()
            self._update_summary()  # the count of files found so far
        if self._dirty:
            self._dirty = False
            # Checksums arrive often for a big folder: no stat of every file each time; the
            # missing check runs on its own, slower timer.
            self._refresh(check_missing=False)

    def _refresh(self, *, check_missing: bool = True) -> None:
        expanded = [
            name
            for name in self.model.folder_names()
            if self.view.isExpanded(self.model.index_of(name))
        ]
        if self.model.sync():
            for name in expanded:  # a new shape rebuilt the tree: open what was open
                index = self.model.index_of(name)
                if index.isValid():
                    self.view.setExpanded(index, True)
        if check_missing:
            self.model.set_missing(self.share.missing())
        self._update_summary()
        self._update_buttons()
        self.changed.emit()

    def _update_summary(self) -> None:
        count = self.model.file_count()
        walking = self.walking()
        if walking:
            text = QCoreApplication.translate("ShareList", "Reading {folder}…").format(
                folder=Path(walking[0]).name or walking[0]
            )
            found = self.files_found()
            if found:
                text += " " + QCoreApplication.translate("ShareList", "{count} files found").format(
                    count=format_count(found)
                )
            if count:
                text += " · " + QCoreApplication.translate(
                    "ShareList", "{count} files · {size}"
                ).format(count=format_count(count), size=format_bytes(self.model.total_size()))
            self.summary.setText(text)
            return
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
        missing = len(self.model.missing())
        if missing:
            text += QCoreApplication.translate("ShareList", " · {count} missing").format(
                count=format_count(missing)
            )
        self.summary.setText(text)

    def _update_buttons(self, *_args: object) -> None:
        self.remove_button.setEnabled(bool(self.selected_names()))
