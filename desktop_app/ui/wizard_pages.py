"""The decision wizard's pages before the record: one question at a time, the
recommendation, and the practitioner's own decision.

The pages only show and collect. Which questions are asked, what the rules recommend and
which cautions apply come from ``domain.wizard_flow`` and ``decision_rules``; moving
between pages and keeping the answers is ``DecisionWizard``'s job.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QPlainTextEdit,
    QRadioButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop_app.domain import decision_record as dr
from desktop_app.domain import wizard_flow as wf
from desktop_app.domain.decision_rules import Outcome
from desktop_app.ui.decision_view import outcome_html
from desktop_app.ui.widgets.message_area import MessageArea
from desktop_app.ui.wizard_widgets import CitationPane, advice_box, scrolling, wrapped


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
