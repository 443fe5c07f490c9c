"""net's sentences in the user's language (issue 15 item 1): one gettext catalogue for GUI and CLI.

When a test here fails after net/ changed, run ``python -m resources.net_messages``, translate
what it lists in net/locale/zh_CN/LC_MESSAGES/swb.po, and run it again (see that module).
"""

from __future__ import annotations

import ast
import gettext
import os
import re
import socket
import string
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from net import _i18n
from net.address import parse_port
from net.errors import AddressError
from resources import net_messages
from tests import simulate
from tests.conftest import WAIT

ROOT = Path(__file__).resolve().parent.parent.parent
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")  # ideographs, CJK punctuation


@pytest.fixture
def chinese() -> Iterator[None]:
    """net speaks zh_CN for one test, then the environment's language again."""
    assert _i18n.set_language("zh_CN") == "zh_CN"
    try:
        yield
    finally:
        _i18n.set_language(None)


# -- the catalogue -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def committed() -> dict[str | tuple[str, ...], str | tuple[str, ...]]:
    """The zh_CN .po as committed: message id -> translation."""
    catalogue = net_messages.read_catalogue(net_messages.po_path("zh_CN"))
    return {message.id: message.string for message in catalogue if message.id}


def _translated(text: str | tuple[str, ...] | None) -> bool:
    return bool(text) and all(text if isinstance(text, tuple) else (text,))


def test_every_marked_message_has_its_zh_cn_text(
    committed: dict[str | tuple[str, ...], str | tuple[str, ...]],
) -> None:
    """A message marked in net/ fails here until swb.po translates it."""
    extracted = [message.id for message in net_messages.extract() if message.id]
    assert len(extracted) > 500  # the extractor really walked net/
    missing = [message for message in extracted if not _translated(committed.get(message))]
    assert not missing, (
        f"{len(missing)} message(s) of net/ lack zh_CN: run `python -m resources.net_messages` "
        "and translate them in net/locale/zh_CN/LC_MESSAGES/swb.po:\n"
        + "\n".join(f"  {m!r}" for m in missing[:30])
    )


def test_the_committed_catalogue_holds_no_vanished_message(
    committed: dict[str | tuple[str, ...], str | tuple[str, ...]],
) -> None:
    extracted = {message.id for message in net_messages.extract() if message.id}
    vanished = set(committed) - extracted
    assert not vanished, "run `python -m resources.net_messages`: " + repr(sorted(vanished)[:10])


def test_the_compiled_mo_says_what_the_po_says(
    committed: dict[str | tuple[str, ...], str | tuple[str, ...]],
) -> None:
    """A .po edited without compiling (or a stale .mo) fails here, compared by meaning."""
    with net_messages.mo_path("zh_CN").open("rb") as file:
        compiled = gettext.GNUTranslations(file)
    stale = []
    for message, text in committed.items():
        if isinstance(message, tuple):
            assert isinstance(text, tuple)
            if compiled.ngettext(message[0], message[1], 2) != text[0]:
                stale.append(message)
        elif compiled.gettext(message) != text:
            stale.append(message)
    assert not stale, "run `python -m resources.net_messages` to compile the .mo:\n" + "\n".join(
        repr(m) for m in stale[:20]
    )


def _fields(text: str) -> list[tuple[str, str, str]]:
    """The replacement fields of a str.format template (with spec and conversion), and the
    %-placeholders of argparse's own sentences."""
    fields = [
        (name, spec or "", conversion or "")
        for _literal, name, spec, conversion in string.Formatter().parse(text)
        if name is not None
    ]
    fields += [(found, "", "%") for found in re.findall(r"%(?:\(\w+\))?[sr]", text)]
    return sorted(fields)


def test_translations_keep_every_placeholder(
    committed: dict[str | tuple[str, ...], str | tuple[str, ...]],
) -> None:
    """``{port}`` and ``{count:,}`` survive translation, and each template still formats."""
    problems = []
    for message, text in committed.items():
        sources = message if isinstance(message, tuple) else (message,)
        targets = text if isinstance(text, tuple) else (text,)
        for target in targets:
            try:
                if _fields(target) != _fields(sources[-1]):
                    problems.append(f"{sources[-1]!r} -> {target!r}")
            except ValueError as exc:  # an unmatched brace
                problems.append(f"{target!r}: {exc}")
            if not CJK.search(target) and target.strip(" ,;:()") != "":
                problems.append(f"not Chinese: {target!r}")
    assert not problems, "\n".join(problems)


# -- every sentence net raises is marked ---------------------------------------------------------


def _error_classes(trees: dict[Path, ast.Module]) -> set[str]:
    names = {"NetError", "ArgumentTypeError"}
    grown = True
    while grown:
        grown = False
        for tree in trees.values():
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in names:
                    bases = {
                        b.id if isinstance(b, ast.Name) else getattr(b, "attr", "")
                        for b in node.bases
                    }
                    if bases & names:
                        names.add(node.name)
                        grown = True
    return names


def _called(node: ast.Call) -> str:
    func = node.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def _is_sentence(node: ast.expr) -> bool:
    """A literal, f-string or concatenation that holds words (not a bare name or number; the
    "swb: " that starts the CLI's lines is the program's name)."""
    if isinstance(node, ast.Constant):
        words = re.findall(r"[A-Za-z]{2,}", node.value) if isinstance(node.value, str) else []
        return any(word != "swb" for word in words)
    if isinstance(node, ast.JoinedStr):
        return any(_is_sentence(value) for value in node.values if isinstance(value, ast.Constant))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
        return _is_sentence(node.left) or _is_sentence(node.right)
    return False


@pytest.fixture(scope="module")
def trees() -> dict[Path, ast.Module]:
    return {
        path: ast.parse(path.read_text(encoding="utf-8"))
        for path in sorted((ROOT / "net").rglob("*.py"))
    }


def test_every_error_net_raises_with_a_sentence_marks_it(trees: dict[Path, ast.Module]) -> None:
    """``raise AddressError(f"port {p} ...")`` would stay English under zh_CN: it must be
    ``AddressError(_("port {port} ...").format(port=p))``."""
    errors = _error_classes(trees)
    assert {"AddressError", "TlsError", "TransferCancelled"} <= errors
    unmarked = []
    for path, tree in trees.items():
        for node in ast.walk(tree):
            call = isinstance(node, ast.Call) and _called(node) in errors and node.args
            if call and _is_sentence(node.args[0]):  # type: ignore[attr-defined]
                unmarked.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not unmarked, "mark these messages with _():\n" + "\n".join(unmarked)


#: The helpers through which swb writes the lines a person reads (stderr status, stdout results).
CLI_WRITERS = {"status", "_status", "_err", "out", "_out", "_fail", "print", "write"}


def test_every_line_swb_writes_for_a_person_is_marked(trees: dict[Path, ast.Module]) -> None:
    unmarked = []
    for path, tree in trees.items():
        if not (path.name == "cli.py" or path.name.startswith("_cli_")):
            continue
        for node in ast.walk(tree):
            call = isinstance(node, ast.Call) and _called(node) in CLI_WRITERS and node.args
            if call and _is_sentence(node.args[0]):  # type: ignore[attr-defined]
                unmarked.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not unmarked, "mark these lines with _():\n" + "\n".join(unmarked)


def test_net_s_describe_functions_return_marked_sentences(trees: dict[Path, ast.Module]) -> None:
    """errors.describe_* and tls's describers make the sentences most errors carry."""
    unmarked = []
    for path, tree in trees.items():
        for function in ast.walk(tree):
            if isinstance(function, ast.FunctionDef) and "describe" in function.name:
                for node in ast.walk(function):
                    returned = isinstance(node, ast.Return) and node.value is not None
                    if returned and _is_sentence(node.value):  # type: ignore[attr-defined]
                        unmarked.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not unmarked, "mark these messages with _():\n" + "\n".join(unmarked)


def test_messages_are_literal_templates_translated_when_used(
    trees: dict[Path, ast.Module],
) -> None:
    """``_()`` takes one literal (never an f-string or %: the catalogue could not hold it), and is
    never called at import time (module level or a default argument), which would fix the language
    before the GUI chose one: such texts are marked with N_() and translated where used."""
    problems = []
    for path, tree in trees.items():
        if path.name == "_i18n.py":
            continue
        at_import = set(ast.walk(tree)) - _run_later(tree)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            if node.func.id in ("_", "N_"):
                literal = len(node.args) == 1 and isinstance(node.args[0], ast.Constant)
                # _(ADVICE[kind]) translates a text marked elsewhere with N_: a name is fine.
                dynamic = isinstance(node.args[0], ast.JoinedStr | ast.BinOp)
                if node.func.id == "_" and not literal and dynamic:
                    problems.append(f"{where}: _() of an f-string or a concatenation")
                if node.func.id == "N_" and not literal:
                    problems.append(f"{where}: N_() of a non-literal")
            if node.func.id in ("_", "ngettext") and node in at_import:
                problems.append(f"{where}: translated at import time (use N_)")
    assert not problems, "\n".join(problems)


def _run_later(tree: ast.Module) -> set[ast.AST]:
    """The nodes inside function and lambda bodies (default arguments run at import time)."""
    later: set[ast.AST] = set()
    for function in ast.walk(tree):
        if isinstance(function, ast.Lambda):
            later.update(ast.walk(function.body))
        elif isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            for statement in function.body:
                later.update(ast.walk(statement))
    return later


# -- choosing the language -----------------------------------------------------------------------


def _language_in(env: dict[str, str]) -> tuple[str, bool]:
    """The language net picks in a fresh process with ``env``, and whether gettext was imported."""
    code = (
        "import sys\n"
        "from net import _i18n\n"
        "from net.address import parse_port\n"
        "try:\n"
        "    parse_port('70000')\n"
        "except ValueError as exc:\n"
        "    print(exc)\n"
        "print(_i18n.language())\n"
        "print('gettext' in sys.modules)\n"
    )
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
    }
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, **env},
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=WAIT * 3,
        check=True,
        cwd=ROOT,
    )
    message, language, imported = done.stdout.splitlines()
    assert ("端口 70000 超出范围" in message) == (language == "zh_CN"), message
    return language, imported == "True"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"LANG": "zh_CN.UTF-8"}, "zh_CN"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({}, "en"),
        ({"LANG": "POSIX"}, "en"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "de_DE.UTF-8"}, "en"),  # no German catalogue: English, as gettext does
        ({"LANG": "zh_TW.UTF-8"}, "en"),  # Traditional Chinese readers do not get Simplified
        ({"LANG": "zh_CN.GB18030"}, "zh_CN"),
        ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "zh_CN.UTF-8"}, "zh_CN"),
        ({"LANG": "zh_CN.UTF-8", "LC_ALL": "C"}, "en"),  # LC_ALL wins over LANG
        ({"LANG": "C", "LANGUAGE": "fr:zh_CN"}, "zh_CN"),  # LANGUAGE is a list, first match
    ],
)
def test_the_language_comes_from_the_environment(env: dict[str, str], expected: str) -> None:
    language, imported = _language_in(env)
    assert language == expected
    if expected == "en" and not env.get("LANG", "").startswith("zh"):
        assert not imported, "a language without a catalogue must not import gettext"


def test_set_language_switches_the_sentences_made_from_then_on(chinese: None) -> None:
    with pytest.raises(AddressError) as caught:
        parse_port("70000")
    assert str(caught.value) == "端口 70000 超出范围：端口范围是 1 到 65535"
    assert _i18n.ngettext("{count} datagram", "{count} datagrams", 1) == "{count} 个数据报"
    assert _i18n.set_language("en") == "en"
    with pytest.raises(AddressError) as caught:
        parse_port("70000")
    assert str(caught.value) == "port 70000 is out of range: ports go from 1 to 65535"
    assert _i18n.ngettext("{count} datagram", "{count} datagrams", 1) == "{count} datagram"
    assert _i18n.ngettext("{count} datagram", "{count} datagrams", 2) == "{count} datagrams"
    assert _i18n.available_languages() == ["zh_CN"]


# -- the CLI, as a user runs it ------------------------------------------------------------------


def _swb(args: list[str], lang: str, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES")}
    env.update(LANG=lang, PYTHONIOENCODING="utf-8", **extra)
    return subprocess.run(
        [sys.executable, "-m", "net", *args],
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=WAIT * 3,
        cwd=ROOT,
    )


def _refused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again: nothing listens there


def test_swb_says_a_bad_port_in_chinese_and_still_exits_2() -> None:
    chinese = _swb(["udp-send", "127.0.0.1", "70000", "hi"], "zh_CN.UTF-8")
    assert chinese.returncode == 2
    assert "端口 70000 超出范围：端口范围是 1 到 65535" in chinese.stderr
    assert "参见 'swb udp-send --help'" in chinese.stderr
    assert len(chinese.stderr.strip().splitlines()) == 1 and "Traceback" not in chinese.stderr
    english = _swb(["udp-send", "127.0.0.1", "70000", "hi"], "C.UTF-8")
    assert english.returncode == 2
    assert "port 70000 is out of range: ports go from 1 to 65535" in english.stderr


def test_swb_says_a_refused_connection_in_chinese_and_still_exits_1() -> None:
    port = _refused_port()
    chinese = _swb(["tcp-send", "127.0.0.1", str(port), "hi"], "zh_CN.UTF-8")
    assert chinese.returncode == 1
    assert chinese.stderr.strip() == f"swb: 连接被 127.0.0.1:{port} 拒绝：该端口上没有程序在监听"
    english = _swb(["tcp-send", "127.0.0.1", str(port), "hi"], "C.UTF-8")
    assert english.returncode == 1
    assert f"connection refused by 127.0.0.1:{port}" in english.stderr


def test_argparse_s_own_sentences_are_chinese_too() -> None:
    missing = _swb(["udp-send", "127.0.0.1"], "zh_CN.UTF-8")
    assert missing.returncode == 2
    assert missing.stderr.strip() == (
        "swb udp-send：缺少以下必需参数：PORT, DATA（参见 'swb udp-send --help'）"
    )
    bad = _swb(["udp-send", "127.0.0.1", "9", "x", "--checksum-order", "middle"], "zh_CN.UTF-8")
    assert bad.returncode == 2
    assert "无效的选择：'middle'（可选：'big', 'little'）" in bad.stderr
    helped = _swb(["udp-send", "--help"], "zh_CN.UTF-8")
    assert helped.returncode == 0 and helped.stdout.startswith("用法：swb udp-send")
    english = _swb(["udp-send", "127.0.0.1"], "C.UTF-8")
    assert "the following arguments are required: PORT, DATA" in english.stderr


def test_swb_counts_in_chinese_on_a_real_udp_peer() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as peer:
        peer.bind(("127.0.0.1", 0))
        port = peer.getsockname()[1]
        done = _swb(["udp-send", "127.0.0.1", str(port), "hello"], "zh_CN.UTF-8")
        assert peer.recv(100) == b"hello"
    assert done.returncode == 0
    assert f"1 个数据报，共 5 字节，已发送到 127.0.0.1:{port}" in done.stderr


@pytest.mark.parametrize("encoding", ["cp1252", "ascii"])
def test_a_console_without_chinese_gets_english_not_a_crash(encoding: str) -> None:
    """Under simulated Windows with a cp1252 (or ASCII) stdout, zh_CN falls back to English:
    escapes like \\u7aef would be unreadable, and nothing may crash."""
    env = simulate.env(LANG="zh_CN.UTF-8", PYTHONIOENCODING=encoding)
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        env.pop(name, None)
    done = subprocess.run(
        simulate.swb_command("win32", "udp-send", "127.0.0.1", "70000", "hi"),
        env=env,
        capture_output=True,
        timeout=WAIT * 3,
        cwd=ROOT,
    )
    stderr = done.stderr.decode(encoding)
    assert done.returncode == 2, stderr
    assert "port 70000 is out of range: ports go from 1 to 65535" in stderr
    assert "Traceback" not in stderr and "\\u" not in stderr


def test_fit_output_keeps_chinese_for_a_utf8_or_gbk_console(chinese: None) -> None:
    class Console:
        def __init__(self, encoding: str) -> None:
            self.encoding = encoding

    assert _i18n.fit_output(Console("utf-8"), Console("gbk")) == "zh_CN"
    assert _i18n.fit_output(Console("utf-8"), Console("cp1252")) == "en"


# -- shipping ------------------------------------------------------------------------------------


def test_the_wheel_and_the_bundles_carry_the_catalogue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.test_packaging import run_spec

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    package_data = pyproject["tool"]["setuptools"]["package-data"]["net"]
    mo = net_messages.mo_path("zh_CN")
    assert any(mo.relative_to(ROOT / "net").match(pattern) for pattern in package_data)
    for platform in ("win32", "darwin"):
        steps = run_spec(platform, tmp_path / platform, monkeypatch)
        datas = [(Path(source), target) for source, target in steps["Analysis"].kwargs["datas"]]
        assert (mo, "net/locale/zh_CN/LC_MESSAGES") in datas, platform


def test_windows_without_language_variables_asks_the_system_and_does_not_crash() -> None:
    """Windows sets no LANG: net asks for the user's display language (which this simulated
    Windows cannot answer), and speaks English rather than failing."""
    env = simulate.env(PYTHONIOENCODING="utf-8")
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        env.pop(name, None)
    done = subprocess.run(
        simulate.swb_command("win32", "udp-send", "127.0.0.1", "70000", "hi"),
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=WAIT * 3,
        cwd=ROOT,
    )
    assert done.returncode == 2, done.stderr
    assert "port 70000 is out of range" in done.stderr and "Traceback" not in done.stderr


def test_tcp_serve_tells_its_story_in_chinese() -> None:
    """A real client connects, sends and closes: the server's status lines, the peer's close
    reason and the summary on SIGTERM are Chinese; the received data line is the data."""
    env = {k: v for k, v in os.environ.items() if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES")}
    env.update(LANG="zh_CN.UTF-8", PYTHONIOENCODING="utf-8", PYTHONUNBUFFERED="1")
    server = subprocess.Popen(
        [sys.executable, "-m", "net", "tcp-serve", "0", "-H", "127.0.0.1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
    )
    try:
        assert server.stderr is not None and server.stdout is not None
        first = server.stderr.readline()
        listening = re.fullmatch(r"正在 127\.0\.0\.1:(\d+)（TCP）上监听\n", first)
        assert listening, first
        with socket.create_connection(("127.0.0.1", int(listening[1])), timeout=WAIT) as client:
            client.sendall(b"hello\n")
            peer = f"127.0.0.1:{client.getsockname()[1]}"
        assert server.stderr.readline() == f"{peer} 已连接\n"
        assert "hello" in server.stdout.readline()
        assert server.stderr.readline() == f"{peer} 已断开：对端已关闭连接\n"
        server.terminate()
        _out, rest = server.communicate(timeout=WAIT * 3)
    finally:
        if server.poll() is None:
            server.kill()
            server.communicate()
    assert server.returncode == 0
    assert rest.strip() == "1 个客户端，已接收 6 字节"
