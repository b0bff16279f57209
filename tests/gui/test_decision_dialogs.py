"""Requests received and reconsiderations, the consent register, feedback and the
awaiting-feedback list, the decision view, and the workspace extension that ties them
in: real vaults, offscreen, a stand-in workspace with the extension contract."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QApplication, QMenu, QWidget

from desktop_app.domain.decision_record import DecisionFields, FeedbackInput, RequestInput
from desktop_app.domain.decision_rules import RULES_VERSION, decide
from desktop_app.domain.records import CaseDetails, NoteInput, PersonDetails
from desktop_app.services import case_records
from desktop_app.services import decisions as ds
from desktop_app.ui import decisions_ext
from desktop_app.ui.background import BackgroundRunner
from desktop_app.ui.consent_dialog import ConsentDialog
from desktop_app.ui.decision_view import DecisionView, decision_html
from desktop_app.ui.feedback_dialog import AwaitingFeedbackDialog, FeedbackDialog, waiting_text
from desktop_app.ui.request_dialog import RequestDialog

WAIT_MS = 15_000
ANSWERS: dict[str, Any] = {
    "organisation_sector": "public",
    "concern": "significant_harm",
    "purpose": "Referral to children's social care",
    "recipient_has_safeguarding_role": True,
    "identifiable": True,
    "anonymised_would_suffice": False,
    "confidential": True,
    "special_category": False,
    "legal_requirement": False,
    "informing_would_increase_risk": False,
    "objection_raised": False,
    "consent": "given",
    "consent_not_sought_reason": None,
}
FIELDS = DecisionFields(
    purpose="Referral to children's social care",
    what_shared="The disclosure of 1 March",
    recipient_organisation="Children's Social Care",
    decided_by="Alex Practitioner",
    decided_at="2024-03-02T10:00:00+00:00",
    lawful_basis=("public_task",),
    risk_level="Significant harm",
    rationale="The disclosure describes significant harm.",
    consent_given_by_and_when="Mother, in person, 2 March 10:00",
    confidentiality="consent",
    informed="told_before",
    informed_when="2 March, before the referral",
)


class FakeWorkspace(QWidget):
    """The workspace's extension contract, without the case screens."""

    case_changed = Signal(object)
    locking = Signal()

    def __init__(self, runner: BackgroundRunner, vault: Any, case_id: int | None) -> None:
        super().__init__()
        self.runner = runner
        self.vault = vault
        self.window = self
        self.case_id = case_id
        self.case_actions: list[QAction] = []
        self.menus: list[QMenu] = []
        self.toolbar: list[QAction] = []
        self.openers: dict[str, Any] = {}
        self.messages: list[tuple[str, str]] = []
        self.refreshed: list[int | None] = []
        self.opened_notes: list[tuple[int, int]] = []

    def current_case_id(self) -> int | None:
        return self.case_id

    def add_case_action(self, action: QAction) -> None:
        self.case_actions.append(action)
        self.addAction(action)

    def add_menu(self, menu: QMenu) -> None:
        self.menus.append(menu)

    def add_toolbar_action(self, action: QAction) -> None:
        self.toolbar.append(action)

    def register_chronology_opener(self, kind: str, callback: Any) -> None:
        self.openers[kind] = callback

    def refresh_case(self, case_id: int | None = None) -> None:
        self.refreshed.append(case_id)

    def show_message(self, kind: str, text: str) -> None:
        self.messages.append((kind, text))

    def show_error(self, exc: BaseException) -> None:
        self.messages.append(("error", str(exc)))

    def open_note(self, case_id: int, note_id: int) -> None:
        self.opened_notes.append((case_id, note_id))


@pytest.fixture
def env(qtbot: Any, open_vault: Any) -> Iterator[SimpleNamespace]:
    vault = open_vault
    case = case_records.create_case(vault, CaseDetails("G-1", "Sam Example"))
    note = case_records.record_note(vault, case.id, NoteInput("2024-03-01T09:00", "Sam said something worrying"))
    runner = BackgroundRunner()
    workspace = FakeWorkspace(runner, vault, case.id)
    workspace.resize(1200, 700)
    workspace.show()
    qtbot.waitExposed(workspace)
    decisions_ext.install(workspace)
    yield SimpleNamespace(
        vault=vault, case=case, note=note, runner=runner, workspace=workspace, ext=workspace.decisions
    )
    qtbot.waitUntil(lambda: not runner.busy, timeout=WAIT_MS)
    for widget in QApplication.topLevelWidgets():
        if shiboken6.isValid(widget) and widget is not workspace and widget.isVisible():
            if hasattr(widget, "finished_ok"):
                widget.finished_ok = True
            widget.close()
    workspace.close()
    shiboken6.delete(workspace)
    runner.shutdown()


def idle(qtbot: Any, env: SimpleNamespace) -> None:
    qtbot.waitUntil(lambda: not env.runner.busy, timeout=WAIT_MS)


def share_decision(env: SimpleNamespace, final: str = "share") -> Any:
    fields = FIELDS if final == "share" else replace(FIELDS, reason_differs_from_recommendation="Waiting for advice")
    return ds.record_decision(env.vault, env.case.id, ANSWERS, decide(ANSWERS), final, fields, [env.note.id])


def last_dialog(env: SimpleNamespace, kind: type, mode: str | None = None) -> Any:
    dialogs = [d for d in env.ext.dialogs if shiboken6.isValid(d) and d.isVisible() and isinstance(d, kind)]
    if dialogs and (mode is None or getattr(dialogs[-1], "mode", None) == mode):
        return dialogs[-1]
    return None


# --- the extension ---------------------------------------------------------------------------------


def test_install_adds_the_actions_menu_and_chronology_openers(env: SimpleNamespace) -> None:
    ws = env.workspace
    texts = [a.text().replace("&", "") for a in ws.case_actions]
    assert texts == [
        "Decide whether to share…",
        "Resume unfinished decision…",
        "Record a request received…",
        "Record consent…",
        "Record feedback…",
    ]
    assert ws.case_actions[0].shortcut() == QKeySequence("Ctrl+D")
    assert ws.toolbar == [ws.case_actions[0]]
    [menu] = ws.menus
    menu_texts = [a.text().replace("&", "") for a in menu.actions() if a.text()]
    assert "Awaiting feedback…" in menu_texts
    assert set(ws.openers) == {"decision", "request", "consent", "feedback"}


def test_ctrl_d_opens_the_wizard_on_the_current_case(qtbot: Any, env: SimpleNamespace) -> None:
    env.workspace.activateWindow()
    qtbot.waitUntil(env.workspace.isActiveWindow, timeout=WAIT_MS)
    qtbot.keyClick(env.workspace, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: any(type(w).__name__ == "DecisionWizard" for w in env.ext.dialogs), timeout=WAIT_MS)
    wizard = env.ext.dialogs[-1]
    assert wizard.case_id == env.case.id and wizard.parent() is env.workspace


def test_unfinished_decisions_are_offered_on_the_case_and_resumed_or_discarded(
    qtbot: Any, env: SimpleNamespace
) -> None:
    ds.save_wizard_state(env.vault, env.case.id, step="consent", answers={"purpose": "Referral"}, fields={})
    env.workspace.case_changed.emit(env.case.id)
    idle(qtbot, env)
    assert "1 unfinished sharing decision on this case" in env.workspace.messages[-1][1]
    env.ext.resume()
    idle(qtbot, env)
    dialog = env.ext.unfinished_dialog
    assert "Purpose: Referral" in dialog.list.item(0).text() and "“Consent”" in dialog.list.item(0).text()
    dialog.resume_button.click()
    qtbot.waitUntil(lambda: type(env.ext.dialogs[-1]).__name__ == "DecisionWizard", timeout=WAIT_MS)
    wizard = env.ext.dialogs[-1]
    assert wizard.position == "consent" and wizard.answers["purpose"] == "Referral"
    wizard.finished_ok = True
    wizard.close()
    env.ext._discard(dialog, dialog.states[0])
    idle(qtbot, env)
    assert ds.list_unfinished(env.vault) == []
    assert "No unfinished decisions" in dialog.list.item(0).text()


# --- requests and reconsideration --------------------------------------------------------------------


def test_a_request_declined_with_reasons_then_reconsidered_with_new_information(
    qtbot: Any, env: SimpleNamespace
) -> None:
    dialog = env.ext.record_request()
    assert isinstance(dialog, RequestDialog)
    idle(qtbot, env)
    dialog.organisation.setText("Thames Valley Police")
    dialog.person.setText("DC Example")
    dialog.identity_check.setPlainText("Rang back on the force switchboard")
    dialog.what.setPlainText("Attendance records for March")
    dialog.why.setPlainText("Investigating an assault")
    dialog.answer_buttons["decline"].setChecked(True)
    dialog.save_button.click()
    idle(qtbot, env)
    # Declining needs the reasons: the message quotes golden rule 7 and the field has focus.
    assert "be prepared to explain why" in dialog.message.text.text()
    assert dialog.reasons.hasFocus() or QApplication.focusWidget() is dialog.reasons
    assert ds.list_requests(env.vault, env.case.id) == []  # nothing saved: all or nothing
    dialog.reasons.setPlainText("Not necessary without more detail; asked them to explain.")
    dialog.save_button.click()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)
    [request] = ds.list_requests(env.vault, env.case.id)
    assert request.response is not None and request.response.response == "decline"
    assert env.workspace.messages[-1] == ("info", "Request recorded: declined. It is in the chronology.")
    assert env.workspace.refreshed[-1] == env.case.id

    # From the chronology: a decided request opens read-only, with Reconsider.
    env.workspace.openers["request"](request.id)
    qtbot.waitUntil(lambda: last_dialog(env, RequestDialog, "view") is not None, timeout=WAIT_MS)
    view = last_dialog(env, RequestDialog, "view")
    assert "Not necessary without more detail" in view.summary.text()
    assert "Rang back on the force switchboard" in view.summary.text()
    view.reconsider_button.click()
    reconsider = last_dialog(env, RequestDialog, "reconsider")
    assert reconsider is not None
    idle(qtbot, env)
    assert "Be willing to reconsider" in " ".join(
        w.text() for w in reconsider.findChildren(type(reconsider.summary)) if w.text()
    )
    reconsider.new_information.setPlainText("They now report that Sam was hurt at home.")
    reconsider.answer_buttons["share_part"].setChecked(True)
    assert reconsider.decisions.isVisibleTo(reconsider)
    assert "No decision to share is recorded" in reconsider.decision_state.text()
    shared = share_decision(env)  # recorded in the wizard meanwhile
    reconsider._load_decisions(shared.id)
    idle(qtbot, env)
    assert reconsider.decisions.currentData() == shared.id
    reconsider.reasons.setPlainText("The new information shows a risk of harm.")
    reconsider.save_button.click()
    qtbot.waitUntil(lambda: not reconsider.isVisible(), timeout=WAIT_MS)
    newest = ds.list_requests(env.vault, env.case.id)[0]
    assert newest.reconsiders_id == request.id and newest.new_information.startswith("They now report")
    assert newest.response is not None and newest.response.decision_id == shared.id
    assert ds.get_request(env.vault, request.id).reconsidered_by_ids == (newest.id,)


def test_an_undecided_request_opens_to_be_answered(qtbot: Any, env: SimpleNamespace) -> None:
    request = ds.record_request(
        env.vault, env.case.id, RequestInput("School", "Attendance", "Review", "Known contact", "2024-03-01")
    )
    env.workspace.openers["request"](request.id)
    qtbot.waitUntil(lambda: last_dialog(env, RequestDialog, "decide") is not None, timeout=WAIT_MS)
    dialog = last_dialog(env, RequestDialog, "decide")
    assert "Not decided yet" not in [b.text() for b in dialog.answer_buttons.values()]
    dialog.save_button.click()
    assert "Choose your answer" in dialog.message.text.text()
    dialog.answer_buttons["decline"].setChecked(True)
    dialog.reasons.setPlainText("No role in safeguarding this child.")
    dialog.save_button.click()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)
    assert ds.get_request(env.vault, request.id).is_decided


# --- consent register ----------------------------------------------------------------------------


def test_consent_given_then_withdrawn(qtbot: Any, env: SimpleNamespace) -> None:
    mother = case_records.add_person(env.vault, env.case.id, PersonDetails("Jo Example", "Parent"))
    case_records.add_person(
        env.vault,
        env.case.id,
        PersonDetails("Pat Neighbour", "Neighbour", protect_identity=True, protect_reason="Fear"),
    )
    dialog = env.ext.record_consent()
    assert isinstance(dialog, ConsentDialog)
    idle(qtbot, env)
    assert dialog.table.rowCount() == 2
    assert dialog.table.item(0, 0).text() == "Jo Example" and dialog.table.item(0, 2).text() == "No consent recorded"
    assert "(protected)" in dialog.table.item(1, 0).text()
    assert dialog.selected_person().id == mother.id
    # Given, without saying whether she could consent: refused with the rule.
    dialog.scope.setPlainText("Share with the school nurse about diet")
    dialog.given_by.setText("Jo Example (mother)")
    dialog.save_button.click()
    idle(qtbot, env)
    assert "capacity" in dialog.message.text.text()
    assert QApplication.focusWidget() is dialog.capacity
    dialog.capacity.setPlainText("Adult, has capacity to decide")
    dialog.how.setText("In person")
    dialog.save_button.click()
    idle(qtbot, env)
    assert dialog.isVisible()  # stays open to show the register
    assert dialog.table.item(0, 2).text() == "Consent given: Share with the school nurse about diet"
    dialog.kind_buttons["withdrawn"].setChecked(True)
    assert "withdraw consent" in dialog.kind_help.text()
    assert dialog.given_by.accessibleName() == "Who withdrew it"
    assert "withdrew" in dialog.given_by.placeholderText()
    dialog.how.setText("Phone call")
    # Who withdrew it is required too, not only the date: refused with the rule, nothing saved.
    dialog.save_button.click()
    idle(qtbot, env)
    assert "Say who withdrew consent" in dialog.message.text.text()
    assert "right to withdraw consent" in dialog.message.text.text()
    assert QApplication.focusWidget() is dialog.given_by
    assert dialog.table.item(0, 2).text().startswith("Consent given")
    assert len(ds.consent_entries(env.vault, mother.id)) == 1
    dialog.given_by.setText("Jo Example (mother)")
    dialog.save_button.click()
    idle(qtbot, env)
    assert dialog.table.item(0, 2).text() == "Consent withdrawn"
    assert dialog.history.count() == 2
    assert "Consent withdrawn by Jo Example (mother)" in dialog.history.item(0).text()
    assert "Phone call" in dialog.history.item(0).text()
    assert "Consent given by Jo Example (mother)" in dialog.history.item(1).text()
    assert ds.consent_state(env.vault, mother.id).state == "withdrawn"
    assert env.workspace.refreshed[-2:] == [env.case.id, env.case.id]
    # From the chronology, a consent entry opens the register on that person.
    entry = ds.consent_entries(env.vault, mother.id)[0]
    dialog.close()
    env.workspace.openers["consent"](entry.id)
    qtbot.waitUntil(lambda: last_dialog(env, ConsentDialog) is not None, timeout=WAIT_MS)
    idle(qtbot, env)
    assert last_dialog(env, ConsentDialog).selected_person().id == mother.id


def test_a_refusal_records_who_refused(qtbot: Any, env: SimpleNamespace) -> None:
    """Appendix 1, question 4: a young person "may give (or refuse) consent to sharing" -
    whose refusal it is matters, so the register records it."""
    child = case_records.add_person(env.vault, env.case.id, PersonDetails("Sam Example", "Child"))
    dialog = env.ext.record_consent(child.id)
    idle(qtbot, env)
    assert dialog.selected_person().id == child.id
    dialog.kind_buttons["refused"].setChecked(True)
    assert "Say who refused it" in dialog.kind_help.text()
    assert dialog.given_by.accessibleName() == "Who refused it"
    dialog.save_button.click()
    idle(qtbot, env)
    assert "Say who refused consent" in dialog.message.text.text()
    assert ds.consent_entries(env.vault, child.id) == []
    dialog.given_by.setText("Sam Example (16, competent to decide)")
    dialog.save_button.click()
    idle(qtbot, env)
    [entry] = ds.consent_entries(env.vault, child.id)
    assert entry.kind == "refused" and entry.given_by == "Sam Example (16, competent to decide)"
    assert "Consent refused by Sam Example" in dialog.history.item(0).text()


def test_the_consent_register_says_what_to_do_with_no_people(qtbot: Any, env: SimpleNamespace) -> None:
    dialog = env.ext.record_consent()
    idle(qtbot, env)
    assert dialog.empty.isVisibleTo(dialog) and "No one is recorded on this case yet" in dialog.empty.text()
    assert not dialog.save_button.isEnabled()


# --- feedback ----------------------------------------------------------------------------------------


def test_feedback_and_the_awaiting_feedback_list(qtbot: Any, env: SimpleNamespace) -> None:
    awaiting = env.ext.show_awaiting()
    assert isinstance(awaiting, AwaitingFeedbackDialog)
    idle(qtbot, env)
    assert "Nothing is awaiting feedback" in awaiting.empty.text() and not awaiting.record_button.isEnabled()
    awaiting.close()
    shared = share_decision(env)
    share_decision(env, final="do_not_share")  # not awaiting anything
    awaiting = env.ext.show_awaiting()
    idle(qtbot, env)
    assert awaiting.table.rowCount() == 1
    row = [awaiting.table.item(0, c).text() for c in range(awaiting.table.columnCount())]
    assert row[0] == "G-1" and row[3] == "Share" and row[4] == "Children's Social Care"
    assert row[2].endswith("days")
    awaiting.record_button.click()
    feedback = env.ext.dialogs[-1]
    assert isinstance(feedback, FeedbackDialog)
    idle(qtbot, env)
    assert feedback.decisions.currentData() == shared.id and feedback.decisions.count() == 1
    feedback.save_button.click()
    idle(qtbot, env)
    assert "hesitancy to share" in feedback.message.text.text()  # what happened is required, and why
    feedback.from_whom.setText("Duty social worker")
    feedback.outcome.setPlainText("Strategy meeting held; child protection enquiries begun.")
    feedback.save_button.click()
    qtbot.waitUntil(lambda: not feedback.isVisible(), timeout=WAIT_MS)
    idle(qtbot, env)
    assert awaiting.table.rowCount() == 0 and "Nothing is awaiting feedback" in awaiting.empty.text()
    assert ds.awaiting_feedback(env.vault) == []
    assert env.workspace.messages[-1][1].startswith("Feedback recorded")
    [item] = ds.list_feedback(env.vault, shared.id)
    env.workspace.openers["feedback"](item.id)  # opens its decision, with the feedback in it
    qtbot.waitUntil(lambda: last_dialog(env, DecisionView) is not None, timeout=WAIT_MS)
    idle(qtbot, env)
    assert "Strategy meeting held" in last_dialog(env, DecisionView).browser.toPlainText()


def test_feedback_from_the_case_offers_its_decisions_to_share(qtbot: Any, env: SimpleNamespace) -> None:
    dialog = env.ext.record_feedback()
    idle(qtbot, env)
    assert "There is no decision to share on this case" in dialog.state.text()
    assert not dialog.save_button.isEnabled()
    dialog.close()
    first = share_decision(env)
    second = share_decision(env)
    ds.record_feedback(env.vault, first.id, FeedbackInput("2024-03-03", "Seen"))
    dialog = env.ext.record_feedback()
    idle(qtbot, env)
    assert dialog.decisions.count() == 2 and dialog.decisions.isEnabled()
    assert dialog.decisions.currentData() == second.id  # awaiting feedback comes first
    assert "(awaiting feedback)" in dialog.decisions.itemText(0)
    assert "(awaiting feedback)" not in dialog.decisions.itemText(1)


def test_waiting_text() -> None:
    from datetime import UTC, datetime

    now = datetime(2024, 3, 10, 12, tzinfo=UTC)
    assert waiting_text("2024-03-10T09:00:00+00:00", now) == "Less than a day"
    assert waiting_text("2024-03-09T09:00:00+00:00", now) == "1 day"
    assert waiting_text("2024-03-01T09:00:00+00:00", now) == "9 days"


# --- the decision view -----------------------------------------------------------------------------


def test_the_decision_view_shows_the_record_with_its_citations_and_prints(
    qtbot: Any, env: SimpleNamespace, tmp_path: Path
) -> None:
    decision = share_decision(env)
    view = env.ext.open_decision(decision.id)
    idle(qtbot, env)
    text = view.browser.toPlainText()
    for expected in (
        "Information-sharing decision",
        "G-1",
        FIELDS.rationale,
        "Children's Social Care",
        "Public task",
        "What this record had to contain, and why",
        "Record the reasons for your information sharing decision",  # golden rule 7, quoted
        "Recommendation: Share",
        f"Rules version {RULES_VERSION}",
        "How concerned are you about the child's safety?",
    ):
        assert expected in text, expected
    assert view.correct_button.isEnabled() and view.feedback_button.isEnabled()
    # Linked notes open in the workspace.
    assert f"note:{env.note.id}" in view.browser.toHtml()
    view._link(QUrl(f"note:{env.note.id}"))
    assert env.workspace.opened_notes == [(env.case.id, env.note.id)]
    printer = QPrinter(QPrinter.PrinterMode.ScreenResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "decision.pdf"))
    view.print_to(printer)
    assert (tmp_path / "decision.pdf").stat().st_size > 1000
    # Correct… opens the wizard on a copy of the record.
    view.correct_button.click()
    wizard = env.ext.dialogs[-1]
    assert type(wizard).__name__ == "DecisionWizard" and wizard.supersedes_id == decision.id
    wizard.finished_ok = True
    wizard.close()


def test_decision_html_escapes_what_people_typed(env: SimpleNamespace) -> None:
    fields = DecisionFields(**{**FIELDS.to_json(), "lawful_basis": ("public_task",), "rationale": "<b>x</b> & y"})
    decision = ds.record_decision(env.vault, env.case.id, ANSWERS, decide(ANSWERS), "share", fields, [env.note.id])
    shown = decision_html(decision)
    assert "&lt;b&gt;x&lt;/b&gt; &amp; y" in shown and "<b>x</b>" not in shown


def test_a_superseded_decision_says_so_and_cannot_be_corrected_again(qtbot: Any, env: SimpleNamespace) -> None:
    original = share_decision(env)
    ds.supersede_decision(
        env.vault, original.id, ANSWERS, decide(ANSWERS), "share", FIELDS, [env.note.id], reason="Typo"
    )
    view = DecisionView(env.workspace, env.runner, env.vault, original.id, on_correct=lambda d: None)
    view.show()
    idle(qtbot, env)
    assert "This version has been corrected" in view.browser.toPlainText()
    assert not view.correct_button.isEnabled()
    view.close()
