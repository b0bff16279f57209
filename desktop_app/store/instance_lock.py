"""One writer per vault: an OS advisory lock on ``vault.lock`` in the vault folder.

The lock belongs to an open file, not to a file's existence, so a crashed or killed
process releases it automatically: there is no stale lock to clean up by hand. The
file's content (process id, computer name, time) is only used to explain who holds it.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from pathlib import Path
from typing import IO

from desktop_app.errors import VaultInUse
from desktop_app.store.atomic import storage_error

LOCK_NAME = "vault.lock"


class InstanceLock:
    def __init__(self, folder: Path) -> None:
        self.path = folder / LOCK_NAME
        self._handle: IO[bytes] | None = None

    @property
    def held(self) -> bool:
        return self._handle is not None

    def acquire(self) -> None:
        if self._handle is not None:
            return
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise storage_error(exc, "the vault lock") from exc
        handle = os.fdopen(fd, "r+b")
        if not _try_lock(handle):
            holder = _describe_holder(handle)
            handle.close()
            raise VaultInUse(f"This vault is already open in another Safeguarding Case Notes window{holder}.")
        handle.seek(0)
        handle.truncate()
        info = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.strftime("%Y-%m-%dT%H:%M:%S")}
        handle.write(json.dumps(info).encode())
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        if self._handle is None:
            return
        try:
            _unlock(self._handle)
        finally:
            self._handle.close()
            self._handle = None


def _describe_holder(handle: IO[bytes]) -> str:
    try:
        handle.seek(0)
        info = json.loads(handle.read(512) or b"{}")
        pid = int(info.get("pid"))
        host = str(info.get("host", ""))[:64]
    except (ValueError, TypeError, OSError, json.JSONDecodeError):
        return ""
    where = "this computer" if host == socket.gethostname() else (host or "another computer")
    return f" (process {pid} on {where})"


if sys.platform == "win32":
    import msvcrt

    def _try_lock(handle: IO[bytes]) -> bool:
        try:
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False

    def _unlock(handle: IO[bytes]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(handle: IO[bytes]) -> bool:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False

    def _unlock(handle: IO[bytes]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
