"""``swb put URL FILE...``: upload files to a share that takes uploads (``swb serve --upload-dir``).

The client is :class:`net.upload.FileUpload` (the Download panel sends files with it too). Each file goes as a resumable upload (draft-ietf-httpbis-resumable-upload-05, the protocol
``net.fileserver`` speaks): first ``HEAD`` with ``Upload-Draft-Interop-Version`` asks whether an
earlier, interrupted upload of the name is held and how much of it (``Upload-Offset``); then
``PATCH`` sends the rest from there, or ``PUT`` the whole file, with ``Upload-Complete: ?1`` and the
whole file's ``Repr-Digest: sha-256`` (RFC 9530), which the server checks before it keeps the file.
``Expect: 100-continue`` (RFC 9110 §10.1.1) lets the server refuse (409 name taken, 413 too big,
401 password) before the body is sent. A connection that breaks mid-upload is retried from the
server's offset (``--retries``, default 3); a killed ``swb put`` continues where it stopped the
next time it runs.

The password comes from the URL (``http://:password@host:port/``), ``$SWB_PASSWORD``, or a prompt
on a 401 when stdin is a terminal. Progress is drawn on stderr when it is a terminal; one line per
file goes to stdout: the URL, the size, the SHA-256 and "verified by the server".
A file the server refuses (409 name taken, 413 too big) does not stop the others; a summary
("2 files sent, 1 refused: ...") ends the run. The URL printed is the one the server says it
stored the file at (its ``Location``), since it may rename it ("CON" -> "_CON").
Exit: 0 all stored, 1 a network failure or any refusal, 2 bad input.
"""

from __future__ import annotations

import argparse
import os
import sys

from net._cli_common import client_tls, out, status, stop_on_signals, warn_if_insecure
from net._cli_output import ProgressLine
from net._i18n import _
from net._loop import StoppableLoop
from net.errors import AddressError
from net.share import LocalFileError
from net.upload import FileRefused, FileUpload, UploadStopped, UploadTarget, refused_summary

__all__ = ["put"]

EXIT_OK = 0
EXIT_NETWORK = 1
EXIT_INTERRUPTED = 130


def put(args: argparse.Namespace) -> int:
    """``swb put URL FILE...``: exit 0 when every file was stored, 1 network failure or refusal, 2
    bad input (a file that cannot be read, a URL that is not http(s)://)."""
    target = UploadTarget(args.url, len(args.files))
    for file in args.files:
        if not os.path.isfile(file):
            raise LocalFileError(_("{file} is not a file that can be read").format(file=file))
    tls = client_tls(args, tls=target.tls)
    if tls is not None and not target.tls:
        raise AddressError(_("--insecure, --fingerprint and --cafile are for https:// URLs"))
    warn_if_insecure(tls)
    context = None
    if target.tls:
        from net.tls import ClientTls, client_context

        context = client_context(tls or ClientTls())
    password = target.password or os.environ.get("SWB_PASSWORD") or None
    refused: list[str] = []
    with StoppableLoop() as stopper, stop_on_signals(stopper):
        for file in args.files:
            line = ProgressLine() if not args.quiet and sys.stderr.isatty() else None
            upload = FileUpload(
                target,
                file,
                context,
                idle_timeout=args.idle_timeout,
                password=password,
                stopper=stopper,
                on_progress=line.update if line else None,
                ask_password=_ask_password if sys.stdin.isatty() else None,
            )
            try:
                digest = upload.run(retries=args.retries)
            except FileRefused as exc:
                # One refusal (a name taken) does not stop the other files.
                status(f"swb: {exc}")
                refused.append(str(exc))
                password = upload.password
                continue
            except UploadStopped:
                if line:
                    line.clear()
                status(_("swb: stopped; run the same swb put again to continue where it stopped"))
                return EXIT_INTERRUPTED
            finally:
                if line:
                    line.clear()
            password = upload.password
            out(
                _("{url}  {size:,} bytes  sha256 {digest}  verified by the server").format(
                    url=upload.url, size=upload.size, digest=digest
                )
            )
    if refused:
        if len(args.files) > 1:
            status(f"swb: {refused_summary(len(args.files) - len(refused), refused)}")
        return EXIT_NETWORK
    return EXIT_OK


def _ask_password() -> str | None:
    import getpass

    try:
        return getpass.getpass(_("Password for the share: ")) or None
    except EOFError:
        return None
