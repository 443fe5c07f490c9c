"""The packet dialog of the Packets view: edit one saved packet (name, folder, protocol,
destination, payload with checksum and variables, local port, repeat).
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from gui.widgets.forms import spin_box
from gui.widgets.payload import PayloadEditor
from gui.widgets.status import InlineError
from net.address import parse_host
from net.errors import NetError
from net.packets import PROTOCOLS, LibraryError, Packet

__all__ = ["PacketDialog"]


class PacketDialog(QDialog):
    """Edit one packet: name, folder, protocol, destination, payload (with checksum and
    variables), local port, repeat. ``packet()`` is the result once accepted."""

    def __init__(self, packet: Packet, taken: set[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("packetDialog")
        self.setWindowTitle(self.tr("Packet"))
        self._taken = taken
        self._result: Packet | None = None
        self.name_edit = QLineEdit(packet.name, self)
        self.name_edit.setObjectName("packetNameEdit")
        self.folder_edit = QLineEdit(packet.folder, self)
        self.folder_edit.setObjectName("packetFolderEdit")
        self.folder_edit.setPlaceholderText(self.tr("Optional group, like modbus"))
        self.protocol_combo = QComboBox(self)
        self.protocol_combo.setObjectName("packetProtocolCombo")
        for protocol in PROTOCOLS:
            self.protocol_combo.addItem(protocol.upper(), protocol)
        self.protocol_combo.setCurrentIndex(PROTOCOLS.index(packet.protocol))
        self.host_edit = QLineEdit(packet.host, self)
        self.host_edit.setObjectName("packetHostEdit")
        self.host_edit.setPlaceholderText(self.tr("Empty: the TCP Server's clients"))
        self.port_spin = self._spin("packetPortSpin", 0, 65535, packet.port)
        self.port_spin.setSpecialValueText(self.tr("none"))
        self.local_port_spin = self._spin("packetLocalPortSpin", 0, 65535, packet.local_port)
        self.local_port_spin.setSpecialValueText(self.tr("any"))
        self.payload = PayloadEditor(self, name="packetPayloadEdit")
        self.payload.set_spec(packet.spec)
        self.payload.set_checksum(packet.checksum)
        self.repeat_spin = self._spin("packetRepeatSpin", 0, 1_000_000_000, packet.repeat_count)
        self.repeat_spin.setSpecialValueText(self.tr("until stopped"))
        self.interval_spin = self._spin(
            "packetIntervalSpin", 0, 86_400_000, int(packet.repeat_interval_ms)
        )
        self.interval_spin.setSuffix(self.tr(" ms"))
        self.error = InlineError(self)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

        form = QFormLayout()
        form.addRow(self.tr("&Name:"), self.name_edit)
        form.addRow(self.tr("&Folder:"), self.folder_edit)
        form.addRow(self.tr("P&rotocol:"), self.protocol_combo)
        form.addRow(self.tr("&Host:"), self.host_edit)
        form.addRow(self.tr("&Port:"), self.port_spin)
        form.addRow(self.tr("&Local port:"), self.local_port_spin)
        form.addRow(self.tr("&Repeat:"), self.repeat_spin)
        form.addRow(self.tr("&Interval:"), self.interval_spin)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.payload, 1)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.protocol_combo.currentIndexChanged.connect(self._update)
        self._update()
        self.resize(560, 480)

    def _spin(self, name: str, low: int, high: int, value: int) -> QSpinBox:
        return spin_box(QSpinBox(self), name, "", (low, high), value=value, grouped=True)

    def _update(self) -> None:
        self.local_port_spin.setEnabled(self.protocol_combo.currentData() == "udp")

    def edited(self) -> Packet:
        """The packet as the fields say.

        Raises:
            NetError: a field that cannot be used (the sentence says which).
        """
        name = self.name_edit.text().strip()
        if name in self._taken:
            raise LibraryError(self.tr("A packet named {name} exists already").format(name=name))
        host = self.host_edit.text().strip()
        if host:
            host = parse_host(host)
        protocol = str(self.protocol_combo.currentData())
        self.payload.next_bytes()  # PayloadError for malformed hex, unknown variables ...
        spec = self.payload.spec()
        packet = Packet(
            name=name,
            protocol=protocol,  # type: ignore[arg-type]
            host=host,
            port=self.port_spin.value(),
            payload=spec.text,
            mode=spec.mode,
            encoding=spec.encoding,
            line_ending=spec.line_ending,
            checksum=self.payload.checksum(),
            repeat_count=self.repeat_spin.value(),
            repeat_interval_ms=float(self.interval_spin.value()),
            local_port=self.local_port_spin.value() if protocol == "udp" else 0,
            folder=self.folder_edit.text().strip(),
        )
        return packet.check()

    def accept(self) -> None:
        try:
            self._result = self.edited()
        except NetError as exc:
            self.error.show_error(str(exc))
            return
        super().accept()

    def packet(self) -> Packet | None:
        return self._result
