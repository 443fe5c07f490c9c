"""Backoff: a table of delays from a seeded random source, the cap, and reset."""

from __future__ import annotations

import random

import pytest

from net.backoff import Backoff


def test_without_jitter_the_delays_double_up_to_the_maximum() -> None:
    backoff = Backoff(initial=1.0, maximum=60.0, factor=2.0, jitter=0.0)
    delays = [backoff.next_delay() for _ in range(9)]
    assert delays == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0, 60.0]
    assert backoff.attempt == 9


def test_seeded_jitter_is_repeatable_and_within_its_band() -> None:
    first = Backoff(rng=random.Random(1234))
    second = Backoff(rng=random.Random(1234))
    delays = [first.next_delay() for _ in range(12)]
    assert delays == [second.next_delay() for _ in range(12)]
    bases = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0, 60.0, 60.0, 60.0, 60.0]
    for delay, base in zip(delays, bases, strict=True):
        assert base * 0.8 <= delay <= min(base * 1.2, 60.0)
    assert len(set(delays)) > 6  # jitter spreads them; the capped ones too (downwards)


def test_a_known_seed_gives_known_delays() -> None:
    rng = random.Random(7)
    expected = [base * (1 + rng.uniform(-0.5, 0.5)) for base in (0.5, 1.5, 4.5)]
    backoff = Backoff(initial=0.5, maximum=100.0, factor=3.0, jitter=0.5, rng=random.Random(7))
    assert [backoff.next_delay() for _ in range(3)] == pytest.approx(expected)


def test_never_above_the_maximum_even_after_many_attempts() -> None:
    backoff = Backoff(initial=0.1, maximum=5.0, factor=10.0, jitter=0.9, rng=random.Random(3))
    delays = [backoff.next_delay() for _ in range(5000)]  # factor**5000 would overflow a float
    assert max(delays) <= 5.0
    assert min(delays) > 0.0
    assert backoff.attempt == 5000


def test_reset_starts_again_from_the_first_delay() -> None:
    backoff = Backoff(initial=2.0, maximum=30.0, jitter=0.0)
    for _ in range(4):
        backoff.next_delay()
    backoff.reset()
    assert backoff.attempt == 0
    assert backoff.next_delay() == 2.0
    assert backoff.next_delay() == 4.0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"initial": 0.0},
        {"initial": -1.0},
        {"initial": 10.0, "maximum": 5.0},
        {"factor": 0.5},
        {"jitter": 1.0},
        {"jitter": -0.1},
        {"initial": float("nan")},
    ],
)
def test_nonsense_parameters_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Backoff(**kwargs)
