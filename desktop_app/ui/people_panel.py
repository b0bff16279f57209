"""The people tab: the family, carers and others around the child.

Anyone whose identity must be protected (golden rule 5) is marked with a shield and the
words "Identity protected", with the reason as the tooltip.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.domain.records import Person
from desktop_app.ui import presentation
from desktop_app.ui.widgets import icons

PERSON_ROLE = Qt.ItemDataRole.UserRole + 1
EMPTY = "No people on this case yet. Add the family, carers and others around the child with “Add person…”."


class PeoplePanel(QWidget):
    add_requested = Signal()
    edit_requested = Signal(object)  # Person

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.people: list[Person] = []
        self.status = QLabel(EMPTY)
        self.status.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setAccessibleName("People around the case")
        self.tree.setColumnCount(4)
        self.tree.setHeaderLabels(["Name", "Relationship or role", "Identity", "Contact details"])
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setColumnWidth(0, 230)
        self.tree.setColumnWidth(1, 170)
        self.tree.setColumnWidth(2, 170)
        self.tree.itemActivated.connect(lambda item, _column: self.edit_requested.emit(item.data(0, PERSON_ROLE)))
        self.add_button = QPushButton("&Add person…")
        self.edit_button = QPushButton("&Edit person…")
        self.add_button.clicked.connect(self.add_requested)
        self.edit_button.clicked.connect(self._edit_current)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.edit_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.status)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)
        self._update_buttons()

    def set_people(self, people: list[Person]) -> None:
        self.people = people
        self.tree.clear()
        for person in people:
            contact = " ".join(person.contact.split())
            item = QTreeWidgetItem([person.name, person.relationship, "", contact])
            item.setData(0, PERSON_ROLE, person)
            if person.protect_identity:
                item.setIcon(0, icons.shield())
                item.setIcon(2, icons.shield())
                item.setText(2, presentation.PROTECTED_IDENTITY)
                tip = f"{presentation.PROTECTED_IDENTITY} (golden rule 5). Reason: {person.protect_reason}"
                for column in range(4):
                    item.setToolTip(column, tip)
                item.setData(0, Qt.ItemDataRole.AccessibleTextRole, f"{person.name}, {presentation.PROTECTED_IDENTITY}")
            self.tree.addTopLevelItem(item)
        protected = sum(1 for p in people if p.protect_identity)
        if not people:
            self.status.setText(EMPTY)
        else:
            self.status.setText(
                f"{len(people)} {'person' if len(people) == 1 else 'people'}"
                + (f"; {protected} with identity protected (shield)." if protected else ".")
                + " Press Enter on a person to edit."
            )
        if people:
            self.tree.setCurrentItem(self.tree.topLevelItem(0))
        self._update_buttons()

    def current_person(self) -> Person | None:
        item = self.tree.currentItem()
        return item.data(0, PERSON_ROLE) if item is not None else None

    def _edit_current(self) -> None:
        person = self.current_person()
        if person is not None:
            self.edit_requested.emit(person)

    def _update_buttons(self) -> None:
        self.edit_button.setEnabled(bool(self.people))

    def row_texts(self) -> list[list[str]]:
        """What each row says, column by column (for tests and checks)."""
        return [
            [self.tree.topLevelItem(r).text(c) for c in range(self.tree.columnCount())]
            for r in range(self.tree.topLevelItemCount())
        ]
