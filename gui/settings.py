"""Remember every input's last value with QSettings, keyed by the widgets' objectNames.

A panel does not list its fields: :func:`save_fields` walks the panel's named children (line edits,
combos, check boxes, spin boxes, text edits) and stores each under its path of objectNames, e.g.
``udpSendPanel/payloadEdit``. A widget opts out with the dynamic property ``persist = False``; an
editable combo with ``persistItems = True`` (recent hosts) keeps its list too.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QDoubleSpinBox,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QWidget,
)

__all__ = ["MAX_ITEMS", "MAX_TEXT", "as_bool", "field_key", "restore_fields", "save_fields"]

#: Longest text remembered for a field (characters); a longer one (a 5 MB paste) is not stored,
#: so the settings file stays small and quick to load.
MAX_TEXT = 64 * 1024
#: Entries a history list (recent hosts) keeps, each at most 1,024 characters.
MAX_ITEMS = 20


def field_key(root: QWidget, widget: QWidget) -> str | None:
    """``root/ancestor/widget`` objectNames, or None for unnamed and Qt-internal widgets. An
    ancestor whose ``settings_group`` property is False adds no part (the TCP Client's tabs keep
    the keys its fields had before there were tabs)."""
    name = widget.objectName()
    if not name or name.startswith("qt_") or widget.property("persist") is False:
        return None
    parts = [name]
    parent = widget.parentWidget()
    while parent is not None and parent is not root:
        parent_name = parent.objectName()
        if (
            parent_name
            and not parent_name.startswith("qt_")
            and parent.property("settings_group") is not False
        ):
            parts.append(parent_name)
        parent = parent.parentWidget()
    if parent is None:
        return None
    parts.append(root.objectName() or type(root).__name__)
    return "/".join(reversed(parts))


def _fields(root: QWidget) -> list[tuple[str, QWidget]]:
    found = []
    for widget in root.findChildren(QWidget):
        if isinstance(widget.parentWidget(), (QComboBox, QSpinBox, QDoubleSpinBox)):
            continue  # a combo's or spin box's own line edit
        key = field_key(root, widget)
        if key is not None:
            found.append((key, widget))
    return found


def save_fields(root: QWidget, settings: QSettings) -> None:
    """Store the value of every named input under ``root``."""
    for key, widget in _fields(root):
        if isinstance(widget, QComboBox):
            if widget.isEditable():
                # A listed choice is stored by its data (an address), not its display text.
                index, data = widget.currentIndex(), widget.currentData()
                chosen = index >= 0 and widget.itemText(index) == widget.currentText()
                value = data if chosen and isinstance(data, str) else widget.currentText()
                if len(value) <= MAX_TEXT:
                    settings.setValue(key, value)
                else:
                    settings.remove(key)
                if widget.property("persistItems"):
                    items = [widget.itemText(i) for i in range(widget.count())]
                    items = [item for item in items if len(item) <= 1024][:MAX_ITEMS]
                    settings.setValue(f"{key}.items", items)
            else:
                data = widget.currentData()
                settings.setValue(key, data if isinstance(data, str) else widget.currentText())
        elif isinstance(widget, (QLineEdit, QPlainTextEdit)):
            text = widget.text() if isinstance(widget, QLineEdit) else widget.toPlainText()
            if len(text) <= MAX_TEXT:
                settings.setValue(key, text)
            else:
                settings.remove(key)  # too big to remember: the field starts empty next time
        elif isinstance(widget, (QSpinBox, QDoubleSpinBox)):
            settings.setValue(key, widget.value())
        elif isinstance(widget, QAbstractButton) and widget.isCheckable():
            settings.setValue(key, widget.isChecked())


def restore_fields(root: QWidget, settings: QSettings) -> None:
    """Put back the values :func:`save_fields` stored; unknown or missing keys are left alone."""
    for key, widget in _fields(root):
        if (
            isinstance(widget, QComboBox)
            and widget.isEditable()
            and widget.property("persistItems")
        ):
            items = _as_list(settings.value(f"{key}.items"))
            if items:
                text = widget.currentText()
                widget.clear()
                widget.addItems(items)
                widget.setEditText(text)
        if not settings.contains(key):
            continue
        value = settings.value(key)
        try:
            _restore(widget, value)
        except (TypeError, ValueError):
            continue  # a stored value of the wrong shape: keep the default


def _restore(widget: QWidget, value: Any) -> None:
    if isinstance(widget, QComboBox):
        text = str(value)
        if widget.isEditable():
            index = widget.findData(text)
            if index >= 0:
                widget.setCurrentIndex(index)
            else:
                widget.setEditText(text)
        else:
            index = widget.findData(text)
            if index < 0:
                index = widget.findText(text)
            if index >= 0:
                widget.setCurrentIndex(index)
    elif isinstance(widget, QLineEdit):
        widget.setText(str(value))
    elif isinstance(widget, QPlainTextEdit):
        widget.setPlainText(str(value))
    elif isinstance(widget, QSpinBox):
        widget.setValue(int(value))
    elif isinstance(widget, QDoubleSpinBox):
        widget.setValue(float(value))
    elif isinstance(widget, QAbstractButton) and widget.isCheckable():
        widget.setChecked(as_bool(value))


def as_bool(value: Any) -> bool:
    """A stored flag as a bool (QSettings gives "true"/"false" strings from .ini files)."""
    if isinstance(value, str):
        return value.lower() in ("true", "1", "yes")
    return bool(value)


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value else []
    return [str(item) for item in value]
