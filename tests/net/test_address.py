"""Hosts and ports as users type them: tables of good and bad input, and resolution without a network."""

from __future__ import annotations

import re
import socket

import pytest

from net.address import Endpoint, bind_endpoint, format_peer, parse_host, parse_port, resolve
from net.errors import AddressError

PORTS = [
    ("80", 80),
    (" 8080 ", 8080),
    ("1", 1),
    ("65535", 65535),
    (443, 443),
]

BAD_PORTS = [
    ("0", "port 0 cannot be used here"),
    ("70000", "port 70000 is out of range"),
    ("65536", "out of range"),
    ("-1", "is not a number"),
    ("abc", "is not a number"),
    ("", "the port is empty"),
    ("   ", "the port is empty"),
    ("1e3", "is not a number"),
    ("+80", "is not a number"),
    ("８０", "is not a number"),  # fullwidth digits
    ("99999999", "out of range"),
    (0, "port 0 cannot be used here"),
    (-5, "out of range"),
    (True, "is not a number"),
]


@pytest.mark.parametrize(("text", "expected"), PORTS)
def test_parse_port(text: str | int, expected: int) -> None:
    assert parse_port(text) == expected


@pytest.mark.parametrize(("text", "message"), BAD_PORTS)
def test_parse_port_rejects(text: str | int, message: str) -> None:
    with pytest.raises(AddressError, match=re.escape(message)):
        parse_port(text)


def test_port_zero_means_any_where_binding() -> None:
    assert parse_port("0", allow_zero=True) == 0
    with pytest.raises(AddressError, match="out of range"):
        parse_port("70000", allow_zero=True)


HOSTS = [
    ("127.0.0.1", "127.0.0.1"),
    (" 192.168.1.10 ", "192.168.1.10"),
    ("::1", "::1"),
    ("[::1]", "::1"),
    ("[ ::1 ]", "::1"),
    ("0:0:0:0:0:0:0:1", "::1"),
    ("FE80::1", "fe80::1"),
    ("[fe80::1%lo]", "fe80::1%lo"),
    ("::ffff:10.0.0.1", "::ffff:a00:1"),
    ("localhost", "localhost"),
    ("LocalHost.", "localhost"),
    ("Example.ORG", "example.org"),
    ("my-host_1.lan", "my-host_1.lan"),
    ("bücher.example", "xn--bcher-kva.example"),
    ("a" * 63 + ".com", "a" * 63 + ".com"),
]

BAD_HOSTS = [
    ("", "the host is empty"),
    ("[]", "the host is empty"),
    ("256.1.1.1", "not a valid IPv4 address"),
    ("1.2.3", "not a valid IPv4 address"),
    ("1.2.3.4.5", "not a valid IPv4 address"),
    ("::1::2", "not a valid IPv6 address"),
    ("[::1", "not a valid IPv6 address"),
    ("example.org:80", "looks like host:port"),
    ("[::1]:80", "looks like host:port"),
    ("127.0.0.1:5000", "looks like host:port"),
    ("-bad.example", "not a valid host name"),
    ("bad-.example", "not a valid host name"),
    ("a..b", "not a valid host name"),
    ("with space", "not a valid host name"),
    ("semi;colon", "not a valid host name"),
    ("a" * 64 + ".com", "not a valid host name"),
    ("a." * 130, "too long"),
    ("http://example.org", "is a URL"),
]


@pytest.mark.parametrize(("text", "expected"), HOSTS)
def test_parse_host(text: str, expected: str) -> None:
    assert parse_host(text) == expected


@pytest.mark.parametrize(("text", "message"), BAD_HOSTS)
def test_parse_host_rejects(text: str, message: str) -> None:
    with pytest.raises(AddressError, match=re.escape(message)):
        parse_host(text)


def test_empty_host_allowed_where_binding() -> None:
    assert parse_host("", allow_empty=True) == ""
    assert parse_host("  ", allow_empty=True) == ""


@pytest.mark.parametrize(
    ("sockaddr", "expected"),
    [
        (("127.0.0.1", 9), "127.0.0.1:9"),
        (("::1", 9, 0, 0), "[::1]:9"),
        (("::ffff:127.0.0.1", 5000, 0, 0), "127.0.0.1:5000"),
        (("fe80::1%lo", 80, 0, 1), "[fe80::1%lo]:80"),
        (Endpoint(socket.AF_INET6, ("::1", 7, 0, 0)), "[::1]:7"),
    ],
)
def test_format_peer(sockaddr: tuple[object, ...] | Endpoint, expected: str) -> None:
    assert format_peer(sockaddr) == expected  # type: ignore[arg-type]


RESOLVE_CASES = [
    ("127.0.0.1", socket.AF_UNSPEC, [(socket.AF_INET, "127.0.0.1")]),
    ("::1", socket.AF_UNSPEC, [(socket.AF_INET6, "::1")]),
    ("[::1]", socket.AF_INET6, [(socket.AF_INET6, "::1")]),
]


@pytest.mark.parametrize(("host", "family", "expected"), RESOLVE_CASES)
def test_resolve_literals(
    host: str, family: socket.AddressFamily, expected: list[tuple[int, str]]
) -> None:
    endpoints = resolve(host, 5000, family=family, kind=socket.SOCK_DGRAM)
    assert [(e.family, e.host) for e in endpoints] == expected
    assert all(e.port == 5000 for e in endpoints)


def test_resolve_localhost_has_no_duplicates() -> None:
    endpoints = resolve("localhost", 80)
    assert endpoints
    assert len({(e.family, e.sockaddr) for e in endpoints}) == len(endpoints)
    assert any(e.host in ("127.0.0.1", "::1") for e in endpoints)
    assert str(endpoints[0]) in ("127.0.0.1:80", "[::1]:80")


@pytest.mark.parametrize(
    ("host", "family", "message"),
    [
        ("no-such-host.invalid", socket.AF_UNSPEC, "no such host"),
        ("::1", socket.AF_INET, "::1 is not an IPv4 address"),
        ("127.0.0.1", socket.AF_INET6, "127.0.0.1 is not an IPv6 address"),
        ("fe80::1%no-such-interface0", socket.AF_UNSPEC, "cannot be used here"),
        ("bad host", socket.AF_UNSPEC, "not a valid host name"),
    ],
)
def test_resolve_failures_are_address_errors(
    host: str, family: socket.AddressFamily, message: str
) -> None:
    with pytest.raises(AddressError, match=re.escape(message)) as caught:
        resolve(host, 80, family=family)
    # An OSError underneath is chained for debugging, never raised in its place.
    assert not isinstance(caught.value, OSError)


def test_resolve_passive_wildcard() -> None:
    endpoints = resolve("", 0, passive=True, family=socket.AF_INET)
    assert [e.sockaddr for e in endpoints] == [("0.0.0.0", 0)]


@pytest.mark.parametrize(
    ("host", "family", "address"),
    [
        ("", socket.AF_INET, "0.0.0.0"),
        ("127.0.0.1", socket.AF_INET, "127.0.0.1"),
        ("::", socket.AF_INET6, "::"),
        ("[::1]", socket.AF_INET6, "::1"),
        ("localhost", None, None),
    ],
)
def test_bind_endpoint(host: str, family: socket.AddressFamily | None, address: str | None) -> None:
    endpoint = bind_endpoint(host, 0)
    if family is not None:
        assert endpoint.family == family
        assert endpoint.host == address
    else:
        assert endpoint.host in ("127.0.0.1", "::1")
    assert endpoint.port == 0


@pytest.mark.parametrize(("host", "port"), [("", "70000"), ("bad host", 80), ("", "x")])
def test_bind_endpoint_rejects(host: str, port: str | int) -> None:
    with pytest.raises(AddressError):
        bind_endpoint(host, port)
