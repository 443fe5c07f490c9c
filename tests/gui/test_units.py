"""Sizes follow the locale (issue 14): one formatter, QLocale's IEC units and separators above
10 KiB, exact bytes below in the language's own word for them."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import QLocale
from PySide6.QtWidgets import QApplication

from gui.widgets.counters import EXACT_BELOW, format_bytes
from gui.widgets.units import format_progress, format_speed


@pytest.fixture
def locale_of() -> Iterator[Callable[[str], None]]:
    """Set the default QLocale for one test (restored after it)."""
    before = QLocale()

    def use(name: str) -> None:
        QLocale.setDefault(QLocale(name))

    yield use
    QLocale.setDefault(before)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0 B"),
        (1, "1 B"),
        (1234, "1,234 B"),
        (EXACT_BELOW - 1, "10,239 B"),
        (EXACT_BELOW, "10.0 KiB"),
        (1536 * 1024, "1.5 MiB"),
        (1024**3, "1.0 GiB"),
        (3 * 1024**5, "3.0 PiB"),
    ],
)
def test_sizes_in_english(
    qapp: QApplication, locale_of: Callable[[str], None], value: int, text: str
) -> None:
    locale_of("en_US")
    assert format_bytes(value) == text


def test_the_locale_writes_the_decimal_separator(
    qapp: QApplication, locale_of: Callable[[str], None]
) -> None:
    locale_of("de_DE")
    assert format_bytes(1536 * 1024) == "1,5 MiB"
    assert format_bytes(1234) == "1.234 B"  # the same reader: no "1,234" meaning 1.234
    assert format_speed(1536 * 1024) == "1,5 MiB/s"
    assert format_progress(5 * 1024**2, 1024**3) == "5,0 MiB of 1,0 GiB"  # no German catalogue


def test_chinese_names_the_bytes_in_chinese(
    qapp: QApplication, locale_of: Callable[[str], None], chinese: list[str]
) -> None:
    locale_of("zh_CN")
    assert format_bytes(999) == "999 字节"
    assert format_bytes(1234) == "1,234 字节"
    assert format_bytes(5 * 1024 * 1024) == "5.0 MiB"
    assert format_speed(0) == "0 字节/s"
    assert format_progress(12, 1024**3) == "12 字节 / 1.0 GiB"


def test_sizes_follow_the_language_chosen_in_the_app_not_the_system(
    qapp: QApplication, locale_of: Callable[[str], None]
) -> None:
    from gui.i18n import install_language

    locale_of("de_DE")  # the system's
    assert format_bytes(1536 * 1024) == "1,5 MiB"
    install_language(qapp, "en")  # View > Language > English
    assert QLocale().name() == "en_US"
    assert format_bytes(1536 * 1024) == "1.5 MiB"
