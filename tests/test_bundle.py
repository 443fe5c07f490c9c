"""The PyInstaller bundle: it builds on this platform, and the bundled app starts on its own.

The build (resources/pyinstaller/socket-workbench.spec) goes to a temporary folder; the app then
runs from there with a bare environment and ``SWB_SMOKE_EXIT=1``, which shows the main window,
paints it once, prints "window shown: ..." and quits with status 0.
"""

from __future__ import annotations

import os
import plistlib
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from tests.conftest import WAIT

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "resources" / "pyinstaller" / "socket-workbench.spec"


@pytest.mark.timeout(600)
def test_the_bundle_builds_and_its_app_starts(tmp_path: Path) -> None:
    dist, work = tmp_path / "dist", tmp_path / "build"
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level",
            "WARN",
            "--distpath",
            str(dist),
            "--workpath",
            str(work),
            str(SPEC),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=540,
    )
    assert build.returncode == 0, build.stderr[-4000:]
    folder = dist / "socket-workbench"
    executable = folder / (
        "socket-workbench.exe" if sys.platform == "win32" else "socket-workbench"
    )
    assert executable.is_file()
    bundled = folder / "_internal" / "resources"
    assert (bundled / "translations" / "socket_workbench_zh_CN.qm").is_file()
    assert (bundled / "icons" / "socket-workbench.svg").is_file()
    if sys.platform == "win32":
        assert_windows_resources(executable)
    if sys.platform == "darwin":
        assert_macos_app(dist / "Socket Workbench.app" / "Contents")

    home = tmp_path / "home"
    home.mkdir()
    # Nothing from this venv or checkout: the bundle must carry everything it needs.
    env = {
        "PATH": os.defpath,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "LANG": "zh_CN.UTF-8",
        "QT_QPA_PLATFORM": "offscreen",
        "QT_LOGGING_RULES": "qt.qpa.*=false",
        "SWB_SMOKE_EXIT": "1",
    }
    if sys.platform == "win32":
        env["SYSTEMROOT"] = os.environ.get("SYSTEMROOT", r"C:\Windows")
    run = subprocess.run(
        [str(executable)],
        cwd=home,
        env=env,
        capture_output=True,
        text=True,
        timeout=WAIT * 6,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    # Chinese title: the translations travel with it; the version: so does the package metadata.
    assert f"window shown: Socket 工作台 {metadata.version('socket-workbench')}" in run.stdout
    assert "Traceback" not in run.stderr


def assert_windows_resources(executable: Path) -> None:
    """The .exe carries the icon (RT_ICON, RT_GROUP_ICON) and the version (RT_VERSION)."""
    import pefile  # PyInstaller's own dependency on Windows

    pe = pefile.PE(str(executable), fast_load=False)
    kinds = {entry.id for entry in pe.DIRECTORY_ENTRY_RESOURCE.entries}
    assert {3, 14, 16} <= kinds  # RT_ICON, RT_GROUP_ICON, RT_VERSION
    strings = {
        key.decode(): value.decode()
        for info in pe.FileInfo[0]
        if info.Key == b"StringFileInfo"
        for table in info.StringTable
        for key, value in table.entries.items()
    }
    assert strings["ProductVersion"] == metadata.version("socket-workbench")


def assert_macos_app(contents: Path) -> None:
    """Info.plist with the Local Network text and version, the .icns, the Chinese strings."""
    with (contents / "Info.plist").open("rb") as file:
        plist = plistlib.load(file)
    assert plist["CFBundleIdentifier"] == "org.socketworkbench.SocketWorkbench"
    assert plist["CFBundleShortVersionString"] == metadata.version("socket-workbench")
    assert plist["NSLocalNetworkUsageDescription"]
    assert plist["NSBonjourServices"] == ["_swb._tcp", "_http._tcp"]
    resources = contents / "Resources"
    assert (resources / plist["CFBundleIconFile"]).is_file()
    assert (resources / "zh-Hans.lproj" / "InfoPlist.strings").is_file()
