"""Where the app finds its icons and translations (the ``resources`` package next to ``gui``)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QStyle

import resources

__all__ = ["RESOURCES_DIR", "app_icon", "install_translations", "panel_icon"]

RESOURCES_DIR = Path(resources.__file__).resolve().parent
_ICONS = RESOURCES_DIR / "icons"
#: Base names a compiled translation may have: <base>_<locale>.qm, e.g. socket_workbench_zh_CN.qm.
_TRANSLATION_BASES = ("socket_workbench", "socket-workbench")

# Built-in icons for panels until resources/icons/<name>.svg exists.
_FALLBACK = {
    "udp-send": QStyle.StandardPixmap.SP_ArrowUp,
    "udp-receive": QStyle.StandardPixmap.SP_ArrowDown,
    "tcp-client": QStyle.StandardPixmap.SP_ComputerIcon,
    "tcp-server": QStyle.StandardPixmap.SP_DriveNetIcon,
    "file-server": QStyle.StandardPixmap.SP_DirOpenIcon,
    "download": QStyle.StandardPixmap.SP_DialogSaveButton,
    "scripts": QStyle.StandardPixmap.SP_FileDialogDetailedView,
    "relay": QStyle.StandardPixmap.SP_BrowserReload,
}


def app_icon() -> QIcon:
    """The app's icon from resources/icons (every PNG size plus the SVG); empty if missing."""
    icon = QIcon()
    for path in sorted(_ICONS.glob("socket-workbench*.png")) + sorted(
        _ICONS.glob("socket-workbench*.svg")
    ):
        icon.addFile(str(path))
    return icon


def panel_icon(name: str) -> QIcon:
    for suffix in (".svg", ".png"):
        path = _ICONS / f"{name}{suffix}"
        if path.is_file():
            return QIcon(str(path))
    style = QApplication.style()
    return style.standardIcon(_FALLBACK.get(name, QStyle.StandardPixmap.SP_FileIcon))


def install_translations(
    app: QCoreApplication,
    locale: QLocale | None = None,
    folders: list[Path] | None = None,
) -> list[str]:
    """Load the app's and Qt's own translations for ``locale`` (the system's by default).

    Looks in ``folders`` (resources/translations, then resources) for
    ``socket_workbench_<locale>.qm``, e.g. socket_workbench_zh_CN.qm.
    Returns:
        The files loaded (nothing when the locale has no translation: English stays).
    """
    locale = locale or QLocale.system()
    loaded: list[str] = []
    translators: list[QTranslator] = []
    for folder in folders or [RESOURCES_DIR / "translations", RESOURCES_DIR]:
        for base in _TRANSLATION_BASES:
            translator = QTranslator(app)
            if translator.load(locale, base, "_", str(folder)):
                app.installTranslator(translator)
                translators.append(translator)
                loaded.append(translator.filePath())
                break
        if loaded:
            break
    qt_translator = QTranslator(app)
    qt_path = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if loaded and qt_translator.load(locale, "qtbase", "_", qt_path):
        app.installTranslator(qt_translator)
        loaded.append(qt_translator.filePath())
    return loaded
