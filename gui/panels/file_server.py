"""File Server: share dropped files over HTTP (and the classic raw protocol) on one port.

The share list owns a :class:`net.share.ShareTable`; the running :class:`net.fileserver.FileServer`
serves that same table, so adding or removing files takes effect at once, while serving. Transfer
events reach the transfers table in the runner's batches. The shared files are remembered between
runs (their paths, in QSettings); files gone since are named when the list comes back.
"""

from __future__ import annotations

import ipaddress
import json
import os
import urllib.parse
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from gui.panels.base import Panel, first_problem, set_tab_chain
from gui.widgets import BindAddressPicker, PortField, format_count, monospace_font
from gui.widgets.forms import add_rows, button_row, push_button, start_stop_buttons
from gui.widgets.qr import QrCodeLabel
from gui.widgets.security import ServerSecurityBox
from gui.widgets.share_list import AddResult, FileDropTarget, ShareList
from gui.widgets.style import set_text_role
from gui.widgets.transfers import TransfersTable
from net.discovery import Announcer
from net.errors import AddressError
from net.fileserver import FileServer
from net.tls import server_context

if TYPE_CHECKING:
    from gui.widgets.traffic_log_graph import RateGraph

__all__ = ["DEFAULT_PORT", "FileServerPanel"]

DEFAULT_PORT = 8000


def is_loopback(host: str) -> bool:
    """True for addresses only this computer can reach (127.0.0.0/8, ::1, localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


class FileServerPanel(FileDropTarget, Panel):
    """Share files: a drop target list, start/stop, the URLs with a QR code, and transfers."""

    #: What became of announcing on the local network (emitted from the announcer's thread).
    announce_result = Signal(str, bool)  # (text, is a warning)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fileServerPanel")
        self.setAcceptDrops(True)
        self.runner = self.make_runner("file server")
        self.runner.opened.connect(self._on_opened)
        self.runner.events.connect(self._on_events)
        self.runner.failed.connect(self._on_failed)
        self.runner.finished.connect(self._on_finished)
        self.server: Any = None
        self._address = ""  # where the server listens ("127.0.0.1:8000"), kept after it closed
        self._fingerprint = ""
        self._opened_tls: dict[str, str] = {}
        self._opened_urls: list[str] = []
        self._announcers: list[Announcer] = []
        self._build()
        self._set_running(False)

    # -- layout --------------------------------------------------------------------------------

    def _build(self) -> None:
        self.share_list = ShareList(self)
        self.share_list.paths_added.connect(self._on_paths_added)
        self.share_list.changed.connect(self._update_exposure)
        share_box = QGroupBox(self.tr("Shared files"), self)
        share_layout = QVBoxLayout(share_box)
        share_layout.addWidget(self.share_list)

        self.transfers = TransfersTable(self)
        transfers_box = QGroupBox(self.tr("Transfers"), self)
        self.transfers_layout = QVBoxLayout(transfers_box)
        self.transfers_layout.addWidget(self.transfers)
        self.graph: RateGraph | None = None  # built (and pyqtgraph imported) when first shown
        self.graph_button = QPushButton(self.tr("&Graph"), self)
        self.graph_button.setObjectName("graphButton")
        self.graph_button.setCheckable(True)
        self.graph_button.setToolTip(
            self.tr("Show bytes served per second and transfers started per second")
        )
        self.graph_button.toggled.connect(self.show_graph)
        self.transfers.button_row.insertWidget(1, self.graph_button)

        self.bind = BindAddressPicker(self)
        self.bind.changed.connect(self._update_exposure)
        self.port = PortField(self, allow_zero=True)
        self.port.set_text(str(DEFAULT_PORT))
        self.raw_check = QCheckBox(self.tr("Classic ra&w protocol too"), self)
        self.raw_check.setObjectName("rawCheck")
        self.raw_check.setChecked(True)
        self.raw_check.setToolTip(
            self.tr(
                "Also answer the classic raw protocol on the same port: a client sends a bare "
                "file name and gets the bytes (for the classic Python download scripts); "
                "changes apply to new connections at once"
            )
        )
        self.raw_check.toggled.connect(self._on_raw_toggled)
        self.announce_check = QCheckBox(self.tr("Announce on the local &network"), self)
        self.announce_check.setObjectName("announceCheck")
        self.announce_check.setChecked(True)
        self.announce_check.setToolTip(
            self.tr(
                "While sharing, tell the computers on this network (mDNS/DNS-SD, like printers "
                "do) this computer's name, the address and port, and whether TLS is on, so that "
                "their Download panel and swb discover find the share without typing"
            )
        )
        self.upload_check = QCheckBox(self.tr("Accept &uploads into:"), self)
        self.upload_check.setObjectName("uploadCheck")
        self.upload_check.setToolTip(
            self.tr(
                "Let others send files into this folder (the share page's form, curl -T, swb "
                "put); a name that exists is never overwritten"
            )
        )
        self.upload_folder = QLineEdit(self)
        self.upload_folder.setObjectName("uploadFolder")
        self.upload_folder.setPlaceholderText(self.tr("Folder for received files"))
        self.upload_folder.setToolTip(self.tr("Folder for received files"))
        self.upload_folder.setAccessibleName(self.tr("Folder for received files"))
        self.upload_folder.setEnabled(False)
        self.upload_check.toggled.connect(self.upload_folder.setEnabled)
        self.password_field = QLineEdit(self)
        self.password_field.setObjectName("passwordField")
        self.password_field.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_field.setAccessibleName(self.tr("Share password"))
        self.password_field.setPlaceholderText(self.tr("none: anyone who can reach the port"))
        self.password_field.setToolTip(
            self.tr(
                "A password for everything shared (any user name): browsers ask for it, swb get "
                "and swb put read SWB_PASSWORD. It turns the classic raw protocol off, and "
                "without TLS it travels in clear text"
            )
        )
        self.announce_label = QLabel(self)
        self.announce_label.setObjectName("announceLabel")
        self.announce_label.setWordWrap(True)
        self.announce_label.setTextFormat(Qt.TextFormat.PlainText)
        self.announce_label.hide()
        self.announce_result.connect(self._on_announce_result)
        self.start_button, self.stop_button = start_stop_buttons(
            self,
            (self.tr("&Start"), self.tr("Start sharing the files in the list (Ctrl+R)")),
            (self.tr("St&op"), self.tr("Stop the server and every transfer (Ctrl+.)")),
        )
        self.exposure = QLabel(self)
        self.exposure.setObjectName("exposureLabel")
        self.exposure.setWordWrap(True)
        self.exposure.setTextFormat(Qt.TextFormat.PlainText)
        self.exposure.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)

        serve_box = QGroupBox(self.tr("Serve"), self)
        form = QFormLayout(serve_box)
        add_rows(
            form,
            (self.tr("Addr&ess:"), self.bind, self.bind.combo),
            (self.tr("&Port:"), self.port, self.port.edit),
        )
        # One option a row: the column is narrow enough for an 800x600 window
        # (tests/gui/test_small_window.py) and scrolls when the window is short.
        form.addRow(self.raw_check)
        form.addRow(self.announce_check)
        form.addRow(self.upload_check)
        form.addRow(self.upload_folder)
        password_label = QLabel(self.tr("Re&quire password:"), self)
        password_label.setBuddy(self.password_field)
        form.addRow(password_label)
        form.addRow(self.password_field)
        self.password_warning = QLabel(
            self.tr("Without TLS the password travels in clear: anyone on the way can read it."),
            self,
        )
        self.password_warning.setObjectName("passwordWarning")
        self.password_warning.setWordWrap(True)
        set_text_role(self.password_warning, "warning")
        self.password_warning.hide()
        self.password_field.textChanged.connect(self._update_password_warning)
        self.upload_check.toggled.connect(self._update_password_warning)
        form.addRow(self.password_warning)
        form.addRow(self.announce_label)
        form.addRow("", button_row(self.start_button, self.stop_button))
        form.addRow(self.exposure)

        # TLS (certificate, fingerprint) goes in this group; until then it says what is not there.
        self.security_box = QGroupBox(self.tr("Security"), self)
        self.security_box.setObjectName("securityBox")
        self.security_layout = QVBoxLayout(self.security_box)
        self.security_note = QLabel(
            self.tr("Plain HTTP: files travel unencrypted, like with any web server without TLS."),
            self.security_box,
        )
        self.security_note.setObjectName("securityNote")
        self.security_note.setWordWrap(True)
        self.security_layout.addWidget(self.security_note)
        self.security = ServerSecurityBox(self.security_box)
        self.security.embed()
        self.security.tls_check.toggled.connect(self._on_tls_toggled)
        self.security_layout.addWidget(self.security)

        self.url_list = QListWidget(self)
        self.url_list.setObjectName("urlList")
        self.url_list.setFont(monospace_font())
        self.url_list.setAccessibleName(self.tr("Share addresses"))
        self.url_list.setToolTip(
            self.tr(
                "Every address the server can be reached at; pick one to see its QR code, "
                "double-click to copy it"
            )
        )
        self.url_list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.url_list.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        rows = self.url_list.fontMetrics().height() + 4
        self.url_list.setMinimumHeight(rows * 2 + 8)
        self.url_list.setMaximumHeight(rows * 4 + 8)
        self.url_list.currentTextChanged.connect(self._on_url_selected)
        self.url_list.itemDoubleClicked.connect(lambda _item: self.copy_url())
        self.copy_button = push_button(
            self,
            self.tr("&Copy address"),
            "copyUrlButton",
            self.copy_url,
            tip=self.tr("Copy the selected address to the clipboard"),
        )
        self.copy_links_button = push_button(
            self,
            self.tr("Copy file lin&ks"),
            "copyLinksButton",
            self.copy_file_links,
            tip=self.tr(
                "Copy a download link for each selected file (or every file), "
                "at the selected address"
            ),
        )
        self.qr = QrCodeLabel(self, size=136)
        self.qr.setObjectName("qrCode")
        urls_box = QGroupBox(self.tr("Addresses"), self)
        urls_layout = QVBoxLayout(urls_box)
        urls_layout.addWidget(self.url_list)
        urls_layout.addLayout(button_row(self.copy_button, self.copy_links_button))
        urls_layout.addWidget(self.qr)
        urls_layout.addStretch(1)

        # The share list beside the settings (which scroll when the window is short), the
        # transfers below both at the whole width: six columns need it at 800x600.
        right_widget = QWidget(self)
        right = QVBoxLayout(right_widget)
        right.setContentsMargins(0, 0, 0, 0)
        right.addWidget(serve_box)
        right.addWidget(self.security_box)
        right.addWidget(urls_box, 1)
        self.settings_area = QScrollArea(self)
        self.settings_area.setObjectName("serverSettings")
        self.settings_area.setProperty("settings_group", False)  # keys as before it scrolled
        self.settings_area.setWidget(right_widget)
        self.settings_area.setWidgetResizable(True)
        self.settings_area.setFrameShape(QFrame.Shape.NoFrame)
        self.settings_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.settings_area.setMinimumWidth(290)
        # Wider windows give the settings room too (the address names read in full), but the
        # share list keeps the larger part.
        self.settings_area.setMaximumWidth(480)
        columns = QHBoxLayout()
        columns.addWidget(share_box, 3)
        columns.addWidget(self.settings_area, 2)
        self._main_layout = layout = QVBoxLayout(self)
        layout.addLayout(columns, 2)  # the share URLs and QR code sit in the settings column
        layout.addWidget(transfers_box, 1)
        layout.addWidget(self.status)

        set_tab_chain(
            self.share_list.view,
            self.share_list.add_files_button,
            self.share_list.add_folder_button,
            self.share_list.remove_button,
            self.bind.combo,
            self.port.edit,
            self.raw_check,
            self.announce_check,
            self.upload_check,
            self.upload_folder,
            self.password_field,
            self.start_button,
            self.stop_button,
            *self.security.focus_chain(),
            self.url_list,
            self.copy_button,
            self.copy_links_button,
            self.transfers.view,
            self.graph_button,
            self.transfers.clear_button,
        )
        self.qr.set_text("")
        self._update_exposure()

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
        raw = self.raw_check.isChecked()
        share = self.share_list.share
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
        push = self.runner.push
        self._fingerprint = ""
        opened: dict[str, str] = {}
        self._opened_tls = opened
        urls: list[str] = []
        self._opened_urls = urls
        announce = self.announce_check.isChecked()
        result = self.announce_result
        announcers: list[Announcer] = []  # filled by the worker; read here for set_raw()
        self._announcers = announcers

        def open_server() -> FileServer:
            if plan is not None:
                # Generating the self-signed certificate (first use) takes a moment: not on the GUI.
                cert = plan.certificate()
                options["ssl_context"] = server_context(cert)
                opened["fingerprint"] = cert.fingerprint
            server = FileServer(share, host, port, raw_dialect=raw, on_event=push, **options)
            # Reading the interface table is a system call: here in the worker, not the GUI thread.
            urls[:] = server.urls()
            return server

        def serve(server: FileServer) -> None:
            if not announce:
                server.serve_forever()
                return
            # Announcing registers (about a second of probing) and says goodbye on its own
            # thread and this worker's: never on the GUI thread.
            announcer = Announcer(
                server.port,
                server.address.rsplit(":", 1)[0],
                fingerprint=opened.get("fingerprint"),
                raw=server.raw_dialect and server.password is None,
                uploads=server.upload_dir is not None,
                password=server.password is not None,
                on_warning=lambda text: result.emit(text, True),
                on_announced=lambda name: result.emit(name, False),
            )
            announcers.append(announcer)
            # The box may have been toggled before the GUI could see this announcer.
            announcer.set_raw(server.raw_dialect and server.password is None)
            announcer.start()
            try:
                server.serve_forever()
            finally:
                announcer.close(timeout=1.0)  # the window waits 2 s for every worker in total

        self.server = None
        self.announce_label.hide()
        self.runner.start(open_server, serve)
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
        return [self.url_list.item(row).text() for row in range(self.url_list.count())]

    def selected_url(self) -> str:
        item = self.url_list.currentItem()
        return item.text() if item is not None else ""

    def copy_url(self) -> None:
        url = self.selected_url()
        if not url:
            self.status.show_error(self.tr("Start the server first: it has no address yet"))
            return
        QGuiApplication.clipboard().setText(url)
        self.status.show_info(self.tr("Copied {url}").format(url=url))

    def copy_file_links(self) -> list[str]:
        """Copy a link per selected file (every file if none is selected), one per line."""
        base = self.selected_url()
        if not base:
            self.status.show_error(self.tr("Start the server first: it has no address yet"))
            return []
        names = self.share_list.selected_names() or self.share_list.names()
        if not names:
            self.status.show_error(self.tr("The list is empty: add files to share first"))
            return []
        links = [base + urllib.parse.quote(name, safe="") for name in names]
        QGuiApplication.clipboard().setText("\n".join(links))
        if len(links) == 1:
            self.status.show_info(self.tr("Copied {url}").format(url=links[0]))
        else:
            self.status.show_info(
                self.tr("Copied {count} links", "", len(links)).format(
                    count=format_count(len(links))
                )
            )
        return links

    # -- settings ------------------------------------------------------------------------------

    def save_settings(self, settings: QSettings) -> None:
        super().save_settings(settings)
        settings.setValue(f"{self.objectName()}/shared", json.dumps(self.share_list.paths()))

    def restore_settings(self, settings: QSettings) -> None:
        super().restore_settings(settings)
        try:
            stored = json.loads(str(settings.value(f"{self.objectName()}/shared", "[]")))
        except ValueError:
            stored = []
        if not isinstance(stored, list) or not stored or len(self.share_list.share):
            return
        gone = self.share_list.restore_paths(item for item in stored if isinstance(item, str))
        if gone:
            self.status.show_warning(
                self.tr(
                    "{count} files shared last time are gone and left the list: {paths}",
                    "",
                    len(gone),
                ).format(count=format_count(len(gone)), paths=", ".join(gone[:3]))
                + ("…" if len(gone) > 3 else "")
            )

    # -- results -------------------------------------------------------------------------------

    def _on_paths_added(self, result: AddResult) -> None:
        added = len(result.added)
        if added == 1:
            text = self.tr("Added {name}").format(name=result.added[0])
        else:
            text = self.tr("Added {count} files", "", added).format(count=format_count(added))
        if result.skipped:
            path, reason = result.skipped[0]
            more = len(result.skipped) - 1
            text += self.tr("; skipped {path} ({reason})").format(path=path, reason=reason)
            if more:
                text += self.tr(" and {count} more", "", more).format(count=format_count(more))
        if result.errors:
            self.status.show_error(
                self.tr("{problem} ({added})").format(problem=result.errors[0], added=text)
            )
        elif result.skipped or not added:
            self.status.show_warning(text)
        else:
            self.status.show_info(text)
        self._update_activity()

    def _on_announce_result(self, text: str, warning: bool) -> None:
        if not self.runner.running:
            return  # a late report of a share that already stopped
        if warning:
            self.announce_label.setText(text[:1].upper() + text[1:] + ".")
        else:
            self.announce_label.setText(
                self.tr("Announced on the local network as “{name}”.").format(name=text)
            )
        set_text_role(self.announce_label, "warning" if warning else "dim")
        self.announce_label.show()

    def _on_raw_toggled(self, checked: bool) -> None:
        if self.server is not None:
            self.server.raw_dialect = checked  # read for each new connection
        refused = self.server is not None and self.server.password is not None
        for announcer in self._announcers:
            # Returns at once: the update is sent on its own thread. With a password raw is
            # refused whatever the box says.
            announcer.set_raw(checked and not refused)

    def _on_opened(self, server: Any) -> None:
        self.server = server
        self._address = str(server.address)
        self._fingerprint = self._opened_tls.get("fingerprint", "")
        self.security.set_running(True, self._fingerprint)
        self.server.raw_dialect = self.raw_check.isChecked()  # may have changed meanwhile
        urls = list(self._opened_urls)
        self.url_list.clear()
        self.url_list.addItems(urls)
        # A phone needs a network address; loopback (last in the list) is useless there.
        preferred = next(
            (row for row, url in enumerate(urls) if not is_loopback(_url_host(url))), 0
        )
        if urls:
            self.url_list.setCurrentRow(preferred)
        url = urls[preferred] if urls else self._address
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

    def show_graph(self, on: bool = True) -> None:
        """Show or hide the live graph of bytes/s served and transfers/s started, over the
        last minutes (pyqtgraph, and so numpy, is imported the first time)."""
        if on and self.graph is None:
            from gui.widgets.traffic_log_graph import RateGraph  # numpy: only when asked for

            self.graph = RateGraph(
                self.transfers.model.rates,
                self,
                counts=self.tr("transfers/s"),
                tip=self.tr(
                    "Bytes per second served (and received by uploads), and transfers started "
                    "per second, over the last minutes"
                ),
                compact=True,
            )
            self.graph.setObjectName("fileServerGraph")
            self.graph.setMinimumHeight(140)
            self.transfers_layout.addWidget(self.graph, 1)
        if self.graph is not None:
            self.graph.setVisible(on)
        # The graph and the table share the transfers box: it gets the larger part meanwhile
        # (the settings beside the share list scroll).
        self._main_layout.setStretch(0, 2 if on else 3)
        self._main_layout.setStretch(1, 3 if on else 2)
        self.graph_button.setChecked(on)

    def _on_events(self, events: list[Any]) -> None:
        self.transfers.apply(events)
        self._update_activity()

    def _on_failed(self, message: str) -> None:
        self.status.show_error(message)

    def _on_finished(self) -> None:
        server, self.server = self.server, None
        if self.status.kind != "error" and server is not None:
            self.status.show_info(
                self.tr("Stopped serving on {address}").format(address=self._address)
            )
        self.url_list.clear()
        self.qr.set_text("")
        self._set_running(False)
        self.transfers.update_summary()

    def _on_url_selected(self, url: str) -> None:
        self.qr.set_text(url)
        self.copy_button.setEnabled(bool(url))
        self.copy_links_button.setEnabled(bool(url))

    # -- helpers -------------------------------------------------------------------------------

    def _files_text(self, count: int) -> str:
        return self.tr("{count} files", "", count).format(count=format_count(count))

    def _update_exposure(self) -> None:
        try:
            host = self.bind.address() if self.bind.text() else ""
        except ValueError:
            host = ""
        count = len(self.share_list.share)
        if host and is_loopback(host):
            set_text_role(self.exposure, "dim")
            self.exposure.setText(
                self.tr("Only programs on this computer can connect to {address}.").format(
                    address=host
                )
            )
        elif count == 0:
            set_text_role(self.exposure, "warning")
            self.exposure.setText(
                self.tr(
                    "Anyone on your network can connect; the list is empty, so there is "
                    "nothing to download yet."
                )
            )
        else:
            set_text_role(self.exposure, "warning", bold=True)
            if count == 1:
                text = self.tr("Anyone on your network can download the 1 file in this list.")
            else:
                text = self.tr(
                    "Anyone on your network can download the {count} files in this list.", "", count
                ).format(count=format_count(count))
            self.exposure.setText(text)
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
        """Without TLS a password (HTTP Basic) and uploaded files cross the network readable:
        say so next to the field while either is set (the CLI says the same)."""
        plain = not self.security.tls_check.isChecked()
        password = bool(self.password_field.text())
        uploads = self.upload_check.isChecked()
        if plain and password:
            text = self.tr(
                "Without TLS the password travels in clear: anyone on the way can read it."
            )
        elif plain and uploads:
            text = self.tr(
                "Without TLS uploaded files travel in clear: anyone on the way can read them."
            )
        else:
            text = ""
        self.password_warning.setText(text)
        self.password_warning.setVisible(bool(text))

    def _on_tls_toggled(self, checked: bool) -> None:
        self._update_password_warning()
        if checked:
            self.security_note.setText(
                self.tr(
                    "HTTPS: files travel encrypted. Browsers warn about the self-signed "
                    "certificate; compare its fingerprint with the one below."
                )
            )
        else:
            self.security_note.setText(
                self.tr(
                    "Plain HTTP: files travel unencrypted, like with any web server without TLS."
                )
            )

    def _set_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        self.bind.setEnabled(not running)
        self.port.setEnabled(not running)
        self.announce_check.setEnabled(not running)
        self.upload_check.setEnabled(not running)
        self.upload_folder.setEnabled(not running and self.upload_check.isChecked())
        self.password_field.setEnabled(not running)
        if not running:
            self.announce_label.hide()
        self.security.set_running(running, self._fingerprint if running else "")
        has_url = bool(self.selected_url())
        self.copy_button.setEnabled(running and has_url)
        self.copy_links_button.setEnabled(running and has_url)
        if not running:
            self.set_activity("")


def _url_host(url: str) -> str:
    host = urllib.parse.urlsplit(url).hostname
    return host or ""
