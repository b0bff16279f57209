"""The decision wizard, driven as a practitioner would: four paths walked to a saved
decision (one entirely with the keyboard), Finish held back while a required field is
empty or the confidentiality ground contradicts the answers, a different decision
needing its reason, advice recorded as sought or not, a sector set by organisation
policy shown read-only, Save and close then resume, the guidance beside every question,
a prefill from the emergency path, and keeping the answers when the workspace is hidden
for a lock. Real vaults, offscreen."""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QPlainTextEdit, QRadioButton, QWidget

from desktop_app.domain import wizard_flow as wf
from desktop_app.domain.decision_record import Decision, WizardPrefill
from desktop_app.domain.policy import Policy
from desktop_app.domain.records import CaseDetails, NoteInput
from desktop_app.services import case_records
from desktop_app.services import decisions as ds
from desktop_app.store.vault import VaultFolder
from desktop_app.ui.background import BackgroundRunner
from desktop_app.ui.decision_wizard import DECISION, RECOMMENDATION, RECORD, DecisionWizard, open_decision_wizard

from ..conftest import PASSPHRASE

WAIT_MS = 15_000


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
        self.messages: list[tuple[str, str]] = []
        self.refreshed: list[int | None] = []

    def current_case_id(self) -> int | None:
        return self.case_id

    def refresh_case(self, case_id: int | None = None) -> None:
        self.refreshed.append(case_id)

    def show_message(self, kind: str, text: str) -> None:
        self.messages.append((kind, text))

    def show_error(self, exc: BaseException) -> None:
        self.messages.append(("error", str(exc)))


def make_vault(path: Path, sector: str) -> Any:
    return VaultFolder.create(
        path, PASSPHRASE, owner_name="Alex Practitioner", organisation_name="Larkspur", organisation_sector=sector
    )


@pytest.fixture
def env(qtbot: Any, tmp_path: Path, request: Any) -> Iterator[SimpleNamespace]:
    sector = getattr(request, "param", "public")
    created = make_vault(tmp_path / "vault", sector)
    vault = created.vault
    case = case_records.create_case(vault, CaseDetails("W-1", "Sam Example"))
    notes = [
        case_records.record_note(vault, case.id, NoteInput(f"2024-03-0{i}T10:00", f"Sam said thing {i}"))
        for i in (1, 2)
    ]
    runner = BackgroundRunner()
    workspace = FakeWorkspace(runner, vault, case.id)
    workspace.resize(1366, 740)
    workspace.show()
    qtbot.waitExposed(workspace)
    yield SimpleNamespace(vault=vault, case=case, notes=notes, runner=runner, workspace=workspace, saved=[])
    qtbot.waitUntil(lambda: not runner.busy, timeout=WAIT_MS)
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, DecisionWizard) and shiboken6.isValid(widget):
            widget.finished_ok = True
            widget.close()
    workspace.close()
    shiboken6.delete(workspace)
    runner.shutdown()
    vault.close()
    created.folder.release()


def open_wizard(qtbot: Any, env: SimpleNamespace, **kwargs: Any) -> DecisionWizard:
    wizard = open_decision_wizard(env.workspace, env.case.id, env.saved.append, **kwargs)
    qtbot.waitExposed(wizard)
    wizard.activateWindow()
    qtbot.waitUntil(lambda: wizard.isActiveWindow(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not env.runner.busy, timeout=WAIT_MS)  # the case's notes are listed
    return wizard


def idle(qtbot: Any, env: SimpleNamespace) -> None:
    qtbot.waitUntil(lambda: not env.runner.busy, timeout=WAIT_MS)


def focused() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None, "nothing has keyboard focus"
    return widget


def key(k: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    QTest.keyClick(focused(), k, modifier)


def answer_by_keyboard(wizard: DecisionWizard, question_id: str, value: object) -> None:
    """Type a text answer, or move through the options with the arrow keys, then Next."""
    assert wizard.position == question_id, f"expected {question_id}, at {wizard.position}"
    page = wizard.pages[question_id]
    if page.text_edit is not None:
        assert focused() is page.text_edit
        QTest.keyClicks(page.text_edit, str(value))
        key(Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)  # Ctrl+Enter: Next
        return
    target = page.option_button(value)
    assert isinstance(focused(), QRadioButton)
    if focused() is target:
        key(Qt.Key.Key_Space)
    for _ in range(len(page.buttons)):
        if focused() is target:
            break
        key(Qt.Key.Key_Down)
    if not target.isChecked():
        key(Qt.Key.Key_Space)
    assert target.isChecked() and focused() is target
    key(Qt.Key.Key_Return)  # the default button: Next


def answer(wizard: DecisionWizard, question_id: str, value: object) -> None:
    """The same through the API (the page's own widgets), then Next."""
    assert wizard.position == question_id, f"expected {question_id}, at {wizard.position}"
    page = wizard.pages[question_id]
    if page.text_edit is not None:
        page.text_edit.setPlainText(str(value))
    else:
        page.option_button(value).setChecked(True)
    assert wizard.next_button.isEnabled()
    wizard.next_button.click()


def walk(wizard: DecisionWizard, answers: list[tuple[str, object]], *, keyboard: bool = False) -> list[str]:
    asked = []
    for question_id, value in answers:
        asked.append(wizard.position)
        (answer_by_keyboard if keyboard else answer)(wizard, question_id, value)
    return asked


def fill(wizard: DecisionWizard, **values: object) -> None:
    wizard.record.set_values(values)


def record_text(wizard: DecisionWizard, name: str, text: str) -> None:
    editor = wizard.record.rows[name].editor
    assert isinstance(editor, QPlainTextEdit)
    editor.setFocus()
    QTest.keyClicks(editor, text)


def missing(wizard: DecisionWizard) -> list[str]:
    return [m.field for m in wizard.missing_requirements()]


# --- three paths ----------------------------------------------------------------------------


@pytest.mark.parametrize("env", ["voluntary"], indirect=True)
def test_wellbeing_with_consent_in_the_voluntary_sector_by_keyboard(qtbot: Any, env: SimpleNamespace) -> None:
    wizard = open_wizard(qtbot, env)
    # The vault's sector is preselected on the lawful-basis question.
    assert wizard.pages["organisation_sector"].option_button("voluntary").isChecked()
    assert "Preset from this vault" in wizard.pages["organisation_sector"].note.text()
    asked = walk(
        wizard,
        [
            ("purpose", "Referral to the school nurse for support with diet"),
            ("identifiable", True),
            ("anonymised_would_suffice", False),
            ("confidential", True),
            ("consent", "given"),
            ("objection_raised", False),
            ("concern", "wellbeing"),
            ("legal_requirement", False),
            ("organisation_sector", "voluntary"),
            ("special_category", True),
            ("recipient_has_safeguarding_role", True),
            ("informing_would_increase_risk", False),
        ],
        keyboard=True,
    )
    assert "consent_not_sought_reason" not in asked
    assert wizard.position == RECOMMENDATION
    assert wizard.outcome is not None and wizard.outcome.recommendation == "share"
    assert "Recommendation: Share" in wizard.recommendation_page.browser.toPlainText()
    assert "Legitimate interests" in wizard.recommendation_page.browser.toPlainText()
    key(Qt.Key.Key_Return)  # Next: your decision
    assert wizard.position == DECISION
    assert not wizard.next_button.isEnabled()  # the practitioner must choose
    key(Qt.Key.Key_Space)  # the first option, Share
    assert wizard.decision_page.decision() == "share"
    key(Qt.Key.Key_Return)
    assert wizard.position == RECORD
    # Prefilled from the answers and the outcome; the first lawful basis is ticked.
    values = wizard.record.values()
    assert values["purpose"] == "Referral to the school nurse for support with diet"
    assert values["lawful_basis"] == ["legitimate_interests"]
    assert values["article9_condition"] == "safeguarding_of_children_and_individuals_at_risk"
    assert values["decided_by"] == "Alex Practitioner"
    assert values["confidentiality"] == "consent"  # the ground the rules found, named in the record
    assert set(missing(wizard)) == {
        "what_shared",
        "recipient",
        "rationale",
        "consent_given_by_and_when",
        "family_informed",
    }
    assert not wizard.finish_button.isEnabled()
    assert focused() is wizard.record.rows["what_shared"].editor  # the first empty required field
    QTest.keyClicks(focused(), "Concerns about diet; weight record")
    key(Qt.Key.Key_Tab)
    record = wizard.record
    record.rows["recipient_organisation"].editor.setFocus()
    QTest.keyClicks(focused(), "School nursing team")
    record_text(wizard, "consent_given_by_and_when", "Mother, in person, 3 March 10:00")
    record_text(wizard, "rationale", "Mother agreed; the nurse can support the family.")
    assert missing(wizard) == ["family_informed"]
    fill(wizard, informed="told_before")
    assert missing(wizard) == ["family_informed"]  # told: when?
    record.rows["informed_when"].editor.setFocus()
    QTest.keyClicks(focused(), "3 March, when she agreed")
    assert missing(wizard) == []
    assert wizard.finish_button.isEnabled()
    assert "Everything required is filled in" in wizard.record.missing.text()
    key(Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)  # Ctrl+Enter: Finish
    qtbot.waitUntil(lambda: bool(env.saved), timeout=WAIT_MS)
    decision: Decision = env.saved[0]
    assert decision.final_decision == "share" and decision.follows_recommendation
    assert decision.answers["organisation_sector"] == "voluntary"
    assert decision.fields.recipient_organisation == "School nursing team"
    assert decision.fields.lawful_basis == ("legitimate_interests",)
    assert decision.fields.confidentiality == "consent"
    assert decision.fields.informed == "told_before" and decision.fields.informed_when == "3 March, when she agreed"
    assert ds.list_unfinished(env.vault) == []  # autosaved state is gone with the save


def test_significant_harm_without_consent_and_without_telling_the_family(qtbot: Any, env: SimpleNamespace) -> None:
    wizard = open_wizard(qtbot, env)
    asked = walk(
        wizard,
        [
            ("purpose", "Referral to children's social care"),
            ("identifiable", True),
            ("anonymised_would_suffice", False),
            ("confidential", True),
            ("consent", "not_sought"),
            ("consent_not_sought_reason", "increase_risk_to_child"),
            ("objection_raised", False),
            ("concern", "significant_harm"),
            ("legal_requirement", False),
            ("organisation_sector", "public"),
            ("special_category", False),
            ("recipient_has_safeguarding_role", True),
            ("informing_would_increase_risk", True),
        ],
    )
    assert "consent_not_sought_reason" in asked  # asked only because consent was not sought
    assert wizard.outcome is not None
    assert wizard.outcome.recommendation == "share" and wizard.outcome.inform == "do_not_inform"
    wizard.next_button.click()
    wizard.decision_page.button("share").setChecked(True)
    wizard.next_button.click()
    assert wizard.record.values()["lawful_basis"] == ["public_task"]
    assert {"reasons_consent_not_sought", "reason_not_informed"} <= set(missing(wizard))
    assert not wizard.record.rows["consent_given_by_and_when"].isVisibleTo(wizard.record)
    assert "(required)" in wizard.record.rows["reasons_consent_not_sought"].label.text()
    assert "When not to seek consent" in wizard.record.rows["reasons_consent_not_sought"].why.text()
    fill(
        wizard,
        what_shared="The disclosure of 1 March",
        recipient_organisation="Children's Social Care",
        reasons_consent_not_sought="Asking the father would put Sam at increased risk",
        reason_not_informed="Telling the family could put Sam at risk",
        informed="not_told",
        rationale="The disclosure describes significant harm.",
    )
    wizard.record.notes.item(0).setCheckState(Qt.CheckState.Checked)
    assert missing(wizard) == [] and wizard.finish_button.isEnabled()
    wizard.finish_button.click()
    qtbot.waitUntil(lambda: bool(env.saved), timeout=WAIT_MS)
    decision = env.saved[0]
    assert decision.answers["consent_not_sought_reason"] == "increase_risk_to_child"
    assert decision.fields.informed == "not_told"
    assert decision.linked_note_ids == (env.notes[1].id,)  # newest note first in the list
    assert decision.outcome["inform"] == "do_not_inform"


def test_recipient_without_a_safeguarding_role_is_not_shared_with_and_the_reason_recorded(
    qtbot: Any, env: SimpleNamespace
) -> None:
    wizard = open_wizard(qtbot, env)
    asked = walk(
        wizard,
        [
            ("purpose", "A sports club asked about Sam's home life"),
            ("identifiable", True),
            ("anonymised_would_suffice", False),
            ("confidential", True),
            ("consent", "refused"),
            ("concern", "wellbeing"),
            ("legal_requirement", False),
            ("organisation_sector", "public"),
            ("special_category", False),
            ("recipient_has_safeguarding_role", False),
            ("informing_would_increase_risk", False),
        ],
    )
    assert "objection_raised" not in asked  # a refusal already is an objection
    assert wizard.outcome is not None and wizard.outcome.recommendation == "do_not_share"
    wizard.next_button.click()
    assert "(in line with the recommendation)" in wizard.decision_page.button("do_not_share").text()
    wizard.decision_page.button("do_not_share").setChecked(True)
    wizard.next_button.click()
    assert set(missing(wizard)) == {"recipient", "rationale"}
    assert wizard.record.rows["recipient_organisation"].why.isVisibleTo(wizard.record)
    assert not wizard.record.rows[wf.REASON_DIFFERS_FIELD].isVisibleTo(wizard.record)
    fill(wizard, recipient_organisation="Riverside Sports Club")
    assert missing(wizard) == ["rationale"]
    assert "Why you decided not to share, or not yet" in wizard.record.missing.text()
    record_text(wizard, "rationale", "They have no safeguarding role; the mother refused consent.")
    wizard.finish_button.click()
    qtbot.waitUntil(lambda: bool(env.saved), timeout=WAIT_MS)
    decision = env.saved[0]
    assert decision.final_decision == "do_not_share" and not decision.is_sharing
    assert decision.fields.rationale.startswith("They have no safeguarding role")
    assert decision.fields.lawful_basis == ()  # not asked of a decision not to share


# --- rules at the end -------------------------------------------------------------------------

SIGNIFICANT_HARM = [
    ("purpose", "Referral"),
    ("identifiable", True),
    ("anonymised_would_suffice", False),
    ("confidential", False),
    ("consent", "given"),
    ("objection_raised", False),
    ("concern", "significant_harm"),
    ("legal_requirement", False),
    ("organisation_sector", "public"),
    ("special_category", False),
    ("recipient_has_safeguarding_role", True),
    ("informing_would_increase_risk", False),
]


def to_record(wizard: DecisionWizard, decision: str) -> None:
    walk(wizard, SIGNIFICANT_HARM)
    wizard.next_button.click()
    wizard.decision_page.button(decision).setChecked(True)
    wizard.next_button.click()
    assert wizard.position == RECORD


def test_finish_stays_disabled_while_a_required_field_is_empty(qtbot: Any, env: SimpleNamespace) -> None:
    wizard = open_wizard(qtbot, env)
    to_record(wizard, "share")
    fill(
        wizard,
        what_shared="Attendance",
        recipient_organisation="Children's Social Care",
        consent_given_by_and_when="Mother, 3 March",
        informed="told_before",
        informed_when="3 March",
    )
    assert missing(wizard) == ["rationale"] and not wizard.finish_button.isEnabled()
    assert "Rationale for the decision" in wizard.record.missing.text()
    record_text(wizard, "rationale", "Significant harm.")
    assert wizard.finish_button.isEnabled()
    wizard.record.rows["risk_level"].editor.clear()  # type: ignore[attr-defined]
    assert missing(wizard) == ["risk_level"] and not wizard.finish_button.isEnabled()
    # Ctrl+Enter (or any other way to finish) is refused too, and says which field and why.
    wizard.finish()
    assert "Perceived level of risk" in wizard.message.text.text()
    assert "Appendix 1, question 5" in wizard.message.text.text()
    assert focused() is wizard.record.rows["risk_level"].editor
    assert env.saved == [] and ds.list_decisions(env.vault, env.case.id) == []


def test_a_decision_different_from_the_recommendation_needs_the_reason(qtbot: Any, env: SimpleNamespace) -> None:
    wizard = open_wizard(qtbot, env)
    walk(wizard, SIGNIFICANT_HARM)
    wizard.next_button.click()
    wizard.decision_page.button("seek_consent_first").setChecked(True)
    assert "differs from the recommendation" in wizard.decision_page.differs.text()
    assert "Do not leave a child at risk" in wizard.decision_page.cautions.text.text()
    wizard.next_button.click()
    row = wizard.record.rows[wf.REASON_DIFFERS_FIELD]
    assert row.isVisibleTo(wizard.record) and "(required)" in row.label.text()
    fill(wizard, recipient_organisation="Children's Social Care", rationale="Mother is willing to talk today.")
    assert missing(wizard) == [wf.REASON_DIFFERS_FIELD] and not wizard.finish_button.isEnabled()
    record_text(wizard, wf.REASON_DIFFERS_FIELD, "Mother has agreed to come in this afternoon.")
    wizard.finish_button.click()
    qtbot.waitUntil(lambda: bool(env.saved), timeout=WAIT_MS)
    decision = env.saved[0]
    assert not decision.follows_recommendation and decision.recommendation == "share"
    assert decision.fields.reason_differs_from_recommendation == "Mother has agreed to come in this afternoon."


def test_save_and_close_then_resume_restores_the_answers(qtbot: Any, env: SimpleNamespace) -> None:
    wizard = open_wizard(qtbot, env)
    walk(wizard, SIGNIFICANT_HARM[:5])
    assert wizard.position == "objection_raised"
    wizard.save_button.click()
    qtbot.waitUntil(lambda: not (shiboken6.isValid(wizard) and wizard.isVisible()), timeout=WAIT_MS)
    [state] = ds.list_unfinished(env.vault, env.case.id)
    assert state.step == "objection_raised" and state.answers["consent"] == "given"
    resumed = open_wizard(qtbot, env, resume=state)
    assert resumed.position == "objection_raised"
    assert resumed.answers == state.answers
    assert resumed.pages["purpose"].text_edit.toPlainText() == "Referral"  # type: ignore[union-attr]
    assert resumed.pages["consent"].option_button("given").isChecked()
    walk(resumed, SIGNIFICANT_HARM[5:])
    resumed.next_button.click()
    resumed.decision_page.button("share").setChecked(True)
    resumed.next_button.click()
    record_text(resumed, "rationale", "Typed before a crash")
    resumed.record.notes.item(1).setCheckState(Qt.CheckState.Checked)
    resumed.reject()  # Escape or the close button keeps the answers too
    qtbot.waitUntil(lambda: not (shiboken6.isValid(resumed) and resumed.isVisible()), timeout=WAIT_MS)
    [state] = ds.list_unfinished(env.vault, env.case.id)
    assert state.step == RECORD and state.final_decision == "share"
    assert state.fields["rationale"] == "Typed before a crash"
    assert state.linked_note_ids == (env.notes[0].id,)
    again = open_wizard(qtbot, env, resume=state)
    assert again.position == RECORD and again.decision_page.decision() == "share"
    assert again.record.values()["rationale"] == "Typed before a crash"
    assert again.record.linked_note_ids() == [env.notes[0].id]
    fill(
        again,
        what_shared="Attendance",
        recipient_organisation="CSC",
        consent_given_by_and_when="Mother",
        informed="not_yet",
        informed_when="At the visit on Friday",
    )
    again.finish_button.click()
    qtbot.waitUntil(lambda: bool(env.saved), timeout=WAIT_MS)
    assert ds.list_unfinished(env.vault) == []


def test_the_guidance_is_shown_beside_each_question(qtbot: Any, env: SimpleNamespace) -> None:
    wizard = open_wizard(qtbot, env)
    for question in wf.QUESTIONS:
        page = wizard.pages[question.id]
        wizard.stack.setCurrentWidget(page)
        qtbot.waitUntil(page.citations.isVisible, timeout=WAIT_MS)
        shown = html.unescape(page.citations.text())
        for citation in question.citations:
            assert citation.text in shown, f"{question.id}: {citation.text[:40]}"
            assert citation.rule in shown and citation.document in shown
        # Beside the question, not below it: the pane starts to the right of the prompt.
        pane = page.citations.mapTo(wizard, page.citations.rect().topLeft())
        prompt = page.prompt.mapTo(wizard, page.prompt.rect().topRight())
        assert pane.x() >= prompt.x() and pane.y() < prompt.y() + 40
        assert page.citations.width() >= 300
        if question.seek_advice_hint:
            assert page.advice is not None and "Seek advice" in page.advice.text()
            assert "Golden rule 4" in page.advice.text()
    # Every step of the wizard fits a 1366x768 screen.
    assert wizard.width() <= 1366 and wizard.height() <= 700


def test_a_prefill_from_the_emergency_path_and_on_saved(qtbot: Any, env: SimpleNamespace) -> None:
    # As the emergency path passes it: any object with case_id, answers, record and source.
    capture = SimpleNamespace(
        case_id=env.case.id,
        emergency_share_id=3,
        answers={"concern": "immediate_risk", "purpose": "Police called: Sam at risk tonight"},
        record={
            "purpose": "Police called: Sam at risk tonight",
            "what_shared": "Address and what Sam said",
            "recipient_organisation": "Police",
            "recipient_secure_route": "Phone (999)",
            "decided_at": "2024-03-04T21:15:00+00:00",
        },
        source="emergency:3",
    )
    wizard = open_decision_wizard(env.workspace, capture, env.saved.append)
    qtbot.waitExposed(wizard)
    idle(qtbot, env)
    assert wizard.answers["concern"] == "immediate_risk"
    assert wizard.pages["concern"].option_button("immediate_risk").isChecked()
    answers = [(q, v) for q, v in SIGNIFICANT_HARM if q != "concern"]
    for question_id, value in answers:
        answer(wizard, question_id, value)
        if wizard.position == "concern":
            wizard.next_button.click()  # already answered by the prefill
    assert wizard.outcome is not None and wizard.outcome.concern_assessed == "immediate_risk"
    wizard.next_button.click()
    wizard.decision_page.button("share").setChecked(True)
    wizard.next_button.click()
    values = wizard.record.values()
    assert values["recipient_organisation"] == "Police" and values["what_shared"] == "Address and what Sam said"
    assert "follow_up_rationale" in missing(wizard)
    assert "Emergencies" in wizard.record.rows["follow_up_rationale"].why.text()
    assert "family_informed" in missing(wizard)  # after sharing: were they told, and when?
    fill(
        wizard,
        consent_given_by_and_when="Mother, by phone",
        rationale="Immediate risk of harm tonight.",
        follow_up_rationale="Shared by phone at 21:15, written up the next morning.",
        informed="told_after",
        informed_when="4 March, the next morning",
    )
    wizard.finish_button.click()
    qtbot.waitUntil(lambda: bool(env.saved), timeout=WAIT_MS)
    decision = env.saved[0]
    assert decision.prefill_source == "emergency:3"
    assert decision.fields.decided_at == "2024-03-04T21:15:00+00:00"
    assert decision.fields.recipient_secure_route == "Phone (999)"
    # A WizardPrefill with an unknown field name is refused at once, not silently dropped.
    with pytest.raises(Exception, match="Unknown decision field"):
        DecisionWizard(env.workspace, env.runner, env.vault, env.case.id, prefill=WizardPrefill(fields={"whom": "x"}))


def test_hiding_the_workspace_for_a_lock_keeps_the_answers(qtbot: Any, env: SimpleNamespace) -> None:
    wizard = open_wizard(qtbot, env)
    walk(wizard, SIGNIFICANT_HARM[:3])
    idle(qtbot, env)
    env.workspace.hide()  # what the main window does just before it closes the vault
    idle(qtbot, env)
    [state] = ds.list_unfinished(env.vault, env.case.id)
    assert state.answers["identifiable"] is True and state.step == "confidential"
    env.workspace.show()
    env.workspace.locking.emit()  # the workspace's own signal does the same
    idle(qtbot, env)
    assert len(ds.list_unfinished(env.vault, env.case.id)) == 1  # the same state, updated


def test_a_correction_supersedes_the_decision_with_a_reason(qtbot: Any, env: SimpleNamespace) -> None:
    wizard = open_wizard(qtbot, env)
    to_record(wizard, "share")
    fill(
        wizard,
        what_shared="Attendance",
        recipient_organisation="Early Help",
        consent_given_by_and_when="Mother",
        rationale="Support",
        informed="told_before",
        informed_when="3 March",
    )
    wizard.finish_button.click()
    qtbot.waitUntil(lambda: bool(env.saved), timeout=WAIT_MS)
    original = env.saved[0]
    correction = open_wizard(qtbot, env, supersedes=original)
    assert not correction.record.correction.isHidden()
    assert "Correct a sharing decision" in correction.windowTitle()
    for question_id, _ in SIGNIFICANT_HARM:
        if correction.position == question_id:
            correction.next_button.click()
    correction.next_button.click()
    assert correction.decision_page.decision() == "share"
    correction.next_button.click()
    assert correction.record.values()["recipient_organisation"] == "Early Help"
    fill(correction, recipient_organisation="Children's Social Care")
    assert missing(correction) == ["_supersede_reason"] and not correction.finish_button.isEnabled()
    correction.record.supersede_reason.setPlainText("The recipient was recorded wrongly.")
    correction.finish_button.click()
    qtbot.waitUntil(lambda: len(env.saved) == 2, timeout=WAIT_MS)
    fixed = env.saved[1]
    assert fixed.supersedes_id == original.id and fixed.supersede_reason == "The recipient was recorded wrongly."
    assert ds.get_decision(env.vault, original.id).fields.recipient_organisation == "Early Help"


# --- gaps closed: early-help objections, advice, the confidentiality ground, policy ---------------

EARLY_HELP_OBJECTION = [
    ("purpose", "Referral to the family support service"),
    ("identifiable", True),
    ("anonymised_would_suffice", False),
    ("confidential", True),
    ("consent", "given"),
    ("objection_raised", True),
    ("concern", "wellbeing"),
    ("legal_requirement", False),
    ("organisation_sector", "public"),
    ("special_category", False),
    ("recipient_has_safeguarding_role", True),
    ("informing_would_increase_risk", False),
]


def test_an_early_help_objection_is_not_shared_over_and_advice_not_sought_is_explained(
    qtbot: Any, env: SimpleNamespace
) -> None:
    wizard = open_wizard(qtbot, env)
    walk(wizard, EARLY_HELP_OBJECTION)
    assert wizard.outcome is not None and wizard.outcome.recommendation == "seek_consent"
    shown = wizard.recommendation_page.browser.toPlainText()
    assert "Recommendation: Seek consent first" in shown and "objected" in shown
    assert "seek guidance from their safeguarding lead" in shown
    wizard.next_button.click()
    assert "(in line with the recommendation)" in wizard.decision_page.button("seek_consent_first").text()
    wizard.decision_page.button("seek_consent_first").setChecked(True)
    wizard.next_button.click()
    assert set(missing(wizard)) == {"recipient", "rationale", "advice_sought"}
    record = wizard.record
    assert "I did not seek advice" in record.rows["advice_sought_from"].label.text()
    assert "Appendix 1, question 4" not in record.rows["advice_sought_from"].why.text()  # not sharing
    assert "Golden rule 4" in record.rows["advice_sought_from"].why.text()
    record.advice_from.not_sought.setChecked(True)
    assert record.rows["advice_given"].label.text() == "Why you did not seek advice (required)"
    assert "required" not in record.rows["advice_sought_from"].label.text()
    assert not record.rows["advice_sought_at"].editor.isEnabled()
    fill(wizard, recipient_organisation="Family support service")
    record_text(wizard, "rationale", "Father objects; not shared until we have talked it through.")
    assert missing(wizard) == ["advice_sought"]  # why not, still to say
    wizard.finish()  # refused, and the cursor goes to where the reason belongs
    assert "Advice: from whom" in wizard.message.text.text()
    assert focused() is record.rows["advice_given"].editor
    QTest.keyClicks(focused(), "Talking to both parents first; the DSL is on leave until Monday.")
    assert missing(wizard) == [] and wizard.finish_button.isEnabled()
    wizard.finish_button.click()
    qtbot.waitUntil(lambda: bool(env.saved), timeout=WAIT_MS)
    decision = env.saved[0]
    assert decision.final_decision == "seek_consent_first" and decision.follows_recommendation
    assert decision.fields.advice_sought_from == "" and decision.fields.advice_given == ""
    assert decision.fields.advice_not_sought_reason.startswith("Talking to both parents first")
    assert decision.outcome["confidentiality"] is None


SHARED_OVER_A_REFUSAL = [
    ("purpose", "Referral to children's social care"),
    ("identifiable", True),
    ("anonymised_would_suffice", False),
    ("confidential", True),
    ("consent", "refused"),
    ("concern", "significant_harm"),
    ("legal_requirement", False),
    ("organisation_sector", "public"),
    ("special_category", False),
    ("recipient_has_safeguarding_role", True),
    ("informing_would_increase_risk", False),
]


def test_a_confidentiality_ground_the_answers_deny_holds_finish_back(qtbot: Any, env: SimpleNamespace) -> None:
    wizard = open_wizard(qtbot, env)
    walk(wizard, SHARED_OVER_A_REFUSAL)
    wizard.next_button.click()
    wizard.decision_page.button("share").setChecked(True)
    wizard.next_button.click()
    record = wizard.record
    assert record.values()["confidentiality"] == "overriding_public_interest"  # the rules' ground
    assert "must be sure that one of the following conditions exists" in record.rows["confidentiality"].why.text()
    fill(
        wizard,
        what_shared="The disclosure of 1 March",
        recipient_organisation="Children's Social Care",
        reasons_for_overriding_objection="Necessary to protect Sam from harm; mother refused.",
        informed="told_before",
        informed_when="3 March, by phone",
        advice_sought_from="Designated safeguarding lead",
        advice_sought_at="3 March 09:00",
        advice_given="Refer today and tell the mother first.",
        rationale="The disclosure describes significant harm.",
    )
    assert missing(wizard) == [] and wizard.finish_button.isEnabled()
    fill(wizard, confidentiality="")
    assert missing(wizard) == ["confidentiality_ground"] and not wizard.finish_button.isEnabled()
    # Consent as the ground, when consent was refused: not a ground that exists.
    fill(wizard, confidentiality="consent")
    assert missing(wizard) == [] and not wizard.finish_button.isEnabled()
    assert "does not fit your answers" in record.missing.text()
    wizard.finish()
    assert "consent refused" in wizard.message.text.text()
    assert env.saved == [] and ds.list_decisions(env.vault, env.case.id) == []
    fill(wizard, confidentiality="overriding_public_interest")
    assert wizard.finish_button.isEnabled()
    wizard.finish_button.click()
    qtbot.waitUntil(lambda: bool(env.saved), timeout=WAIT_MS)
    decision = env.saved[0]
    assert decision.fields.confidentiality == "overriding_public_interest"
    assert decision.fields.advice_sought_from == "Designated safeguarding lead"
    assert decision.fields.advice_given == "Refer today and tell the mother first."


def test_a_sector_set_by_policy_is_shown_read_only(qtbot: Any, env: SimpleNamespace) -> None:
    # The main window holds the policy; the wizard finds it from the workspace.
    env.workspace.policy = Policy(organisation_sector="private", set_by_policy=frozenset({"organisation_sector"}))
    answers = dict(SIGNIFICANT_HARM[:8]) | {"organisation_sector": "public"}  # resumed from before the policy
    state = ds.save_wizard_state(env.vault, env.case.id, step="organisation_sector", answers=answers, fields={})
    wizard = open_wizard(qtbot, env, resume=state)
    page = wizard.pages["organisation_sector"]
    assert wizard.position == "organisation_sector"
    assert wizard.answers["organisation_sector"] == "private"  # the organisation's, not the vault's
    assert page.option_button("private").isChecked()
    assert all(not button.isEnabled() for button in page.buttons)
    assert "Private sector: set by your organisation" in page.note.text()
    assert "Set by your organisation" in page.option_button("public").accessibleDescription()
    page.option_button("public").click()  # disabled: nothing changes
    assert wizard.answers["organisation_sector"] == "private"
    assert wizard.next_button.isEnabled() and focused() is wizard.next_button
    key(Qt.Key.Key_Return)  # Next
    assert wizard.position == "special_category"
    walk(wizard, SIGNIFICANT_HARM[9:])
    assert wizard.outcome is not None and wizard.outcome.lawful_basis[0] == "legitimate_interests"


def test_a_sector_the_policy_leaves_alone_stays_editable(qtbot: Any, env: SimpleNamespace) -> None:
    wizard = open_wizard(
        qtbot, env, policy=Policy(organisation_name="Larkspur", set_by_policy=frozenset({"organisation_name"}))
    )
    page = wizard.pages["organisation_sector"]
    assert not page.read_only and all(button.isEnabled() for button in page.buttons)
    assert "Preset from this vault" in page.note.text()
    assert wizard.answers["organisation_sector"] == "public"
