"""What every panel shares: the status line, shortcuts' hooks, settings, and activity reporting."""

from __future__ import annotations

import itertools

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from gui.runner import Runner
from gui.settings import restore_fields, save_fields
from gui.widgets.status import StatusLine

__all__ = ["ComingSoonPanel", "Panel", "first_problem"]


def set_tab_chain(*widgets: QWidget) -> None:
    """Make Tab visit ``widgets`` in this order (each one after the one before)."""
    for first, second in itertools.pairwise(widgets):
        QWidget.setTabOrder(first, second)


def first_problem(*checks: str | None) -> str | None:
    """The first message among already-run checks (each shows its own inline message)."""
    return next((message for message in checks if message), None)


class Panel(QWidget):
    """Base of the main window's panels.

    The main window drives a panel only through this interface: ``trigger_send``,
    ``trigger_start`` and ``trigger_stop`` (the Ctrl+Return, Ctrl+R and Ctrl+. shortcuts),
    ``stop_workers`` (closing), ``save_settings`` / ``restore_settings``, and the
    ``activity_changed`` signal (a short line for the status bar; empty when idle).
    """

    activity_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.status = StatusLine(self)
        self._activity = ""
        self._runners: list[Runner] = []

    # -- what subclasses use -------------------------------------------------------------------

    def make_runner(self, name: str, *, buffer_limit: int = 200_000) -> Runner:
        runner = Runner(self, name=name, buffer_limit=buffer_limit)
        self._runners.append(runner)
        return runner

    def set_activity(self, text: str) -> None:
        if text != self._activity:
            self._activity = text
            self.activity_changed.emit(text)

    # -- what the main window calls ------------------------------------------------------------

    def activity(self) -> str:
        return self._activity

    def trigger_send(self) -> None:
        """Ctrl+Return: send the payload, if this panel sends anything."""

    def trigger_start(self) -> None:
        """Ctrl+R: start (listen, connect), if this panel has anything to start."""

    def trigger_stop(self) -> None:
        """Ctrl+.: stop whatever this panel is running."""
        self.stop_workers()

    def stop_workers(self) -> None:
        """Ask every worker of this panel to stop; returns at once."""
        for runner in self._runners:
            runner.stop()

    def is_running(self) -> bool:
        return any(runner.running for runner in self._runners)

    def save_settings(self, settings: QSettings) -> None:
        save_fields(self, settings)

    def restore_settings(self, settings: QSettings) -> None:
        restore_fields(self, settings)


class ComingSoonPanel(Panel):
    """A placeholder for a panel that a later version adds."""

    def __init__(self, name: str, message: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        label = QLabel(message, self)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setWordWrap(True)
        label.setStyleSheet("color: palette(mid); font-size: 14pt;")
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(label)
        layout.addStretch(1)
        self.status.hide()
