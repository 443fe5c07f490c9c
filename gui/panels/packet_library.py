"""The Packets view's library panel: search, the packet list, the preview of the selected
packet's bytes, and the actions on packets (send, new, edit, duplicate, delete, move).

How the library file is read and written is :mod:`~gui.panels.packet_library_file`; how a packet
is sent, and how the panel joins the main window, is :mod:`~gui.panels.packets`.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gui.panels.packet_dialog import PacketDialog
from gui.panels.packet_library_file import PacketLibraryFile
from gui.panels.packet_model import PacketModel
from gui.widgets.counters import format_count
from gui.widgets.forms import push_button
from gui.widgets.status import StatusLine
from gui.widgets.style import monospace_font
from net.codec import to_hex
from net.errors import PayloadError
from net.packets import Packet

__all__ = ["VISIBLE_KEY", "PacketLibraryPanel"]

_PREVIEW_BYTES = 48
#: QSettings key: whether the Packets dock is shown (it stays as the user left it).
VISIBLE_KEY = "packets/visible"


class PacketLibraryPanel(PacketLibraryFile, QWidget):
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

        send_tip = self.tr("Send the selected packet (Enter or double click)")
        self.send_button, self.new_button = (
            push_button(self, text, name, slot, tip=tip)
            for text, name, slot, tip in (
                (self.tr("&Send"), "packetSendButton", self.send_selected, send_tip),
                (self.tr("&New…"), "packetNewButton", self.new_packet, ""),
            )
        )
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
            self.visibility_settings.setValue(VISIBLE_KEY, bool(shown))

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
