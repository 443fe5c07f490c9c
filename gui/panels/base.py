"""What every panel shares: the status line, shortcuts' hooks, settings, and activity reporting;
and what a panel that runs one net loop adds (:class:`LoopPanel`): its runner wired to its slots,
the Start / Stop pair's states, failures on the status line and in the log, the "stopped" line."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractScrollArea,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QFrame,
    QLabel,
    QLayout,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from gui.runner import Runner
from gui.settings import restore_fields, save_fields
from gui.widgets.status import StatusLine
from gui.widgets.traffic_log import TrafficLog

__all__ = [
    "ComingSoonPanel",
    "LoopPanel",
    "Panel",
    "first_problem",
    "scrolling_settings",
    "server_tls",
    "wire_runner",
]

if TYPE_CHECKING:
    import ssl

    from gui.widgets.security import ServerTlsPlan

_RUNNER_SIGNALS = ("opened", "events", "returned", "failed", "finished")


def set_tab_chain(*widgets: QWidget) -> None:
    """Make Tab visit ``widgets`` in this order, first in their panel (see :meth:`Panel.tab_walk`).

    Qt's own ``setTabOrder`` is not used: chained over compound widgets (editable combos, spin
    boxes, line edits that are focus proxies) it tied Port and Local port into a loop that Tab
    never left. The panel walks its own list instead.
    """
    parent = widgets[0].parentWidget() if widgets else None
    while parent is not None and not isinstance(parent, Panel):
        parent = parent.parentWidget()
    if parent is not None:
        parent.declare_tab_order(widgets)


class SettingsArea(QScrollArea):
    """A frameless, vertically scrolling area for a panel's settings.

    In a short window (800x600) the fields and buttons keep their full height and scroll instead
    of being squashed onto each other. The area itself takes no focus; a control inside it that
    gets focus (Tab, a mnemonic) is scrolled into sight.
    """

    def __init__(self, parent: QWidget, content: QWidget, name: str) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        # Fields inside keep the settings keys they had before they scrolled (gui.settings).
        self.setProperty("settings_group", False)
        content.setProperty("settings_group", False)
        self.setWidget(content)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._on_focus_changed)

    def _on_focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        content = self.widget()
        if new is not None and content is not None and content.isAncestorOf(new):
            self.ensureWidgetVisible(new)


def scrolling_settings(owner: QWidget, settings: QLayout, name: str) -> SettingsArea:
    """A :class:`SettingsArea` named ``name`` in ``owner`` around the ``settings`` layout."""
    content = QWidget(owner)
    content.setLayout(settings)
    settings.setContentsMargins(0, 0, 0, 0)
    return SettingsArea(owner, content, name)


def _focus_target(widget: QWidget) -> QWidget:
    proxy = widget.focusProxy()
    while proxy is not None:
        widget, proxy = proxy, proxy.focusProxy()
    return widget


def _takes_tab(widget: QWidget) -> bool:
    return (
        widget.isVisible()
        and widget.isEnabled()
        and bool(widget.focusPolicy() & Qt.FocusPolicy.TabFocus)
        and not isinstance(widget.parentWidget(), (QComboBox, QAbstractSpinBox))
        and not isinstance(widget.parentWidget(), QAbstractScrollArea)  # viewports, scroll bars
    )


def first_problem(*checks: str | None) -> str | None:
    """The first message among already-run checks (each shows its own inline message)."""
    return next((message for message in checks if message), None)


def wire_runner(runner: Runner, owner: QObject) -> Runner:
    """Connect each of ``runner``'s signals (opened, events, returned, failed, finished) to
    ``owner``'s ``_on_<signal>`` method, where it has one; returns ``runner``."""
    for signal in _RUNNER_SIGNALS:
        slot = getattr(owner, f"_on_{signal}", None)
        if slot is not None:
            getattr(runner, signal).connect(slot)
    return runner


def server_tls(plan: ServerTlsPlan | None, opened: dict[str, str]) -> ssl.SSLContext | None:
    """The TLS context a server of the panel serves with, on the worker's thread (generating
    the self-signed certificate at first use takes a moment: not on the GUI's); None without
    TLS. The certificate's fingerprint goes into ``opened["fingerprint"]`` for the GUI.

    Raises:
        TlsError: the certificate cannot be made or loaded.
    """
    if plan is None:
        return None
    from net.tls import server_context  # ssl, when a server first uses TLS

    certificate = plan.certificate()
    opened["fingerprint"] = certificate.fingerprint
    return server_context(certificate)


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
        self._tab_order: list[QWidget] = []

    # -- keyboard ------------------------------------------------------------------------------

    def declare_tab_order(self, widgets: Sequence[QWidget]) -> None:
        """Tab visits ``widgets`` first, in this order (after any declared before)."""
        self._tab_order.extend(widgets)

    def tab_walk(self) -> list[QWidget]:
        """The controls Tab visits now, in order: the declared ones, then every other control
        that takes focus, in the order it was built (a widget with a ``focus_chain()`` method
        gives the order of its own inputs). Hidden and disabled controls are skipped."""
        walk: list[QWidget] = []
        seen: set[int] = set()

        def add(widget: QWidget) -> None:
            target = _focus_target(widget)
            if id(target) not in seen:
                seen.add(id(target))
                if target is not self and self.isAncestorOf(target) and _takes_tab(target):
                    walk.append(target)

        def visit(widget: QWidget) -> None:
            for child in widget.children():
                if not isinstance(child, QWidget) or child.isWindow():
                    continue
                chain = getattr(child, "focus_chain", None)
                if callable(chain):
                    for item in chain():
                        add(item)
                add(child)
                visit(child)

        for widget in self._tab_order:
            # A declared compound widget (a payload editor) is asked now, as tools may have
            # joined it after the panel was built.
            chain = getattr(widget, "focus_chain", None)
            for item in chain() if callable(chain) else [widget]:
                add(item)
        visit(self)
        return walk

    def showEvent(self, event: QShowEvent) -> None:
        # A table that takes Tab for itself (moving from cell to cell) would hold the keyboard.
        for view in self.findChildren(QAbstractItemView):
            view.setTabKeyNavigation(False)
        super().showEvent(event)

    def focusNextPrevChild(self, next: bool) -> bool:
        # Every Tab pressed inside the panel arrives here (QWidget passes it to its parent).
        walk = self.tab_walk()
        focus = QApplication.focusWidget()
        while focus is not None and focus not in walk:
            focus = focus.parentWidget()
        if focus is not None:
            position = walk.index(focus) + (1 if next else -1)
            if 0 <= position < len(walk):
                walk[position].setFocus(
                    Qt.FocusReason.TabFocusReason if next else Qt.FocusReason.BacktabFocusReason
                )
                return True
        return super().focusNextPrevChild(next)  # leave the panel

    # -- what subclasses use -------------------------------------------------------------------

    def make_runner(self, name: str, *, buffer_limit: int = 200_000) -> Runner:
        runner = Runner(self, name=name, buffer_limit=buffer_limit)
        self._runners.append(runner)
        return runner

    def inputs_ok(self, *checks: str | None) -> bool:
        """True when every already-run check passed; else the first problem is on the status
        line (each field shows its own inline)."""
        problem = first_problem(*checks)
        if problem:
            self.status.show_error(problem)
        return not problem

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

    def live_work(self) -> list[str]:
        """What quitting now would cut: one phrase per kind, with its count ("3 clients connected
        to the TCP server"); empty when nothing a peer depends on is in flight."""
        return []

    def save_settings(self, settings: QSettings) -> None:
        save_fields(self, settings)

    def restore_settings(self, settings: QSettings) -> None:
        restore_fields(self, settings)


class LoopPanel(Panel):
    """A panel that runs one net loop (a server, a receiver, a relay, a script) in ``runner``.

    The runner's signals reach the subclass's ``_on_opened`` / ``_on_events`` / ``_on_returned``
    / ``_on_finished`` where it has them. A failure goes to the status line and, where the
    panel has a traffic ``log``, into it as an error row naming :meth:`failure_peer`.
    """

    start_button: QPushButton
    stop_button: QPushButton

    def __init__(
        self, parent: QWidget | None, runner_name: str, *, buffer_limit: int = 200_000
    ) -> None:
        super().__init__(parent)
        self.runner = wire_runner(self.make_runner(runner_name, buffer_limit=buffer_limit), self)

    def ticker(self, slot: Callable[[], object]) -> QTimer:
        """A timer that calls ``slot`` twice a second once started (tables and rates that the
        net object keeps, read while it runs)."""
        timer = QTimer(self)
        timer.setInterval(500)
        timer.timeout.connect(slot)
        return timer

    def failure_peer(self) -> str:
        """The peer a failure's log row names ("" for none)."""
        return ""

    def _on_failed(self, message: str) -> None:
        self.status.show_error(message)
        log = getattr(self, "log", None)
        if isinstance(log, TrafficLog):
            log.note(message, self.failure_peer(), error=True)

    def show_running(self, running: bool, *inputs: QWidget) -> None:
        """Start enabled while idle, Stop while running, ``inputs`` (what the run was started
        with) only while idle; an idle panel has no activity line."""
        self.start_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        for widget in inputs:
            widget.setEnabled(not running)
        if not running:
            self.set_activity("")

    def show_stopped(self, message: str) -> None:
        """Say that the run ended, unless the status line holds the error that ended it."""
        if self.status.kind != "error":
            self.status.show_info(message)


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
