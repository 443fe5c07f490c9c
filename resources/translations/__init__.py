"""The translation catalogue, and the one command that refreshes it.

Run ``python -m resources.translations`` (from the repository root) after changing any text in
gui/. It does, in order:

1. ``pyside6-lupdate`` over every .py file under gui/, updating
   ``socket_workbench_zh_CN.ts``: new texts arrive as unfinished, translated texts are kept, texts
   that vanished from the code are marked obsolete (``--drop-obsolete`` removes them);
2. the same for ``socket_workbench_en.ts``, which holds only the English plural forms
   (source texts are plural, "{count} datagrams"; this file supplies "1 datagram");
3. ``pyside6-lrelease`` compiling both .ts files to the .qm files the app loads.

It then lists the unfinished messages: translate them (``pyside6-linguist`` on the .ts, or edit
the XML: fill ``<translation>`` and remove ``type="unfinished"``) and run it again.
``tests/gui/test_i18n.py`` fails while any message is unfinished, and while any text of a built
window is still English under zh_CN.

Counted texts are numerus messages: ``self.tr("{count} datagrams", "", n)`` and then
``.format(count=format_count(n))``, so Qt picks the plural form and the number keeps its grouping.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CATALOGUES",
    "FOLDER",
    "Message",
    "compile_catalogues",
    "main",
    "messages",
    "source_files",
    "tool",
    "unfinished",
    "update_catalogues",
]

FOLDER = Path(__file__).resolve().parent
ROOT = FOLDER.parent.parent
#: Each catalogue and the extra lupdate options it takes.
CATALOGUES: dict[str, list[str]] = {
    "socket_workbench_zh_CN.ts": [],
    "socket_workbench_en.ts": ["-pluralonly"],
}


@dataclass(frozen=True, slots=True)
class Message:
    context: str
    source: str
    translations: tuple[str, ...]
    numerus: bool
    unfinished: bool
    obsolete: bool


def tool(name: str) -> str:
    """The path of a Qt tool (``pyside6-lupdate``): on PATH, or beside this Python."""
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        raise SystemExit(f"{name} was not found: install PySide6 (pip install -e '.[test]')")
    return found


def source_files(root: Path = ROOT) -> list[Path]:
    """Every Python file under gui/, in a stable order."""
    return sorted(path for path in (root / "gui").rglob("*.py") if "__pycache__" not in path.parts)


def update_catalogues(*, drop_obsolete: bool = False, root: Path = ROOT) -> None:
    files = [str(path.relative_to(root)) for path in source_files(root)]
    for name, options in CATALOGUES.items():
        ts = str((FOLDER / name).relative_to(root))
        command = [tool("pyside6-lupdate"), *files, *options, "-locations", "none", "-ts", ts]
        if drop_obsolete:
            command.insert(-2, "-no-obsolete")
        subprocess.run(command, cwd=root, check=True)
        _drop_extracomments(FOLDER / name)


# lupdate reads a "#:" comment as a note for translators and puts it on the next message; in gui/
# such comments document module constants (for Sphinx), so they are noise that churns the .ts.
_EXTRACOMMENT = re.compile(r"\n[ \t]*<extracomment>.*?</extracomment>", re.DOTALL)


def _drop_extracomments(ts: Path) -> None:
    text = ts.read_text(encoding="utf-8")
    cleaned = _EXTRACOMMENT.sub("", text)
    if cleaned != text:
        ts.write_text(cleaned, encoding="utf-8")


def compile_catalogues() -> list[Path]:
    written = []
    for name in CATALOGUES:
        ts = FOLDER / name
        qm = ts.with_suffix(".qm")
        subprocess.run([tool("pyside6-lrelease"), "-silent", str(ts), "-qm", str(qm)], check=True)
        written.append(qm)
    return written


def messages(ts: Path) -> list[Message]:
    """Every message of a .ts file."""
    found = []
    for context in ET.parse(ts).getroot().iter("context"):
        name = context.findtext("name", "")
        for message in context.iter("message"):
            translation = message.find("translation")
            kind = translation.get("type", "") if translation is not None else "unfinished"
            forms = (
                tuple(form.text or "" for form in translation.iter("numerusform"))
                if translation is not None
                else ()
            )
            if translation is not None and not forms:
                forms = (translation.text or "",)
            found.append(
                Message(
                    context=name,
                    source=message.findtext("source", ""),
                    translations=forms,
                    numerus=message.get("numerus") == "yes",
                    unfinished=kind == "unfinished",
                    obsolete=kind in ("obsolete", "vanished"),
                )
            )
    return found


def unfinished(ts: Path) -> list[Message]:
    """Messages still in use whose translation is missing or marked unfinished."""
    return [
        m
        for m in messages(ts)
        if not m.obsolete and (m.unfinished or not all(text.strip() for text in m.translations))
    ]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if any(arg not in ("--drop-obsolete", "--check") for arg in args):
        print("usage: python -m resources.translations [--drop-obsolete] [--check]")
        return 2
    if "--check" not in args:
        update_catalogues(drop_obsolete="--drop-obsolete" in args)
        compile_catalogues()
    missing = 0
    for name in CATALOGUES:
        for message in unfinished(FOLDER / name):
            missing += 1
            print(f"unfinished in {name}: [{message.context}] {message.source!r}")
    print(f"{missing} unfinished message(s)")
    return 1 if missing else 0
