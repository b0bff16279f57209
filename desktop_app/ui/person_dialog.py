"""Add or edit a person around a case, including protecting their identity.

Golden rule 5: the identity of someone who might be harmed if their details reached
another person (for example, a neighbour who reported a concern) must be protected.
Ticking the box needs a reason, so that anyone sharing from the record later knows why.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QCheckBox, QComboBox, QDialogButtonBox, QLabel, QLineEdit, QPlainTextEdit, QWidget

from desktop_app.domain.records import RELATIONSHIPS, Person, PersonDetails
from desktop_app.services import case_records
from desktop_app.ui.background import BackgroundRunner
from desktop_app.ui.widgets import icons
from desktop_app.ui.widgets.form_dialog import FormDialog


class PersonDialog(FormDialog):
    """Emits ``saved(Person)``."""

    def __init__(
        self,
        runner: BackgroundRunner,
        vault: Any,
        case_id: int,
        person: Person | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(runner, "Edit person" if person else "Add a person", parent)
        self.vault = vault
        self.case_id = case_id
        self.person = person
        self.name = QLineEdit()
        self.relationship = QComboBox()
        self.relationship.setEditable(True)
        self.relationship.addItems(RELATIONSHIPS)
        self.relationship.setCurrentIndex(-1)
        self.relationship.lineEdit().setPlaceholderText("Choose or type, e.g. mum's partner")
        self.contact = QPlainTextEdit()
        self.contact.setTabChangesFocus(True)
        self.contact.setFixedHeight(64)
        self.protect = QCheckBox("&Protect this person's identity")
        self.protect.setIcon(icons.shield())
        self.protect.setToolTip(
            "Golden rule 5: protect the identity of anyone who might be harmed if their details "
            "reached someone else. Their name is then flagged wherever it appears and redacted in exports."
        )
        self.protect_reason = QPlainTextEdit()
        self.protect_reason.setTabChangesFocus(True)
        self.protect_reason.setFixedHeight(64)
        self.protect_reason.setPlaceholderText("Why, for example: fears reprisal if identified")
        explain = QLabel(
            "Protect someone's identity when they might be harmed if their details reached another "
            "person, for example a neighbour who reported a concern. (Golden rule 5.)"
        )
        explain.setWordWrap(True)
        self.add_field("name", "&Name:", self.name)
        self.add_field("relationship", "&Relationship or role:", self.relationship)
        self.add_field("contact", "&Contact details:", self.contact)
        self.form.addRow(explain)
        self.add_field("protect_identity", "", self.protect)
        self.add_field("protect_reason", "Reason for &protecting:", self.protect_reason)
        self.protect.toggled.connect(self._protect_toggled)
        if person is not None:
            self.name.setText(person.name)
            self.relationship.setCurrentText(person.relationship)
            self.contact.setPlainText(person.contact)
            self.protect.setChecked(person.protect_identity)
            self.protect_reason.setPlainText(person.protect_reason)
        self._protect_toggled(self.protect.isChecked())
        self.save_button = self.buttons.addButton(
            "&Save" if person else "&Add person", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.save_button.setDefault(True)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.save_button.clicked.connect(self._save)
        self.finish_layout()
        self.setMinimumWidth(560)
        self.name.setFocus()

    def _protect_toggled(self, on: bool) -> None:
        self.protect_reason.setEnabled(on)

    def _save(self) -> None:
        protect = self.protect.isChecked()
        details = PersonDetails(
            name=self.name.text(),
            relationship=self.relationship.currentText(),
            contact=self.contact.toPlainText(),
            protect_identity=protect,
            protect_reason=self.protect_reason.toPlainText() if protect else "",
        )
        vault, case_id, person = self.vault, self.case_id, self.person
        if person is None:
            self.submit(lambda: case_records.add_person(vault, case_id, details))
        else:
            self.submit(lambda: case_records.update_person(vault, person.id, details))
