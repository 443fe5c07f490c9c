"""safe_file_name at its edges: the 200-byte cut, the 16-byte extension, Windows' rules.

Each case kills a mutant that tools/mutation.py found alive (test_download.py checks the
hostile names; these check the boundaries and which part of a name each rule looks at).
"""

from __future__ import annotations

import pytest

from net.download import safe_file_name

EDGES = [
    # Windows forbids <>:"|?* and trailing dots and spaces, nothing else
    ("X.txt", True, "X.txt"),
    ("boX", True, "boX"),
    (".profile", True, ".profile"),  # a leading dot is fine; only trailing ones go
    # a device name is the part before the first dot, with trailing spaces (only) ignored
    ("CON.tar.gz", True, "_CON.tar.gz"),
    ("CONX.txt", True, "CONX.txt"),
    ("CON\u2003.txt", True, "CON\u2003.txt"),
    # C0, DEL and C1 controls become "_"; the first printable characters after them stay
    ("a\x1fb\x20c", False, "a_b c"),
    ("a\x7fb\x9fc\xa0d", False, "a_b_c\xa0d"),
    # names that are only dots become "download"; other short names stay
    ("X", False, "X"),
    ("XX", False, "XX"),
    # over 200 bytes: the stem is cut, the last extension kept when it has at most 16 bytes
    ("x" * 250 + ".tar.gz", False, "x" * 197 + ".gz"),
    ("a" * 250 + "." + "e" * 16, False, "a" * 183 + "." + "e" * 16),
    ("a" * 250 + "." + "e" * 17, False, ("a" * 250 + "." + "e" * 17)[:200]),
]


@pytest.mark.parametrize(("name", "windows", "expected"), EDGES)
def test_safe_file_name_edges(name: str, windows: bool, expected: str) -> None:
    assert safe_file_name(name, windows=windows) == expected
    assert len(expected.encode()) <= 200
