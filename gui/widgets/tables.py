"""How our read-only tables and lists look: whole rows selected, no editing, no wrapping, long
names elided in the middle, columns sized for a sample text, a list's height counted in rows.

The file panels (share list, transfers, the Download panel's two tables) and the found-shares
list set these the same way; one place keeps them alike.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QAbstractItemView, QListWidget, QTableView, QTreeView, QWidget

from gui.widgets.forms import named
from gui.widgets.style import monospace_font

__all__ = ["fit_rows", "monospace_list", "read_only_look", "size_columns", "table_look"]


def read_only_look(
    view: QAbstractItemView,
    selection: QAbstractItemView.SelectionMode = QAbstractItemView.SelectionMode.SingleSelection,
) -> None:
    """Rows are picked whole (``selection`` says how many), never edited, never wrapped; a long
    name is elided in the middle, where a file name's start and extension both stay readable."""
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(selection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    if isinstance(view, (QTableView, QTreeView)):
        view.setWordWrap(False)
    view.setTextElideMode(Qt.TextElideMode.ElideMiddle)


def table_look(
    table: QTableView,
    selection: QAbstractItemView.SelectionMode = QAbstractItemView.SelectionMode.SingleSelection,
    *,
    row_padding: int = 6,
) -> None:
    """:func:`read_only_look` for a flat table, without row numbers, its rows one line of text
    and ``row_padding`` pixels high."""
    read_only_look(table, selection)
    table.setCornerButtonEnabled(False)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + row_padding)
    table.horizontalHeader().setHighlightSections(False)


def size_columns(table: QTableView, samples: Iterable[tuple[int, str]], padding: int = 20) -> None:
    """Each (column, sample text) gets the sample's width plus ``padding`` pixels; a sample of
    zeros ("00000000…", a checksum) is measured in the monospace font checksums are shown in."""
    header = table.horizontalHeader()
    mono_metrics = QFontMetrics(monospace_font())
    for column, sample in samples:
        metrics = mono_metrics if sample.startswith("0" * 8) else table.fontMetrics()
        header.resizeSection(column, metrics.horizontalAdvance(sample) + padding)


def monospace_list(parent: QWidget, name: str, *, accessible: str, tip: str) -> QListWidget:
    """A list of addresses (URLs, shares) in the monospace font, named ``name``."""
    view = named(QListWidget(parent), name, accessible=accessible, tip=tip)
    view.setFont(monospace_font())
    return view


def fit_rows(view: QListWidget, least: int, most: int) -> None:
    """A list between ``least`` and ``most`` rows of text high: short enough for an 800x600
    window, tall enough to show more than one entry."""
    row = view.fontMetrics().height() + 4
    view.setMinimumHeight(row * least + 8)
    view.setMaximumHeight(row * most + 8)
