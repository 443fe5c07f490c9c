"""Fonts and colours every widget shares, so panels look alike without a style sheet per panel."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QFontDatabase

__all__ = ["ERROR_COLOR", "IN_COLOR", "OUT_COLOR", "WARNING_COLOR", "monospace_font", "sentence"]

ERROR_COLOR = QColor("#c62828")
WARNING_COLOR = QColor("#8a6d00")
IN_COLOR = QColor("#1565c0")
OUT_COLOR = QColor("#2e7d32")


def monospace_font() -> QFont:
    """The system's fixed-pitch font, for payloads, hex and logs."""
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setStyleHint(QFont.StyleHint.Monospace)
    return font


def sentence(text: str) -> str:
    """net's messages are clauses ("the port is empty: ..."); shown alone they start upper-case."""
    text = text.strip()
    return text[:1].upper() + text[1:]
