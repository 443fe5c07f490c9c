"""``parse_repr_digest``: RFC 9530's Repr-Digest as an RFC 8941 dictionary, parameters and all,
and RFC 3230's legacy ``Digest`` when the value is no dictionary."""

from __future__ import annotations

import base64
import hashlib
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from net.httpfile import format_repr_digest, parse_repr_digest

DIGEST = hashlib.sha256(b"x").digest()
OTHER = hashlib.sha256(b"y").digest()
B64 = base64.b64encode(DIGEST).decode()
OTHER64 = base64.b64encode(OTHER).decode()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # RFC 9530 §3: members of a dictionary, each a byte sequence that may carry parameters
        (f"sha-256=:{B64}:;p=1", DIGEST),
        (f"sha-256=:{B64}:;a=1;b;c=?0;d=tok/en;e=:AA==:;f=1.5", DIGEST),
        (f'sha-256=:{B64}:;note="a, b; c=d"', DIGEST),  # a string parameter holds "," and ";"
        (f'md5=:AA==:;note="x, sha-256=:{OTHER64}:", sha-256=:{B64}:', DIGEST),
        (f"sha-512=:AA==:;x=1, sha-256=:{B64}:;y=2", DIGEST),
        (f"  sha-256=:{B64}:;p=1  ", DIGEST),  # surrounding whitespace is not part of it
        (f"sha-256=:{OTHER64}:, sha-256=:{B64}:", DIGEST),  # RFC 8941 §4.2.2: the last one counts
        (f"md5=:AA==:;sha-256=:{B64}:", None),  # a parameter named sha-256 is no member
        (f"sha-256=:{B64[:-4]}:;p=1", None),  # not 32 bytes, with or without parameters
        ("sha-256=abc", None),  # a token, not a byte sequence
        ("sha-256", None),  # a bare key is the boolean true
        (f"sha-256=(:{B64}:)", None),  # an inner list
        (f'sha-256=:{B64}:;p="é"', None),  # non-ASCII: no dictionary, and no legacy digest
        # RFC 8941 §4.2: a value that is no valid dictionary is ignored whole
        (f"sha-256=:{B64}:, Bad=1", None),
        (f"sha-256=:{B64}:,", None),
        (f"sha-256 = :{B64}:", None),
        (f"sha-256=:{B64}:;P=1", None),
        # RFC 3230 Digest: base64 after "=", algorithm names in any case
        (f"SHA-256={B64}", DIGEST),
        (f"sha-256={B64}", DIGEST),  # its "=" padding makes it no dictionary
        (f"MD5=AA==, SHA-256={B64}", DIGEST),
        (f"SHA-256={B64};q=1", DIGEST),
        (f"SHA-256={B64} , MD5=AA==", DIGEST),
        (f"SHA-256={B64[:-4]}", None),
        (f"SHA-256=:{B64}:", None),  # no dictionary (upper case key), no base64 either
        ("MD5=AA==", None),
    ],
)
def test_repr_digest_cases(value: str, expected: bytes | None) -> None:
    assert parse_repr_digest(value) == expected


_KEY = st.builds(
    str.__add__,
    st.sampled_from("abcdefghijklmnopqrstuvwxyz*"),
    st.text("abcdefghijklmnopqrstuvwxyz0123456789_-.*", max_size=7),
)
_BARE_ITEM = st.one_of(
    st.integers(-(10**15) + 1, 10**15 - 1).map(str),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=12).map(
        lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
    ),
    st.builds(  # tokens
        str.__add__,
        st.sampled_from(string.ascii_letters + "*"),
        st.text(string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~:/", max_size=10),
    ),
    st.binary(max_size=40).map(lambda b: ":" + base64.b64encode(b).decode() + ":"),
    st.sampled_from(["?0", "?1", "1.5", "-0.25"]),
)
_PARAMS = st.lists(
    st.tuples(_KEY, st.one_of(st.none(), _BARE_ITEM)).map(
        lambda kv: f";{kv[0]}" if kv[1] is None else f";{kv[0]}={kv[1]}"
    ),
    max_size=4,
).map("".join)
_OTHER_MEMBER = st.tuples(_KEY.filter(lambda k: k != "sha-256"), _BARE_ITEM, _PARAMS).map(
    lambda m: f"{m[0]}={m[1]}{m[2]}"
)


@settings(max_examples=200, deadline=None)
@given(
    digest=st.binary(min_size=32, max_size=32),
    params=_PARAMS,
    before=st.lists(_OTHER_MEMBER, max_size=3),
    after=st.lists(_OTHER_MEMBER, max_size=3),
    separator=st.sampled_from([",", ", ", " ,\t"]),
)
def test_repr_digest_round_trip_among_members_and_parameters(
    digest: bytes, params: str, before: list[str], after: list[str], separator: str
) -> None:
    """The digest ``format_repr_digest`` writes comes back out of any dictionary that holds it,
    whatever parameters it and the other members carry."""
    member = format_repr_digest(digest.hex()) + params
    assert parse_repr_digest(separator.join([*before, member, *after])) == digest
