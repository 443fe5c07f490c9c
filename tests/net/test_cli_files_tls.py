"""``swb serve --tls`` and ``swb get https://`` / ``raw+tls://``: certificates, pins, and the wrong
protocol both ways, with exit codes and the sentences the user reads."""

from __future__ import annotations

import hashlib
import os
import signal
import ssl
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import trustme

from net.events import TransferStarted
from net.tls import (
    INSECURE_WARNING,
    certificate_fingerprint,
    default_server_certificate,
    load_server_certificate,
    server_context,
)
from tests.conftest import WAIT
from tests.net.test_cli_files import SWB, run_main
from tests.net.test_fileserver import PUBLIC, Served, serve_folder

# Children are stopped with SIGTERM (TerminateProcess on Windows).
pytestmark = pytest.mark.posix_only

DIGEST = hashlib.sha256(PUBLIC).hexdigest()


@dataclass(frozen=True)
class Leaf:
    """A trustme-issued certificate for localhost and 127.0.0.1, as files."""

    cert: Path
    key: Path
    cafile: Path
    fingerprint: str


def issue_leaf(ca: trustme.CA, folder: Path) -> Leaf:
    issued = ca.issue_cert("localhost", "127.0.0.1")
    cert, key, cafile = folder / "cert.pem", folder / "key.pem", folder / "ca.pem"
    cert.write_bytes(b"".join(pem.bytes() for pem in issued.cert_chain_pems))
    issued.private_key_pem.write_to_path(str(key))
    ca.cert_pem.write_to_path(str(cafile))
    der = ssl.PEM_cert_to_DER_cert(issued.cert_chain_pems[0].bytes().decode())
    return Leaf(cert, key, cafile, certificate_fingerprint(der))


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def leaf(ca: trustme.CA, tmp_path: Path) -> Leaf:
    return issue_leaf(ca, tmp_path)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """$SWB_DATA_DIR for this process and its children: the self-signed certificate goes there."""
    path = tmp_path / "data"
    monkeypatch.setenv("SWB_DATA_DIR", str(path))
    return path


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    path = tmp_path / "out"
    path.mkdir()
    return path


@pytest.fixture
def trusted(tmp_path: Path, leaf: Leaf) -> Iterator[Served]:
    """A file server inside TLS with the trustme certificate."""
    context = server_context(load_server_certificate(str(leaf.cert), str(leaf.key)))
    with serve_folder(tmp_path, ssl_context=context) as s:
        yield s


@pytest.fixture
def self_signed(tmp_path: Path, data_dir: Path) -> Iterator[tuple[Served, str]]:
    """A file server inside TLS with swb's self-signed certificate, and its fingerprint."""
    cert = default_server_certificate()
    with serve_folder(tmp_path, ssl_context=server_context(cert)) as s:
        yield s, cert.fingerprint


# ---- swb get against a TLS share -------------------------------------------------------------


def test_get_https_verified_by_the_ca_file(
    trusted: Served, leaf: Leaf, out_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"https://localhost:{trusted.port}/public.txt"
    code, out, err = run_main(capsys, "get", url, "-o", str(out_dir), "--cafile", str(leaf.cafile))
    assert (code, err) == (0, "")
    assert out == f"{out_dir / 'public.txt'}  {len(PUBLIC):,} bytes  sha256 {DIGEST}  verified\n"
    assert (out_dir / "public.txt").read_bytes() == PUBLIC


@pytest.mark.parametrize("form", ["raw+tls://", "RAW+TLS://", "--raw https://"])
def test_get_classic_raw_inside_tls(
    trusted: Served, leaf: Leaf, out_dir: Path, form: str, capsys: pytest.CaptureFixture[str]
) -> None:
    *flags, scheme = form.split()
    url = f"{scheme}localhost:{trusted.port}/public.txt"
    code, out, err = run_main(
        capsys, "get", *flags, url, "-o", str(out_dir), "--cafile", str(leaf.cafile)
    )
    assert (code, err) == (0, "")
    assert out.endswith(
        f"sha256 {DIGEST}  not verified: the classic raw protocol carries no checksum\n"
    )
    assert (out_dir / "public.txt").read_bytes() == PUBLIC
    (started,) = trusted.log.of(TransferStarted)
    assert isinstance(started, TransferStarted) and started.dialect == "raw+tls"


def test_get_pinned_to_the_self_signed_certificate(
    self_signed: tuple[Served, str], out_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    served, fingerprint = self_signed
    url = f"https://127.0.0.1:{served.port}/public.txt"
    pin = fingerprint.replace(":", "").lower()  # people paste it in every form
    code, out, err = run_main(capsys, "get", url, "-o", str(out_dir), "--fingerprint", pin)
    assert (code, err) == (0, "")
    assert out.endswith(f"sha256 {DIGEST}  verified\n")


def test_get_with_the_wrong_fingerprint_exits_1(
    self_signed: tuple[Served, str], out_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    served, fingerprint = self_signed
    wrong = ":".join(["0F"] * 32)
    url = f"https://127.0.0.1:{served.port}/public.txt"
    code, out, err = run_main(capsys, "get", url, "-o", str(out_dir), "--fingerprint", wrong)
    assert (code, out) == (1, "")
    assert err == (
        f"swb: the server's certificate fingerprint {fingerprint} does not match the pinned one "
        f"{wrong}: the server has a new certificate, or another machine is answering in its "
        "place\n"
    )
    assert os.listdir(out_dir) == []


def test_get_verified_by_default_refuses_a_self_signed_server(
    self_signed: tuple[Served, str], out_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    served, fingerprint = self_signed
    url = f"https://127.0.0.1:{served.port}/public.txt"
    code, out, err = run_main(capsys, "get", url, "-o", str(out_dir))
    assert (code, out) == (1, "")
    assert err == (
        f"swb: the certificate of 127.0.0.1:{served.port} is self-signed and not trusted; pin its "
        f"fingerprint with --fingerprint or use --insecure (it presented {fingerprint}; pin it "
        "only if the server shows the same)\n"
    )
    assert os.listdir(out_dir) == []


def test_get_insecure_warns_and_downloads(
    self_signed: tuple[Served, str], out_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    served, _ = self_signed
    url = f"https://127.0.0.1:{served.port}/public.txt"
    code, out, err = run_main(capsys, "get", url, "-o", str(out_dir), "--insecure")
    assert code == 0
    assert err == f"swb: warning: {INSECURE_WARNING}\n"
    assert out.endswith("verified\n")


# ---- the wrong protocol, both ways -----------------------------------------------------------


@pytest.mark.parametrize(
    ("scheme", "hint"),
    [("http://", "https://"), ("raw://", "raw+tls://"), ("--raw http://", "raw+tls://")],
)
def test_plain_get_from_a_tls_share_exits_1_with_a_hint(
    trusted: Served, out_dir: Path, scheme: str, hint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    *flags, prefix = scheme.split()
    rest = f"127.0.0.1:{trusted.port}/public.txt"
    code, out, err = run_main(
        capsys, "get", *flags, prefix + rest, "-o", str(out_dir), "--timeout", "5"
    )
    assert (code, out) == (1, "")
    if scheme == "http://":
        # swb serve answers plain HTTP on its TLS port with 400 and a page naming the https:// URL.
        assert err.startswith(f"swb: the server at 127.0.0.1:{trusted.port} answered 400 ")
    else:  # a raw name is no HTTP: the TLS library resets the connection
        assert err.startswith(f"swb: 127.0.0.1:{trusted.port} ")
    assert err.endswith(f"; if it is a TLS server, use {hint}{rest}\n")
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize("scheme", ["https://", "raw+tls://"])
def test_tls_get_from_a_plain_share_exits_1(
    tmp_path: Path, out_dir: Path, scheme: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with serve_folder(tmp_path) as s:
        url = f"{scheme}127.0.0.1:{s.port}/public.txt"
        code, out, err = run_main(capsys, "get", url, "-o", str(out_dir), "--timeout", "5")
    assert (code, out) == (1, "")
    assert err == (
        f"swb: 127.0.0.1:{s.port} closed the connection during the TLS handshake: it may not "
        "speak TLS, or it refused this client\n"
    )


# ---- bad input: exit 2, one line -------------------------------------------------------------


def bad_input_cases(leaf: Leaf, other: Path) -> list[tuple[list[str], str]]:
    cert, key = str(leaf.cert), str(leaf.key)
    return [
        (["serve", "--cert", cert, __file__], "--cert needs --key too: give both"),
        (["serve", "--key", key, __file__], "--key needs --cert too: give both"),
        (["serve", "--tls", "--cert", cert, __file__], "--cert needs --key too"),
        (["serve", "--cert", cert, "--key", str(other), __file__], "does not belong to"),
        (["serve", "--cert", str(leaf.cafile) + "x", "--key", key, __file__], "does not exist"),
        (["serve", "--cert", key, "--key", key, __file__], "is not a PEM certificate"),
        (["get", "http://127.0.0.1:9/x", "--insecure"], "--insecure is for TLS servers"),
        (["get", "raw://127.0.0.1:9/x", "--fingerprint", leaf.fingerprint], "raw:// is plain"),
        (["get", "http://127.0.0.1:9/x", "--cafile", cert], "use https://"),
        (["get", "https://127.0.0.1:9/x", "--fingerprint", "AB:CD"], "has 4 hex digits"),
        (["get", "https://127.0.0.1:9/x", "--cafile", key], "holds no PEM certificate"),
        (["get", "raw+tls://127.0.0.1/x"], "needs a port"),
        (["get", "https://127.0.0.1:9/x", "--insecure", "--fingerprint", "x"], "not allowed"),
    ]


def test_bad_tls_input_exits_2_with_one_line(
    ca: trustme.CA, leaf: Leaf, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "other").mkdir()
    other = issue_leaf(ca, tmp_path / "other").key
    for args, message in bad_input_cases(leaf, other):
        extra = ["-H", "127.0.0.1", "-p", "0"] if args[0] == "serve" else []
        code, out, err = run_main(capsys, *args, *extra)
        assert (code, out) == (2, ""), (args, err)
        assert message in err, (args, err)
        assert len(err.strip().splitlines()) == 1, (args, err)
        assert "Traceback" not in err


# ---- swb serve --tls as a user runs it ---------------------------------------------------------


@dataclass
class TlsServe:
    process: subprocess.Popen[str]
    url: str
    port: int
    status: list[str]  # stderr lines up to "Ctrl-C stops."

    def fingerprint(self) -> str:
        prefix = "TLS certificate SHA-256 fingerprint: "
        (line,) = [line for line in self.status if line.startswith(prefix)]
        return line[len(prefix) :]


@contextmanager
def swb_serve_tls(*args: str, env: dict[str, str] | None = None) -> Iterator[TlsServe]:
    """Start ``swb serve --tls ARGS`` on a free loopback port; yields what it printed."""
    process = subprocess.Popen(
        [*SWB, "serve", "-H", "127.0.0.1", "-p", "0", "--tls", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None and process.stderr is not None
        url = process.stdout.readline().strip()
        assert url.startswith("https://127.0.0.1:"), url + process.stderr.read()
        status = []
        while not status or not status[-1].endswith("Ctrl-C stops."):
            line = process.stderr.readline()
            assert line, status
            status.append(line.rstrip("\n"))
        yield TlsServe(process, url, int(url.rsplit(":", 1)[1].strip("/")), status)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(WAIT)
        for stream in (process.stdout, process.stderr):
            if stream:
                stream.close()


def test_serve_tls_self_signed_prints_its_fingerprint_for_get(
    tmp_path: Path, data_dir: Path, out_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.txt").write_bytes(b"alpha over TLS")
    with swb_serve_tls(str(tmp_path / "a.txt")) as served:
        cert_path = data_dir / "tls" / "server.pem"
        der = ssl.PEM_cert_to_DER_cert(cert_path.read_text())
        assert served.status[:2] == [
            f"TLS certificate: {cert_path} (self-signed, made by swb)",
            f"TLS certificate SHA-256 fingerprint: {certificate_fingerprint(der)}",
        ]
        assert served.status[-1] == (
            f"Classic raw clients: send a file name inside TLS to port {served.port} "
            f"(swb get raw+tls://127.0.0.1:{served.port}/NAME). Ctrl-C stops."
        )
        assert any("swb get --fingerprint" in line for line in served.status)
        got = run_main(
            capsys,
            "get",
            served.url + "a.txt",
            "-o",
            str(out_dir),
            "--fingerprint",
            served.fingerprint(),
        )
        served.process.send_signal(signal.SIGTERM)
        out, err = served.process.communicate(timeout=WAIT)
    assert got[0] == 0, got
    assert (out_dir / "a.txt").read_bytes() == b"alpha over TLS"
    assert served.process.returncode == 0
    assert "started 'a.txt': 14 B (https)" in out
    assert err.splitlines()[-1] == "1 transfer, 14 bytes sent"
    assert "Traceback" not in err


def test_serve_tls_with_cert_and_key(
    tmp_path: Path, leaf: Leaf, out_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "b.txt").write_bytes(b"bravo")
    with swb_serve_tls(
        "--cert", str(leaf.cert), "--key", str(leaf.key), "--no-raw", str(tmp_path / "b.txt")
    ) as served:
        assert served.status[:2] == [
            f"TLS certificate: {leaf.cert} (given with --cert)",
            f"TLS certificate SHA-256 fingerprint: {leaf.fingerprint}",
        ]
        assert served.status[-1] == "Ctrl-C stops."
        assert not any("self-signed" in line for line in served.status)
        url = f"https://localhost:{served.port}/b.txt"
        got = run_main(capsys, "get", url, "-o", str(out_dir), "--cafile", str(leaf.cafile))
    assert got[0] == 0, got
    assert (out_dir / "b.txt").read_bytes() == b"bravo"
