"""Dropping files from the file manager: which local files and folders a drag carries, and a
mixin that lets a widget take them (the share list and the File Server panel share them; the
Download panel uploads what is dropped on it)."""

from __future__ import annotations

from PySide6.QtCore import QMimeData
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent

__all__ = ["FileDropTarget", "local_paths"]


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
