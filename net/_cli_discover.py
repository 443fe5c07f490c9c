"""``swb discover``: list the shares that announce themselves on the local network (mDNS, DNS-SD).

One line per share on stdout as it is found (name, URLs, TLS with the fingerprint to pin, raw), or
with --json one object per line; "no servers found" on stderr (stdout stays parseable) when the
time ran out with none.
Exit 0 either way; 1 when multicast DNS cannot be used; 2 for bad input (net.cli).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys

from net._cli_common import out
from net._i18n import _
from net.codec import json_line
from net.discovery import FoundServer, ServerBrowser

__all__ = ["describe", "discover"]

EXIT_OK = 0


def describe(server: FoundServer) -> str:
    """One line for a found share: ``name  url [url...]  TLS fingerprint FP | plain  raw``."""
    tls = (
        _("TLS, fingerprint {fingerprint}").format(fingerprint=server.fingerprint)
        if server.tls
        else _("plain HTTP")
    )
    raw = _("classic raw too") if server.raw else _("HTTP only")
    return f"{server.name}  {' '.join(server.urls)}  {tls}  {raw}"


def discover(args: argparse.Namespace) -> int:
    """``swb discover [--timeout SECONDS] [--json]``: browse ``_swb._tcp`` for the timeout."""
    found = 0

    def on_found(server: FoundServer) -> None:
        nonlocal found
        found += 1
        if args.json:
            out(json_line({**dataclasses.asdict(server), "urls": list(server.urls)}))
        else:
            out(describe(server))

    # Ctrl-C raises KeyboardInterrupt out of the wait (exit 130); run() closes zeroconf on the way.
    ServerBrowser(on_found).run(args.timeout)  # BindError: exit 1 (net.cli)
    if not found:
        sys.stderr.write(_("no servers found\n"))
        sys.stderr.flush()
    return EXIT_OK
