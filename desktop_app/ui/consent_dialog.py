"""The consent register of a case: each person's consent as it stands, its dated history,
and a form to record consent given, refused or withdrawn.

The current state is worked out from the dated entries (``domain.decision_record.consent_state``):
the latest one decides it. Entries are never changed; a mistake is put right by a newer
entry. The dialog stays open after each entry, so the register shows the change.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.domain import decision_record as dr
from desktop_app.domain import guidance as g
from desktop_app.domain.decision_record import ConsentEntry, ConsentInput, ConsentKind, ConsentState
from desktop_app.domain.records import Person
from desktop_app.services import decisions as decision_service
from desktop_app.store.vault import OpenVault
from desktop_app.ui.background import BackgroundRunner
from desktop_app.ui.decision_view import local_time
from desktop_app.ui.request_dialog import moment, quote, text_box, when_box
from desktop_app.ui.widgets.form_dialog import FormDialog

_KIND_HELP = {
    ConsentKind.GIVEN: "Say what it covers, who gave it, and whether they could consent.",
    ConsentKind.REFUSED: "Say who refused it. Respect the wish where you can; you may still share if a child is "
    "at risk of harm.",
    ConsentKind.WITHDRAWN: "Say who withdrew it. People can withdraw consent after giving it; earlier consent then "
    "no longer applies.",
}
_BY_WHOM_HINT = {
    ConsentKind.GIVEN: "The person, or who gave it on their behalf",
    ConsentKind.REFUSED: "The person, or who refused on their behalf",
    ConsentKind.WITHDRAWN: "The person, or who withdrew it on their behalf",
}


class ConsentDialog(FormDialog):
    """Emits ``saved(ConsentEntry)`` after each entry, and stays open."""

    def __init__(
        self,
        runner: BackgroundRunner,
        vault: OpenVault,
        case_id: int,
        *,
        person_id: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(runner, "Consent register", parent)
        self.vault = vault
        self.case_id = case_id
        self.wanted_person = person_id
        self.people: list[tuple[Person, ConsentState]] = []
        self.resize(1220, 660)
        intro = QLabel(
            "Each person's consent as it stands now, worked out from the dated entries below it. Consent is "
            "not usually the lawful basis for safeguarding, but at early help it is needed, and people can "
            "withdraw it."
        )
        intro.setWordWrap(True)
        self.layout_.addWidget(intro)
        columns = QHBoxLayout()
        self.layout_.addLayout(columns, 1)
        columns.addLayout(self._register(), 3)
        columns.addWidget(self._form(), 2)
        self.save_button = self.buttons.addButton("&Record this entry", QDialogButtonBox.ButtonRole.ActionRole)
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self._save)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.finish_layout()
        self.reload()

    # -- parts ---------------------------------------------------------------------------------
    def _register(self) -> QVBoxLayout:
        column = QVBoxLayout()
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Person", "Relationship", "Consent now", "Since"])
        self.table.setAccessibleName("People on this case and their consent now")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.setWordWrap(True)
        self.table.itemSelectionChanged.connect(self._person_changed)
        self.empty = QLabel(
            "No one is recorded on this case yet. Add the child's parents or carers (and the child, if they "
            "can decide) on the case screen, then record their consent here."
        )
        self.empty.setWordWrap(True)
        self.empty.hide()
        self.history_label = QLabel("History of the selected person's consent, newest first:")
        self.history = QListWidget()
        self.history.setAccessibleName("Consent history of the selected person")
        self.history.setWordWrap(True)
        column.addWidget(self.table, 2)
        column.addWidget(self.empty)
        column.addWidget(self.history_label)
        column.addWidget(self.history, 2)
        return column

    def _form(self) -> QGroupBox:
        box = QGroupBox("Record a new entry")
        form = QFormLayout(box)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        self.person_label = QLabel("Choose a person on the left.")
        self.person_label.setWordWrap(True)
        form.addRow("For:", self.person_label)
        self.kind_group = QButtonGroup(self)
        self.kind_buttons: dict[str, QRadioButton] = {}
        kinds = QHBoxLayout()
        for value, label in dr.CONSENT_KIND_LABELS.items():
            button = QRadioButton(label.replace("Consent ", "").capitalize())
            button.setObjectName(f"kind-{value}")
            button.setToolTip(_KIND_HELP[ConsentKind(value)])
            self.kind_group.addButton(button)
            self.kind_buttons[value] = button
            kinds.addWidget(button)
        self.kind_buttons[ConsentKind.GIVEN].setChecked(True)
        form.addRow("Consent:", kinds)
        self.kind_help = QLabel()
        self.kind_help.setWordWrap(True)
        self.kind_help.setStyleSheet("color: #444444;")
        form.addRow(self.kind_help)
        self.when = when_box()
        self.scope = text_box(52)
        self.scope.setPlaceholderText("What may be shared, with whom, and why")
        self.given_by = QLineEdit()
        self.capacity = text_box(52)
        self.capacity.setPlaceholderText("Gillick competence of a child, or an adult's capacity to decide")
        self.how = QLineEdit()
        self.how.setPlaceholderText("In person, in writing, by phone…")
        self.notes = text_box(44)
        for name, label, widget in (
            ("occurred_at", "&When:", self.when),
            ("scope", "What it &covers:", self.scope),
            ("given_by", "&By whom:", self.given_by),
            ("capacity_note", "Com&petence or capacity:", self.capacity),
            ("how", "&How:", self.how),
            ("notes", "N&otes:", self.notes),
        ):
            form.addRow(label, widget)
            widget.setAccessibleName(label.replace("&", "").rstrip(":"))
            self.fields[name] = widget
        form.addRow(quote(dr.BUCKS_CHILD_CONSENT))
        form.addRow(quote(g.BUCKS_Q4_WITHDRAW))
        self.kind_group.buttonToggled.connect(lambda _b, _on: self._kind_changed())
        self._kind_changed()
        return box

    # -- behaviour --------------------------------------------------------------------------------
    def kind(self) -> str:
        return next((v for v, b in self.kind_buttons.items() if b.isChecked()), ConsentKind.GIVEN.value)

    def _kind_changed(self) -> None:
        """Who gave, refused or withdrew consent is always required; what it covers and the
        person's competence or capacity only when it is given."""
        kind = ConsentKind(self.kind())
        self.kind_help.setText(_KIND_HELP[kind])
        for widget in (self.scope, self.capacity):
            widget.setAccessibleDescription("Required" if kind is ConsentKind.GIVEN else "")
        self.given_by.setPlaceholderText(_BY_WHOM_HINT[kind])
        self.given_by.setAccessibleName(dr.CONSENT_BY_LABELS[kind])
        self.given_by.setAccessibleDescription("Required")

    def selected_person(self) -> Person | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.people[rows[0].row()][0]

    def reload(self, select: int | None = None) -> None:
        vault, case_id = self.vault, self.case_id

        def work() -> list[tuple[Person, ConsentState]]:
            return decision_service.case_consent(vault, case_id)

        wanted = select if select is not None else self.wanted_person
        self.runner.submit(work, lambda found: self._loaded(found, wanted), self.show_error)

    def _loaded(self, people: list[tuple[Person, ConsentState]], wanted: int | None) -> None:
        self.people = people
        self.table.setRowCount(len(people))
        for row, (person, state) in enumerate(people):
            name = f"{person.name} (protected)" if person.protect_identity else person.name
            since = local_time(state.since) if state.since else ""
            now = state.label + (f": {state.scope}" if state.is_given and state.scope else "")
            for column, text in enumerate((name, person.relationship, now, since)):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(row, column, item)
        self.table.resizeRowsToContents()
        self.table.setVisible(bool(people))
        self.empty.setVisible(not people)
        self.save_button.setEnabled(bool(people))
        if people:
            index = next((i for i, (p, _) in enumerate(people) if p.id == wanted), 0)
            self.table.selectRow(index)
        self._person_changed()

    def _person_changed(self) -> None:
        person = self.selected_person()
        self.history.clear()
        if person is None:
            self.person_label.setText("Choose a person on the left.")
            self.history_label.setText("History of the selected person's consent, newest first:")
            return
        self.person_label.setText(f"{person.name} ({person.relationship})")
        self.history_label.setText(f"History of {person.name}'s consent, newest first:")
        state = next(s for p, s in self.people if p.id == person.id)
        if not state.entries:
            self.history.addItem("No consent recorded yet.")
        for entry in state.entries:
            self.history.addItem(entry_text(entry))

    def _save(self) -> None:
        person = self.selected_person()
        if person is None:
            self.message.show_message("error", "Choose the person whose consent this is.")
            return
        entry = ConsentInput(
            kind=self.kind(),
            occurred_at=moment(self.when),
            scope=self.scope.toPlainText(),
            given_by=self.given_by.text(),
            capacity_note=self.capacity.toPlainText(),
            how=self.how.text(),
            notes=self.notes.toPlainText(),
        )
        vault, person_id = self.vault, person.id
        self.submit(lambda: decision_service.record_consent(vault, person_id, entry))

    def _done(self, result: Any) -> None:
        """Stay open: show the register with the new entry, and clear the form."""
        self.set_busy(False)
        self.saved.emit(result)
        for widget in (self.scope, self.capacity, self.notes):
            widget.clear()
        for line in (self.given_by, self.how):
            line.clear()
        assert isinstance(result, ConsentEntry)
        self.message.show_message(
            "info", f"{dr.CONSENT_KIND_LABELS[result.kind]} recorded, dated {local_time(result.occurred_at)}."
        )
        self.reload(select=result.person_id)
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)


def entry_text(entry: ConsentEntry) -> str:
    parts = [f"{local_time(entry.occurred_at)} — {entry.label}"]
    if entry.given_by:
        parts.append(f"by {entry.given_by}")
    text = " ".join(parts)
    details = [entry.scope, entry.capacity_note, entry.how, entry.notes]
    extra = "; ".join(d for d in details if d)
    return f"{text}: {extra}" if extra else text
