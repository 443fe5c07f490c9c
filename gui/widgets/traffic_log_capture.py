"""The traffic log's receive to file: what arrives from now on streams into a file (raw bytes,
or a line per row), closed cleanly when asked, when the window closes or when the log goes.

:class:`ReceiveToFile` is one half of :class:`~gui.widgets.traffic_log.TrafficLog` (see
:mod:`~gui.widgets.traffic_log_parts`); the file itself is :class:`~gui.widgets.traffic_log_export.ReceiveFile`.
"""

from __future__ import annotations

import contextlib
from functools import partial
from pathlib import Path
from typing import Literal

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer
from PySide6.QtWidgets import QFileDialog, QWidget

from gui.widgets.counters import format_bytes
from gui.widgets.style import set_text_role
from gui.widgets.traffic_log_export import ReceiveFile
from gui.widgets.traffic_log_parts import LogParts
from net.errors import NetError

__all__ = ["ReceiveToFile"]


def _close_quietly(capture: ReceiveFile) -> None:
    """Close a receive file no one is left to tell about (its log was deleted)."""
    with contextlib.suppress(NetError):
        capture.close()


class ReceiveToFile(LogParts):
    """Receive to file for a traffic log: :meth:`start_capture`, :meth:`stop_capture`."""

    _watched: QWidget | None  # the window whose closing closes the capture
    _close_on_delete: partial[None] | None  # the capture's destroyed slot

    def start_capture(self, path: str | Path, mode: Literal["raw", "lines"] = "raw") -> None:
        """Stream what is received from now on into ``path``: ``raw`` bytes, or ``lines`` (one
        line per row: time, peer, text). The file is closed by :meth:`stop_capture`, when the
        window the log sits in closes, or when the log is deleted (a panel torn down).

        Raises:
            TransferError: the file cannot be created.
        """
        self.stop_capture()
        self.capture = capture = ReceiveFile(path, mode, self.model.encoding)
        # Deleted with its panel: this object's Python side may be gone by then, so the slot
        # holds the file itself (closing a closed file does nothing).
        self._close_on_delete = partial(_close_quietly, capture)
        self.destroyed.connect(self._close_on_delete)
        window = self.window()
        if window is not self._watched:
            if self._watched is not None:
                self._watched.removeEventFilter(self)
            window.installEventFilter(self)
            self._watched = window
        self.tools.capture_action.setChecked(True)
        self._show_status()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Closes the receive file once the window the log sits in has closed."""
        if watched is self._watched and event.type() == QEvent.Type.Close:
            # The window's own closeEvent runs after this filter and may refuse to close
            # (the quit question): decide once it has.
            QTimer.singleShot(0, self, self._after_window_close)
        return False

    def _after_window_close(self) -> None:
        if self.capture is not None and not self.window().isVisible():
            self.stop_capture()

    def stop_capture(self) -> None:
        """Close the receive file cleanly (a no-op when none is open)."""
        capture, self.capture = self.capture, None
        if capture is not None:
            self.destroyed.disconnect(self._close_on_delete)
            try:
                capture.close()
            except NetError as exc:
                self._capture_failed(str(exc))
        self.tools.capture_action.setChecked(False)
        self._show_status()

    def _on_capture_toggled(self, on: bool) -> None:
        if not on:
            if self.capture is not None:
                self.stop_capture()
            return
        if self.capture is not None:
            return
        raw, lines = (
            QCoreApplication.translate("TrafficLog", "Raw bytes (*.bin)"),
            QCoreApplication.translate("TrafficLog", "Lines with time and peer (*.txt)"),
        )
        path, chosen = QFileDialog.getSaveFileName(
            self,
            QCoreApplication.translate("TrafficLog", "Receive to file"),
            "received.bin",
            f"{raw};;{lines}",
        )
        if not path:
            self.tools.capture_action.setChecked(False)
            return
        try:
            self.start_capture(path, "lines" if chosen == lines else "raw")
        except NetError as exc:
            self.tools.capture_action.setChecked(False)
            self._capture_failed(str(exc))

    def _capture_failed(self, message: str) -> None:
        self.capture = None
        self.tools.capture_action.setChecked(False)
        self.tools.status_label.setText(
            QCoreApplication.translate("TrafficLog", "Receive to file stopped: {reason}").format(
                reason=message
            )
        )
        set_text_role(self.tools.status_label, "error")
        self.tools.status_label.show()
        self.capture_failed.emit(message)

    def _capture(self, stamp: float, peer: str, data: bytes, missed: int) -> None:
        capture = self.capture
        if capture is None:
            return
        try:
            capture.write(stamp, peer, data, missed=missed)
        except NetError as exc:
            self._capture_failed(str(exc))

    def _show_status(self) -> None:
        label = self.tools.status_label
        if self.capture is None:
            label.hide()
            return
        text = QCoreApplication.translate("TrafficLog", "Receiving to {name}: {size}").format(
            name=self.capture.path.name, size=format_bytes(self.capture.size)
        )
        if self.capture.missed:
            text = QCoreApplication.translate(
                "TrafficLog", "{text} ({missed} not seen: the window fell behind)"
            ).format(text=text, missed=format_bytes(self.capture.missed))
        label.setText(text)
        set_text_role(label, "dim")
        label.show()
