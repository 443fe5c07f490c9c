"""What a shared file is served as: its media type (RFC 9110 section 8.3) and character set, whether
a browser may show it inline, and the Content-Disposition that carries its name (RFC 6266).
Pure functions over names and bytes; net.httpfile re-exports them."""

from __future__ import annotations

import codecs
import mimetypes
import re
import urllib.parse

__all__ = [
    "CHARSET_SAMPLE_BYTES",
    "content_disposition",
    "content_type",
    "shown_inline",
    "text_charset",
]


#: Text files that mimetypes does not know on every system; shown in the browser, not downloaded.
_TEXT_SUFFIXES = (".log", ".ini", ".cfg", ".conf", ".toml", ".yaml", ".yml", ".rst", ".nfo")

#: Text types a browser would run, or render as a document that may run script (HTML, XML with an
#: XSLT, JavaScript): these are never shown inline (see :func:`shown_inline`).
_ACTIVE_TEXT = frozenset(
    {
        "text/html",
        "text/xml",
        "text/xsl",
        "text/javascript",
        "text/ecmascript",
        "text/x-javascript",
        "text/jscript",
        "text/x-component",
    }
)
#: Raster images and other types a browser shows inline without running anything; SVG is not one
#: of them (it may carry script), nor is PDF (it may carry JavaScript and forms for the viewer).
_INLINE_TYPES = frozenset(
    {
        "application/json",
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "image/avif",
        "image/bmp",
        "image/x-icon",
        "image/vnd.microsoft.icon",
    }
)
#: Types whose bytes are text in some character set; a charset parameter helps the browser.
_CHARSET_TYPES = frozenset({"application/json"})


def content_type(name: str, sample: bytes | None = None) -> str:
    """The media type for a file name (RFC 9110 §8.3); application/octet-stream when unknown.

    Args:
        name: the display name; only its suffix counts.
        sample: the file's first bytes (see :func:`text_charset`); when given and the type is text,
            the value gets a ``charset`` parameter ("text/plain; charset=utf-8").
    """
    guessed, encoding = mimetypes.guess_type(name, strict=False)
    if guessed is None and name.lower().endswith(_TEXT_SUFFIXES):
        guessed = "text/plain"
    if guessed is None or encoding is not None:
        # "x.tar.gz" is gzip bytes, not a tar stream with Content-Encoding: send it as it is.
        return "application/octet-stream"
    if sample is not None and (guessed.startswith("text/") or guessed in _CHARSET_TYPES):
        charset = text_charset(sample)
        if charset is not None:
            return f"{guessed}; charset={charset}"
    return guessed


#: The first bytes of a file that :func:`text_charset` looks at.
CHARSET_SAMPLE_BYTES = 64 * 1024

_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16le"), (b"\xfe\xff", "utf-16be"))
# One GB18030 character that is not ASCII: four bytes, a GB2312 pair (both bytes A1-FE, where
# everyday Chinese text lives), or another GBK pair.
_GB18030_UNIT = (
    rb"[\x81-\xfe][\x30-\x39][\x81-\xfe][\x30-\x39]|([\xa1-\xfe][\xa1-\xfe])|[\x81-\xfe][\x40-\xfe]"
)


def text_charset(sample: bytes) -> str | None:
    """The character set of a text file judged from its first bytes, or None when unsure.

    * A byte order mark names its encoding (the WHATWG Encoding Standard lets it win anyway).
    * Bytes that are valid UTF-8 (a character cut at the end of the sample is fine): "utf-8".
      ASCII is valid UTF-8.
    * Otherwise bytes that decode as GB18030 and look like Chinese text, not Latin-1 that happens
      to decode (at least 80% of their two-byte characters in the GB2312 range): "gb18030", the
      superset of GBK and GB2312 that every browser decodes.
    * Anything else (Latin-1, Shift_JIS, binary with a text name): None, and the browser guesses.

    Only the sample is judged: a file valid in its first 64 KiB and broken later shows U+FFFD
    where it breaks, which is what a text editor does too.
    """
    for bom, charset in _BOMS:
        if sample.startswith(bom):
            return charset
    if b"\0" in sample:
        return None
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    try:
        codecs.getincrementaldecoder("gb18030")().decode(sample, final=False)
    except UnicodeDecodeError:
        return None
    units = [match.group(1) is not None for match in re.finditer(_GB18030_UNIT, sample)]
    if units and sum(units) >= 0.8 * len(units):
        return "gb18030"
    return None


def shown_inline(media_type: str) -> bool:
    """Whether a browser may show a file of this type in its window (``Content-Disposition:
    inline``) rather than save it (``attachment``).

    Text that is not markup or script, JSON, raster images, audio and video are shown; everything
    else (HTML, SVG, XML, JavaScript, PDF, unknown types) is saved, so that it never runs as a page
    of the share's origin, even in a browser that ignores ``Content-Security-Policy: sandbox``.
    """
    base = media_type.split(";", 1)[0].strip().lower()
    if base.startswith("text/"):
        return base not in _ACTIVE_TEXT
    return base in _INLINE_TYPES or base.startswith(("audio/", "video/"))


# RFC 8187 §3.2.1 attr-char, less what urllib.parse.quote always keeps (letters, digits, "_.-~").
_ATTR_CHAR_EXTRA = "!#$&+^`|"
_NOT_FALLBACK = r'[^\x20-\x7e]+|["\\%]'


def content_disposition(name: str, *, inline: bool) -> str:
    """A ``Content-Disposition`` value that carries the display name (RFC 6266 §4).

    ``filename*`` holds the exact name in UTF-8 (RFC 8187), which browsers and wget use; the
    ``filename`` fallback is printable ASCII for clients that read only that one (curl -OJ):
    each run of other characters, quotes, backslashes and "%" (RFC 6266 appendix D) becomes "_".
    """
    fallback = re.sub(_NOT_FALLBACK, "_", name) or "download"
    encoded = urllib.parse.quote(name, safe=_ATTR_CHAR_EXTRA)
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
