"""The app's languages: which one View > Language chose, and loading its translations.

The app follows the system locale unless View > Language chose English or Simplified Chinese
(stored under ``ui/language``). English plural forms ("1 datagram", "2 datagrams") come from
socket_workbench_en.qm, installed first so every other language falls back to it.

A module of its own so that the entry points (gui.app) and the window (gui.main_window) both use
it without importing each other.
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QLocale, QSettings, QTranslator

from gui.resources import RESOURCES_DIR, install_translations
from net._i18n import set_language as set_net_language

__all__ = [
    "LANGUAGES",
    "LANGUAGE_KEY",
    "QT_DIALOG_TEXTS",
    "TRANSLATIONS_DIR",
    "install_language",
    "install_plural_forms",
    "language_setting",
    "locale_for",
]

#: The QSettings key of View > Language, and its values ("system" follows the OS).
LANGUAGE_KEY = "ui/language"
LANGUAGES = ("system", "en", "zh_CN")
#: Where the compiled translations (.qm) are.
TRANSLATIONS_DIR = RESOURCES_DIR / "translations"

# Texts of Qt's own file dialog that qtbase_zh_CN.qm lacks: Qt 6's dialog gained mnemonics
# ("&Look in:") its catalogue never caught up with. lupdate copies them into our catalogue, which
# Qt consults after qtbase's.
QT_DIALOG_TEXTS = (
    QT_TRANSLATE_NOOP("QFileDialog", "&Look in:"),
    QT_TRANSLATE_NOOP("QFileDialog", "Files of &type:"),
)

# Held here, without a Qt parent: nothing that clears the app's translators may remove it.
_plural_forms: QTranslator | None = None


def language_setting(settings: QSettings | None = None) -> str:
    """The language chosen in View > Language: "system" (the default), "en" or "zh_CN"."""
    value = (settings if settings is not None else QSettings()).value(LANGUAGE_KEY, "system")
    return value if isinstance(value, str) and value in LANGUAGES else "system"


def locale_for(language: str) -> QLocale:
    """The locale whose translations a language setting loads."""
    if language == "en":
        return QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)
    if language == "zh_CN":
        return QLocale(
            QLocale.Language.Chinese, QLocale.Script.SimplifiedHanScript, QLocale.Country.China
        )
    return QLocale.system()


def install_plural_forms(app: QCoreApplication | None = None) -> bool:
    """Install the English plural forms once (source texts are plural: "{count} datagrams").

    Returns:
        True if they are installed (False only when the .qm file is missing).
    """
    global _plural_forms
    app = app or QCoreApplication.instance()
    if app is None:
        return False
    if _plural_forms is None:
        translator = QTranslator()
        if not translator.load(str(TRANSLATIONS_DIR / "socket_workbench_en.qm")):
            return False
        _plural_forms = translator
    # Installing an installed translator again is a no-op in Qt; after removal it comes back.
    return bool(app.installTranslator(_plural_forms))


def install_language(app: QCoreApplication, language: str = "system") -> list[str]:
    """Load the app's and Qt's own (standard dialogs) translations for a language setting, and
    make its locale the default one (how numbers and sizes are written).

    Returns:
        The files loaded; empty when the language has no translation (English stays).
    """
    install_plural_forms(app)
    # Numbers and sizes (QLocale().formattedDataSize) in the chosen language, not the system's.
    QLocale.setDefault(locale_for(language))
    # net's sentences (errors, validation) follow the same choice, through gettext.
    set_net_language(locale_for(language).name())
    if language == "en":
        return []
    return install_translations(app, locale_for(language), [TRANSLATIONS_DIR])
