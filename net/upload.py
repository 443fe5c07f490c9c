"""Uploads and the share password: the receiving side without sockets (the file server calls
it), the share password's checks, and the sending side (``swb put``, the Download panel).

* :func:`upload_name`, :class:`Receiver`, :class:`FormReceiver`, :func:`expire_parts`: the upload
  folder's side, in :mod:`net._upload_receive`. A :class:`Receiver` writes one upload as
  ``.<name>.part`` and renames it when it is complete and its digest (RFC 9530 ``Repr-Digest``)
  matched; an existing name is never overwritten. A failed upload leaves nothing behind.
* :func:`check_basic` and :class:`AuthThrottle`: HTTP Basic authentication (RFC 7617) compared in
  constant time, and an escalating delay per client address after wrong passwords, in
  :mod:`net._basic_auth`.
* :class:`FileUpload` and :class:`FilesUpload`: the sending side, a resumable upload
  (draft-ietf-httpbis-resumable-upload-05) with ``Repr-Digest`` and ``Expect: 100-continue``
  (RFC 9110 §10.1.1), in :mod:`net._upload_send`.
"""

from __future__ import annotations

from net._basic_auth import AuthThrottle, basic_credentials, check_basic
from net._upload_receive import (
    PART_MAX_AGE,
    PART_SUFFIX,
    FormReceiver,
    Receiver,
    expire_parts,
    part_path,
    partial_size,
    upload_name,
)
from net._upload_send import (
    PASSWORD_NEEDED,
    FilesUpload,
    FileUpload,
    UploadTarget,
    refused_summary,
)
from net.errors import FileRefused, UploadRefused, UploadStopped
from net.events import UploadSent

__all__ = [
    "PART_MAX_AGE",
    "PART_SUFFIX",
    "PASSWORD_NEEDED",
    "AuthThrottle",
    "FileRefused",
    "FileUpload",
    "FilesUpload",
    "FormReceiver",
    "Receiver",
    "UploadRefused",
    "UploadSent",
    "UploadStopped",
    "UploadTarget",
    "basic_credentials",
    "check_basic",
    "expire_parts",
    "part_path",
    "partial_size",
    "refused_summary",
    "upload_name",
]
