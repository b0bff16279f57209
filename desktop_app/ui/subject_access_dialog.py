"""Subject access export: everything held about one person, other people redacted, as a
password-protected PDF (``services.subject_access``).

Choose the person (the child, or someone on the case), optionally who asked on their
behalf, look at every page, then save it with a generated password shown in large groups
to read out. Saving records it in the audit trail and the case's chronology.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.domain.policy import Policy
from desktop_app.domain.records import Case, Person
from desktop_app.domain.share_password import generate_password
from desktop_app.errors import CaseNotesError
from desktop_app.export.pdf import write_encrypted_pdf
from desktop_app.services import case_records, subject_access
from desktop_app.services.subject_access import SubjectAccessExport
from desktop_app.store.vault import OpenVault
from desktop_app.ui import presentation
from desktop_app.ui.background import BackgroundRunner
from desktop_app.ui.export_widgets import PasswordDisplay, PreviewPane, plain_label
from desktop_app.ui.widgets.guard import alive
from desktop_app.ui.widgets.message_area import MessageArea

INTRO = (
    "A subject access export holds everything this vault keeps about one person: for the child, the case "
    "details, every note with its earlier versions, decisions, requests, consent and what was shared; for "
    "someone else on the case, their details and every note that names them. Everyone else is a third party "
    "and is shown only by their role (“Father A”). Check every page before you save it."
)
PDF_OFF = (
    "Your organisation's policy does not allow PDF exports, so a subject access export cannot be made here. "
    "Ask your information governance lead how to answer the request."
)


class SubjectAccessDialog(QDialog):
    """Emits ``exported(ExportRecord)`` once saved and recorded."""

    exported = Signal(object)

    def __init__(
        self,
        runner: BackgroundRunner,
        vault: OpenVault,
        case_id: int,
        *,
        policy: Policy,
        copy_text: Callable[[str], bool] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        self.vault = vault
        self.case_id = case_id
        self.policy = policy
        self.copy_text = copy_text
        self.built: SubjectAccessExport | None = None
        self.record: object = None
        self.busy = False
        self.setWindowTitle("Subject access export")
        self.message = MessageArea()
        intro = plain_label(INTRO)
        self.person = QComboBox()
        self.person.setAccessibleName("Whose information")
        self.person.currentIndexChanged.connect(lambda _i: self._changed())
        self.requested_by = QLineEdit()
        self.requested_by.setAccessibleName("Requested on their behalf by")
        self.requested_by.setPlaceholderText("Leave empty if the person asked themselves")
        self.requested_by.textChanged.connect(lambda _t: self._changed())
        self.preview_button = QPushButton("&Preview")
        self.preview_button.clicked.connect(self.make_preview)
        form = QFormLayout()
        form.addRow("&Whose information:", self.person)
        form.addRow("Requested &on their behalf by:", self.requested_by)
        self.preview = PreviewPane()
        self.password_box = PasswordDisplay(
            "The password. Give it to the person by a different route from the file (in person or by phone)."
        )
        self.password_box.set_password(generate_password())
        self.password_box.new_requested.connect(lambda: self.password_box.set_password(generate_password()))
        self.password_box.copy_requested.connect(self._copy)
        self.save_button = QPushButton("&Save as…")
        self.save_button.clicked.connect(self.save_as)
        self.close_button = QPushButton("&Close")
        self.close_button.clicked.connect(self.close)
        side = QVBoxLayout()
        side.addWidget(intro)
        side.addLayout(form)
        side.addWidget(self.preview_button, 0, Qt.AlignmentFlag.AlignLeft)
        side.addSpacing(12)
        side.addWidget(self.password_box)
        side.addStretch(1)
        self.verdict = plain_label()
        side.addWidget(self.verdict)
        row = QHBoxLayout()
        side_widget = QWidget()
        side_widget.setLayout(side)
        side_widget.setMaximumWidth(520)
        row.addWidget(side_widget)
        row.addWidget(self.preview, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addLayout(row, 1)
        layout.addLayout(buttons)
        self.resize(1240, 700)
        self._set_busy(True)
        if not policy.allows_export("pdf"):
            self.message.show_message("warning", PDF_OFF)
            for widget in (self.person, self.requested_by, self.preview_button, self.password_box):
                widget.setEnabled(False)
            self.busy = True
            return
        vault_, case_id_ = vault, case_id
        self.runner.submit(
            lambda: (case_records.get_case(vault_, case_id_), case_records.list_people(vault_, case_id_)),
            alive(self, lambda result: self._loaded(*result)),
            alive(self, self._failed),
        )

    def _loaded(self, case: Case, people: list[Person]) -> None:
        self._set_busy(False)
        self.setWindowTitle(f"Subject access export — case {case.reference}")
        self.person.blockSignals(True)
        self.person.addItem(f"{case.subject_name} (the child)", None)
        for person in people:
            protected = f" · {presentation.PROTECTED_IDENTITY.lower()}" if person.protect_identity else ""
            self.person.addItem(f"{person.name} — {person.relationship}{protected}", person.id)
        self.person.blockSignals(False)
        self.save_button.setEnabled(False)
        self.preview_button.setFocus()

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.preview_button.setEnabled(not busy)
        self.save_button.setEnabled(not busy and self.built is not None)

    def _failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        self.message.show_error(exc)

    def _changed(self) -> None:
        self.built = None
        self.preview.clear()
        self.save_button.setEnabled(False)

    def make_preview(self) -> None:
        if self.busy:
            return
        person_id = self.person.currentData()
        requested_by = self.requested_by.text().strip()
        vault, case_id, marking = self.vault, self.case_id, self.policy.protective_marking
        self.message.clear()
        self._set_busy(True)
        self.runner.submit(
            lambda: subject_access.build_subject_access(
                vault, case_id, person_id, requested_by=requested_by, protective_marking=marking
            ),
            alive(self, self._built),
            alive(self, self._failed),
        )

    def _built(self, built: SubjectAccessExport) -> None:
        self.built = built
        self._set_busy(False)
        try:
            self.preview.show_packet(built.packet)
        except CaseNotesError as exc:
            self.message.show_error(exc)
            return
        self.save_button.setEnabled(True)
        self.verdict.setText(
            f"About {built.subject_name}: {len(built.items.note_ids)} note(s) and {built.items.entries} other "
            f"entr{'y' if built.items.entries == 1 else 'ies'}; {built.items.protected_people} other people shown by "
            "their role."
        )

    def _copy(self, text: str) -> None:
        if self.copy_text is None or not self.copy_text(text):
            self.message.show_message("warning", "Copying is turned off by your organisation. Read it out instead.")
        else:
            self.message.show_message("info", "Copied. The clipboard is cleared again shortly.")

    def ask_save_path(self, suggested: str) -> str:
        """Where to save ('' if cancelled). Tests replace this method."""
        chosen, _ = QFileDialog.getSaveFileName(
            self, "Save the subject access export", str(Path.home() / suggested), "PDF (*.pdf)"
        )
        return chosen

    def save_as(self) -> None:
        built = self.built
        if self.busy or built is None:
            return
        chosen = self.ask_save_path(f"subject-access-{date.today().isoformat()}.pdf")
        if not chosen:
            return
        path, password = Path(chosen), self.password_box.password
        try:
            data = write_encrypted_pdf(built.packet, password)
        except CaseNotesError as exc:
            self.message.show_error(exc)
            return
        vault = self.vault
        self._set_busy(True)
        self.runner.submit(
            lambda: subject_access.save_subject_access(vault, built, data, path, overwrite=True),
            alive(self, lambda record: self._saved(path, record)),
            alive(self, self._failed),
        )

    def _saved(self, path: Path, record: object) -> None:
        self._set_busy(False)
        self.record = record
        self.save_button.setEnabled(False)
        self.message.show_message(
            "info",
            f"Saved {path.name} in {path.parent}, encrypted with the password shown. It is recorded in the case's "
            "chronology and the audit trail.",
            "Give the person the password by a different route from the file.",
        )
        self.close_button.setText("&Done")
        self.exported.emit(record)

    def done(self, result: int) -> None:
        self.password_box.forget()
        self.preview.clear()
        self.built = None
        super().done(result)
