"""Atomic small-file writes: temp file in the same folder, fsync, rename, fsync folder.

Used for the key-slot file and other small state beside the database: after a power
cut the file is either the old version or the new one, never half of each.
"""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path

from desktop_app.errors import StorageFull, StorageReadOnly

FILE_MODE = 0o600


def storage_error(exc: OSError, what: str) -> Exception:
    """Translate an OS error into advice a person can act on."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return StorageFull(f"The disk is full, so {what} could not be saved.")
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return StorageReadOnly(f"{what[:1].upper()}{what[1:]} could not be saved: the folder is read-only.")
    return exc


def fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes, what: str = "the file") -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), FILE_MODE)
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        fsync_dir(path.parent)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise storage_error(exc, what) from exc
