"""TLS and connection-keeping controls that several panels share: a client's TLS choice (verify,
pin, insecure), a server's certificate (generated or loaded) with its fingerprint, and a TCP
client's keepalive, heartbeat, dead-peer and reconnect settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from gui.widgets.forms import ask_file, check_box, line_edit, option_combo, push_button, spin_box
from gui.widgets.status import InlineError
from gui.widgets.style import monospace_font, set_text_role
from net.codec import parse_escapes
from net.errors import AddressError, PayloadError
from net.tls import (
    ClientTls,
    ServerCertificate,
    default_server_certificate,
    load_server_certificate,
    normalize_fingerprint,
)

if TYPE_CHECKING:
    from PySide6.QtWidgets import QPushButton  # made by forms.push_button

_Spin = TypeVar("_Spin", QSpinBox, QDoubleSpinBox)

__all__ = [
    "ClientSecurityBox",
    "ConnectionOptionsBox",
    "ServerSecurityBox",
    "ServerTlsPlan",
    "format_fingerprint",
]


def format_fingerprint(fingerprint: str, per_line: int = 8) -> str:
    """A SHA-256 fingerprint on lines of ``per_line`` bytes, so that it fits a narrow box."""
    parts = fingerprint.split(":")
    lines = [":".join(parts[i : i + per_line]) for i in range(0, len(parts), per_line)]
    return ":\n".join(lines)


def _file_row(parent: QWidget, edit: QLineEdit, button: QWidget) -> QHBoxLayout:
    row = QHBoxLayout()
    row.setContentsMargins(0, 0, 0, 0)
    row.addWidget(edit, 1)
    row.addWidget(button)
    return row


def _embed(box: QGroupBox) -> None:
    box.setTitle("")
    box.setFlat(True)
    layout = box.layout()
    if layout is not None:
        layout.setContentsMargins(0, 0, 0, 0)


class ClientSecurityBox(QGroupBox):
    """Use TLS or not and how to check the server: verify (optionally with a CA file), pin a
    SHA-256 fingerprint, or insecure with a visible warning."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None, *, always_on: bool = False) -> None:
        """``always_on``: TLS is chosen elsewhere (an https:// URL); only the check is asked."""
        super().__init__(self.tr("Security"), parent)
        self.setObjectName("clientSecurityBox")
        tip = self.tr("Encrypt the connection with TLS")
        self.tls_check = check_box(self, self.tr("Use &TLS"), "tlsCheck", tip)
        checks = [
            (self.tr("Verify certificate"), "verify"),
            (self.tr("Pin SHA-256 fingerprint"), "pin"),
            (self.tr("Insecure (no verification)"), "insecure"),
        ]
        check_tip = self.tr("How the server's certificate is checked")
        self.mode_combo = option_combo(
            self, "tlsModeCombo", check_tip, self.tr("Certificate check"), checks
        )
        pin_hint = self.tr("AB:CD:… (64 hex digits)")
        pin_tip = self.tr("The SHA-256 fingerprint the server's certificate must have")
        ca_tip = self.tr("Optional: a PEM file of the certificate authorities to trust")
        self.pin_edit, self.ca_edit = (
            line_edit(self, name, accessible=accessible, tip=tip, placeholder=hint)
            for name, hint, tip, accessible in (
                ("pinEdit", pin_hint, pin_tip, self.tr("Pinned fingerprint")),
                ("caFileEdit", self.tr("System certificates"), ca_tip, self.tr("CA file")),
            )
        )
        self.pin_edit.setFont(monospace_font())
        self.pin_error = InlineError(self)
        self.ca_button = push_button(self, self.tr("CA file…"), "caFileButton", self._choose_ca)
        self.ca_button.setToolTip(self.tr("Choose a CA certificate file"))
        self.warning_label = QLabel(
            self.tr(
                "Certificate checks are off: the connection is encrypted, but anyone on the network "
                "path could pose as the server and read or change the traffic."
            ),
            self,
        )
        self.warning_label.setObjectName("insecureWarning")
        self.warning_label.setWordWrap(True)
        set_text_role(self.warning_label, "warning", bold=True)

        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(self.tls_check)
        if always_on:
            label = QLabel(self.tr("https:// &servers:"), self)
            label.setBuddy(self.mode_combo)
            top.addWidget(label)
        top.addWidget(self.mode_combo, 1)
        layout.addLayout(top)
        layout.addWidget(self.pin_edit)
        layout.addWidget(self.pin_error)
        layout.addLayout(_file_row(self, self.ca_edit, self.ca_button))
        layout.addWidget(self.warning_label)
        layout.addStretch(1)

        self.tls_check.toggled.connect(self._update)
        self.mode_combo.currentIndexChanged.connect(self._update)
        self.pin_edit.textChanged.connect(self._check_pin_live)
        if always_on:
            self.tls_check.setChecked(True)
            self.tls_check.hide()
            self.tls_check.setEnabled(False)
        self._always_on = always_on
        self._update()

    def embed(self) -> None:
        """Sit inside another group box: no frame, no title, no margins of its own."""
        _embed(self)

    def focus_chain(self) -> list[QWidget]:
        """The inputs in reading order, for the panel's tab order."""
        return [self.tls_check, self.mode_combo, self.pin_edit, self.ca_edit, self.ca_button]

    def mode(self) -> str:
        return str(self.mode_combo.currentData())

    def set_mode(self, mode: str) -> None:
        self.mode_combo.setCurrentIndex(max(0, self.mode_combo.findData(mode)))

    def client_tls(self) -> ClientTls | None:
        """What the net client needs; None without TLS.

        Raises:
            AddressError: a malformed pinned fingerprint (also shown under the field).
        """
        if not self.tls_check.isChecked():
            return None
        mode = self.mode()
        if mode == "insecure":
            return ClientTls(verify=False)
        if mode == "pin":
            try:
                pin = normalize_fingerprint(self.pin_edit.text())
            except AddressError as exc:
                self.pin_error.show_error(str(exc))
                raise
            self.pin_error.clear_error()
            return ClientTls(verify=False, fingerprint=pin)
        return ClientTls(verify=True, cafile=self.ca_edit.text().strip() or None)

    def set_enabled_inputs(self, enabled: bool) -> None:
        for widget in (self.mode_combo, self.pin_edit, self.ca_edit):
            widget.setEnabled(enabled)
        self.tls_check.setEnabled(enabled and not self._always_on)
        self.ca_button.setEnabled(enabled)
        if enabled:
            self._update()

    def _update(self) -> None:
        on = self.tls_check.isChecked()
        mode = self.mode()
        self.mode_combo.setEnabled(on)
        self.pin_edit.setVisible(on and mode == "pin")
        if not (on and mode == "pin"):
            self.pin_error.clear_error()
        for widget in (self.ca_edit, self.ca_button):
            widget.setVisible(on and mode == "verify")
        self.warning_label.setVisible(on and mode == "insecure")
        self.changed.emit()

    def _check_pin_live(self) -> None:
        text = self.pin_edit.text().strip()
        if not text:
            self.pin_error.clear_error()
            return
        try:
            normalize_fingerprint(text)
        except AddressError as exc:
            self.pin_error.show_error(str(exc))
        else:
            self.pin_error.clear_error()

    def _choose_ca(self) -> None:
        filters = self.tr("PEM files (*.pem *.crt);;All files (*)")
        ask_file(self, self.tr("CA certificates"), filters, self.ca_edit.setText)


@dataclass(frozen=True, slots=True)
class ServerTlsPlan:
    """A server's TLS choice taken on the GUI thread; :meth:`certificate` runs in the worker
    (generating the self-signed certificate the first time takes a moment)."""

    cert_file: str | None = None
    key_file: str | None = None

    def certificate(self) -> ServerCertificate:
        if self.cert_file and self.key_file:
            return load_server_certificate(self.cert_file, self.key_file)
        return default_server_certificate()


class ServerSecurityBox(QGroupBox):
    """Use TLS or not, which certificate (generated self-signed or loaded files), and the
    running server's SHA-256 fingerprint with a Copy button."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Security"), parent)
        self.setObjectName("serverSecurityBox")
        self.fingerprint = ""
        tip = self.tr("Serve over TLS (clients must use TLS too)")
        self.tls_check = check_box(self, self.tr("Use &TLS"), "tlsCheck", tip)
        sources = [(self.tr("Self-signed certificate"), "generated")]
        sources.append((self.tr("Load certificate files"), "files"))
        source_tip = self.tr("A certificate made for this computer on first use, or your own files")
        self.cert_combo = option_combo(
            self, "certificateCombo", source_tip, self.tr("Certificate"), sources
        )
        # The certificate and its key: (field, its Browse button), each a PEM file.
        (self.cert_edit, self.cert_button), (self.key_edit, self.key_button) = (
            self._file_field(name, *texts)
            for name, texts in (
                (
                    "cert",
                    (
                        self.tr("Certificate (PEM)"),
                        self.tr("The server's certificate chain, a PEM file"),
                        self.tr("Certificate file"),
                        self.tr("Choose the certificate file"),
                    ),
                ),
                (
                    "key",
                    (
                        self.tr("Private key (PEM)"),
                        self.tr("The certificate's private key, a PEM file"),
                        self.tr("Key file"),
                        self.tr("Choose the private key file"),
                    ),
                ),
            )
        )
        self.error = InlineError(self)
        self.fingerprint_label = QLabel(self)
        self.fingerprint_label.setObjectName("fingerprintLabel")
        self.fingerprint_label.setFont(monospace_font())
        self.fingerprint_label.setTextFormat(Qt.TextFormat.PlainText)
        self.fingerprint_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.fingerprint_label.setToolTip(
            self.tr("SHA-256 fingerprint of the certificate: clients can pin it")
        )
        self.copy_button = push_button(
            self,
            self.tr("Copy"),
            "copyFingerprintButton",
            self.copy_fingerprint,
            tip=self.tr("Copy the certificate fingerprint"),
        )

        layout = QGridLayout(self)
        layout.addWidget(self.tls_check, 0, 0)
        layout.addWidget(self.cert_combo, 0, 1)
        layout.addLayout(_file_row(self, self.cert_edit, self.cert_button), 1, 0, 1, 2)
        layout.addLayout(_file_row(self, self.key_edit, self.key_button), 2, 0, 1, 2)
        layout.addWidget(self.error, 3, 0, 1, 2)
        fingerprint_row = QHBoxLayout()
        fingerprint_row.addWidget(self.fingerprint_label, 1)
        fingerprint_row.addWidget(self.copy_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(fingerprint_row, 4, 0, 1, 2)
        layout.setColumnStretch(1, 1)
        layout.setRowStretch(5, 1)

        self.tls_check.toggled.connect(self._update)
        self.cert_combo.currentIndexChanged.connect(self._update)
        self._running = False
        self._update()

    def focus_chain(self) -> list[QWidget]:
        """The inputs in reading order, for the panel's tab order."""
        files = [self.cert_edit, self.cert_button, self.key_edit, self.key_button]
        return [self.tls_check, self.cert_combo, *files, self.copy_button]

    def embed(self) -> None:
        """Sit inside another group box: no frame, no title, no margins of its own."""
        _embed(self)

    def plan(self) -> ServerTlsPlan | None:
        """The TLS choice, checked; None without TLS.

        Raises:
            AddressError: "load files" chosen with a file missing (also shown in the box).
        """
        if not self.tls_check.isChecked():
            return None
        if self.cert_combo.currentData() == "files":
            cert, key = self.cert_edit.text().strip(), self.key_edit.text().strip()
            if not cert or not key:
                message = self.tr("Choose both the certificate file and its key file")
                self.error.show_error(message)
                raise AddressError(message)
            self.error.clear_error()
            return ServerTlsPlan(cert, key)
        self.error.clear_error()
        return ServerTlsPlan()

    def set_running(self, running: bool, fingerprint: str = "") -> None:
        """Lock the inputs while serving; show the certificate's fingerprint when there is one."""
        self._running = running
        self.fingerprint = fingerprint if running else ""
        self._update()

    def copy_fingerprint(self) -> None:
        if self.fingerprint:
            QGuiApplication.clipboard().setText(self.fingerprint)

    def _update(self) -> None:
        on = self.tls_check.isChecked()
        files = on and self.cert_combo.currentData() == "files"
        idle = not self._running
        self.tls_check.setEnabled(idle)
        self.cert_combo.setEnabled(idle and on)
        for widget in (self.cert_edit, self.cert_button, self.key_edit, self.key_button):
            widget.setVisible(files)
            widget.setEnabled(idle)
        if self.fingerprint:
            self.fingerprint_label.setText(format_fingerprint(self.fingerprint))
        elif on:
            self.fingerprint_label.setText(self.tr("Fingerprint shown once running"))
        else:
            self.fingerprint_label.setText("")
        self.fingerprint_label.setVisible(on)
        self.copy_button.setVisible(on)
        self.copy_button.setEnabled(bool(self.fingerprint))

    def _file_field(
        self, name: str, placeholder: str, tip: str, accessible: str, button_tip: str
    ) -> tuple[QLineEdit, QPushButton]:
        """A PEM file's field (``<name>FileEdit``) and its Browse button (``<name>FileButton``)."""
        edit = line_edit(
            self, f"{name}FileEdit", accessible=accessible, tip=tip, placeholder=placeholder
        )
        button = push_button(
            self,
            self.tr("Browse…"),
            f"{name}FileButton",
            lambda: self._choose(edit),
            tip=button_tip,
        )
        return edit, button

    def _choose(self, edit: QLineEdit) -> None:
        filters = self.tr("PEM files (*.pem *.crt *.key);;All files (*)")
        ask_file(self, self.tr("Choose a file"), filters, edit.setText)


class ConnectionOptionsBox(QGroupBox):
    """How a TCP client keeps its connection: keepalive probes, a heartbeat, a dead-peer time,
    and reconnecting with backoff."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Connection"), parent)
        self.setObjectName("connectionOptionsBox")
        tip = self.tr("Let the system probe an idle connection (TCP keepalive)")
        self.keepalive_check = check_box(self, self.tr("&Keepalive"), "keepaliveCheck", tip)
        idle_tip = self.tr("Seconds of silence before the first probe")
        interval_tip = self.tr("Seconds between probes")
        probes_tip = self.tr("Unanswered probes before the connection is given up")
        self.keepalive_idle, self.keepalive_interval, self.keepalive_count = (
            self._spin(QSpinBox, name, limits, accessible, tip)
            for name, limits, accessible, tip in (
                ("keepaliveIdleSpin", (1, 86400, 60), self.tr("Keepalive idle time"), idle_tip),
                (
                    "keepaliveIntervalSpin",
                    (1, 3600, 10),
                    self.tr("Keepalive interval"),
                    interval_tip,
                ),
                ("keepaliveCountSpin", (1, 100, 5), self.tr("Keepalive probes"), probes_tip),
            )
        )
        self.keepalive_idle.setPrefix(self.tr("idle "))
        self.keepalive_interval.setPrefix(self.tr("every "))
        self.keepalive_count.setSuffix(self.tr(" probes"))
        tip = self.tr("Send a payload on a timer while connected")
        self.heartbeat_check = check_box(self, self.tr("Heart&beat"), "heartbeatCheck", tip)
        self.heartbeat_edit = QLineEdit("PING\\n", self)
        self.heartbeat_edit.setObjectName("heartbeatEdit")
        self.heartbeat_edit.setFont(monospace_font())
        self.heartbeat_edit.setToolTip(
            self.tr("Heartbeat payload; escapes such as \\n, \\r and \\x00 are understood")
        )
        self.heartbeat_edit.setAccessibleName(self.tr("Heartbeat payload"))
        period, dead = self.tr("Heartbeat period"), self.tr("Dead-peer timeout")
        period_tip = self.tr("Send the heartbeat every this many seconds")
        dead_tip = self.tr(
            "Close the connection when the server sends nothing for this long (0 = off)"
        )
        self.heartbeat_period, self.dead_after = (
            self._spin(QDoubleSpinBox, name, limits, accessible, tip)
            for name, limits, accessible, tip in (
                ("heartbeatPeriodSpin", (0.1, 86400.0, 30.0), period, period_tip),
                ("deadAfterSpin", (0.0, 86400.0, 0.0), dead, dead_tip),
            )
        )
        self.heartbeat_period.setPrefix(self.tr("every "))
        self.heartbeat_error = InlineError(self)
        self.dead_after.setSpecialValueText(self.tr("off"))
        tip = self.tr("Connect again after the connection is lost, waiting longer each time")
        self.reconnect_check = check_box(self, self.tr("Auto-&reconnect"), "reconnectCheck", tip)
        wait, wait_tip = (
            self.tr("Maximum reconnect delay"),
            self.tr("The longest wait between reconnect attempts"),
        )
        self.reconnect_max = self._spin(
            QDoubleSpinBox, "reconnectMaxSpin", (1.0, 3600.0, 30.0), wait, wait_tip
        )
        self.reconnect_max.setPrefix(self.tr("wait up to "))

        grid = QGridLayout(self)
        grid.addWidget(self.keepalive_check, 0, 0)
        keepalive_row = QHBoxLayout()
        for spin in (self.keepalive_idle, self.keepalive_interval, self.keepalive_count):
            keepalive_row.addWidget(spin)
        grid.addLayout(keepalive_row, 0, 1)
        grid.addWidget(self.heartbeat_check, 1, 0)
        heartbeat_row = QHBoxLayout()
        heartbeat_row.addWidget(self.heartbeat_edit, 1)
        heartbeat_row.addWidget(self.heartbeat_period)
        grid.addLayout(heartbeat_row, 1, 1)
        grid.addWidget(self.heartbeat_error, 2, 0, 1, 2)
        dead_label = QLabel(self.tr("D&ead peer after:"), self)
        dead_label.setBuddy(self.dead_after)
        grid.addWidget(dead_label, 3, 0)
        grid.addWidget(self.dead_after, 3, 1, Qt.AlignmentFlag.AlignLeft)
        grid.addWidget(self.reconnect_check, 4, 0)
        grid.addWidget(self.reconnect_max, 4, 1, Qt.AlignmentFlag.AlignLeft)
        grid.setColumnStretch(1, 1)
        grid.setRowStretch(5, 1)

        self.keepalive_check.toggled.connect(self._update)
        self.heartbeat_check.toggled.connect(self._update)
        self.reconnect_check.toggled.connect(self._update)
        self.heartbeat_edit.textChanged.connect(self.heartbeat_error.clear_error)
        self._update()

    def _spin(
        self, kind: type[_Spin], name: str, limits: tuple[float, ...], accessible: str, tip: str
    ) -> _Spin:
        """A time in seconds named ``name``: ``limits`` are its (lowest, highest, start) value;
        a QDoubleSpinBox shows tenths."""
        low, high, value = limits
        suffix = self.tr(" s")
        return spin_box(
            kind(self), name, accessible, (low, high), value=value, suffix=suffix, tip=tip
        )

    def client_kwargs(self) -> dict[str, Any]:
        """TcpClient keyword arguments for these settings.

        Raises:
            PayloadError: a malformed heartbeat payload (also shown in the box).
        """
        kwargs: dict[str, Any] = {}
        if self.keepalive_check.isChecked():
            kwargs.update(
                keepalive=True,
                keepalive_idle=self.keepalive_idle.value(),
                keepalive_interval=self.keepalive_interval.value(),
                keepalive_count=self.keepalive_count.value(),
            )
        if self.heartbeat_check.isChecked():
            try:
                payload = parse_escapes(self.heartbeat_edit.text())
            except PayloadError as exc:
                self.heartbeat_error.show_error(str(exc))
                raise
            if not payload:
                message = self.tr("The heartbeat is empty: type the bytes to send")
                self.heartbeat_error.show_error(message)
                raise PayloadError(message)
            kwargs.update(heartbeat=payload, heartbeat_interval=self.heartbeat_period.value())
        if self.dead_after.value() > 0:
            kwargs["dead_after"] = self.dead_after.value()
        if self.reconnect_check.isChecked():
            maximum = self.reconnect_max.value()
            kwargs.update(
                reconnect=True, reconnect_initial=min(1.0, maximum), reconnect_max=maximum
            )
        return kwargs

    def focus_chain(self) -> list[QWidget]:
        """The inputs in reading order, for the panel's tab order."""
        keepalive = [self.keepalive_idle, self.keepalive_interval, self.keepalive_count]
        heartbeat = [self.heartbeat_check, self.heartbeat_edit, self.heartbeat_period]
        reconnect = [self.dead_after, self.reconnect_check, self.reconnect_max]
        return [self.keepalive_check, *keepalive, *heartbeat, *reconnect]

    def set_enabled_inputs(self, enabled: bool) -> None:
        self.setEnabled(enabled)

    def _update(self) -> None:
        for spin in (self.keepalive_idle, self.keepalive_interval, self.keepalive_count):
            spin.setEnabled(self.keepalive_check.isChecked())
        self.heartbeat_edit.setEnabled(self.heartbeat_check.isChecked())
        self.heartbeat_period.setEnabled(self.heartbeat_check.isChecked())
        self.reconnect_max.setEnabled(self.reconnect_check.isChecked())
