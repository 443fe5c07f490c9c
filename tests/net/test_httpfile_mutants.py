"""What httpfile writes for folders and names, whole, as mutation testing found it unchecked
(tools/mutation.py httpfile): the JSON list with folders, folder URLs, RFC 8187 attr-chars."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from net.httpfile import content_disposition, file_url_path, render_json
from net.share import SharedFile, SharedFolder


def test_the_json_list_gives_folders_first_then_files_with_every_field() -> None:
    folder = SharedFolder("photos/2024", Path("/srv/photos/2024"), 1_700_000_000.5)
    file = SharedFile(
        "photos/a b.jpg", Path("/srv/photos/a b.jpg"), 3, 1_600_000_000.25, "ab" * 32, 1
    )
    assert json.loads(render_json([file], [(folder, 12_345)])) == [
        {
            "name": "2024",
            "path": "photos/2024",
            "type": "folder",
            "size": 12_345,
            "mtime": 1_700_000_000.5,
            "sha256": None,
            "url": "/photos/2024/",
        },
        {
            "name": "a b.jpg",
            "path": "photos/a b.jpg",
            "type": "file",
            "size": 3,
            "mtime": 1_600_000_000.25,
            "sha256": "ab" * 32,
            "url": "/photos/a%20b.jpg",
        },
    ]


@pytest.mark.parametrize(
    ("name", "folder", "path"),
    [
        ("photos", True, "/photos/"),  # a folder's URL ends in "/" (its listing)
        ("photos", False, "/photos"),
        ("", True, "/"),  # the root
        ("a?b/c#d%e f", False, "/a%3Fb/c%23d%25e%20f"),  # each segment encoded whole
    ],
)
def test_file_url_paths(name: str, folder: bool, path: str) -> None:
    assert file_url_path(name, folder=folder) == path


def test_content_disposition_leaves_rfc_8187_attr_chars_as_they_are() -> None:
    # attr-char (RFC 8187 §3.2.1) keeps "!#$&+^`|" literal; the space and "é" are encoded.
    assert content_disposition("a!#$&+^`|é .txt", inline=False) == (
        "attachment; filename=\"a!#$&+^`|_ .txt\"; filename*=UTF-8''a!#$&+^`|%C3%A9%20.txt"
    )
