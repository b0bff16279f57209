"""Unsaved drafts, offered back after a crash, a flat battery or a lock.

Each draft shows its case, whether it is a new note or an amendment, when it was last
typed in and how it begins. "Continue writing" reopens it in the note editor with
everything as it was; "Discard" throws it away after asking.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.domain.records import Case, Draft, make_preview
from desktop_app.services import case_records
from desktop_app.ui import presentation
from desktop_app.ui.background import BackgroundRunner
from desktop_app.ui.widgets.guard import alive
from desktop_app.ui.widgets.message_area import MessageArea

DRAFT_ROLE = Qt.ItemDataRole.UserRole + 1


class DraftsDialog(QDialog):
    resume_requested = Signal(object)  # Draft
    emptied = Signal()

    def __init__(
        self,
        runner: BackgroundRunner,
        vault: Any,
        drafts: list[Draft],
        cases: dict[int, Case],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        self.vault = vault
        self.cases = cases
        self.setWindowTitle("Unsaved drafts")
        self.setModal(False)
        intro = QLabel(
            "You were writing these when the vault was locked or the program closed. They are kept "
            "encrypted in the vault. Continue writing one, or discard it."
        )
        intro.setWordWrap(True)
        self.message = MessageArea()
        self.list = QListWidget()
        self.list.setAccessibleName("Unsaved drafts")
        self.list.setWordWrap(True)
        self.list.itemActivated.connect(lambda _item: self._resume())
        self.resume_button = QPushButton("&Continue writing")
        self.resume_button.setDefault(True)
        self.discard_button = QPushButton("&Discard…")
        self.close_button = QPushButton("Decide &later")
        self.resume_button.clicked.connect(self._resume)
        self.discard_button.clicked.connect(self._confirm_discard)
        self.close_button.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.discard_button, self.close_button, self.resume_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.message)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        for draft in drafts:
            self._add(draft)
        self.list.setCurrentRow(0)
        self.resize(640, 400)
        self.list.setFocus()

    def _add(self, draft: Draft) -> None:
        case = self.cases.get(draft.case_id) if draft.case_id is not None else None
        where = f"{case.reference}: {case.subject_name}" if case else "No case"
        what = "Amendment" if draft.note_id is not None else "New note"
        preview = make_preview(draft.text) or "(nothing typed yet)"
        item = QListWidgetItem(f"{what} on {where} — last typed {presentation.local_time(draft.updated_at)}\n{preview}")
        item.setData(DRAFT_ROLE, draft)
        self.list.addItem(item)

    def current_draft(self) -> Draft | None:
        item = self.list.currentItem()
        return item.data(DRAFT_ROLE) if item is not None else None

    def _resume(self) -> None:
        draft = self.current_draft()
        if draft is None:
            return
        self.resume_requested.emit(draft)
        self._remove(draft.id)

    def _confirm_discard(self) -> None:
        draft = self.current_draft()
        if draft is None:
            return
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Discard this draft?",
            "Throw this draft away? It has never been saved as a note and cannot be got back.",
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        discard = box.button(QMessageBox.StandardButton.Discard)
        box.finished.connect(lambda _result: self.discard(draft) if box.clickedButton() is discard else None)
        box.open()
        self.discard_box = box

    def discard(self, draft: Draft) -> None:
        vault = self.vault
        self.runner.submit(
            lambda: case_records.discard_draft(vault, draft.id),
            alive(self, lambda _none: self._remove(draft.id)),
            alive(self, self.message.show_error),
        )

    def _remove(self, draft_id: int) -> None:
        for row in range(self.list.count()):
            if self.list.item(row).data(DRAFT_ROLE).id == draft_id:
                self.list.takeItem(row)
                break
        if self.list.count() == 0:
            self.emptied.emit()
            self.close()
