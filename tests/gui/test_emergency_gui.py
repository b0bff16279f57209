"""Share now, document later, driven as a practitioner would: keyboard first, offscreen,
real vaults, the real main window.

The workspace here is a small stand-in that offers only the extension contract of
``desktop_app/ui/extensions.py`` (so these tests do not depend on the case screens); one
test checks the real ``CaseWorkspace`` installs the emergency path. The decision wizard
is stood in by a function that saves the write-up through the real decision service and
calls ``on_saved`` as the wizard does.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import Signal
from PySide6.QtGui import QAction, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QMenu, QMessageBox, QVBoxLayout, QWidget

from desktop_app.domain.decision_rules import evaluate, parse_answers
from desktop_app.domain.emergency import (
    DecisionPrefill,
    EmergencyCapture,
    UnfinishedCapture,
    local_text,
    locked_notification_text,
)
from desktop_app.domain.follow_up import FollowUpStatus
from desktop_app.domain.records import CaseDetails
from desktop_app.services import case_records, decisions
from desktop_app.services import emergency as service
from desktop_app.services.policy_loader import load_policy
from desktop_app.store.vault import VaultFolder
from desktop_app.ui import emergency_dialog, emergency_ext
from desktop_app.ui.emergency_dialog import EmergencyDialog
from desktop_app.ui.follow_up_list_dialog import FollowUpListDialog, InErrorDialog, ShareDetailsDialog
from desktop_app.ui.main_window import MainWindow

from ..conftest import PASSPHRASE

WAIT_MS = 15_000
MAX_COMMAND_KEYS = 12  # Ctrl+Shift+E, the Tabs, the 'how' choice and Enter: everything but typing

ANSWERS: dict[str, object] = {
    "organisation_sector": "public",
    "recipient_has_safeguarding_role": True,
    "identifiable": True,
    "anonymised_would_suffice": False,
    "confidential": True,
    "special_category": False,
    "legal_requirement": False,
    "informing_would_increase_risk": True,
    "objection_raised": False,
    "consent": "not_sought",
    "consent_not_sought_reason": "increase_risk_to_child",
}
COMPLETION: dict[str, object] = {
    "lawful_basis": ["public_task"],
    "risk_level": "Immediate risk of harm that evening",
    "rationale": "The duty team needed to know before the child went home.",
    "reasons_consent_not_sought": "Asking would have increased the risk to the child.",
    "informed": "not_told",
    "reason_not_informed": "Telling the family could have increased the risk.",
    "follow_up_rationale": "Shared by phone, written up the next morning.",
    "confidentiality": "overriding_public_interest",
    "advice_not_sought_reason": "No time to ask before the child went home; the lead was told afterwards.",
}


class StandInWorkspace(QWidget):
    """Only what ``extensions.py`` promises an extension: nothing else."""

    case_changed = Signal(object)
    locking = Signal()

    def __init__(self, window: MainWindow, case_id: int | None) -> None:
        super().__init__()
        self.window = window  # type: ignore[assignment,method-assign] - the contract's name
        self.runner = window.runner
        self.vault = window.vault
        self._case_id = case_id
        self.case_actions: list[QAction] = []
        self.menus: list[QMenu] = []
        self.openers: dict[str, Callable[[int], None]] = {}
        self.refreshed: list[int | None] = []
        self.messages: list[tuple[str, str]] = []
        self.errors: list[BaseException] = []
        self.toolbar_actions: list[QAction] = []
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Cases"))
        emergency_ext.install(self)

    def current_case_id(self) -> int | None:
        return self._case_id

    def add_case_action(self, action: QAction) -> None:
        self.case_actions.append(action)

    def add_menu(self, menu: QMenu) -> None:
        self.menus.append(menu)
        self.window.menuBar().addMenu(menu)

    def add_toolbar_action(self, action: QAction) -> None:
        self.toolbar_actions.append(action)
        self.window.toolbar.addAction(action)

    def register_chronology_opener(self, kind: str, callback: Callable[[int], None]) -> None:
        self.openers[kind] = callback

    def refresh_case(self, case_id: int | None = None) -> None:
        self.refreshed.append(case_id)

    def show_error(self, exc: BaseException) -> None:
        self.errors.append(exc)

    def show_message(self, kind: str, text: str) -> None:
        self.messages.append((kind, text))

    def prepare_lock(self) -> None:
        self.locking.emit()
        for action in self.toolbar_actions:
            if shiboken6.isValid(action):
                self.window.toolbar.removeAction(action)
        for menu in self.menus:
            if shiboken6.isValid(menu):
                self.window.menuBar().removeAction(menu.menuAction())


class Keys:
    """Key presses sent to whatever has focus, counted: commands apart from typed text."""

    def __init__(self) -> None:
        self.commands = 0
        self.typed = 0

    @staticmethod
    def focused() -> QWidget:
        widget = QApplication.focusWidget()
        assert widget is not None, "nothing has keyboard focus"
        return widget

    def press(self, key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
        self.commands += 1
        QTest.keyClick(self.focused(), key, modifier)

    def type(self, text: str) -> None:
        self.typed += len(text)
        QTest.keyClicks(self.focused(), text)

    @property
    def total(self) -> int:
        return self.commands + self.typed


# -- fixtures ------------------------------------------------------------------------------------------

Seed = Callable[[Any], Any]


@pytest.fixture
def make_vault(vault_dir: Path) -> Callable[[Seed | None], tuple[Path, Any]]:
    def make(seed: Seed | None = None) -> tuple[Path, Any]:
        created = VaultFolder.create(
            vault_dir, PASSPHRASE, owner_name="Alex Practitioner", organisation_name="Larkspur"
        )
        try:
            result = seed(created.vault) if seed else None
        finally:
            created.vault.close()
            created.folder.release()
        return vault_dir, result

    return make


@pytest.fixture
def open_window(qtbot: Any) -> Iterator[Callable[..., MainWindow]]:
    windows: list[MainWindow] = []

    def make(path: Path, case_id: int | None = None, *, factory: Any = None, policy: Any = None) -> MainWindow:
        window = MainWindow(path, workspace_factory=factory or (lambda w: StandInWorkspace(w, case_id)), policy=policy)
        windows.append(window)
        window.resize(1366, 768)
        window.show()
        window.start()
        qtbot.waitExposed(window)
        window.activateWindow()
        window._unlock(PASSPHRASE, False)
        qtbot.waitUntil(lambda: window.workspace is not None, timeout=WAIT_MS)
        feature = getattr(window.workspace, "emergency", None)
        assert feature is not None
        qtbot.waitUntil(lambda: feature.loaded and not window.runner.busy, timeout=WAIT_MS)
        return window

    yield make
    for window in windows:
        if shiboken6.isValid(window):
            qtbot.waitUntil(lambda w=window: not w.runner.busy, timeout=WAIT_MS)
            window.close()
            shiboken6.delete(window)


def unlock_again(qtbot: Any, window: MainWindow) -> emergency_ext.EmergencyFeature:
    window._unlock(PASSPHRASE, False)
    qtbot.waitUntil(lambda: window.workspace is not None, timeout=WAIT_MS)
    feature = feature_of(window)
    qtbot.waitUntil(lambda: feature.loaded, timeout=WAIT_MS)
    return feature


def feature_of(window: MainWindow) -> emergency_ext.EmergencyFeature:
    feature: emergency_ext.EmergencyFeature = window.workspace.emergency  # type: ignore[union-attr]
    return feature


def seed_case(vault: Any) -> int:
    return case_records.create_case(vault, CaseDetails("LP-001", "Sam Taylor")).id


def share(vault: Any, case_id: int, hours_ago: float, org: str = "Children's social care") -> Any:
    now = datetime.now(UTC)
    return service.record_emergency_share(
        vault,
        EmergencyCapture(
            case_id, org, "", "", "phone", "What was said", "Risk tonight", now - timedelta(hours=hours_ago)
        ),
        now=now,
    )


@pytest.fixture
def stand_in_wizard(monkeypatch: Any) -> list[DecisionPrefill]:
    """The decision wizard's part: save the write-up (real decision service), then on_saved."""
    opened: list[DecisionPrefill] = []

    def open_wizard(workspace: Any, prefill: DecisionPrefill, on_saved: Callable[[Any], None]) -> None:
        opened.append(prefill)
        vault = workspace.vault
        answers = {**ANSWERS, **prefill.answers}

        def save() -> Any:
            outcome = evaluate(parse_answers(answers))
            return decisions.record_decision(
                vault,
                prefill.case_id,
                answers,
                outcome,
                "share",
                {**prefill.record, **COMPLETION},
                prefill_source=prefill.source,
            )

        workspace.runner.submit(save, on_saved, workspace.show_error)

    monkeypatch.setattr(emergency_ext, "open_decision_wizard", open_wizard)
    return opened


# -- share now -----------------------------------------------------------------------------------------


def test_share_now_with_the_keyboard_alone(qtbot: Any, make_vault: Any, open_window: Any) -> None:
    path, case_id = make_vault(seed_case)
    window = open_window(path, case_id)
    feature = feature_of(window)
    assert not feature.banner.isVisible()
    keys = Keys()
    keys.press(Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), EmergencyDialog), timeout=WAIT_MS)
    dialog = feature.dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.case.currentData() == case_id, timeout=WAIT_MS)  # the open case, pre-selected
    assert keys.focused() is dialog.organisation
    keys.type("Children's social care duty team")
    keys.press(Qt.Key.Key_Tab)  # person (optional)
    keys.press(Qt.Key.Key_Tab)  # contact (optional)
    keys.press(Qt.Key.Key_Tab)
    assert keys.focused() is dialog.how
    keys.type("p")  # Phone call
    keys.press(Qt.Key.Key_Tab)
    assert keys.focused() is dialog.what
    keys.type("Bruising on arm; child named who did it")
    keys.press(Qt.Key.Key_Tab)
    assert keys.focused() is dialog.why
    keys.type("Child afraid to go home tonight")
    keys.press(Qt.Key.Key_Return)
    # the form closes only once the record is committed
    qtbot.waitUntil(lambda: feature.dialog is None, timeout=WAIT_MS)
    print(
        f"\nShare now by keyboard: {keys.total} key presses "
        f"({keys.commands} commands and navigation, {keys.typed} typed characters)"
    )
    assert keys.commands <= MAX_COMMAND_KEYS
    assert keys.total <= keys.typed + MAX_COMMAND_KEYS
    shares = window.runner.run_now(lambda: service.outstanding_follow_ups(window.vault))
    assert [(s.case_id, s.how, s.why) for s in shares] == [(case_id, "phone", "Child afraid to go home tonight")]
    qtbot.waitUntil(feature.banner.isVisible, timeout=WAIT_MS)
    assert "Write-up needed" in feature.banner.accessibleName()
    assert window.workspace.refreshed == [case_id]  # type: ignore[union-attr]


def test_the_label_keys_skip_the_optional_fields(qtbot: Any, make_vault: Any, open_window: Any) -> None:
    """The shorter route: Alt+H (the "How" label's key) jumps over the two optional
    fields, so the capture takes Ctrl+Shift+E, Alt+H, two Tabs and Enter: five."""
    path, case_id = make_vault(seed_case)
    window = open_window(path, case_id)
    feature = feature_of(window)
    keys = Keys()
    keys.press(Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(
        lambda: feature.dialog is not None and feature.dialog.case.currentData() == case_id, timeout=WAIT_MS
    )
    dialog = feature.dialog
    assert dialog is not None
    keys.type("Police")
    keys.press(Qt.Key.Key_H, Qt.KeyboardModifier.AltModifier)
    assert keys.focused() is dialog.how
    keys.type("p")
    keys.press(Qt.Key.Key_Tab)
    keys.type("Address")
    keys.press(Qt.Key.Key_Tab)
    keys.type("Threat tonight")
    keys.press(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: feature.dialog is None, timeout=WAIT_MS)
    print(f"\nShare now using the label keys: {keys.total} key presses ({keys.commands} commands, {keys.typed} typed)")
    assert keys.commands == 5
    (recorded,) = window.runner.run_now(lambda: service.outstanding_follow_ups(window.vault))
    assert (recorded.who, recorded.how, recorded.what) == ("Police", "phone", "Address")


def test_share_now_for_a_new_child_with_the_keyboard(qtbot: Any, make_vault: Any, open_window: Any) -> None:
    path, _ = make_vault(seed_case)
    window = open_window(path, None)  # no case open
    feature = feature_of(window)
    keys = Keys()
    keys.press(Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: feature.dialog is not None and feature.dialog.case.count() > 1, timeout=WAIT_MS)
    dialog = feature.dialog
    assert dialog is not None and keys.focused() is dialog.case
    assert dialog.case.currentIndex() == -1  # nothing chosen for them when no case is open
    keys.type("N")  # "New case (reference and child's name)"
    assert dialog.case.currentIndex() == 0
    keys.press(Qt.Key.Key_Tab)
    keys.type("LP-002")
    keys.press(Qt.Key.Key_Tab)
    keys.type("Jo Okafor")
    keys.press(Qt.Key.Key_Tab)
    keys.type("Police")
    for _ in range(3):
        keys.press(Qt.Key.Key_Tab)
    keys.type("i")  # In person
    keys.press(Qt.Key.Key_Tab)
    keys.type("Address; threat made")
    keys.press(Qt.Key.Key_Tab)
    keys.type("Threat to harm the child tonight")
    keys.press(Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: feature.dialog is None, timeout=WAIT_MS)
    print(f"\nShare now with a new case: {keys.total} key presses ({keys.commands} commands, {keys.typed} typed)")
    assert keys.commands <= MAX_COMMAND_KEYS
    found = window.runner.run_now(lambda: case_records.find_case(window.vault, "LP-002"))
    assert found is not None and found.subject_name == "Jo Okafor"


def test_a_refused_capture_keeps_the_form_open_on_the_field_to_fix(
    qtbot: Any, make_vault: Any, open_window: Any
) -> None:
    path, case_id = make_vault(seed_case)
    window = open_window(path, case_id)
    feature = feature_of(window)
    feature.share_now()
    dialog = feature.dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.case.currentData() == case_id, timeout=WAIT_MS)
    dialog.organisation.setText("Police")
    dialog.how.setCurrentIndex(1)
    dialog.what.setPlainText("Address")
    dialog.record()  # no 'why'
    qtbot.waitUntil(lambda: not dialog.busy and dialog.message.isVisible(), timeout=WAIT_MS)
    assert dialog.isVisible() and QApplication.focusWidget() is dialog.why
    assert "Why it was shared is needed" in dialog.message.text.text()
    assert window.runner.run_now(lambda: service.outstanding_follow_ups(window.vault)) == []
    dialog._saved = True  # close without the "lose what you typed?" question
    dialog.reject()


# -- the banner --------------------------------------------------------------------------------------


def test_the_banner_stays_until_written_up_or_marked_in_error(
    qtbot: Any, make_vault: Any, open_window: Any, stand_in_wizard: list[DecisionPrefill]
) -> None:
    def seed(vault: Any) -> tuple[int, int, int]:
        case_id = seed_case(vault)
        return case_id, share(vault, case_id, 2).id, share(vault, case_id, 1, "Police").id

    path, (case_id, first, second) = make_vault(seed)
    window = open_window(path, case_id)
    feature = feature_of(window)
    qtbot.waitUntil(lambda: feature.list_dialog is not None, timeout=WAIT_MS)
    feature.list_dialog.reject()  # "Later"
    banner = feature.banner
    assert banner.isVisible() and window.banner_layout.indexOf(banner) >= 0
    assert "2 emergency shares need writing up" in banner.accessibleName()
    assert banner.all_button.isVisible()
    # Document now: the wizard opens pre-filled; its save links the decision
    banner.document_button.click()
    qtbot.waitUntil(lambda: len(stand_in_wizard) == 1, timeout=WAIT_MS)
    assert stand_in_wizard[0].emergency_share_id == first
    assert stand_in_wizard[0].answers["concern"] == "immediate_risk"
    qtbot.waitUntil(lambda: len(feature.shares) == 1, timeout=WAIT_MS)
    assert banner.isVisible() and "1 emergency share needs writing up" in banner.accessibleName()
    # Recorded in error: a reason is required
    feature.mark_in_error(second)
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), InErrorDialog), timeout=WAIT_MS)
    dialog = QApplication.activeModalWidget()
    assert isinstance(dialog, InErrorDialog)
    assert not dialog.mark_button.isEnabled()
    QTest.keyClicks(dialog.reason, "Recorded against the wrong child")
    assert dialog.mark_button.isEnabled()
    dialog.mark_button.click()
    qtbot.waitUntil(lambda: not banner.isVisible(), timeout=WAIT_MS)
    statuses = window.runner.run_now(
        lambda: {s.id: s.status(datetime.now(UTC)) for s in service.oversight(window.vault)}
    )
    assert statuses == {first: FollowUpStatus.COMPLETED_ON_TIME, second: FollowUpStatus.RECORDED_IN_ERROR}
    assert window.workspace.errors == []  # type: ignore[union-attr]


def test_reminders_escalate_in_words_at_the_deadline(qtbot: Any, make_vault: Any, open_window: Any) -> None:
    def seed(vault: Any) -> Any:
        return share(vault, seed_case(vault), 21)  # due in about 3 hours: "due soon"

    path, due_soon = make_vault(seed)
    window = open_window(path)
    feature = feature_of(window)
    qtbot.waitUntil(lambda: feature.list_dialog is not None, timeout=WAIT_MS)
    feature.list_dialog.reject()
    assert feature.banner.accessibleName().startswith("Write-up due soon.")
    assert feature.alarm.isActive()  # armed for the deadline
    assert 0 < feature.alarm.remainingTime() <= 3 * 3600 * 1000 + 1000
    assert feature.alerts == []  # nothing new at unlock: the list showed it
    feature.check_deadlines(now=due_soon.due_at + timedelta(seconds=1))
    assert feature.banner.accessibleName().startswith("Overdue.")
    assert feature.alerts and feature.alerts[-1].startswith("Overdue:")
    feature.check_deadlines(now=due_soon.due_at + timedelta(hours=25))
    assert feature.banner.accessibleName().startswith("Long overdue.")
    assert "ask your safeguarding lead" in feature.alerts[-1]
    assert not feature.banner.icon.pixmap().isNull()  # an icon as well as the words


# -- at unlock ---------------------------------------------------------------------------------------


def test_the_unlock_list_comes_first_with_overdue_first(qtbot: Any, make_vault: Any, open_window: Any) -> None:
    def seed(vault: Any) -> tuple[int, int, int]:
        case_id = seed_case(vault)
        recent = share(vault, case_id, 1, "School nurse").id
        overdue = share(vault, case_id, 30, "Police").id
        long_overdue = share(vault, case_id, 60, "Children's social care").id
        return recent, overdue, long_overdue

    path, (recent, overdue, long_overdue) = make_vault(seed)
    window = open_window(path)
    feature = feature_of(window)
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), FollowUpListDialog), timeout=WAIT_MS)
    dialog = QApplication.activeModalWidget()
    assert isinstance(dialog, FollowUpListDialog)
    assert [s.id for s in dialog.shares] == [long_overdue, overdue, recent]
    words = [dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())]
    assert words == ["Long overdue", "Overdue", "Write-up needed"]
    assert all(not dialog.table.item(r, 0).icon().isNull() for r in range(3))
    assert "2 overdue" in dialog.intro.text()
    assert dialog.selected_id() == long_overdue and dialog.document_button.isDefault()
    assert dialog.later_button.text() == "&Later"
    # "Later" reaches the workspace; the banner stays
    QTest.keyClick(dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: feature.list_dialog is None, timeout=WAIT_MS)
    assert feature.banner.isVisible() and feature.banner.accessibleName().startswith("Long overdue.")
    # locking clears the banner; unlocking shows the list again
    window.lock("manual")
    qtbot.waitUntil(lambda: window.banner_layout.count() == 0, timeout=WAIT_MS)
    window._unlock(PASSPHRASE, False)
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), FollowUpListDialog), timeout=WAIT_MS)


def test_no_unlock_list_when_nothing_is_outstanding(qtbot: Any, make_vault: Any, open_window: Any) -> None:
    def seed(vault: Any) -> None:
        done = share(vault, seed_case(vault), 5)
        service.mark_in_error(vault, done.id, "A test entry")

    path, _ = make_vault(seed)
    window = open_window(path)
    feature = feature_of(window)
    QTest.qWait(200)
    assert feature.list_dialog is None and QApplication.activeModalWidget() is None
    assert not feature.banner.isVisible()


# -- oversight ---------------------------------------------------------------------------------------


def test_the_oversight_view_shows_every_status(qtbot: Any, make_vault: Any, open_window: Any) -> None:
    def seed(vault: Any) -> None:
        case_id = seed_case(vault)
        other = case_records.create_case(vault, CaseDetails("LP-002", "Jo Okafor")).id
        share(vault, case_id, 1)
        share(vault, other, 30)
        service.mark_in_error(vault, share(vault, case_id, 3).id, "Wrong child")
        for hours_ago, complete_after in ((50, 2), (80, 40)):
            done = share(vault, case_id, hours_ago)
            prefill = service.decision_prefill_for(vault, done.id)
            answers = {**ANSWERS, **prefill.answers}
            decision = decisions.record_decision(
                vault,
                case_id,
                answers,
                evaluate(parse_answers(answers)),
                "share",
                {**prefill.record, **COMPLETION},
                prefill_source=prefill.source,
            )
            service.complete_follow_up(
                vault, done.id, decision.id, now=done.shared_at + timedelta(hours=complete_after)
            )

    path, _ = make_vault(seed)
    window = open_window(path)
    feature = feature_of(window)
    qtbot.waitUntil(lambda: feature.list_dialog is not None, timeout=WAIT_MS)
    feature.list_dialog.reject()
    feature.oversight_action.trigger()
    view = next(w for w in QApplication.topLevelWidgets() if type(w).__name__ == "OversightView" and w.isVisible())
    qtbot.waitUntil(lambda: view.proxy.rowCount() == 5, timeout=WAIT_MS)
    assert sorted(view.visible_statuses()) == sorted(s.label for s in FollowUpStatus)
    assert view.summary.text() == (
        "5 emergency shares: 1 outstanding, 1 overdue, 1 completed on time, 1 completed late, 1 recorded in error."
    )
    view.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    assert view.visible_statuses()[0] == "Overdue"
    view.status_filter.setCurrentIndex(view.status_filter.findText("Completed late"))
    qtbot.waitUntil(lambda: view.visible_statuses() == ["Completed late"], timeout=WAIT_MS)
    view.status_filter.setCurrentIndex(0)
    qtbot.waitUntil(lambda: view.case_filter.count() == 3, timeout=WAIT_MS)
    view.case_filter.setCurrentIndex(view.case_filter.findText("LP-002 — Jo Okafor"))
    qtbot.waitUntil(lambda: view.visible_statuses() == ["Overdue"], timeout=WAIT_MS)
    printed = view.summary_document().toPlainText()
    assert "Emergency shares and their write-ups" in printed and "LP-002" in printed and "Overdue" in printed
    view.reject()


# -- the real workspace ----------------------------------------------------------------------------------


def test_the_case_workspace_installs_the_emergency_path(qtbot: Any, make_vault: Any, open_window: Any) -> None:
    pytest.importorskip("desktop_app.ui.workspace")
    from desktop_app.ui.main_window import default_workspace

    def seed(vault: Any) -> None:
        case_id = seed_case(vault)
        share(vault, case_id, 30)
        case_records.save_draft(vault, text="Half-written note", case_id=case_id)  # the workspace offers it

    path, _ = make_vault(seed)
    window = open_window(path, factory=default_workspace)
    feature = feature_of(window)
    # the list of follow-ups comes first: above the workspace's own unlock-time dialogs
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), FollowUpListDialog), timeout=WAIT_MS)
    workspace = window.workspace
    assert workspace is not None
    qtbot.waitUntil(lambda: workspace.findChild(QWidget, "drafts-dialog") is not None, timeout=WAIT_MS)
    assert QApplication.activeModalWidget() is feature.list_dialog
    assert QApplication.activeWindow() is feature.list_dialog
    drafts = workspace.findChild(QWidget, "drafts-dialog")
    qtbot.waitUntil(lambda: drafts.isVisible(), timeout=WAIT_MS)
    QTest.qWait(50)
    centre = feature.list_dialog.mapToGlobal(feature.list_dialog.rect().center())
    assert QApplication.topLevelAt(centre) is feature.list_dialog  # painted above the drafts, too
    assert feature.share_action in window.toolbar.actions()
    assert feature.share_action.shortcut().toString() == "Ctrl+Shift+E"
    assert feature.share_action.shortcutContext() is Qt.ShortcutContext.ApplicationShortcut
    button = window.toolbar.widgetForAction(feature.share_action)
    assert button is not None and button.isVisible() and "Share now" in button.text()
    assert "E&mergency" in [a.text() for a in window.menuBar().actions()]
    assert window.banner_layout.indexOf(feature.banner) >= 0 and feature.banner.isVisible()
    window.lock("manual")  # the workspace's actions, menus and banner go with the lock
    assert all("Share now" not in a.text() for a in window.toolbar.actions())
    assert "E&mergency" not in [a.text() for a in window.menuBar().actions()]
    qtbot.waitUntil(lambda: window.banner_layout.count() == 0, timeout=WAIT_MS)


def test_document_now_opens_the_real_decision_wizard_prefilled(qtbot: Any, make_vault: Any, open_window: Any) -> None:
    wizard_module = pytest.importorskip("desktop_app.ui.decision_wizard")

    def seed(vault: Any) -> Any:
        return share(vault, seed_case(vault), 30, "Police")

    path, shared = make_vault(seed)
    window = open_window(path)
    feature = feature_of(window)
    qtbot.waitUntil(lambda: feature.list_dialog is not None, timeout=WAIT_MS)
    feature.list_dialog.document_button.click()  # "Document now" on the overdue one
    qtbot.waitUntil(
        lambda: any(
            isinstance(w, wizard_module.DecisionWizard) and w.isVisible() for w in QApplication.topLevelWidgets()
        ),
        timeout=WAIT_MS,
    )
    wizard = next(w for w in QApplication.topLevelWidgets() if isinstance(w, wizard_module.DecisionWizard))
    assert wizard.parent() is window.workspace and wizard.case_id == shared.case_id
    assert wizard.answers["concern"] == "immediate_risk"
    assert wizard.prefill_source == f"emergency:{shared.id}"
    values = wizard.record.values()
    assert values["what_shared"] == "What was said" and values["recipient_organisation"] == "Police"
    assert not values.get("risk_level") and not values.get("rationale")  # the judgement is left to them
    # what the wizard does once the record is saved: on_saved(decision)
    prefill = window.runner.run_now(lambda: service.decision_prefill_for(window.vault, shared.id))
    answers = {**ANSWERS, **prefill.answers}
    decision = window.runner.run_now(
        lambda: decisions.record_decision(
            window.vault,
            prefill.case_id,
            answers,
            evaluate(parse_answers(answers)),
            "share",
            {**prefill.record, **COMPLETION},
            prefill_source=prefill.source,
        )
    )
    wizard.on_saved(decision)
    qtbot.waitUntil(lambda: not feature.banner.isVisible(), timeout=WAIT_MS)
    done = window.runner.run_now(lambda: service.get_share(window.vault, shared.id))
    assert done.completed_decision_id == decision.id
    assert done.status(datetime.now(UTC)) is FollowUpStatus.COMPLETED_LATE
    wizard.finished_ok = True
    wizard.close()


def test_share_now_is_one_key_away_even_over_the_unlock_list(qtbot: Any, make_vault: Any, open_window: Any) -> None:
    def seed(vault: Any) -> None:
        share(vault, seed_case(vault), 30)

    path, _ = make_vault(seed)
    window = open_window(path)
    feature = feature_of(window)
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), FollowUpListDialog), timeout=WAIT_MS)
    keys = Keys()
    keys.press(Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), EmergencyDialog), timeout=WAIT_MS)
    assert feature.list_dialog is None and feature.banner.isVisible()
    assert feature.dialog is not None
    feature.dialog.reject()  # nothing typed: closes without asking
    qtbot.waitUntil(lambda: feature.dialog is None, timeout=WAIT_MS)


# -- nothing typed is lost -----------------------------------------------------------------------------

# Distinctive text, to look for in the vault's files after a lock.
TYPED_WHO = "Zephyrine Quillfeather duty desk"
TYPED_WHAT = "Marmalade-coloured bruise, left forearm; named Uncle Bartholomew"
TYPED_WHY = "Child terrified of going home to Thistlewick Lane"


def fill_form(dialog: EmergencyDialog) -> None:
    QTest.keyClicks(dialog.organisation, TYPED_WHO)
    dialog.how.setCurrentIndex(dialog.how.findData("in_person"))
    QTest.keyClicks(dialog.what, TYPED_WHAT)
    QTest.keyClicks(dialog.why, TYPED_WHY)


def test_what_is_typed_survives_a_lock_encrypted_and_is_offered_back(
    qtbot: Any, make_vault: Any, open_window: Any
) -> None:
    path, case_id = make_vault(seed_case)
    window = open_window(path, case_id)
    feature = feature_of(window)
    feature.share_now()
    dialog = feature.dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.case.currentData() == case_id, timeout=WAIT_MS)
    fill_form(dialog)
    shared_at = dialog.shared_at()
    QTest.keyClick(dialog, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)  # Ctrl+L from the form
    assert window.vault is None  # locked: the form went with the workspace
    # Kept, but never as plain text: not in the database, its journal, or any other file.
    files = [f for f in path.rglob("*") if f.is_file()]
    assert files
    for file in files:
        data = file.read_bytes()
        for text in (TYPED_WHO, TYPED_WHAT, TYPED_WHY, "Thistlewick"):
            assert text.encode("utf-8") not in data and text.encode("utf-16-le") not in data, file.name

    feature = unlock_again(qtbot, window)
    # Before anything else: the form again, with what was typed, to finish.
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), EmergencyDialog), timeout=WAIT_MS)
    restored = feature.dialog
    assert restored is not None and restored is QApplication.activeModalWidget()
    qtbot.waitUntil(lambda: restored.case.currentData() == case_id, timeout=WAIT_MS)
    assert (restored.organisation.text(), restored.what.toPlainText(), restored.why.text()) == (
        TYPED_WHO,
        TYPED_WHAT,
        TYPED_WHY,
    )
    assert restored.how.currentData() == "in_person"
    assert restored.shared_at() == shared_at  # when it was shared, not when restored
    assert "Restored what you typed" in restored.status.text()
    assert QApplication.focusWidget() is restored.record_button  # nothing missing: Enter records it
    QTest.keyClick(restored.record_button, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: feature.dialog is None, timeout=WAIT_MS)
    shares = window.runner.run_now(lambda: service.outstanding_follow_ups(window.vault))
    assert [(s.who, s.what, s.why, s.how) for s in shares] == [(TYPED_WHO, TYPED_WHAT, TYPED_WHY, "in_person")]
    assert window.runner.run_now(lambda: service.unfinished_captures(window.vault)) == []  # gone with the record
    # then, as at every unlock, the list of follow-ups (now including this one)
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), FollowUpListDialog), timeout=WAIT_MS)
    assert [s.id for s in feature.list_dialog.shares] == [shares[0].id]  # type: ignore[union-attr]
    assert window.workspace.errors == []


def test_typing_is_kept_as_it_goes_and_closing_to_lose_it_throws_it_away(
    qtbot: Any, make_vault: Any, open_window: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(emergency_dialog, "AUTOSAVE_MS", 50)
    path, case_id = make_vault(seed_case)
    window = open_window(path, case_id)
    feature = feature_of(window)
    feature.share_now()
    dialog = feature.dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.case.currentData() == case_id, timeout=WAIT_MS)
    fill_form(dialog)

    def kept() -> list[Any]:
        return list(window.runner.run_now(lambda: service.unfinished_captures(window.vault)))

    # Committed a moment after typing stops, with no lock: a crash now loses nothing.
    qtbot.waitUntil(lambda: [c.why for c in kept()] == [TYPED_WHY], timeout=WAIT_MS)
    assert kept()[0].token == dialog.kept_token and kept()[0].case_id == case_id
    qtbot.waitUntil(lambda: "kept, encrypted in the vault" in dialog.status.text(), timeout=WAIT_MS)
    # A new Share now finds the form open and does not start a second one.
    feature.share_now()
    assert feature.dialog is dialog
    # Closing and choosing to lose it throws the kept copy away too.
    asked: list[str] = []

    def answer(*args: Any, **_kwargs: Any) -> QMessageBox.StandardButton:
        asked.append(str(args[1]))
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", answer)
    dialog.reject()
    assert asked == ["Close without recording?"]
    qtbot.waitUntil(lambda: feature.dialog is None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: kept() == [], timeout=WAIT_MS)
    assert window.runner.run_now(lambda: service.outstanding_follow_ups(window.vault)) == []


def test_a_capture_left_by_a_crash_comes_back_in_the_next_share_now_form(
    qtbot: Any, make_vault: Any, open_window: Any
) -> None:
    """A kept capture that no form holds (the program stopped) is taken back by Share
    now, so it is never stranded; finishing it records it and clears it."""

    def seed(vault: Any) -> int:
        case_id = seed_case(vault)
        service.keep_unfinished_capture(
            vault,
            UnfinishedCapture(case_id=case_id, shared_with_organisation="Police", how="phone", what="Address", why=""),
        )
        return case_id

    path, case_id = make_vault(seed)
    window = open_window(path, None)
    feature = feature_of(window)
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), EmergencyDialog), timeout=WAIT_MS)
    dialog = feature.dialog
    assert dialog is not None and dialog.kept_token
    qtbot.waitUntil(lambda: dialog.case.currentData() == case_id, timeout=WAIT_MS)  # its own case, not the one open
    assert QApplication.focusWidget() is dialog.why  # the first thing still missing
    QTest.keyClicks(dialog.why, "Threat made tonight")
    QTest.keyClick(dialog.why, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: feature.dialog is None, timeout=WAIT_MS)
    assert window.runner.run_now(lambda: service.unfinished_captures(window.vault)) == []
    (recorded,) = window.runner.run_now(lambda: service.outstanding_follow_ups(window.vault))
    assert (recorded.case_id, recorded.why) == (case_id, "Threat made tonight")


# -- while locked --------------------------------------------------------------------------------------


def test_a_deadline_passing_while_locked_still_notifies_naming_no_one(
    qtbot: Any, make_vault: Any, open_window: Any
) -> None:
    path, case_id = make_vault(seed_case)
    window = open_window(path, case_id)
    feature = feature_of(window)
    now = datetime.now(UTC)
    # Shared just under the shortest deadline (1 hour) ago: due in about two seconds.
    shared_at = (now - timedelta(hours=1) + timedelta(seconds=2.5)).replace(microsecond=0)
    soon = window.runner.run_now(
        lambda: service.record_emergency_share(
            window.vault,
            EmergencyCapture(case_id, "Police", "PC Morgan", "", "phone", "Address", "Threat tonight", shared_at),
            deadline_hours=1,
            now=now,
        )
    )
    assert timedelta(seconds=1) < soon.due_at - now <= timedelta(seconds=3)
    feature.reload()
    qtbot.waitUntil(lambda: [s.id for s in feature.shares] == [soon.id], timeout=WAIT_MS)
    window.lock("idle")
    reminder = emergency_ext.LockedReminder.of(window)
    # All that is kept while locked: due times and a count.
    assert reminder.due_times == [soon.due_at] and reminder.open_count == 1
    kept = repr(vars(reminder))
    assert not [w for w in ("Police", "Morgan", "LP-001", "Sam", "Threat", "Address") if w in kept]
    assert reminder.notified == []
    # The deadline passes while locked: the notification comes on its own.
    qtbot.waitUntil(lambda: bool(reminder.notified), timeout=WAIT_MS)
    assert datetime.now(UTC) >= soon.due_at
    text = "An emergency share's write-up is now overdue. Unlock to document it."
    assert reminder.notified == [text] == [locked_notification_text(1)]
    assert window.notice.isVisible() and window.notice.text.text().endswith(text)  # over the unlock screen
    assert reminder.due_times == [] and not reminder.timer.isActive()
    # The next unlock clears it; the workspace reminds from then on.
    unlock_again(qtbot, window)
    assert reminder.due_times == [] and text not in window.notice.text.text()


def test_the_locked_reminder_fires_on_its_own_timer(qtbot: Any, make_vault: Any, open_window: Any) -> None:
    path, _ = make_vault(seed_case)
    window = open_window(path)
    window.lock("manual")
    reminder = emergency_ext.LockedReminder.of(window)
    soon = datetime.now(UTC) + timedelta(milliseconds=300)
    reminder.arm([soon, soon, datetime.now(UTC) - timedelta(hours=1)], 3)  # one already past: not repeated
    assert reminder.due_times == [soon, soon]
    qtbot.waitUntil(lambda: bool(reminder.notified), timeout=WAIT_MS)
    assert reminder.notified == ["2 emergency shares' write-ups are now overdue. Unlock to document them."]


# -- policy --------------------------------------------------------------------------------------------


def test_the_policy_deadline_reaches_the_form_and_the_follow_up(
    qtbot: Any, make_vault: Any, open_window: Any, tmp_path: Path
) -> None:
    file = tmp_path / "policy.json"
    file.write_text(json.dumps({"follow_up_deadline_hours": 6}), encoding="utf-8")
    policy = load_policy(policy_file=file)
    assert policy.follow_up_deadline_hours == 6
    path, case_id = make_vault(seed_case)
    window = open_window(path, case_id, policy=policy)
    feature = feature_of(window)
    feature.share_action.trigger()
    dialog = feature.dialog
    assert dialog is not None and dialog.deadline_hours == 6
    intro = " ".join(label.text() for label in dialog.findChildren(QLabel))
    assert "<b>6 hours</b> after the time shared" in intro and "24 hours" not in intro
    qtbot.waitUntil(lambda: dialog.case.currentData() == case_id, timeout=WAIT_MS)
    fill_form(dialog)
    dialog.record()
    qtbot.waitUntil(lambda: feature.dialog is None, timeout=WAIT_MS)
    (recorded,) = window.runner.run_now(lambda: service.outstanding_follow_ups(window.vault))
    assert recorded.deadline_hours == 6 and recorded.due_at - recorded.shared_at == timedelta(hours=6)
    kind, message = window.workspace.messages[-1]
    assert kind == "info" and local_text(recorded.due_at) in message


# -- exporting what was shared -------------------------------------------------------------------------


def test_a_written_up_share_offers_to_export_what_was_shared(qtbot: Any, make_vault: Any, open_window: Any) -> None:
    pytest.importorskip("desktop_app.ui.export_ext")
    from desktop_app.ui.main_window import default_workspace

    def seed(vault: Any) -> tuple[int, int, int]:
        case_id = seed_case(vault)
        done = share(vault, case_id, 3, "Police")
        prefill = service.decision_prefill_for(vault, done.id)
        answers = {**ANSWERS, **prefill.answers}
        decision = decisions.record_decision(
            vault,
            case_id,
            answers,
            evaluate(parse_answers(answers)),
            "share",
            {**prefill.record, **COMPLETION},
            prefill_source=prefill.source,
        )
        service.complete_follow_up(vault, done.id, decision.id)
        return case_id, done.id, decision.id

    path, (case_id, share_id, decision_id) = make_vault(seed)
    window = open_window(path, factory=default_workspace)
    feature = feature_of(window)
    workspace = window.workspace
    assert workspace is not None and workspace.current_case_id() is None
    feature.open_share(share_id)  # as from the oversight view or the chronology
    qtbot.waitUntil(lambda: feature.details_dialog is not None and feature.details_dialog.isVisible(), timeout=WAIT_MS)
    details = feature.details_dialog
    assert details is not None and details.export_button is not None and details.document_button is None
    assert "decision record" in details.export_button.toolTip()
    details.export_button.click()
    qtbot.waitUntil(lambda: workspace.findChild(QWidget, "export-dialog") is not None, timeout=WAIT_MS)
    export = workspace.findChild(QWidget, "export-dialog")
    qtbot.waitUntil(lambda: export.choices is not None, timeout=WAIT_MS)
    assert workspace.current_case_id() == case_id  # its case was shown first
    assert export.choices.decision.id == decision_id
    # The write-up links no notes, so nothing is ticked until the practitioner chooses.
    assert export.selection.note_ids == [] and export.selection.person_ids == []
    export.close()
    # An open follow-up has nothing to export under yet: no button.
    still_open = window.runner.run_now(lambda: share(window.vault, case_id, 1))
    view = ShareDetailsDialog(still_open, datetime.now(UTC), workspace, can_export=True)
    assert view.export_button is None and view.document_button is not None
    view.deleteLater()


def test_oversight_summary_says_what_an_empty_list_means() -> None:
    from desktop_app.ui.oversight_view import _summary_line

    empty = _summary_line({status: 0 for status in FollowUpStatus})
    assert "No emergency shares to show" in empty and "Ctrl+Shift+E" in empty
    one = _summary_line({status: int(status is FollowUpStatus.OVERDUE) for status in FollowUpStatus})
    assert one.startswith("1 emergency share: 1 overdue")
