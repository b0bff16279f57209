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
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import shiboken6
from PySide6.QtCore import QDate, QDateTime, QEvent, QObject, Qt, QTime, QTimer, Signal
from PySide6.QtGui import QFont, QFontMetrics, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop_app.domain import decision_record as dr
from desktop_app.domain import guidance as g
from desktop_app.domain import wizard_flow as wf
from desktop_app.domain.decision_record import Decision, DecisionFields, WizardPrefill, WizardState
from desktop_app.domain.decision_rules import Article9Condition, Outcome, RecordField, Sector, evaluate, parse_answers
from desktop_app.domain.guidance import Citation
from desktop_app.domain.policy import Policy
from desktop_app.errors import CaseNotesError, ValidationError
from desktop_app.services import decisions as decision_service
from desktop_app.store.vault import OpenVault
from desktop_app.ui.background import BackgroundRunner
from desktop_app.ui.decision_view import citation_html, esc, local_time, outcome_html
from desktop_app.ui.settings_dialog import SET_BY_ORGANISATION
from desktop_app.ui.widgets.message_area import MessageArea

RECOMMENDATION = "recommendation"
DECISION = "decision"
RECORD = "record"
POST_STEPS = (RECOMMENDATION, DECISION, RECORD)
POST_STEP_TITLES = {RECOMMENDATION: "Recommendation", DECISION: "Your decision", RECORD: "Record the decision"}
SUPERSEDE_REASON = "_supersede_reason"
AUTOSAVE_MS = 8_000
CITATION_PANE_WIDTH = 350
_INVALID = "border: 2px solid #8c1d18;"

# The record form: sections, and in each the fields with the widget kind.
_LONG = "long"
_LINE = "line"
_SECTIONS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("Why your decision differs from the recommendation", ((wf.REASON_DIFFERS_FIELD, _LONG),)),
    ("Purpose", (("purpose", _LONG),)),
    ("What was asked for, and what is shared", (("what_shared", _LONG),)),
    (
        "Recipient",
        (
            ("recipient_organisation", _LINE),
            ("recipient_person", _LINE),
            ("recipient_role", _LINE),
            ("recipient_contact", _LINE),
            ("recipient_secure_route", _LINE),
        ),
    ),
    ("Legal basis", (("lawful_basis", "bases"), ("article9_condition", "article9"), ("confidentiality", "combo"))),
    (
        "Consent",
        (
            ("consent_given_by_and_when", _LONG),
            ("reasons_consent_not_sought", _LONG),
            ("reasons_for_overriding_objection", _LONG),
        ),
    ),
    (
        "Telling the child or family",
        (("informed", "combo"), ("informed_when", _LINE), ("reason_not_informed", _LONG)),
    ),
    ("Advice", (("advice_sought_from", "advice_from"), ("advice_sought_at", _LINE), ("advice_given", _LONG))),
    (
        "Risk, decision and reasons",
        (
            ("risk_level", _LINE),
            ("decided_by", _LINE),
            ("decided_at", "datetime"),
            ("rationale", _LONG),
            ("follow_up_rationale", _LONG),
        ),
    ),
)
# Fields shown only when the answers make them relevant (or a rule requires them).
_RELEVANT: dict[str, Callable[[Mapping[str, object]], bool]] = {
    "consent_given_by_and_when": lambda a: a.get("consent") == "given",
    "reasons_consent_not_sought": lambda a: a.get("consent") == "not_sought",
    "reasons_for_overriding_objection": lambda a: (
        a.get("consent") in ("refused", "withdrawn") or a.get("objection_raised") is True
    ),
    "follow_up_rationale": lambda a: a.get("concern") == "immediate_risk",
    wf.REASON_DIFFERS_FIELD: lambda a: False,
}
_ROW_LABELS: dict[str, str] = {
    "recipient_organisation": "Organisation",
    "recipient_person": "Person",
    "recipient_role": "Their role in safeguarding the child",
    "recipient_contact": "Contact details",
    "recipient_secure_route": "Secure route used to share (for example secure email or portal)",
}
_REQUIRED_MARKERS: dict[str, str] = {
    "recipient_organisation": "(required: the organisation or the person)",
    "recipient_person": "(required: the person or the organisation)",
    "what_shared": "(required: describe it, or link notes below)",
    "informed_when": "(required if they were told, or will be)",
    "advice_sought_from": "(required, or tick “I did not seek advice”)",
    "advice_sought_at": "(required if you sought advice)",
    "advice_given": "(required: what was advised, or why you did not seek advice)",
}
_FIELD_HELP: dict[str, str] = {
    "what_shared": "What the recipient asked for, and what you share: describe it, tick the notes it comes from "
    "below, or both. Share the minimum necessary.",
    "recipient_role": "For example: statutory social care, the child's GP, designated safeguarding lead.",
    "risk_level": "In your own words, as you saw it at the time.",
    "rationale": "Why you decided as you did, in words you could explain later.",
    "informed_when": "A date, or 'when it is safe to do so'.",
    "confidentiality": "When you share confidential information, the ground that allows it: consent, a legal "
    "requirement, or an overriding public interest (then share only the minimum necessary).",
    "informed": "Whether the child or family was told about the sharing, or will be. If they will not be, say why.",
}
ADVICE_GIVEN_LABEL = dr.FIELD_LABELS["advice_given"]
ADVICE_NOT_SOUGHT_LABEL = "Why you did not seek advice"


def wrapped(text: str = "", *, rich: bool = False, style: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
    if style:
        label.setStyleSheet(style)
    return label


class FitScrollArea(QScrollArea):
    """A vertical scroll area whose content is exactly as tall as its width needs.

    A plain ``QScrollArea`` sizes its widget from the layout's minimum size, which for
    word-wrapped labels is worked out at a narrow width: the content becomes far too
    tall and ends in a long empty space. This asks the layout for its height at the
    real width instead, whenever the width or the content changes.
    """

    def __init__(self, widget: QWidget | None = None) -> None:
        super().__init__()
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        if widget is not None:
            self.set_content(widget)

    def set_content(self, widget: QWidget) -> None:
        self.setWidget(widget)
        widget.installEventFilter(self)

    def fit(self) -> None:
        if not shiboken6.isValid(self):
            return
        widget = self.widget()
        layout = widget.layout() if widget is not None else None
        if widget is None or layout is None:
            return
        width = self.viewport().width()
        height = layout.totalHeightForWidth(width) if layout.hasHeightForWidth() else layout.totalSizeHint().height()
        if height > 0 and widget.minimumHeight() != height:
            widget.setFixedHeight(height)

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self.fit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            QTimer.singleShot(0, self, self.fit)
        return super().eventFilter(watched, event)


def scrolling(widget: QWidget) -> QScrollArea:
    return FitScrollArea(widget)


class CitationPane(FitScrollArea):
    """The passages behind a question, beside it: document, rule and the words."""

    def __init__(self, heading: str = "What the guidance says") -> None:
        super().__init__()
        self.setFixedWidth(CITATION_PANE_WIDTH)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet("CitationPane { background: #f5f7fa; border: 1px solid #c9d1da; border-radius: 4px; }")
        inner = QWidget()
        inner.setObjectName("citations")
        inner.setStyleSheet("QWidget#citations { background: #f5f7fa; }")
        self.column = QVBoxLayout(inner)
        self.heading = wrapped(heading, style="font-weight: bold; font-size: 11pt;")
        self.body = wrapped(rich=True)
        self.body.setAccessibleName(heading)
        self.column.addWidget(self.heading)
        self.column.addWidget(self.body)
        self.column.addStretch(1)
        self.set_content(inner)
        self.citations: tuple[Citation, ...] = ()

    def show_citations(self, citations: Sequence[Citation], extra_html: str = "") -> None:
        self.citations = tuple(dict.fromkeys(citations))
        self.body.setText(extra_html + "".join(citation_html(c) for c in self.citations))

    def text(self) -> str:
        return self.body.text()


def advice_box(hint: str) -> QLabel:
    """'Not sure?' guidance with the golden rule behind it."""
    rule = wf.ADVICE_CITATION
    label = wrapped(
        f"<b>Not sure? Seek advice.</b> {esc(hint)}<br><small><i>“{esc(rule.text)}”</i> — {esc(rule.rule)}</small>",
        rich=True,
        style="background: #e8f1fb; color: #0b3d6b; border: 1px solid #0b3d6b; border-radius: 4px; padding: 6px;",
    )
    label.setAccessibleName(f"Seek advice: {hint}")
    return label


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


class QuestionPage(QWidget):
    """One question: its words and answer on the left, the guidance on the right."""

    changed = Signal()

    def __init__(self, question: wf.Question, note: str = "") -> None:
        super().__init__()
        self.question = question
        self.buttons: dict[QRadioButton, wf.OptionValue] = {}
        self.group = QButtonGroup(self)
        self.text_edit: QPlainTextEdit | None = None
        self.read_only = False
        column = QVBoxLayout()
        self.step_label = wrapped(question.step.upper(), style="color: #555555; font-size: 9pt; letter-spacing: 1px;")
        self.title = wrapped(question.title, style="font-size: 15pt; font-weight: bold;")
        self.title.setAccessibleName(question.title)
        self.prompt = wrapped(question.prompt, style="font-size: 11pt;")
        column.addWidget(self.step_label)
        column.addWidget(self.title)
        column.addWidget(self.prompt)
        if question.kind == "text":
            self.text_edit = QPlainTextEdit()
            self.text_edit.setTabChangesFocus(True)
            self.text_edit.setAccessibleName(question.title)
            self.text_edit.setPlaceholderText("Type here. Keep the case details in your case notes.")
            self.text_edit.setFixedHeight(110)
            self.text_edit.textChanged.connect(self.changed)
            column.addWidget(self.text_edit)
        else:
            for option in question.options:
                button = QRadioButton(option.label)
                button.setObjectName(f"option-{option.value}")
                button.setAccessibleDescription(option.help)
                self.group.addButton(button)
                self.buttons[button] = option.value
                column.addWidget(button)
                if option.help:
                    column.addWidget(wrapped(option.help, style="color: #444444; margin-left: 24px;"))
            self.group.buttonToggled.connect(lambda _b, on: self.changed.emit() if on else None)
        if note:
            self.note = wrapped(note, style="color: #0b3d6b;")
            column.addWidget(self.note)
        self.help = wrapped(question.help, style="color: #333333; margin-top: 8px;")
        column.addWidget(self.help)
        self.advice = advice_box(question.seek_advice_hint) if question.seek_advice_hint else None
        if self.advice is not None:
            column.addWidget(self.advice)
        column.addStretch(1)
        left = QWidget()
        left.setLayout(column)
        self.citations = CitationPane()
        self.citations.show_citations(question.citations)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(scrolling(left), 1)
        row.addWidget(self.citations)

    def set_read_only(self, value: wf.OptionValue, why: str) -> None:
        """Show the answer as fixed (for example by organisation policy): chosen, not changeable."""
        self.set_answer(value)
        self.read_only = True
        for button in self.buttons:
            button.setEnabled(False)
            button.setAccessibleDescription(why)

    def answer(self) -> tuple[bool, object]:
        """(answered?, value)."""
        if self.text_edit is not None:
            text = self.text_edit.toPlainText()
            return bool(text.strip()), text
        for button, value in self.buttons.items():
            if button.isChecked():
                return True, value
        return False, None

    def set_answer(self, value: object) -> None:
        if self.text_edit is not None:
            if self.text_edit.toPlainText() != str(value or ""):
                self.text_edit.setPlainText(str(value or ""))
            return
        for button, option_value in self.buttons.items():
            same_type = isinstance(option_value, bool) == isinstance(value, bool)
            if same_type and option_value == value:
                button.setChecked(True)

    def option_button(self, value: object) -> QRadioButton:
        for button, option_value in self.buttons.items():
            if isinstance(option_value, bool) == isinstance(value, bool) and option_value == value:
                return button
        raise KeyError(value)

    def focus_answer(self) -> None:
        if self.text_edit is not None:
            self.text_edit.setFocus()
            return
        checked = self.group.checkedButton()
        target = checked or next(iter(self.buttons), None)
        if target is not None:
            target.setFocus()


class RecommendationPage(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.browser = QTextBrowser()
        self.browser.setAccessibleName("The recommendation and its reasons")
        intro = wrapped(
            "This is what the guidance points to, given your answers, with the passages it relies on. It supports "
            "your professional judgement: on the next page, you decide.",
            style="font-size: 11pt;",
        )
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(intro)
        column.addWidget(self.browser, 1)

    def show_outcome(self, outcome: Outcome) -> None:
        self.browser.setHtml(outcome_html(outcome.to_json()))


class DecisionPage(QWidget):
    """The practitioner's own decision, with cautions that never block it."""

    changed = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.group = QButtonGroup(self)
        self.buttons: dict[QRadioButton, wf.FinalDecision] = {}
        column = QVBoxLayout()
        column.addWidget(wrapped("Your decision", style="font-size: 15pt; font-weight: bold;"))
        self.intro = wrapped(style="font-size: 11pt;")
        column.addWidget(self.intro)
        for option in wf.FINAL_DECISION_OPTIONS:
            button = QRadioButton(option.label)
            button.setObjectName(f"decision-{option.value}")
            self.group.addButton(button)
            self.buttons[button] = option.value
            column.addWidget(button)
            column.addWidget(wrapped(option.help, style="color: #444444; margin-left: 24px;"))
        self.differs = wrapped(style="color: #663c00; margin-top: 8px;")
        column.addWidget(self.differs)
        self.cautions = MessageArea()
        column.addWidget(self.cautions)
        column.addStretch(1)
        left = QWidget()
        left.setLayout(column)
        self.citations = CitationPane()
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(scrolling(left), 1)
        row.addWidget(self.citations)
        self.group.buttonToggled.connect(lambda _b, on: self.changed.emit() if on else None)
        self.outcome: Outcome | None = None

    def decision(self) -> str:
        for button, value in self.buttons.items():
            if button.isChecked():
                return value.value
        return ""

    def set_decision(self, value: str) -> None:
        for button, option in self.buttons.items():
            if option.value == value:
                button.setChecked(True)

    def button(self, value: str) -> QRadioButton:
        return next(b for b, v in self.buttons.items() if v.value == value)

    def show_for(self, outcome: Outcome) -> None:
        self.outcome = outcome
        recommended = dr.RECOMMENDATION_LABELS[outcome.recommendation]
        self.intro.setText(
            f"The recommendation was: {recommended}. The guidance supports your judgement; it does not replace "
            "it. Choose what you decide. If it differs from the recommendation, you will be asked why."
        )
        for button, value in self.buttons.items():
            label = next(o.label for o in wf.FINAL_DECISION_OPTIONS if o.value == value)
            if wf.follows_recommendation(outcome, value):
                label += "  (in line with the recommendation)"
            button.setText(label)
        self.refresh()

    def refresh(self) -> None:
        outcome, chosen = self.outcome, self.decision()
        if outcome is None:
            return
        citations = [o.citation for o in wf.FINAL_DECISION_OPTIONS if not chosen or o.value == chosen]
        if not chosen:
            self.differs.setText("")
            self.cautions.clear()
            self.citations.show_citations(citations)
            return
        differs = not wf.follows_recommendation(outcome, chosen)
        self.differs.setText(
            "Your decision differs from the recommendation. That is yours to make: you will be asked to record why."
            if differs
            else ""
        )
        cautions = wf.decision_cautions(outcome, chosen)
        if cautions:
            self.cautions.show_message("warning", " ".join(text for text, _ in cautions))
        else:
            self.cautions.clear()
        self.citations.show_citations(citations + [c for _, c in cautions])


class FieldRow(QWidget):
    """A record field: label, input, and (when a rule requires it) the passage why."""

    def __init__(self, name: str, kind: str, label: str, editor: QWidget, help_text: str = "") -> None:
        super().__init__()
        self.name = name
        self.kind = kind
        self.base_label = label
        self.editor = editor
        self.label = wrapped(label, style="font-weight: bold;")
        self.label.setBuddy(editor)
        self.why = wrapped(rich=True, style="color: #444444;")
        self.why.hide()
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 4, 0, 4)
        column.addWidget(self.label)
        if help_text:
            column.addWidget(wrapped(help_text, style="color: #555555;"))
        column.addWidget(editor)
        column.addWidget(self.why)
        editor.setAccessibleName(label)

    def set_required(self, citation: Citation | None, marker: str = "(required)") -> None:
        if citation is None:
            self.label.setText(self.base_label)
            self.why.hide()
            self.editor.setAccessibleDescription("")
            return
        self.label.setText(f"{self.base_label} {marker}")
        self.why.setText(f"<small>Required by {esc(citation.rule)}: <i>“{esc(citation.text)}”</i></small>")
        self.why.show()
        self.editor.setAccessibleDescription(f"Required by {citation.rule}")


class AdviceFromEditor(QWidget):
    """Who advice was sought from, or a tick saying it was not sought.

    When the tick is on, the row below ("What was advised") asks why not instead, and
    ``RecordPage.values`` files that text as ``advice_not_sought_reason``, its own field.
    """

    changed = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.line = QLineEdit()
        self.line.setAccessibleName("Advice sought from (name and role)")
        self.not_sought = QCheckBox("I did not seek advice (say why below)")
        self.not_sought.setObjectName("field-advice_not_sought")
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.line)
        column.addWidget(self.not_sought)
        self.line.textChanged.connect(self.changed)
        self.not_sought.toggled.connect(self._toggled)
        self.setFocusProxy(self.line)

    def _toggled(self, on: bool) -> None:
        self.line.setEnabled(not on)
        self.changed.emit()

    def value(self) -> str:
        return "" if self.not_sought.isChecked() else self.line.text()

    def set_value(self, value: object) -> None:
        self.line.setText("" if value is None else str(value))


class BasisBoxes(QWidget):
    changed = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.boxes: dict[str, QCheckBox] = {}
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        for value, label in dr.LAWFUL_BASIS_LABELS.items():
            box = QCheckBox(label)
            box.setObjectName(f"basis-{value}")
            box.toggled.connect(self.changed)
            self.boxes[value] = box
            column.addWidget(box)

    def values(self) -> list[str]:
        return [v for v, box in self.boxes.items() if box.isChecked()]

    def set_values(self, values: Sequence[str]) -> None:
        for value, box in self.boxes.items():
            box.setChecked(value in values)

    def suggest(self, suggested: Sequence[str]) -> None:
        for value, box in self.boxes.items():
            label = dr.LAWFUL_BASIS_LABELS[value]
            box.setText(f"{label}  (suggested)" if value in suggested else label)


class RecordPage(QWidget):
    """The record fields. Which are required follows the decision (``required_record_fields``)."""

    changed = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, FieldRow] = {}
        self.sections: dict[str, QGroupBox] = {}
        column = QVBoxLayout()
        column.addWidget(wrapped("Record the decision", style="font-size: 15pt; font-weight: bold;"))
        self.intro = wrapped(style="font-size: 11pt;")
        column.addWidget(self.intro)
        # A correction of a recorded decision needs its reason first.
        self.correction = QGroupBox("Correction")
        correction_column = QVBoxLayout(self.correction)
        self.supersede_reason = QPlainTextEdit()
        self.supersede_reason.setTabChangesFocus(True)
        self.supersede_reason.setFixedHeight(60)
        self.supersede_reason.textChanged.connect(self.changed)
        self.rows[SUPERSEDE_REASON] = FieldRow(
            SUPERSEDE_REASON, _LONG, "Why this record is being corrected (required)", self.supersede_reason
        )
        correction_column.addWidget(self.rows[SUPERSEDE_REASON])
        self.correction.hide()
        column.addWidget(self.correction)
        for title, section_fields in _SECTIONS:
            box = QGroupBox(title)
            box_column = QVBoxLayout(box)
            for name, kind in section_fields:
                editor = self._editor(name, kind)
                label = _ROW_LABELS.get(name, dr.FIELD_LABELS[name])
                row = FieldRow(name, kind, label, editor, _FIELD_HELP.get(name, ""))
                self.rows[name] = row
                box_column.addWidget(row)
                if name == "what_shared":
                    box_column.addWidget(wrapped("Notes of this case to link (what was shared or relied on):"))
                    self.notes = QListWidget()
                    self.notes.setAccessibleName("Notes of this case to link")
                    self.notes.setFixedHeight(120)
                    self.notes.itemChanged.connect(lambda _i: self.changed.emit())
                    box_column.addWidget(self.notes)
                    self.notes_state = wrapped("Loading the case's notes…", style="color: #555555;")
                    box_column.addWidget(self.notes_state)
            self.sections[title] = box
            column.addWidget(box)
        column.addStretch(1)
        inner = QWidget()
        inner.setLayout(column)
        self.scroll_area = scrolling(inner)
        self.missing = wrapped(rich=True)
        self.missing.setAccessibleName("Still needed before you can finish")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.scroll_area, 1)
        layout.addWidget(self.missing)

    def _editor(self, name: str, kind: str) -> QWidget:
        editor: QWidget
        if kind == _LONG:
            text = QPlainTextEdit()
            text.setTabChangesFocus(True)
            text.setFixedHeight(70)
            text.textChanged.connect(self.changed)
            editor = text
        elif kind == _LINE:
            line = QLineEdit()
            line.textChanged.connect(self.changed)
            editor = line
        elif kind == "bases":
            self.bases = BasisBoxes()
            self.bases.changed.connect(self.changed)
            editor = self.bases
        elif kind == "advice_from":
            self.advice_from = AdviceFromEditor()
            self.advice_from.changed.connect(self._advice_changed)
            editor = self.advice_from
        elif kind == "article9":
            self.article9 = QCheckBox(dr.ARTICLE9_LABELS[Article9Condition.SAFEGUARDING])
            self.article9.toggled.connect(self.changed)
            editor = self.article9
        elif kind == "datetime":
            self.decided_at = QDateTimeEdit(QDateTime.currentDateTime())
            self.decided_at.setCalendarPopup(True)
            self.decided_at.setDisplayFormat("d MMM yyyy  HH:mm")
            self.decided_at.dateTimeChanged.connect(lambda _d: self.changed.emit())
            editor = self.decided_at
        else:  # combo
            combo = QComboBox()
            labels = dr.CONFIDENTIALITY_LABELS if name == "confidentiality" else dr.INFORMED_LABELS
            combo.addItem("Not stated" if name == "confidentiality" else "Choose…", "")
            for value, label in labels.items():
                combo.addItem(label, value)
            combo.currentIndexChanged.connect(lambda _i: self.changed.emit())
            editor = combo
        editor.setObjectName(f"field-{name}")
        return editor

    def _advice_changed(self) -> None:
        """Not sought: no when, and "What was advised" asks why not instead."""
        not_sought = self.advice_from.not_sought.isChecked()
        self.rows["advice_sought_at"].editor.setEnabled(not not_sought)
        given = self.rows["advice_given"]
        given.base_label = ADVICE_NOT_SOUGHT_LABEL if not_sought else ADVICE_GIVEN_LABEL
        given.label.setText(given.base_label)
        given.editor.setAccessibleName(given.base_label)
        self.changed.emit()

    def set_decision(self, decision: str) -> None:
        """A decision to seek advice first records who is being asked: no "not sought" tick."""
        asking = decision == wf.FinalDecision.SEEK_ADVICE_FIRST
        if asking and self.advice_from.not_sought.isChecked():
            self.advice_from.not_sought.setChecked(False)
        self.advice_from.not_sought.setVisible(not asking)

    # -- values ----------------------------------------------------------------------------
    def values(self) -> dict[str, object]:
        out: dict[str, object] = {}
        for name, row in self.rows.items():
            if name == SUPERSEDE_REASON:
                continue
            editor = row.editor
            if isinstance(editor, QPlainTextEdit):
                out[name] = editor.toPlainText()
            elif isinstance(editor, QLineEdit):
                out[name] = editor.text()
            elif isinstance(editor, BasisBoxes):
                out[name] = editor.values()
            elif isinstance(editor, AdviceFromEditor):
                out[name] = editor.value()
            elif isinstance(editor, QCheckBox):
                out[name] = Article9Condition.SAFEGUARDING.value if editor.isChecked() else None
            elif isinstance(editor, QComboBox):
                data = editor.currentData()
                out[name] = data if data else ("" if name == "informed" else None)
            elif isinstance(editor, QDateTimeEdit):
                moment = editor.dateTime().toPython()
                assert isinstance(moment, datetime)
                out[name] = moment.replace(second=0, microsecond=0).astimezone().isoformat()
        # Not sought: the relabelled "What was advised" row holds why not, in its own field.
        out["advice_not_sought_reason"] = ""
        if self.advice_from.not_sought.isChecked():
            out["advice_not_sought_reason"] = out.get("advice_given", "")
            out["advice_sought_from"] = out["advice_sought_at"] = out["advice_given"] = ""
        return out

    def set_values(self, values: Mapping[str, object]) -> None:
        if "advice_not_sought_reason" in values:  # a resumed or corrected record says which
            reason = values["advice_not_sought_reason"]
            self.advice_from.not_sought.setChecked(bool(reason))
            if reason:
                values = {**values, "advice_given": reason}
        for name, value in values.items():
            row = self.rows.get(name)
            if row is None:
                continue
            editor = row.editor
            if isinstance(editor, QPlainTextEdit):
                editor.setPlainText("" if value is None else str(value))
            elif isinstance(editor, QLineEdit):
                editor.setText("" if value is None else str(value))
            elif isinstance(editor, BasisBoxes):
                editor.set_values([str(v) for v in value] if isinstance(value, list | tuple) else [])
            elif isinstance(editor, AdviceFromEditor):
                editor.set_value(value)
            elif isinstance(editor, QCheckBox):
                editor.setChecked(bool(value))
            elif isinstance(editor, QComboBox):
                index = editor.findData(value or "")
                editor.setCurrentIndex(max(index, 0))
            elif isinstance(editor, QDateTimeEdit) and value:
                try:
                    moment = datetime.fromisoformat(str(value))
                except ValueError:
                    continue
                if moment.tzinfo is not None:
                    moment = moment.astimezone().replace(tzinfo=None)
                editor.setDateTime(
                    QDateTime(QDate(moment.year, moment.month, moment.day), QTime(moment.hour, moment.minute))
                )

    def linked_note_ids(self) -> list[int]:
        ids: list[int] = []
        for index in range(self.notes.count()):
            item = self.notes.item(index)
            note_id = item.data(Qt.ItemDataRole.UserRole)
            if item.checkState() == Qt.CheckState.Checked and isinstance(note_id, int):
                ids.append(note_id)
        return ids

    def show_notes(self, entries: Sequence[Any], linked: Sequence[int]) -> None:
        self.notes.blockSignals(True)
        self.notes.clear()
        for entry in entries:
            flags = f"  [{', '.join(entry.flags)}]" if entry.flags else ""
            item = QListWidgetItem(f"{local_time(entry.occurred_at)} — {entry.title}: {entry.summary}{flags}")
            item.setData(Qt.ItemDataRole.UserRole, entry.item_id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if entry.item_id in linked else Qt.CheckState.Unchecked)
            self.notes.addItem(item)
        self.notes.blockSignals(False)
        self.notes.setVisible(bool(entries))
        if entries:
            self.notes_state.setText("Tick the notes that were shared or relied on. Space ticks the one selected.")
        else:
            self.notes_state.setText("No notes on this case yet. Describe what is shared above instead.")

    # -- requirements -------------------------------------------------------------------------
    def update_requirements(
        self, answers: Mapping[str, object], required: Sequence[wf.RecordFieldRequirement], missing: Sequence[str]
    ) -> None:
        needs: dict[str, wf.RecordFieldRequirement] = {}
        for requirement in required:
            for name in dr.REQUIREMENT_FIELDS.get(requirement.field, (requirement.field,)):
                needs.setdefault(name, requirement)
        for name, row in self.rows.items():
            if name == SUPERSEDE_REASON:
                continue
            need = needs.get(name)
            citation = need.citation if need is not None else None
            plain = need is not None and need.field == wf.ADVICE_SOUGHT_FROM_FIELD
            if need is not None and need.field == RecordField.ADVICE_SOUGHT and self.advice_from.not_sought.isChecked():
                # Not sought: only why not is needed (in "What was advised", relabelled).
                citation = citation if name == "advice_given" else None
                plain = True
            row.set_required(citation, "(required)" if plain else _REQUIRED_MARKERS.get(name, "(required)"))
            relevant = _RELEVANT.get(name)
            row.setVisible(citation is not None or relevant is None or relevant(answers))
        for title, box in self.sections.items():
            box.setVisible(any(not self.rows[n].isHidden() for n, _ in self._fields(title)))
        for row in self.rows.values():
            row.editor.setStyleSheet("")
        self.missing_fields = list(missing)

    @staticmethod
    def _fields(title: str) -> tuple[tuple[str, str], ...]:
        return next(fields for t, fields in _SECTIONS if t == title)


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
