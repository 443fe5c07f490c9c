"""The File Server panel's settings column: how the share is served (address, port, dialects,
uploads, password, Start/Stop and who can reach it), its Security group (TLS), and the
addresses it can be reached at, with Copy and a QR code for phones."""

from __future__ import annotations

import ipaddress
import json
import urllib.parse
from collections.abc import Callable

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from gui.panels.base import Panel
from gui.widgets import BindAddressPicker, PortField, StatusLine, format_count
from gui.widgets.forms import (
    add_rows,
    button_row,
    check_box,
    line_edit,
    push_buttons,
    start_stop_buttons,
)
from gui.widgets.qr import QrCodeLabel
from gui.widgets.security import ServerSecurityBox
from gui.widgets.share_list import AddResult, ShareList
from gui.widgets.style import set_text_role
from gui.widgets.tables import fit_rows, monospace_list

__all__ = [
    "DEFAULT_PORT",
    "AddressesBox",
    "SecurityGroup",
    "ServeBox",
    "SharedFilesBox",
    "is_loopback",
]

DEFAULT_PORT = 8000


def is_loopback(host: str) -> bool:
    """True for addresses only this computer can reach (127.0.0.0/8, ::1, localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def url_host(url: str) -> str:
    """The host part of ``url`` ("" when it has none)."""
    return urllib.parse.urlsplit(url).hostname or ""


class ServeBox(QGroupBox):
    """The "Serve" group: bind address and port, the options a share starts with, Start/Stop,
    and a line that says who can download (the exposure).

    Args:
        panel: the File Server panel (Start and Stop call its trigger_start / trigger_stop).
    """

    def __init__(self, panel: Panel) -> None:
        super().__init__(panel)
        self.setTitle(self.tr("Serve"))
        self.bind = BindAddressPicker(self)
        self.port = PortField(self, allow_zero=True)
        self.port.set_text(str(DEFAULT_PORT))
        self.raw_check, self.announce_check, self.upload_check = (
            check_box(self, text, name, tip, checked=checked)
            for text, name, tip, checked in (
                (
                    self.tr("Classic ra&w protocol too"),
                    "rawCheck",
                    self.tr(
                        "Also answer the classic raw protocol on the same port: a client sends "
                        "a bare file name and gets the bytes (for the classic Python download "
                        "scripts); changes apply to new connections at once"
                    ),
                    True,
                ),
                (
                    self.tr("Announce on the local &network"),
                    "announceCheck",
                    self.tr(
                        "While sharing, tell the computers on this network (mDNS/DNS-SD, like "
                        "printers do) this computer's name, the address and port, and whether "
                        "TLS is on, so that their Download panel and swb discover find the "
                        "share without typing"
                    ),
                    True,
                ),
                (
                    self.tr("Accept &uploads into:"),
                    "uploadCheck",
                    self.tr(
                        "Let others send files into this folder (the share page's form, curl "
                        "-T, swb put); a name that exists is never overwritten"
                    ),
                    False,
                ),
            )
        )
        folder_text = self.tr("Folder for received files")
        self.upload_folder = line_edit(
            self, "uploadFolder", accessible=folder_text, tip=folder_text, placeholder=folder_text
        )
        self.upload_folder.setEnabled(False)
        self.upload_check.toggled.connect(self.upload_folder.setEnabled)
        self.password_field = line_edit(
            self,
            "passwordField",
            accessible=self.tr("Share password"),
            placeholder=self.tr("none: anyone who can reach the port"),
            tip=self.tr(
                "A password for everything shared (any user name): browsers ask for it, swb get "
                "and swb put read SWB_PASSWORD. It turns the classic raw protocol off, and "
                "without TLS it travels in clear text"
            ),
        )
        self.password_field.setEchoMode(QLineEdit.EchoMode.Password)
        self.announce_label, self.password_warning, self.exposure = (
            self._note(name) for name in ("announceLabel", "passwordWarning", "exposureLabel")
        )
        self.announce_label.hide()
        set_text_role(self.password_warning, "warning")
        self.password_warning.hide()
        self.exposure.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.start_button, self.stop_button = start_stop_buttons(
            panel,
            (self.tr("&Start"), self.tr("Start sharing the files in the list (Ctrl+R)")),
            (self.tr("St&op"), self.tr("Stop the server and every transfer (Ctrl+.)")),
        )
        form = QFormLayout(self)
        add_rows(
            form,
            (self.tr("Addr&ess:"), self.bind, self.bind.combo),
            (self.tr("&Port:"), self.port, self.port.edit),
        )
        # One option a row: the column is narrow enough for an 800x600 window
        # (tests/gui/test_small_window.py) and scrolls when the window is short.
        password_label = QLabel(self.tr("Re&quire password:"), self)
        password_label.setBuddy(self.password_field)
        for widget in (
            self.raw_check,
            self.announce_check,
            self.upload_check,
            self.upload_folder,
            password_label,
            self.password_field,
            self.password_warning,
            self.announce_label,
        ):
            form.addRow(widget)
        form.addRow("", button_row(self.start_button, self.stop_button))
        form.addRow(self.exposure)

    def _note(self, name: str) -> QLabel:
        label = QLabel(self)
        label.setObjectName(name)
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.PlainText)
        return label

    def focus_chain(self) -> list[QWidget]:
        options = (self.raw_check, self.announce_check, self.upload_check, self.upload_folder)
        fields = (self.bind.combo, self.port.edit, *options, self.password_field)
        return [*fields, self.start_button, self.stop_button]

    def upload_dir(self) -> str | None:
        """The folder uploads go to ("" when the box is ticked without one); None: no uploads."""
        return self.upload_folder.text().strip() if self.upload_check.isChecked() else None

    def set_running(self, running: bool) -> None:
        """While serving, what the server was started with cannot change (raw can)."""
        self.start_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        for widget in (
            self.bind,
            self.port,
            self.announce_check,
            self.upload_check,
            self.password_field,
        ):
            widget.setEnabled(not running)
        self.upload_folder.setEnabled(not running and self.upload_check.isChecked())
        if not running:
            self.announce_label.hide()

    def show_announced(self, text: str, warning: bool) -> None:
        """What became of announcing: the name it got, or why it could not."""
        if warning:
            self.announce_label.setText(text[:1].upper() + text[1:] + ".")
        else:
            self.announce_label.setText(
                self.tr("Announced on the local network as “{name}”.").format(name=text)
            )
        set_text_role(self.announce_label, "warning" if warning else "dim")
        self.announce_label.show()

    def update_password_warning(self, tls: bool) -> None:
        """Without TLS a password (HTTP Basic) and uploaded files cross the network readable:
        say so next to the field while either is set (the CLI says the same)."""
        password = bool(self.password_field.text())
        uploads = self.upload_check.isChecked()
        if not tls and password:
            text = self.tr(
                "Without TLS the password travels in clear: anyone on the way can read it."
            )
        elif not tls and uploads:
            text = self.tr(
                "Without TLS uploaded files travel in clear: anyone on the way can read them."
            )
        else:
            text = ""
        self.password_warning.setText(text)
        self.password_warning.setVisible(bool(text))

    def update_exposure(self, count: int) -> None:
        """Say who can connect to the address chosen, and download the ``count`` files shared."""
        try:
            host = self.bind.address() if self.bind.text() else ""
        except ValueError:
            host = ""
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


class SecurityGroup(QGroupBox):
    """The "Security" group: TLS on or off (a generated or loaded certificate, its
    fingerprint), with a line that says what travels readable."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Security"))
        self.setObjectName("securityBox")
        layout = QVBoxLayout(self)
        self.note = QLabel(self._note_text(False), self)
        self.note.setObjectName("securityNote")
        self.note.setWordWrap(True)
        layout.addWidget(self.note)
        self.security = ServerSecurityBox(self)
        self.security.embed()
        self.security.tls_check.toggled.connect(lambda on: self.note.setText(self._note_text(on)))
        layout.addWidget(self.security)

    def _note_text(self, tls: bool) -> str:
        if tls:
            return self.tr(
                "HTTPS: files travel encrypted. Browsers warn about the self-signed "
                "certificate; compare its fingerprint with the one below."
            )
        return self.tr(
            "Plain HTTP: files travel unencrypted, like with any web server without TLS."
        )


class AddressesBox(QGroupBox):
    """The "Addresses" group: every URL the running server can be reached at, Copy address,
    Copy file links, and the QR code of the selected one.

    Args:
        parent: the panel.
        status: where a copy is confirmed.
        file_names: the names to link to (the selected files, else every file).
    """

    def __init__(
        self, parent: QWidget, status: StatusLine, file_names: Callable[[], list[str]]
    ) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Addresses"))
        self._status = status
        self._file_names = file_names
        self.url_list = monospace_list(
            self,
            "urlList",
            accessible=self.tr("Share addresses"),
            tip=self.tr(
                "Every address the server can be reached at; pick one to see its QR code, "
                "double-click to copy it"
            ),
        )
        self.url_list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.url_list.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        fit_rows(self.url_list, 2, 4)
        self.url_list.currentTextChanged.connect(self._on_url_selected)
        self.url_list.itemDoubleClicked.connect(lambda _item: self.copy_url())
        self.copy_button, self.copy_links_button = push_buttons(
            self,
            (
                self.tr("&Copy address"),
                "copyUrlButton",
                self.copy_url,
                self.tr("Copy the selected address to the clipboard"),
            ),
            (
                self.tr("Copy file lin&ks"),
                "copyLinksButton",
                self.copy_file_links,
                self.tr(
                    "Copy a download link for each selected file (or every file), "
                    "at the selected address"
                ),
            ),
        )
        self.qr = QrCodeLabel(self, size=136)
        self.qr.setObjectName("qrCode")
        layout = QVBoxLayout(self)
        layout.addWidget(self.url_list)
        layout.addLayout(button_row(self.copy_button, self.copy_links_button))
        layout.addWidget(self.qr)
        layout.addStretch(1)
        self.qr.set_text("")

    def focus_chain(self) -> list[QWidget]:
        return [self.url_list, self.copy_button, self.copy_links_button]

    def show_urls(self, urls: list[str]) -> str:
        """List ``urls`` and select the first one a phone can reach (loopback, last in the list,
        is useless there); returns it ("" when there is none)."""
        self.url_list.clear()
        self.url_list.addItems(urls)
        preferred = next((row for row, url in enumerate(urls) if not is_loopback(url_host(url))), 0)
        if urls:
            self.url_list.setCurrentRow(preferred)
        return urls[preferred] if urls else ""

    def clear(self) -> None:
        self.url_list.clear()
        self.qr.set_text("")

    def urls(self) -> list[str]:
        return [self.url_list.item(row).text() for row in range(self.url_list.count())]

    def selected_url(self) -> str:
        item = self.url_list.currentItem()
        return item.text() if item is not None else ""

    def set_running(self, running: bool) -> None:
        has_url = bool(self.selected_url())
        self.copy_button.setEnabled(running and has_url)
        self.copy_links_button.setEnabled(running and has_url)

    def copy_url(self) -> None:
        url = self.selected_url()
        if not url:
            self._status.show_error(self.tr("Start the server first: it has no address yet"))
            return
        QGuiApplication.clipboard().setText(url)
        self._status.show_info(self.tr("Copied {url}").format(url=url))

    def copy_file_links(self) -> list[str]:
        """Copy a link per selected file (every file if none is selected), one per line."""
        base = self.selected_url()
        if not base:
            self._status.show_error(self.tr("Start the server first: it has no address yet"))
            return []
        names = self._file_names()
        if not names:
            self._status.show_error(self.tr("The list is empty: add files to share first"))
            return []
        links = [base + urllib.parse.quote(name, safe="") for name in names]
        QGuiApplication.clipboard().setText("\n".join(links))
        if len(links) == 1:
            self._status.show_info(self.tr("Copied {url}").format(url=links[0]))
        else:
            self._status.show_info(
                self.tr("Copied {count} links", "", len(links)).format(
                    count=format_count(len(links))
                )
            )
        return links

    def _on_url_selected(self, url: str) -> None:
        self.qr.set_text(url)
        self.copy_button.setEnabled(bool(url))
        self.copy_links_button.setEnabled(bool(url))


class SharedFilesBox(QGroupBox):
    """The "Shared files" group: the :class:`ShareList`, what an add did (on the status line),
    and the shared paths kept between runs (files gone since are named when they come back).

    Args:
        parent: the panel.
        status: the panel's status line.
    """

    def __init__(self, parent: QWidget, status: StatusLine) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Shared files"))
        self._status = status
        self.share_list = ShareList(self)
        self.share_list.paths_added.connect(self.report)
        QVBoxLayout(self).addWidget(self.share_list)

    def report(self, result: AddResult) -> None:
        """Say on the status line what one add did: added, skipped (why), or failed."""
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
            self._status.show_error(
                self.tr("{problem} ({added})").format(problem=result.errors[0], added=text)
            )
        elif result.skipped or not added:
            self._status.show_warning(text)
        else:
            self._status.show_info(text)

    def save(self, settings: QSettings, key: str) -> None:
        settings.setValue(key, json.dumps(self.share_list.paths()))

    def restore(self, settings: QSettings, key: str) -> None:
        """Share again what :meth:`save` stored under ``key``, unless the list has files."""
        try:
            stored = json.loads(str(settings.value(key, "[]")))
        except ValueError:
            stored = []
        if not isinstance(stored, list) or not stored or len(self.share_list.share):
            return
        gone = self.share_list.restore_paths(item for item in stored if isinstance(item, str))
        if gone:
            self._status.show_warning(
                self.tr(
                    "{count} files shared last time are gone and left the list: {paths}",
                    "",
                    len(gone),
                ).format(count=format_count(len(gone)), paths=", ".join(gone[:3]))
                + ("…" if len(gone) > 3 else "")
            )
