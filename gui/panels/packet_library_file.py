"""The packet library's file: which file the Packets view uses, reading it, opening another,
saving it under a new name, importing a Packet Sender export, and saving each change.

A library that cannot be read is never written over: every change waits until the user opens a
file that can be. :class:`PacketLibraryFile` is one half of
:class:`~gui.panels.packet_library.PacketLibraryPanel` (the other is its widgets and actions).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from gui.widgets.counters import format_count
from gui.widgets.forms import ask_file
from net.errors import NetError
from net.packets import (
    Packet,
    default_library_path,
    load_library,
    merge_packets,
    read_packets_file,
    save_library,
)

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from gui.panels.packet_model import PacketModel
    from gui.widgets.status import StatusLine

    _Widget = QWidget
else:
    _Widget = object

__all__ = ["PacketLibraryFile"]


class PacketLibraryFile(_Widget):
    """Reads and writes the library file of a packet library panel (see the module)."""

    path: Path | None
    model: PacketModel
    status: StatusLine
    _writable: bool  # False while the file cannot be read: nothing is saved over it
    _show_preview: Callable[[], None]  # the panel's: shows the selected packet's bytes

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
                self.tr(
                    "{problem}. The file is left as it is: fix it or open another.",
                ).format(problem=str(exc).rstrip("."))
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
                "Imported {count} packets ({added} new, {replaced} replaced)",
                "",
                len(incoming),
            ).format(
                count=format_count(len(incoming)),
                added=format_count(added),
                replaced=format_count(replaced),
            )
        )
        return True

    def choose_import(self) -> None:
        filters = self.tr("Packet Sender export or packet library (*.json);;All files (*)")
        ask_file(self, self.tr("Import packets"), filters, self.import_file)

    def choose_open(self) -> None:
        filters = self.tr("Packet library (*.json)")
        ask_file(self, self.tr("Open a packet library"), filters, self.open_library)

    def choose_save_as(self) -> None:
        title, filters = self.tr("Save the packet library"), self.tr("Packet library (*.json)")
        ask_file(self, title, filters, self.save_library_as, save_as="packets.json")

    def _check_writable(self) -> bool:
        if not self._writable:
            self.status.show_error(
                self.tr(
                    "The library file cannot be read, so it is not changed: open another",
                )
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
