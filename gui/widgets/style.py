"""Fonts and colours every widget shares, so panels look alike without a style sheet per panel.

Colours have a light and a dark variant; the one in use follows the application palette, which Qt
(6.5+) takes from the OS's light or dark scheme. Use :func:`set_text_role` to colour a label (it is
coloured again when the palette changes while the app runs) and :func:`text_color` in an item
model's ForegroundRole (views ask at every paint). The ``*_COLOR`` constants are kept in step with
the palette too, for code that holds on to them.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QGuiApplication, QPalette
from PySide6.QtWidgets import QWidget

__all__ = [
    "ERROR_COLOR",
    "IN_COLOR",
    "OUT_COLOR",
    "ROLES",
    "WARNING_COLOR",
    "is_dark",
    "monospace_font",
    "sentence",
    "set_text_role",
    "text_color",
]

#: Text roles and their (light, dark) colours; each reads at 4.5:1 or better on its background.
_VARIANTS: dict[str, tuple[str, str]] = {
    "error": ("#c62828", "#ff7b72"),
    "warning": ("#7a5f00", "#e3b341"),
    "in": ("#1565c0", "#79b8ff"),
    "out": ("#287430", "#7ee787"),
    "success": ("#287430", "#7ee787"),
}
#: Every role :func:`text_color` knows; "dim" is secondary text (counts, hints) between the
#: palette's text and background colours.
ROLES = (*_VARIANTS, "dim")

ERROR_COLOR = QColor(_VARIANTS["error"][0])
WARNING_COLOR = QColor(_VARIANTS["warning"][0])
IN_COLOR = QColor(_VARIANTS["in"][0])
OUT_COLOR = QColor(_VARIANTS["out"][0])
_CONSTANTS = {"error": ERROR_COLOR, "warning": WARNING_COLOR, "in": IN_COLOR, "out": OUT_COLOR}

_ROLE_PROPERTY = "swbTextRole"
_cache_key: int | None = None
_cache: dict[str, QColor] = {}


def _palette() -> QPalette:
    return QGuiApplication.palette() if QGuiApplication.instance() is not None else QPalette()


def is_dark(palette: QPalette | None = None) -> bool:
    """True when text is lighter than the window behind it (a dark scheme)."""
    palette = palette if palette is not None else _palette()
    window = palette.color(QPalette.ColorRole.Window).lightnessF()
    return palette.color(QPalette.ColorRole.WindowText).lightnessF() > window


def _compute(role: str, palette: QPalette) -> QColor:
    if role == "dim":
        text = palette.color(QPalette.ColorRole.WindowText)
        back = palette.color(QPalette.ColorRole.Window)
        mix = 0.6  # of the text colour: readable, yet clearly secondary
        return QColor.fromRgbF(
            text.redF() * mix + back.redF() * (1 - mix),
            text.greenF() * mix + back.greenF() * (1 - mix),
            text.blueF() * mix + back.blueF() * (1 - mix),
        )
    light, dark = _VARIANTS[role]
    return QColor(dark if is_dark(palette) else light)


def text_color(role: str, palette: QPalette | None = None) -> QColor:
    """The colour of a text role ("error", "warning", "in", "out", "success", "dim").

    Args:
        palette: the palette to fit; the application's palette by default.
    """
    global _cache_key
    if palette is not None:
        return _compute(role, palette)
    current = _palette()
    if current.cacheKey() != _cache_key:
        _cache_key = current.cacheKey()
        _cache.clear()
        for name, constant in _CONSTANTS.items():
            constant.setRgba(_compute(name, current).rgba())
    color = _cache.get(role)
    if color is None:
        color = _cache[role] = _compute(role, current)
    return QColor(color)


class _PaletteFollower(QObject):
    """Colours its widget again when the application palette (light or dark scheme) changes."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ApplicationPaletteChange and isinstance(watched, QWidget):
            _apply(watched)
        return False


def set_text_role(
    widget: QWidget, role: str | None, *, bold: bool = False, extra: str = ""
) -> None:
    """Colour a widget's text for a role (None: the palette's normal text), now and later.

    Args:
        bold: also make the text bold (for errors that stop something).
        extra: more style sheet declarations for the widget (e.g. a border).
    """
    if role is not None and role not in ROLES:
        raise ValueError(f"unknown text role {role!r}")
    widget.setProperty(_ROLE_PROPERTY, (role or "", bold, extra))
    if widget.findChild(_PaletteFollower, "", Qt.FindChildOption.FindDirectChildrenOnly) is None:
        widget.installEventFilter(_PaletteFollower(widget))
    _apply(widget)


def _apply(widget: QWidget) -> None:
    role, bold, extra = widget.property(_ROLE_PROPERTY) or ("", False, "")
    parts = [f"color: {text_color(role).name()};"] if role else []
    if bold:
        parts.append("font-weight: bold;")
    if extra:
        parts.append(extra)
    style = " ".join(parts)
    if widget.styleSheet() != style:
        widget.setStyleSheet(style)


def monospace_font() -> QFont:
    """The system's fixed-pitch font, for payloads, hex and logs."""
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setStyleHint(QFont.StyleHint.Monospace)
    return font


def sentence(text: str) -> str:
    """net's messages are clauses ("the port is empty: ..."); shown alone they start upper-case.

    Only a first word of plain lower-case letters is capitalised: a message that starts with what
    the user typed ("zz:// URLs are not supported", "example.org cannot be reached") keeps it.
    """
    text = text.strip()
    first = text.split(None, 1)[0] if text else ""
    if not (first.isascii() and first.isalpha() and first.islower()):
        return text
    return text[:1].upper() + text[1:]
