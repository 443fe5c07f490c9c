"""How a payload is written in each mode of the payload editor, and switching between them.

:func:`payload_forms` finds the ways to write given bytes as text, hex or escapes that give the
same bytes back (:func:`escapes_of` writes Escapes mode); :class:`ModeSwitch` rewrites the
editor's text in the mode the user picks, keeping the bytes that would be sent, as Packet Sender
does. :class:`~gui.widgets.payload.PayloadEditor` is built of it.
"""

from __future__ import annotations

import codecs
import re
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QComboBox, QLineEdit, QPlainTextEdit

from net.codec import check_encoding, encode_payload, to_hex
from net.errors import PayloadError

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    _Widget = QWidget
else:
    _Widget = object

__all__ = ["ModeSwitch", "escapes_of", "payload_forms"]


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


class ModeSwitch(_Widget):
    """The mode combo's half of the payload editor: a user's pick of another mode rewrites the
    text in that mode (code and restored settings change the mode without touching the text)."""

    edit: QPlainTextEdit | QLineEdit
    mode_combo: QComboBox
    ending_combo: QComboBox
    _mode: str
    _pending_switch: tuple[str, str] | None  # (old, new) while a user's pick may follow

    if TYPE_CHECKING:

        def mode(self) -> str: ...

        def encoding(self) -> str: ...

        def line_ending(self) -> str: ...

        def set_text(self, text: str) -> None: ...

        def _encode(self, mode: str | None = None) -> bytes: ...

        def _on_changed(self) -> None: ...

    @staticmethod
    def _select(combo: QComboBox, key: str) -> None:
        index = combo.findData(key)
        if index >= 0:
            combo.setCurrentIndex(index)

    def set_mode(self, mode: str) -> None:
        """Switch the mode, rewriting the current payload in the new form when it is valid."""
        self._select(self.mode_combo, mode)
        self._on_mode_picked()

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
