"""The server's file list in the Download panel: a table model that renders rows on demand.

Folders (issue 20) come first, as the server lists them, with a folder icon and the bytes below
them; the panel opens them on a double-click.

A share may list 100,000 files; a QTableWidget makes three items per row up front and blocks the
window for seconds. This model keeps the parsed list and formats only the rows the view shows.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QApplication, QStyle

from gui.widgets import format_bytes, format_count, monospace_font
from gui.widgets.share_list_model import SHORT_HASH
from gui.widgets.table_model import RowTableModel
from net.download import RemoteFile

__all__ = ["SHORT_HASH", "RemoteFilesModel"]

Index = QModelIndex | QPersistentModelIndex


class RemoteFilesModel(RowTableModel):
    """Rows of :class:`RemoteFile`: name (tooltip: URL), size (tooltip: bytes), SHA-256 (short);
    a folder's row has a folder icon and no checksum."""

    COLUMNS = NAME, SIZE, SHA = range(3)

    def __init__(self, parent: object = None) -> None:
        # The strings keep the Download panel's translation context (they were its own);
        # literal calls, so that lupdate finds them.
        super().__init__(
            [
                QCoreApplication.translate("DownloadPanel", "Name"),
                QCoreApplication.translate("DownloadPanel", "Size"),
                QCoreApplication.translate("DownloadPanel", "SHA-256"),
            ],
            parent,
        )
        self._rows: list[RemoteFile] = []
        self._mono = monospace_font()
        style = QApplication.style()
        self._folder_icon = style.standardIcon(QStyle.StandardPixmap.SP_DirIcon)
        self._file_icon = style.standardIcon(QStyle.StandardPixmap.SP_FileIcon)

    @property
    def files(self) -> list[RemoteFile]:
        """The rows shown, in order."""
        return self._rows

    def set_files(self, files: list[RemoteFile]) -> None:
        """Show ``files`` (one reset: the view asks only for the rows it paints)."""
        self.beginResetModel()
        self._rows = list(files)
        self.endResetModel()

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self.files):
            return None
        remote, column = self.files[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(remote, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tip(remote, column)
        if role == Qt.ItemDataRole.DecorationRole and column == self.NAME:
            return self._folder_icon if remote.kind == "folder" else self._file_icon
        if role == Qt.ItemDataRole.TextAlignmentRole and column == self.SIZE:
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        if role == Qt.ItemDataRole.FontRole and column == self.SHA:
            return self._mono
        return None

    def _text(self, remote: RemoteFile, column: int) -> str:
        """Name, size, and the checksum's start ("folder" for a folder)."""
        if column == self.NAME:
            return remote.name
        if column == self.SIZE:
            return format_bytes(remote.size)
        if remote.kind == "folder":
            return QCoreApplication.translate("DownloadPanel", "folder")
        if remote.sha256:
            return remote.sha256[:SHORT_HASH] + "…"
        return QCoreApplication.translate("DownloadPanel", "not known")

    def _tip(self, remote: RemoteFile, column: int) -> str:
        """The URL, the exact size, and the whole checksum (or why there is none)."""
        if column == self.NAME:
            if remote.kind == "folder":
                return QCoreApplication.translate(
                    "DownloadPanel", "{url}\nDouble-click to open the folder"
                ).format(url=remote.url)
            return remote.url
        if column == self.SIZE:
            return QCoreApplication.translate(
                "DownloadPanel", "{count} bytes", "", remote.size
            ).format(count=format_count(remote.size))
        if remote.kind == "folder":
            return QCoreApplication.translate(
                "DownloadPanel", "Each file in it is verified on its own"
            )
        return remote.sha256 or QCoreApplication.translate(
            "DownloadPanel", "The server has not computed the checksum yet"
        )
