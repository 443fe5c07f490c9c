"""Translations: under zh_CN no visible text is left in English, and the catalogue is complete.

When a test here fails after gui/ changed, run ``python -m resources.translations``, translate
what it lists as unfinished in resources/translations/*.ts, and run it again.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractListModel,
    QCoreApplication,
    QModelIndex,
    QSettings,
    Qt,
    QTranslator,
)
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QMenu,
    QPlainTextEdit,
    QProgressBar,
    QTabBar,
    QTextEdit,
    QWidget,
)
from pytestqt.qtbot import QtBot

from gui.app import LANGUAGE_KEY, install_language, language_setting
from gui.main_window import MainWindow
from gui.widgets.address import BindAddressPicker, local_addresses
from net.checksum import checksum_names
from resources import translations
from tests.conftest import WAIT

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
#: What reads the same in both languages: protocol and encoding names, units, key names.
SAME_IN_BOTH = {
    "UDP", "TCP", "TLS", "IP", "IPv4", "IPv6", "HTTP", "HTTPS", "URL", "SHA-256", "QR",
    "UTF-8", "GBK", "GB18030", "Latin-1", "UTF-16LE", "UTF-16BE", "ASCII",
    "CRLF", "LF", "CR", "CSV", "B", "KiB", "MiB", "GiB", "TiB", "PiB", "s", "ms",
    "Ctrl", "Return", "Enter", "Delete", "Qt", "English", "Socket", "swb", "curl", "wget",
    *checksum_names(),  # crc16-modbus ...: the names the CLI's --checksum takes too
}  # fmt: skip
PATTERNS = [
    re.compile(r"[a-z][a-z0-9+.-]*://\S+"),  # URLs
    re.compile(r"\[?[0-9a-fA-F:]*::[0-9a-fA-F:.]*(%\w+)?\]?(:\d+)?"),  # IPv6 addresses
    re.compile(r"\b\d+(\.\d+){3}(:\d+)?\b"),  # IPv4 addresses and peers
    re.compile(r"\\(x[0-9a-fA-F]{2}|[rnt0\\])"),  # escapes
    re.compile(r"<[^>]+>"),  # rich text tags
    re.compile(r"%p%"),  # a progress bar's percentage
]
WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9]|[A-Za-z0-9]")
HEX_OR_NUMBER = re.compile(r"(0x)?[0-9A-Fa-f]{2}|\d[\d,.-]*")


def untranslated(text: str) -> bool:
    """True when ``text`` still reads as English: no CJK and a word not in the allowlist."""
    text = text.replace("&&", "").replace("&", "")
    if not text.strip() or CJK.search(text):
        return False
    for pattern in PATTERNS:
        text = pattern.sub(" ", text)
    return any(
        word not in SAME_IN_BOTH and not HEX_OR_NUMBER.fullmatch(word)
        for word in WORD.findall(text)
    )


@pytest.mark.parametrize(
    ("text", "english"),
    [
        ("发送(&S)", False),
        ("UDP", False),
        ("UTF-16LE", False),
        ("CRLF \\r\\n", False),
        ("1,234 B", False),
        ("http://127.0.0.1:8000/a%20b.txt", False),
        ("[::1]:5000", False),
        ("Ctrl+Return", False),
        ("48 65 6C", False),
        ("SHA-256", False),
        ("Latin-1 · 0x48", False),
        ("fe80::1%eth0", False),
        ("1-65535", False),
        ("Send", True),
        ("&Hex", True),
        ("0 datagrams", True),
        ("<b>Socket Workbench</b> 1.0", True),
    ],
)
def test_the_english_detector(text: str, english: bool) -> None:
    assert untranslated(text) is english


def _item_texts(model: QAbstractItemModel) -> Iterator[tuple[str, str]]:
    # A list model's columnCount is private in PySide6: it has one column.
    columns = 1 if isinstance(model, QAbstractListModel) else model.columnCount(QModelIndex())
    rows = model.rowCount(QModelIndex())
    for orientation, count in (
        (Qt.Orientation.Horizontal, columns),
        (Qt.Orientation.Vertical, rows),
    ):
        for section in range(count):
            value = model.headerData(section, orientation, Qt.ItemDataRole.DisplayRole)
            if isinstance(value, str):
                yield "header", value
    for row in range(min(rows, 50)):
        for column in range(columns):
            index = model.index(row, column)
            for role, kind in (
                (Qt.ItemDataRole.DisplayRole, "item"),
                (Qt.ItemDataRole.ToolTipRole, "item tooltip"),
            ):
                value = model.data(index, role)
                if isinstance(value, str):
                    yield kind, value


def _action_texts(action: QAction) -> Iterator[tuple[str, str]]:
    yield "action", action.text()
    if action.toolTip() != action.text().replace("&", ""):
        yield "action tooltip", action.toolTip()
    yield "action status tip", action.statusTip()
    menu = action.menu()
    if isinstance(menu, QMenu):
        yield "menu", menu.title()
        for sub in menu.actions():
            yield from _action_texts(sub)


def widget_texts(widget: QWidget) -> Iterator[tuple[str, str]]:
    """Every text of one widget a person can see or a screen reader says."""
    yield "tooltip", widget.toolTip()
    yield "accessible name", widget.accessibleName()
    yield "accessible description", widget.accessibleDescription()
    yield "status tip", widget.statusTip()
    yield "what's this", widget.whatsThis()
    if widget.isWindow():
        yield "window title", widget.windowTitle()
    if isinstance(widget, QLabel):
        yield "label", widget.text()
    if isinstance(widget, QAbstractButton):
        yield "button", widget.text()
    if isinstance(widget, QGroupBox):
        yield "group box", widget.title()
    if isinstance(widget, QLineEdit):
        yield "placeholder", widget.placeholderText()
    if isinstance(widget, (QPlainTextEdit, QTextEdit)):
        yield "placeholder", widget.placeholderText()
    if isinstance(widget, QAbstractSpinBox):
        yield "special value", widget.specialValueText()
        for kind in ("prefix", "suffix"):
            getter = getattr(widget, kind, None)
            if getter is not None:
                yield kind, getter()
    if isinstance(widget, QProgressBar):
        yield "progress format", widget.format()
    if isinstance(widget, QTabBar):
        for index in range(widget.count()):
            yield "tab", widget.tabText(index)
            yield "tab tooltip", widget.tabToolTip(index)
    if isinstance(widget, QComboBox):
        interfaces = (
            {f"{a}{BindAddressPicker.SEPARATOR}{n}" for a, n in local_addresses()}
            if isinstance(widget.parentWidget(), BindAddressPicker)
            else set()
        )
        for index in range(widget.count()):
            if widget.itemText(index) not in interfaces:  # the system names its interfaces
                yield "combo item", widget.itemText(index)
            tip = widget.itemData(index, Qt.ItemDataRole.ToolTipRole)
            if isinstance(tip, str):
                yield "combo item tooltip", tip
    if isinstance(widget, QAbstractItemView) and widget.model() is not None:
        if isinstance(widget, QListWidget) or widget.objectName() not in ("logView",):
            yield from _item_texts(widget.model())
        else:
            yield from (pair for pair in _item_texts(widget.model()) if pair[0] == "header")
    for action in widget.actions():
        yield from _action_texts(action)


def _inside_combo(widget: QWidget) -> bool:
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QComboBox):
            return True
        parent = parent.parentWidget()
    return False


def _path(widget: QWidget) -> str:
    parts = []
    while widget is not None:
        parts.append(widget.objectName() or type(widget).__name__)
        widget = widget.parentWidget()
    return "/".join(reversed(parts))


def test_zh_cn_loads_the_app_and_qt_translations(chinese: list[str]) -> None:
    names = [Path(path).name for path in chinese]
    assert names == ["socket_workbench_zh_CN.qm", "qtbase_zh_CN.qm"]
    assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "取消"


def test_every_visible_text_is_chinese_under_zh_cn(
    qtbot: QtBot, settings: QSettings, chinese: list[str]
) -> None:
    window = MainWindow(settings)
    qtbot.addWidget(window)
    window.show()
    assert len(window.panels) == 8  # builds them all (each is built when first shown)
    english: list[str] = []
    seen = 0
    for widget in [window, *window.findChildren(QWidget)]:
        if widget.objectName().startswith("qt_") or _inside_combo(widget):
            continue  # Qt's own parts (scroll bars, a combo's pop-up list repeating its items)
        for kind, text in widget_texts(widget):
            seen += 1
            if untranslated(text):
                english.append(f"{_path(widget)} {kind}: {text!r}")
    for action in window.menuBar().actions():
        for kind, text in _action_texts(action):
            seen += 1
            if untranslated(text):
                english.append(f"menu bar {kind}: {text!r}")
    assert seen > 300  # the walk really went through every panel
    assert not english, "still in English under zh_CN:\n" + "\n".join(sorted(set(english)))
    assert window.windowTitle() == "Socket 工作台"
    assert [window.panel_list.item(i).text() for i in range(6)] == [
        "UDP 发送",
        "UDP 接收",
        "TCP 客户端",
        "TCP 服务器",
        "文件共享",
        "下载",
    ]


def test_counts_use_each_language_s_plural_forms(
    qtbot: QtBot, settings: QSettings, qapp: QApplication
) -> None:
    window = MainWindow(settings)
    qtbot.addWidget(window)
    sender = window.panel("udpSendPanel")
    assert sender._datagrams(1) == "1 datagram"  # type: ignore[attr-defined]
    assert sender._datagrams(12345) == "12,345 datagrams"  # type: ignore[attr-defined]
    assert sender._reply_count(1) == "1 reply"  # type: ignore[attr-defined]
    loaded = install_language(qapp, "zh_CN")
    try:
        assert loaded
        assert sender._datagrams(1) == "1 个数据报"  # type: ignore[attr-defined]
        assert sender._datagrams(12345) == "12,345 个数据报"  # type: ignore[attr-defined]
    finally:
        for translator in qapp.findChildren(QTranslator):
            if translator.filePath() in loaded:
                QCoreApplication.removeTranslator(translator)
                translator.deleteLater()


@pytest.fixture(scope="module")
def refreshed_catalogues(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The committed .ts files updated from gui/ as it is now (what the script would write)."""
    folder = tmp_path_factory.mktemp("ts")
    root = translations.ROOT
    files = [str(path.relative_to(root)) for path in translations.source_files()]
    lupdate = translations.tool("pyside6-lupdate")
    refreshed = {}
    for name, options in translations.CATALOGUES.items():
        copy = folder / name
        shutil.copy(translations.FOLDER / name, copy)
        subprocess.run(
            [lupdate, *files, *options, "-locations", "none", "-ts", str(copy)],
            cwd=root,
            check=True,
            capture_output=True,
            timeout=WAIT * 6,
        )
        refreshed[name] = copy
    return refreshed


@pytest.mark.parametrize("name", list(translations.CATALOGUES))
def test_every_message_is_translated(refreshed_catalogues: dict[str, Path], name: str) -> None:
    """A text added to gui/ fails here until it is translated (see the module docstring)."""
    missing = translations.unfinished(refreshed_catalogues[name])
    assert not missing, (
        f"{len(missing)} message(s) of {name} need a translation; run "
        "`python -m resources.translations` and translate them:\n"
        + "\n".join(f"  [{m.context}] {m.source!r}" for m in missing)
    )


@pytest.mark.parametrize("name", list(translations.CATALOGUES))
def test_the_committed_catalogue_is_up_to_date(
    refreshed_catalogues: dict[str, Path], name: str
) -> None:
    committed = {(m.context, m.source) for m in translations.messages(translations.FOLDER / name)}
    current = {
        (m.context, m.source)
        for m in translations.messages(refreshed_catalogues[name])
        if not m.obsolete
    }
    assert current <= committed, "run `python -m resources.translations`: " + repr(
        sorted(current - committed)[:20]
    )


@pytest.mark.parametrize("name", list(translations.CATALOGUES))
def test_the_compiled_qm_matches_its_ts(qapp: QApplication, name: str) -> None:
    """The committed .qm says what its .ts says (compared by meaning: lrelease versions differ)."""
    ts = translations.FOLDER / name
    compiled = QTranslator()
    assert compiled.load(str(ts.with_suffix(".qm")))
    stale = []
    for message in translations.messages(ts):
        if message.obsolete or message.unfinished:
            continue
        if message.numerus:
            # English has "one" and "other"; Chinese has a single form.
            counts = (1, 2) if len(message.translations) == 2 else (2,)
            for count, form in zip(counts, message.translations, strict=False):
                if compiled.translate(message.context, message.source, None, count) != form:
                    stale.append(f"[{message.context}] {message.source!r} ({count})")
        elif compiled.translate(message.context, message.source) != message.translations[0]:
            stale.append(f"[{message.context}] {message.source!r}")
    assert not stale, "run `python -m resources.translations` to compile the .qm again:\n" + (
        "\n".join(stale)
    )


def test_chinese_translations_keep_placeholders_and_shortcuts() -> None:
    """``{peer}`` must survive translation, and "&Send" keeps an accelerator."""
    problems = []
    for message in translations.messages(translations.FOLDER / "socket_workbench_zh_CN.ts"):
        if message.obsolete or message.unfinished:
            continue  # test_every_message_is_translated lists those
        fields = set(re.findall(r"\{[^}]*\}", message.source))
        for text in message.translations:
            if set(re.findall(r"\{[^}]*\}", text)) != fields:
                problems.append(f"[{message.context}] {message.source!r} -> {text!r}")
            if re.search(r"&[^&\s]", message.source) and not re.search(r"&[^&\s]", text):
                problems.append(f"no accelerator: {message.source!r} -> {text!r}")
    assert not problems, "\n".join(problems)


# -- the language setting, end to end (a fresh process, as a user starts it) -----------------

SCRIPT = textwrap.dedent(
    """
    from gui.app import create_app
    from gui.main_window import MainWindow

    app = create_app([])
    window = MainWindow()
    print(window.windowTitle())
    print(window.panel("udpSendPanel").send_button.text())
    """
)


def _start(tmp_path: Path, lang: str, language: str | None) -> list[str]:
    config = tmp_path / "config"
    if language is not None:
        folder = config / "SocketWorkbench"
        folder.mkdir(parents=True)
        (folder / "Socket Workbench.conf").write_text(f"[ui]\nlanguage={language}\n")
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        XDG_CONFIG_HOME=str(config),
        HOME=str(tmp_path),
        LANG=lang,
        LC_ALL="",
        LC_MESSAGES="",
        LANGUAGE="",
    )
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=WAIT * 3,
        cwd=translations.ROOT,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


@pytest.mark.parametrize(
    ("lang", "language", "expected"),
    [
        ("C.UTF-8", None, ["Socket Workbench", "&Send"]),
        ("zh_CN.UTF-8", None, ["Socket 工作台", "发送(&S)"]),
        ("zh_CN.UTF-8", "en", ["Socket Workbench", "&Send"]),
        ("en_US.UTF-8", "zh_CN", ["Socket 工作台", "发送(&S)"]),
        ("de_DE.UTF-8", "system", ["Socket Workbench", "&Send"]),
    ],
)
def test_the_app_follows_the_system_unless_a_language_was_chosen(
    tmp_path: Path, lang: str, language: str | None, expected: list[str]
) -> None:
    assert _start(tmp_path, lang, language) == expected


def test_choosing_a_language_is_remembered_and_asks_for_a_restart(
    qtbot: QtBot, settings: QSettings
) -> None:
    window = MainWindow(settings)
    qtbot.addWidget(window)
    actions = window.language_actions
    assert [a.text() for a in actions.values()] == ["System language", "English", "简体中文"]
    assert actions["system"].isChecked()
    actions["zh_CN"].trigger()
    assert settings.value(LANGUAGE_KEY) == "zh_CN"
    assert language_setting(settings) == "zh_CN"
    box = window.findChild(QWidget, "languageRestartBox")
    assert box is not None and box.isVisible()
    text = box.text()  # type: ignore[attr-defined]
    assert "next time Socket Workbench starts" in text
    assert "下次启动" in text  # said in the chosen language too
    box.close()
    assert window.choose_language("zh_CN") is None  # no change, nothing to say
    again = MainWindow(settings)
    qtbot.addWidget(again)
    assert again.language_actions["zh_CN"].isChecked()
