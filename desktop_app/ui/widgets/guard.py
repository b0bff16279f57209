"""Callbacks that only run if their widget still exists.

An answer from the store thread can arrive after the widget that asked has gone (a
dialog closed with Esc while saving, a chronology replaced by another case's). Wrapping
the callback with ``alive(owner, callback)`` drops the answer instead of touching a
deleted Qt object. (A lock is handled by ``BackgroundRunner.invalidate``.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject


def alive(owner: QObject, callback: Callable[[Any], None]) -> Callable[[Any], None]:
    def call(value: Any) -> None:
        if shiboken6.isValid(owner):
            callback(value)

    return call
