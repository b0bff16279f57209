"""Walking away from an unlocked vault: the idle lock on the real case workspace closes
the connection, clears every widget that shows a record, and keeps what was being typed
as an encrypted draft that is offered back at the next unlock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractItemView, QApplication

from desktop_app.domain.records import CaseDetails, NoteInput
from desktop_app.services import case_records
from desktop_app.ui import note_editor
from desktop_app.ui.drafts_dialog import DraftsDialog
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.note_editor import NoteEditor

from .case_helpers import WAIT_MS, open_window, release, type_text, unlock, wait_idle

__all__ = ["open_window"]  # the fixture, used by name

CHILD = "Rowan Idleworth"
SAVED_TEXT = "Rowan said the heating has been off since Tuesday."
TYPED_TEXT = "Rowan's mum asked me not to tell the school about"


def visible_text() -> str:
    """Every piece of text any widget of the application shows right now, including the
    rows of every list and table (their models)."""
    texts: list[str] = []
    for widget in QApplication.allWidgets():
        if isinstance(widget, QAbstractItemView) and widget.model() is not None:
            model = widget.model()
            for row in range(min(model.rowCount(), 200)):
                for column in range(model.columnCount()):
                    texts.append(str(model.data(model.index(row, column))))
        for getter in ("text", "toPlainText", "windowTitle", "placeholderText"):
            method = getattr(widget, getter, None)
            if callable(method):
                try:
                    texts.append(str(method()))
                except (RuntimeError, TypeError):
                    continue
    return "\n".join(texts)


@pytest.fixture
def vault_with_a_case(created_vault: Any, vault_dir: Path) -> tuple[Path, int]:
    vault = created_vault.vault
    case = case_records.create_case(vault, CaseDetails("IL-100", CHILD, key_worker="Alex Practitioner"))
    case_records.record_note(vault, case.id, NoteInput(datetime.now() - timedelta(hours=2), SAVED_TEXT, "neglect"))
    release(created_vault)
    return vault_dir, case.id


def test_idle_lock_on_the_workspace_keeps_the_typing_as_a_draft_and_clears_the_screen(
    qtbot: Any,
    open_window: Callable[..., MainWindow],
    vault_with_a_case: tuple[Path, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder, case_id = vault_with_a_case
    monkeypatch.setattr(note_editor, "AUTOSAVE_MS", 60_000)  # only the lock can save this draft
    window = open_window(folder)
    ws = unlock(qtbot, window)
    ws.show_case(case_id)
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: SAVED_TEXT in visible_text(), timeout=WAIT_MS)

    QTest.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: any(isinstance(w, NoteEditor) and w.isVisible() for w in QApplication.topLevelWidgets()))
    editor = next(w for w in QApplication.topLevelWidgets() if isinstance(w, NoteEditor))
    editor.text.setFocus()
    type_text(TYPED_TEXT)
    assert editor.draft_id is None  # nothing autosaved yet: the lock must do it
    vault = window.vault
    assert vault is not None

    window.idle_watcher.set_timeout_ms(200)
    window.idle_watcher.start()
    qtbot.waitUntil(lambda: window.vault is None, timeout=WAIT_MS)
    assert vault.closed
    assert window.stack.currentWidget() is window.unlock_page
    assert "idle" in window.status.text()
    qtbot.waitUntil(lambda: not any(isinstance(w, NoteEditor) for w in QApplication.topLevelWidgets()))
    qtbot.wait(50)
    on_screen = visible_text()
    for secret in (CHILD, SAVED_TEXT, TYPED_TEXT, "IL-100"):
        assert secret not in on_screen

    # The draft is in the vault, encrypted: no file of the folder holds the typed words.
    for path in folder.iterdir():
        if path.is_file():
            assert TYPED_TEXT.encode() not in path.read_bytes(), path.name

    unlock(qtbot, window)
    qtbot.waitUntil(lambda: any(isinstance(w, DraftsDialog) and w.isVisible() for w in QApplication.topLevelWidgets()))
    drafts = next(w for w in QApplication.topLevelWidgets() if isinstance(w, DraftsDialog) and w.isVisible())
    assert drafts.list.count() == 1
    assert TYPED_TEXT in drafts.list.item(0).text()
    drafts.reject()


def test_a_lock_leaves_no_dialog_on_screen_even_before_the_event_loop_runs(
    qtbot: Any,
    open_window: Callable[..., MainWindow],
    vault_with_a_case: tuple[Path, int],
) -> None:
    """The workspace's dialogs are windows of their own, deleted only when the event loop
    next runs (a lock can come inside a modal loop). The lock hides them at once: checked
    here without letting the event loop run at all."""
    folder, case_id = vault_with_a_case
    window = open_window(folder)
    ws = unlock(qtbot, window)
    ws.show_case(case_id)
    wait_idle(qtbot, window)
    QTest.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: any(isinstance(w, NoteEditor) and w.isVisible() for w in QApplication.topLevelWidgets()))
    editor = next(w for w in QApplication.topLevelWidgets() if isinstance(w, NoteEditor))
    editor.text.setPlainText(TYPED_TEXT)

    window.lock()
    showing = [w for w in QApplication.topLevelWidgets() if w.isVisible() and w is not window]
    assert showing == []
