"""Slowing down repeated wrong passphrases without ever locking the owner out.

After three wrong attempts in a row each further attempt must wait 1, 2, 4 … seconds
(at most 30). The count lives in a small file beside the vault so that restarting the
program does not reset it; if the file cannot be read or written we carry on without
it, because a damaged counter must never stop the owner getting in.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

from desktop_app.errors import CaseNotesError, UnlockThrottled
from desktop_app.store.atomic import write_atomic

FILE_NAME = "unlock-attempts.json"
FREE_ATTEMPTS = 3
MAX_DELAY = 30.0


def delay_after(failures: int) -> float:
    if failures < FREE_ATTEMPTS:
        return 0.0
    # Cap the exponent: a damaged counter file saying "10**15 failures" must not make us
    # compute an astronomically large integer (a hang or MemoryError, not a delay).
    return float(min(MAX_DELAY, 2 ** min(failures - FREE_ATTEMPTS, 16)))


class AttemptThrottle:
    def __init__(self, folder: Path, clock: Callable[[], float] = time.time) -> None:
        self.path = folder / FILE_NAME
        self.clock = clock

    def _load(self) -> tuple[int, float]:
        try:
            data = json.loads(self.path.read_text())
            return max(0, int(data["failures"])), float(data["last"])
        except (OSError, ValueError, KeyError, TypeError):
            return 0, 0.0

    def _save(self, failures: int, last: float) -> None:
        try:
            write_atomic(self.path, json.dumps({"failures": failures, "last": last}).encode(), "the attempt counter")
        except (CaseNotesError, OSError):
            pass

    def wait_remaining(self) -> float:
        failures, last = self._load()
        now = self.clock()
        if last > now:  # the clock went backwards; do not make the owner wait for it
            return 0.0
        return max(0.0, last + delay_after(failures) - now)

    def check(self) -> None:
        remaining = self.wait_remaining()
        if remaining > 0:
            raise UnlockThrottled(remaining)

    def record_failure(self) -> None:
        failures, _ = self._load()
        self._save(failures + 1, self.clock())

    def reset(self) -> None:
        if self.path.exists():
            self._save(0, 0.0)
