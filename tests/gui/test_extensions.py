"""The extension contract: a module listed in WORKSPACE_EXTENSIONS plugs into the case
workspace (case actions, menus, toolbar, chronology openers, refresh), and one that is
missing or broken never stops the workspace."""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMenu

from desktop_app.domain.records import CaseDetails, NoteInput
from desktop_app.services import case_records
from desktop_app.store import chronology
from desktop_app.ui import extensions
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.models.chronology_model import FLAGS, KIND
from desktop_app.ui.workspace import CaseWorkspace

from .case_helpers import WAIT_MS, open_window, release, unlock, wait_idle

__all__ = ["open_window"]

FAKE = "tests_fake_workspace_ext"
VISIT_SOURCE = chronology.ChronologySource(
    kind="home_visit",
    sql="""
        SELECT s.case_id AS case_id, s.occurred_at AS occurred_at, s.recorded_at AS recorded_at,
               'home_visit' AS kind, s.id AS item_id, 'Home visit planned' AS title,
               'Fictional entry of a kind this screen does not know' AS summary, 'needs_review' AS flags
        FROM case_status_changes s
    """,
)


class Recorder:
    def __init__(self) -> None:
        self.installed: list[CaseWorkspace] = []
        self.opened: list[tuple[str, int]] = []
        self.cases: list[int | None] = []
        self.action: QAction | None = None
        self.menu: QMenu | None = None
        self.toolbar_action: QAction | None = None


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    """A fake extension module in sys.modules, listed with one that does not exist."""
    seen = Recorder()

    def install(workspace: CaseWorkspace) -> None:
        seen.installed.append(workspace)
        seen.action = QAction("Fake &case thing…", workspace)
        workspace.add_case_action(seen.action)
        seen.menu = QMenu("Fa&ke", workspace)
        seen.menu.addAction(QAction("Fake item", seen.menu))
        workspace.add_menu(seen.menu)
        seen.toolbar_action = QAction("Fake share now", workspace)
        workspace.add_toolbar_action(seen.toolbar_action)
        workspace.register_chronology_opener("home_visit", lambda item_id: seen.opened.append(("home_visit", item_id)))
        workspace.case_changed.connect(seen.cases.append)

    module = types.ModuleType(FAKE)
    module.install = install  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, FAKE, module)
    monkeypatch.setattr(extensions, "WORKSPACE_EXTENSIONS", ("tests_not_written_yet_ext", FAKE))
    chronology.sources()  # load the real sources first
    monkeypatch.setitem(chronology._SOURCES, "home_visit", VISIT_SOURCE)  # noqa: SLF001 - no unregister exists
    return seen


@pytest.fixture
def vault_with_case(created_vault: Any, vault_dir: Any) -> Any:
    vault = created_vault.vault
    case = case_records.create_case(vault, CaseDetails("EX-1", "Sam Example"))
    case_records.record_note(vault, case.id, NoteInput(datetime.now() - timedelta(hours=1), "A visit.", "neglect"))
    release(created_vault)
    return vault_dir


def test_an_extension_plugs_into_the_workspace(
    qtbot: Any, open_window: Callable[..., MainWindow], vault_with_case: Any, recorder: Recorder
) -> None:
    window = open_window(vault_with_case)
    ws = unlock(qtbot, window)
    assert recorder.installed == [ws]  # once, on the new workspace
    action, menu, toolbar_action = recorder.action, recorder.menu, recorder.toolbar_action
    assert action is not None and menu is not None and toolbar_action is not None

    # The case action: in the case toolbar and the Case menu, enabled only with a case.
    assert action in ws.case_view.toolbar.actions()
    assert action in ws.case_menu.actions()
    assert not action.isEnabled()
    menus = [a.text() for a in window.menuBar().actions()]
    assert menus.index("Fa&ke") < menus.index("&Help")
    assert toolbar_action in window.toolbar.actions()

    qtbot.waitUntil(lambda: ws.cases.model.rowCount() == 1, timeout=WAIT_MS)
    ws.cases.view.setCurrentIndex(ws.cases.model.index(0, 0))
    qtbot.waitUntil(lambda: ws.case is not None, timeout=WAIT_MS)
    assert action.isEnabled()
    assert recorder.cases == [ws.current_case_id()]
    case_id = ws.current_case_id()
    assert case_id is not None

    # A kind this screen does not know is listed generically; Enter calls its opener.
    model = ws.case_view.chronology.model
    assert model is not None
    qtbot.waitUntil(lambda: model.rowCount() == 3 and not model.loading, timeout=WAIT_MS)
    row = next(r for r in range(model.rowCount()) if model.entry(r).kind == "home_visit")
    assert model.data(model.index(row, KIND)) == "Home visit"
    assert model.data(model.index(row, FLAGS)) == "Needs review"
    view = ws.case_view.chronology.view
    ws.case_view.show_tab(ws.case_view.CHRONOLOGY)
    view.setCurrentIndex(model.index(row, 0))
    QTest.keyClick(view, Qt.Key.Key_Return)
    assert recorder.opened == [("home_visit", model.entry(row).item_id)]

    # refresh_case: something recorded elsewhere appears.
    ws.runner.submit(
        lambda: case_records.record_note(
            ws.vault, case_id, NoteInput(datetime.now() - timedelta(minutes=5), "Recorded by an extension.", "neglect")
        )
    ).result(timeout=10)
    ws.refresh_case()
    qtbot.waitUntil(lambda: ws.case_view.chronology.model is not None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: ws.case_view.chronology.model.rowCount() == 4, timeout=WAIT_MS)  # type: ignore[union-attr]

    # show_message / show_error
    ws.show_message("info", "Decision <recorded>.")
    assert "Decision &lt;recorded&gt;." in ws.message.text.text()

    # Back to no case: disabled again. Lock: menus and toolbar actions go.
    ws.show_case(None)
    assert not action.isEnabled()
    assert recorder.cases[-1] is None
    wait_idle(qtbot, window)
    window.lock("manual")
    assert "Fa&ke" not in [a.text() for a in window.menuBar().actions()]
    assert [a.text() for a in window.toolbar.actions()] == [
        a.text() for a in window.toolbar.actions() if "Fake" not in a.text()
    ]

    # The next unlock builds a new workspace and installs again.
    ws2 = unlock(qtbot, window)
    assert recorder.installed == [ws, ws2]


def test_a_broken_extension_is_reported_and_the_workspace_still_works(
    qtbot: Any, open_window: Callable[..., MainWindow], vault_with_case: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def install(workspace: CaseWorkspace) -> None:
        raise RuntimeError("bug in the extension")

    broken = types.ModuleType("tests_broken_ext")
    broken.install = install  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tests_broken_ext", broken)
    monkeypatch.setattr(extensions, "WORKSPACE_EXTENSIONS", ("tests_broken_ext",))
    window = open_window(vault_with_case)
    ws = unlock(qtbot, window)
    assert "could not be loaded" in ws.message.text.text()
    assert "tests broken" in ws.message.text.text()
    qtbot.waitUntil(lambda: ws.cases.model.rowCount() == 1, timeout=WAIT_MS)


def test_a_module_missing_a_dependency_is_not_mistaken_for_one_not_written_yet(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shown: list[tuple[str, str]] = []

    class Workspace:
        def show_message(self, kind: str, text: str) -> None:
            shown.append((kind, text))

        def show_error(self, exc: BaseException) -> None:
            shown.append(("error", str(exc)))

    monkeypatch.setattr(extensions, "WORKSPACE_EXTENSIONS", ("tests_not_written_yet_ext",))
    assert extensions.install_all(Workspace()) == []  # type: ignore[arg-type]
    assert shown == []
    monkeypatch.setattr(extensions, "WORKSPACE_EXTENSIONS", ("json.tests_no_such_submodule",))
    assert extensions.install_all(Workspace()) == []  # type: ignore[arg-type]
    assert shown == []  # the listed module itself is missing: skipped quietly
    monkeypatch.setattr(extensions, "WORKSPACE_EXTENSIONS", ("desktop_app.ui.extensions",))
    assert extensions.install_all(Workspace()) == []  # type: ignore[arg-type]
    assert shown and shown[0][0] == "warning"  # present but has no install(): reported
