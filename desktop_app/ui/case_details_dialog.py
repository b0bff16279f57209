"""Edit a case's details (reference, the child's name, date of birth and other
identifiers, key worker), with the reason, and see every earlier change.

A case's details are part of the record: a letter or an export made last month names
the child as the case said then. So a change is kept in the case's history with what
each field said before and after, and the reason (``case_records.update_case``); this
dialog shows that history under the form. ``IdentifiersEdit`` is the field for the
child's other identifiers, shared with the new-case dialog.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QWidget,
)

from desktop_app.domain.records import (
    MAX_IDENTIFIERS,
    Case,
    CaseDetailChange,
    CaseDetails,
    case_detail_change_lines,
    parse_date,
    validate_case_details,
)
from desktop_app.errors import ValidationError
from desktop_app.services import case_records
from desktop_app.ui import presentation
from desktop_app.ui.background import BackgroundRunner
from desktop_app.ui.widgets.form_dialog import FormDialog
from desktop_app.ui.widgets.guard import alive

NO_CHANGES = "No earlier changes: these are the details the case was opened with."
NOTHING_CHANGED = "Nothing has changed yet. Edit a detail and give the reason, or choose Cancel."


class IdentifiersEdit(QPlainTextEdit):
    """The child's other identifiers (school UPN, NHS number, local system ID …), typed
    one a line as a label, a colon and the value: ``UPN: A123456789012``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTabChangesFocus(True)
        self.setFixedHeight(self.fontMetrics().lineSpacing() * 4 + 12)
        self.setPlaceholderText("One a line, a label and the value, for example:\nUPN: A123456789012")
        self.setToolTip(
            "The child's other identifiers, such as a school UPN, an NHS number or a local system's ID: "
            "one a line, written as a label, a colon and the value."
        )

    def identifiers(self) -> dict[str, str]:
        """The identifiers typed, or a ``ValidationError`` naming the line to fix. Labels
        and values are checked further by the service (``validate_case_details``)."""
        found: dict[str, str] = {}
        seen: set[str] = set()
        for number, line in enumerate(self.toPlainText().splitlines(), start=1):
            if not line.strip():
                continue
            label, colon, value = line.partition(":")
            if not colon:
                raise ValidationError(
                    f"Line {number} of the other identifiers has no colon.",
                    "subject_identifiers",
                    "Write each identifier on its own line as a label, a colon and the value, "
                    "for example: UPN: A123456789012",
                )
            label, value = label.strip(), value.strip()
            if label.casefold() in seen:
                raise ValidationError(
                    f"'{label}' is given twice in the other identifiers.",
                    "subject_identifiers",
                    "Keep one line for each kind of identifier.",
                )
            seen.add(label.casefold())
            found[label] = value
        if len(found) > MAX_IDENTIFIERS:
            raise ValidationError(f"At most {MAX_IDENTIFIERS} other identifiers can be kept.", "subject_identifiers")
        return found

    def set_identifiers(self, identifiers: Mapping[str, str]) -> None:
        self.setPlainText("\n".join(f"{label}: {value}" for label, value in identifiers.items()))


def typed_date_of_birth(text: str) -> date | None:
    """The date of birth field as a date (empty: not known)."""
    text = text.strip()
    return parse_date(text, "subject_date_of_birth", "The date of birth") if text else None


def change_text(change: CaseDetailChange) -> str:
    """One change as the history list shows it: when and who, each field, the reason."""
    lines = [f"{presentation.local_time(change.recorded_at)}, by {change.recorded_by}"]
    lines += case_detail_change_lines(change.fields, change.before, change.after)
    lines.append(f"Reason: {change.reason}")
    return "\n".join(lines)


class CaseDetailsDialog(FormDialog):
    """Emits ``saved(Case)`` once the change is kept."""

    def __init__(self, runner: BackgroundRunner, vault: Any, case: Case, parent: QWidget | None = None) -> None:
        super().__init__(runner, f"Case details: {case.reference}", parent)
        self.vault = vault
        self.case = case
        self.reference = QLineEdit(case.reference)
        self.subject_name = QLineEdit(case.subject_name)
        dob = case.subject_date_of_birth
        self.date_of_birth = QLineEdit(dob.isoformat() if dob else "")
        self.date_of_birth.setPlaceholderText("YYYY-MM-DD, if known (expected date for a pre-birth case)")
        self.identifiers = IdentifiersEdit()
        self.identifiers.set_identifiers(case.subject_identifiers)
        self.key_worker = QLineEdit(case.key_worker)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("For example: name misspelt when the case was opened")
        self.add_field("reference", "Case &reference:", self.reference)
        self.add_field("subject_name", "Child or young person's &name:", self.subject_name)
        self.add_field("subject_date_of_birth", "&Date of birth:", self.date_of_birth)
        self.add_field("subject_identifiers", "Other &identifiers:", self.identifiers)
        self.add_field("key_worker", "&Key worker:", self.key_worker)
        self.add_field("reason", "Reason for the &change:", self.reason)

        self.history = QListWidget()
        self.history.setAccessibleName("Earlier changes to the case details, most recent first")
        self.history.setWordWrap(True)
        self.history.setAlternatingRowColors(True)
        self.history.setSpacing(2)
        self.history.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.history.setMinimumHeight(110)
        self.history_status = QLabel("Loading earlier changes…")
        self.history_status.setWordWrap(True)
        history_label = QLabel("&Earlier changes, most recent first:")
        history_label.setBuddy(self.history)
        self.form.addRow(history_label)
        self.form.addRow(self.history_status)
        self.form.addRow(self.history)

        self.save_button = self.buttons.addButton("&Save changes", QDialogButtonBox.ButtonRole.AcceptRole)
        self.save_button.setDefault(True)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.save_button.clicked.connect(self._save)
        self.finish_layout(
            f"{case.reference}: {case.subject_name}. Earlier details are not lost: each change is kept in the "
            "case's history and chronology with the reason you give."
        )
        self.setMinimumWidth(640)  # the date placeholder fits whole
        self.reference.setFocus()
        self._load_history()

    # -- history ---------------------------------------------------------------------------
    def _load_history(self) -> None:
        vault, case_id = self.vault, self.case.id
        self.runner.submit(
            lambda: case_records.case_detail_history(vault, case_id),
            alive(self, self._history_loaded),
            alive(self, self._history_failed),
        )

    def _history_loaded(self, changes: list[CaseDetailChange]) -> None:
        self.history.clear()
        for change in changes:
            item = QListWidgetItem(change_text(change))
            item.setToolTip(change_text(change))
            self.history.addItem(item)
        self.history_status.setText("" if changes else NO_CHANGES)
        self.history_status.setVisible(not changes)
        self.history.setVisible(bool(changes))

    def _history_failed(self, exc: BaseException) -> None:
        self.history_status.setText("The earlier changes could not be read.")
        self.message.show_error(exc)

    def history_texts(self) -> list[str]:
        return [self.history.item(row).text() for row in range(self.history.count())]

    # -- saving ----------------------------------------------------------------------------
    def details(self) -> CaseDetails:
        """The form as case details (``ValidationError`` for a date or line it cannot read)."""
        return CaseDetails(
            reference=self.reference.text(),
            subject_name=self.subject_name.text(),
            subject_date_of_birth=typed_date_of_birth(self.date_of_birth.text()),
            subject_identifiers=self.identifiers.identifiers(),
            key_worker=self.key_worker.text(),
        )

    def _unchanged(self, details: CaseDetails) -> bool:
        try:
            valid = validate_case_details(details)
        except ValidationError:
            return False  # the service says what is wrong, field by field
        case = self.case
        return (
            valid.reference,
            valid.subject_name,
            valid.subject_date_of_birth,
            valid.subject_identifiers,
            valid.key_worker,
        ) == (case.reference, case.subject_name, case.subject_date_of_birth, case.subject_identifiers, case.key_worker)

    def _save(self) -> None:
        self.clear_errors()
        try:
            details = self.details()
        except ValidationError as exc:
            self.show_error(exc)
            return
        if self._unchanged(details):
            self.message.show_message("info", NOTHING_CHANGED)
            self.reference.setFocus()
            return
        vault, case_id, reason = self.vault, self.case.id, self.reason.text()
        self.submit(lambda: case_records.update_case(vault, case_id, details, reason=reason))
