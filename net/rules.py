"""Rule-based replies (``KIND:PATTERN => REPLY``) for the TCP server and the UDP receiver, sans-IO.

A rule matches one message (a TCP stream split by a framing, or one UDP datagram) and renders a
reply; the first enabled rule that matches wins. Kinds:

- ``exact``, ``contains``, ``prefix``, ``suffix``: the pattern is text with C escapes
  (``\\r\\n``, ``\\x00``), encoded in the rule's encoding and compared with the message's bytes;
- ``regex``: a regular expression searched in the message decoded as text (groups feed the reply);
- ``hex``: the message contains these bytes, written in hex; ``??`` stands for any one byte.

With line framing a message is one line without its ``\\n`` / ``\\r\\n``; any framing of
:mod:`net.framing` may be used (a message is then a frame's payload), and a rule set with a ``hex``
rule and no framing given sees raw chunks, since binary requests are not lines. A reply is a
payload with escapes and :mod:`net.variables` (``{{counter}}`` counts the replies of its rule),
``{{1}}`` / ``{{name}}`` for the regex's groups, ``hex:`` at its start for hex, and an optional
checksum, written after the reply as `` +checksum:NAME`` on the command line.

Limits, so that no message can freeze a server: a rule sees at most :data:`MAX_MATCH_INPUT`
bytes of a message (a longer line is cut into pieces of that size), and regular expressions run on
the ``regex`` library with a time limit: all the rules together get :data:`MATCH_BUDGET` seconds per
message, after which the rest count as not matching (counted in :attr:`Responder.timeouts`). A
pattern like ``(a+)+$`` therefore costs one budget per message, not the server. The time limit
itself costs more than a short search (the ``regex`` library arms a clock for it), so a pattern
without nested repeats or back-references searches short messages without it: with ``d`` repeats
a backtracking search takes at most about ``n ** (d + 1)`` steps over ``n`` characters, which
stays below :data:`_STEP_BUDGET` up to the length :func:`regex_shape` gives.

Speed: a message is checked against the rules by dictionary look-ups first (``exact``; ``prefix``
and ``suffix`` by length; a ``regex`` anchored at ``^`` by its literal start), then by ``in`` (a
regex's literal text), and only the rules left are run, in order, so the first match still wins.
"""

from __future__ import annotations

import importlib
import re
import sys
import threading
import time
import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from net._i18n import N_, _
from net._record import Record
from net.checksum import ByteOrder, append_checksum, get_checksum, verify_checksum
from net.codec import check_encoding, parse_escapes, parse_hex, to_hex
from net.errors import PayloadError
from net.framing import Framer, FramingSpec, parse_framing
from net.variables import parse_template

if TYPE_CHECKING:
    import regex  # imported where a pattern is compiled: it costs 20 ms, and most rules are plain

__all__ = [
    "FALLBACKS",
    "KINDS",
    "MATCH_BUDGET",
    "MAX_MATCH_INPUT",
    "RegexShape",
    "Responder",
    "Rule",
    "RuleSet",
    "compile_hex_pattern",
    "compile_regex",
    "default_framing",
    "escape_bytes",
    "make_rule",
    "parse_rule",
    "parse_rules",
    "regex_shape",
    "substitute_values",
]

KINDS: Final = ("exact", "contains", "prefix", "suffix", "regex", "hex")
FALLBACKS: Final = ("none", "echo", "fixed")
#: Bytes of one message a rule looks at; a line longer than this is handed on in pieces.
MAX_MATCH_INPUT: Final = 64 * 1024
#: Seconds all regex rules together may spend on one message.
MATCH_BUDGET: Final = 0.25
#: Backtracking steps a search may take without the time limit (a few ms in the regex engine).
_STEP_BUDGET: Final = 1_000_000
#: Codecs in which text contains a literal exactly when its bytes contain the literal's bytes.
_BYTE_TRANSPARENT: Final = frozenset({"utf-8", "ascii", "iso8859-1"})

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


class RegexShape(NamedTuple):
    """What a regex's syntax tree tells before it runs (:func:`regex_shape`)."""

    #: Longest text (characters) searched without the time limit: 0 for a pattern that may
    #: backtrack exponentially (nested repeats, back-references, syntax only ``regex`` knows).
    safe_length: int
    #: Text a match starts the message with (``^`` then literals), "" if none is known.
    prefix: str
    #: Text every match contains (the longest run of literals outside groups), "" if none.
    literal: str


def regex_shape(pattern: str) -> RegexShape:
    """Read ``pattern`` with the standard library's parser (``re`` syntax, which ``regex``
    version 0 shares) for :class:`RegexShape`; a pattern it does not read, or reads with a
    warning (``[[:alpha:]]``, which ``regex`` reads otherwise), gets ``RegexShape(0, "", "")``.
    """
    # The parser behind re.compile; private, so typeshed has no stubs for it.
    _parser: Any = importlib.import_module("re._parser")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            tree = _parser.parse(pattern)
        except (re.error, Warning, RecursionError, OverflowError, ValueError):
            return RegexShape(0, "", "")
    repeats = _count_repeats(_parser, tree, inside=False)
    if repeats is None:
        return RegexShape(0, "", "")
    safe = sys.maxsize if repeats == 0 else int(_STEP_BUDGET ** (1 / (repeats + 1)))
    if tree.state.flags & re.IGNORECASE:
        return RegexShape(safe, "", "")
    items = list(tree)
    runs: list[str] = []
    run: list[str] = []
    for op, value in [*items, (None, None)]:
        if op is _parser.LITERAL:
            run.append(chr(value))
            continue
        runs.append("".join(run))
        run = []
    prefix = ""
    anchors = {_parser.AT_BEGINNING_STRING}
    if not tree.state.flags & re.MULTILINE:
        anchors.add(_parser.AT_BEGINNING)
    if items and items[0][0] is _parser.AT and items[0][1] in anchors:
        prefix = runs[1] if len(runs) > 1 and runs[0] == "" else ""
    return RegexShape(safe, prefix, max(runs, key=len))


def _count_repeats(_parser: Any, items: Iterable[tuple[Any, Any]], *, inside: bool) -> int | None:
    """How many repeats the tree holds, or None when backtracking may be exponential in the
    text's length: a repeat or an alternative inside a repeat, a back-reference."""
    count = 0
    for op, value in items:
        inner: int | None = 0
        if op in (_parser.MAX_REPEAT, _parser.MIN_REPEAT, _parser.POSSESSIVE_REPEAT):
            if inside or _count_repeats(_parser, value[2], inside=True) is None:
                return None
            inner = 1
        elif op is _parser.BRANCH:
            if inside:
                return None
            for branch in value[1]:
                found = _count_repeats(_parser, branch, inside=False)
                if found is None:
                    return None
                count += found
        elif op is _parser.SUBPATTERN:
            inner = _count_repeats(_parser, value[3], inside=inside)
        elif op in (_parser.ASSERT, _parser.ASSERT_NOT):
            inner = _count_repeats(_parser, value[1], inside=inside)
        elif op is _parser.ATOMIC_GROUP:
            inner = _count_repeats(_parser, value, inside=inside)
        elif op in (_parser.GROUPREF, _parser.GROUPREF_EXISTS):
            return None
        if inner is None:
            return None
        count += inner
    return count


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


class _Reply(Record):
    mode: str  # "escapes" or "hex"
    text: str
    references: frozenset[str]  # group numbers and names the text uses
    fixed: bytes | None  # the reply when it never changes


class Rule(Record):
    """One rule: ``kind`` (:data:`KINDS`), ``pattern``, ``reply``, as the user wrote them; made
    by :func:`make_rule` or :func:`parse_rule`, which check and compile them once."""

    kind: str
    pattern: str
    reply: str
    enabled: bool = True
    checksum: str | None = None
    encoding: str = "UTF-8"
    _needle: bytes = b""
    _regex: regex.Pattern[str] | None = None
    _hex: re.Pattern[bytes] | None = None
    _reply: _Reply | None = None
    # A regex's shape (regex_shape), its literal texts encoded: bytes every match contains, and
    # bytes every match starts the message with (b"": none known).
    _shape: RegexShape = RegexShape(0, "", "")
    _literal: bytes = b""
    _prefix: bytes = b""

    @property
    def key(self) -> tuple[str, str, str, str | None, str]:
        """What makes two rules the same rule, whether enabled or not (for their counters)."""
        return (self.kind, self.pattern, self.reply, self.checksum, self.encoding)

    def to_text(self) -> str:
        """The rule as ``--rule`` takes it."""
        text = f"{self.kind}:{self.pattern} => {self.reply}"
        return text + (f" +checksum:{self.checksum}" if self.checksum else "")

    def match(
        self, message: bytes, deadline: float, texts: dict[str, str] | None = None
    ) -> dict[str, bytes] | None:
        """The values the reply may use (``"0"`` the whole match, ``"1"``..., group names) when
        ``message`` (at most :data:`MAX_MATCH_INPUT` bytes) matches, else None.

        Args:
            deadline: ``time.monotonic()`` after which a regex gives up (a long message only:
                see :data:`_STEP_BUDGET`).
            texts: the message decoded so far, by codec, shared by the rules that try it.
        Raises:
            TimeoutError: the regex ran out of time.
        """
        kind = self.kind
        if kind == "regex":
            assert self._regex is not None
            if self._literal not in message:
                return None
            codec = check_encoding(self.encoding)
            text = None if texts is None else texts.get(codec)
            if text is None:
                text = message.decode(codec, "surrogateescape")
                if texts is not None:
                    texts[codec] = text
            if len(text) <= self._shape.safe_length:
                found = self._regex.search(text)
            else:
                timeout = deadline - time.monotonic()
                if timeout <= 0:
                    raise TimeoutError
                found = self._regex.search(text, timeout=timeout)
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
    shape, literal, prefix = RegexShape(0, "", ""), b"", b""
    groups: set[str] = {"0"}
    if kind == "regex":
        compiled = compile_regex(pattern)
        groups |= {str(n) for n in range(1, compiled.groups + 1)} | set(compiled.groupindex)
        shape = regex_shape(pattern)
        codec = check_encoding(encoding)
        if codec in _BYTE_TRANSPARENT:
            try:
                literal = shape.literal.encode(codec)
                prefix = shape.prefix.encode(codec)
            except UnicodeEncodeError:  # no such text in this encoding: no filter needed
                literal = prefix = b""
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
        _shape=shape,
        _literal=literal,
        _prefix=prefix,
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
    """Rules in order; :meth:`find` gives the first enabled rule that matches a message.

    The rules are indexed once: ``exact`` rules by their bytes, ``prefix`` / ``suffix`` rules
    and anchored regexes by their literal start or end (one dictionary per length), so a message
    tries only the rules those look-ups name and the rules no look-up can rule out.
    """

    def __init__(self, rules: Iterable[Rule] = ()) -> None:
        self.rules: tuple[Rule, ...] = tuple(rules)
        self._active = tuple(r for r in self.rules if r.enabled)
        self._exact: dict[bytes, int] = {}
        starts: dict[int, dict[bytes, list[int]]] = {}
        ends: dict[int, dict[bytes, list[int]]] = {}
        scan: list[int] = []  # rules to try on every message
        for position, rule in enumerate(self._active):
            if rule.kind == "exact":
                self._exact.setdefault(rule._needle, position)
            elif rule.kind == "prefix" or (rule.kind == "regex" and rule._prefix):
                start = rule._needle if rule.kind == "prefix" else rule._prefix
                starts.setdefault(len(start), {}).setdefault(start, []).append(position)
            elif rule.kind == "suffix":
                ends.setdefault(len(rule._needle), {}).setdefault(rule._needle, []).append(position)
            else:
                scan.append(position)
        self._starts = tuple(starts.items())
        self._ends = tuple(ends.items())
        self._scan = tuple(scan)

    def __len__(self) -> int:
        return len(self.rules)

    def find(self, message: bytes) -> tuple[Rule, dict[str, bytes]] | None:
        """The first enabled rule matching ``message`` and its values, or None.

        Raises:
            TimeoutError: the regex rules used up :data:`MATCH_BUDGET` before one matched.
        """
        message = message[:MAX_MATCH_INPUT]
        candidates: list[int] = []
        exact = self._exact.get(message)
        if exact is not None:
            candidates.append(exact)
        for length, table in self._starts:
            found = table.get(message[:length])
            if found:
                candidates += found
        size = len(message)
        for length, table in self._ends:
            found = table.get(message[size - length :]) if size >= length else None
            if found:
                candidates += found
        if candidates:
            order: Iterable[int] = sorted(candidates + list(self._scan))
        else:
            order = self._scan
        deadline = time.monotonic() + MATCH_BUDGET
        texts: dict[str, str] = {}
        active = self._active
        for position in order:
            rule = active[position]
            values = rule.match(message, deadline, texts)
            if values is not None:
                return rule, values
        return None


def default_framing(rules: Iterable[Rule]) -> str:
    """The framing for rules when none is given: raw chunks when a rule matches hex bytes
    (binary requests are not lines: a 0x0A inside one would cut it), else lines."""
    return "raw" if any(rule.kind == "hex" for rule in rules) else "line"


class Responder:
    """Replies for a server: splits each connection's stream into messages by ``framing`` (a
    :mod:`net.framing` spec; None: :func:`default_framing`), answers each with the first matching
    rule, else with the fallback ("none", "echo" the message, or "fixed" ``fixed_reply``). Rules
    and fallback may change at any time from any thread. :meth:`respond` runs on the server's
    loop thread. ``{{counter}}`` in a reply counts that rule's replies (1, 2, 3 ...), kept while
    the rules are edited as long as the rule itself stays the same.

    With ``checksum`` ((name, byte order) of :mod:`net.checksum`), each message must end with
    it: a message that fails the check gets no reply at all, and rules see the message without
    its checksum (an echo still sends the whole message, checksum included).
    """

    def __init__(
        self,
        rules: Iterable[Rule] = (),
        *,
        framing: str | FramingSpec | None = None,
        fallback: str = "none",
        fixed_reply: bytes = b"",
        checksum: tuple[str, ByteOrder | None] | None = None,
    ) -> None:
        """Raises:
        PayloadError: an unknown framing, fallback or checksum."""
        rules = tuple(rules)
        #: The checksum's size in bytes (0: none) and (name, byte order) for verify_checksum.
        self._checksum_size = get_checksum(checksum[0]).size if checksum is not None else 0
        self._checksum = checksum
        if framing is None:
            framing = default_framing(rules)
        self.spec = framing if isinstance(framing, FramingSpec) else parse_framing(framing)
        #: The framing's spec as text ("line", "raw", "len2be" ...).
        self.framing = str(self.spec)
        self._rules = RuleSet(rules)
        self._fallback = ("none", b"")
        self.set_fallback(fallback, fixed_reply)
        self._framers: dict[int, Framer] = {}
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str, str, str | None, str], int] = {}
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
        framer = self._framers.get(conn_id)
        if framer is None:
            framer = self._framers[conn_id] = self.spec.framer(MAX_MATCH_INPUT)
        frames = framer.feed(data)
        if len(frames) == 1:
            frame = frames[0]
            return self._answer(frame.payload, frame.data)
        return b"".join(self._answer(frame.payload, frame.data) for frame in frames)

    def answer(self, message: bytes) -> bytes:
        """The reply to one whole message (a datagram, a frame with its framing bytes, a chunk)."""
        if self.spec.kind == "raw":
            return self._answer(message, message)
        framer = self.spec.framer(max(MAX_MATCH_INPUT, len(message)))
        frames = framer.feed(message) + framer.flush()
        body = frames[0].payload if len(frames) == 1 else message
        return self._answer(body, message)

    def _answer(self, body: bytes, message: bytes) -> bytes:
        """The reply to ``body``, the part of ``message`` rules see (an echo sends ``message``)."""
        if self._checksum is not None:
            if not verify_checksum(body, *self._checksum):
                return b""  # a damaged frame: answering it would pass corruption on as valid
            body = body[: -self._checksum_size]
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
            key = rule.key
            with self._lock:
                sequence = self._counts.get(key, 0)
                self._counts[key] = sequence + 1
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
        self._framers.pop(conn_id, None)


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
