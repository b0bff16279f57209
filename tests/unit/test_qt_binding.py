"""Guard against a Qt binding that corrupts the interpreter.

PySide6 6.12.0 drops a reference to ``None`` on every Qt method that returns nothing
(upstream PYSIDE-3474). On Python 3.11, where ``None`` is not immortal, a long session
or a large export brings the count to zero and the interpreter aborts. pyproject.toml
excludes that release; this test fails on any binding with the same bug."""

from __future__ import annotations

import sys

from PySide6.QtGui import QFont


def test_void_qt_calls_do_not_lose_references_to_none() -> None:
    font = QFont()
    before = sys.getrefcount(None)
    for _ in range(2_000):
        font.setBold(True)
    lost = before - sys.getrefcount(None)
    assert lost < 100, f"the Qt binding lost {lost} references to None in 2,000 calls (PYSIDE-3474)"
