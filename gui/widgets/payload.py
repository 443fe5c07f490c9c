"""The payload editor: what to send, typed as text, hex or C escapes, in a chosen encoding.

It turns the user's input into bytes with :func:`net.codec.encode_payload` as they type, showing
the byte count, or the problem in red (malformed hex, a character the encoding cannot write).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gui.widgets.status import InlineError
from gui.widgets.style import monospace_font, set_text_role
from net.checksum import append_checksum, checksum_names
from net.codec import ENCODINGS, PayloadSpec, check_encoding, encode_payload, to_hex
from net.errors import PayloadError
from net.variables import render_payload, uses_variables

__all__ = ["PayloadEditor", "escapes_of", "payload_forms"]


def _mode_labels() -> list[tuple[str, str]]:
    return [
        ("text", QCoreApplication.translate("PayloadEditor", "Text")),
        ("hex", QCoreApplication.translate("PayloadEditor", "Hex")),
        ("escapes", QCoreApplication.translate("PayloadEditor", "Escapes")),
    ]


def _ending_labels() -> list[tuple[str, str]]:
    return [
        ("none", QCoreApplication.translate("PayloadEditor", "No EOL")),
        ("lf", QCoreApplication.translate("PayloadEditor", "LF \\n")),
        ("crlf", QCoreApplication.translate("PayloadEditor", "CRLF \\r\\n")),
        ("cr", QCoreApplication.translate("PayloadEditor", "CR \\r")),
    ]


def _raw_bytes(exc: UnicodeError) -> tuple[str, int]:
    # Undecodable bytes become lone surrogates (like "surrogateescape", but for every byte value,
    # as UTF-16 needs): escapes_of() writes them back as \xNN.
    assert isinstance(exc, UnicodeDecodeError)
    return "".join(chr(0xDC00 + b) for b in exc.object[exc.start : exc.end]), exc.end


codecs.register_error("swb-raw-bytes", _raw_bytes)

# What Escapes mode must write as an escape to read back the same: the backslash itself, control
# characters (invisible, and a one-line field drops line breaks), and the bytes no character stood
# for (lone surrogates from _raw_bytes).
_NEEDS_ESCAPE = re.compile(r"[\\\x00-\x1f\x7f-\x9f\u2028\u2029\udc00-\udcff]")
_NAMED_ESCAPES = {"\\": r"\\", "\r": r"\r", "\n": r"\n", "\t": r"\t", "\0": r"\0"}
# Characters a text field may not give back as they were set (a one-line field drops line breaks).
_UNSAFE_IN_LINE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
_UNSAFE_IN_BOX = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def _all_escaped(data: bytes) -> str:
    return "".join(f"\\x{b:02x}" for b in data)


def escapes_of(data: bytes, encoding: str) -> str:
    r"""``data`` written in Escapes mode (:func:`net.codec.parse_escapes` reads it back).

    Text decodes with ``encoding``; a backslash becomes ``\\``; CR, LF, tab and NUL their named
    escapes; every other control character, and every byte that is no character, ``\xNN``.
    Round trips are exact for the offered encodings; :func:`payload_forms` checks each one.
    """
    try:
        codec = check_encoding(encoding)
    except PayloadError:
        return _all_escaped(data)
    text = data.decode(codec, "swb-raw-bytes")

    def escape(match: re.Match[str]) -> str:
        char = match.group()
        named = _NAMED_ESCAPES.get(char)
        if named is not None:
            return named
        code = ord(char)
        return _all_escaped(bytes([code - 0xDC00]) if code >= 0xDC00 else char.encode(codec))

    return _NEEDS_ESCAPE.sub(escape, text)


def payload_forms(
    data: bytes, mode: str, encoding: str, line_ending: str, *, multi_line: bool = True
) -> list[tuple[str, str, str]]:
    r"""Ways to write ``data`` in ``mode``, best first, as (text, mode, line ending) triples.

    Each gives ``data`` back exactly through :func:`net.codec.encode_payload` with ``encoding``
    (checked here): the line ending stays when ``data`` ends with it, else it becomes "none";
    bytes that are no text in ``encoding``, or characters a text field would not keep as they
    are, turn Text into Escapes. The last form, every byte as ``\xNN``, always works.
    """
    forms: list[tuple[str, str, str]] = []
    if mode == "hex":
        forms.append((to_hex(data), "hex", line_ending))
    else:
        unsafe = _UNSAFE_IN_BOX if multi_line else _UNSAFE_IN_LINE
        kinds = ("text", "escapes") if mode == "text" else ("escapes",)
        for ending in dict.fromkeys((line_ending, "none")):
            for kind in kinds:
                try:
                    suffix = encode_payload("", kind, encoding, ending)
                    if not data.endswith(suffix):
                        continue
                    body = data[: len(data) - len(suffix)]
                    if kind == "escapes":
                        text = escapes_of(body, encoding)
                    else:
                        text = body.decode(check_encoding(encoding))
                        if unsafe.search(text):
                            continue
                    if encode_payload(text, kind, encoding, ending) == data:
                        forms.append((text, kind, ending))
                except (PayloadError, UnicodeError):
                    continue
    forms.append((_all_escaped(data), "escapes", "none"))
    return forms


class PayloadEditor(QWidget):
    """Payload input with mode, encoding and line ending; ``payload()`` gives the bytes.

    Args:
        compact: one line instead of a multi-line editor (for replies and short payloads).
        name: objectName of the text input (``payloadEdit`` for a panel's main payload).
        label: accessible name of the text input.
    A full (not compact) editor is a send box: its payload may use variables (net.variables,
    ``{{counter}}`` counts this editor's sends), a checksum is appended when one is chosen, and
    a preview shows the exact bytes of the next send.

    Signals:
        changed(): the text or an option changed.
        save_as_packet(): "Save as packet…" was clicked (the button shows once connected).
        sent(): the payload was taken for sending (for a payload history).
    """

    changed = Signal()
    save_as_packet = Signal()
    sent = Signal()

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        compact: bool = False,
        name: str = "payloadEdit",
        label: str = "",
    ) -> None:
        super().__init__(parent)
        self.compact = compact
        self._mode = "text"
        self._pending_switch: tuple[str, str] | None = None
        self._mnemonic_box: QGroupBox | None = None
        self.edit: QPlainTextEdit | QLineEdit
        if compact:
            self.edit = QLineEdit(self)
            self.edit.textChanged.connect(self._on_changed)
        else:
            self.edit = QPlainTextEdit(self)
            self.edit.setTabChangesFocus(True)
            self.edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
            self.edit.setFont(monospace_font())
            line = self.edit.fontMetrics().lineSpacing()
            # Room for a few lines; the traffic log below deserves the rest of the height.
            self.edit.setMinimumHeight(line * 3 + 12)
            self.edit.setMaximumHeight(line * 6 + 12)
            self.edit.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
            self.edit.textChanged.connect(self._on_changed)
        self.edit.setObjectName(name)
        self.edit.setFont(monospace_font())
        self.edit.setAccessibleName(label or QCoreApplication.translate("PayloadEditor", "Payload"))
        self.edit.setToolTip(
            QCoreApplication.translate(
                "PayloadEditor",
                "What to send. Text is encoded with the chosen encoding; Hex takes bytes like "
                "'48 65 6C 6C 6F' or '0x48,0x65'; Escapes understands \\r \\n \\t \\0 \\\\ and \\xNN",
            )
        )

        self.mode_combo = QComboBox(self)
        self.mode_combo.setObjectName(f"{name}Mode")
        for key, text in _mode_labels():
            self.mode_combo.addItem(text, key)
        self.mode_combo.setToolTip(
            QCoreApplication.translate(
                "PayloadEditor", "How the payload is written: text, hex bytes or escapes"
            )
        )
        self.mode_combo.setAccessibleName(
            QCoreApplication.translate("PayloadEditor", "Payload format")
        )
        self.mode_combo.currentIndexChanged.connect(self._on_mode_changed)
        # Only a user's pick rewrites the text; restoring settings must not convert anything.
        self.mode_combo.activated.connect(self._on_mode_picked)

        self.encoding_combo = QComboBox(self)
        self.encoding_combo.setObjectName(f"{name}Encoding")
        self.encoding_combo.setEditable(True)
        self.encoding_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.encoding_combo.addItems(list(ENCODINGS))
        self.encoding_combo.setToolTip(
            QCoreApplication.translate(
                "PayloadEditor",
                "The text encoding: UTF-8, GBK for Chinese devices, or any Python codec name",
            )
        )
        self.encoding_combo.setAccessibleName(
            QCoreApplication.translate("PayloadEditor", "Encoding")
        )
        self.encoding_combo.currentTextChanged.connect(self._on_changed)

        self.ending_combo = QComboBox(self)
        self.ending_combo.setObjectName(f"{name}LineEnding")
        for key, text in _ending_labels():
            self.ending_combo.addItem(text, key)
        self.ending_combo.setToolTip(
            QCoreApplication.translate(
                "PayloadEditor", "End of line: appended to text payloads when they are sent"
            )
        )
        self.ending_combo.setAccessibleName(
            QCoreApplication.translate("PayloadEditor", "Line ending")
        )
        self.ending_combo.currentIndexChanged.connect(self._on_changed)

        # Send boxes only: replies are built once, so variables would mislead there.
        self.templates = not compact
        self._sends = SendCount()
        self.checksum_combo = QComboBox(self)
        self.checksum_combo.setObjectName(f"{name}Checksum")
        self.checksum_combo.addItem(QCoreApplication.translate("PayloadEditor", "No checksum"), "")
        for checksum in checksum_names() if self.templates else []:
            self.checksum_combo.addItem(checksum, checksum)
        self.checksum_combo.setToolTip(
            QCoreApplication.translate(
                "PayloadEditor",
                "Append a checksum to every send (crc16-modbus goes low byte first, as Modbus "
                "RTU sends it)",
            )
        )
        self.checksum_combo.setAccessibleName(
            QCoreApplication.translate("PayloadEditor", "Checksum")
        )
        self.checksum_combo.setVisible(self.templates)
        self.checksum_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.checksum_combo.setMinimumContentsLength(12)
        self.checksum_combo.currentIndexChanged.connect(self._on_changed)
        self.save_packet_button = QToolButton(self)
        self.save_packet_button.setObjectName(f"{name}SaveAsPacket")
        self.save_packet_button.setText(
            QCoreApplication.translate("PayloadEditor", "Save as packet…")
        )
        self.save_packet_button.setToolTip(
            QCoreApplication.translate(
                "PayloadEditor", "Keep this payload and its destination in the packet library"
            )
        )
        self.save_packet_button.clicked.connect(self.save_as_packet)
        self.save_packet_button.hide()
        self.preview = QLabel(self)
        self.preview.setObjectName(f"{name}Preview")
        self.preview.setFont(monospace_font())
        self.preview.setTextInteractionFlags(self.preview.textInteractionFlags() | _SELECTABLE)
        self.preview.setWordWrap(True)
        self.preview.hide()
        self.size_label = QLabel(self)
        self.size_label.setObjectName(f"{name}Size")
        set_text_role(self.size_label, "dim")
        self.error = InlineError(self)
        self.error.setObjectName(f"{name}Error")

        for combo in (self.mode_combo, self.encoding_combo, self.ending_combo):
            # Keep each choice readable; the byte count gives way first when space is short.
            combo.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        options = QHBoxLayout()
        options.setContentsMargins(0, 0, 0, 0)
        options.addWidget(self.mode_combo)
        options.addWidget(self.encoding_combo)
        options.addWidget(self.ending_combo)
        options.addStretch(1)
        # The send boxes' rows below the text: what is appended and the exact bytes, then the
        # tools (history, repeat, keeping the payload). One row for both did not fit a send box
        # of half an 800x600 window.
        checks = QHBoxLayout()
        checks.setContentsMargins(0, 0, 0, 0)
        checks.addWidget(self.checksum_combo)
        checks.addWidget(self.preview, 1)
        # The byte count sits below the options, not beside them: beside them the options row
        # alone was wider than half an 800x600 window.
        checks.addWidget(
            self.size_label, 0, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop
        )
        tools = self._tools = QHBoxLayout()
        tools.setContentsMargins(0, 0, 0, 0)
        tools.addWidget(self.save_packet_button)
        tools.addStretch(1)
        extras = QVBoxLayout()
        extras.setContentsMargins(0, 0, 0, 0)
        extras.setSpacing(3)
        extras.addLayout(checks)
        extras.addLayout(tools)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        if compact:
            row = QHBoxLayout()
            row.setContentsMargins(0, 0, 0, 0)
            row.addWidget(self.edit, 1)
            row.addWidget(self.size_label)
            layout.addLayout(row)
            layout.addLayout(options)
        else:
            layout.addLayout(options)
            layout.addWidget(self.edit, 1)
            layout.addLayout(extras)
        layout.addWidget(self.error)
        layout.addStretch(0)  # spare height goes below the editor, not between its rows
        self.setFocusProxy(self.edit)
        self._update_feedback()

    def take_mnemonic(self, box: QGroupBox) -> None:
        """Let the mnemonic in ``box``'s title (Alt+A for "P&ayload") go to the text input.

        A group box would give focus to the first child in Qt's focus chain: the mode combo.
        """
        box.installEventFilter(self)
        self._mnemonic_box = box

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._mnemonic_box and event.type() == QEvent.Type.Shortcut:
            self.edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
            return True
        return super().eventFilter(watched, event)

    def focus_chain(self) -> list[QWidget]:
        """The inputs in reading order, for the panel's tab order: the options row first unless
        it sits below the text."""
        options: list[QWidget] = [self.mode_combo, self.encoding_combo, self.ending_combo]
        if self.compact:
            return [self.edit, *options]
        return [*options, self.edit, self.checksum_combo, *self.tools()]

    def tools(self) -> list[QWidget]:
        """The tools row's controls, left to right (those added with :meth:`add_tool`, then
        "Save as packet…")."""
        items = (self._tools.itemAt(i) for i in range(self._tools.count()))
        return [widget for item in items if item is not None and (widget := item.widget())]

    # -- values --------------------------------------------------------------------------------

    def text(self) -> str:
        if isinstance(self.edit, QLineEdit):
            return self.edit.text()
        return self.edit.toPlainText()

    def set_text(self, text: str) -> None:
        if isinstance(self.edit, QLineEdit):
            self.edit.setText(text)
        else:
            self.edit.setPlainText(text)

    def mode(self) -> str:
        return str(self.mode_combo.currentData())

    def encoding(self) -> str:
        return self.encoding_combo.currentText().strip() or "UTF-8"

    def line_ending(self) -> str:
        return str(self.ending_combo.currentData())

    def spec(self) -> PayloadSpec:
        return PayloadSpec(self.text(), self.mode(), self.encoding(), self.line_ending())  # type: ignore[arg-type]

    def add_tool(self, widget: QWidget) -> None:
        """Put ``widget`` in the send box's tools row, before "Save as packet…" (Tab follows
        the row: see :meth:`focus_chain`)."""
        self._tools.insertWidget(self._tools.indexOf(self.save_packet_button), widget)

    def use_send_count(self, count: SendCount) -> None:
        """Count sends in ``count`` from now on (a saved packet keeps its own ``{{counter}}``)."""
        self._sends = count
        self._update_feedback()

    def checksum(self) -> str:
        """The chosen checksum's name (net.checksum), "" for none."""
        return str(self.checksum_combo.currentData() or "")

    def set_checksum(self, name: str) -> None:
        self._select(self.checksum_combo, name)

    def set_spec(self, spec: PayloadSpec) -> None:
        self._select(self.mode_combo, spec.mode)
        self._pending_switch = None
        self.encoding_combo.setCurrentText(spec.encoding)
        self._select(self.ending_combo, spec.line_ending)
        self.set_text(spec.text)

    def set_mode(self, mode: str) -> None:
        """Switch the mode, rewriting the current payload in the new form when it is valid."""
        self._select(self.mode_combo, mode)
        self._on_mode_picked()

    def payload(self) -> bytes:
        """The bytes of the next send (``{{counter}}`` moves on); shows the problem and raises
        PayloadError when the input is bad."""
        try:
            data = self._render(self._sends.value)
        except PayloadError as exc:
            self.error.show_error(str(exc))
            raise
        self.error.clear_error()
        self._sends.value += 1
        self._update_preview()
        self.sent.emit()
        return data

    def next_bytes(self) -> bytes:
        """The bytes the next send would have, without counting a send.

        Raises:
            PayloadError: the input is bad.
        """
        return self._render(self._sends.value)

    def payload_source(self) -> Callable[[int], bytes]:
        """For a worker that repeats: a function of the send number (0, 1, ...) giving its bytes,
        which counts the editor's sends as it goes and never touches a widget."""
        spec, checksum, sends = self.spec(), self.checksum(), self._sends
        templates = self.templates and uses_variables(spec.text)
        if not templates:
            data = self._render(sends.value)
            self.sent.emit()
            return lambda _index: data

        def build(_index: int) -> bytes:
            data = append_checksum(render_payload(spec, sequence=sends.value), checksum)
            sends.value += 1
            return data

        self.sent.emit()
        return build

    def check(self) -> str | None:
        try:
            self.next_bytes()
        except PayloadError as exc:
            self.error.show_error(str(exc))
            return str(exc)
        self.error.clear_error()
        return None

    # -- internals -----------------------------------------------------------------------------

    def _encode(self, mode: str | None = None) -> bytes:
        return encode_payload(self.text(), mode or self.mode(), self.encoding(), self.line_ending())

    def _render(self, sequence: int) -> bytes:
        if not self.templates:
            return self._encode()
        return append_checksum(render_payload(self.spec(), sequence=sequence), self.checksum())

    def _update_preview(self) -> None:
        if not self.templates or not (self.checksum() or uses_variables(self.text())):
            self.preview.hide()
            return
        try:
            data = self.next_bytes()
        except PayloadError:
            self.preview.hide()
            return
        shown = to_hex(data[:_PREVIEW_BYTES]) + (" …" if len(data) > _PREVIEW_BYTES else "")
        self.preview.setText(
            QCoreApplication.translate("PayloadEditor", "Next send: {bytes}").format(bytes=shown)
        )
        self.preview.show()

    @staticmethod
    def _select(combo: QComboBox, key: str) -> None:
        index = combo.findData(key)
        if index >= 0:
            combo.setCurrentIndex(index)

    def _on_mode_changed(self) -> None:
        old, self._mode = self._mode, self.mode()
        # A user's pick emits activated right after this, in the same call; anything else (code,
        # restored settings) leaves the text as it is, so forget the switch on the next turn.
        self._pending_switch = (old, self._mode)
        QTimer.singleShot(0, self._forget_switch)
        self.ending_combo.setEnabled(self._mode != "hex")
        self._on_changed()

    def _forget_switch(self) -> None:
        self._pending_switch = None

    def _on_mode_picked(self) -> None:
        switch, self._pending_switch = self._pending_switch, None
        if switch is not None and switch[0] != switch[1]:
            self._convert(*switch)

    def _convert(self, old: str, new: str) -> None:
        # Keep the bytes that would be sent, as Packet Sender does; leave bad input alone.
        try:
            data = self._encode(old)
        except PayloadError:
            return
        multi_line = not isinstance(self.edit, QLineEdit)
        for text, mode, ending in payload_forms(
            data, new, self.encoding(), self.line_ending(), multi_line=multi_line
        ):
            self._apply(text, mode, ending)
            try:
                if self._encode() == data:  # the widget gave back every character
                    return
            except PayloadError:
                continue

    def _apply(self, text: str, mode: str, ending: str) -> None:
        if mode != self.mode():
            self._select(self.mode_combo, mode)
            self._pending_switch = None
        self._select(self.ending_combo, ending)
        self.set_text(text)

    def _on_changed(self) -> None:
        if self.text() != self._sends.text:
            # A new payload counts its sends from the start again.
            self._sends = SendCount(self.text())
        self._update_feedback()
        self.changed.emit()

    def _update_feedback(self) -> None:
        self.encoding_combo.setEnabled(self.mode() != "hex")
        try:
            data = self._render(self._sends.value)
        except PayloadError as exc:
            self.error.show_error(str(exc))
            self.size_label.setText("")
            self.preview.hide()
            return
        self.error.clear_error()
        self._update_preview()
        count = len(data)
        self.size_label.setText(
            # self.tr (context "PayloadEditor"): lupdate sees plurals only in tr(text, "", n)
            self.tr("{count} bytes", "", count).format(count=f"{count:,}")
        )


_PREVIEW_BYTES = 64
_SELECTABLE = Qt.TextInteractionFlag.TextSelectableByMouse


class SendCount:
    """How many sends a payload text has had; a worker's repeat increments it (one at a time)."""

    def __init__(self, text: str = "") -> None:
        self.text = text
        self.value = 0
