"""A recorded conversation as a script, a script as a recorded conversation, and either as mock
rules that answer the same (net.script re-exports these)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Literal

from net._i18n import _
from net._record import Record as _Value
from net._script_parse import MAX_EXPECT_BUFFER, Script, load_script
from net._script_step import DEFAULT_TIMEOUT
from net.codec import check_encoding, parse_hex, to_hex
from net.errors import ScriptError
from net.rules import Rule, escape_bytes, make_rule


class Record(_Value):
    """One piece of a recorded conversation: ``sent`` by us or ``received`` from the peer."""

    direction: Literal["sent", "received"]
    data: bytes


def _exchanges(records: Iterable[Record]) -> list[tuple[bytes, bytes]]:
    """Consecutive records merged: (what was sent, what came back) pairs, in order."""
    pairs: list[tuple[bytes, bytes]] = []
    for record in records:
        if not record.data:
            continue
        if record.direction == "sent":
            if pairs and not pairs[-1][1]:
                pairs[-1] = (pairs[-1][0] + record.data, b"")
            else:
                pairs.append((record.data, b""))
        elif pairs:
            pairs[-1] = (pairs[-1][0], pairs[-1][1] + record.data)
        else:
            pairs.append((b"", record.data))  # the peer spoke first (a banner)
    return pairs


def _toml_string(text: str) -> str:
    # JSON strings are TOML basic strings, but for DEL, which TOML wants escaped too.
    import json  # only recording a script needs it

    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _is_text(data: bytes, codec: str) -> bool:
    try:
        text = data.decode(codec)
    except UnicodeDecodeError:
        return False
    return all(ch.isprintable() or ch in "\r\n\t" for ch in text)


def script_from_records(
    records: Sequence[Record],
    *,
    protocol: str,
    host: str,
    port: int,
    encoding: str = "UTF-8",
    timeout: float = DEFAULT_TIMEOUT,
    extra: Mapping[str, str | bool] | None = None,
) -> str:
    """A script (TOML text) that replays a recorded conversation: each send becomes a send step,
    what came back an expect step matching exactly those bytes (escaped text, or expect_hex for
    binary), so it can be run against the next firmware build. ``extra`` adds [connection] keys
    (``insecure``, ``fingerprint``, ``cafile`` for TLS).

    Raises:
        PayloadError: an unknown encoding.
    """
    import regex

    codec = check_encoding(encoding)
    lines = [
        "# Recorded by Socket Workbench; run it with: swb run THIS_FILE.toml",
        "[connection]",
        f"protocol = {_toml_string(protocol)}",
        f"host = {_toml_string(host)}",
        f"port = {port}",
        f"encoding = {_toml_string(encoding)}",
    ]
    for key, value in (extra or {}).items():
        shown = ("true" if value else "false") if isinstance(value, bool) else _toml_string(value)
        lines.append(f"{key} = {shown}")
    for sent, received in _exchanges(records):
        if sent:
            lines.append("\n[[step]]")
            if _is_text(sent, codec):
                lines.append(f"send = {_toml_string(escape_bytes(sent, encoding))}")
            else:
                lines.append(f"send_hex = {_toml_string(to_hex(sent))}")
        if received:
            lines.append("\n[[step]]")
            if _is_text(received, codec):
                pattern = regex.escape(received.decode(codec)).replace("{{", "\\{\\{")
                lines.append(f"expect = {_toml_string(pattern)}")
            else:
                lines.append(f"expect_hex = {_toml_string(to_hex(received))}")
            lines.append(f"timeout = {timeout:g}")
    return "\n".join(lines) + "\n"


def _literal_text(pattern: str) -> str | None:
    """The text a regex matches when it is only escaped literal text (as script_from_records
    writes expects), else None."""
    out = []
    escaped = False
    for char in pattern:
        if escaped:
            if char.isalnum():
                return None  # \d, \w, \n, \1...: a class or a reference, not one character
            out.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in ".^$*+?{}[]|()":
            return None
        else:
            out.append(char)
    return None if escaped else "".join(out)


def records_from_script(script: Script) -> list[Record]:
    """The conversation a script stands for, as :func:`rules_from_records` takes it: each send
    (as its first round renders it) is sent, each expect that matches one exact text or byte
    string (what :func:`script_from_records` writes) is received. Steps that use captured values,
    and expects that are real patterns, are left out: they cannot be replayed as fixed bytes.
    """
    records: list[Record] = []
    codec = check_encoding(script.encoding)
    for step in script.steps:
        if step._dynamic:
            continue
        if step.kind == "send":
            assert step._sender is not None
            records.append(Record("sent", step._sender(0)))
        elif step.kind == "expect":
            if step.hex:
                if "??" not in step.text:
                    records.append(Record("received", parse_hex(step.text)))
            else:
                text = _literal_text(step.text)
                if text is not None:
                    records.append(Record("received", text.encode(codec, "surrogateescape")))
    return records


def mock_rules(
    path: str | os.PathLike[str], encoding: str | None = None, framing: str = "line"
) -> list[Rule]:
    """Rules that make a mock of the device a recorded script talks to (issue 18, item 4).

    Raises:
        ScriptError: as :func:`load_script`, or a script from which no request-reply pair can
            be read.
    """
    script = load_script(path)
    rules = rules_from_records(records_from_script(script), encoding or script.encoding, framing)
    if not rules:
        raise ScriptError(
            _("{name}: no send followed by an exact expect, so no reply to mock").format(
                name=Path(path).name
            )
        )
    return rules


def rules_from_records(
    records: Sequence[Record], encoding: str = "UTF-8", framing: str = "line"
) -> list[Rule]:
    """Rules that make a mock of the recorded peer (net.rules.Responder with this ``framing``, a
    net.framing spec): for each request seen (what was sent), an ``exact`` rule replying with
    what came back. A request that is one frame is matched by its payload, as the responder sees
    it (a line without its ending, a message without its length header). A request seen twice
    keeps its first reply; requests with no reply are left out.

    Raises:
        PayloadError: an unknown encoding or framing.
    """
    from net.framing import parse_framing

    spec = parse_framing(framing)
    rules: list[Rule] = []
    seen: set[bytes] = set()
    for sent, received in _exchanges(records):
        if not sent or not received:
            continue
        framer = spec.framer(max(len(sent), MAX_EXPECT_BUFFER))
        frames = framer.feed(sent) + framer.flush()
        request = frames[0].payload if len(frames) == 1 and not frames[0].incomplete else sent
        if request in seen or not request:
            continue
        seen.add(request)
        rules.append(
            make_rule(
                "exact",
                escape_bytes(request, encoding).replace("{{{{", "{{"),
                escape_bytes(received, encoding),
                encoding=encoding,
            )
        )
    return rules
