"""net._record.Record behaves as the frozen, slotted dataclasses it replaces (issue 22)."""

from __future__ import annotations

import copy
import pickle

import pytest

from net.events import Connected, Datagram, DownloadFinished, Received, Sent, TlsInfo


def test_fields_in_order_with_defaults_by_position_or_name() -> None:
    datagram = Datagram(1.5, "127.0.0.1:9", b"hi", outgoing=True)
    assert (datagram.time, datagram.peer, datagram.data) == (1.5, "127.0.0.1:9", b"hi")
    assert (datagram.truncated, datagram.outgoing) == (False, True)
    assert datagram.values() == (1.5, "127.0.0.1:9", b"hi", False, True)
    assert Datagram(time=1.5, data=b"hi", peer="127.0.0.1:9", outgoing=True) == datagram
    assert DownloadFinished(1.0, "/tmp/a", 3, "ab", True).notes == ()


def test_read_only_and_slotted() -> None:
    datagram = Datagram(1.0, "p", b"x")
    with pytest.raises(AttributeError, match="read-only"):
        datagram.data = b"y"  # type: ignore[misc]
    with pytest.raises(AttributeError, match="read-only"):
        del datagram.peer  # type: ignore[misc]
    assert not hasattr(datagram, "__dict__")
    assert Datagram.__slots__ == ("time", "peer", "data", "truncated", "outgoing")


def test_equality_and_hash_by_class_and_fields() -> None:
    a = Received(1.0, 1, "p", b"x")
    assert a == Received(1.0, 1, "p", b"x")
    assert hash(a) == hash(Received(1.0, 1, "p", b"x"))
    assert a != Received(1.0, 1, "p", b"y")
    assert a != Sent(1.0, 1, "p", b"x")  # same values, another event
    assert a != (1.0, 1, "p", b"x")
    assert len({a, Received(1.0, 1, "p", b"x"), Sent(1.0, 1, "p", b"x")}) == 2


def test_repr_replace_copy_pickle_and_as_dict() -> None:
    tls = TlsInfo("TLSv1.3", "TLS_AES_128_GCM_SHA256")
    event = Connected(2.0, 7, "[::1]:5", "[::1]:6", tls)
    assert repr(tls) == (
        "TlsInfo(version='TLSv1.3', cipher='TLS_AES_128_GCM_SHA256', peer_fingerprint='')"
    )
    assert event.replace(conn_id=8) == Connected(2.0, 8, "[::1]:5", "[::1]:6", tls)
    assert event.conn_id == 7  # the original is untouched
    assert copy.copy(event) == event and copy.deepcopy(event) == event
    assert pickle.loads(pickle.dumps(event)) == event
    assert event.as_dict() == {
        "time": 2.0,
        "conn_id": 7,
        "peer": "[::1]:5",
        "local": "[::1]:6",
        "tls": tls,
    }


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((1.0,), {}, r"missing required argument\(s\): peer, data"),
        ((1.0, "p", b"x", False, False, 9), {}, "takes 5 values but 6 were given"),
        ((1.0, "p", b"x"), {"colour": 1}, "unexpected keyword argument 'colour'"),
        ((1.0, "p", b"x"), {"peer": "q"}, "multiple values for argument 'peer'"),
    ],
)
def test_wrong_calls_raise_type_error_as_a_function_would(
    args: tuple[object, ...], kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(TypeError, match=message):
        Datagram(*args, **kwargs)  # type: ignore[arg-type]
