"""Shared helpers for the case-records screen tests: a real vault, a real MainWindow,
unlocked by typing the passphrase, and keyboard helpers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.workspace import CaseWorkspace

from ..conftest import PASSPHRASE

WAIT_MS = 15_000


def focused() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None, "nothing has keyboard focus"
    return widget


def press(key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    QTest.keyClick(focused(), key, modifier)


def type_text(text: str) -> None:
    QTest.keyClicks(focused(), text)


def tab_to(target: QWidget, limit: int = 30) -> None:
    for _ in range(limit):
        if focused() is target:
            return
        press(Qt.Key.Key_Tab)
    assert focused() is target, f"Tab never reached {target.accessibleName() or target}"


def wait_idle(qtbot: Any, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=WAIT_MS)


def workspace_of(window: MainWindow) -> CaseWorkspace:
    workspace = window.workspace
    assert isinstance(workspace, CaseWorkspace), f"workspace is {type(workspace).__name__}"
    return workspace


def unlock(qtbot: Any, window: MainWindow, passphrase: str = PASSPHRASE) -> CaseWorkspace:
    """Type the passphrase and press Enter, as a person would; wait for the workspace."""
    assert window.stack.currentWidget() is window.unlock_page
    window.unlock_page.secret.setFocus()
    QTest.keyClicks(window.unlock_page.secret, passphrase)
    QTest.keyClick(window.unlock_page.secret, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.workspace is not None, timeout=WAIT_MS)
    wait_idle(qtbot, window)
    return workspace_of(window)


@pytest.fixture
def open_window(qtbot: Any) -> Iterator[Callable[..., MainWindow]]:
    """``open_window(vault_dir)``: a shown, started MainWindow; always closed at the end."""
    windows: list[MainWindow] = []

    def make(path: Path, **kwargs: Any) -> MainWindow:
        window = MainWindow(path, **kwargs)
        windows.append(window)
        window.resize(1366, 768)
        window.show()
        window.start()
        qtbot.waitExposed(window)
        window.activateWindow()
        return window

    yield make
    for window in windows:
        if shiboken6.isValid(window):
            qtbot.waitUntil(lambda w=window: not w.runner.busy, timeout=WAIT_MS)
            window.close()


@pytest.fixture
def closed_vault(created_vault: Any) -> Any:
    """A created vault, for seeding through the services; call ``release()`` on the
    returned function before opening the folder in a window."""
    return created_vault


def release(created: Any) -> None:
    created.vault.close()
    created.folder.release()
