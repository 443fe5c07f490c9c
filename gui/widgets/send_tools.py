"""Tools a send box can carry besides its payload editor: the payload history and the periodic
send (issue 17). The Packets view (gui.panels.packets) attaches them to the UDP Send, TCP Client
and TCP Server send boxes; each goes in the editor's second row (PayloadEditor.add_tool).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QFormLayout,
    QMenu,
    QPushButton,
    QSpinBox,
    QToolButton,
    QWidget,
    QWidgetAction,
)

from gui.widgets.counters import format_count
from gui.widgets.forms import push_button, spin_box
from gui.widgets.payload import PayloadEditor
from net.codec import PayloadSpec, render_text
from net.errors import ConnectError, NetError, PayloadError

__all__ = ["HISTORY_CHARS", "HISTORY_ENTRIES", "PayloadHistory", "RepeatSend", "save_script_button"]

#: A send box remembers this many payloads, each at most this many characters (64 KiB).
HISTORY_ENTRIES = 50
HISTORY_CHARS = 64 * 1024


class PayloadHistory(QObject):
    """The last payloads sent from one send box, newest first: a "History" drop-down beside the
    payload, and Alt+Up / Alt+Down in the payload to step back and forth.

    Bounded as the settings must be: at most :data:`HISTORY_ENTRIES` entries, none longer than
    :data:`HISTORY_CHARS` characters (a longer payload is sent but not remembered). Kept in
    ``settings`` under ``key`` as one JSON list.
    """

    def __init__(self, editor: PayloadEditor, settings: QSettings, key: str) -> None:
        super().__init__(editor)
        self.editor = editor
        self.settings = settings
        self.key = key
        self.entries: list[dict[str, str]] = self._load()
        self._position = -1  # where Alt+Up/Down is in the list; -1: the text being typed
        self.button = QToolButton(editor)
        self.button.setObjectName(f"{editor.edit.objectName()}History")
        self.button.setText(self.tr("History"))
        self.button.setToolTip(
            self.tr("The last payloads sent from here (Alt+Up and Alt+Down in the payload)")
        )
        self.button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.menu = QMenu(self.button)
        self.menu.aboutToShow.connect(self._fill_menu)
        self.button.setMenu(self.menu)
        editor.add_tool(self.button)
        editor.sent.connect(self.remember)
        for keys, step in (("Alt+Up", 1), ("Alt+Down", -1)):
            action = QAction(editor.edit)
            action.setShortcut(QKeySequence(keys))
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
            action.triggered.connect(lambda _checked=False, step=step: self.step(step))
            editor.edit.addAction(action)

    def remember(self) -> None:
        """Put the editor's payload on top of the history (once: an older copy moves up)."""
        spec = self.editor.spec()
        if len(spec.text) > HISTORY_CHARS or not spec.text:
            return
        entry = {
            "text": spec.text,
            "mode": spec.mode,
            "encoding": spec.encoding,
            "line_ending": spec.line_ending,
            "checksum": self.editor.checksum(),
        }
        self.entries = [entry, *(e for e in self.entries if e != entry)][:HISTORY_ENTRIES]
        self._position = -1
        self.settings.setValue(self.key, json.dumps(self.entries, ensure_ascii=False))

    def recall(self, index: int) -> None:
        """Put history entry ``index`` (0 = the newest) back in the editor."""
        entry = self.entries[index]
        self.editor.set_spec(
            PayloadSpec(
                entry["text"],
                entry["mode"],  # type: ignore[arg-type]
                entry["encoding"],
                entry["line_ending"],
            )
        )
        self.editor.set_checksum(entry["checksum"])
        self._position = index

    def step(self, step: int) -> None:
        """Alt+Up (``step`` 1): an older payload; Alt+Down (-1): a newer one."""
        index = self._position + step
        if 0 <= index < len(self.entries):
            self.recall(index)

    def _fill_menu(self) -> None:
        self.menu.clear()
        if not self.entries:
            self.menu.addAction(self.tr("Nothing sent yet")).setEnabled(False)
        for index, entry in enumerate(self.entries):
            text = render_text(entry["text"][:60].encode("utf-8", "replace"))
            action = self.menu.addAction(text.replace("&", "&&"))
            action.triggered.connect(lambda _checked=False, index=index: self.recall(index))

    def _load(self) -> list[dict[str, str]]:
        try:
            entries = json.loads(str(self.settings.value(self.key, "[]")))
        except ValueError:
            return []
        keys = {"text", "mode", "encoding", "line_ending", "checksum"}
        if not isinstance(entries, list):
            return []
        good = [
            e
            for e in entries
            if isinstance(e, dict)
            and set(e) == keys
            and all(isinstance(v, str) for v in e.values())
            and len(e["text"]) <= HISTORY_CHARS
        ]
        return good[:HISTORY_ENTRIES]


class RepeatSend(QObject):
    """Periodic send for a TCP send box (the TCP Client, or the TCP Server's selected clients or
    all of them): a "Repeat…" button beside the payload opens the count (0: until stopped) and
    the interval in ms; while it runs the button shows the progress and stops it.

    Each payload goes to the panel's own client or server, so it shows in the panel's traffic
    log; ``{{counter}}`` counts on. A full send queue (a peer that reads slowly) makes a tick
    wait and try the same bytes again, so interval 0 sends as fast as the socket accepts. It
    stops by itself when the connection or the server stops (the panel's Stop).
    """

    BACKOFF_MS = 10  # a full queue is tried again this much later
    BURST_SECONDS = 0.004
    BURST_BYTES = 64 * 1024

    def __init__(
        self,
        panel: Any,
        send: Callable[[bytes], object],
        ready: Callable[[], bool],
    ) -> None:
        super().__init__(panel)
        self.panel = panel
        self.editor: PayloadEditor = panel.payload
        self._send = send
        self._ready = ready
        self._source: Callable[[int], bytes] | None = None
        self._pending: bytes | None = None
        self._pending_count = 0
        self.sent = 0
        self.count = 1
        self.interval_ms = 1000
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._tick)

        self.button = QToolButton(self.editor)
        self.button.setObjectName(f"{self.editor.edit.objectName()}Repeat")
        self.button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.menu = QMenu(self.button)
        form_widget = QWidget(self.menu)
        form = QFormLayout(form_widget)
        count_tip = self.tr("How many times to send (0: until stopped)")
        interval_tip = self.tr(
            "Pause between two sends; 0 sends as fast as the connection takes them"
        )
        self.count_spin, self.interval_spin = (
            spin_box(
                QSpinBox(form_widget),
                name,
                accessible,
                (0, high),
                value=value,
                tip=tip,
                grouped=True,
            )
            for name, high, value, tip, accessible in (
                ("repeatCountSpin", 1_000_000_000, 10, count_tip, self.tr("Repeat count")),
                ("repeatIntervalSpin", 86_400_000, 1000, interval_tip, self.tr("Repeat interval")),
            )
        )
        self.count_spin.setSpecialValueText(self.tr("until stopped"))
        self.interval_spin.setSuffix(self.tr(" ms"))
        self.start_button = QPushButton(self.tr("Start repeating"), form_widget)
        self.start_button.setObjectName("repeatStartButton")
        self.button.setToolTip(
            self.tr("Send the payload again and again; while it runs, click to stop")
        )
        self.start_button.setToolTip(self.tr("Start sending the payload repeatedly"))
        self.start_button.clicked.connect(self._start_from_menu)
        form.addRow(self.tr("Count:"), self.count_spin)
        form.addRow(self.tr("Interval:"), self.interval_spin)
        form.addRow("", self.start_button)
        holder = QWidgetAction(self.menu)
        holder.setDefaultWidget(form_widget)
        self.menu.addAction(holder)
        self.button.setMenu(self.menu)
        self.button.clicked.connect(self._clicked)
        self.editor.add_tool(self.button)
        self._show()

    @property
    def running(self) -> bool:
        return self.timer.isActive()

    def start(self, count: int, interval_ms: int) -> bool:
        """Send the payload ``count`` times (0: until stopped) every ``interval_ms`` ms."""
        self.menu.hide()
        if not self._ready():
            self.panel.status.show_error(self.tr("Nothing to send to: connect or start first"))
            return False
        try:
            self._source = self.editor.payload_source()
        except PayloadError as exc:
            self.panel.status.show_error(str(exc))
            return False
        self.count, self.interval_ms, self.sent, self._pending = count, interval_ms, 0, None
        self.timer.start(interval_ms)
        self._tick()
        return True

    def stop(self) -> None:
        self.timer.stop()
        self._pending = None
        self._show()

    def _clicked(self) -> None:
        if self.running:
            self.stop()
        else:
            self.button.showMenu()

    def _start_from_menu(self) -> None:
        self.start(self.count_spin.value(), self.interval_spin.value())

    def _tick(self) -> None:
        if self._source is None or not self._ready():
            self.stop()
            return
        if self._pending is None:
            self._pending, self._pending_count = self._next_chunk()
        try:
            self._send(self._pending)
        except ConnectError:
            # The send queue is full, or the peer just went (then _ready says so next time):
            # the same bytes go a little later.
            self.timer.setInterval(max(self.interval_ms, self.BACKOFF_MS))
            return
        except NetError as exc:
            self.panel.status.show_error(str(exc))
            self.stop()
            return
        self._pending = None
        self.timer.setInterval(self.interval_ms)
        self.sent += self._pending_count
        if self.count and self.sent >= self.count:
            self.stop()
        else:
            self._show()

    def _next_chunk(self) -> tuple[bytes, int]:
        """The bytes for this tick and how many payloads they hold: one, or at interval 0 as
        many as make BURST_BYTES (or BURST_SECONDS of building), written in one send so that
        the connection's thread and the window do not take turns for every payload."""
        assert self._source is not None
        if self.interval_ms:
            return self._source(self.sent), 1
        left = self.count - self.sent if self.count else None
        deadline = time.monotonic() + self.BURST_SECONDS
        chunks: list[bytes] = []
        size = 0
        while size < self.BURST_BYTES and (left is None or len(chunks) < left):
            chunk = self._source(self.sent + len(chunks))
            chunks.append(chunk)
            size += len(chunk)
            if time.monotonic() >= deadline:
                break
        return b"".join(chunks), len(chunks)

    def _show(self) -> None:
        if self.running:
            total = format_count(self.count) if self.count else "∞"
            self.button.setText(
                self.tr("Stop repeat ({sent}/{total})").format(
                    sent=format_count(self.sent), total=total
                )
            )
        else:
            self.button.setText(self.tr("Repeat…"))


def save_script_button(parent: QWidget, save: Callable[[], object]) -> QPushButton:
    """The "Save log as script…" button of the TCP Client and UDP Send panels (``save`` then calls
    gui.panels.scripts.save_log_as_script, which imports the script engine only then). Its Alt
    letter is G: every letter of "Save as script" is taken in the TCP Client panel."""
    return push_button(
        parent,
        QCoreApplication.translate("ScriptsPanel", "Save lo&g as script…"),
        "saveAsScriptButton",
        save,
        tip=QCoreApplication.translate(
            "ScriptsPanel", "Save this conversation as a script that replays it (swb run, Scripts)"
        ),
    )
