"""The file server's protocol rules as pure functions over bytes: no sockets, so they can be fuzzed.

What lives here: telling the two dialects apart from a connection's first bytes, the request head
limits, request targets, byte ranges (RFC 9110 §14), preconditions (§13.2.2) and If-Range
(§13.1.5), validators, digests (RFC 9530), and the JSON list; content types, character sets and
Content-Disposition (RFC 6266) are in net._media_type and re-exported here. The HTML index lives
in :mod:`net.sharepage`. HTTP itself is parsed by h11.

Dialect sniffing (the rule the server follows, see :func:`sniff`):

* An HTTP request line is an upper-case method token, a space, and a target that starts with "/"
  (or "*", or a scheme and "://"); at the latest it contains " HTTP/". A raw name is a display name
  or a relative path in a shared folder ("photos/2024/a.jpg"), which never starts with "/". So a
  first line that starts with a method, a space and such a target start, or that contains
  " HTTP/", is HTTP; everything else is a classic raw name.
* A name that starts like a request ("GET report.txt", "MY PHOTOS/a.jpg", or a file called
  "README") is therefore still a name. While the bytes so far could still become a request line (an upper-case token, maybe
  a space, no "/" and no line end yet), the server waits a short grace for more bytes; a classic raw
  client sends its name in one write and then waits, so after the grace the bytes are the name.
  Known names that cannot be the start of a request are answered at once.
"""

from __future__ import annotations

import base64
import re
import time
import urllib.parse
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Literal

from net._media_type import (
    CHARSET_SAMPLE_BYTES,
    content_disposition,
    content_type,
    shown_inline,
    text_charset,
)
from net._record import Record
from net.codec import json_line

if TYPE_CHECKING:
    from net.share import SharedFile, SharedFolder

__all__ = [
    "CHARSET_SAMPLE_BYTES",
    "MAX_HEADER_LINES",
    "MAX_HEAD_BYTES",
    "MAX_RAW_NAME_BYTES",
    "MAX_REQUEST_LINE",
    "ContentRange",
    "HeadVerdict",
    "RangePlan",
    "Target",
    "check_head",
    "content_disposition",
    "content_type",
    "evaluate_preconditions",
    "file_url_path",
    "format_repr_digest",
    "http_date",
    "human_size",
    "if_range_matches",
    "make_etag",
    "parse_content_range",
    "parse_raw_name",
    "parse_repr_digest",
    "parse_target",
    "plan_range",
    "render_json",
    "shown_inline",
    "shown_name",
    "sniff",
    "text_charset",
]

#: Longest request line, else 414 (nginx large_client_header_buffers).
MAX_REQUEST_LINE = 8 * 1024
#: Longest request head (request line + header lines + the empty line), else 431.
MAX_HEAD_BYTES = 16 * 1024
#: Most header lines in one request head, else 431 (the limit http.client applies).
MAX_HEADER_LINES = 100
#: A classic raw name longer than this is not a name anyone shares (the classic server reads 1024).
MAX_RAW_NAME_BYTES = 4096

Dialect = Literal["http", "raw", "more"]

# RFC 9110 §9.1: a method is a token; every registered method is upper-case, and the sniffing rule
# only counts upper-case ones (a lower-case first word is a name).
_METHOD = rb"[A-Z][A-Z0-9_-]{0,19}"
# The patterns of this module stay source text: re compiles each on first use and keeps it in its
# cache, so importing the module (every `swb get`) compiles none of them.
_REQUEST_START = _METHOD + rb" (?:/|\*|[A-Za-z][A-Za-z0-9+.-]*://)"
_MAYBE_REQUEST = _METHOD + rb"(?: [^/\n]*)?"
_HEAD_END = rb"\n\r?\n"
_METHOD_ONLY = _METHOD + rb" "


def sniff(data: bytes, is_name: Callable[[str], bool], *, final: bool = False) -> Dialect:
    """Decide which dialect a connection speaks from the bytes received so far.

    Args:
        data: every byte received on the connection so far (not empty).
        is_name: tells whether a decoded name is in the share table (for an early raw answer).
        final: no more bytes are coming soon (the grace passed, or the peer half-closed).
    Returns:
        "http", "raw", or "more" (wait for more bytes or the end of the grace; never when final).
    """
    line_end = data.find(b"\n")
    first_line = data if line_end < 0 else data[:line_end]
    if re.match(_REQUEST_START, first_line) or (
        b" HTTP/" in first_line and re.match(_METHOD_ONLY, first_line)
    ):
        return "http"
    if final or line_end >= 0 or len(data) > MAX_RAW_NAME_BYTES:
        return "raw"
    if re.fullmatch(_MAYBE_REQUEST, data):
        return "more"  # could still become "GET /..." : give it the grace
    name = parse_raw_name(data)
    if name is not None and is_name(name):
        return "raw"
    return "more"


def parse_raw_name(data: bytes) -> str | None:
    """The display name in a classic raw request: UTF-8, one trailing "\\n" or "\\r\\n" allowed.

    Returns None when the bytes are not UTF-8 or the name is empty (no such name can be shared).
    """
    if data.endswith(b"\r\n"):
        data = data[:-2]
    elif data.endswith(b"\n"):
        data = data[:-1]
    if not data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


class HeadVerdict(Record):
    """Where a request head stands against the limits."""

    complete: bool  # the empty line that ends the head has arrived
    status: int | None = None  # 414 or 431 when a limit is broken; the connection gets that answer


def check_head(data: bytes | bytearray) -> HeadVerdict:
    """Check the bytes of one request head received so far against the limits (before h11 sees them).

    414 when the request line is longer than :data:`MAX_REQUEST_LINE`; 431 when the head is longer
    than :data:`MAX_HEAD_BYTES` or has more than :data:`MAX_HEADER_LINES` header lines. Line ends
    are found the way h11 finds them (LF, with or without CR).
    """
    # RFC 9112 §2.2: empty lines before the request line are ignored (h11 skips them too), so the
    # request line is measured from the first byte after them, or they would hide a long one.
    start = len(data) - len(bytes(data).lstrip(b"\r\n"))
    end = re.compile(_HEAD_END).search(data, start)  # re caches the compiled pattern
    head_len = end.end() if end else len(data)
    line_end = data.find(b"\n", start, head_len)
    if line_end < 0:
        request_line = head_len - start
    else:
        request_line = line_end - start - (1 if data[line_end - 1 : line_end] == b"\r" else 0)
    if request_line > MAX_REQUEST_LINE:
        return HeadVerdict(complete=False, status=414)
    if head_len > MAX_HEAD_BYTES:
        return HeadVerdict(complete=False, status=431)
    # Lines after the request line, minus the empty line that ends a complete head.
    header_lines = data.count(b"\n", start, head_len) - 1 - (1 if end else 0)
    if header_lines > MAX_HEADER_LINES:
        return HeadVerdict(complete=False, status=431)
    return HeadVerdict(complete=end is not None)


#: Entries in one page of a folder's HTML index or JSON list, unless ``per_page`` asks otherwise.
PER_PAGE = 1000
#: The most entries one page may ask for (``per_page`` above it is lowered to it).
MAX_PER_PAGE = 10000


class Target(Record):
    """What a request target asks for: a folder's index, JSON list or zip ("" = the root), or a
    file by key ("report.pdf", "photos/2024/a b.jpg"); lists are paged (``page`` from 1)."""

    kind: Literal["index", "json", "zip", "file", "missing", "bad"]
    name: str = ""
    page: int = 1
    per_page: int = PER_PAGE


_ABSOLUTE_FORM = rb"[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*"


def parse_target(target: bytes) -> Target:
    """Map a request target (RFC 9112 §3.2) to what it names; no path is ever built from it.

    "/" is the root's index, "/?format=json" its JSON list, "/?format=zip" all of it as a zip;
    "/photos/2024/" (a trailing "/") the same for a folder, by its key "photos/2024". Lists come
    in pages: ``page`` (from 1) and ``per_page`` (default :data:`PER_PAGE`, at most
    :data:`MAX_PER_PAGE`), as GitHub's API names them; a value that is not a positive decimal
    number is "bad".
    "/<percent-encoded key>" a file. The path is decoded once, strictly as UTF-8 (anything that
    does not decode is "missing"), and the result is only ever a key to look up: "..", "." and
    empty segments name nothing because no key has them. The absolute form ("http://host/name")
    is accepted as RFC 9112 asks; other forms are "bad" (400).
    """
    absolute = re.match(_ABSOLUTE_FORM, target)
    if absolute:
        target = target[absolute.end() :] or b"/"
    if not target.startswith(b"/"):
        return Target("bad")
    path, _, query = target.partition(b"?")
    try:
        name = urllib.parse.unquote_to_bytes(path[1:]).decode("utf-8")
    except UnicodeDecodeError:
        return Target("missing")
    if name and not path.endswith(b"/"):
        return Target("file", name)
    folder = name[:-1]  # one "/" only: "photos//" stays "photos/", which no key is
    fields = urllib.parse.parse_qs(query.decode("ascii", "replace"))
    formats = fields.get("format", [])
    if "zip" in formats:
        return Target("zip", folder)
    numbers = []
    for field, default in (("page", 1), ("per_page", PER_PAGE)):
        value = fields.get(field, [str(default)])[-1]
        if not (value.isascii() and value.isdigit() and 0 < len(value) <= 9 and int(value) > 0):
            return Target("bad")
        numbers.append(int(value))
    page, per_page = numbers[0], min(numbers[1], MAX_PER_PAGE)
    return Target("json" if "json" in formats else "index", folder, page, per_page)


class RangePlan(Record):
    """How to answer a GET: 200 with the whole file, 206 with one part, or 416."""

    status: Literal[200, 206, 416]
    start: int
    length: int


def plan_range(value: bytes | None, size: int) -> RangePlan:
    """Decide the answer to a ``Range`` header (RFC 9110 §14.1.1, §14.2) for a file of ``size`` bytes.

    * No header, a unit other than "bytes", or a malformed range set: the whole file (200); §14.2
      lets a server ignore Range, and a malformed one must not fail the request.
    * One range: 206 for its satisfiable part (the end is clamped to the file), else 416.
    * Several ranges: never multipart (Apache CVE-2011-3192); 416 when none is satisfiable, else the
      whole file (200), which §14.2 allows and which every client handles.
    * An empty file: always 200 (the only satisfiable range, a suffix, has no byte to send).
    """
    full = RangePlan(200, 0, size)
    if value is None or size == 0:
        return full
    unit, sep, spec_text = value.partition(b"=")
    if not sep or unit.strip().lower() != b"bytes":
        return full
    specs = [part.strip(b" \t") for part in spec_text.split(b",")]
    specs = [spec for spec in specs if spec]  # RFC 9110 §5.6.1: empty list elements are allowed
    if not specs:
        return full
    ranges: list[tuple[int, int] | None] = []
    for spec in specs:
        parsed = _parse_range_spec(spec, size)
        if parsed is False:
            return full
        ranges.append(parsed)
    satisfiable = [r for r in ranges if r is not None]
    if not satisfiable:
        return RangePlan(416, 0, 0)
    if len(ranges) > 1:
        return full
    start, end = satisfiable[0]
    return RangePlan(206, start, end - start + 1)


def _parse_range_spec(spec: bytes, size: int) -> tuple[int, int] | Literal[False] | None:
    """(first, last) inclusive and clamped; None when unsatisfiable; False when malformed."""
    first, dash, last = spec.partition(b"-")
    if not dash or (last and not _digits(last)):
        return False
    if not first:  # suffix-range: the last N bytes
        if not last:
            return False
        length = int(last)
        if length == 0:
            return None
        return (max(0, size - length), size - 1)
    if not _digits(first):
        return False
    start = int(first)
    if last:
        end = int(last)
        if end < start:
            return False
    else:
        end = size - 1
    if start >= size:
        return None
    return (start, min(end, size - 1))


def _digits(text: bytes) -> bool:
    # int() also takes "+1", " 1" and "1_0"; RFC 9110 allows DIGITs only. 19 digits is more bytes
    # than any file has, and keeps int() from parsing thousands of digits.
    return 0 < len(text) <= 19 and text.isdigit() and text.isascii()


def if_range_matches(value: bytes, etag: str, mtime: float, now: float | None = None) -> bool:
    """True when an ``If-Range`` value still names this representation (RFC 9110 §13.1.5).

    An entity tag must match strongly (a weak one never does); a date must equal Last-Modified
    exactly, and only counts when Last-Modified is a strong validator, that is at least a second
    before now (§8.8.2.2). When it does not match, the server sends the whole file.
    """
    text = value.strip()
    if text.startswith(b'"'):
        return text.decode("latin-1") == etag
    if text.startswith(b"W/"):
        return False
    try:
        from email.utils import parsedate_to_datetime  # on first use: it costs start-up

        when = parsedate_to_datetime(text.decode("latin-1"))
    except (TypeError, ValueError, IndexError):
        return False
    if when is None:  # pragma: no cover - older Pythons returned None for some inputs
        return False
    now = time.time() if now is None else now
    modified = int(mtime)
    return int(when.timestamp()) == modified and modified + 1 <= now


_ENTITY_TAG = r'[ \t]*(W/)?"([\x21\x23-\x7e\x80-\xff]*)"[ \t]*'


def _entity_tags(value: bytes) -> list[tuple[bool, str]] | Literal["*"] | None:
    """An If-Match / If-None-Match value: "*", or its (weak, opaque-tag) list (RFC 9110 §8.8.3);
    None when it is malformed (no member matches then)."""
    text = value.decode("latin-1").strip(" \t")
    if text == "*":
        return "*"
    # Scanned, not split: an opaque tag may itself contain a comma ('"a,b"').
    tags: list[tuple[bool, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos] in " \t,":  # RFC 9110 §5.6.1: empty list elements are allowed
            pos += 1
            continue
        match = re.compile(_ENTITY_TAG).match(text, pos)  # cached after the first call
        if match is None:
            return None
        tags.append((match.group(1) is not None, match.group(2)))
        pos = match.end()
        if pos < len(text) and text[pos] != ",":
            return None
    return tags


def _tag_matches(value: bytes, etag: str, *, weak: bool) -> bool:
    """Whether an If-Match / If-None-Match value names ``etag`` (our strong tag, quoted), with the
    strong or the weak comparison of RFC 9110 §8.8.3.2."""
    tags = _entity_tags(value)
    if tags == "*":
        return True  # the file exists: "*" matches any current representation
    if tags is None:
        return False
    ours = etag[1:-1]
    return any(opaque == ours and (weak or not is_weak) for is_weak, opaque in tags)


def _http_date_value(value: bytes) -> int | None:
    """An HTTP-date (RFC 9110 §5.6.7) as whole seconds since the epoch; None when invalid."""
    try:
        from email.utils import parsedate_to_datetime

        when = parsedate_to_datetime(value.decode("latin-1").strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None or when.tzinfo is None:  # pragma: no cover - older Pythons returned None
        return None
    return int(when.timestamp())


def evaluate_preconditions(
    method: bytes,
    *,
    etag: str,
    mtime: float,
    if_match: bytes | None = None,
    if_unmodified_since: bytes | None = None,
    if_none_match: bytes | None = None,
    if_modified_since: bytes | None = None,
    now: float | None = None,
) -> Literal[304, 412] | None:
    """Evaluate the preconditions of a request for an existing file (RFC 9110 §13.2.2).

    The steps, in the RFC's order (If-Range, step 5, is :func:`if_range_matches`):

    1. If-Match: 412 unless one listed tag matches ``etag`` strongly, or it is "*".
    2. Else If-Unmodified-Since (a valid date): 412 when the file was modified after it.
    3. If-None-Match: when a tag matches weakly (or "*"), 304 for GET/HEAD, else 412.
    4. Else, for GET/HEAD, If-Modified-Since (a valid date, not in the future): 304 when the file
       was not modified after it.

    Args:
        method: the request method (b"GET", b"HEAD", ...).
        etag: the file's strong entity tag, quoted (:func:`make_etag`).
        mtime: the file's modification time, seconds since the epoch (Last-Modified).
        if_match, if_unmodified_since, if_none_match, if_modified_since: the header values
            (repeated lines combined with commas), or None when absent.
        now: the current time (tests); dates after it are invalid (RFC 9110 §13.1.3, §13.1.4).
    Returns:
        304, 412, or None when the request goes ahead.
    """
    modified = int(mtime)
    now = time.time() if now is None else now
    if if_match is not None:
        if not _tag_matches(if_match, etag, weak=False):
            return 412
    elif if_unmodified_since is not None:
        date = _http_date_value(if_unmodified_since)
        if date is not None and modified > date:
            return 412
    safe = method in (b"GET", b"HEAD")
    if if_none_match is not None:
        if _tag_matches(if_none_match, etag, weak=True):
            return 304 if safe else 412
    elif if_modified_since is not None and safe:
        date = _http_date_value(if_modified_since)
        if date is not None and date <= now and modified <= date:
            return 304
    return None


def make_etag(size: int, mtime_ns: int) -> str:
    """A strong entity tag from the file's size and modification time (what nginx does, in hex)."""
    return f'"{mtime_ns:x}-{size:x}"'


def http_date(timestamp: float) -> str:
    """IMF-fixdate (RFC 9110 §5.6.7), e.g. "Sun, 06 Nov 1994 08:49:37 GMT"."""
    from email.utils import formatdate

    return formatdate(timestamp, usegmt=True)


def format_repr_digest(sha256_hex: str) -> str:
    """``Repr-Digest`` value for a SHA-256 in hex (RFC 9530: a dictionary of byte sequences)."""
    return "sha-256=:" + base64.b64encode(bytes.fromhex(sha256_hex)).decode("ascii") + ":"


def parse_repr_digest(value: str) -> bytes | None:
    """The SHA-256 digest (32 bytes) in a ``Repr-Digest`` value, or in a legacy ``Digest`` value;
    None when it carries no SHA-256 or a malformed one.

    ``Repr-Digest`` (RFC 9530 §3) is a structured-field dictionary (RFC 8941 §3.2) of byte
    sequences, parsed with ``http_sf``: members may carry parameters (``sha-256=:...:;p=1``, whose
    strings may hold commas), and a value that is no valid dictionary is ignored whole (RFC 8941
    §4.2). Only when it is none is it read as RFC 3230's ``Digest`` (``SHA-256=base64``, whose
    padding "=" no dictionary admits), each member's ``;parameters`` left out.
    """
    import http_sf  # here, not at the top: only a finished download or an upload reads one

    try:
        members = http_sf.parse(value.encode("ascii"), tltype="dictionary")
    except (UnicodeEncodeError, http_sf.StructuredFieldError):
        return _legacy_digest(value)
    match members:  # http_sf gives each member as (value, parameters)
        case {"sha-256": (bytes() as digest, _)} if len(digest) == 32:
            return digest
    return None


def _legacy_digest(value: str) -> bytes | None:
    """The SHA-256 in an RFC 3230 ``Digest`` value (algorithm names are case-insensitive)."""
    for member in value.split(","):
        key, _, item = member.partition("=")
        if key.strip().lower() == "sha-256":
            try:
                digest = base64.b64decode(item.partition(";")[0].strip(), validate=True)
            except ValueError:  # binascii.Error, a ValueError
                return None
            return digest if len(digest) == 32 else None
    return None


class ContentRange(Record):
    """A parsed ``Content-Range`` (RFC 9110 §14.4); start/end are None for "bytes */total"."""

    start: int | None
    end: int | None
    total: int | None


_CONTENT_RANGE = r"(?i)bytes[ \t]+(?:(\d{1,19})-(\d{1,19})|\*)/(\d{1,19}|\*)"


def parse_content_range(value: str) -> ContentRange | None:
    """Parse "bytes 0-99/1000", "bytes 0-99/*" or "bytes */1000"; None when malformed."""
    match = re.fullmatch(_CONTENT_RANGE, value.strip())
    if not match:
        return None
    first, last, total = match.groups()
    size = None if total == "*" else int(total)
    if first is None:
        return None if size is None else ContentRange(None, None, size)
    start, end = int(first), int(last)
    if end < start or (size is not None and end >= size):
        return None
    return ContentRange(start, end, size)


def file_url_path(name: str, *, folder: bool = False) -> str:
    """The request target for a key: each segment percent-encoded (every reserved character),
    joined with "/" ("photos/2024/a b.jpg" -> "/photos/2024/a%20b.jpg"); a folder's ends in "/"."""
    path = "/" + "/".join(urllib.parse.quote(part, safe="") for part in name.split("/"))
    return path + "/" if folder and name else path


def render_json(
    files: Iterable[SharedFile],
    folders: Iterable[tuple[SharedFolder, int]] = (),
) -> bytes:
    """A folder's JSON list: folders first, then files, each
    ``{"name", "path", "type", "size", "mtime", "sha256", "url"}``: ``name`` is the last
    segment, ``path`` the key from the share's root ("photos/2024/a b.jpg"), ``type`` "file" or
    "folder", ``size`` bytes (a folder's: of all files below it), ``sha256`` hex or null (always
    null for folders), ``url`` relative to the root ("/photos/2024/" for a folder).

    Args:
        files: the files in the folder.
        folders: the folders in it, each with the bytes of all files below it.
    """
    items: list[dict[str, object]] = [
        {
            "name": d.base,
            "path": d.name,
            "type": "folder",
            "size": size,
            "mtime": d.mtime,
            "sha256": None,
            "url": file_url_path(d.name, folder=True),
        }
        for d, size in folders
    ]
    items += [
        {
            "name": f.base,
            "path": f.name,
            "type": "file",
            "size": f.size,
            "mtime": f.mtime,
            "sha256": f.sha256,
            "url": file_url_path(f.name),
        }
        for f in files
    ]
    # A name must not drive a terminal that shows the list (curl) or end a JavaScript line.
    return json_line(items).encode("utf-8")


_CONTROL_IN_TEXT = "[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]"


def shown_name(name: str) -> str:
    """A name as text for people: control characters (a terminal escape, CR, LF), line separators
    and bidirectional overrides become visible escapes like ``\\x1b``; links keep the real name."""
    return re.sub(
        _CONTROL_IN_TEXT,
        lambda m: (
            f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256 else f"\\u{ord(m.group()):04x}"
        ),
        name,
    )


def human_size(size: int) -> str:
    """1536 -> "1.5 KiB"; bytes below 1024 are exact."""
    if size < 1024:
        return f"{size} B"
    value = float(size)
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        value /= 1024
        if value < 1024 or unit == "TiB":
            return f"{value:.1f} {unit}"
    return f"{size} B"  # pragma: no cover - unreachable
