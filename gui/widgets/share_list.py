"""The file server's share list: what is shared, under which name, with its checksum.

:class:`ShareList` is the widget: the tree (``shareList``, its model is
:class:`gui.widgets.share_list_model.ShareListModel`), which takes drops of files and folders
from the file manager, and the Add files…, Add folder… and Remove buttons. It owns a
:class:`net.share.ShareTable` (the same table the running server reads, so files can be added or
removed while serving). Checksums are computed by the table's own thread, which rings a doorbell
when it has news: the list is redrawn on the GUI thread when, and only when, something changed.
A timer looks every few seconds whether shared files are still on disk: a file moved away is
shown as missing (the server no longer lists it) until it is back.

A shared folder keeps its tree (its files are listed as "photos/2024/a.jpg"). Folders are walked on
a worker thread, never on the GUI thread: a folder of 100,000 files takes seconds to walk, and the
window stays responsive meanwhile (the summary says which folder is being read); the doorbell
brings the walk's result, and ``paths_added`` is emitted once the whole add is done.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QItemSelectionModel, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QFontMetrics, QKeySequence, QPainter, QPaintEvent, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHeaderView,
    QLabel,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from gui.widgets.counters import format_bytes, format_count
from gui.widgets.drops import FileDropTarget, local_paths
from gui.widgets.forms import button_row, named, push_buttons
from gui.widgets.share_list_model import SHORT_HASH, ShareListModel
from gui.widgets.style import monospace_font, text_color
from gui.widgets.tables import read_only_look
from net.share import LocalFileError, ShareTable

__all__ = [
    "SHORT_HASH",
    "AddResult",
    "FileDropTarget",
    "ShareList",
    "ShareListModel",
    "local_paths",
]

#: How often (ms) the list looks whether shared files are still on disk (one stat per file).
MISSING_CHECK_MS = 2000
#: Most shared paths remembered between runs (settings stay small).
REMEMBERED_PATHS = 10_000


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

        tip = self.tr("The files this server offers; drop files or folders here to share them")
        self.view = named(
            _ShareView(self), "shareList", accessible=self.tr("Shared files"), tip=tip
        )
        self.view.setModel(self.model)
        read_only_look(self.view, QAbstractItemView.SelectionMode.ExtendedSelection)
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

        self.add_files_button, self.add_folder_button, self.remove_button = push_buttons(
            self,
            (
                self.tr("Add f&iles…"),
                "addFilesButton",
                self.choose_files,
                self.tr("Choose files to share"),
            ),
            (
                self.tr("Add fol&der…"),
                "addFolderButton",
                self.choose_folder,
                self.tr(
                    "Share every file in a folder and its subfolders (hidden files and "
                    "links leading out of the folder are left out)"
                ),
            ),
            (
                self.tr("&Remove"),
                "removeButton",
                self.remove_selected,
                self.tr("Stop sharing the selected files (Delete); the files are not deleted"),
            ),
        )
        remove_key = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.view)
        remove_key.setContext(Qt.ShortcutContext.WidgetShortcut)
        remove_key.activated.connect(self.remove_selected)

        self.summary = QLabel(self)
        self.summary.setObjectName("shareSummary")
        self.summary.setWordWrap(True)  # "Reading … 12,000 files found" in a narrow column

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.summary)
        layout.addLayout(
            button_row(self.add_files_button, self.add_folder_button, self.remove_button)
        )

        for first, then in itertools.pairwise(self.focus_chain()):
            QWidget.setTabOrder(first, then)

        self._missing_check = QTimer(self)
        self._missing_check.setInterval(MISSING_CHECK_MS)
        self._missing_check.timeout.connect(self.check_missing)
        self._missing_check.start()
        self._refresh()

    def focus_chain(self) -> list[QWidget]:
        """The list, then its buttons (in tab order)."""
        return [self.view, self.add_files_button, self.add_folder_button, self.remove_button]

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
        paths, _filter = QFileDialog.getOpenFileNames(self, self.tr("Share files"))
        if paths:
            self.add_paths(paths)

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Share a folder"))
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
        size = format_bytes(self.model.total_size())
        files = self.tr("{count} files · {size}").format(count=format_count(count), size=size)
        walking = self.walking()
        if walking:
            text = self.tr("Reading {folder}…").format(folder=Path(walking[0]).name or walking[0])
            found = self.files_found()
            if found:
                text += " " + self.tr("{count} files found").format(count=format_count(found))
            if count:
                text += " · " + files
        else:
            if count == 0:
                text = self.tr("No files shared")
            elif count == 1:
                text = self.tr("1 file · {size}").format(size=size)
            else:
                text = files
            missing = len(self.model.missing())
            if missing:
                text += self.tr(" · {count} missing").format(count=format_count(missing))
        self.summary.setText(text)

    def _update_buttons(self, *_args: object) -> None:
        self.remove_button.setEnabled(bool(self.selected_names()))
