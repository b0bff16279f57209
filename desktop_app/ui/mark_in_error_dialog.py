"""Mark a note as recorded in error (or on the wrong case), with the reason.

Nothing is deleted: the note stays in the chronology, marked, and the reason is shown
with it. A marked note cannot be amended afterwards; a new note records what is right.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QDialogButtonBox, QPlainTextEdit, QRadioButton, QVBoxLayout, QWidget

from desktop_app.domain.records import MARK_IN_ERROR, MARK_KINDS, MARK_WRONG_CASE, Note
from desktop_app.services import case_records
from desktop_app.ui import presentation
from desktop_app.ui.background import BackgroundRunner
from desktop_app.ui.widgets.form_dialog import FormDialog


class MarkInErrorDialog(FormDialog):
    """Emits ``saved(Note)`` with the marked note."""

    def __init__(self, runner: BackgroundRunner, vault: Any, note: Note, parent: QWidget | None = None) -> None:
        super().__init__(runner, "Mark a note as recorded in error", parent)
        self.vault = vault
        self.note = note
        self.in_error = QRadioButton(MARK_KINDS[MARK_IN_ERROR].replace("error", "&error"))
        self.wrong_case = QRadioButton(MARK_KINDS[MARK_WRONG_CASE].replace("wrong", "&wrong"))
        self.in_error.setChecked(True)
        kinds = QWidget()
        column = QVBoxLayout(kinds)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.in_error)
        column.addWidget(self.wrong_case)
        kinds.setAccessibleName("What was wrong")
        self.reason = QPlainTextEdit()
        self.reason.setTabChangesFocus(True)
        self.reason.setPlaceholderText("Say why, so that anyone reading the record later understands")
        self.add_field("kind", "What was wrong:", kinds)
        self.add_field("reason", "&Reason:", self.reason)
        self.mark_button = self.buttons.addButton("&Mark as recorded in error", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.mark_button.clicked.connect(self._mark)
        self.mark_button.setEnabled(False)
        self.reason.textChanged.connect(lambda: self.mark_button.setEnabled(bool(self.reason.toPlainText().strip())))
        self.finish_layout(
            f"The note of {presentation.local_time(note.occurred_at)} ({presentation.category(note.category)}) "
            "stays in the record, marked, with your reason. It cannot be amended afterwards; "
            "record a new note for what is right."
        )
        self.setMinimumWidth(560)
        self.reason.setFocus()

    def set_busy(self, busy: bool) -> None:
        super().set_busy(busy)
        if not busy and hasattr(self, "reason"):
            self.mark_button.setEnabled(bool(self.reason.toPlainText().strip()))

    def _mark(self) -> None:
        kind = MARK_WRONG_CASE if self.wrong_case.isChecked() else MARK_IN_ERROR
        vault, note_id, reason = self.vault, self.note.id, self.reason.toPlainText()
        self.submit(lambda: case_records.mark_note_in_error(vault, note_id, reason=reason, kind=kind))
