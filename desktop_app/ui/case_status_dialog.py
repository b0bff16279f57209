"""Close a case (with the date and the reason) or reopen it (with the reason).

A closed case stays readable and searchable; the closing and any reopening appear in
its chronology.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QDateEdit, QDialogButtonBox, QPlainTextEdit, QWidget

from desktop_app.domain.records import Case
from desktop_app.services import case_records
from desktop_app.ui.background import BackgroundRunner
from desktop_app.ui.widgets.form_dialog import FormDialog


class CaseStatusDialog(FormDialog):
    """Emits ``saved(Case)``."""

    def __init__(self, runner: BackgroundRunner, vault: Any, case: Case, parent: QWidget | None = None) -> None:
        closing = case.is_open
        super().__init__(runner, f"{'Close' if closing else 'Reopen'} case {case.reference}", parent)
        self.vault = vault
        self.case = case
        self.closing = closing
        self.closed_on = QDateEdit(QDate.currentDate())
        self.closed_on.setCalendarPopup(True)
        self.closed_on.setDisplayFormat("dd MMM yyyy")
        self.closed_on.setMaximumDate(QDate.currentDate())
        self.reason = QPlainTextEdit()
        self.reason.setTabChangesFocus(True)
        self.reason.setFixedHeight(90)
        if closing:
            self.add_field("closed_on", "Closed &on:", self.closed_on)
            self.add_field("closed_reason", "&Reason for closing:", self.reason)
        else:
            self.closed_on.hide()
            self.add_field("reason", "&Reason for reopening:", self.reason)
        self.fields["reason"] = self.reason
        self.save_button = self.buttons.addButton(
            "&Close case" if closing else "Re&open case", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.save_button.clicked.connect(self._save)
        self.finish_layout(
            f"{case.reference}: {case.subject_name}. "
            + (
                "A closed case stays readable and searchable, and can be reopened."
                if closing
                else "The closing stays in the case's chronology."
            )
        )
        self.setMinimumWidth(520)
        self.reason.setFocus()

    def _save(self) -> None:
        vault, case_id, reason = self.vault, self.case.id, self.reason.toPlainText()
        if self.closing:
            on = self.closed_on.date().toPython()
            self.submit(lambda: case_records.close_case(vault, case_id, reason=reason, closed_on=on))  # type: ignore[arg-type]
        else:
            self.submit(lambda: case_records.reopen_case(vault, case_id, reason=reason))
