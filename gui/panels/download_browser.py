"""The Download panel's "Server" box: the share's address (:mod:`gui.panels.download_address`)
and the server's file list with its folders (issue 20).

Listing runs on a worker (:class:`net.download.FileListRequest`); the parsed list reaches
:class:`gui.panels.remote_files.RemoteFilesModel`, which formats only the rows the view paints.
A 401 answer asks for the share's password once and lists again with it.
"""

from __future__ import annotations

import html
import urllib.parse
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from gui.panels.download_address import ShareAddress
from gui.panels.remote_files import RemoteFilesModel
from gui.runner import Runner
from gui.widgets import StatusLine, format_count
from gui.widgets.forms import named, push_button, push_buttons
from gui.widgets.tables import size_columns, table_look
from net.download import (
    FileListRequest,
    RemoteFile,
    parse_share_url,
    with_password,
)

__all__ = ["LIST_TIMEOUT", "ShareBrowser"]

LIST_TIMEOUT = 10.0


class ShareBrowser(QGroupBox):
    """The share's address (:class:`ShareAddress`) and the list of the server's files, with
    Up, the folder path, and Download selected / folder / everything.

    Args:
        parent: the panel.
        status: the panel's status line.
        runner: the worker that lists (the panel made it, so closing the window stops it).
        ask_password: asks the user for a server's password; None when cancelled.
        mirror_actions: what Download selected, Download folder and Download everything do.

    Signals:
        changed(): what the panel's buttons depend on changed (URL, list, selection).
        download_requested(): Return in a URL naming a file.
        file_activated(int): a double-click on a file's row.
    """

    changed = Signal()
    download_requested = Signal()
    file_activated = Signal(int)

    def __init__(
        self,
        parent: QWidget,
        status: StatusLine,
        runner: Runner,
        ask_password: Callable[[str], str | None],
        mirror_actions: tuple[Callable[[], object], ...],
    ) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Server"))
        self._status = status
        self._ask_password = ask_password
        self.runner = runner
        runner.returned.connect(self._on_listed)
        runner.failed.connect(self._on_list_failed)
        runner.finished.connect(self._on_list_finished)
        #: The shared folder shown in the list, as the server's key ("" the root, "photos/2024").
        self.folder_key = ""
        self.list_origin: str | None = None  # the share URL of the list shown
        self._pending: tuple[str, str] = ("", "")  # (share URL, folder key) being listed
        self._retry: tuple[str, str] | None = None  # (share URL with password, folder)
        self.cancelled = False
        self.address = address = ShareAddress(self, status)
        address.changed.connect(self.changed)
        address.download_requested.connect(self.download_requested)
        address.list_requested.connect(self.list_files)
        self.url_edit, self.raw_check = address.url_edit, address.raw_check
        self.list_button, self.security = address.list_button, address.security
        self._build_list(mirror_actions)
        layout = QVBoxLayout(self)
        layout.addWidget(address)
        nav_row = QHBoxLayout()
        nav_row.addWidget(self.up_button)
        nav_row.addWidget(self.breadcrumb, 1)
        for button in self.mirror_buttons:
            nav_row.addWidget(button)
        layout.addLayout(nav_row)
        layout.addWidget(self.remote, 1)

    def _build_list(self, mirror_actions: tuple[Callable[[], object], ...]) -> None:
        self.remote_model = RemoteFilesModel(self)
        tip = self.tr("The server's files: pick one to download, or double-click to download it")
        self.remote = named(QTableView(self), "remoteList", tip=tip)
        self.remote.setAccessibleName(self.tr("Files on the server"))
        self.remote.setModel(self.remote_model)
        table_look(self.remote, QAbstractItemView.SelectionMode.ExtendedSelection)
        self.remote.horizontalHeader().setSectionResizeMode(
            RemoteFilesModel.NAME, QHeaderView.ResizeMode.Stretch
        )
        size_columns(
            self.remote, [(RemoteFilesModel.SIZE, "999.9 MiB"), (RemoteFilesModel.SHA, "0" * 14)]
        )
        self.remote.selectionModel().currentRowChanged.connect(
            lambda current, _previous: self._on_remote_selected(current.row())
        )
        self.remote.selectionModel().selectionChanged.connect(lambda *_: self.changed.emit())
        self.remote.doubleClicked.connect(lambda index: self.activate_row(index.row()))
        back = QShortcut(QKeySequence(Qt.Key.Key_Backspace), self.remote)
        back.setContext(Qt.ShortcutContext.WidgetShortcut)
        back.activated.connect(self.go_up)
        self.up_button = push_button(
            self,
            self.tr("U&p"),
            "upButton",
            self.go_up,
            tip=self.tr("Show the folder above this one (Backspace)"),
        )
        self.breadcrumb = QLabel(self)
        self.breadcrumb.setObjectName("breadcrumb")
        self.breadcrumb.setTextFormat(Qt.TextFormat.RichText)
        self.breadcrumb.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.breadcrumb.linkActivated.connect(self._on_breadcrumb)
        selected, folder, everything = mirror_actions
        self.mirror_buttons = tuple(
            push_buttons(
                self,
                (
                    self.tr("Dow&nload selected"),
                    "downloadSelectedButton",
                    selected,
                    self.tr(
                        "Download the files and folders selected in the list into the save "
                        "folder (Ctrl+click or Shift+click picks several)"
                    ),
                ),
                (
                    self.tr("Do&wnload folder"),
                    "downloadFolderButton",
                    folder,
                    self.tr(
                        "Download the folder shown in the list, with everything in it, as a folder"
                    ),
                ),
                (
                    self.tr("Download everythin&g"),
                    "downloadAllButton",
                    everything,
                    self.tr(
                        "Download everything the server shares, keeping its folders; files "
                        "already there with the same SHA-256 are not fetched again"
                    ),
                ),
            )
        )
        self.download_selected_button, self.download_folder_button, self.download_all_button = (
            self.mirror_buttons
        )

    def focus_chain(self) -> list[QWidget]:
        """The box's controls in tab order."""
        return [
            *self.address.focus_chain(),
            self.up_button,
            self.remote,
            *self.mirror_buttons,
        ]

    # -- the list ------------------------------------------------------------------------------

    @property
    def listed(self) -> bool:
        """A list is shown and no other is being fetched."""
        return self.list_origin is not None and not self.runner.running

    def list_files(self) -> None:
        """List the folder the URL field names (a folder URL ends in "/"; a file URL names the
        folder it is in; a bare host:port the share's root)."""
        url = self.address.target_url()
        if url is not None:
            path = urllib.parse.urlsplit(parse_share_url(url).target).path
            parts = [urllib.parse.unquote(part) for part in path.split("/")[1:-1]]
            self.list_folder(url, "/".join(parts))

    def list_folder(self, url: str, key: str) -> None:
        """List the shared folder ``key`` ("" the root, "photos/2024") of the share at ``url``."""
        if self.runner.running:
            return
        ok, tls = self.address.checked_tls(url)
        if not ok:
            return
        self.remote_model.set_files([])
        self.cancelled = False
        self._pending = (url, key)
        self.runner.start(
            lambda: FileListRequest(url, tls=tls, timeout=LIST_TIMEOUT, folder=key),
            lambda listing: listing.run(),
        )
        self.changed.emit()
        self._status.show_info(
            self.tr("Asking {server} for its files…").format(server=parse_share_url(url).authority)
        )

    def cancel(self) -> None:
        if self.runner.running:
            self.cancelled = True
            self.runner.stop()

    def activate_row(self, row: int) -> None:
        """A double-click on ``row``: a folder opens, a file downloads."""
        files = self.remote_model.files
        if 0 <= row < len(files) and files[row].kind == "folder":
            if self.list_origin is not None:
                self.list_folder(self.list_origin, files[row].path)
        else:
            self.file_activated.emit(row)

    def go_up(self) -> None:
        """Show the folder above the one in the list."""
        if self.folder_key and self.list_origin is not None:
            self.list_folder(self.list_origin, self.folder_key.rpartition("/")[0])

    def selected_names(self) -> tuple[str, ...]:
        """Names of the rows selected in the list, top to bottom."""
        files = self.remote_model.files
        rows = sorted({index.row() for index in self.remote.selectionModel().selectedRows()})
        return tuple(files[row].name for row in rows if 0 <= row < len(files))

    def _on_breadcrumb(self, link: str) -> None:
        if self.list_origin is not None and link.isdigit():
            parts = self.folder_key.split("/") if self.folder_key else []
            self.list_folder(self.list_origin, "/".join(parts[: int(link)]))

    def _show_breadcrumb(self) -> None:
        parts = self.folder_key.split("/") if self.folder_key else []
        crumbs = [self.tr("Share"), *parts]
        shown = [
            html.escape(crumb)
            if depth == len(parts)
            else f'<a href="{depth}">{html.escape(crumb)}</a>'
            for depth, crumb in enumerate(crumbs)
        ]
        self.breadcrumb.setText(" › ".join(shown))
        self.breadcrumb.setToolTip("/" + self.folder_key)

    def _on_remote_selected(self, row: int) -> None:
        files = self.remote_model.files
        if 0 <= row < len(files):
            self.url_edit.setText(files[row].url)
            self.changed.emit()

    def _on_listed(self, files: list[RemoteFile]) -> None:
        if self.cancelled:
            return
        self.list_origin, self.folder_key = self._pending
        self._show_breadcrumb()
        # The list was parsed on the worker; the model formats only the rows the view paints.
        self.remote_model.set_files(files)
        count = format_count(len(files))
        if any(remote.kind == "folder" for remote in files):
            self._status.show_info(
                self.tr(
                    "{count} entries in this folder: double-click a folder to open it, "
                    "or pick several and Download selected",
                    "",
                    len(files),
                ).format(count=count)
            )
        elif not files:
            self._status.show_warning(self.tr("The server shares no files right now"))
        elif len(files) == 1:
            self._status.show_info(self.tr("1 file on the server: pick it and Download"))
        else:
            self._status.show_info(
                self.tr(
                    "{count} files on the server: pick one and Download", "", len(files)
                ).format(count=count)
            )

    def _on_list_failed(self, message: str) -> None:
        if "(401" in message and not self.cancelled:
            url, key = self._pending
            password = self._ask_password(parse_share_url(url).authority)
            if password:
                self._retry = (with_password(url, password, replace=True), key)
                return
        if not self.cancelled:  # a cancel is reported once the run has ended
            self._status.show_error(message)

    def _on_list_finished(self) -> None:
        # Also when the cancel came before the request started (then nothing else is emitted).
        if self.cancelled:
            self.cancelled = False
            self._status.show_warning(self.tr("Listing the files was cancelled"))
        self.changed.emit()
        retry, self._retry = self._retry, None
        if retry is not None:
            if retry[0] != self.url_edit.text():
                self.url_edit.setText(retry[0])  # the password stays for the next list
            self.list_folder(*retry)

    def download_url(self, row: int) -> str | None:
        """The URL of the file on ``row`` of the list, with the list's password; None when the
        row is not there."""
        files = self.remote_model.files
        if not 0 <= row < len(files):
            return None
        password = parse_share_url(self.list_origin).password if self.list_origin else None
        return with_password(files[row].url, password)
