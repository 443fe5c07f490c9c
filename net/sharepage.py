"""The share's pages for browsers: the HTML index, its words in English and Simplified Chinese, the
favicon, the security headers of every page and file, and the hint for plain HTTP on a TLS port.
The page's fixed parts (its words, style sheet and script) are in net._sharepage_assets.

Security model (issue 23): the share's origin never runs what it serves. A file answer carries
``Content-Security-Policy: sandbox`` (an opaque origin and no script, CSP Level 3 §6.3.2),
``X-Content-Type-Options: nosniff``, and types a browser may run (HTML, SVG, XML, JavaScript, PDF,
unknown ones) go out as ``attachment``, so a browser saves them instead of showing them. The only
script that ever runs on the origin is the index's own inline script, allowed by its SHA-256 in a
``default-src 'none'`` policy. Hence no page of the origin can register a service worker (the
register call needs script on the origin; a sandboxed document's origin is opaque), the server never
sends ``Service-Worker-Allowed``, and a request that fetches a worker script (``Service-Worker:
script``, Service Workers §4.6) is refused. ``Clear-Site-Data`` is not sent: there is nothing of
ours to clear, and a worker left by another program on the same host:port answers the page itself,
so the header would never reach the browser from there.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import functools
import html
import importlib.resources
import os
import re
import shlex
import struct
import sys
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal

from net._sharepage_assets import SCRIPT, STYLE, WORDS, Language
from net.httpfile import (
    CHARSET_SAMPLE_BYTES,
    content_disposition,
    content_type,
    file_url_path,
    human_size,
    shown_inline,
    shown_name,
)

if TYPE_CHECKING:
    from net.share import SharedFile, SharedFolder

__all__ = [
    "FILE_CSP",
    "LOCKED_CSP",
    "SCRIPT",
    "STYLE",
    "WORDS",
    "Language",
    "choose_language",
    "favicon",
    "file_headers",
    "https_hint",
    "index_csp",
    "page_headers",
    "page_origin",
    "render_index",
]

_LANGUAGE_RANGE = re.compile(
    r"\s*([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)\s*(?:;\s*q\s*=\s*([0-9.]{1,5}))?\s*"
)


def choose_language(accept_language: str | None) -> Language:
    """The page language for an ``Accept-Language`` value (RFC 9110 §12.5.4, RFC 4647 lookup).

    The range with the highest weight that names Chinese ("zh", "zh-CN", "zh-Hans", also "zh-TW":
    Simplified is closer for those readers than English) or English wins; ties go to the earlier
    one; anything else, or no header, gives English.
    """
    best: tuple[float, int, Language] | None = None
    for position, item in enumerate((accept_language or "").split(",")[:50]):
        match = _LANGUAGE_RANGE.fullmatch(item)
        if not match:
            continue
        tag, weight_text = match.group(1).lower(), match.group(2)
        try:
            weight = float(weight_text) if weight_text is not None else 1.0
        except ValueError:
            continue
        if weight <= 0 or weight > 1:
            continue
        primary = tag.split("-", 1)[0]
        language: Language | None = (
            "zh_CN" if primary == "zh" else "en" if primary in ("en", "*") else None
        )
        if language is not None and (best is None or (weight, -position) > best[:2]):
            best = (weight, -position, language)
    return best[2] if best else "en"


# ---- the index ---------------------------------------------------------------------------------


def _source_hash(text: str) -> str:
    """A CSP hash-source for an inline element's text (CSP Level 3 §2.3.1)."""
    import hashlib  # here: importing the module (the GUI's start) computes no hash

    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


@functools.cache
def index_csp(uploads: bool = False) -> str:
    """The index's Content-Security-Policy: its own style and script by hash (computed on first
    use), JSON polls to itself, the favicon; no framing. With ``uploads`` the upload form may
    post to the share itself, nowhere else."""
    form_action = "'self'" if uploads else "'none'"
    return (
        f"default-src 'none'; script-src {_source_hash(SCRIPT)}; style-src {_source_hash(STYLE)}; "
        "img-src 'self'; connect-src 'self'; base-uri 'none'; "
        f"form-action {form_action}; frame-ancestors 'none'"
    )


#: JSON, plain-text answers and errors: nothing loads, nothing runs, nothing frames them.
LOCKED_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox"
#: Every shared file: an opaque origin with no script (CSP Level 3 §6.3.2, HTML "sandboxing").
FILE_CSP = "sandbox"


def page_headers(
    kind: Literal["index", "locked"], *, uploads: bool = False
) -> list[tuple[str, str]]:
    """Headers for the server's own answers: the index (``uploads``: with its upload form), or
    the JSON list and plain-text pages.

    The share's URLs are often private, so no Referer leaves the pages; the index depends on the
    browser's language (RFC 9110 §12.5.5 Vary).
    """
    headers = [
        (
            "Content-Security-Policy",
            index_csp(uploads) if kind == "index" else LOCKED_CSP,
        ),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "no-referrer"),
    ]
    if kind == "index":
        headers.append(("Vary", "Accept-Language"))
    return headers


def _local_time(mtime: float) -> datetime.datetime:
    try:
        return datetime.datetime.fromtimestamp(mtime).astimezone()
    except (OverflowError, OSError, ValueError):
        return datetime.datetime.fromtimestamp(0, datetime.UTC)


def _command_lines(files: list[SharedFile], origin: str) -> tuple[str, str]:
    """curl lines (one a file, saved under its name) and one wget line for every file.

    Names are quoted for a POSIX shell; a name with control characters is not put on a command
    line at all (curl then takes it from Content-Disposition).
    """
    curl = []
    for f in files:
        url = shlex.quote(origin + file_url_path(f.name))
        if shown_name(f.base) == f.base and not f.base.startswith("-"):
            curl.append(f"curl -fo {shlex.quote(f.base)} {url}")
        else:
            curl.append(f"curl -fOJ {url}")
    urls = " ".join(shlex.quote(origin + file_url_path(f.name)) for f in files)
    return "\n".join(curl), f"wget --content-disposition {urls}"


def render_index(
    files: Iterable[SharedFile],
    *,
    language: Language = "en",
    origin: str = "",
    folder: str = "",
    folders: Iterable[tuple[SharedFolder, int, int]] = (),
    uploads: bool = False,
    page: tuple[int, int, int] | None = None,
) -> bytes:
    """The HTML index of a folder (UTF-8): breadcrumbs, its folders first, then its files, each
    sorted by name; every name escaped, every link percent-encoded.

    Args:
        files: the files in the folder.
        language: the page's words ("en" or "zh_CN").
        origin: "http://host:port" as the browser reached the share, for the command lines to
            copy; "" leaves them relative.
        folder: the folder's key ("" = the share's root), for the breadcrumbs and the names shown.
        folders: the folders in it, each with (files, bytes) below it.
        uploads: show the upload form (several files, a multipart POST to "/"; with script, an
            upload progress bar); serve it with ``page_headers("index", uploads=True)``.
        page: (page from 1, entries per page, entries in the whole folder) when the folders and
            files given are one page of a longer folder: the page then links to the previous and
            next pages (``?page=N&per_page=M``), and its JSON link to the same page of the list.
    Sizes are in binary units with the exact byte count on hover; dates are ``<time datetime>``
    in ISO 8601 with the server's UTC offset, which the page's script shows in the browser's zone.
    The page works without script too (everything but sorting, filtering, copying and the live
    update of digests still being computed).
    """
    words = WORDS[language]
    shown = sorted(files, key=lambda f: (f.name.casefold(), f.name))
    esc = html.escape
    skip = len(folder) + 1 if folder else 0  # names are shown relative to the folder
    rows = []
    for d, count, size in sorted(folders, key=lambda item: (item[0].name.casefold(), item[0].name)):
        when = _local_time(d.mtime)
        link = esc(file_url_path(d.name, folder=True))
        rows.append(
            f'<tr class="folder" data-kind="folder" data-name="{esc(shown_name(d.name[skip:]))}" '
            f'data-size="{size}" data-mtime="{d.mtime!r}" data-url="{link}">'
            f'<td class="name"><a href="{link}">{esc(shown_name(d.name[skip:]))}/</a></td>'
            f'<td class="size" title="{esc(words["bytes"].format(count=f"{size:,}"))}">'
            f"{esc(human_size(size)).replace(' ', '&nbsp;')}</td>"
            f'<td class="date"><time datetime="{when.isoformat(timespec="seconds")}">'
            f"{when.strftime('%Y-%m-%d %H:%M')}</time></td>"
            f'<td class="digest">{esc(words["folder_files"].format(count=f"{count:,}"))}</td>'
            "</tr>"
        )
    for f in shown:
        when = _local_time(f.mtime)
        if f.sha256:
            digest = (
                f'<details><summary title="{esc(words["show_digest"])}">'
                f"<code>{f.sha256[:12]}…</code></summary>"
                f'<code class="full">{f.sha256}</code></details>'
            )
        else:
            digest = f'<span class="pending">{esc(words["computing"])}</span>'
        rows.append(
            f'<tr data-kind="file" data-name="{esc(shown_name(f.name[skip:]))}" '
            f'data-size="{f.size}" data-mtime="{f.mtime!r}" '
            f'data-url="{esc(file_url_path(f.name))}">'
            f'<td class="name"><a href="{esc(file_url_path(f.name))}">'
            f"{esc(shown_name(f.name[skip:]))}</a></td>"
            f'<td class="size" title="{esc(words["bytes"].format(count=f"{f.size:,}"))}">'
            f"{esc(human_size(f.size)).replace(' ', '&nbsp;')}</td>"
            f'<td class="date"><time datetime="{when.isoformat(timespec="seconds")}">'
            f"{when.strftime('%Y-%m-%d %H:%M')} {when.strftime('%z')[:3]}:{when.strftime('%z')[3:]}"
            "</time></td>"
            f'<td class="digest">{digest}</td>'
            "</tr>"
        )
    total = sum(f.size for f in shown)
    size_text = human_size(total)
    summary = (
        words["one_file"].format(size=size_text)
        if len(shown) == 1
        else words["files"].format(count=len(shown), size=size_text)
    )
    if rows:
        listing = f"""<input id="filter" type="search" placeholder="{esc(words["filter"])}" \
aria-label="{esc(words["filter"])}" autocomplete="off">
<table id="files"><thead><tr>
<th class="name" data-key="name" aria-sort="ascending"><button type="button" data-key="name">\
{esc(words["name"])}</button></th>
<th class="size" data-key="size"><button type="button" data-key="size">{esc(words["size"])}</button></th>
<th class="date" data-key="mtime"><button type="button" data-key="mtime">\
{esc(words["modified"])}</button></th>
<th class="digest">{esc(words["digest"])}</th>
</tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table>
<p id="no-match" hidden>{esc(words["no_match"])}</p>
{_cli_block(shown, origin, words) if shown else ""}"""
    else:
        listing = f'<p class="empty">{esc(words["empty"])}</p>'
    query = ""
    pager = ""
    if page is not None:
        number, per_page, count = page
        query = f"&amp;page={number}&amp;per_page={per_page}"
        first = (number - 1) * per_page + 1
        last = min(number * per_page, count)
        links = [
            esc(words["entries"].format(first=f"{first:,}", last=f"{last:,}", total=f"{count:,}"))
            if first <= last
            else ""
        ]
        if number > 1:
            links.append(
                f'<a rel="prev" href="?page={number - 1}&amp;per_page={per_page}">'
                f"{esc(words['previous'])}</a>"
            )
        if number * per_page < count:
            links.append(
                f'<a rel="next" href="?page={number + 1}&amp;per_page={per_page}">'
                f"{esc(words['next'])}</a>"
            )
        pager = f'<nav class="pages">{" · ".join(x for x in links if x)}</nav>\n'
    lang = "zh-CN" if language == "zh_CN" else "en"
    form = ""
    if uploads:
        form = f"""<form id="upload" method="post" action="/" enctype="multipart/form-data">
<h2>{esc(words["upload_title"])}</h2>
<input type="file" name="file" multiple required aria-label="{esc(words["upload_title"])}">
<button type="submit">{esc(words["upload"])}</button>
<progress max="1" value="0" hidden></progress> <span id="upload-status" role="status"></span>
</form>
"""
    document = f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>{esc(words["title"])}</title>
<style>{STYLE}</style></head>
<body data-copied="{esc(words["copied"])}" data-show-digest="{esc(words["show_digest"])}" \
data-upload-failed="{esc(words["upload_failed"])}">
{_breadcrumbs(folder, words["home"])}<h1>{esc(shown_name(folder.rpartition("/")[2]) if folder else words["title"])}</h1>
<p class="totals" title="{esc(words["bytes"].format(count=f"{total:,}"))}">{esc(summary)}</p>
{form}{pager}{listing}
{pager}<footer><a id="json-list" href="?format=json{query}">{esc(words["json"])}</a> · \
<a href="?format=zip" download>{esc(words["zip"])}</a></footer>
<script>{SCRIPT}</script>
</body></html>
"""
    return document.encode("utf-8")


def _cli_block(files: list[SharedFile], origin: str, words: dict[str, str]) -> str:
    """The folded command lines that download the files of this page."""
    esc = html.escape
    curl, wget = _command_lines(files, origin)
    return f"""<details class="cli"><summary><h2>{esc(words["terminal"])}</h2></summary>
<p>{esc(words["curl_note"])}</p>
<div class="cmd"><pre id="curl">{esc(curl)}</pre>\
<button type="button" class="copy" data-target="curl">{esc(words["copy"])}</button></div>
<p>{esc(words["wget_note"])}</p>
<div class="cmd"><pre id="wget">{esc(wget)}</pre>\
<button type="button" class="copy" data-target="wget">{esc(words["copy"])}</button></div>
</details>"""


def _breadcrumbs(folder: str, home: str) -> str:
    """Links to the root and to each folder above ``folder`` ("" when it is the root)."""
    if not folder:
        return ""
    esc = html.escape
    parts = folder.split("/")
    links = [f'<a href="/">{esc(home)}</a>']
    for depth in range(1, len(parts)):
        key = "/".join(parts[:depth])
        links.append(
            f'<a href="{esc(file_url_path(key, folder=True))}">{esc(shown_name(parts[depth - 1]))}</a>'
        )
    links.append(f'<span aria-current="page">{esc(shown_name(parts[-1]))}</span>')
    return '<nav class="crumbs">' + " / ".join(links) + "</nav>\n"


_HOST = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?"
)


def page_origin(host: bytes | None, local: tuple[object, ...] | str, *, tls: bool) -> str:
    """ "http(s)://host:port" for the command lines on the index.

    ``host`` is the request's Host header (RFC 9110 §7.2), used when it is a plain host name or
    address with an optional port; otherwise the address the client connected to (``local``, as
    ``getsockname()`` gives it) stands in.
    """
    scheme = "https" if tls else "http"
    text = host.decode("ascii", "replace").strip() if host else ""
    if _HOST.fullmatch(text):
        return f"{scheme}://{text}"
    if isinstance(local, tuple) and len(local) >= 2:
        address = str(local[0])
        if address.startswith("::ffff:") and "." in address:
            address = address[7:]
        shown = f"[{address}]" if ":" in address else address
        return f"{scheme}://{shown}:{local[1]}"
    return ""


# ---- files -------------------------------------------------------------------------------------

_charsets: dict[tuple[str, int, int], str] = {}
_charsets_lock = threading.Lock()
_CHARSET_CACHE_LIMIT = 4096


def _read_start(fd: int, count: int) -> bytes:
    """The first ``count`` bytes of an open file (fewer when it is shorter)."""
    if sys.platform == "win32":  # pragma: no cover - Windows has no pread
        os.lseek(fd, 0, os.SEEK_SET)
        return os.read(fd, count)
    return os.pread(fd, count, 0)


def file_headers(entry: SharedFile, fd: int, size: int, mtime_ns: int) -> list[tuple[str, str]]:
    """Content-Type (with a charset for text, see :func:`net.httpfile.text_charset`),
    Content-Disposition (RFC 6266) and Content-Security-Policy for a shared file.

    ``fd`` is the open file; for text types its first 64 KiB are read once per (path, size,
    mtime) and the verdict is kept. When that read fails the type goes out without a charset
    (the body's own read then reports the failure).
    """
    media = content_type(entry.base)
    if media.startswith("text/") or media == "application/json":
        key = (str(entry.path), size, mtime_ns)
        with _charsets_lock:
            cached = _charsets.get(key)
        if cached is None:
            try:
                sample = _read_start(fd, CHARSET_SAMPLE_BYTES)
            except OSError:
                sample = None
            cached = content_type(entry.base, sample)
            if sample is not None:
                with _charsets_lock:
                    if len(_charsets) >= _CHARSET_CACHE_LIMIT:
                        _charsets.clear()
                    _charsets[key] = cached
        media = cached
    return [
        ("Content-Type", media),
        # The file's own name: a key's folders ("photos/2024/") are no part of a file name.
        ("Content-Disposition", content_disposition(entry.base, inline=shown_inline(media))),
        ("Content-Security-Policy", FILE_CSP),
    ]


# ---- favicon and the hint for plain HTTP on a TLS port -----------------------------------------


@functools.cache
def favicon() -> bytes | None:
    """The app's icon as an ICO file (PNG images of 16, 32 and 48 px, the format browsers take
    for /favicon.ico); None when the icons are not installed."""
    images = []
    with contextlib.suppress(OSError, ModuleNotFoundError):
        icons = importlib.resources.files("resources") / "icons"
        images = [(px, (icons / f"socket-workbench-{px}.png").read_bytes()) for px in (16, 32, 48)]
    if not images:
        return None
    head = struct.pack("<HHH", 0, 1, len(images))
    offset = len(head) + 16 * len(images)
    directory = b""
    for px, data in images:
        directory += struct.pack("<BBBBHHII", px, px, 0, 0, 1, 32, len(data), offset)
        offset += len(data)
    return head + directory + b"".join(data for _px, data in images)


_HOST_HEADER = re.compile(rb"\r?\nhost:[ \t]*([^\r\n]{1,300})", re.IGNORECASE)


def https_hint(received: bytes, local: tuple[object, ...] | str) -> tuple[str, bytes]:
    """The URL to use and a short HTML page (UTF-8) for a plain HTTP request on a TLS port.

    ``received`` is what is left of the request after the TLS library gave up on it (it eats the
    first bytes); the Host header in it, when there, names the host, else the local address.
    """
    found = _HOST_HEADER.search(received)
    url = page_origin(found.group(1) if found else None, local, tls=True) + "/"
    link = html.escape(url)
    body = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Use https://</title></head><body>
<p>This port speaks HTTPS only. Open <a href="{link}">{link}</a> instead.</p>
<p lang="zh-CN">这个端口只接受 HTTPS，请改用 <a href="{link}">{link}</a>。</p>
</body></html>
"""
    return url, body.encode("utf-8")
