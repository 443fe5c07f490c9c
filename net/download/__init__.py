"""The download client: HTTP (resumable, verified) and the classic raw dialect, into a folder.

A download is written to ``<name>.part``, synced to disk, and renamed to ``<name>`` only when it is
complete and, when the server announced a checksum (``Repr-Digest``), verified. An interrupted
download leaves the ``.part``; the next attempt resumes it with ``Range`` + ``If-Range``, using the
validator (ETag or Last-Modified) stored for the ``.part``. A failed check
deletes the ``.part``: nothing that looks complete is kept.

HTTP heads are parsed by h11. A body framed by Content-Length (or by the end of the connection) is
then read straight from the socket into a large buffer, so the per-chunk cost stays small; chunked
bodies go through h11. Redirects are reported, not followed.

The package is split by concept: :mod:`net.download.urls` (share URLs, safe file names),
:mod:`net.download.listing` (a share's file list), :mod:`net.download.exchange` (connecting and
reading a response head), :mod:`net.download.judge` (whether an answer may be kept, pure),
:mod:`net.download.resume` (resume state of a ``.part``),
:mod:`net.download.files` (the ``.part``, hashing, verifying and renaming),
:mod:`net.download.part` (what becomes of one download's ``.part``),
:mod:`net.download.body` (receiving a body into it, within the limits) and
:mod:`net.download.fetch` (one download). The public names are re-exported here.
"""

from __future__ import annotations

from net.download.exchange import TransferCancelled
from net.download.fetch import Download, resumable_part
from net.download.listing import FileListRequest, RemoteFile, list_remote_files, parse_list
from net.download.urls import ShareUrl, parse_share_url, safe_file_name, with_password

__all__ = [
    "Download",
    "FileListRequest",
    "RemoteFile",
    "ShareUrl",
    "TransferCancelled",
    "list_remote_files",
    "parse_share_url",
    "resumable_part",
    "safe_file_name",
    "with_password",
]

_parse_list = parse_list  # the name tests/net/test_fuzz.py imports
