"""The Packets view: the saved-packet library beside every send panel (issue 17).

Packets are listed by name in a Qt item view (objectName ``packetLibrary``) with search; a double
click or Enter sends one through the panel that speaks its protocol (UDP Send, TCP Client, or the
TCP Server's send box for packets without a host), so it shows in that panel's traffic log. The
library is net.packets' JSON file in the user's data folder, saved after every change.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QByteArray,
    QCoreApplication,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSettings,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDockWidget,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QPushButton,
    QSpinBox,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gui.panels.base import Panel
from gui.widgets.counters import format_count
from gui.widgets.payload import PayloadEditor, SendCount
from gui.widgets.send_tools import PayloadHistory, RepeatSend
from gui.widgets.status import InlineError, StatusLine
from gui.widgets.style import monospace_font
from gui.widgets.table_model import RowTableModel
from net.address import parse_host
from net.codec import PayloadSpec, render_text, to_hex
from net.errors import NetError, PayloadError
from net.packets import (
    PROTOCOLS,
    LibraryError,
    Packet,
    default_library_path,
    load_library,
    merge_packets,
    read_packets_file,
    save_library,
)

__all__ = [
    "PacketDialog",
    "PacketLibraryPanel",
    "PacketModel",
    "install_packet_library",
]

_ROWS_MIME = "application/x-socket-workbench-packet-rows"
_PREVIEW_BYTES = 48
_VISIBLE_KEY = "packets/visible"
_SHOW_KEYS = "Ctrl+Shift+P"
_Index = QModelIndex | QPersistentModelIndex


def _destination(packet: Packet) -> str:
    if not packet.host:
        return ""
    host = f"[{packet.host}]" if ":" in packet.host else packet.host
    return f"{host}:{packet.port}"


_DISPLAY = Qt.ItemDataRole.DisplayRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole


@functools.lru_cache(maxsize=4096)
def _cells(packet: Packet) -> tuple[str, str, str, str]:
    """A packet's four cells as shown (cached: a scrolled page asks for each many times)."""
    name = f"{packet.folder}/{packet.name}" if packet.folder else packet.name
    text = packet.payload[:80]
    payload = render_text(text.encode("utf-8", "replace")) if packet.mode == "text" else text
    return name, packet.protocol.upper(), _destination(packet), payload


class PacketModel(RowTableModel):
    """The library's packets in order, narrowed by a search: the view's rows are the packets that
    match (:meth:`library_row` maps a view row back). Rows move by drag and drop.

    The search runs in Python over cached lower-case texts, not row by row through Qt's
    filter proxy, which calls ``data()`` once per packet: with 10,000 packets a keystroke took
    ~120 ms that way and ~20 ms this way, repaint included (benchmarks/bench_packets.py).
    """

    NAME, PROTOCOL, DESTINATION, PAYLOAD = range(4)
    #: The packets' order changed (a drop or a move): the library should be saved.
    order_changed = Signal()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(
            [self.tr("Name"), self.tr("Protocol"), self.tr("Destination"), self.tr("Payload")],
            parent,
        )
        self._packets: list[Packet] = []
        self._search: list[str] = []
        self._query = ""
        self._rows: list[int] = []  # the library rows shown, in library order

    # -- the library and the search ------------------------------------------------------------

    def packets(self) -> list[Packet]:
        return list(self._packets)

    def packet(self, library_row: int) -> Packet:
        return self._packets[library_row]

    def library_row(self, view_row: int) -> int:
        return self._rows[view_row]

    def view_row(self, library_row: int) -> int | None:
        """The view row showing the packet at ``library_row``; None when the search hides it."""
        at = bisect.bisect_left(self._rows, library_row)
        return at if at < len(self._rows) and self._rows[at] == library_row else None

    @property
    def filtered(self) -> bool:
        return bool(self._query)

    def set_query(self, text: str) -> None:
        """Show only the packets whose name, folder, protocol, destination or payload contain
        ``text`` (ignoring case); "" shows all."""
        query = text.strip().casefold()
        if query != self._query:
            self.beginResetModel()
            self._query = query
            self._refilter()
            self.endResetModel()

    def set_packets(self, packets: list[Packet]) -> None:
        self.beginResetModel()
        self._packets = list(packets)
        self._search = [self._search_text(p) for p in self._packets]
        self._refilter()
        self.endResetModel()

    def replace(self, library_row: int, packet: Packet) -> None:
        self._packets[library_row] = packet
        self._search[library_row] = self._search_text(packet)
        row = self.view_row(library_row)
        if row is not None:  # still shown, even if it no longer matches: it was just edited
            self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))

    def insert(self, library_row: int, packet: Packet) -> None:
        if self.filtered:
            packets = self.packets()
            packets.insert(library_row, packet)
            self.set_packets(packets)
            return
        self.beginInsertRows(QModelIndex(), library_row, library_row)
        self._packets.insert(library_row, packet)
        self._search.insert(library_row, self._search_text(packet))
        self._refilter()
        self.endInsertRows()

    def remove(self, library_rows: list[int]) -> None:
        """Remove the packets at ``library_rows``."""
        gone = set(library_rows)
        if self.filtered:
            self.set_packets([p for i, p in enumerate(self._packets) if i not in gone])
            return
        for row in sorted(gone, reverse=True):
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._packets[row]
            del self._search[row]
            self._refilter()
            self.endRemoveRows()

    def _refilter(self) -> None:
        query = self._query
        if query:
            self._rows = [i for i, text in enumerate(self._search) if query in text]
        else:
            self._rows = list(range(len(self._packets)))

    # -- moving --------------------------------------------------------------------------------

    def moveRows(
        self,
        source_parent: _Index,
        source_row: int,
        count: int,
        destination_parent: _Index,
        destination: int,
    ) -> bool:
        """Qt's move (unfiltered only): rows ``source_row`` .. +``count`` go before row
        ``destination``."""
        last = source_row + count - 1
        if (
            self.filtered
            or source_parent.isValid()
            or destination_parent.isValid()
            or count < 1
            or source_row < 0
            or last >= len(self._packets)
            or not 0 <= destination <= len(self._packets)
            or source_row <= destination <= last + 1
        ):
            return False
        if not self.beginMoveRows(QModelIndex(), source_row, last, QModelIndex(), destination):
            return False
        moved = self._packets[source_row : last + 1]
        searched = self._search[source_row : last + 1]
        del self._packets[source_row : last + 1]
        del self._search[source_row : last + 1]
        at = destination if destination < source_row else destination - count
        self._packets[at:at] = moved
        self._search[at:at] = searched
        self.endMoveRows()
        return True

    def move(self, rows: list[int], target: int) -> None:
        """Move the packets at library ``rows`` (any order), keeping their order, together to
        before the packet at library row ``target`` (the end when it is the packet count)."""
        chosen = sorted(r for r in set(rows) if 0 <= r < len(self._packets))
        if not chosen:
            return
        moving = [self._packets[r] for r in chosen]
        if self.filtered:
            rest = [(i, p) for i, p in enumerate(self._packets) if i not in set(chosen)]
            at = next((n for n, (i, _p) in enumerate(rest) if i >= target), len(rest))
            packets = [p for _i, p in rest]
            packets[at:at] = moving
            self.set_packets(packets)
            self.order_changed.emit()
            return
        anchor = next(
            (p for p in self._packets[max(0, target) :] if not any(p is m for m in moving)), None
        )
        for packet in moving:
            current = next(i for i, p in enumerate(self._packets) if p is packet)
            before = (
                next(i for i, p in enumerate(self._packets) if p is anchor)
                if anchor is not None
                else len(self._packets)
            )
            if current != before and current + 1 != before:
                self.moveRows(QModelIndex(), current, 1, QModelIndex(), before)
        self.order_changed.emit()

    # -- Qt's model interface ------------------------------------------------------------------

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Painting asks for a dozen roles per cell; only two have anything to say.
        if role == _DISPLAY:
            return _cells(self._packets[self._rows[index.row()]])[index.column()]
        if role == _TOOLTIP and index.column() == self.PAYLOAD:
            return self._packets[self._rows[index.row()]].payload[:2000]
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled
        return base | Qt.ItemFlag.ItemIsDragEnabled

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:
        return [_ROWS_MIME]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        rows = sorted({self._rows[index.row()] for index in indexes if index.isValid()})
        mime = QMimeData()
        mime.setData(_ROWS_MIME, QByteArray(json.dumps(rows).encode()))
        return mime

    def dropMimeData(
        self,
        data: QMimeData,
        action: Qt.DropAction,
        row: int,
        column: int,
        parent: _Index,
    ) -> bool:
        """Move the dragged rows to ``row`` (or before ``parent``'s row when dropped on a row).

        The rows are moved here with :meth:`moveRows`, so False is returned: the view must not
        remove the "source" rows afterwards, as it would after a copy between models.
        """
        if action != Qt.DropAction.MoveAction or not data.hasFormat(_ROWS_MIME):
            return False
        try:
            rows = [int(r) for r in json.loads(bytes(data.data(_ROWS_MIME).data()))]
        except (ValueError, TypeError):
            return False
        view_row = row if row >= 0 else parent.row() if parent.isValid() else len(self._rows)
        if view_row < len(self._rows):
            target = self._rows[view_row]
        else:  # below the last row shown: after that packet
            target = self._rows[-1] + 1 if self._rows else len(self._packets)
        self.move(rows, target)
        return False

    @staticmethod
    def _search_text(packet: Packet) -> str:
        return " ".join(
            (packet.name, packet.folder, packet.protocol, _destination(packet), packet.payload)
        ).casefold()


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
        spin = QSpinBox(self)
        spin.setObjectName(name)
        spin.setRange(low, high)
        spin.setGroupSeparatorShown(True)
        spin.setValue(value)
        return spin

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


class PacketLibraryPanel(QWidget):
    """The library: search, the packet list, the preview of the selected packet's bytes, and
    the buttons (send, new, edit, duplicate, delete, move up/down).

    Args:
        path: the library file (default: net.packets.default_library_path(), resolved on load).
    Signals:
        send_requested(Packet): the user asked to send this packet.
    """

    send_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None, *, path: Path | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("packetLibraryPanel")
        self.path = path
        self.visibility_settings: QSettings | None = None
        self._writable = True
        self.dialog: PacketDialog | None = None
        self.model = PacketModel(self)
        # A drop moves rows inside the model (PacketModel.dropMimeData); one save per drop.
        self._order_timer = QTimer(self)
        self._order_timer.setSingleShot(True)
        self._order_timer.setInterval(0)
        self._order_timer.timeout.connect(self._save_order)
        self.model.order_changed.connect(self._order_timer.start)

        self.search = QLineEdit(self)
        self.search.setObjectName("packetSearchEdit")
        self.search.setPlaceholderText(self.tr("Search packets"))
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName(self.tr("Search packets"))
        self.search.textChanged.connect(self._filter)

        self.view = QTableView(self)
        self.view.setObjectName("packetLibrary")
        self.view.setAccessibleName(self.tr("Saved packets"))
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.view.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.view.setDragEnabled(True)
        self.view.setDropIndicatorShown(True)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setDefaultSectionSize(self.view.fontMetrics().height() + 6)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.view.setWordWrap(False)
        em = self.view.fontMetrics().averageCharWidth()
        for column, chars in ((PacketModel.NAME, 20), (PacketModel.PROTOCOL, 6)):
            self.view.setColumnWidth(column, chars * em + 12)
        # Not ``activated``: it also fires on a double click on most systems (sending twice) and
        # on a single click where the desktop asks for that.
        self.view.doubleClicked.connect(lambda _index: self.send_selected())
        self.view.selectionModel().currentRowChanged.connect(self._show_preview)

        self.preview = QLabel(self)
        self.preview.setObjectName("packetPreview")
        self.preview.setFont(monospace_font())
        self.preview.setWordWrap(True)
        self.preview.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status = StatusLine(self)

        self.send_button = self._button(self.tr("&Send"), "packetSendButton", self.send_selected)
        self.send_button.setToolTip(self.tr("Send the selected packet (Enter or double click)"))
        self.new_button = self._button(self.tr("&New…"), "packetNewButton", self.new_packet)
        # The other actions wait in a menu (and on the keys), so the dock stays narrow.
        self.more_button = QToolButton(self)
        self.more_button.setObjectName("packetMoreButton")
        self.more_button.setText(self.tr("More"))
        self.more_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        more = QMenu(self.more_button)
        self.edit_action = self._menu_action(more, self.tr("&Edit…"), "F2", self.edit_selected)
        self.duplicate_action = self._menu_action(
            more, self.tr("D&uplicate"), "Ctrl+D", self.duplicate_selected
        )
        self.delete_action = self._menu_action(
            more, self.tr("&Delete"), QKeySequence.StandardKey.Delete, self.delete_selected
        )
        more.addSeparator()
        self._menu_action(more, self.tr("Move &up"), "Ctrl+Up", lambda: self.move_by(-1))
        self._menu_action(more, self.tr("Move do&wn"), "Ctrl+Down", lambda: self.move_by(1))
        self.more_button.setMenu(more)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(
            lambda pos: more.popup(self.view.viewport().mapToGlobal(pos))
        )
        self._shortcut(QKeySequence(Qt.Key.Key_Return), self.send_selected)
        self._shortcut(QKeySequence(Qt.Key.Key_Enter), self.send_selected)

        buttons = QHBoxLayout()
        for button in (self.send_button, self.new_button, self.more_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.search)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.preview)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        self._show_preview()

    # -- building ------------------------------------------------------------------------------

    def _button(self, text: str, name: str, slot: Any) -> QPushButton:
        button = QPushButton(text, self)
        button.setObjectName(name)
        button.setAutoDefault(False)
        button.clicked.connect(lambda _checked=False: slot())
        return button

    def _shortcut(self, keys: QKeySequence, slot: Any) -> QAction:
        action = QAction(self.view)
        action.setShortcut(keys)
        action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        action.triggered.connect(lambda _checked=False: slot())
        self.view.addAction(action)
        return action

    def _menu_action(
        self, menu: QMenu, text: str, keys: str | QKeySequence.StandardKey, slot: Any
    ) -> QAction:
        action = self._shortcut(QKeySequence(keys), slot)
        action.setText(text)
        menu.addAction(action)
        return action

    def remember_visibility(self, shown: bool) -> None:
        """The dock was shown or hidden while the window is up (not by the window closing):
        keep it so for the next start."""
        if self.visibility_settings is not None:
            self.visibility_settings.setValue(_VISIBLE_KEY, bool(shown))

    # -- the library file ----------------------------------------------------------------------

    def library_path(self) -> Path:
        if self.path is None:
            self.path = default_library_path()
        return self.path

    def load(self) -> bool:
        """Read the library file; on failure show why, and save nothing over it."""
        try:
            packets = load_library(self.library_path())
        except NetError as exc:
            self._writable = False
            self.model.set_packets([])
            self.status.show_error(
                self.tr("{problem}. The file is left as it is: fix it or open another.").format(
                    problem=str(exc).rstrip(".")
                )
            )
            return False
        self._writable = True
        self.model.set_packets(packets)
        self.status.show_info(
            self.tr("{count} packets in {path}", "", len(packets)).format(
                count=format_count(len(packets)), path=self.library_path()
            )
        )
        self._show_preview()
        return True

    def open_library(self, path: str | Path) -> bool:
        """Use the library file at ``path`` from now on (a new file starts empty)."""
        previous, self.path = self.path, Path(path)
        if self.load():
            return True
        self.path = previous
        return False

    def save_library_as(self, path: str | Path) -> bool:
        """Write the packets to ``path`` and keep using that file."""
        try:
            save_library(path, self.model.packets())
        except NetError as exc:
            self.status.show_error(str(exc))
            return False
        self.path = Path(path)
        self._writable = True
        self.status.show_info(self.tr("Saved the library to {path}").format(path=path))
        return True

    def import_file(self, path: str | Path) -> bool:
        """Add the packets of a Packet Sender export or a library file; same names replace.
        Nothing changes when the file cannot be read."""
        if not self._check_writable():
            return False
        try:
            incoming = read_packets_file(path)
            merged, added, replaced = merge_packets(self.model.packets(), incoming)
            save_library(self.library_path(), merged)
        except NetError as exc:
            self.status.show_error(str(exc))
            return False
        self.model.set_packets(merged)
        self.status.show_info(
            self.tr(
                "Imported {count} packets ({added} new, {replaced} replaced)", "", len(incoming)
            ).format(
                count=format_count(len(incoming)),
                added=format_count(added),
                replaced=format_count(replaced),
            )
        )
        return True

    def choose_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            self.tr("Import packets"),
            "",
            self.tr("Packet Sender export or packet library (*.json);;All files (*)"),
        )
        if path:
            self.import_file(path)

    def choose_open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Open a packet library"), "", self.tr("Packet library (*.json)")
        )
        if path:
            self.open_library(path)

    def choose_save_as(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self,
            self.tr("Save the packet library"),
            "packets.json",
            self.tr("Packet library (*.json)"),
        )
        if path:
            self.save_library_as(path)

    def _check_writable(self) -> bool:
        if not self._writable:
            self.status.show_error(
                self.tr("The library file cannot be read, so it is not changed: open another")
            )
        return self._writable

    def _commit(self, packets: list[Packet]) -> bool:
        """Save ``packets``; the model shows them only once they are on disk."""
        if not self._check_writable():
            return False
        try:
            save_library(self.library_path(), packets)
        except NetError as exc:
            self.status.show_error(str(exc))
            return False
        return True

    # -- editing -------------------------------------------------------------------------------

    def packets(self) -> list[Packet]:
        return self.model.packets()

    def selected_rows(self) -> list[int]:
        rows = {
            self.model.library_row(index.row())
            for index in self.view.selectionModel().selectedRows()
        }
        if not rows:
            current = self.view.currentIndex()
            if current.isValid():
                rows.add(self.model.library_row(current.row()))
        return sorted(rows)

    def select_row(self, row: int) -> None:
        view_row = self.model.view_row(row)
        if view_row is None:  # hidden by the search: show everything again
            self.search.clear()
            view_row = row
        self.view.setCurrentIndex(self.model.index(view_row, 0))
        self.view.selectRow(view_row)

    def new_packet(self, template: Packet | None = None) -> PacketDialog:
        """Open the packet dialog for a new packet (``template`` fills it in)."""
        base = template or Packet(self.tr("New packet"), port=0)
        packet = dataclasses.replace(base, name=self._unique_name(base.name))
        return self._open_dialog(packet, None)

    def edit_selected(self) -> PacketDialog | None:
        rows = self.selected_rows()
        if not rows:
            self.status.show_error(self.tr("Select a packet first"))
            return None
        return self._open_dialog(self.model.packet(rows[0]), rows[0])

    def duplicate_selected(self) -> None:
        rows = self.selected_rows()
        if not rows:
            self.status.show_error(self.tr("Select a packet first"))
            return
        packets = self.model.packets()
        copy = packets[rows[-1]]
        copy = dataclasses.replace(copy, name=self._unique_name(copy.name))
        packets.insert(rows[-1] + 1, copy)
        if self._commit(packets):
            self.model.insert(rows[-1] + 1, copy)
            self.select_row(rows[-1] + 1)

    def delete_selected(self) -> None:
        rows = self.selected_rows()
        if not rows:
            return
        packets = [p for i, p in enumerate(self.model.packets()) if i not in set(rows)]
        if self._commit(packets):
            self.model.remove(rows)
            self.status.show_info(
                self.tr("Deleted {count} packets", "", len(rows)).format(
                    count=format_count(len(rows))
                )
            )

    def move_by(self, step: int) -> None:
        """Move the selected packets one row up (-1) or down (+1)."""
        rows = self.selected_rows()
        if not rows:
            return
        if (step < 0 and rows[0] == 0) or (step > 0 and rows[-1] == self.model.rowCount() - 1):
            return
        target = rows[0] - 1 if step < 0 else rows[-1] + 2
        self.move_rows(rows, target)

    def move_rows(self, rows: list[int], target: int) -> None:
        """Move ``rows`` together before row ``target`` (what a drag and drop does); the new
        order is saved on the next turn of the event loop."""
        self.model.move(rows, target)

    def _save_order(self) -> None:
        if not self._commit(self.model.packets()):
            self.load()  # show what the file still says

    def _open_dialog(self, packet: Packet, row: int | None) -> PacketDialog:
        taken = {p.name for i, p in enumerate(self.model.packets()) if i != row}
        if self.dialog is not None:
            self.dialog.close()
        dialog = PacketDialog(packet, taken, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._dialog_done(dialog, row))
        dialog.destroyed.connect(lambda _obj=None: self._forget_dialog(dialog))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _forget_dialog(self, dialog: PacketDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None

    def _dialog_done(self, dialog: PacketDialog, row: int | None) -> None:
        packet = dialog.packet()
        if packet is None:
            return
        packets = self.model.packets()
        if row is None or row >= len(packets):
            packets.append(packet)
        else:
            packets[row] = packet
        if not self._commit(packets):
            return
        if row is None or row >= self.model.rowCount():
            self.model.insert(self.model.rowCount(), packet)
            row = self.model.rowCount() - 1
        else:
            self.model.replace(row, packet)
        self.select_row(row)
        self._show_preview()
        self.status.show_info(self.tr("Saved {name}").format(name=packet.name))

    def _unique_name(self, name: str) -> str:
        taken = {p.name for p in self.model.packets()}
        if name not in taken:
            return name
        number = 2
        while f"{name} ({number})" in taken:
            number += 1
        return f"{name} ({number})"

    # -- sending and showing -------------------------------------------------------------------

    def send_selected(self) -> None:
        rows = self.selected_rows()
        if not rows:
            self.status.show_error(self.tr("Select a packet first"))
            return
        self.send_requested.emit(self.model.packet(rows[0]))

    def _filter(self, text: str) -> None:
        self.model.set_query(text)

    def _show_preview(self, *_args: object) -> None:
        rows = self.selected_rows()
        if not rows:
            self.preview.setText(self.tr("Double-click a packet or press Enter to send it"))
            return
        packet = self.model.packet(rows[0])
        try:
            data = packet.to_bytes()
        except PayloadError as exc:
            self.preview.setText(str(exc))
            return
        shown = to_hex(data[:_PREVIEW_BYTES]) + (" …" if len(data) > _PREVIEW_BYTES else "")
        self.preview.setText(
            self.tr("{size} bytes: {bytes}", "", len(data)).format(
                size=format_count(len(data)), bytes=shown
            )
        )


class PacketDispatcher(QObject):
    """Sends a library packet through the panel that speaks its protocol, so that it shows in
    that panel's traffic log: UDP Send, TCP Client (connecting first when idle), or the TCP
    Server's clients for a packet without a host. Reports problems on the library's status."""

    def __init__(self, window: Any, library: PacketLibraryPanel) -> None:
        super().__init__(library)
        self.window = window
        self.library = library
        self._pending: Packet | None = None
        self._watching = False
        self._repeat = QTimer(self)
        self._repeat.timeout.connect(self._repeat_tcp)
        self._repeats_left = 0
        # {{counter}} counts each packet's sends (issue 17), whichever panel sends it.
        self._counts: dict[str, SendCount] = {}

    def _panel(self, name: str) -> Panel | None:
        try:
            panel: Panel = self.window.panel(name)
        except KeyError:
            return None
        return panel

    def send(self, packet: Packet) -> None:
        if packet.protocol == "udp":
            self._send_udp(packet)
        elif packet.host:
            self._send_tcp_client(packet)
        else:
            self._send_tcp_server(packet)

    def _show(self, panel: Panel) -> None:
        self.window.show_panel(panel.objectName())

    def _load_payload(self, editor: PayloadEditor, packet: Packet) -> None:
        if editor.spec() != packet.spec:
            editor.set_spec(packet.spec)
        editor.set_checksum(packet.checksum)
        count = self._counts.get(packet.name)
        if count is None or count.text != packet.payload:  # a new or edited packet
            count = self._counts[packet.name] = SendCount(packet.payload)
        editor.use_send_count(count)

    def _send_udp(self, packet: Packet) -> None:
        panel: Any = self._panel("udpSendPanel")
        if panel is None:
            return
        if panel.runner.running:
            self.library.status.show_error(
                self.tr("UDP Send is still sending: stop it first, then send {name}").format(
                    name=packet.name
                )
            )
            return
        panel.host.set_text(packet.host)
        panel.port.set_text(str(packet.port) if packet.port else "")
        panel.bind_port.set_text(str(packet.local_port) if packet.local_port else "")
        self._load_payload(panel.payload, packet)
        panel.count_spin.setValue(packet.repeat_count or panel.count_spin.maximum())
        panel.interval_spin.setValue(int(packet.repeat_interval_ms))
        self._show(panel)
        panel.trigger_send()
        self.library.status.show_info(self.tr("Sent {name} from UDP Send").format(name=packet.name))

    def _send_tcp_client(self, packet: Packet) -> None:
        panel: Any = self._panel("tcpClientPanel")
        if panel is None:
            return
        tls = packet.protocol == "tls"
        same = (
            panel.host.text().strip() == packet.host
            and panel.port.text().strip() == str(packet.port)
            and panel.security.tls_check.isChecked() == tls
        )
        self._show(panel)
        if panel.runner.running:
            if not panel.send_button.isEnabled() or not same:
                self.library.status.show_error(
                    self.tr(
                        "The TCP Client is busy with another connection: disconnect it to send {name}"
                    ).format(name=packet.name)
                )
                return
            self._send_now(panel, packet)
            return
        panel.host.set_text(packet.host)
        panel.port.set_text(str(packet.port))
        panel.security.tls_check.setChecked(tls)
        self._pending = packet
        if not self._watching:
            # Once: the pending packet goes out when the connection is up, or is dropped.
            # The client object and the Connected event reach the panel on separate signals,
            # in either order: try after each.
            panel.runner.events.connect(self._maybe_send_pending)
            panel.runner.opened.connect(self._maybe_send_pending)
            panel.runner.finished.connect(self._drop_pending)
            self._watching = True
        panel.trigger_start()
        if not panel.runner.running:  # bad input: the panel shows why
            self._drop_pending()

    def _maybe_send_pending(self, _events: object = None) -> None:
        panel: Any = self._panel("tcpClientPanel")
        packet = self._pending
        ready = panel is not None and panel.client is not None and panel.send_button.isEnabled()
        if packet is None or not ready:
            return
        self._drop_pending()
        self._send_now(panel, packet)

    def _drop_pending(self) -> None:
        self._pending = None

    def _send_now(self, panel: Any, packet: Packet) -> None:
        self._load_payload(panel.payload, packet)
        panel.trigger_send()
        self.library.status.show_info(
            self.tr("Sent {name} from the TCP Client").format(name=packet.name)
        )
        self._repeat.stop()
        if packet.repeat_count != 1:
            self._repeats_left = packet.repeat_count - 1 if packet.repeat_count else -1
            self._repeat.start(max(1, int(packet.repeat_interval_ms)))

    def _repeat_tcp(self) -> None:
        panel: Any = self._panel("tcpClientPanel")
        if panel is None or not panel.send_button.isEnabled() or self._repeats_left == 0:
            self._repeat.stop()
            return
        panel.trigger_send()
        if self._repeats_left > 0:
            self._repeats_left -= 1
            if self._repeats_left == 0:
                self._repeat.stop()

    def stop(self) -> None:
        self._repeat.stop()
        self._drop_pending()

    def _send_tcp_server(self, packet: Packet) -> None:
        panel: Any = self._panel("tcpServerPanel")
        if panel is None:
            return
        self._show(panel)
        self._load_payload(panel.payload, packet)
        panel.send_to_all()


def _client_send(panel: Any) -> Callable[[bytes], object]:
    def send(data: bytes) -> object:
        return panel.client.send(data)

    return send


def _client_ready(panel: Any) -> Callable[[], bool]:
    def ready() -> bool:
        return panel.client is not None and bool(panel.send_button.isEnabled())

    return ready


def _server_ready(panel: Any) -> Callable[[], bool]:
    def ready() -> bool:
        return panel.server is not None and bool(panel.runner.running)

    return ready


def _server_send(panel: Any) -> Callable[[bytes], object]:
    def send(data: bytes) -> object:
        ids = panel.selected_ids()
        if not ids:
            return panel.server.send_all(data)
        for conn_id in ids:
            panel.server.send(conn_id, data)
        return None

    return send


def install_packet_library(window: QMainWindow, path: Path | None = None) -> PacketLibraryPanel:
    """Add the Packets dock and the Packets menu (in the File menu) to ``window`` (a
    gui.main_window.MainWindow), and "Packets…" and "Save as packet…" buttons to the UDP Send,
    TCP Client and TCP Server send boxes.

    The dock starts hidden the first time: beside the widest panel it does not fit an 800x600
    window. The "Packets…" button in every send box (and Ctrl+Shift+P) shows it; from then on it
    is as the user left it. The library file is read at once (``path``, default: the user's
    library).
    """
    library = PacketLibraryPanel(window, path=path)
    dock = QDockWidget(QCoreApplication.translate("PacketLibraryPanel", "Packets"), window)
    dock.setObjectName("packetLibraryDock")
    dock.setWidget(library)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    settings = getattr(window, "settings", None)
    shown = settings is not None and settings.value(_VISIBLE_KEY, False, type=bool)
    dock.setVisible(bool(shown))
    dispatcher = PacketDispatcher(window, library)
    library.send_requested.connect(dispatcher.send)
    library.dispatcher = dispatcher  # type: ignore[attr-defined]
    library.dock = dock  # type: ignore[attr-defined]

    # In the File menu: a menu bar title needs an Alt letter no panel uses, and every letter of
    # "Packets" is some panel's (tests/gui/test_keyboard.py).
    menu = QMenu(QCoreApplication.translate("PacketLibraryPanel", "&Packets"), window)
    menu.setObjectName("packetsMenu")
    toggle = dock.toggleViewAction()
    toggle.setText(QCoreApplication.translate("PacketLibraryPanel", "Show the &packet library"))
    toggle.setObjectName("packetLibraryAction")
    toggle.setShortcut(QKeySequence(_SHOW_KEYS))
    window.addAction(toggle)  # the shortcut works whichever panel has the focus
    menu.addAction(toggle)
    if settings is not None:
        library.visibility_settings = settings
        dock.visibilityChanged.connect(
            lambda shown: library.remember_visibility(shown) if window.isVisible() else None
        )
    menu.addSeparator()
    for text, name, slot in (
        (
            QCoreApplication.translate("PacketLibraryPanel", "&New packet…"),
            "newPacketAction",
            library.new_packet,
        ),
        (
            QCoreApplication.translate("PacketLibraryPanel", "&Import (Packet Sender or library)…"),
            "importPacketsAction",
            library.choose_import,
        ),
        (
            QCoreApplication.translate("PacketLibraryPanel", "&Open library…"),
            "openLibraryAction",
            library.choose_open,
        ),
        (
            QCoreApplication.translate("PacketLibraryPanel", "&Save library as…"),
            "saveLibraryAction",
            library.choose_save_as,
        ),
    ):
        action = QAction(text, window)
        action.setObjectName(name)
        action.triggered.connect(lambda _checked=False, slot=slot: slot())
        menu.addAction(action)
    bar_actions = window.menuBar().actions()
    file_menu = bar_actions[0].menu() if bar_actions else None
    if isinstance(file_menu, QMenu) and file_menu.actions():  # before Quit, which stays last
        quit_action = file_menu.actions()[-1]
        file_menu.insertMenu(quit_action, menu)
        file_menu.insertSeparator(quit_action)
    else:
        window.menuBar().addMenu(menu)

    def attach(panel: Any) -> None:
        name = panel.objectName()
        if name not in ("udpSendPanel", "tcpClientPanel", "tcpServerPanel"):
            return
        if name == "tcpClientPanel":
            # One set per connection tab, for that tab's connection (tabs opened later too).
            for page in panel.connections():
                _attach_to_client_tab(library, dock, panel, page, settings)
            panel.connection_added.connect(
                lambda page, panel=panel: _attach_to_client_tab(
                    library, dock, panel, page, settings
                )
            )
            return
        editor: PayloadEditor = panel.payload
        # One button for both (two made the TCP Client's send box too wide for 800x600):
        # a click shows the library, its menu saves the payload as a packet.
        editor.add_tool(_packets_button(editor, dock, library))
        editor.save_as_packet.connect(lambda panel=panel: save_from_panel(library, panel))
        if settings is not None:
            panel.payload_history = PayloadHistory(editor, settings, f"history/{name}")
        if name == "tcpServerPanel":
            panel.repeat_send = RepeatSend(panel, _server_send(panel), _server_ready(panel))

    # The window builds each panel when it is first shown (issue 22): attach to it then.
    window.panel_built.connect(attach)  # type: ignore[attr-defined]
    for panel in window.built_panels():  # type: ignore[attr-defined]
        attach(panel)
    library.load()
    return library


def _packets_button(
    editor: PayloadEditor, dock: QDockWidget, library: PacketLibraryPanel
) -> QToolButton:
    """The "Packets…" button of a send box: a click shows the library (the dock starts hidden);
    its menu has "Save as packet…" (the editor's save_as_packet signal)."""
    button = QToolButton(editor)
    button.setObjectName("showPacketsButton")
    button.setText(QCoreApplication.translate("PacketLibraryPanel", "Packets…"))
    keys = QKeySequence(_SHOW_KEYS).toString(QKeySequence.SequenceFormat.NativeText)
    button.setToolTip(
        QCoreApplication.translate(
            "PacketLibraryPanel",
            "Show the packet library: saved packets, sent with a double click ({keys})",
        ).format(keys=keys)
    )

    def show() -> None:
        dock.show()
        dock.raise_()
        library.view.setFocus(Qt.FocusReason.OtherFocusReason)

    button.clicked.connect(show)
    menu = QMenu(button)
    save = menu.addAction(QCoreApplication.translate("PayloadEditor", "Save as packet…"))
    save.setObjectName("savePacketAction")
    save.setToolTip(editor.save_packet_button.toolTip())
    save.triggered.connect(lambda _checked=False: editor.save_as_packet.emit())
    show_action = menu.addAction(
        QCoreApplication.translate("PacketLibraryPanel", "Show the packet library")
    )
    show_action.triggered.connect(lambda _checked=False: show())
    button.setMenu(menu)
    button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
    return button


def _attach_to_client_tab(
    library: PacketLibraryPanel,
    dock: QDockWidget,
    panel: Any,
    page: Any,
    settings: QSettings | None,
) -> None:
    """The Packets button (with Save as packet), the payload history and Repeat on one TCP
    Client connection tab."""
    editor: PayloadEditor = page.payload
    editor.add_tool(_packets_button(editor, dock, library))
    editor.save_as_packet.connect(lambda: save_from_panel(library, panel))
    if settings is not None:
        page.payload_history = PayloadHistory(editor, settings, "history/tcpClientPanel")
    page.repeat_send = RepeatSend(page, _client_send(page), _client_ready(page))


def save_from_panel(library: PacketLibraryPanel, panel: Any) -> PacketDialog:
    """Open the packet dialog filled in from a send panel (its destination and payload)."""
    editor: PayloadEditor = panel.payload
    spec: PayloadSpec = editor.spec()
    name = panel.objectName()
    fields: dict[str, Any] = {}
    if name == "udpSendPanel":
        fields = {
            "protocol": "udp",
            "host": panel.host.text().strip(),
            "port": _port(panel.port.text()),
            "local_port": _port(panel.bind_port.text()),
            "repeat_count": panel.count_spin.value(),
            "repeat_interval_ms": float(panel.interval_spin.value()),
        }
    elif name == "tcpClientPanel":
        fields = {
            "protocol": "tls" if panel.security.tls_check.isChecked() else "tcp",
            "host": panel.host.text().strip(),
            "port": _port(panel.port.text()),
        }
    else:  # the TCP Server's send box: no destination, it goes to the server's clients
        fields = {"protocol": "tcp", "host": "", "port": 0}
    template = Packet(
        QCoreApplication.translate("PacketLibraryPanel", "New packet"),
        payload=spec.text,
        mode=spec.mode,
        encoding=spec.encoding,
        line_ending=spec.line_ending,
        checksum=editor.checksum(),
        **fields,
    )
    dock = getattr(library, "dock", None)
    if dock is not None:
        dock.show()
    return library.new_packet(template)


def _port(text: str) -> int:
    text = text.strip()
    return int(text) if text.isdigit() and int(text) <= 65535 else 0
