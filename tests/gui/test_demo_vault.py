"""Explore with demo data: a separate, clearly labelled vault of fictional cases."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QLabel

from desktop_app.store.vault import VaultFolder
from desktop_app.ui.demo_vault import DEMO_PASSPHRASE, demo_vault_dir
from desktop_app.ui.demo_vault_dialog import DemoVaultDialog
from desktop_app.ui.main_window import MainWindow

from .case_helpers import WAIT_MS, open_window, unlock, wait_idle, workspace_of

__all__ = ["open_window"]


@pytest.fixture
def data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The per-user data folder, redirected so the real one is never touched."""
    home = tmp_path / "data"
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    return home


def demo_dialog(qtbot: Any) -> DemoVaultDialog:
    qtbot.waitUntil(
        lambda: any(isinstance(w, DemoVaultDialog) and w.isVisible() for w in QApplication.topLevelWidgets()),
        timeout=WAIT_MS,
    )
    return next(w for w in QApplication.topLevelWidgets() if isinstance(w, DemoVaultDialog) and w.isVisible())


def banner_texts(window: MainWindow) -> list[str]:
    return [label.text() for label in window.banner_area.findChildren(QLabel) if label.isVisible()]


def test_explore_with_demo_data_opens_a_separate_labelled_vault(
    qtbot: Any, open_window: Callable[..., MainWindow], vault_dir: Path, data_home: Path
) -> None:
    window = open_window(vault_dir)
    assert window.stack.currentWidget() is window.welcome
    window.welcome.demo_button.click()
    dialog = demo_dialog(qtbot)
    assert dialog.passphrase.text() == DEMO_PASSPHRASE  # shown: it protects nothing real
    assert str(demo_vault_dir()) in dialog.body.text() and "fictional" in dialog.body.text()
    assert demo_vault_dir().is_relative_to(data_home)
    dialog.open_button.click()
    qtbot.waitUntil(lambda: window.workspace is not None, timeout=WAIT_MS)
    wait_idle(qtbot, window)
    ws = workspace_of(window)

    assert ws.is_demo
    assert "DEMO — fictional data" in window.windowTitle()
    assert any("DEMO — fictional data." in text and DEMO_PASSPHRASE in text for text in banner_texts(window))
    qtbot.waitUntil(lambda: ws.cases.model.rowCount() > 0 and not ws.cases.model.loading, timeout=WAIT_MS)
    references = [ws.cases.model.index(r, 0).data() for r in range(ws.cases.model.rowCount())]
    assert all(ref.startswith("DEMO-") for ref in references)
    names = [ws.cases.model.index(r, 1).data() for r in range(ws.cases.model.rowCount())]
    assert all(name.endswith("(fictional)") for name in names)
    assert VaultFolder.is_vault(demo_vault_dir())
    assert not VaultFolder.is_vault(vault_dir)  # the real vault folder is untouched

    # Locking the demo goes back to where the person came from (here: the start).
    window.lock("manual")
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.welcome, timeout=WAIT_MS)
    assert "DEMO" not in window.windowTitle()
    assert banner_texts(window) == []
    assert DEMO_PASSPHRASE in window.notice.text.text()
    assert window.vault_dir == vault_dir

    # The second time, the same demo vault opens again.
    window.welcome.demo_button.click()
    dialog = demo_dialog(qtbot)
    assert dialog.open_button.text() == "&Open the demo vault"
    dialog.open_button.click()
    qtbot.waitUntil(lambda: window.workspace is not None, timeout=WAIT_MS)
    assert workspace_of(window).is_demo


def test_from_a_real_vault_the_demo_locks_it_first_and_comes_back(
    qtbot: Any, open_window: Callable[..., MainWindow], created_vault: Any, vault_dir: Path, data_home: Path
) -> None:
    created_vault.vault.close()
    created_vault.folder.release()
    window = open_window(vault_dir)
    ws = unlock(qtbot, window)
    assert not ws.is_demo and "DEMO" not in window.windowTitle()
    qtbot.waitUntil(lambda: ws.cases.demo_button.isVisible(), timeout=WAIT_MS)  # offered when empty
    ws.cases.demo_button.click()
    dialog = demo_dialog(qtbot)
    assert window.vault is not None  # nothing happens until the person agrees
    dialog.open_button.click()
    qtbot.waitUntil(lambda: window.workspace is not None and workspace_of(window).is_demo, timeout=WAIT_MS)
    window.lock("manual")
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.unlock_page, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.vault_dir == vault_dir, timeout=WAIT_MS)
    ws = unlock(qtbot, window)
    assert not ws.is_demo and "DEMO" not in window.windowTitle()
