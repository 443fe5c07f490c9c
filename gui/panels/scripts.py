"""Scripts: edit or open a conversation script (net.script's TOML), run it with Run / Stop, and
watch each step's result (bytes, elapsed time, round-trip time) as it happens."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from gui.panels.base import LoopPanel, set_tab_chain
from gui.widgets import TrafficLog
from gui.widgets.forms import ask_file, line_edit, push_buttons, stack, start_stop_buttons
from gui.widgets.status import StatusLine
from gui.widgets.style import set_text_role
from net.codec import render_text
from net.errors import PayloadError
from net.script import (
    Record,
    RunResult,
    Script,
    ScriptRunner,
    StepResult,
    parse_script,
    script_from_records,
)

__all__ = [
    "EXAMPLE_SCRIPT",
    "MAX_LOG_ROWS",
    "ScriptsPanel",
    "records_from_log",
    "save_log_as_script",
]

#: Steps the log keeps (older rows go first); the summary counts all of them.
MAX_LOG_ROWS = 10_000

EXAMPLE_SCRIPT = """\
# A conversation: send, expect (a regex over the text), capture, delay. Run it with Run.
[connection]
protocol = "tcp"          # tcp | udp | tls
host = "127.0.0.1"
port = 5020
encoding = "utf-8"
repeat = 1

[[step]]
send = "PING {{counter}}\\r\\n"

[[step]]
expect = 'PONG (?P<seq>\\d+)'
timeout = 2.0
capture = true

[[step]]
delay = 0.25
"""


def records_from_log(log: TrafficLog) -> list[Record]:
    """What a panel's traffic log shows as a conversation: out rows sent, in rows received.

    Raises:
        ValueError: a row keeps only part of its bytes (a chunk longer than a log row holds), so
            the conversation cannot be replayed exactly.
    """
    records = []
    for entry in log.model.entries():
        if entry.direction not in ("in", "out"):
            continue
        if entry.size is not None and entry.size != len(entry.data):
            raise ValueError(
                QCoreApplication.translate(
                    "ScriptsPanel",
                    "a message of {size} bytes is longer than the log keeps, so it cannot be "
                    "replayed exactly",
                ).format(size=entry.size)
            )
        records.append(Record("sent" if entry.direction == "out" else "received", entry.data))
    return records


def save_log_as_script(
    parent: QWidget,
    status: StatusLine,
    log: TrafficLog,
    protocol: str,
    host: str,
    port: int,
    *,
    extra: dict[str, str | bool] | None = None,
    path: str | None = None,
) -> bool:
    """Record -> script (issue 18, item 2): write what ``log`` shows as a script that replays
    it (sends as send steps, what came back as exact expects), asking where unless ``path`` is
    given (the dialog's ``parent``). Says how it went on ``status``, the panel's status line."""
    try:
        records = records_from_log(log)
    except ValueError as exc:
        status.show_error(str(exc))
        return False
    if not any(record.direction == "sent" for record in records):
        status.show_error(
            QCoreApplication.translate(
                "ScriptsPanel", "Nothing was sent yet, so there is no conversation to save"
            )
        )
        return False
    if path is None:
        path, _ = QFileDialog.getSaveFileName(
            parent,
            QCoreApplication.translate("ScriptsPanel", "Save the conversation as a script"),
            "",
            QCoreApplication.translate("ScriptsPanel", "Scripts (*.toml)"),
        )
        if not path:
            return False
    text = script_from_records(
        records,
        protocol=protocol,
        host=host,
        port=port,
        encoding=log.model.encoding,
        extra=extra or {},
    )
    try:
        _write_atomically(Path(path), text)
    except OSError as exc:
        status.show_error(
            QCoreApplication.translate("ScriptsPanel", "Cannot save {path}: {reason}").format(
                path=path, reason=exc.strerror or str(exc)
            )
        )
        return False
    status.show_info(
        QCoreApplication.translate("ScriptsPanel", "Saved the conversation as {path}").format(
            path=path
        )
    )
    return True


def _write_atomically(target: Path, text: str) -> None:
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temp, target)
    except OSError:
        Path(temp).unlink(missing_ok=True)
        raise


class StepLog(QTableWidget):
    """Each step's result, one row each: round, step, action, bytes, elapsed and round-trip
    time (ms), and OK or FAILED with what was captured, received or wrong. Keeps the last
    :data:`MAX_LOG_ROWS`."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(0, 7, parent)
        self.setObjectName("stepLog")
        self.setAccessibleName(self.tr("Steps"))
        self.setHorizontalHeaderLabels(
            [
                self.tr("Round"),
                self.tr("Step"),
                self.tr("Action"),
                self.tr("Bytes"),
                self.tr("Elapsed (ms)"),
                self.tr("RTT (ms)"),
                self.tr("Result"),
            ]
        )
        self.verticalHeader().hide()
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        # The numbers take what they need, so the Result column stays in sight at 800x600.
        for column in range(6):
            self.horizontalHeader().setSectionResizeMode(
                column, QHeaderView.ResizeMode.ResizeToContents
            )
        self.horizontalHeader().setSectionResizeMode(6, QHeaderView.ResizeMode.Stretch)

    def add(self, results: list[StepResult], encoding: str) -> None:
        """Append a row per result (received bytes shown in ``encoding``)."""
        self.setUpdatesEnabled(False)
        for result in results:
            step = result.step
            if not result.ok:
                detail = result.problem
            elif result.captures:
                detail = ", ".join(f"{k}={v}" for k, v in result.captures.items())
            else:
                detail = render_text(result.data[:200], encoding)
            cells = [
                str(result.round),
                str(step.number),
                step.kind,
                str(result.size) if step.kind != "delay" else "",
                f"{result.elapsed * 1000:.3f}",
                f"{result.rtt * 1000:.3f}" if result.rtt is not None else "",
                (self.tr("OK") if result.ok else self.tr("FAILED")) + "  " + detail,
            ]
            row = self.rowCount()
            self.insertRow(row)
            for column, text in enumerate(cells):
                self.setItem(row, column, QTableWidgetItem(text))
        overflow = self.rowCount() - MAX_LOG_ROWS
        for _ in range(max(0, overflow)):
            self.removeRow(0)
        self.setUpdatesEnabled(True)
        self.scrollToBottom()


class ScriptsPanel(LoopPanel):
    """The script editor, Run / Stop and the step-by-step log."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, "script", buffer_limit=MAX_LOG_ROWS)
        self.setObjectName("scriptsPanel")
        self.script: Script | None = None
        self.result: RunResult | None = None
        self._steps = 0
        self._failed = 0
        self._build()
        self._set_running(False)

    def _build(self) -> None:
        self.path_edit = line_edit(
            self,
            "scriptPathEdit",
            accessible=self.tr("Script file"),
            tip=self.tr("Where Save writes the script (also the name in reports)"),
            placeholder=self.tr("a .toml script file (optional)"),
        )
        tips = (
            self.tr("Start again from the example script (not saved yet)"),
            self.tr("Load a .toml script into the editor"),
            self.tr("Save the script to the file named on the left"),
        )
        self.new_button, self.open_button, self.save_button = push_buttons(
            self,
            (self.tr("&New"), "newScriptButton", self.new_script, tips[0]),
            (self.tr("&Open…"), "openScriptButton", self._choose_file, tips[1]),
            (self.tr("&Save"), "saveScriptButton", self.save_file, tips[2]),
        )
        file_row = QHBoxLayout()
        file_row.addWidget(QLabel(self.tr("File:"), self))
        file_row.addWidget(self.path_edit, 1)
        file_row.addWidget(self.new_button)
        file_row.addWidget(self.open_button)
        file_row.addWidget(self.save_button)

        self.editor = QPlainTextEdit(self)
        self.editor.setObjectName("scriptEdit")
        self.editor.setAccessibleName(self.tr("Script"))
        self.editor.setToolTip(
            self.tr(
                "[connection] then [[step]] tables: send / send_hex, expect / expect_hex, delay"
            )
        )
        self.editor.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.editor.setPlainText(EXAMPLE_SCRIPT)
        self.editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        # Tab leaves the editor (keyboard walk, issue 15.2); TOML needs no tab characters.
        self.editor.setTabChangesFocus(True)

        self.vars_edit = line_edit(
            self,
            "varsEdit",
            accessible=self.tr("Variables"),
            tip=self.tr("Values for {{NAME}} in the steps, as swb run --var gives"),
            placeholder=self.tr("NAME=VALUE; NAME=VALUE (for {{NAME}} in steps)"),
        )
        start = (self.tr("&Run"), self.tr("Run the script (Ctrl+R)"))
        stop = (self.tr("S&top"), self.tr("Stop the script (Ctrl+.)"))
        self.start_button, self.stop_button = start_stop_buttons(self, start, stop)
        self.summary = QLabel(self)
        self.summary.setObjectName("summaryLabel")
        self.summary.setWordWrap(True)
        run_row = QHBoxLayout()
        run_row.addWidget(QLabel(self.tr("Variables:"), self))
        run_row.addWidget(self.vars_edit, 1)
        run_row.addWidget(self.start_button)
        run_row.addWidget(self.stop_button)

        self.log = StepLog(self)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.editor)
        splitter.addWidget(self.log)
        stack(self, file_row, splitter, run_row, self.summary, self.status, stretch=1)
        set_tab_chain(
            self.path_edit,
            self.new_button,
            self.open_button,
            self.save_button,
            self.editor,
            self.vars_edit,
            self.start_button,
            self.stop_button,
        )

    # -- files ---------------------------------------------------------------------------------

    def _choose_file(self) -> None:
        ask_file(
            self,
            self.tr("Open a script"),
            self.tr("Scripts (*.toml);;All files (*)"),
            self.open_file,
        )

    def new_script(self) -> None:
        """Put the example script in the editor, with no file named yet."""
        self.path_edit.clear()
        self.editor.setPlainText(EXAMPLE_SCRIPT)

    def open_file(self, path: str) -> bool:
        """Load the script at ``path`` into the editor (at most 1 MiB of UTF-8)."""
        try:
            with open(path, "rb") as handle:
                data = handle.read(1024 * 1024 + 1)
            if len(data) > 1024 * 1024:
                raise ValueError(self.tr("a script may be at most 1 MiB"))
            text = data.decode("utf-8")
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self.status.show_error(
                self.tr("Cannot open {path}: {reason}").format(path=path, reason=reason)
            )
            return False
        self.path_edit.setText(path)
        self.editor.setPlainText(text)
        self.status.show_info(self.tr("Opened {path}").format(path=path))
        return True

    def save_file(self) -> bool:
        """Write the editor's text to the file named in the path field (whole or not at all)."""
        path = self.path_edit.text().strip()
        if not path:
            path, _ = QFileDialog.getSaveFileName(
                self, self.tr("Save the script"), "", self.tr("Scripts (*.toml)")
            )
            if not path:
                return False
            self.path_edit.setText(path)
        try:
            _write_atomically(Path(path), self.editor.toPlainText())
        except OSError as exc:
            self.status.show_error(
                self.tr("Cannot save {path}: {reason}").format(
                    path=path, reason=exc.strerror or str(exc)
                )
            )
            return False
        self.status.show_info(self.tr("Saved {path}").format(path=path))
        return True

    # -- running -------------------------------------------------------------------------------

    def _variables(self) -> dict[str, str]:
        values = {}
        for item in filter(None, (part.strip() for part in self.vars_edit.text().split(";"))):
            name, equals, value = item.partition("=")
            if not equals or not name.strip():
                raise PayloadError(self.tr("{item!r} must look like NAME=VALUE").format(item=item))
            values[name.strip()] = value
        return values

    def trigger_start(self) -> None:
        if self.runner.running:
            return
        name = Path(self.path_edit.text().strip()).name or "script"
        try:
            script = parse_script(self.editor.toPlainText(), name, self._variables())
        except PayloadError as exc:
            # A bad script never starts anything: the sentence says where.
            self.status.show_error(str(exc))
            return
        self.script = script
        self.result = None
        self.log.setRowCount(0)
        self._steps = self._failed = 0
        self.summary.clear()
        push = self.runner.push

        def open_runner() -> ScriptRunner:
            return ScriptRunner(script, push)

        self.runner.start(open_runner, lambda runner: runner.run())
        self._set_running(True)
        self.status.show_info(
            self.tr("Running {name} against {host}:{port} ({protocol})…").format(
                name=name, host=script.host, port=script.port, protocol=script.protocol.upper()
            )
        )

    def _on_events(self, results: list[StepResult]) -> None:
        assert self.script is not None
        self._steps += len(results)
        self._failed += sum(not result.ok for result in results)
        self.log.add(results, self.script.encoding)

    def _on_returned(self, result: Any) -> None:
        if not isinstance(result, RunResult) or self.script is None:
            return
        self.result = result
        text = self.tr(
            "{matched} of {total} expectations matched, {steps} steps in {ms} ms"
        ).format(
            matched=result.matched,
            total=self.script.expectations,
            steps=result.steps,
            ms=f"{result.elapsed * 1000:.1f}",
        )
        self.summary.setText(text)
        if result.stopped:
            self.status.show_info(self.tr("Stopped"))
        elif result.problem:
            set_text_role(self.summary, "error")
            self.status.show_error(result.problem)
        else:
            set_text_role(self.summary, "success")
            self.status.show_info(self.tr("Every expectation matched"))

    def _on_finished(self) -> None:
        self._set_running(False)

    def _set_running(self, running: bool) -> None:
        self.show_running(running, self.editor, self.vars_edit, self.open_button, self.path_edit)
        if running:
            self.set_activity(self.tr("Running a script"))
