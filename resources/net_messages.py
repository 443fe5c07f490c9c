"""The catalogue of net's sentences (errors, validation, CLI lines), and the command that refreshes it.

Run ``python -m resources.net_messages`` (from the repository root) after changing any marked
text in net/ (``_("...")``, ``N_("...")``, ``ngettext(...)``). With Babel it does, in order:

1. extract every marked message from net/**.py into ``net/locale/messages.pot``;
2. update ``net/locale/<language>/LC_MESSAGES/swb.po`` from it: translations are kept, new
   messages arrive empty, vanished ones become obsolete (``#~``) and are dropped;
3. compile each .po to the ``swb.mo`` beside it, which :mod:`net._i18n` loads through gettext.

It then lists the messages still without a translation: fill their ``msgstr`` in the .po and run
it again (``--check`` only lists them). ``tests/net/test_i18n_net.py`` fails while any message
is untranslated, a sentence in net/ is not marked, or a .mo is older than its .po.
"""

from __future__ import annotations

import datetime
import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

__all__ = [
    "LANGUAGES",
    "LOCALE_DIR",
    "NET_DIR",
    "POT",
    "compile_catalogues",
    "extract",
    "main",
    "mo_path",
    "po_path",
    "read_catalogue",
    "untranslated",
    "update_catalogues",
]

ROOT = Path(__file__).resolve().parent.parent
NET_DIR = ROOT / "net"
LOCALE_DIR = NET_DIR / "locale"
POT = LOCALE_DIR / "messages.pot"
DOMAIN = "swb"
#: The languages net speaks besides English (the source language).
LANGUAGES = ("zh_CN",)
#: The markers of net/_i18n.py and the arguments that hold the message.
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
_WIDTH = 100
_FIXED_DATE = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.mo"


def extract(root: Path = ROOT) -> Catalog:
    """Every message marked in net/, as a Babel catalogue (a template: no translations)."""
    catalogue = Catalog(
        project="Socket Workbench",
        domain=DOMAIN,
        fuzzy=False,
        copyright_holder="the Socket Workbench authors",
        msgid_bugs_address="",
        # Fixed: a date that changes on every run would make each refresh a diff.
        creation_date=_FIXED_DATE,
        revision_date=_FIXED_DATE,
    )
    found = extract_from_dir(
        str(root / "net"),
        method_map=[("**.py", "python")],
        keywords=KEYWORDS,
        comment_tags=("TRANSLATORS:",),
        strip_comment_tags=True,
    )
    for filename, lineno, message, comments, context in found:
        path = f"net/{Path(filename).as_posix()}"
        catalogue.add(message, None, [(path, lineno)], auto_comments=comments, context=context)
    return catalogue


def read_catalogue(path: Path) -> Catalog:
    with path.open("rb") as file:
        return read_po(file)


def _write(catalogue: Catalog, path: Path) -> None:
    buffer = io.BytesIO()
    write_po(
        buffer,
        catalogue,
        width=_WIDTH,
        include_lineno=False,
        omit_header=False,
        ignore_obsolete=True,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())


def update_catalogues(root: Path = ROOT) -> None:
    """Write messages.pot from net/ and merge it into each language's .po."""
    template = extract(root)
    _write(template, POT)
    for language in LANGUAGES:
        path = po_path(language)
        if path.exists():
            catalogue = read_catalogue(path)
        else:
            catalogue = Catalog(
                locale=language,
                domain=DOMAIN,
                project="Socket Workbench",
                copyright_holder="the Socket Workbench authors",
                msgid_bugs_address="",
                fuzzy=False,
                creation_date=_FIXED_DATE,
                revision_date=_FIXED_DATE,
            )
        catalogue.update(template, no_fuzzy_matching=True)
        _write(catalogue, path)


def compile_catalogues() -> list[Path]:
    """Compile each .po to its .mo; returns the .mo files written."""
    written = []
    for language in LANGUAGES:
        catalogue = read_catalogue(po_path(language))
        buffer = io.BytesIO()
        write_mo(buffer, catalogue, use_fuzzy=False)
        mo_path(language).write_bytes(buffer.getvalue())
        written.append(mo_path(language))
    return written


def untranslated(catalogue: Catalog) -> list[str]:
    """The message ids (singular) that still lack a translation, or have an empty plural form."""
    missing = []
    for message in catalogue:
        if not message.id:
            continue  # the header
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            missing.append(message.id[0] if isinstance(message.id, tuple) else message.id)
    return missing


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if any(arg != "--check" for arg in args):
        print("usage: python -m resources.net_messages [--check]")
        return 2
    if "--check" not in args:
        update_catalogues()
        compile_catalogues()
    missing = 0
    for language in LANGUAGES:
        for message in untranslated(read_catalogue(po_path(language))):
            missing += 1
            print(f"untranslated in {language}: {message!r}")
    print(f"{missing} untranslated message(s)")
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
