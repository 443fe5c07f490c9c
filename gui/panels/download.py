"""Download: fetch a file from a share (ours, curl-style HTTP, or a classic raw server) into a folder,
or several files, a folder or the whole share at once (issue 20).

The file list and the download each run on a worker; progress arrives in the runner's batches and
only the newest sample of a batch is shown. An interrupted download leaves ``<name>.part``; Resume
runs the same download again and the engine continues from the ``.part``. Several files go through
:class:`net.mirror.Mirror` (the engine of ``swb get --recursive``): files already there with the
server's SHA-256 are not fetched, each file is verified, a cancelled run keeps its ``.part`` files
and Resume (or the same button again) finishes only what is missing.
"""

from __future__ import annotations

import html
import json
import os
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, QStandardPaths, Qt, QUrl
from PySide6.QtGui import (
    QDesktopServices,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QFontMetrics,
    QKeySequence,
    QShortcut,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QProgressBar,
    QSizePolicy,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui.panels.base import Panel, SettingsArea, set_tab_chain
from gui.panels.remote_files import SHORT_HASH, RemoteFilesModel
from gui.widgets import format_bytes, format_count, monospace_font
from gui.widgets.forms import button_row, push_button
from gui.widgets.found_servers import FoundServers
from gui.widgets.security import ClientSecurityBox
from gui.widgets.share_list import local_paths
from gui.widgets.style import set_text_role, text_color
from gui.widgets.units import format_eta, format_progress, format_speed, shorten
from net._i18n import _ as net_text
from net.discovery import FoundServer
from net.download import (
    Download,
    FileListRequest,
    RemoteFile,
    parse_share_url,
    resumable_part,
    safe_file_name,
    with_password,
)
from net.download.listing import folder_path
from net.errors import AddressError
from net.events import DownloadFinished, DownloadProgress
from net.mirror import Mirror, MirrorFile, MirrorProgress, MirrorResult
from net.tls import ClientTls
from net.upload import PASSWORD_NEEDED, FilesUpload, UploadSent

__all__ = ["DownloadPanel", "HistoryEntry", "normalize_share_url"]

#: Finished downloads kept in the history (and in the settings).
HISTORY_LIMIT = 200
LIST_TIMEOUT = 10.0


def normalize_share_url(text: str, *, raw: bool = False) -> str:
    """What the user typed as a URL: "192.168.1.5:8000" gets ``http://`` (``raw://`` when raw).

    Raises:
        AddressError: what :func:`net.download.parse_share_url` finds wrong, in its words.
    """
    text = text.strip()
    if text and "://" not in text:
        text = ("raw://" if raw else "http://") + text
    parse_share_url(text)
    return text


#: One finished download: name, path, size, sha256, verified, time (a plain dict, for JSON).
HistoryEntry = dict[str, Any]


class DownloadPanel(Panel):
    """Pick a file from a share's list (or paste its URL), download it, verify it, keep a history."""

    NAME, SIZE, SHA = range(3)
    H_NAME, H_SIZE, H_SHA, H_VERIFIED, H_TIME = range(5)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("downloadPanel")
        self.runner = self.make_runner("download")
        self.runner.opened.connect(self._on_opened)
        self.runner.events.connect(self._on_progress)
        self.runner.returned.connect(self._on_downloaded)
        self.runner.failed.connect(self._on_failed)
        self.runner.finished.connect(self._on_finished)
        self.list_runner = self.make_runner("file list")
        self.list_runner.returned.connect(self._on_listed)
        self.list_runner.failed.connect(self._on_list_failed)
        self.list_runner.finished.connect(self._on_list_finished)
        self.mirror_runner = self.make_runner("mirror")
        self.mirror_runner.events.connect(self._on_mirror_events)
        self.mirror_runner.returned.connect(self._on_mirrored)
        self.mirror_runner.failed.connect(self._on_mirror_failed)
        self.mirror_runner.finished.connect(self._on_finished)
        self.upload_runner = self.make_runner("upload")
        self.upload_runner.events.connect(self._on_upload_events)
        self.upload_runner.failed.connect(self._on_upload_failed)
        self.upload_runner.finished.connect(self._on_finished)
        self._last_upload: tuple[str, tuple[str, ...]] | None = None  # (share URL, files)
        self.setAcceptDrops(True)  # files dropped on the panel are uploaded
        #: The shared folder shown in the list, as the server's key ("" the root, "photos/2024").
        self.folder_key = ""
        self.last_mirror: MirrorResult | None = None
        self._list_origin: str | None = None  # the share URL of the list shown
        self._pending: tuple[str, str] = ("", "")  # (share URL, folder key) being listed
        # (folder URL, save folder, names or None) of the last multi-file run, and whether it
        # ended before finishing (then Resume runs it again).
        self._last_mirror: tuple[str, str, tuple[str, ...] | None] | None = None
        self._mirror_unfinished = False
        self.download: Any = None
        self.history: list[HistoryEntry] = []
        self.last_result: DownloadFinished | None = None
        #: How "Open folder" opens a folder (tests replace it).
        self.open_url: Callable[[QUrl], object] = QDesktopServices.openUrl
        self._last: tuple[str, str, bool] | None = None  # (url, folder, raw) of the last attempt
        self._retry_with: str | None = None  # the URL with a password, to try once it finished
        self._retry_upload: tuple[str, tuple[str, ...]] | None = None  # the same for uploads
        self._retry_list: tuple[str, str] | None = None  # (share URL with password, folder)
        self._cancelling = False
        self._list_cancelled = False
        self._build()
        self._update_buttons()

    # -- layout --------------------------------------------------------------------------------

    def _build(self) -> None:
        self.url_edit = QLineEdit(self)
        self.url_edit.setObjectName("urlEdit")
        self.url_edit.setFont(monospace_font())
        self.url_edit.setClearButtonEnabled(True)
        self.url_edit.setPlaceholderText(self.tr("http://192.168.1.5:8000/ or 192.168.1.5:8000"))
        self.url_edit.setToolTip(
            self.tr(
                "A share's address (http://, https:// or raw://) or host:port; with a file name "
                "at the end it names the file to download"
            )
        )
        self.url_edit.setAccessibleName(self.tr("Share URL"))
        self.url_edit.returnPressed.connect(self._on_return)
        self.url_edit.textEdited.connect(lambda _text: self._update_buttons())
        self.list_button = push_button(
            self,
            self.tr("&List files"),
            "listButton",
            self.list_files,
            tip=self.tr("Ask the server which files it shares"),
        )
        self.raw_check = QCheckBox(self.tr("Classic &raw protocol"), self)
        self.raw_check.setObjectName("rawCheck")
        self.raw_check.toggled.connect(lambda _on: self._update_buttons())
        self.raw_check.setToolTip(
            self.tr(
                "For servers that only speak the classic protocol (send the name, read the "
                "bytes): no list, no resume, no checksum. A raw:// URL implies it"
            )
        )

        self.remote_model = RemoteFilesModel(self)
        self.remote = QTableView(self)
        self.remote.setObjectName("remoteList")
        self.remote.setModel(self.remote_model)
        self.remote.setAccessibleName(self.tr("Files on the server"))
        self.remote.setToolTip(
            self.tr("The server's files: pick one to download, or double-click to download it")
        )
        self._table_look(self.remote)
        self.remote.horizontalHeader().setSectionResizeMode(
            self.NAME, QHeaderView.ResizeMode.Stretch
        )
        self._size_columns(self.remote, [(self.SIZE, "999.9 MiB"), (self.SHA, "0" * 14)])
        self.remote.selectionModel().currentRowChanged.connect(
            lambda current, _previous: self._on_remote_selected(current.row())
        )
        self.remote.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.remote.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
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
        self.download_selected_button = push_button(
            self,
            self.tr("Dow&nload selected"),
            "downloadSelectedButton",
            self.download_selected,
            tip=self.tr(
                "Download the files and folders selected in the list into the save folder "
                "(Ctrl+click or Shift+click picks several)"
            ),
        )
        self.download_folder_button = push_button(
            self,
            self.tr("Do&wnload folder"),
            "downloadFolderButton",
            self.download_folder,
            tip=self.tr(
                "Download the folder shown in the list, with everything in it, as a folder"
            ),
        )
        self.download_all_button = push_button(
            self,
            self.tr("Download everythin&g"),
            "downloadAllButton",
            self.download_all,
            tip=self.tr(
                "Download everything the server shares, keeping its folders; files already "
                "there with the same SHA-256 are not fetched again"
            ),
        )

        self.password_warning = QLabel(
            self.tr("Without TLS the password travels in clear: anyone on the way can read it."),
            self,
        )
        self.password_warning.setObjectName("passwordWarning")
        self.password_warning.setWordWrap(True)
        set_text_role(self.password_warning, "warning")
        self.password_warning.hide()
        self.url_edit.textChanged.connect(self._update_password_warning)
        source_box = QGroupBox(self.tr("Server"), self)
        source_layout = QVBoxLayout(source_box)
        url_row = QHBoxLayout()
        url_label = QLabel(self.tr("&URL:"), self)
        url_label.setBuddy(self.url_edit)
        url_row.addWidget(url_label)
        url_row.addWidget(self.url_edit, 1)
        url_row.addWidget(self.raw_check)  # beside the URL it qualifies: one row less at 600 px
        url_row.addWidget(self.list_button)
        source_layout.addLayout(url_row)
        source_layout.addWidget(self.password_warning)
        self.found = FoundServers(source_box)
        self.found.chosen.connect(self.use_found_server)
        self.found.activated.connect(self._list_found_server)
        source_layout.addWidget(self.found)
        self.security = ClientSecurityBox(source_box, always_on=True)
        self.security.embed()
        self.security.setToolTip(self.tr("How an https:// server's certificate is checked"))
        source_layout.addWidget(self.security)
        nav_row = QHBoxLayout()
        nav_row.addWidget(self.up_button)
        nav_row.addWidget(self.breadcrumb, 1)
        nav_row.addWidget(self.download_selected_button)
        nav_row.addWidget(self.download_folder_button)
        nav_row.addWidget(self.download_all_button)
        source_layout.addLayout(nav_row)
        source_layout.addWidget(self.remote, 1)

        self.folder_edit = QLineEdit(self)
        self.folder_edit.setObjectName("folderEdit")
        self.folder_edit.setText(default_download_folder())
        self.folder_edit.setToolTip(self.tr("The folder the file is saved in"))
        self.folder_edit.setAccessibleName(self.tr("Save folder"))
        self.folder_edit.textEdited.connect(lambda _text: self._update_buttons())
        self.browse_button = push_button(
            self,
            self.tr("&Browse…"),
            "browseButton",
            self.choose_folder,
            tip=self.tr("Choose the folder to save in"),
        )
        self.download_button = push_button(
            self,
            self.tr("&Download"),
            "downloadButton",
            self.start_download,
            tip=self.tr("Download the file the URL names (Ctrl+R)"),
            default=True,
        )
        self.cancel_button = push_button(
            self,
            self.tr("&Cancel"),
            "cancelButton",
            self.cancel,
            tip=self.tr("Stop the download; the part already saved is kept for Resume (Ctrl+.)"),
        )
        self.resume_button = push_button(
            self,
            self.tr("R&esume"),
            "resumeButton",
            self.resume,
            tip=self.tr("Continue the interrupted download from where it stopped"),
        )
        self.upload_button = push_button(
            self,
            self.tr("Upload f&iles…"),
            "uploadButton",
            self.choose_uploads,
            tip=self.tr(
                "Send files to the server in the URL field (one that takes uploads); dropping "
                "files on this panel does the same. An interrupted upload continues where it "
                "stopped, and the server checks each file's SHA-256"
            ),
        )
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setObjectName("progressBar")
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setValue(0)
        self.progress_bar.setAccessibleName(self.tr("Download progress"))
        self.progress_label = QLabel(self)
        self.progress_label.setObjectName("progressLabel")
        self.verified_label = QLabel(self)
        self.verified_label.setObjectName("verifiedLabel")
        self.verified_label.setTextFormat(Qt.TextFormat.PlainText)
        self.sha_label = QLabel(self)
        self.sha_label.setObjectName("shaLabel")
        self.sha_label.setFont(monospace_font())
        self.sha_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.sha_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

        save_box = QGroupBox(self.tr("Save"), self)
        save_form = QFormLayout(save_box)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_edit, 1)
        folder_row.addWidget(self.browse_button)
        save_form.addRow(self.tr("F&older:"), folder_row)
        folder_label = save_form.labelForField(folder_row)
        if isinstance(folder_label, QLabel):
            folder_label.setBuddy(self.folder_edit)
        buttons = QHBoxLayout()
        buttons.addWidget(self.download_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.resume_button)
        buttons.addWidget(self.upload_button)
        buttons.addWidget(self.progress_bar, 1)
        save_form.addRow("", buttons)
        check_row = QHBoxLayout()
        check_row.addWidget(self.progress_label)
        check_row.addWidget(self.verified_label)
        check_row.addWidget(self.sha_label, 1)
        save_form.addRow("", check_row)

        self.history_table = QTableWidget(0, 5, self)
        self.history_table.setObjectName("historyTable")
        self.history_table.setHorizontalHeaderLabels(
            [
                self.tr("Name"),
                self.tr("Size"),
                self.tr("SHA-256"),
                self.tr("Result"),
                self.tr("Time"),
            ]
        )
        self.history_table.setAccessibleName(self.tr("Finished downloads"))
        self._table_look(self.history_table)
        self.history_table.horizontalHeader().setSectionResizeMode(
            self.H_NAME, QHeaderView.ResizeMode.Stretch
        )
        self._size_columns(
            self.history_table,
            [
                (self.H_SIZE, "999.9 MiB"),
                (self.H_SHA, "0" * 14),
                (self.H_VERIFIED, "✓ up to date"),
                (self.H_TIME, "2025-12-31 23:59"),
            ],
        )
        # At least the header and one row (not Qt's 70 px): the panel must fit in 800x600.
        self.history_table.setMinimumHeight(
            self.history_table.horizontalHeader().sizeHint().height()
            + self.history_table.verticalHeader().defaultSectionSize()
            + 2 * self.history_table.frameWidth()
        )
        self.history_table.itemSelectionChanged.connect(self._update_buttons)
        self.history_table.cellDoubleClicked.connect(lambda _row, _col: self.open_folder())
        self.open_button = push_button(
            self,
            self.tr("Open in file &manager"),
            "openFolderButton",
            self.open_folder,
            tip=self.tr("Show the folder of the selected download (or the save folder)"),
        )
        self.clear_history_button = push_button(
            self,
            self.tr("Clear histor&y"),
            "clearHistoryButton",
            self.clear_history,
            tip=self.tr("Forget the finished downloads (the files stay)"),
        )
        history_box = QGroupBox(self.tr("Finished downloads"), self)
        history_layout = QVBoxLayout(history_box)
        history_layout.addWidget(self.history_table, 1)
        history_layout.addLayout(button_row(self.open_button, self.clear_history_button))

        # The source and save settings scroll in a short window: at 800x600 their fields and
        # buttons were squashed.
        settings = QWidget(self)
        settings_layout = QVBoxLayout(settings)
        settings_layout.setContentsMargins(0, 0, 0, 0)
        settings_layout.addWidget(source_box, 1)
        settings_layout.addWidget(save_box)
        self.settings_area = SettingsArea(self, settings, "downloadSettings")

        layout = QVBoxLayout(self)
        layout.addWidget(self.settings_area, 3)
        layout.addWidget(history_box, 2)
        layout.addWidget(self.status)

        set_tab_chain(
            self.url_edit,
            self.raw_check,
            self.list_button,
            self.found.list,
            *self.security.focus_chain()[1:],
            self.up_button,
            self.remote,
            self.download_selected_button,
            self.download_folder_button,
            self.download_all_button,
            self.folder_edit,
            self.browse_button,
            self.download_button,
            self.cancel_button,
            self.resume_button,
            self.upload_button,
            self.history_table,
            self.open_button,
            self.clear_history_button,
        )

    @staticmethod
    def _table_look(table: QTableView) -> None:
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        table.setWordWrap(False)
        table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        table.setCornerButtonEnabled(False)
        table.verticalHeader().setVisible(False)
        table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 6)
        table.horizontalHeader().setHighlightSections(False)

    @staticmethod
    def _size_columns(table: QTableView, samples: list[tuple[int, str]]) -> None:
        header = table.horizontalHeader()
        mono_metrics = QFontMetrics(monospace_font())
        for column, sample in samples:
            metrics = mono_metrics if sample.startswith("0" * 8) else table.fontMetrics()
            header.resizeSection(column, metrics.horizontalAdvance(sample) + 20)

    # -- actions -------------------------------------------------------------------------------

    def trigger_start(self) -> None:
        self.start_download()

    def trigger_stop(self) -> None:
        self.cancel()

    def target_url(self) -> str | None:
        """The URL field as a share URL, or None after showing what is wrong with it."""
        try:
            return normalize_share_url(self.url_edit.text(), raw=self.raw_check.isChecked())
        except AddressError as exc:
            self.status.show_error(str(exc))
            return None

    def use_found_server(self, server: FoundServer) -> None:
        """Fill in a share found on the network: its URL, and with TLS the fingerprint it
        announced, pinned (RFC 6763 TXT ``fp``: whoever answers must hold that certificate)."""
        self.url_edit.setText(server.url)
        self.raw_check.setChecked(False)
        if server.tls and server.fingerprint:
            self.security.set_mode("pin")
            self.security.pin_edit.setText(server.fingerprint)
        self._update_buttons()

    def _list_found_server(self, server: FoundServer) -> None:
        self.use_found_server(server)
        self.list_files()

    def stop_workers(self) -> None:
        super().stop_workers()
        self.found.stop()

    def list_files(self) -> None:
        """List the folder the URL field names (a folder URL ends in "/"; a file URL names the
        folder it is in; a bare host:port the share's root)."""
        url = self.target_url()
        if url is not None:
            path = urllib.parse.urlsplit(parse_share_url(url).target).path
            parts = [urllib.parse.unquote(part) for part in path.split("/")[1:-1]]
            self.list_folder(url, "/".join(parts))

    def list_folder(self, url: str, key: str) -> None:
        """List the shared folder ``key`` ("" the root, "photos/2024") of the share at ``url``."""
        if self.list_runner.running:
            return
        try:
            tls = self._tls_for(url)
        except AddressError as exc:
            self.status.show_error(str(exc))
            return
        self.remote_model.set_files([])
        self._list_cancelled = False
        self._pending = (url, key)
        self.list_runner.start(
            lambda: FileListRequest(url, tls=tls, timeout=LIST_TIMEOUT, folder=key),
            lambda listing: listing.run(),
        )
        self._update_buttons()
        self.status.show_info(
            self.tr("Asking {server} for its files…").format(server=parse_share_url(url).authority)
        )

    def activate_row(self, row: int) -> None:
        """A double-click on ``row``: a folder opens, a file downloads."""
        files = self.remote_model.files
        if 0 <= row < len(files) and files[row].kind == "folder":
            if self._list_origin is not None:
                self.list_folder(self._list_origin, files[row].path)
        else:
            self.download_row(row)

    def go_up(self) -> None:
        """Show the folder above the one in the list."""
        if self.folder_key and self._list_origin is not None:
            self.list_folder(self._list_origin, self.folder_key.rpartition("/")[0])

    def _on_breadcrumb(self, link: str) -> None:
        if self._list_origin is not None and link.isdigit():
            parts = self.folder_key.split("/") if self.folder_key else []
            self.list_folder(self._list_origin, "/".join(parts[: int(link)]))

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

    def download_selected(self) -> None:
        """Download the rows selected in the list (folders with all below them) into the save
        folder, as they are named on the server."""
        files = self.remote_model.files
        rows = sorted({index.row() for index in self.remote.selectionModel().selectedRows()})
        names = tuple(files[row].name for row in rows if 0 <= row < len(files))
        if not names:
            self.status.show_error(self.tr("Pick files or folders in the list first"))
            return
        self._start_mirror(self.folder_key, None, names)

    def download_folder(self) -> None:
        """Download the folder shown in the list as a folder of that name in the save folder
        (the whole share when the list shows its root)."""
        name = self.folder_key.rpartition("/")[2]
        self._start_mirror(self.folder_key, safe_file_name(name) if name else None, None)

    def download_all(self) -> None:
        """Download everything the share offers into the save folder, keeping its tree."""
        self._start_mirror("", None, None)

    def _start_mirror(self, key: str, subfolder: str | None, names: tuple[str, ...] | None) -> None:
        if self.runner.running or self.mirror_runner.running:
            return
        if self._list_origin is None:
            self.status.show_error(self.tr("List the server's files first (List files)"))
            return
        folder = self.folder_edit.text().strip()
        problem = self._folder_problem(folder)
        if problem:
            self.status.show_error(problem)
            return
        origin = parse_share_url(self._list_origin)
        url = with_password(origin.origin + folder_path(key), origin.password)
        target = str(Path(folder) / subfolder) if subfolder else folder
        self._run_mirror(url, target, names)

    def _run_mirror(self, url: str, target: str, names: tuple[str, ...] | None) -> None:
        try:
            tls = self._tls_for(url)
        except AddressError as exc:
            self.status.show_error(str(exc))
            return
        self._last_mirror = (url, target, names)
        self._mirror_unfinished = False
        self._cancelling = False
        self.last_mirror = None
        push = self.mirror_runner.push
        self.mirror_runner.start(
            lambda: Mirror(url, target, tls=tls, on_file=push, on_progress=push, only=names),
            lambda mirror: mirror.run(),
        )
        self.progress_bar.setRange(0, 0)  # busy until the lists are in
        self.progress_label.setText("")
        self._show_verified(None)
        self._update_buttons()
        self.status.show_info(
            self.tr("Downloading from {server} into {folder}…").format(
                server=parse_share_url(url).authority, folder=shorten(target)
            )
        )

    def download_row(self, row: int) -> None:
        """Download the server's file on ``row`` of the list (a double-click)."""
        files = self.remote_model.files
        if 0 <= row < len(files):
            password = parse_share_url(self._list_origin).password if self._list_origin else None
            self.url_edit.setText(with_password(files[row].url, password))
            self.start_download()

    def start_download(self) -> None:
        if self.runner.running:
            return
        url = self.target_url()
        if url is None:
            return
        parsed = parse_share_url(url)
        raw = self.raw_check.isChecked() or parsed.scheme in ("raw", "raw+tls")
        if not (parsed.raw_name if raw else parsed.name):
            self.status.show_error(
                self.tr(
                    "The URL names no file: pick one from the list (List files), "
                    "or add its name, like {example}"
                ).format(example=f"{parsed.origin}/report.pdf")
            )
            return
        folder = self.folder_edit.text().strip()
        problem = self._folder_problem(folder)
        if problem:
            self.status.show_error(problem)
            return
        self._run(url, folder, raw)

    def _folder_problem(self, folder: str) -> str | None:
        """Why the file cannot be saved in ``folder`` (checked before any connection), or None."""
        try:
            is_dir = bool(folder) and Path(folder).is_dir()
        except (OSError, ValueError):  # a name too long for the system, a NUL character
            is_dir = False
        if not is_dir:
            return self.tr("The folder {folder} does not exist: choose another one").format(
                folder=shorten(folder) or "''"
            )
        try:
            with tempfile.TemporaryFile(dir=folder):
                pass
        except OSError:
            return self.tr("Cannot save files in the folder {folder}: choose another one").format(
                folder=shorten(folder)
            )
        return None

    def resume(self) -> None:
        """Continue the ``.part`` for the file in the fields (Download would resume it too), or
        the multi-file download that was cancelled or failed (only what is missing is fetched)."""
        if self.runner.running or self.mirror_runner.running:
            return
        if self._mirror_unfinished and self._last_mirror is not None:
            self._run_mirror(*self._last_mirror)
        elif self.part_path() is not None:
            self.start_download()

    # -- uploads -------------------------------------------------------------------------------

    def choose_uploads(self) -> None:
        paths, _filter = QFileDialog.getOpenFileNames(self, self.tr("Send files to the server"))
        if paths:
            self.upload_files(paths)

    def upload_files(self, paths: list[str]) -> None:
        """Send ``paths`` (files; folders are left out) to the share in the URL field, as
        ``swb put`` does (:class:`net.upload.FilesUpload`): one after another, each resumed
        where an interrupted upload of its name stopped and checked by the server's SHA-256."""
        if self.upload_runner.running or self.runner.running or self.mirror_runner.running:
            self.status.show_error(self.tr("Wait until the transfer under way ends"))
            return
        files = [p for p in paths if os.path.isfile(p)]
        if not files:
            self.status.show_error(self.tr("Only files can be sent (not folders)"))
            return
        url = self.target_url()
        if url is None:
            return
        if parse_share_url(url).scheme not in ("http", "https"):
            self.status.show_error(self.tr("Uploads go to http:// or https:// shares"))
            return
        self._run_upload(url, tuple(files))

    def _run_upload(self, url: str, files: tuple[str, ...]) -> None:
        try:
            tls = self._tls_for(url)
        except AddressError as exc:
            self.status.show_error(str(exc))
            return
        self._last_upload = (url, files)
        self._cancelling = False
        push = self.upload_runner.push
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setValue(0)
        self.upload_runner.start(
            lambda: FilesUpload(
                url,
                list(files),
                tls=tls,
                on_progress=lambda file, event: push((file, event)),
                on_sent=push,
            ),
            lambda upload: upload.run(),
        )
        self._update_buttons()
        self.status.show_info(
            self.tr("Sending {count} files to {server}…", "", len(files)).format(
                count=format_count(len(files)), server=parse_share_url(url).authority
            )
        )

    def _on_upload_events(self, events: list[Any]) -> None:
        for event in events:
            if isinstance(event, UploadSent):
                self._add_history(
                    dict(
                        name=Path(event.file).name,
                        path=event.file,
                        size=event.size,
                        sha256=event.sha256,
                        verified=True,
                        time=time.time(),
                        outcome="uploaded",
                    )
                )
                self.status.show_info(
                    self.tr("Sent {name} ({size}): the server verified its SHA-256").format(
                        name=Path(event.file).name, size=format_bytes(event.size)
                    )
                )
        latest = next((e for e in reversed(events) if isinstance(e, tuple)), None)
        if latest is None:
            return
        file, progress = latest
        total = progress.total or 0
        self.progress_bar.setValue(
            int(min(1.0, progress.received / total) * 1000) if total else 1000
        )
        parts = [format_progress(progress.received, progress.total), format_speed(progress.speed)]
        self.progress_label.setText(" · ".join(parts))
        self.set_activity(
            self.tr("Sending {name}: {progress}").format(name=Path(file).name, progress=parts[0])
        )

    def _on_upload_failed(self, message: str) -> None:
        if (
            message.startswith(net_text(PASSWORD_NEEDED))
            and self._last_upload
            and not self._cancelling
        ):
            url, files = self._last_upload
            password = self.ask_password(parse_share_url(url).authority)
            if password:
                self._retry_upload = (with_password(url, password, replace=True), files)
                return
        if self._cancelling:
            self.status.show_warning(
                self.tr("The upload was stopped: sending the file again continues it")
            )
        else:
            self.status.show_error(message)

    def _update_password_warning(self, text: str = "") -> None:
        """A password in an http:// URL crosses the network readable (HTTP Basic, RFC 7617
        §4): say so under the URL."""
        try:
            parsed = parse_share_url(text or self.url_edit.text())
        except AddressError:
            self.password_warning.hide()
            return
        self.password_warning.setVisible(parsed.scheme == "http" and parsed.password is not None)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if local_paths(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        self.dragEnterEvent(event)  # type: ignore[arg-type]

    def dropEvent(self, event: QDropEvent) -> None:
        paths = local_paths(event.mimeData())
        if paths:
            event.acceptProposedAction()
            self.upload_files(paths)
        else:
            event.ignore()

    def cancel(self) -> None:
        if self.upload_runner.running:
            self._cancelling = True
            self.upload_runner.stop()
        if self.runner.running:
            self._cancelling = True
            self.runner.stop()
        if self.mirror_runner.running:
            self._cancelling = True
            self.mirror_runner.stop()
        if self.list_runner.running:
            self._list_cancelled = True
            self.list_runner.stop()

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, self.tr("Save downloads in"), self.folder_edit.text()
        )
        if folder:
            self.folder_edit.setText(folder)
            self._update_buttons()

    def open_folder(self) -> None:
        rows = self.history_table.selectionModel().selectedRows()
        if rows:
            entry = self.history[rows[0].row()]
            folder = str(Path(str(entry["path"])).parent)
        else:
            folder = self.folder_edit.text().strip()
        if not folder or not Path(folder).is_dir():
            self.status.show_error(
                self.tr("The folder {folder} does not exist any more").format(folder=folder)
            )
            return
        self.open_url(QUrl.fromLocalFile(folder))

    def clear_history(self) -> None:
        self.history = []
        self.history_table.setRowCount(0)
        self._update_buttons()

    def part_path(self) -> Path | None:
        """The ``.part`` (with its resume state) for the URL and folder in the fields, if any: left
        by the last attempt, or by one before the window was closed."""
        raw = self.raw_check.isChecked()
        folder = self.folder_edit.text().strip()
        try:
            url = normalize_share_url(self.url_edit.text(), raw=raw)
            return resumable_part(url, folder, raw=raw) if url and folder else None
        except (AddressError, OSError, ValueError):
            return None

    def _tls_for(self, url: str) -> ClientTls | None:
        """The certificate check for a TLS URL (https://, raw+tls://); None for plain ones.

        Raises:
            AddressError: a malformed pinned fingerprint.
        """
        if parse_share_url(url).scheme not in ("https", "raw+tls"):
            return None
        return self.security.client_tls()

    def _run(self, url: str, folder: str, raw: bool) -> None:
        try:
            tls = self._tls_for(url)
        except AddressError as exc:
            self.status.show_error(str(exc))
            return
        self._last = (url, folder, raw)
        self._cancelling = False
        self.download = None
        self.last_result = None
        push = self.runner.push

        def open_download() -> Download:
            return Download(url, folder, raw=raw, tls=tls, on_progress=push)

        self.runner.start(open_download, lambda download: download.run())
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setValue(0)
        self.progress_label.setText("")
        self._show_verified(None)
        self._update_buttons()
        name = parse_share_url(url)
        self.status.show_info(
            self.tr("Downloading {name} from {server}…").format(
                name=(name.raw_name if raw else name.name) or url, server=name.authority
            )
        )

    def _on_return(self) -> None:
        try:
            parsed = parse_share_url(
                normalize_share_url(self.url_edit.text(), raw=self.raw_check.isChecked())
            )
        except AddressError as exc:
            self.status.show_error(str(exc))
            return
        if parsed.name or parsed.scheme in ("raw", "raw+tls"):
            self.start_download()
        else:
            self.list_files()

    # -- results -------------------------------------------------------------------------------

    def _on_listed(self, files: list[RemoteFile]) -> None:
        if self._list_cancelled:
            return
        self._list_origin, self.folder_key = self._pending
        self._show_breadcrumb()
        # The list was parsed on the worker; the model formats only the rows the view paints.
        self.remote_model.set_files(files)
        folders = sum(remote.kind == "folder" for remote in files)
        if folders:
            self.status.show_info(
                self.tr(
                    "{count} entries in this folder: double-click a folder to open it, "
                    "or pick several and Download selected",
                    "",
                    len(files),
                ).format(count=format_count(len(files)))
            )
        elif not files:
            self.status.show_warning(self.tr("The server shares no files right now"))
        elif len(files) == 1:
            self.status.show_info(self.tr("1 file on the server: pick it and Download"))
        else:
            self.status.show_info(
                self.tr(
                    "{count} files on the server: pick one and Download", "", len(files)
                ).format(count=format_count(len(files)))
            )

    def _on_list_failed(self, message: str) -> None:
        if "(401" in message and not self._list_cancelled:
            url, key = self._pending
            password = self.ask_password(parse_share_url(url).authority)
            if password:
                self._retry_list = (with_password(url, password, replace=True), key)
                return
        if not self._list_cancelled:  # a cancel is reported once the run has ended
            self.status.show_error(message)

    def _on_list_finished(self) -> None:
        # Also when the cancel came before the request started (then nothing else is emitted).
        if self._list_cancelled:
            self._list_cancelled = False
            self.status.show_warning(self.tr("Listing the files was cancelled"))
        self._update_buttons()
        retry, self._retry_list = self._retry_list, None
        if retry is not None:
            if retry[0] != self.url_edit.text():
                self.url_edit.setText(retry[0])  # the password stays for the next list
            self.list_folder(*retry)

    def _on_remote_selected(self, row: int) -> None:
        files = self.remote_model.files
        if 0 <= row < len(files):
            self.url_edit.setText(files[row].url)
            self._update_buttons()

    def _on_opened(self, download: Any) -> None:
        self.download = download

    def _on_progress(self, events: list[Any]) -> None:
        latest = next((e for e in reversed(events) if isinstance(e, DownloadProgress)), None)
        if latest is None:
            return
        if latest.total is None:
            self.progress_bar.setRange(0, 0)  # busy: the size is not known (raw)
        else:
            self.progress_bar.setRange(0, 1000)
            fraction = latest.received / latest.total if latest.total else 1.0
            self.progress_bar.setValue(int(min(1.0, fraction) * 1000))
        parts = [format_progress(latest.received, latest.total), format_speed(latest.speed)]
        if latest.total is not None and latest.speed > 0:
            eta = format_eta((latest.total - latest.received) / latest.speed)
            parts.append(self.tr("{eta} left").format(eta=eta))
        self.progress_label.setText(" · ".join(parts))
        self.set_activity(
            self.tr("Downloading {name}: {progress}").format(
                name=getattr(self.download, "file_name", ""), progress=parts[0]
            )
        )

    def _on_downloaded(self, result: Any) -> None:
        if not isinstance(result, DownloadFinished):
            return
        self.last_result = result
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setValue(1000)
        self.progress_label.setText(format_bytes(result.size))
        raw = self._last[2] if self._last else False
        self._show_verified(result, raw=raw)
        path = Path(result.path)
        self._add_history(
            dict(
                name=path.name,
                path=str(path),
                size=result.size,
                sha256=result.sha256,
                verified=result.verified,
                time=result.time,
            )
        )
        text = self.tr("Saved {name} ({size}) in {folder}").format(
            name=path.name, size=format_bytes(result.size), folder=str(path.parent)
        )
        if result.notes:
            text += " (" + "; ".join(result.notes) + ")"
        self.status.show_info(text)

    def _on_failed(self, message: str) -> None:
        if "(401" in message and self._last is not None and not self._cancelling:
            password = self.ask_password(parse_share_url(self._last[0]).authority)
            if password:
                url = with_password(self._last[0], password, replace=True)
                if self.runner.running:
                    self._retry_with = url  # tried again once this run finished (_on_finished)
                else:  # it finished while the dialog was open
                    self._run(url, self._last[1], self._last[2])
                return
        if self._cancelling:
            self.status.show_warning(message)
        else:
            self.status.show_error(message)
        self.progress_label.setText("")
        if self.progress_bar.maximum() == 0:
            self.progress_bar.setRange(0, 1000)

    def _on_mirror_events(self, events: list[Any]) -> None:
        done = [e for e in events if isinstance(e, MirrorFile)]
        if self._cancelling:  # files cut short by Cancel are not results
            done = [e for e in done if e.reason != "stopped"]
        if done and self._last_mirror is not None:
            folder = Path(self._last_mirror[1])
            now = time.time()
            for result in done:
                self.history.insert(
                    0,
                    dict(
                        name=result.path,
                        path=str(folder / result.path),
                        size=result.size,
                        sha256=result.sha256 or "",
                        verified=result.verified,
                        time=now,
                        outcome=result.outcome,
                        reason=result.reason,
                    ),
                )
            del self.history[HISTORY_LIMIT:]
            self._show_history()
        latest = next((e for e in reversed(events) if isinstance(e, MirrorProgress)), None)
        if latest is None:
            return
        self.progress_bar.setRange(0, 1000)
        if latest.bytes_total:
            fraction = latest.bytes_done / latest.bytes_total
        else:
            fraction = latest.files_done / latest.files_total if latest.files_total else 1.0
        self.progress_bar.setValue(int(min(1.0, fraction) * 1000))
        files = self.tr("{done} of {count} files", "", latest.files_total).format(
            done=format_count(latest.files_done), count=format_count(latest.files_total)
        )
        text = f"{files} · {format_progress(latest.bytes_done, latest.bytes_total)}"
        self.progress_label.setText(text)
        self.set_activity(self.tr("Downloading: {progress}").format(progress=text))

    def _on_mirrored(self, result: Any) -> None:
        if not isinstance(result, MirrorResult):
            return
        self.last_mirror = result
        self._mirror_unfinished = bool(result.failed)
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setValue(1000)
        text = self.tr("{downloaded} downloaded, {current} up to date, {failed} failed").format(
            downloaded=format_count(result.downloaded),
            current=format_count(result.up_to_date),
            failed=format_count(result.failed),
        )
        folder = self._last_mirror[1] if self._last_mirror else ""
        text = self.tr("{summary} in {folder}").format(summary=text, folder=shorten(folder))
        if result.failed:
            path, reason = result.failures[0]
            self.status.show_error(
                text + " " + self.tr("(first: {path}: {reason})").format(path=path, reason=reason)
            )
        else:
            self.status.show_info(text)

    def _on_mirror_failed(self, message: str) -> None:
        self._mirror_unfinished = True
        if self.progress_bar.maximum() == 0:
            self.progress_bar.setRange(0, 1000)
        if self._cancelling:
            self.status.show_warning(
                self.tr(
                    "The download was cancelled: Resume fetches only what is missing "
                    "(partial files are kept)"
                )
            )
        else:
            self.status.show_error(message)

    def live_work(self) -> list[str]:
        busy = self.runner.running or self.mirror_runner.running or self.upload_runner.running
        return [self.tr("1 download in progress")] if busy else []

    def _on_finished(self) -> None:
        self._cancelling = False
        self.set_activity("")
        self._update_buttons()
        retry, self._retry_with = self._retry_with, None
        if retry is not None and self._last is not None:
            self._run(retry, self._last[1], self._last[2])
        upload, self._retry_upload = self._retry_upload, None
        if upload is not None:
            self._run_upload(*upload)

    def ask_password(self, server: str) -> str | None:
        """Ask for the share password of ``server`` (a 401 answer); None when cancelled."""
        text, ok = QInputDialog.getText(
            self,
            self.tr("Password"),
            self.tr("{server} needs a password:").format(server=server),
            QLineEdit.EchoMode.Password,
        )
        return text if ok and text else None

    # -- helpers -------------------------------------------------------------------------------

    def _show_verified(self, result: DownloadFinished | None, *, raw: bool = False) -> None:
        if result is None:
            self.verified_label.setText("")
            self.sha_label.setText("")
            self.sha_label.setToolTip("")
            return
        if result.verified:
            self.verified_label.setText(self.tr("✓ SHA-256 verified"))
            set_text_role(self.verified_label, "success", bold=True)
            self.verified_label.setToolTip(
                self.tr("The file matches the checksum the server announced")
            )
        else:
            if raw:
                text = self.tr("Not verified: the classic raw protocol carries no checksum")
            else:
                text = self.tr("Not verified: the server sent no checksum")
            self.verified_label.setText(text)
            set_text_role(self.verified_label, "warning")
            self.verified_label.setToolTip(
                self.tr("Compare the SHA-256 below with the one the sender sees")
            )
        self.sha_label.setText(result.sha256)
        self.sha_label.setToolTip(self.tr("SHA-256 of the saved file"))

    def _add_history(self, entry: HistoryEntry) -> None:
        self.history.insert(0, entry)
        del self.history[HISTORY_LIMIT:]
        self._show_history()

    def _show_history(self) -> None:
        table = self.history_table
        table.setRowCount(len(self.history))
        mono = monospace_font()
        for row, entry in enumerate(self.history):
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

    def _update_buttons(self) -> None:
        downloading = (
            self.runner.running or self.mirror_runner.running or self.upload_runner.running
        )
        listing = self.list_runner.running
        listed = self._list_origin is not None and not listing
        self.download_button.setEnabled(not downloading)
        self.cancel_button.setEnabled(downloading or listing)
        self.resume_button.setEnabled(
            not downloading
            and (
                (self._mirror_unfinished and self._last_mirror is not None)
                or self.part_path() is not None
            )
        )
        self.list_button.setEnabled(not listing)
        self.upload_button.setEnabled(not downloading)
        self.url_edit.setReadOnly(downloading)
        selected = self.remote.selectionModel().hasSelection()
        self.download_selected_button.setEnabled(not downloading and listed and selected)
        self.download_folder_button.setEnabled(not downloading and listed and bool(self.folder_key))
        self.download_all_button.setEnabled(not downloading and listed)
        self.up_button.setEnabled(listed and bool(self.folder_key))
        self.clear_history_button.setEnabled(bool(self.history))

    # -- settings ------------------------------------------------------------------------------

    def save_settings(self, settings: QSettings) -> None:
        super().save_settings(settings)
        settings.setValue(f"{self.objectName()}/history", json.dumps(self.history))

    def restore_settings(self, settings: QSettings) -> None:
        super().restore_settings(settings)
        try:
            stored = json.loads(str(settings.value(f"{self.objectName()}/history", "[]")))
        except ValueError:
            stored = []
        if isinstance(stored, list):
            self.history = [item for item in stored if isinstance(item, dict)][:HISTORY_LIMIT]
            self._show_history()


def default_download_folder() -> str:
    """The user's Downloads folder (home when the system names none or it does not exist)."""
    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DownloadLocation)
    return folder if folder and os.path.isdir(folder) else os.path.expanduser("~")
