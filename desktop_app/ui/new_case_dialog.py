"""Open a new case for a child or young person."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QDialogButtonBox, QLineEdit, QWidget

from desktop_app.domain.records import CaseDetails
from desktop_app.errors import ValidationError
from desktop_app.services import case_records
from desktop_app.ui.background import BackgroundRunner
from desktop_app.ui.case_details_dialog import IdentifiersEdit, typed_date_of_birth
from desktop_app.ui.widgets.form_dialog import FormDialog


class NewCaseDialog(FormDialog):
    """Emits ``saved(Case)`` once the case is created."""

    def __init__(self, runner: BackgroundRunner, vault: Any, parent: QWidget | None = None) -> None:
        super().__init__(runner, "New case", parent)
        self.vault = vault
        self.reference = QLineEdit()
        self.reference.setPlaceholderText("For example, your system's ID or initials and a number")
        self.subject_name = QLineEdit()
        self.date_of_birth = QLineEdit()
        self.date_of_birth.setPlaceholderText("YYYY-MM-DD, if known (expected date for a pre-birth case)")
        self.identifiers = IdentifiersEdit()
        self.key_worker = QLineEdit(vault.info.owner_name)
        self.add_field("reference", "Case &reference:", self.reference)
        self.add_field("subject_name", "Child or young person's &name:", self.subject_name)
        self.add_field("subject_date_of_birth", "&Date of birth:", self.date_of_birth)
        self.add_field("subject_identifiers", "Other &identifiers:", self.identifiers)
        self.add_field("key_worker", "&Key worker:", self.key_worker)
        self.create_button = self.buttons.addButton("&Create case", QDialogButtonBox.ButtonRole.AcceptRole)
        self.create_button.setDefault(True)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.create_button.clicked.connect(self._create)
        self.finish_layout("A case is about one child or young person. You can add the people around them next.")
        self.setMinimumWidth(640)  # the date placeholder fits whole
        self.reference.setFocus()

    def _create(self) -> None:
        self.clear_errors()
        try:
            details = CaseDetails(
                reference=self.reference.text(),
                subject_name=self.subject_name.text(),
                subject_date_of_birth=typed_date_of_birth(self.date_of_birth.text()),
                subject_identifiers=self.identifiers.identifiers(),
                key_worker=self.key_worker.text(),
            )
        except ValidationError as exc:
            self.show_error(exc)
            return
        vault = self.vault
        self.submit(lambda: case_records.create_case(vault, details))
