"""The folder where Socket Workbench keeps its files: the TLS server certificate, the packet library.

A module of its own, apart from :mod:`net.tls`, so that finding the folder loads no TLS or hashing
(the window reads the packet library from it while it starts).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from net._i18n import _
from net.errors import NetError, system_words

__all__ = ["make_private_dir", "user_data_dir"]


def user_data_dir() -> Path:
    """The folder where Socket Workbench keeps its files, created (mode 0700) if needed.

    ``$SWB_DATA_DIR`` when set (tests); else ``$XDG_DATA_HOME/socket-workbench`` or
    ``~/.local/share/socket-workbench`` on Linux and other Unix systems (XDG Base Directory
    Specification), ``~/Library/Application Support/Socket Workbench`` on macOS, and
    ``%APPDATA%\\Socket Workbench`` on Windows.

    Raises:
        NetError: the folder cannot be created.
    """
    override = os.environ.get("SWB_DATA_DIR", "").strip()
    if override:
        path = Path(override).expanduser()
    elif sys.platform == "win32":
        appdata = os.environ.get("APPDATA", "").strip()
        base = Path(appdata) if appdata else Path.home() / "AppData" / "Roaming"
        path = base / "Socket Workbench"
    elif sys.platform == "darwin":
        path = Path.home() / "Library" / "Application Support" / "Socket Workbench"
    else:
        xdg = os.environ.get("XDG_DATA_HOME", "").strip()
        # The XDG spec says to ignore a relative path.
        base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "share"
        path = base / "socket-workbench"
    make_private_dir(path)
    return path


def make_private_dir(path: Path) -> None:
    """Create ``path`` (and its parents) readable by this user only (mode 0700) unless it exists.

    Raises:
        NetError: a file has that name, or the folder cannot be created.
    """
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except FileExistsError:
        raise NetError(
            _("cannot use {path} as a folder: a file has that name").format(path=path)
        ) from None
    except OSError as exc:
        raise NetError(
            _("cannot create the folder {path}: {reason}").format(
                path=path, reason=system_words(exc)
            )
        ) from exc
