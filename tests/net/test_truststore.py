"""Verified TLS asks the OS trust store on Windows and macOS (truststore), OpenSSL's on Linux.

``sys.platform`` is changed for one test at a time (net.tls branches on it when it builds a
context); truststore then runs its Linux backend underneath, which verifies with OpenSSL against
``SSL_CERT_FILE``, so the handshakes here are real ones against a trustme server.
"""

from __future__ import annotations

import ssl
import subprocess
import sys
from collections.abc import Callable

import pytest
import trustme

from net.errors import TlsError
from net.tls import ClientTls, client_context, describe_ssl_error
from tests import simulate
from tests.conftest import WAIT
from tests.net import test_tls
from tests.net.test_tls import LoopbackServer, context_for, handshake

# test_tls's fixtures: a trustme CA, its PEM file, TLS servers on loopback.
ca, cafile, serve = test_tls.ca, test_tls.cafile, test_tls.serve

OS_TRUST_STORE = ("win32", "darwin")


@pytest.mark.parametrize("platform", ["linux", *OS_TRUST_STORE])
def test_each_platform_builds_a_verifying_context(
    platform: str, monkeypatch: pytest.MonkeyPatch, cafile: str
) -> None:
    monkeypatch.setattr(sys, "platform", platform)
    import truststore

    for opts in (ClientTls(), ClientTls(cafile=cafile)):
        context = client_context(opts)
        assert context.check_hostname is True
        assert context.verify_mode == ssl.CERT_REQUIRED
        assert context.minimum_version == ssl.TLSVersion.TLSv1_2
        # The OS store only when no CA file is given: --cafile means "this CA, and only it".
        uses_os_store = platform in OS_TRUST_STORE and opts.cafile is None
        assert (type(context) is truststore.SSLContext) == uses_os_store, opts
    # Pinning and insecure do not verify a chain, on every platform.
    for opts in (ClientTls(fingerprint="AB" * 32), ClientTls(verify=False)):
        context = client_context(opts)
        assert type(context) is ssl.SSLContext
        assert context.verify_mode == ssl.CERT_NONE


@pytest.fixture
def port(ca: trustme.CA, serve: Callable[..., LoopbackServer]) -> int:
    """A TLS echo server on loopback whose certificate (for "localhost") the trustme CA issued."""
    return serve(context=context_for(ca.issue_cert("localhost"))).port


def assert_echo_over_tls(port: int, opts: ClientTls) -> None:
    with handshake(port, "localhost", opts) as tls:
        tls.sendall(b"ping")
        assert tls.recv(16) == b"ping"


# On Linux truststore's backend is OpenSSL reading SSL_CERT_FILE; the real Windows and macOS
# stores would need the test CA installed system-wide.
@pytest.mark.posix_only
@pytest.mark.parametrize("platform", OS_TRUST_STORE)
def test_the_os_store_verifies_a_real_handshake(
    platform: str, monkeypatch: pytest.MonkeyPatch, cafile: str, port: int
) -> None:
    monkeypatch.setattr(sys, "platform", platform)
    # Not in the store: refused, with the sentence a person understands.
    with pytest.raises(TlsError, match="not trusted"):
        handshake(port, "localhost", ClientTls())
    # In the store (truststore's backend here reads SSL_CERT_FILE): accepted, host name checked.
    monkeypatch.setenv("SSL_CERT_FILE", cafile)
    assert_echo_over_tls(port, ClientTls())
    with pytest.raises(TlsError, match="wrong host"):
        handshake(port, "127.0.0.1", ClientTls())


@pytest.mark.parametrize("platform", ["linux", *OS_TRUST_STORE])
def test_a_given_ca_file_still_works(
    platform: str, monkeypatch: pytest.MonkeyPatch, cafile: str, port: int
) -> None:
    monkeypatch.setattr(sys, "platform", platform)
    assert_echo_over_tls(port, ClientTls(cafile=cafile))


SIMULATED = [pytest.param(p, marks=pytest.mark.posix_only) for p in OS_TRUST_STORE]


@pytest.mark.parametrize("platform", [None, *SIMULATED])
def test_truststore_is_imported_only_when_a_client_context_is_made(platform: str | None) -> None:
    code = (
        "import sys\n"
        "import net, net.tls, net.fileserver, net.download, net.cli\n"
        "assert 'truststore' not in sys.modules, 'imported with net'\n"
        "from net.tls import ClientTls, client_context\n"
        "client_context(ClientTls(verify=False))\n"
        "assert 'truststore' not in sys.modules, 'imported for an insecure context'\n"
        "client_context(ClientTls())\n"
        "print('truststore' in sys.modules)\n"
    )
    command = [sys.executable, "-c", code]
    if platform is not None:
        command = simulate.code_command(platform, code)
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=WAIT * 3, env=simulate.env()
    )
    assert result.returncode == 0, result.stderr
    # Linux keeps OpenSSL's own store; Windows and macOS load truststore for a verified context.
    os_store = (platform or sys.platform) in OS_TRUST_STORE
    assert result.stdout.strip() == str(os_store)


# (code, what the sentence says): Windows' CERT_E_*/CRYPT_E_* and macOS's errSec* codes, as
# truststore raises them, read like OpenSSL's X509_V_ERR_* ones.
OS_FAILURES = [
    (0x800B0109, "is not trusted: it was issued by an authority this computer does not know"),
    (0x800B010A, "is not trusted: it was issued by an authority this computer does not know"),
    (0x800B0101, "expired"),
    (0x800B010F, "wrong host: the certificate of example.com:443 is not valid for example.com"),
    (0x80092010, "has been revoked"),
    (-67843, "is not trusted: it was issued by an authority this computer does not know"),
    (-67818, "expired"),
    (-67819, "is not valid yet"),
    (-67602, "wrong host"),
    (-99999, "could not be verified: what the OS said"),  # an unknown code: the OS's words
]


@pytest.mark.parametrize(("code", "sentence"), OS_FAILURES)
def test_the_os_verifiers_failures_read_like_openssls(code: int, sentence: str) -> None:
    # Built the way truststore's Windows and macOS backends build it.
    error = ssl.SSLCertVerificationError("what the OS said")
    error.verify_message = "what the OS said"
    error.verify_code = code
    assert sentence in describe_ssl_error(error, "example.com", 443)
