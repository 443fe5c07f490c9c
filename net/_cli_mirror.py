"""``swb get --recursive URL -o DIR``: mirror a share or one of its folders (net.mirror).

stdout: one line per file downloaded or failed ("downloaded photos/a.jpg  1,234 bytes"), then the
summary "N downloaded, M up to date, K failed"; reasons for failures also go to stderr. Exit 0 when
nothing failed, 1 when a file or the server failed, 2 for bad input, 130 when stopped (SIGINT,
SIGTERM); a run stopped half-way finishes the rest when run again.
"""

from __future__ import annotations

import argparse

from net._cli_common import client_tls, out, status, stop_on_signals, warn_if_insecure
from net._i18n import _
from net.download import TransferCancelled
from net.httpfile import shown_name
from net.mirror import Mirror, MirrorFile

__all__ = ["mirror"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


def mirror(args: argparse.Namespace) -> int:
    """Run the mirror named by the parsed ``swb get`` arguments (``url``, ``output``, ``jobs``,
    ``timeout``, ``quiet`` and the TLS client options). Raises what net.cli turns into exit
    codes: AddressError and LocalFileError (2), other NetErrors (1)."""
    text = args.url.strip()
    if getattr(args, "raw", False):
        status(
            _("swb: --recursive needs http:// or https://: the classic raw protocol has no lists")
        )
        return EXIT_BAD_INPUT
    secure = text[:8].lower() == "https://"
    tls = client_tls(args, tls=secure)
    if tls is not None and not secure:
        status(_("swb: --insecure, --fingerprint and --cafile are for https:// URLs"))
        return EXIT_BAD_INPUT
    warn_if_insecure(tls)
    quiet = bool(getattr(args, "quiet", False))

    def show(result: MirrorFile) -> None:
        path = shown_name(result.path)
        if result.outcome == "downloaded" and not quiet:
            checked = _("verified") if result.verified else _("not verified")
            out(
                _("downloaded {path}  {size:,} bytes  {checked}").format(
                    path=path, size=result.size, checked=checked
                )
            )
        elif result.outcome == "failed":
            out(_("failed {path}").format(path=path))
            status(f"swb: {path}: {shown_name(result.reason)}")

    job = Mirror(
        text,
        args.output,
        tls=tls,
        # --idle-timeout: connecting and each wait; a whole mirror has no overall time limit.
        timeout=getattr(args, "idle_timeout", None) or 30.0,
        jobs=getattr(args, "jobs", 4),
        on_file=show,
    )
    try:
        with job, stop_on_signals(job):
            result = job.run()
    except TransferCancelled as exc:
        status(f"swb: {exc}")
        return EXIT_INTERRUPTED
    out(result.summary())
    return EXIT_FAILED if result.failed else EXIT_OK
