"""The Download panel's share address: the URL field (http://, https://, raw:// or host:port),
the classic raw switch, the shares found on the network, and how an https:// server's
certificate is checked; it warns when a password would cross the network readable."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from gui.widgets import StatusLine, monospace_font
from gui.widgets.forms import check_box, line_edit, push_button
from gui.widgets.found_servers import FoundServers
from gui.widgets.security import ClientSecurityBox
from gui.widgets.style import set_text_role
from net.discovery import FoundServer
from net.download import parse_share_url, resumable_part
from net.errors import AddressError
from net.tls import ClientTls

__all__ = ["ShareAddress", "normalize_share_url"]


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


class ShareAddress(QWidget):
    """Where the share is and how to reach it: URL, raw, List files, found shares, TLS check.

    Args:
        parent: the Server box.
        status: the panel's status line (a malformed URL is said there).

    Signals:
        changed(): the URL or the raw switch changed.
        list_requested(): List files, Return in a folder URL, a double-clicked found share.
        download_requested(): Return in a URL naming a file.
    """

    changed = Signal()
    list_requested = Signal()
    download_requested = Signal()

    def __init__(self, parent: QWidget, status: StatusLine) -> None:
        super().__init__(parent)
        self._status = status
        tip = self.tr(
            "A share's address (http://, https:// or raw://) or host:port; with a file name "
            "at the end it names the file to download"
        )
        self.url_edit = line_edit(self, "urlEdit", accessible=self.tr("Share URL"), tip=tip)
        self.url_edit.setPlaceholderText(self.tr("http://192.168.1.5:8000/ or 192.168.1.5:8000"))
        self.url_edit.setFont(monospace_font())
        self.url_edit.setClearButtonEnabled(True)
        self.url_edit.returnPressed.connect(self._on_return)
        self.url_edit.textEdited.connect(lambda _text: self.changed.emit())
        self.url_edit.textChanged.connect(self._update_password_warning)
        tip = self.tr("Ask the server which files it shares")
        self.list_button = push_button(
            self, self.tr("&List files"), "listButton", self.list_requested.emit, tip=tip
        )
        tip = self.tr(
            "For servers that only speak the classic protocol (send the name, read the "
            "bytes): no list, no resume, no checksum. A raw:// URL implies it"
        )
        self.raw_check = check_box(self, self.tr("Classic &raw protocol"), "rawCheck", tip)
        self.raw_check.toggled.connect(lambda _on: self.changed.emit())
        self.password_warning = QLabel(
            self.tr("Without TLS the password travels in clear: anyone on the way can read it."),
            self,
        )
        self.password_warning.setObjectName("passwordWarning")
        self.password_warning.setWordWrap(True)
        set_text_role(self.password_warning, "warning")
        self.password_warning.hide()
        self.found = FoundServers(self)
        self.found.chosen.connect(self.use_found_server)
        self.found.activated.connect(self._list_found_server)
        self.security = ClientSecurityBox(self, always_on=True)
        self.security.embed()
        self.security.setToolTip(self.tr("How an https:// server's certificate is checked"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        url_row = QHBoxLayout()
        url_label = QLabel(self.tr("&URL:"), self)
        url_label.setBuddy(self.url_edit)
        url_row.addWidget(url_label)
        url_row.addWidget(self.url_edit, 1)
        url_row.addWidget(self.raw_check)  # beside the URL it qualifies: one row less at 600 px
        url_row.addWidget(self.list_button)
        layout.addLayout(url_row)
        for widget in (self.password_warning, self.found, self.security):
            layout.addWidget(widget)

    def focus_chain(self) -> list[QWidget]:
        return [
            self.url_edit,
            self.raw_check,
            self.list_button,
            self.found.list,
            *self.security.focus_chain()[1:],
        ]

    def target_url(self) -> str | None:
        """The URL field as a share URL, or None after showing what is wrong with it."""
        try:
            return normalize_share_url(self.url_edit.text(), raw=self.raw_check.isChecked())
        except AddressError as exc:
            self._status.show_error(str(exc))
            return None

    def tls_for(self, url: str) -> ClientTls | None:
        """The certificate check for a TLS URL (https://, raw+tls://); None for plain ones.

        Raises:
            AddressError: a malformed pinned fingerprint.
        """
        if parse_share_url(url).scheme not in ("https", "raw+tls"):
            return None
        return self.security.client_tls()

    def checked_tls(self, url: str) -> tuple[bool, ClientTls | None]:
        """(True, :meth:`tls_for` ``url``), or (False, None) after saying on the status line
        what is wrong with the certificate check."""
        try:
            return True, self.tls_for(url)
        except AddressError as exc:
            self._status.show_error(str(exc))
            return False, None

    def use_found_server(self, server: FoundServer) -> None:
        """Fill in a share found on the network: its URL, and with TLS the fingerprint it
        announced, pinned (RFC 6763 TXT ``fp``: whoever answers must hold that certificate)."""
        self.url_edit.setText(server.url)
        self.raw_check.setChecked(False)
        if server.tls and server.fingerprint:
            self.security.set_mode("pin")
            self.security.pin_edit.setText(server.fingerprint)
        self.changed.emit()

    def _list_found_server(self, server: FoundServer) -> None:
        self.use_found_server(server)
        self.list_requested.emit()

    def _on_return(self) -> None:
        try:
            parsed = parse_share_url(
                normalize_share_url(self.url_edit.text(), raw=self.raw_check.isChecked())
            )
        except AddressError as exc:
            self._status.show_error(str(exc))
            return
        if parsed.name or parsed.scheme in ("raw", "raw+tls"):
            self.download_requested.emit()
        else:
            self.list_requested.emit()

    def part_path(self, folder: str) -> Path | None:
        """The ``.part`` (with its resume state) in ``folder`` for the URL in the field, if any:
        left by the last attempt, or by one before the window was closed."""
        raw = self.raw_check.isChecked()
        try:
            url = normalize_share_url(self.url_edit.text(), raw=raw)
            return resumable_part(url, folder, raw=raw) if url and folder else None
        except (AddressError, OSError, ValueError):
            return None

    def _update_password_warning(self, text: str = "") -> None:
        """A password in an http:// URL crosses the network readable (HTTP Basic, RFC 7617
        §4): say so under the URL."""
        try:
            parsed = parse_share_url(text or self.url_edit.text())
        except AddressError:
            self.password_warning.hide()
            return
        self.password_warning.setVisible(parsed.scheme == "http" and parsed.password is not None)
