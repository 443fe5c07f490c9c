"""Download: fetch a file from a share (ours, curl-style HTTP, or a classic raw server) into a folder,
or several files, a folder or the whole share at once (issue 20).

The panel puts together its parts: the "Server" box that lists a share
(:mod:`gui.panels.download_browser`), the "Save" box with the progress
(:mod:`gui.panels.download_save`), the history (:mod:`gui.panels.download_history`), and the
three transfers it runs (:mod:`gui.panels.download_jobs`). An interrupted download leaves
``<name>.part``; Resume runs the same download again and the engine continues from the
``.part``. Several files go through :class:`net.mirror.Mirror`: a cancelled run keeps its
``.part`` files and Resume (or the same button again) finishes only what is missing.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QStandardPaths, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QInputDialog, QLineEdit, QVBoxLayout, QWidget

from gui.panels.base import SettingsArea, set_tab_chain
from gui.panels.download_address import normalize_share_url
from gui.panels.download_browser import LIST_TIMEOUT, ShareBrowser
from gui.panels.download_history import HISTORY_LIMIT, DownloadHistory, HistoryEntry
from gui.panels.download_jobs import FileJob, JobPlace, MirrorJob, UploadJob
from gui.panels.download_save import SaveBox
from gui.panels.remote_files import RemoteFilesModel
from gui.panels.stored_parts import PartsPanel, StoredPart
from gui.widgets.drops import FileDropTarget
from net.download import parse_share_url, safe_file_name, with_password
from net.download.listing import folder_path

__all__ = [
    "HISTORY_LIMIT",
    "LIST_TIMEOUT",
    "DownloadPanel",
    "HistoryEntry",
    "default_download_folder",
    "normalize_share_url",
]


class DownloadPanel(FileDropTarget, PartsPanel):
    """Pick a file from a share's list (or paste its URL), download it, verify it, keep a history;
    files dropped on the panel are uploaded to the share in the URL field."""

    NAME, SIZE, SHA = RemoteFilesModel.COLUMNS  # the columns of the server's list
    H_NAME, H_SIZE, H_SHA, H_VERIFIED, H_TIME = DownloadHistory.COLUMNS

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("downloadPanel")
        self.setAcceptDrops(True)
        #: How "Open folder" opens a folder (tests replace it).
        self.open_url: Callable[[QUrl], object] = QDesktopServices.openUrl
        self.browser = ShareBrowser(
            self,
            self.status,
            self.make_runner("file list"),
            lambda server: self.ask_password(server),  # looked up late: tests replace it
            (self.download_selected, self.download_folder, self.download_all),
        )
        self.browser.changed.connect(self._update_buttons)
        self.browser.download_requested.connect(self.start_download)
        self.browser.file_activated.connect(self.download_row)
        self.save = SaveBox(
            self,
            (self.start_download, self.cancel, self.resume, self.choose_uploads),
            default_download_folder(),
        )
        self.save.changed.connect(self._update_buttons)
        self.history_box = DownloadHistory(
            self, self.status, self.save.folder, lambda url: self.open_url(url)
        )
        place = JobPlace(
            self.status,
            self.save,
            self.history_box,
            self.browser.address.checked_tls,
            lambda server: self.ask_password(server),
            self.set_activity,
        )
        self.file_job = FileJob(self.make_runner("download"), place)
        self.mirror_job = MirrorJob(self.make_runner("mirror"), place)
        self.upload_job = UploadJob(self.make_runner("upload"), place)
        self.jobs = (self.file_job, self.mirror_job, self.upload_job)
        for job in self.jobs:
            job.started.connect(self._update_buttons)
            job.ended.connect(self._on_ended)
        self._alias_parts()
        self._lay_out()
        self._update_buttons()

    def _alias_parts(self) -> None:
        """The parts' controls and runners under the names the panel always had (tests and
        automation use them)."""
        browser, save = self.browser, self.save
        self.list_runner = browser.runner
        self.runner = self.file_job.runner
        self.mirror_runner = self.mirror_job.runner
        self.upload_runner = self.upload_job.runner
        self.url_edit, self.raw_check, self.list_button = (
            browser.url_edit,
            browser.raw_check,
            browser.list_button,
        )
        address = browser.address
        self.password_warning, self.found = address.password_warning, address.found
        self.security = address.security
        self.remote, self.remote_model = browser.remote, browser.remote_model
        self.up_button, self.breadcrumb = browser.up_button, browser.breadcrumb
        self.download_selected_button, self.download_folder_button, self.download_all_button = (
            browser.mirror_buttons
        )
        self.folder_edit, self.browse_button = save.folder_edit, save.browse_button
        self.download_button, self.cancel_button, self.resume_button, self.upload_button = (
            save.buttons()
        )
        self.progress_bar, self.progress_label = save.progress_bar, save.progress_label
        self.verified_label, self.sha_label = save.verified_label, save.sha_label
        self.history_table = self.history_box.table
        self.open_button = self.history_box.open_button
        self.clear_history_button = self.history_box.clear_button

    def _lay_out(self) -> None:
        # The source and save settings scroll in a short window: at 800x600 their fields and
        # buttons were squashed.
        settings = QWidget(self)
        settings_layout = QVBoxLayout(settings)
        settings_layout.setContentsMargins(0, 0, 0, 0)
        settings_layout.addWidget(self.browser, 1)
        settings_layout.addWidget(self.save)
        self.settings_area = SettingsArea(self, settings, "downloadSettings")
        layout = QVBoxLayout(self)
        layout.addWidget(self.settings_area, 3)
        layout.addWidget(self.history_box, 2)
        layout.addWidget(self.status)
        parts = (self.browser, self.save, self.history_box)
        set_tab_chain(*(widget for part in parts for widget in part.focus_chain()))

    # -- what the parts hold -------------------------------------------------------------------

    @property
    def folder_key(self) -> str:
        """The shared folder shown in the list, as the server's key ("" the root)."""
        return self.browser.folder_key

    @property
    def history(self) -> list[HistoryEntry]:
        return self.history_box.entries

    @property
    def download(self) -> Any:
        """The single-file download under way (or the last one)."""
        return self.file_job.download

    # -- actions -------------------------------------------------------------------------------

    def trigger_start(self) -> None:
        self.start_download()

    def trigger_stop(self) -> None:
        self.cancel()

    def stop_workers(self) -> None:
        super().stop_workers()
        self.found.stop()

    def list_files(self) -> None:
        """List the folder the URL field names (see :meth:`ShareBrowser.list_files`)."""
        self.browser.list_files()

    def target_url(self) -> str | None:
        return self.browser.address.target_url()

    def download_row(self, row: int) -> None:
        """Download the server's file on ``row`` of the list (a double-click)."""
        url = self.browser.download_url(row)
        if url is not None:
            self.url_edit.setText(url)
            self.start_download()

    def start_download(self) -> None:
        """Download the file the URL field names into the save folder (a .part there resumes)."""
        url = None if self.runner.running else self.target_url()
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
        folder = self._usable_folder()
        if folder is not None:
            self.file_job.run(url, folder, raw)

    def download_selected(self) -> None:
        """Download the rows selected in the list (folders with all below them) into the save
        folder, as they are named on the server."""
        names = self.browser.selected_names()
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
        origin_url = self.browser.list_origin
        if origin_url is None:
            self.status.show_error(self.tr("List the server's files first (List files)"))
            return
        folder = self._usable_folder()
        if folder is None:
            return
        origin = parse_share_url(origin_url)
        url = with_password(origin.origin + folder_path(key), origin.password)
        self.mirror_job.run(url, str(Path(folder) / subfolder) if subfolder else folder, names)

    def _usable_folder(self) -> str | None:
        """The save folder, or None after saying why nothing can be saved there."""
        folder = self.save.folder()
        problem = self.save.folder_problem(folder)
        if problem:
            self.status.show_error(problem)
            return None
        return folder

    def resume(self) -> None:
        """Continue the ``.part`` for the file in the fields (Download would resume it too), or
        the multi-file download that was cancelled or failed (only what is missing is fetched)."""
        if self.runner.running or self.mirror_runner.running:
            return
        if self.mirror_job.resumable:
            self.mirror_job.resume()
        elif self.part_path() is not None:
            self.start_download()

    def choose_uploads(self) -> None:
        paths, _filter = QFileDialog.getOpenFileNames(self, self.tr("Send files to the server"))
        if paths:
            self.upload_files(paths)

    def upload_files(self, paths: list[str]) -> None:
        """Send ``paths`` (files; folders are left out) to the share in the URL field, as
        ``swb put`` does (see :meth:`UploadJob.send`)."""
        if any(job.running for job in self.jobs):
            self.status.show_error(self.tr("Wait until the transfer under way ends"))
        else:
            self.upload_job.send(paths, self.target_url)

    def paths_dropped_here(self, paths: list[str]) -> None:
        self.upload_files(paths)

    def cancel(self) -> None:
        for job in (self.upload_job, self.file_job, self.mirror_job):
            job.cancel()
        self.browser.cancel()

    def clear_history(self) -> None:
        self.history_box.clear()

    def ask_password(self, server: str) -> str | None:
        """Ask for the share password of ``server`` (a 401 answer); None when cancelled."""
        return ask_password(self, server)

    def part_path(self) -> Path | None:
        """The ``.part`` (with its resume state) for the URL and folder in the fields, if any: left
        by the last attempt, or by one before the window was closed."""
        return self.browser.address.part_path(self.save.folder())

    def live_work(self) -> list[str]:
        busy = any(job.running for job in self.jobs)
        return [self.tr("1 download in progress")] if busy else []

    # -- results -------------------------------------------------------------------------------

    def _on_ended(self) -> None:
        self.set_activity("")
        self._update_buttons()

    def _update_buttons(self) -> None:
        downloading = any(job.running for job in self.jobs)
        listing = self.list_runner.running
        listed = self.browser.listed
        self.download_button.setEnabled(not downloading)
        self.cancel_button.setEnabled(downloading or listing)
        self.resume_button.setEnabled(
            not downloading and (self.mirror_job.resumable or self.part_path() is not None)
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

    def stored_parts(self) -> dict[str, StoredPart]:
        return {"history": self.history_box}


def ask_password(parent: QWidget, server: str) -> str | None:
    """A dialog that asks for the share password of ``server``; None when cancelled."""
    text, ok = QInputDialog.getText(
        parent,
        QCoreApplication.translate("DownloadPanel", "Password"),
        QCoreApplication.translate("DownloadPanel", "{server} needs a password:").format(
            server=server
        ),
        QLineEdit.EchoMode.Password,
    )
    return text if ok and text else None


def default_download_folder() -> str:
    """The user's Downloads folder (home when the system names none or it does not exist)."""
    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DownloadLocation)
    return folder if folder and os.path.isdir(folder) else os.path.expanduser("~")
