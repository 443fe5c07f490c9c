"""The share list's model: a :class:`net.share.ShareTable` as a tree of files and folders.

Files shared alone and shared folders are at the top, in the order they were added; a folder's
folders and files are below it. The model keeps up with the table cheaply: a new shape (a file
came or went) rebuilds the tree, new checksums only change their rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QFont

from gui.widgets.counters import format_bytes, format_count
from gui.widgets.style import monospace_font, text_color
from gui.widgets.table_model import header_text
from net.share import SharedFile, SharedFolder, ShareTable

__all__ = ["SHORT_HASH", "ShareListModel"]

_Index = QModelIndex | QPersistentModelIndex
#: Hex digits of a checksum shown in a list; the tooltip has all 64.
SHORT_HASH = 12


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
        shown = [n.file for n in files if n.file is not None]
        self.beginResetModel()
        self._top, self._by_name, self._file_nodes = top, by_name, files
        self._folder_nodes = folder_nodes
        self._sizes = _folder_sizes(shown)
        self._total = sum(f.size for f in shown)
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
            self._sizes = _folder_sizes(self._files)

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
        return header_text(self._headers, section, orientation, role)

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


def _folder_sizes(files: Iterable[SharedFile]) -> dict[str, tuple[int, int]]:
    """Folder key -> (files, bytes) of every file below it, at any depth."""
    sizes: dict[str, tuple[int, int]] = {}
    for f in files:
        for key in _ancestors(f.name):
            count, size = sizes.get(key, (0, 0))
            sizes[key] = (count + 1, size + f.size)
    return sizes


def _ancestors(key: str) -> Iterator[str]:
    """The folder keys above a file's key: "a/b/c.txt" -> "a/b", "a"."""
    parent = key.rpartition("/")[0]
    while parent:
        yield parent
        parent = parent.rpartition("/")[0]
