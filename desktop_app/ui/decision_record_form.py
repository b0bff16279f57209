"""The record form at the end of the decision wizard: the fields a sharing decision is
written up with, in sections, each saying when a rule requires it and quoting the rule.

Which fields a decision requires comes from ``domain.wizard_flow``
(``required_record_fields``) and ``domain.decision_record``; this module holds only how
the form is laid out, labelled, filled and read back, so the dialog can stay about the
steps and the saving.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from PySide6.QtCore import QDate, QDateTime, Qt, QTime, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QGroupBox,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from desktop_app.domain import decision_record as dr
from desktop_app.domain import wizard_flow as wf
from desktop_app.domain.decision_rules import Article9Condition, RecordField
from desktop_app.domain.guidance import Citation
from desktop_app.ui.decision_view import esc, local_time
from desktop_app.ui.wizard_widgets import scrolling, wrapped

SUPERSEDE_REASON = "_supersede_reason"

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
