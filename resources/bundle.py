"""What the desktop bundles say about the app: the macOS Info.plist, its Chinese strings, and the
bundle id. resources/pyinstaller/socket-workbench.spec reads it; `python -m resources.bundle DIR`
writes Info.plist and zh-Hans.lproj/InfoPlist.strings into DIR to look at them.

Keys: Apple's "Information Property List" reference. macOS 15 asks the user before an app talks to
the local network and silently denies LAN traffic to an app without NSLocalNetworkUsageDescription
(Apple TN3179); NSBonjourServices names the DNS-SD service types it may browse or advertise.
"""

from __future__ import annotations

import plistlib
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

DISTRIBUTION = "socket-workbench"
APP_NAME = "Socket Workbench"
#: Reverse-DNS id of the macOS bundle; keeps macOS's per-app permissions (Local Network) stable.
BUNDLE_ID = "org.socketworkbench.SocketWorkbench"
#: Service types for peer discovery (our own) and for HTTP shares (what browsers look for).
BONJOUR_SERVICES = ["_swb._tcp", "_http._tcp"]
LOCAL_NETWORK_USAGE = {
    "en": (
        "Socket Workbench sends and receives UDP and TCP on your local network, shares files "
        "with devices near you and finds other Socket Workbench peers."
    ),
    "zh-Hans": "Socket 工作台要在本地网络上收发 UDP 和 TCP 数据、与附近的设备共享文件，并发现其他 Socket 工作台。",
}
#: Qt 6.8, the oldest PySide6 the project allows, supports macOS 12 and newer.
MINIMUM_MACOS = "12.0"


def version() -> str:
    """The installed package's version (pyproject.toml's, as pip recorded it)."""
    return metadata.version(DISTRIBUTION)


def info_plist() -> dict[str, Any]:
    """The keys PyInstaller's BUNDLE adds to the Info.plist it writes for the .app."""
    return {
        "CFBundleName": APP_NAME,
        "CFBundleDisplayName": APP_NAME,
        "CFBundleIdentifier": BUNDLE_ID,
        "CFBundleShortVersionString": version(),
        "CFBundleVersion": version(),
        "CFBundleDevelopmentRegion": "en",
        "CFBundleLocalizations": ["en", "zh-Hans"],
        "LSApplicationCategoryType": "public.app-category.developer-tools",
        "LSMinimumSystemVersion": MINIMUM_MACOS,
        "NSHighResolutionCapable": True,
        "NSRequiresAquaSystemAppearance": False,  # follow the system's dark mode
        "NSLocalNetworkUsageDescription": LOCAL_NETWORK_USAGE["en"],
        "NSBonjourServices": BONJOUR_SERVICES,
    }


def localized_strings(language: str) -> dict[str, str]:
    """InfoPlist.strings for ``language``: the Info.plist texts macOS shows in that language."""
    return {
        "CFBundleDisplayName": "Socket 工作台" if language == "zh-Hans" else APP_NAME,
        "NSLocalNetworkUsageDescription": LOCAL_NETWORK_USAGE[language],
    }


def write(folder: Path) -> list[Path]:
    """Write Info.plist (with :func:`info_plist`'s keys) and zh-Hans.lproj/InfoPlist.strings
    (an XML property list, a form macOS reads for .strings) into ``folder``; return the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    plist = folder / "Info.plist"
    plist.write_bytes(plistlib.dumps(info_plist()))
    lproj = folder / "zh-Hans.lproj"
    lproj.mkdir(exist_ok=True)
    strings = lproj / "InfoPlist.strings"
    strings.write_bytes(plistlib.dumps(localized_strings("zh-Hans")))
    return [plist, strings]


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: python -m resources.bundle FOLDER", file=sys.stderr)
        sys.exit(2)
    for path in write(Path(sys.argv[1])):
        print(path)
