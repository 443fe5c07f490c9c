"""What the bundles for Windows and macOS carry, checked on Linux, and the hosted CI workflow.

PyInstaller cannot cross-build, so the spec is run here as PyInstaller runs it, with
``sys.platform`` set to each system and the build steps (Analysis, EXE, COLLECT, BUNDLE) recording
what they are handed; tests/test_bundle.py builds and starts the real bundle for this platform.
"""

from __future__ import annotations

import importlib
import plistlib
import re
import shlex
import sys
import tomllib
import types
from importlib import metadata
from pathlib import Path
from typing import Any

import PyInstaller.compat
import PyInstaller.utils.hooks  # imported with the real sys.platform (see run_spec)
import pytest
import yaml
from PIL import Image

from resources import bundle, make_icons

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "resources" / "pyinstaller" / "socket-workbench.spec"
WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
VERSION = metadata.version("socket-workbench")
HOSTED_MARKERS = "not posix_only and not interop"


# ---- macOS Info.plist ---------------------------------------------------------------------------


def test_the_info_plist_parses_and_asks_for_the_local_network(tmp_path: Path) -> None:
    plist_path, strings_path = bundle.write(tmp_path)
    with plist_path.open("rb") as file:
        plist = plistlib.load(file)
    assert plist["CFBundleIdentifier"] == "org.socketworkbench.SocketWorkbench"
    assert plist["CFBundleShortVersionString"] == plist["CFBundleVersion"] == VERSION
    assert plist["CFBundleName"] == "Socket Workbench"
    assert "local network" in plist["NSLocalNetworkUsageDescription"]
    assert plist["NSBonjourServices"] == ["_swb._tcp", "_http._tcp"]
    assert plist["NSHighResolutionCapable"] is True
    assert re.fullmatch(r"\d+\.\d+", plist["LSMinimumSystemVersion"])
    # The prompt in Chinese, from zh-Hans.lproj/InfoPlist.strings.
    assert strings_path.parent.name == "zh-Hans.lproj"
    with strings_path.open("rb") as file:
        strings = plistlib.load(file)
    assert strings["CFBundleDisplayName"] == "Socket 工作台"
    assert "本地网络" in strings["NSLocalNetworkUsageDescription"]
    assert set(strings) <= set(plist)  # only keys the plist has can be translated


# ---- icons --------------------------------------------------------------------------------------

ICO_SIZES = [(s, s) for s in (16, 24, 32, 48, 64, 128, 256)]


def assert_icons(ico: Path, icns: Path) -> None:
    with Image.open(ico) as image:
        assert image.format == "ICO"
        assert sorted(image.info["sizes"]) == ICO_SIZES
        for size in ICO_SIZES:
            image.size = size
            frame = image.convert("RGBA")
            assert frame.size == size
            # Drawn, not empty: some pixels are opaque and some transparent (the round corners).
            alpha = frame.getchannel("A").getextrema()
            assert alpha == (0, 255), (size, alpha)
    with Image.open(icns) as image:
        assert image.format == "ICNS"
        # 16 px @2x up to 512 px @2x (1024 px): Finder, the Dock and Retina screens.
        assert {(16, 16, 2), (32, 32, 2), (128, 128, 1), (256, 256, 1), (512, 512, 2)} <= set(
            image.info["sizes"]
        )
        image.load()
        assert image.size == (1024, 1024)


def test_the_committed_ico_and_icns_hold_every_size() -> None:
    assert_icons(make_icons.ICO, make_icons.ICNS)


def test_make_icons_renders_both_from_the_svg(
    qapp: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(make_icons, "ICONS", tmp_path)
    monkeypatch.setattr(make_icons, "ICO", tmp_path / "app.ico")
    monkeypatch.setattr(make_icons, "ICNS", tmp_path / "app.icns")
    assert make_icons.main() == 0
    assert_icons(tmp_path / "app.ico", tmp_path / "app.icns")
    for size in make_icons.SIZES:
        with Image.open(tmp_path / f"socket-workbench-{size}.png") as png:
            assert png.size == (size, size)


# ---- the PyInstaller spec on each system --------------------------------------------------------


def run_spec(platform: str, workpath: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Run the spec as PyInstaller would on ``platform``; return each build step's arguments."""
    steps: dict[str, Any] = {}

    def step(name: str) -> Any:
        def record(*args: Any, **kwargs: Any) -> types.SimpleNamespace:
            steps[name] = types.SimpleNamespace(args=args, kwargs=kwargs)
            return types.SimpleNamespace(
                pure=[], scripts=[], binaries=[], datas=kwargs.get("datas")
            )

        return record

    namespace: dict[str, Any] = {
        "SPECPATH": str(SPEC.parent),
        "workpath": str(workpath),
        **{name: step(name) for name in ("Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE")},
    }
    monkeypatch.setattr(sys, "platform", platform)
    monkeypatch.setattr(sys, "path", list(sys.path))  # the spec puts the checkout first
    exec(compile(SPEC.read_text(encoding="utf-8"), str(SPEC), "exec"), namespace)
    return steps


def test_the_windows_exe_gets_the_ico_and_a_version_resource(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    steps = run_spec("win32", tmp_path, monkeypatch)
    exe = steps["EXE"].kwargs
    assert Path(exe["icon"]) == make_icons.ICO
    assert exe["console"] is False
    version = Path(exe["version"]).read_text(encoding="utf-8")
    # PyInstaller evaluates the file with its versioninfo classes and writes their binary form into
    # the .exe: do both here. The module needs Windows-only imports for other functions only.
    if not hasattr(PyInstaller.compat, "win32api"):  # not on Windows
        monkeypatch.setitem(sys.modules, "pefile", types.ModuleType("pefile"))
        monkeypatch.setattr(PyInstaller.compat, "win32api", None, raising=False)
        monkeypatch.delitem(sys.modules, "PyInstaller.utils.win32.versioninfo", raising=False)
    versioninfo = importlib.import_module("PyInstaller.utils.win32.versioninfo")
    info = versioninfo.load_version_info_from_text_file(exe["version"])
    raw = info.toRaw()
    assert "ProductVersion".encode("utf-16-le") in raw
    assert VERSION.encode("utf-16-le") in raw
    assert f"StringStruct('ProductVersion', '{VERSION}')" in version
    numbers = tuple(int(n) for n in VERSION.split(".")[:4])
    assert f"filevers={numbers + (0,) * (4 - len(numbers))}" in version
    assert "BUNDLE" not in steps


def test_the_macos_app_gets_the_icns_and_the_info_plist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    steps = run_spec("darwin", tmp_path, monkeypatch)
    assert Path(steps["EXE"].kwargs["icon"]) == make_icons.ICNS
    app = steps["BUNDLE"].kwargs
    assert app["name"] == "Socket Workbench.app"
    assert Path(app["icon"]) == make_icons.ICNS
    assert app["bundle_identifier"] == bundle.BUNDLE_ID
    assert app["version"] == VERSION
    assert app["info_plist"] == bundle.info_plist()
    assert "NSLocalNetworkUsageDescription" in app["info_plist"]
    datas = steps["Analysis"].kwargs["datas"]
    strings = [Path(source) for source, target in datas if target == "zh-Hans.lproj"]
    assert [path.name for path in strings] == ["InfoPlist.strings"]
    assert strings[0].is_file()


def test_the_linux_build_has_no_bundle_and_ships_the_png_icons(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    steps = run_spec("linux", tmp_path, monkeypatch)
    assert steps["EXE"].kwargs["icon"] is None  # the .desktop entry names the icon
    assert "BUNDLE" not in steps
    datas = dict(steps["Analysis"].kwargs["datas"])
    assert Path(next(s for s, t in datas.items() if t == "resources/icons")) == make_icons.ICONS


def test_every_panel_module_is_bundled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The window imports a panel's module by name when the panel is first shown (issue 22),
    which PyInstaller's import analysis cannot follow: the spec must name each one."""
    from gui.panels import PANELS

    hidden = run_spec("linux", tmp_path, monkeypatch)["Analysis"].kwargs["hiddenimports"]
    assert {entry.cls.partition(":")[0] for entry in PANELS} <= set(hidden)


# ---- the hosted CI workflow ---------------------------------------------------------------------


def readme_test_command() -> list[str]:
    """The command README.md gives for the tests (after `.ci/run`'s explanation)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"```sh\n(\S*python -m pytest[^\n]*)\n```", readme)
    assert commands, "README.md shows no pytest command"
    return shlex.split(commands[0])


def workflow() -> dict[str, Any]:
    loaded = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_the_workflow_runs_three_systems_and_two_pythons() -> None:
    flow = workflow()
    triggers = flow.get("on", flow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert {"push", "pull_request"} <= set(triggers)
    job = flow["jobs"]["test"]
    matrix = job["strategy"]["matrix"]
    assert matrix["os"] == ["ubuntu-latest", "windows-latest", "macos-latest"]
    assert matrix["python"] == ["3.11", "3.12"]
    assert job["strategy"]["fail-fast"] is False
    assert job["env"]["QT_QPA_PLATFORM"] == "offscreen"
    setup = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/setup-"))
    assert setup["with"]["python-version"] == "${{ matrix.python }}"


def test_the_workflow_runs_readmes_test_command_with_the_marker() -> None:
    steps = workflow()["jobs"]["test"]["steps"]
    runs = {step.get("name", ""): (step.get("if", ""), step.get("run", "")) for step in steps}
    # Linux: the local truth, .ci/run, which ends with README's command itself.
    linux = [run for condition, run in runs.values() if condition == "runner.os == 'Linux'"]
    assert len(linux) == 1 and linux[0].endswith("bash .ci/run")
    ci_run = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert ci_run.rstrip().splitlines()[-1] == shlex.join(readme_test_command())
    # Windows and macOS: README's command (interpreter aside) plus the marker, and no other pytest.
    others = [run for condition, run in runs.values() if condition == "runner.os != 'Linux'"]
    pytest_lines = [line for run in others for line in run.splitlines() if "pytest" in line]
    assert len(pytest_lines) == 1
    command = shlex.split(pytest_lines[0])
    assert command[1:] == [*readme_test_command()[1:], "-m", HOSTED_MARKERS]
    assert 'pip install -e ".[test]"' in "\n".join(others)
    # mypy as on every platform, here and in .ci/run.
    for text in ("\n".join(others), ci_run):
        assert "mypy --strict --platform win32 net" in text
        assert "mypy --strict --platform darwin net" in text


def test_the_markers_the_workflow_deselects_are_declared() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    declared = {m.split(":")[0] for m in pyproject["tool"]["pytest"]["ini_options"]["markers"]}
    assert set(re.findall(r"not (\w+)", HOSTED_MARKERS)) <= declared
