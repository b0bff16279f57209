"""Keyboard-only use: every Alt+letter on the main screen reaches exactly one thing.

When a menu and a label share a letter, Alt+letter opens the menu and the field can no
longer be reached that way (Alt+C once opened the Case menu and never the Chronology tab).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QAbstractButton, QApplication, QGroupBox, QLabel, QTabBar

from desktop_app.domain.records import CaseDetails, NoteInput
from desktop_app.services import case_records
from desktop_app.ui.main_window import MainWindow

from .case_helpers import open_window, release, unlock, wait_idle

__all__ = ["open_window"]  # the fixture, used by name

_MNEMONIC = re.compile(r"&([^&])")


def _letter(text: str) -> str | None:
    match = _MNEMONIC.search(text.replace("&&", ""))
    return match.group(1).lower() if match else None


def mnemonics(window: MainWindow) -> dict[str, list[str]]:
    """Alt+letter -> what it would reach, for the menu bar and every visible control."""
    found: dict[str, list[str]] = defaultdict(list)
    for action in window.menuBar().actions():
        letter = _letter(action.text())
        if letter:
            found[letter].append(f"menu {action.text()}")
    controls: list[Any] = [*window.findChildren(QAbstractButton), *window.findChildren(QLabel)]
    controls += window.findChildren(QGroupBox)
    for widget in controls:
        if widget.isVisibleTo(window):
            text = widget.title() if isinstance(widget, QGroupBox) else widget.text()
            letter = _letter(text)
            if letter:
                found[letter].append(f"{type(widget).__name__} {text}")
    for bar in window.findChildren(QTabBar):
        if bar.isVisibleTo(window):
            for index in range(bar.count()):
                letter = _letter(bar.tabText(index))
                if letter:
                    found[letter].append(f"tab {bar.tabText(index)}")
    return found


@pytest.fixture
def one_case(created_vault: Any, vault_dir: Path) -> tuple[Path, int]:
    case = case_records.create_case(created_vault.vault, CaseDetails("MN-1", "Kit Example"))
    case_records.record_note(created_vault.vault, case.id, NoteInput("2024-05-01T10:00", "A note."))
    release(created_vault)
    return vault_dir, case.id


@pytest.mark.parametrize("tab", ["cases", "search"])
def test_each_alt_letter_reaches_one_thing(
    qtbot: Any, open_window: Callable[..., MainWindow], one_case: tuple[Path, int], tab: str
) -> None:
    folder, case_id = one_case
    window = open_window(folder)
    workspace = unlock(qtbot, window)
    workspace.show_case(case_id)
    wait_idle(qtbot, window)
    if tab == "search":
        workspace.focus_search()
    found = mnemonics(window)
    assert len(found) >= 10  # menus, filters, tabs: the check is looking at the real screen
    clashes = {letter: places for letter, places in found.items() if len(places) > 1}
    assert clashes == {}


@pytest.mark.parametrize("has_cases", [False, True], ids=["empty vault", "with a case"])
def test_first_focus_waits_for_the_case_list_however_slow_the_store(
    qtbot: Any,
    open_window: Callable[..., MainWindow],
    created_vault: Any,
    vault_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    has_cases: bool,
) -> None:
    """After unlock the keyboard starts at "New case" in an empty vault and at the find box
    otherwise. The first page of cases comes from the store thread and may arrive after the
    window is shown (a busy laptop): the choice must wait for it, not guess."""
    import time

    if has_cases:
        case_records.create_case(created_vault.vault, CaseDetails("MN-2", "Jo Example"))
    release(created_vault)
    real = case_records.list_cases

    def slow_list_cases(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.4)  # on the store thread
        return real(*args, **kwargs)

    monkeypatch.setattr(case_records, "list_cases", slow_list_cases)
    window = open_window(vault_dir)
    workspace = unlock(qtbot, window)
    expected = workspace.cases.text if has_cases else workspace.cases.new_button
    qtbot.waitUntil(lambda: QApplication.focusWidget() is expected, timeout=5_000)
