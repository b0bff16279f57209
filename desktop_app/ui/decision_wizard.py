"""The decision wizard: decide whether to share, with the guidance beside every question.

It walks the questions of ``domain.wizard_flow`` (purpose, identifiability,
confidentiality, consent, level of concern, public interest and legal requirement,
lawful basis, what to share and with whom, informing the family), asking only those that
matter given the earlier answers, with each question's help, the passages behind it
(document, rule, quotation) beside it, and "Seek advice" guidance (golden rule 4) where
the practitioner may be unsure. It ends with the recommendation, its reasons and
citations, the practitioner's own decision (which may differ, with a reason), and the
record fields: those the guidance requires cannot be skipped (Finish stays disabled and
the missing ones are named).

Nothing here decides anything or touches SQL: the questions and the rules are
``wizard_flow`` and ``decision_rules``; saving is ``services.decisions`` on the store
thread. A half-finished decision is kept encrypted in the vault (``save_wizard_state``)
on every step, every few seconds while typing, on "Save and close", and when the
workspace is hidden for a lock, so it can be resumed after a lock or a crash.

For other parts of the application (the emergency path): ``DecisionWizard(parent,
runner, vault, case_id, prefill=WizardPrefill(...), on_saved=callback)``, or
``open_decision_wizard(workspace, case_id, prefill=..., on_saved=...)``.

This module is the dialog itself: the steps, the answers, keeping and recording them. The
pages are ``wizard_pages`` and ``decision_record_form``; the small widgets they share,
``wizard_widgets``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontMetrics, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.domain import decision_record as dr
from desktop_app.domain import guidance as g
from desktop_app.domain import wizard_flow as wf
from desktop_app.domain.decision_record import Decision, DecisionFields, WizardPrefill, WizardState
from desktop_app.domain.decision_rules import Outcome, Sector, evaluate, parse_answers
from desktop_app.domain.policy import Policy
from desktop_app.errors import CaseNotesError, ValidationError
from desktop_app.services import decisions as decision_service
from desktop_app.store.vault import OpenVault
from desktop_app.ui.background import BackgroundRunner
from desktop_app.ui.decision_record_form import SUPERSEDE_REASON, RecordPage
from desktop_app.ui.decision_view import esc
from desktop_app.ui.settings_dialog import SET_BY_ORGANISATION
from desktop_app.ui.widgets.message_area import MessageArea
from desktop_app.ui.wizard_pages import DecisionPage, QuestionPage, RecommendationPage
from desktop_app.ui.wizard_widgets import wrapped

RECOMMENDATION = "recommendation"
DECISION = "decision"
RECORD = "record"
POST_STEPS = (RECOMMENDATION, DECISION, RECORD)
POST_STEP_TITLES = {RECOMMENDATION: "Recommendation", DECISION: "Your decision", RECORD: "Record the decision"}
AUTOSAVE_MS = 8_000
_INVALID = "border: 2px solid #8c1d18;"


def organisation_policy(widget: QWidget | None) -> Policy | None:
    """The organisation policy the main window holds (``MainWindow.policy``), found from
    the wizard's parent: the workspace's ``window``, or any ancestor with a ``policy``."""
    ancestor = widget
    while ancestor is not None:
        for candidate in (ancestor, getattr(ancestor, "window", None)):
            policy = getattr(candidate, "policy", None)
            if isinstance(policy, Policy):
                return policy
        ancestor = ancestor.parentWidget()
    return None


def sector_set_by_policy(policy: Policy | None, vault_sector: str) -> str | None:
    """The sector the organisation's policy fixes, or ``None`` if it leaves it to the vault.

    As on the settings screen: a key IT set is the organisation's, even if its value was
    unusable (the vault's sector then stands, still not changeable here)."""
    if policy is None or "organisation_sector" not in policy.set_by_policy:
        return None
    sectors = {s.value for s in Sector}
    for value in (policy.organisation_sector, vault_sector):
        if value in sectors:
            return value
    return None


class DecisionWizard(QDialog):
    """Decide whether to share, then record the decision. ``on_saved(decision)`` is called
    (and ``saved`` emitted) once the decision is recorded; the dialog then closes."""

    saved = Signal(object)
    state_saved = Signal(object)

    def __init__(
        self,
        parent: QWidget,
        runner: BackgroundRunner,
        vault: OpenVault,
        case_id: int,
        *,
        prefill: WizardPrefill | Any | None = None,
        resume: WizardState | None = None,
        supersedes: Decision | None = None,
        request_id: int | None = None,
        on_saved: Callable[[Decision], None] | None = None,
        policy: Policy | None = None,
    ) -> None:
        super().__init__(parent)
        prefill = WizardPrefill.coerce(prefill) if prefill is not None else None
        self.runner = runner
        self.vault = vault
        self.case_id = case_id
        self.on_saved = on_saved
        self.answers: dict[str, object] = {}
        self.outcome: Outcome | None = None
        self.position = wf.QUESTIONS[0].id
        self.state_id: int | None = None
        self.supersedes_id: int | None = supersedes.id if supersedes else None
        self.request_id = request_id
        self.prefill_source = prefill.source if prefill and prefill.source else ""
        self.finished_ok = False
        self._dirty = False
        self._busy = False
        self._loading = True
        self._visited: set[str] = set()
        self._basis_defaulted = False
        initial_fields: dict[str, object] = {}
        linked: list[int] = []
        final_decision = ""
        supersede_reason = ""
        if supersedes is not None:
            self.answers.update(supersedes.answers)
            initial_fields.update(supersedes.fields.to_json())
            linked = list(supersedes.linked_note_ids)
            final_decision = supersedes.final_decision
            self.request_id = supersedes.request_id
            self.prefill_source = supersedes.prefill_source
        if prefill is not None:
            self.answers.update(prefill.answers)
            given = DecisionFields.from_mapping(prefill.fields).to_json()  # refuses unknown field names
            initial_fields.update({k: v for k, v in given.items() if v not in ("", None, [])})
            linked = list(prefill.linked_note_ids) or linked
            final_decision = prefill.final_decision or final_decision
        if resume is not None:
            self.state_id = resume.id
            self.answers = dict(resume.answers)
            initial_fields = {k: v for k, v in resume.fields.items() if k != SUPERSEDE_REASON}
            supersede_reason = str(resume.fields.get(SUPERSEDE_REASON, ""))
            linked = list(resume.linked_note_ids)
            final_decision = resume.final_decision
            self.supersedes_id = resume.supersedes_id
            self.request_id = resume.request_id
            self.prefill_source = resume.prefill_source
            self.position = resume.step
        self.linked_initial = linked
        # The organisation's policy, when it sets the sector, decides it for every decision
        # (the settings screen shows it the same way); otherwise the vault's is the default.
        self.policy = policy if policy is not None else organisation_policy(parent)
        self.sector_fixed = sector_set_by_policy(self.policy, vault.info.organisation_sector)
        sector = self.sector_fixed or vault.info.organisation_sector
        if self.sector_fixed is not None:
            self.answers["organisation_sector"] = self.sector_fixed
        elif "organisation_sector" not in self.answers and sector in {s.value for s in Sector}:
            self.answers["organisation_sector"] = sector

        self.setWindowTitle("Decide whether to share")
        self.setModal(False)
        self.setMinimumSize(900, 540)
        self._build(sector)
        # The question column keeps its room whatever width the step list needs.
        self.resize(min(1366, 950 + self.steps.width()), 660)
        if resume is None and supersedes is None:
            initial_fields.setdefault("decided_by", vault.info.owner_name)
        self.record.set_values(initial_fields)
        self.record.supersede_reason.setPlainText(supersede_reason)
        self.record.correction.setVisible(self.supersedes_id is not None)
        for question_id, page in self.pages.items():
            if question_id in self.answers:
                page.set_answer(self.answers[question_id])
        if self.sector_fixed is not None:
            self.pages["organisation_sector"].set_read_only(self.sector_fixed, SET_BY_ORGANISATION)
        if final_decision:
            self.decision_page.set_decision(final_decision)
        self._loading = False
        self._connect()
        self._load_case()
        if self.position not in self._path():
            self.position = wf.QUESTIONS[0].id
        if self.position in POST_STEPS and not self._compute_outcome():
            pass  # _compute_outcome moved to the first unanswered question
        self._show(self.position)
        self.autosave_timer = QTimer(self)
        self.autosave_timer.setInterval(AUTOSAVE_MS)
        self.autosave_timer.timeout.connect(self._autosave_if_dirty)
        self.autosave_timer.start()
        # Hiding the workspace (a lock) hides none of its dialogs: watch it and its parents.
        self._watched: list[QWidget] = []
        ancestor: QWidget | None = parent
        while ancestor is not None:
            ancestor.installEventFilter(self)
            self._watched.append(ancestor)
            ancestor = ancestor.parentWidget()

    # -- building -------------------------------------------------------------------------------
    def _build(self, sector: str) -> None:
        self.heading = wrapped("Decide whether to share", style="font-size: 13pt; font-weight: bold;")
        self.subheading = wrapped(
            "The questions follow the guidance. It supports your professional judgement: you decide, and the "
            "record keeps your reasons. Save and close at any time to come back to it later.",
            style="color: #444444;",
        )
        self.message = MessageArea()
        self.steps = QListWidget()
        # Wide enough for the longest step in bold ("▸ Public interest and legal
        # requirement"), so no step wraps and loses its indent; never under 230 px.
        bold = QFont(self.steps.font())
        bold.setWeight(QFont.Weight.Bold)
        longest = max(
            QFontMetrics(bold).horizontalAdvance(f"▸ {step}")
            for step in (*(q.step for q in wf.QUESTIONS), *POST_STEP_TITLES.values())
        )
        self.steps.setFixedWidth(max(230, longest + 2 * self.steps.frameWidth() + 16))
        self.steps.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.steps.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.steps.setAccessibleName("Steps")
        self.steps.setWordWrap(True)
        self.steps.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.stack = QStackedWidget()
        self.pages: dict[str, QuestionPage] = {}
        for question in wf.QUESTIONS:
            note = ""
            if question.id == "organisation_sector" and sector:
                label = question.option(sector).label if sector in {s.value for s in Sector} else sector
                if self.sector_fixed is not None:
                    note = (
                        f"{label}: {SET_BY_ORGANISATION.lower()}. It decides the likely lawful basis, so it "
                        "cannot be changed here; if it is wrong, ask your IT support or data protection lead."
                    )
                else:
                    note = (
                        f"Preset from this vault's settings: {label}. Change it only if this decision is made "
                        "for a different organisation."
                    )
            page = QuestionPage(question, note)
            self.pages[question.id] = page
            self.stack.addWidget(page)
        self.recommendation_page = RecommendationPage()
        self.decision_page = DecisionPage()
        self.record = RecordPage()
        for page_widget in (self.recommendation_page, self.decision_page, self.record):
            self.stack.addWidget(page_widget)
        self.save_button = QPushButton("&Save and close")
        self.save_button.setToolTip("Keep your answers, encrypted in the vault, and come back to them later")
        self.back_button = QPushButton("&Back")
        self.next_button = QPushButton("&Next")
        self.finish_button = QPushButton("&Finish and record")
        for button in (self.save_button, self.back_button):
            button.setAutoDefault(False)
        self.next_button.setDefault(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.next_button)
        buttons.addWidget(self.finish_button)
        middle = QHBoxLayout()
        middle.addWidget(self.steps)
        middle.addWidget(self.stack, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.subheading)
        layout.addWidget(self.message)
        layout.addLayout(middle, 1)
        layout.addLayout(buttons)

    def _connect(self) -> None:
        for question_id, page in self.pages.items():
            page.changed.connect(lambda qid=question_id: self._answer_changed(qid))
        self.decision_page.changed.connect(self._decision_changed)
        self.record.changed.connect(self._record_changed)
        self.back_button.clicked.connect(self.go_back)
        self.next_button.clicked.connect(self.go_next)
        self.finish_button.clicked.connect(self.finish)
        self.save_button.clicked.connect(self.save_and_close)
        QShortcut(QKeySequence("Alt+Right"), self, self.go_next)
        QShortcut(QKeySequence("Alt+Left"), self, self.go_back)
        QShortcut(QKeySequence("Ctrl+Return"), self, self._ctrl_return)
        QShortcut(QKeySequence("Ctrl+S"), self, self.save_and_close)

    def _load_case(self) -> None:
        vault, case_id = self.vault, self.case_id

        def load() -> tuple[str, list[Any]]:
            from desktop_app.services import case_records

            case = case_records.get_case(vault, case_id)
            page = case_records.chronology_page(vault, case_id, limit=200, kinds=["note"])
            return case.reference, page.entries

        self.runner.submit(load, self._alive(self._case_loaded), self._alive(self._case_failed))

    def _case_loaded(self, result: tuple[str, list[Any]]) -> None:
        reference, entries = result
        if self.supersedes_id is not None:
            what = "Correct a sharing decision"
        elif self.prefill_source.startswith("emergency"):
            what = "Write up an emergency share"
        else:
            what = "Decide whether to share"
        self.setWindowTitle(f"{what} — case {reference}")
        self.heading.setText(f"{what} — case {reference}")
        self.record.show_notes(entries, self.linked_initial)

    def _case_failed(self, exc: BaseException) -> None:
        self.record.notes_state.setText("The case's notes could not be listed.")
        self.message.show_error(exc)

    # -- navigation -------------------------------------------------------------------------------
    def _path(self) -> list[str]:
        return [q.id for q in wf.questions_to_ask(self.answers)] + list(POST_STEPS)

    def current_page(self) -> QWidget | None:
        return self.stack.currentWidget()

    def _show(self, position: str) -> None:
        self.position = position
        self._visited.add(position)
        if position in self.pages:
            page = self.pages[position]
            self.stack.setCurrentWidget(page)
            if page.read_only:
                self.next_button.setFocus()  # nothing to change: Enter moves on
            else:
                page.focus_answer()
        elif position == RECOMMENDATION:
            assert self.outcome is not None
            self.recommendation_page.show_outcome(self.outcome)
            self.stack.setCurrentWidget(self.recommendation_page)
            self.recommendation_page.browser.setFocus()
        elif position == DECISION:
            assert self.outcome is not None
            self.decision_page.show_for(self.outcome)
            self.stack.setCurrentWidget(self.decision_page)
            checked = self.decision_page.group.checkedButton()
            (checked or next(iter(self.decision_page.buttons))).setFocus()
        else:
            self._enter_record()
            self.stack.setCurrentWidget(self.record)
            self.record.scroll_area.verticalScrollBar().setValue(0)
            self._focus_first_missing()
        self._update_steps()
        self._update_buttons()

    def go_next(self) -> None:
        if self._busy or not self.next_button.isEnabled():
            return
        path = self._path()
        index = path.index(self.position) if self.position in path else 0
        if index + 1 >= len(path):
            return
        target = path[index + 1]
        if target == RECOMMENDATION and not self._compute_outcome():
            return
        self.message.clear()
        self._show(target)
        self._autosave()

    def go_back(self) -> None:
        if self._busy:
            return
        path = self._path()
        index = path.index(self.position) if self.position in path else 0
        if index > 0:
            self.message.clear()
            self._show(path[index - 1])

    def _ctrl_return(self) -> None:
        if self.position == RECORD:
            self.finish()
        else:
            self.go_next()

    def _compute_outcome(self) -> bool:
        """Run the rules over the answers; on a gap, go to the question that needs an answer."""
        try:
            self.outcome = evaluate(parse_answers(wf.complete_answers(self.answers)))
        except ValidationError as exc:
            self.outcome = None
            missing = wf.next_question(self.answers)
            target = missing.id if missing is not None else (exc.field or wf.QUESTIONS[0].id)
            if target not in self.pages:
                target = wf.QUESTIONS[0].id
            self.message.show_message("error", "Please answer this question first.", exc.message)
            self._show(target)
            return False
        return True

    def _update_steps(self) -> None:
        self.steps.clear()
        seen: list[str] = []
        step_of: dict[str, str] = {}
        for position in self._path():
            step = self.pages[position].question.step if position in self.pages else POST_STEP_TITLES[position]
            step_of[position] = step
            if step not in seen:
                seen.append(step)
        current = step_of.get(self.position, "")
        passed = True
        for step in seen:
            if step == current:
                passed = False
                text, weight = f"▸ {step}", QFont.Weight.Bold
            elif passed:
                text, weight = f"✓ {step}", QFont.Weight.Normal
            else:
                text, weight = f"    {step}", QFont.Weight.Normal
            item = QListWidgetItem(text)
            item.setToolTip("Done" if passed and step != current else "")
            font = item.font()
            font.setWeight(weight)
            item.setFont(font)
            self.steps.addItem(item)

    def _answered(self, question_id: str) -> bool:
        answered, _ = self.pages[question_id].answer()
        return answered

    def _update_buttons(self) -> None:
        at_record = self.position == RECORD
        self.back_button.setEnabled(self._path().index(self.position) > 0 if self.position in self._path() else False)
        self.next_button.setVisible(not at_record)
        self.finish_button.setVisible(at_record)
        if self.position in self.pages:
            self.next_button.setEnabled(self._answered(self.position))
        elif self.position == DECISION:
            self.next_button.setEnabled(bool(self.decision_page.decision()))
        else:
            self.next_button.setEnabled(True)
        if at_record:
            ready = not self.missing_requirements() and self.record_problem() is None
            self.finish_button.setEnabled(ready and not self._busy)
            self.finish_button.setDefault(True)
        else:
            self.next_button.setDefault(True)

    # -- changes ------------------------------------------------------------------------------------
    def _answer_changed(self, question_id: str) -> None:
        if self._loading:
            return
        answered, value = self.pages[question_id].answer()
        if answered:
            self.answers[question_id] = value.strip() if isinstance(value, str) else value
        else:
            self.answers.pop(question_id, None)
        self.outcome = None
        self._dirty = True
        if question_id == self.position:
            self._update_steps()
            self._update_buttons()

    def _decision_changed(self) -> None:
        if self._loading:
            return
        self.decision_page.refresh()
        self._dirty = True
        self._update_buttons()

    def _record_changed(self) -> None:
        if self._loading:
            return
        self._dirty = True
        if self.position == RECORD:
            self._refresh_requirements()
            self._update_buttons()

    def _enter_record(self) -> None:
        """Fill the defaults the answers give, once, without overwriting what was typed."""
        assert self.outcome is not None
        values = self.record.values()
        defaults: dict[str, object] = {}
        if not str(values.get("purpose", "")).strip():
            defaults["purpose"] = self.answers.get("purpose", "")
        if not str(values.get("risk_level", "")).strip():
            defaults["risk_level"] = dr.CONCERN_LABELS[self.outcome.concern_assessed]
        sharing = self.decision_page.decision() in {d.value for d in wf.SHARING_DECISIONS}
        if sharing and not values.get("lawful_basis") and not self._basis_defaulted and self.outcome.lawful_basis:
            defaults["lawful_basis"] = [self.outcome.lawful_basis[0].value]
            self._basis_defaulted = True
        if sharing and self.outcome.article9_condition is not None and not values.get("article9_condition"):
            defaults["article9_condition"] = self.outcome.article9_condition.value
        if self.outcome.confidentiality is not None and not values.get("confidentiality"):
            defaults["confidentiality"] = self.outcome.confidentiality.value
        if defaults:
            self._loading = True
            self.record.set_values(defaults)
            self._loading = False
        self.record.bases.suggest([b.value for b in self.outcome.lawful_basis])
        decision = self.decision_page.decision()
        self.record.set_decision(decision)
        label = dr.FINAL_DECISION_LABELS.get(decision, decision)
        self.record.intro.setText(
            f"Your decision: {label}. Fill in what the guidance requires for it (marked “required”, with the "
            "passage that requires it); the rest helps anyone reading the record later."
        )
        self._refresh_requirements()

    def current_fields(self) -> DecisionFields:
        return DecisionFields.from_mapping(self.record.values())

    def missing_requirements(self) -> list[wf.RecordFieldRequirement]:
        if self.outcome is None or not self.decision_page.decision():
            return []
        missing = dr.missing_record_fields(
            self.outcome, self.decision_page.decision(), self.current_fields(), self.record.linked_note_ids()
        )
        if self.supersedes_id is not None and not self.record.supersede_reason.toPlainText().strip():
            missing.insert(
                0,
                wf.RecordFieldRequirement(
                    SUPERSEDE_REASON, "Why this record is being corrected", g.GOLDEN_RULE_7_RATIONALE
                ),
            )
        return missing

    def record_problem(self) -> ValidationError | None:
        """A contradiction in what is filled in (a confidentiality ground the answers deny)."""
        if self.outcome is None:
            return None
        return dr.confidentiality_ground_problem(self.outcome.answers, self.current_fields())

    def _refresh_requirements(self) -> None:
        if self.outcome is None or not self.decision_page.decision():
            return
        decision = self.decision_page.decision()
        required = list(wf.required_record_fields(self.outcome, decision))
        missing = self.missing_requirements()
        extra = [m for m in missing if m.field not in {r.field for r in required} and m.field != SUPERSEDE_REASON]
        self.record.update_requirements(self.answers, required + extra, [m.field for m in missing])
        problem = self.record_problem()
        if missing:
            names = "; ".join(esc(m.label) for m in missing)
            self.record.missing.setText(
                f"<span style='color: #8c1d18;'><b>Still needed before you can finish:</b> {names}.</span>"
            )
        elif problem is not None:
            self.record.missing.setText(
                f"<span style='color: #8c1d18;'><b>To put right before you can finish:</b> {esc(problem.message)}</span>"
            )
        else:
            self.record.missing.setText(
                "<span style='color: #1e5631;'><b>Everything required is filled in.</b> Check the record, then "
                "choose Finish and record.</span>"
            )

    def _focus_first_missing(self) -> None:
        """Move to the first empty required field, in the order the form shows them."""
        missing: set[str] = set()
        for requirement in self.missing_requirements():
            missing.update(dr.REQUIREMENT_FIELDS.get(requirement.field, (requirement.field,)))
        if self.record.advice_from.not_sought.isChecked():
            missing -= {"advice_sought_from", "advice_sought_at"}  # only why not is wanted
        for name, row in self.record.rows.items():
            if name in missing and not row.isHidden():
                self.record.scroll_area.ensureWidgetVisible(row)
                row.editor.setFocus()
                return

    # -- saving ----------------------------------------------------------------------------------------
    def _state(self) -> dict[str, Any]:
        fields = self.record.values()
        fields[SUPERSEDE_REASON] = self.record.supersede_reason.toPlainText()
        return {
            "step": self.position,
            "answers": dict(self.answers),
            "fields": fields,
            "linked_note_ids": self.record.linked_note_ids(),
            "final_decision": self.decision_page.decision() or None,
        }

    def has_content(self) -> bool:
        return bool(self.answers.get("purpose")) or len(self.answers) > 1 or self._dirty

    def _save_state_work(self) -> Callable[[], Any]:
        """The store-thread work for keeping the state; reads ``state_id`` when it runs,
        so saves queued one after another update the same unfinished decision."""
        state = self._state()
        vault, case_id = self.vault, self.case_id
        supersedes_id, request_id, source = self.supersedes_id, self.request_id, self.prefill_source

        def work() -> WizardState:
            saved = decision_service.save_wizard_state(
                vault,
                case_id,
                step=state["step"],
                answers=state["answers"],
                fields=state["fields"],
                linked_note_ids=state["linked_note_ids"],
                final_decision=state["final_decision"],
                prefill_source=source,
                state_id=self.state_id,
                supersedes_id=supersedes_id,
                request_id=request_id,
            )
            self.state_id = saved.id
            return saved

        return work

    def _alive(self, callback: Callable[[Any], None]) -> Callable[[Any], None]:
        """A store-thread callback that does nothing once this dialog is gone (closed, or
        destroyed by a lock) before the work comes back."""

        def call(value: Any) -> None:
            if shiboken6.isValid(self):
                callback(value)

        return call

    def _autosave(self) -> None:
        if self.finished_ok or not self.has_content() or self.vault.closed:
            return
        self._dirty = False
        self.runner.submit(
            self._save_state_work(), self._alive(self.state_saved.emit), self._alive(self._autosave_failed)
        )

    def _autosave_if_dirty(self) -> None:
        if self._dirty:
            self._autosave()

    def _autosave_failed(self, exc: BaseException) -> None:
        self._dirty = True
        message = exc.message if isinstance(exc, CaseNotesError) else "The answers could not be kept."
        self.message.show_message("warning", f"Your answers could not be kept in the vault just now: {message}")

    def save_and_close(self) -> None:
        """Keep the answers so far and close; the decision can be resumed later."""
        if self._busy:
            return
        if not self.has_content():
            self._close()
            return
        self._set_busy(True)
        self.runner.submit(self._save_state_work(), self._alive(self._kept_and_close), self._alive(self._failed))

    def _kept_and_close(self, state: WizardState) -> None:
        self._set_busy(False)
        self.state_saved.emit(state)
        self._close()

    def finish(self) -> None:
        if self._busy or self.outcome is None or self.position != RECORD:
            return
        missing = self.missing_requirements()
        if missing:
            self.message.show_error(dr.missing_field_error(missing[0]))
            self._focus_first_missing()
            return
        try:
            fields = self.current_fields()
        except ValidationError as exc:
            self._failed(exc)
            return
        problem = self.record_problem()
        if problem is not None:
            self._failed(problem)
            return
        vault, case_id, outcome = self.vault, self.case_id, self.outcome
        decision = self.decision_page.decision()
        notes = self.record.linked_note_ids()
        supersedes_id, request_id, source = self.supersedes_id, self.request_id, self.prefill_source
        reason = self.record.supersede_reason.toPlainText()

        def work() -> Decision:
            if supersedes_id is not None:
                return decision_service.supersede_decision(
                    vault,
                    supersedes_id,
                    outcome.answers,
                    outcome,
                    decision,
                    fields,
                    notes,
                    reason=reason,
                    state_id=self.state_id,
                )
            return decision_service.record_decision(
                vault,
                case_id,
                outcome.answers,
                outcome,
                decision,
                fields,
                notes,
                prefill_source=source or None,
                state_id=self.state_id,
                request_id=request_id,
            )

        self._set_busy(True)
        self.message.clear()
        self.runner.submit(work, self._alive(self._recorded), self._alive(self._failed))

    def _recorded(self, decision: Decision) -> None:
        self._set_busy(False)
        self.finished_ok = True
        self.autosave_timer.stop()
        if self.on_saved is not None:
            self.on_saved(decision)
        self.saved.emit(decision)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        self.message.show_error(exc)
        if isinstance(exc, ValidationError) and exc.field:
            names = dr.REQUIREMENT_FIELDS.get(exc.field, (exc.field,))
            row = self.record.rows.get(names[0])
            if row is not None and self.position == RECORD:
                row.editor.setStyleSheet(_INVALID)
                self.record.scroll_area.ensureWidgetVisible(row)
                row.editor.setFocus()

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        for button in (self.save_button, self.back_button, self.next_button):
            button.setEnabled(not busy)
        if not busy:
            self._update_buttons()
        else:
            self.finish_button.setEnabled(False)

    def _close(self) -> None:
        self.finished_ok = True  # nothing more to keep
        self.autosave_timer.stop()
        super().reject()

    def reject(self) -> None:
        """Escape or the window's close button: keep the answers, as Save and close does."""
        self.save_and_close()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        # The workspace is hidden just before a lock closes the vault: keep the answers
        # first (the store thread runs this before it closes the connection).
        if event.type() == QEvent.Type.Hide and watched in self._watched:
            self.keep_now()
        return False

    def keep_now(self) -> None:
        """Queue a save of the answers so far (for a lock: the store thread runs it before
        it closes the connection). Connected to the workspace's ``locking`` signal."""
        if not self.finished_ok and self.has_content() and not self.vault.closed:
            self.runner.submit(self._save_state_work())

    def done(self, result: int) -> None:
        for watched in self._watched:
            watched.removeEventFilter(self)
        self._watched = []
        self.autosave_timer.stop()
        super().done(result)


def _parent_widget(workspace: Any) -> QWidget:
    parent = workspace if isinstance(workspace, QWidget) else workspace.window
    assert isinstance(parent, QWidget)
    return parent


def open_decision_wizard(
    workspace: Any,
    case_or_prefill: int | WizardPrefill | Any,
    on_saved: Callable[[Decision], None] | None = None,
    *,
    prefill: WizardPrefill | Any | None = None,
    resume: WizardState | None = None,
    supersedes: Decision | None = None,
    request_id: int | None = None,
    policy: Policy | None = None,
) -> DecisionWizard:
    """Open the wizard over the workspace (parented to it, so a lock destroys it) and show it.

    ``case_or_prefill`` is the case id, or a prefill that carries ``case_id`` (for example
    the emergency path's ``DecisionPrefill``: ``answers``, ``record`` and ``source``).
    ``on_saved(decision)`` is called once the decision is recorded. ``policy`` is found
    from the workspace's window when not given.
    """
    if isinstance(case_or_prefill, int) and not isinstance(case_or_prefill, bool):
        case_id = case_or_prefill
    else:
        case_id = int(getattr(case_or_prefill, "case_id"))  # noqa: B009 - duck-typed prefill
        prefill = case_or_prefill
    wizard = DecisionWizard(
        _parent_widget(workspace),
        workspace.runner,
        workspace.vault,
        case_id,
        prefill=prefill,
        resume=resume,
        supersedes=supersedes,
        request_id=request_id,
        on_saved=on_saved,
        policy=policy,
    )
    locking = getattr(workspace, "locking", None)
    if locking is not None:
        locking.connect(wizard.keep_now)
    wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    wizard.show()
    wizard.raise_()
    wizard.activateWindow()
    return wizard
