"""The language of net's sentences (errors, validation messages, the CLI's lines): GNU gettext.

Every sentence a person reads is marked where it is made, ``_("port {port} is in use")`` then
``.format(port=port)``, and translated then: ``str(error)`` is already in the user's language.
The catalogues are ``net/locale/<language>/LC_MESSAGES/swb.mo``, compiled from the .po files
beside them by ``python -m resources.net_messages``.

The language comes from the environment as GNU gettext reads it (``LANGUAGE``, ``LC_ALL``,
``LC_MESSAGES``, ``LANG``; on Windows, where these are rarely set, the user's default locale),
unless :func:`set_language` chose one (the GUI does, from View > Language). English, C and POSIX
load nothing: ``_`` returns its argument and :mod:`gettext` is not even imported.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gettext import GNUTranslations as _Catalogue

__all__ = [
    "DOMAIN",
    "LOCALE_DIR",
    "N_",
    "_",
    "available_languages",
    "fit_output",
    "language",
    "ngettext",
    "set_language",
    "translate_argparse",
]

DOMAIN = "swb"
# A string: os.path is all this module needs, and the socket commands need not import pathlib.
LOCALE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "locale")
#: The environment variables GNU gettext consults, first match wins.
_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
#: A sample of each catalogue's script: an output stream that cannot encode it gets English.
_SAMPLES = {"zh": "中文"}


# None until the first sentence is made (or set_language ran); then the language's code ("en"
# when nothing is translated) and its catalogue (None for English). One tuple, replaced whole, so
# a worker thread making a sentence never sees one language's code with another's catalogue.
_state: tuple[str, _Catalogue | None] | None = None


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it (it is translated where used)."""
    return message


def _(message: str) -> str:
    """``message`` in the user's language (itself when there is no translation)."""
    catalogue = (_state or _load())[1]
    return message if catalogue is None else catalogue.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a counted sentence for ``n`` ("1 datagram", "2 datagrams") in the language."""
    catalogue = (_state or _load())[1]
    if catalogue is None:
        return singular if n == 1 else plural
    return catalogue.ngettext(singular, plural, n)


def available_languages() -> list[str]:
    """The languages with a compiled catalogue ("zh_CN"), sorted."""
    if not os.path.isdir(LOCALE_DIR):
        return []
    return sorted(
        name
        for name in os.listdir(LOCALE_DIR)
        if os.path.isfile(os.path.join(LOCALE_DIR, name, "LC_MESSAGES", f"{DOMAIN}.mo"))
    )


def language() -> str:
    """The language net speaks now: a catalogue's name ("zh_CN"), or "en"."""
    return (_state or _load())[0]


def set_language(code: str | None) -> str:
    """Speak ``code`` ("zh_CN", "zh_CN.UTF-8", "en"); None goes back to the environment's.

    Returns:
        The language now spoken: the catalogue's name, or "en" when ``code`` has none.
    """
    return _load(code)[0]


def fit_output(*streams: object) -> str:
    """Fall back to English when a stream cannot encode the language's script (a cp1252 or
    ASCII console on Windows would show only ``\\u4e2d`` escapes); returns the language spoken."""
    spoken = language()
    sample = _SAMPLES.get(spoken.split("_")[0])
    if sample is None:
        return spoken
    for stream in streams:
        encoding = getattr(stream, "encoding", None) or "ascii"
        try:
            sample.encode(encoding)
        except (UnicodeEncodeError, LookupError):
            return set_language("en")
    return spoken


def translate_argparse() -> None:
    """Let argparse say its own sentences ("the following arguments are required: %s") in the
    language: it translates them with :func:`gettext.gettext`, the global domain's, so that
    domain becomes swb's (whose catalogue holds them: see ``ARGPARSE_SENTENCES`` in net/cli.py).
    Only for a process that is the CLI, and only when a catalogue is in use."""
    if language() == "en":
        return
    import gettext

    gettext.bindtextdomain(DOMAIN, LOCALE_DIR)
    gettext.textdomain(DOMAIN)


def _environment_languages() -> list[str]:
    for variable in _VARIABLES:
        value = os.environ.get(variable, "")
        if value:
            return value.split(":") if variable == "LANGUAGE" else [value]
    if sys.platform == "win32":
        # Windows sets none of the variables: ask for the display language the user chose
        # (a language ID, 2052 for zh_CN), which the locale module maps to its name.
        import ctypes
        import locale

        try:
            code = locale.windows_locale.get(ctypes.windll.kernel32.GetUserDefaultUILanguage())
        except (AttributeError, OSError):  # not a real Windows (tests/simulate.py)
            code = None
        return [code] if code else []
    return []


def _base(code: str) -> str:
    """ "zh_CN.UTF-8@latin" -> "zh" (what a catalogue's folder starts with)."""
    return code.split(".")[0].split("@")[0].split("_")[0].split("-")[0].lower()


def _load(code: str | None = None) -> tuple[str, _Catalogue | None]:
    """Choose the language (``code``, else the environment's) and load its catalogue."""
    global _state
    wanted = [code] if code is not None else _environment_languages()
    # English (and C/POSIX) reads no folder: a sentence made with no descriptor left (EMFILE)
    # must still come out.
    wanted = [w for w in wanted if _base(w) not in ("en", "c", "posix", "")]
    catalogue = None
    spoken = "en"
    if wanted:
        try:
            bases = {_base(name) for name in available_languages()}
            wanted = [w.replace("-", "_") for w in wanted if _base(w) in bases]
            if wanted:
                import gettext  # only for a language that has a catalogue

                # None for "zh_TW" though "zh_CN" exists: it stays English, as GNU gettext would.
                found = gettext.find(DOMAIN, LOCALE_DIR, languages=wanted)
                if found is not None:
                    with open(found, "rb") as file:
                        catalogue = gettext.GNUTranslations(file)
                    spoken = os.path.basename(os.path.dirname(os.path.dirname(found)))
        except OSError:
            # The catalogue cannot be read now (no descriptor left, a broken install): this
            # sentence is English, and the next one tries again.
            return ("en", None)
    _state = (spoken, catalogue)
    return _state
