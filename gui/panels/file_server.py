"""File Server: share dropped files over HTTP (and the classic raw protocol) on one port.

The share list owns a :class:`net.share.ShareTable`; the running :class:`net.fileserver.FileServer`
serves that same table, so adding or removing files takes effect at once, while serving. Transfer
events reach the transfers table in the runner's batches. The shared files are remembered between
runs (their paths, in QSettings); files gone since are named when the list comes back.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from gui.panels.base import SettingsArea, first_problem, set_tab_chain
from gui.panels.file_server_boxes import (
    DEFAULT_PORT,
    AddressesBox,
    SecurityGroup,
    ServeBox,
    SharedFilesBox,
    is_loopback,
)
from gui.panels.file_server_run import ShareRun
from gui.panels.stored_parts import PartsPanel, StoredPart
from gui.widgets import format_count
from gui.widgets.drops import FileDropTarget
from gui.widgets.share_list import AddResult
from gui.widgets.transfers import TransfersBox
from net.errors import AddressError

if TYPE_CHECKING:
    from gui.widgets.traffic_log_graph import RateGraph

__all__ = ["DEFAULT_PORT", "FileServerPanel", "is_loopback"]


class FileServerPanel(FileDropTarget, PartsPanel):
    """Share files: a drop target list, start/stop, the URLs with a QR code, and transfers."""

    #: What became of announcing on the local network (emitted from the announcer's thread).
    announce_result = Signal(str, bool)  # (text, is a warning)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fileServerPanel")
        self.setAcceptDrops(True)
        self.runner = runner = self.make_runner("file server")
        for signal, slot in (
            (runner.opened, self._on_opened),
            (runner.events, self._on_events),
            (runner.failed, self.status.show_error),
            (runner.finished, self._on_finished),
        ):
            signal.connect(slot)
        self.server: Any = None
        self._address = ""  # where the server listens ("127.0.0.1:8000"), kept after it closed
        self._fingerprint = ""
        self._run: ShareRun | None = None  # the last run started
        self._build()
        self._set_running(False)

    # -- layout --------------------------------------------------------------------------------

    def _build(self) -> None:
        self.shared_box = SharedFilesBox(self, self.status)
        self.share_list = self.shared_box.share_list
        self.share_list.paths_added.connect(lambda _result: self._update_activity())
        self.share_list.changed.connect(self._update_exposure)

        self.transfers_box = TransfersBox(self)
        self.transfers_box.graph_shown.connect(self._on_graph_shown)
        self.transfers = self.transfers_box.table
        self.graph_button = self.transfers_box.graph_button

        self.serve = ServeBox(self)
        self.serve.bind.changed.connect(self._update_exposure)
        self.serve.raw_check.toggled.connect(self._on_raw_toggled)
        self.serve.password_field.textChanged.connect(self._update_password_warning)
        self.serve.upload_check.toggled.connect(self._update_password_warning)
        self.announce_result.connect(self._on_announce_result)
        self.security_group = SecurityGroup(self)
        self.security_group.security.tls_check.toggled.connect(self._update_password_warning)
        self.addresses = AddressesBox(
            self,
            self.status,
            lambda: self.share_list.selected_names() or self.share_list.names(),
        )
        self._alias_parts()

        # The share list beside the settings (which scroll when the window is short), the
        # transfers below both at the whole width: six columns need it at 800x600.
        right_widget = QWidget(self)
        right = QVBoxLayout(right_widget)
        right.setContentsMargins(0, 0, 0, 0)
        right.addWidget(self.serve)
        right.addWidget(self.security_group)
        right.addWidget(self.addresses, 1)
        self.settings_area = SettingsArea(self, right_widget, "serverSettings")
        self.settings_area.setMinimumWidth(290)
        # Wider windows give the settings room too (the address names read in full), but the
        # share list keeps the larger part.
        self.settings_area.setMaximumWidth(480)
        columns = QHBoxLayout()
        columns.addWidget(self.shared_box, 3)
        columns.addWidget(self.settings_area, 2)
        self._main_layout = layout = QVBoxLayout(self)
        layout.addLayout(columns, 2)  # the share URLs and QR code sit in the settings column
        layout.addWidget(self.transfers_box, 1)
        layout.addWidget(self.status)

        parts = (self.share_list, self.serve, self.security, self.addresses, self.transfers_box)
        set_tab_chain(*(widget for part in parts for widget in part.focus_chain()))
        self._update_exposure()

    def _alias_parts(self) -> None:
        """The parts' controls under the names the panel always had (tests use them)."""
        serve, addresses = self.serve, self.addresses
        self.bind, self.port, self.password_field = serve.bind, serve.port, serve.password_field
        self.raw_check, self.announce_check = serve.raw_check, serve.announce_check
        self.upload_check, self.upload_folder = serve.upload_check, serve.upload_folder
        self.start_button, self.stop_button = serve.start_button, serve.stop_button
        self.announce_label, self.exposure = serve.announce_label, serve.exposure
        self.password_warning = serve.password_warning
        self.security_box, self.security = self.security_group, self.security_group.security
        self.security_note = self.security_group.note
        self.url_list, self.qr = addresses.url_list, addresses.qr
        self.copy_button, self.copy_links_button = (
            addresses.copy_button,
            addresses.copy_links_button,
        )

    # -- drops anywhere on the panel -----------------------------------------------------------

    def paths_dropped_here(self, paths: list[str]) -> None:
        self.add_paths(paths)

    # -- actions -------------------------------------------------------------------------------

    def add_paths(self, paths: list[str]) -> AddResult:
        """Share files and folders (as a drop would); the status line says what happened."""
        return self.share_list.add_paths(paths)

    def server_options(self) -> dict[str, Any]:
        """Extra FileServer arguments from the Security group (TLS adds ``ssl_context`` here)."""
        return {}

    def trigger_start(self) -> None:
        if self.runner.running:
            return
        problem = first_problem(self.bind.check(), self.port.check())
        if problem:
            self.status.show_error(problem)
            return
        host, port = self.bind.address(), self.port.port()
        options = self.server_options()
        upload_dir = self.upload_folder.text().strip() if self.upload_check.isChecked() else ""
        if self.upload_check.isChecked() and not os.path.isdir(upload_dir):
            self.status.show_error(
                self.tr("The upload folder {path} does not exist.").format(path=upload_dir or "—")
            )
            return
        options["upload_dir"] = upload_dir or None
        options["password"] = self.password_field.text() or None
        try:
            plan = self.security.plan()
        except AddressError as exc:
            self.status.show_error(str(exc))
            return
        self._fingerprint = ""
        self._run = ShareRun(
            self.share_list.share,
            host,
            port,
            raw=self.raw_check.isChecked(),
            options=options,
            plan=plan,
            announce=self.announce_check.isChecked(),
            on_announced=self.announce_result.emit,
            on_event=self.runner.push,
        )
        self.server = None
        self.announce_label.hide()
        self.runner.start(self._run.open, self._run.serve)
        self._set_running(True)
        self.status.show_info(self.tr("Opening port {port}…").format(port=port))

    def trigger_stop(self) -> None:
        self.runner.stop()

    def live_work(self) -> list[str]:
        count = self.transfers.model.running()
        if not count:
            return []
        return [self.tr("{count} file transfers in progress", "", count).format(count=count)]

    def stop_workers(self) -> None:
        """The window is closing: stop the server and the checksum thread."""
        super().stop_workers()
        self.share_list.close_share()

    def urls(self) -> list[str]:
        return self.addresses.urls()

    def selected_url(self) -> str:
        return self.addresses.selected_url()

    def copy_url(self) -> None:
        self.addresses.copy_url()

    def copy_file_links(self) -> list[str]:
        """Copy a link per selected file (every file if none is selected), one per line."""
        return self.addresses.copy_file_links()

    # -- settings ------------------------------------------------------------------------------

    def stored_parts(self) -> dict[str, StoredPart]:
        return {"shared": self.shared_box}

    # -- results -------------------------------------------------------------------------------

    def _on_announce_result(self, text: str, warning: bool) -> None:
        if self.runner.running:  # else a late report of a share that already stopped
            self.serve.show_announced(text, warning)

    def _on_raw_toggled(self, checked: bool) -> None:
        if self.server is not None:
            self.server.raw_dialect = checked  # read for each new connection
        refused = self.server is not None and self.server.password is not None
        for announcer in self._run.announcers if self._run is not None else []:
            # Returns at once: the update is sent on its own thread. With a password raw is
            # refused whatever the box says.
            announcer.set_raw(checked and not refused)

    def _on_opened(self, server: Any) -> None:
        self.server = server
        self._address = str(server.address)
        assert self._run is not None  # opened: the run was started
        self._fingerprint = self._run.fingerprint
        self.security.set_running(True, self._fingerprint)
        self.server.raw_dialect = self.raw_check.isChecked()  # may have changed meanwhile
        # A phone needs a network address: the first one that is not loopback is selected.
        url = self.addresses.show_urls(list(self._run.urls)) or self._address
        if len(self.share_list.share):
            self.status.show_info(
                self.tr("Serving {files} at {url}").format(
                    files=self._files_text(len(self.share_list.share)), url=url
                )
            )
        else:  # a valid start (files may be added while it runs), but say why nothing is there
            self.status.show_warning(
                self.tr(
                    "Serving at {url}, but the list is empty: drop files here or use Add files… "
                    "to share them"
                ).format(url=url)
            )
        self._update_exposure()
        self._update_activity()

    @property
    def graph(self) -> RateGraph | None:
        """The live graph of the transfers, once it was first shown."""
        return self.transfers_box.graph

    def show_graph(self, on: bool = True) -> None:
        self.transfers_box.show_graph(on)

    def _on_graph_shown(self, on: bool) -> None:
        # The graph and the table share the transfers box: it gets the larger part meanwhile
        # (the settings beside the share list scroll).
        self._main_layout.setStretch(0, 2 if on else 3)
        self._main_layout.setStretch(1, 3 if on else 2)

    def _on_events(self, events: list[Any]) -> None:
        self.transfers.apply(events)
        self._update_activity()

    def _on_finished(self) -> None:
        server, self.server = self.server, None
        if self.status.kind != "error" and server is not None:
            self.status.show_info(
                self.tr("Stopped serving on {address}").format(address=self._address)
            )
        self.addresses.clear()
        self._set_running(False)
        self.transfers.update_summary()

    # -- helpers -------------------------------------------------------------------------------

    def _files_text(self, count: int) -> str:
        return self.tr("{count} files", "", count).format(count=format_count(count))

    def _update_exposure(self) -> None:
        self.serve.update_exposure(len(self.share_list.share))
        self._update_activity()

    def _update_activity(self) -> None:
        if self.server is None or not self.runner.running:
            return
        running = self.transfers.model.running()
        text = self.tr("File server {address}: {files}").format(
            address=self._address, files=self._files_text(len(self.share_list.share))
        )
        if running:
            text += self.tr(", {count} downloading", "", running).format(
                count=format_count(running)
            )
        self.set_activity(text)

    def _update_password_warning(self, *_args: object) -> None:
        self.serve.update_password_warning(self.security.tls_check.isChecked())

    def _set_running(self, running: bool) -> None:
        self.serve.set_running(running)
        self.security.set_running(running, self._fingerprint if running else "")
        self.addresses.set_running(running)
        if not running:
            self.set_activity("")
