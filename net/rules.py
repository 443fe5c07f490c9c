"""Rule-based replies (``KIND:PATTERN => REPLY``) for the TCP server and the UDP receiver, sans-IO.

A rule matches one message (a TCP stream split by a framing, or one UDP datagram) and renders a
reply; the first enabled rule that matches wins. Kinds:

- ``exact``, ``contains``, ``prefix``, ``suffix``: the pattern is text with C escapes
  (``\\r\\n``, ``\\x00``), encoded in the rule's encoding and compared with the message's bytes;
- ``regex``: a regular expression searched in the message decoded as text (groups feed the reply);
- ``hex``: the message contains these bytes, written in hex; ``??`` stands for any one byte.

With line framing a message is one line without its ``\\n`` / ``\\r\\n``. A reply is a payload
with escapes and :mod:`net.variables` (``{{counter}}`` counts the replies a rule set has sent),
``{{1}}`` / ``{{name}}`` for the regex's groups, ``hex:`` at its start for hex, and an optional
checksum, written after the reply as `` +checksum:NAME`` on the command line.

Limits, so that no message can freeze a server: a rule sees at most :data:`MAX_MATCH_INPUT`
bytes of a message (a longer line is cut into pieces of that size), and regular expressions run on
the ``regex`` library with a time limit: all the rules together get :data:`MATCH_BUDGET` seconds per
message, after which the rest count as not matching (counted in :attr:`Responder.timeouts`). A
pattern like ``(a+)+$`` therefore costs one budget per message, not the server.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from net._i18n import N_, _
from net.checksum import append_checksum, get_checksum
from net.codec import check_encoding, parse_escapes, parse_hex, to_hex
from net.errors import PayloadError
from net.variables import parse_template

if TYPE_CHECKING:
    import regex  # imported where a pattern is compiled: it costs 20 ms, and most rules are plain

__all__ = [
    "FALLBACKS",
    "FRAMINGS",
    "KINDS",
    "MATCH_BUDGET",
    "MAX_MATCH_INPUT",
    "Responder",
    "Rule",
    "RuleSet",
    "compile_hex_pattern",
    "compile_regex",
    "escape_bytes",
    "make_rule",
    "parse_rule",
    "parse_rules",
    "substitute_values",
]

KINDS: Final = ("exact", "contains", "prefix", "suffix", "regex", "hex")
FRAMINGS: Final = ("line", "raw")
FALLBACKS: Final = ("none", "echo", "fixed")
#: Bytes of one message a rule looks at; a line longer than this is handed on in pieces.
MAX_MATCH_INPUT: Final = 64 * 1024
#: Seconds all regex rules together may spend on one message.
MATCH_BUDGET: Final = 0.25

_CHECKSUM_SUFFIX = re.compile(r"\s\+checksum:(\S+)\s*$")
# "{{{{" (a literal "{{") is skipped; "{{1}}" and "{{name}}" are candidates for values.
_REFERENCE = re.compile(r"\{\{\{\{|\{\{(\d+|[A-Za-z_][A-Za-z0-9_]*)\}\}")
_CONTROL_NAMES = {"\r": "\\r", "\n": "\\n", "\t": "\\t", "\0": "\\0", "\\": "\\\\"}


def compile_regex(pattern: str, what: str = N_("the regex")) -> regex.Pattern[str]:
    """Compile ``pattern`` once (Python ``re`` syntax, on the ``regex`` library for its time limit).

    Raises:
        PayloadError: the pattern does not compile; the sentence quotes it and says where.
    """
    import regex

    try:
        return regex.compile(pattern, regex.VERSION0)
    except (regex.error, ValueError, OverflowError) as exc:
        pos: int | None = getattr(exc, "pos", None)
        where = (
            _(" at position {position}").format(position=pos + 1)
            if pos is not None and pos < len(pattern)
            else ""
        )
        detail = str(getattr(exc, "msg", exc)).split(" at position")[0]
        raise PayloadError(
            _("{what} {pattern!r} does not compile: {detail}{where}").format(
                what=_(what), pattern=pattern, detail=detail, where=where
            )
        ) from None


def compile_hex_pattern(text: str) -> re.Pattern[bytes]:
    """``"01 03 ?? ??"`` as a bytes pattern: each ``??`` is any one byte, the rest as
    :func:`net.codec.parse_hex` reads it. Only literals and single-byte wildcards, so it runs in
    linear time.

    Raises:
        PayloadError: malformed hex, or no bytes at all.
    """
    parts: list[bytes] = []
    for piece in re.split(r"(\?\?)", text):
        parts.append(b"." if piece == "??" else re.escape(parse_hex(piece)))
    body = b"".join(parts)
    if not body:
        raise PayloadError(_("the hex pattern is empty: write bytes like 01 03 ?? ??"))
    return re.compile(body, re.DOTALL)


def escape_bytes(data: bytes, encoding: str = "UTF-8") -> str:
    r"""``data`` as escapes text that :func:`net.codec.parse_escapes` (and a template) turns back
    into exactly ``data``: controls as ``\r \n \t \0 \xNN``, undecodable bytes as ``\xNN``, a
    backslash as ``\\`` and ``{{`` doubled."""
    codec = check_encoding(encoding)
    text = data.decode(codec, "surrogateescape")
    out: list[str] = []
    for char in text:
        code = ord(char)
        if char in _CONTROL_NAMES:
            out.append(_CONTROL_NAMES[char])
        elif 0xDC80 <= code <= 0xDCFF:  # a byte the encoding could not decode
            out.append(f"\\x{code - 0xDC00:02x}")
        elif code < 0x20 or 0x7F <= code < 0xA0:
            out.append(f"\\x{code:02x}")
        else:
            out.append(char)
    result = "".join(out).replace("{{", "{{{{")
    if parse_escapes(result.replace("{{{{", "{{"), encoding) != data:
        # A stateful or non-ASCII-compatible encoding (UTF-16): write every byte.
        return "".join(f"\\x{b:02x}" for b in data)
    return result


def substitute_values(
    template: str, values: Mapping[str, bytes], *, leave_unknown: bool = True
) -> str:
    """Replace ``{{key}}`` for every key of ``values`` by ``{{hex:..}}`` of its bytes, so that
    :func:`net.variables.parse_template` sends exactly those bytes in any payload mode.

    Raises:
        PayloadError: with ``leave_unknown`` False, a ``{{key}}`` that is neither in ``values``
            nor a payload variable.
    """

    def replace(match: re.Match[str]) -> str:
        key = match.group(1)
        if key is None:
            return match.group(0)
        if key in values:
            data = values[key]
            return "{{hex:" + to_hex(data) + "}}" if data else ""
        if not leave_unknown and not key.islower():
            raise PayloadError(_("{{{{{key}}}}} is not defined").format(key=key))
        return match.group(0)

    return _REFERENCE.sub(replace, template)


@dataclass(frozen=True, slots=True)
class _Reply:
    mode: str  # "escapes" or "hex"
    text: str
    references: frozenset[str]  # group numbers and names the text uses
    fixed: bytes | None  # the reply when it never changes


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule: ``kind`` (:data:`KINDS`), ``pattern``, ``reply``, as the user wrote them; made
    by :func:`make_rule` or :func:`parse_rule`, which check and compile them once."""

    kind: str
    pattern: str
    reply: str
    enabled: bool = True
    checksum: str | None = None
    encoding: str = "UTF-8"
    _needle: bytes = field(default=b"", repr=False, compare=False)
    _regex: regex.Pattern[str] | None = field(default=None, repr=False, compare=False)
    _hex: re.Pattern[bytes] | None = field(default=None, repr=False, compare=False)
    _reply: _Reply | None = field(default=None, repr=False, compare=False)

    def to_text(self) -> str:
        """The rule as ``--rule`` takes it."""
        text = f"{self.kind}:{self.pattern} => {self.reply}"
        return text + (f" +checksum:{self.checksum}" if self.checksum else "")

    def match(self, message: bytes, deadline: float) -> dict[str, bytes] | None:
        """The values the reply may use (``"0"`` the whole match, ``"1"``..., group names) when
        ``message`` (at most :data:`MAX_MATCH_INPUT` bytes) matches, else None; a regex that
        would run past ``deadline`` (``time.monotonic()``) does not match."""
        kind = self.kind
        if kind == "regex":
            assert self._regex is not None
            timeout = deadline - time.monotonic()
            if timeout <= 0:
                raise TimeoutError
            codec = check_encoding(self.encoding)
            found = self._regex.search(message.decode(codec, "surrogateescape"), timeout=timeout)
            if found is None:
                return None
            values = {"0": found.group(0).encode(codec, "surrogateescape")}
            for index, group in enumerate(found.groups(), 1):
                values[str(index)] = (group or "").encode(codec, "surrogateescape")
            for name, group in found.groupdict().items():
                values[name] = (group or "").encode(codec, "surrogateescape")
            return values
        if kind == "hex":
            assert self._hex is not None
            found_bytes = self._hex.search(message)
            return None if found_bytes is None else {"0": found_bytes.group(0)}
        needle = self._needle
        if kind == "exact":
            hit = message == needle
        elif kind == "contains":
            hit = needle in message
        elif kind == "prefix":
            hit = message.startswith(needle)
        else:
            hit = message.endswith(needle)
        return {"0": needle} if hit else None

    def render(self, values: Mapping[str, bytes], sequence: int = 0) -> bytes:
        """The reply's bytes for a match (``values`` from :meth:`match`) as the ``sequence``-th
        reply (0-based, for ``{{counter}}``).

        Raises:
            PayloadError: a variable's text the encoding cannot write.
        """
        reply = self._reply
        assert reply is not None
        if reply.fixed is not None:
            return reply.fixed
        text = substitute_values(
            reply.text, {k: v for k, v in values.items() if k in reply.references}
        )
        data = parse_template(text).render(reply.mode, self.encoding, sequence=sequence)
        return append_checksum(data, self.checksum)


def make_rule(
    kind: str,
    pattern: str,
    reply: str,
    *,
    enabled: bool = True,
    checksum: str | None = None,
    encoding: str = "UTF-8",
) -> Rule:
    """Check and compile a rule (see the module docstring for what each part may hold).

    Raises:
        PayloadError: an unknown kind, an empty or malformed pattern (a regex that does not
            compile, bad hex or escapes), a reply with a bad escape or variable, a ``{{N}}`` the
            regex has no group for, or an unknown checksum or encoding.
    """
    kind = kind.strip().lower()
    if kind not in KINDS:
        raise PayloadError(
            _("unknown match kind {kind!r} (known: {known})").format(
                kind=kind, known=", ".join(KINDS)
            )
        )
    if not pattern:
        raise PayloadError(_("the {kind} rule has an empty pattern").format(kind=kind))
    check_encoding(encoding)
    if checksum and checksum.strip().lower() != "none":
        get_checksum(checksum)
    else:
        checksum = None
    needle, compiled, hex_pattern = b"", None, None
    groups: set[str] = {"0"}
    if kind == "regex":
        compiled = compile_regex(pattern)
        groups |= {str(n) for n in range(1, compiled.groups + 1)} | set(compiled.groupindex)
    elif kind == "hex":
        hex_pattern = compile_hex_pattern(pattern)
    else:
        needle = parse_escapes(pattern, encoding)
    compiled_reply = _compile_reply(reply, groups, encoding, checksum)
    return Rule(
        kind,
        pattern,
        reply,
        enabled,
        checksum,
        encoding,
        _needle=needle,
        _regex=compiled,
        _hex=hex_pattern,
        _reply=compiled_reply,
    )


def _compile_reply(reply: str, groups: set[str], encoding: str, checksum: str | None) -> _Reply:
    mode = "escapes"
    text = reply
    if text[:4].lower() == "hex:":
        mode, text = "hex", text[4:]
    references: set[str] = set()
    for match in _REFERENCE.finditer(text):
        key = match.group(1)
        if key is None:
            continue
        if key in groups:
            references.add(key)
        elif key.isdigit():
            numbered = sum(name.isdigit() for name in groups) - 1  # named groups have numbers too
            raise PayloadError(
                _("the reply uses {{{{{key}}}}} but the pattern has ").format(key=key)
                + (f"only {numbered}" if numbered else "none")
                + _(" (count the opening brackets)")
            )
    # Render once with every group empty: a bad escape, hex digit or variable shows up now.
    trial = parse_template(substitute_values(text, dict.fromkeys(references, b"\0")))
    data = trial.render(mode, encoding)
    fixed = None
    if not references and not trial.has_variables:
        fixed = append_checksum(data, checksum)
    return _Reply(mode, text, frozenset(references), fixed)


def parse_rule(text: str, encoding: str = "UTF-8") -> Rule:
    r"""Read ``KIND:PATTERN => REPLY [+checksum:NAME]`` (``regex:GET (\w+) => VAL {{1}}=42\n``).

    The pattern ends at the first `` => ``. A rule that ends in `` =>`` has an empty reply (it
    matches and answers nothing): the space after the arrow is easily lost when quoting.

    Raises:
        PayloadError: as :func:`make_rule`, or text without a kind or without `` => ``.
    """
    head, arrow, reply = text.partition(" => ")
    if not arrow and text.endswith(" =>"):
        head, arrow, reply = text[:-3], " => ", ""
    if not arrow:
        raise PayloadError(
            _("rule {text!r} has no ' => ': write KIND:PATTERN => REPLY").format(text=text)
        )
    kind, colon, pattern = head.partition(":")
    if not colon or kind.strip().lower() not in KINDS:
        raise PayloadError(
            _("rule {text!r} does not start with a match kind: write one of ").format(text=text)
            + ", ".join(f"{k}:" for k in KINDS)
        )
    checksum = None
    suffix = _CHECKSUM_SUFFIX.search(reply)
    if suffix:
        checksum, reply = suffix.group(1), reply[: suffix.start()]
    return make_rule(kind, pattern, reply, checksum=checksum, encoding=encoding)


class RuleSet:
    """Rules in order; :meth:`reply_for` gives the first enabled rule's reply for a message."""

    def __init__(self, rules: Iterable[Rule] = ()) -> None:
        self.rules: tuple[Rule, ...] = tuple(rules)
        self._active = tuple(r for r in self.rules if r.enabled)

    def __len__(self) -> int:
        return len(self.rules)

    def find(self, message: bytes) -> tuple[Rule, dict[str, bytes]] | None:
        """The first enabled rule matching ``message`` and its values, or None.

        Raises:
            TimeoutError: the regex rules used up :data:`MATCH_BUDGET` before one matched.
        """
        message = message[:MAX_MATCH_INPUT]
        deadline = time.monotonic() + MATCH_BUDGET
        for rule in self._active:
            values = rule.match(message, deadline)
            if values is not None:
                return rule, values
        return None


class Responder:
    """Replies for a server: splits each connection's stream into messages (``framing`` "line" or
    "raw"), answers each with the first matching rule, else with the fallback ("none", "echo" the
    message, or "fixed" ``fixed_reply``). Rules and fallback may change at any time from any
    thread. :meth:`respond` runs on the server's loop thread.
    """

    def __init__(
        self,
        rules: Iterable[Rule] = (),
        *,
        framing: str = "line",
        fallback: str = "none",
        fixed_reply: bytes = b"",
    ) -> None:
        """Raises:
        PayloadError: an unknown framing or fallback."""
        if framing not in FRAMINGS:
            raise PayloadError(
                _("unknown framing {framing!r} (line or raw)").format(framing=framing)
            )
        self.framing = framing
        self._rules = RuleSet(rules)
        self._fallback = ("none", b"")
        self.set_fallback(fallback, fixed_reply)
        self._buffers: dict[int, bytearray] = {}
        self._lock = threading.Lock()
        #: Messages a rule answered, and messages whose regex rules ran out of time.
        self.matched = 0
        self.timeouts = 0

    @property
    def rules(self) -> tuple[Rule, ...]:
        return self._rules.rules

    def set_rules(self, rules: Iterable[Rule]) -> None:
        """Use these rules from the next message on; thread-safe."""
        self._rules = RuleSet(rules)

    def set_fallback(self, mode: str, fixed_reply: bytes = b"") -> None:
        """Raises:
        PayloadError: an unknown mode."""
        if mode not in FALLBACKS:
            raise PayloadError(
                _("unknown fallback {mode!r} (none, echo or fixed)").format(mode=mode)
            )
        self._fallback = (mode, bytes(fixed_reply))

    def respond(self, conn_id: int, data: bytes) -> bytes:
        """Take ``data`` received on connection ``conn_id``; return the replies for every message
        it completes (b"" for none)."""
        if self.framing == "raw":
            return self.answer(data)
        buffer = self._buffers.get(conn_id)
        if buffer is None:
            buffer = self._buffers[conn_id] = bytearray()
        start = len(buffer)
        buffer += data
        out = bytearray()
        begin = 0
        while True:
            end = buffer.find(b"\n", max(begin, start))
            if end < 0:
                if len(buffer) - begin >= MAX_MATCH_INPUT:
                    end = begin + MAX_MATCH_INPUT - 1  # a piece of an endless line
                else:
                    break
            out += self.answer(bytes(buffer[begin : end + 1]))
            begin = end + 1
            start = begin
        del buffer[:begin]
        return bytes(out)

    def answer(self, message: bytes) -> bytes:
        """The reply to one whole message (a datagram, a line with its ending, a chunk)."""
        body = message
        if self.framing == "line":
            body = body[:-2] if body.endswith(b"\r\n") else body.rstrip(b"\n")
        rules = self._rules
        found = None
        if rules.rules:
            try:
                found = rules.find(body)
            except TimeoutError:
                with self._lock:
                    self.timeouts += 1
        if found is not None:
            rule, values = found
            with self._lock:
                sequence = self.matched
                self.matched += 1
            try:
                return rule.render(values, sequence)
            except PayloadError:
                return b""  # a group's text the encoding cannot write: no reply
        mode, fixed = self._fallback
        if mode == "echo":
            return message
        if mode == "fixed":
            return fixed
        return b""

    def forget(self, conn_id: int) -> None:
        """Drop what is buffered for a connection that ended."""
        self._buffers.pop(conn_id, None)


def parse_rules(texts: Sequence[str], encoding: str = "UTF-8") -> list[Rule]:
    """:func:`parse_rule` for each text; the error names the rule's number (1-based).

    Raises:
        PayloadError: the first bad rule.
    """
    rules = []
    for number, text in enumerate(texts, 1):
        try:
            rules.append(parse_rule(text, encoding))
        except PayloadError as exc:
            raise PayloadError(_("rule {number}: {exc}").format(number=number, exc=exc)) from None
    return rules
