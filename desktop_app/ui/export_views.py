"""What the chronology opens for an export and for information received.

* ``ExportRecordView``: what left the vault, when, for whom, in what form, its SHA-256 and
  signer, which records went (by id), and whether the recipient's feedback is in; with
  "Record feedback…" (against the decision it was shared under) and "Open the decision".
* ``ReceivedView``: a verified bundle kept on the case: who sent it and signed it, the
  request it answers, and its pages (drawn from the packet, in memory); "Save the
  sender's PDF…" writes an unencrypted copy only where the practitioner chooses.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.domain.export_record import ExportEntry, ReceivedBundle
from desktop_app.domain.share_packet import SharePacket
from desktop_app.errors import CaseNotesError
from desktop_app.services import bundle_import, share_export
from desktop_app.store.vault import OpenVault
from desktop_app.ui import presentation
from desktop_app.ui.attachment_viewer import UNENCRYPTED_WARNING
from desktop_app.ui.background import BackgroundRunner
from desktop_app.ui.export_widgets import PreviewPane, plain_label
from desktop_app.ui.widgets.guard import alive
from desktop_app.ui.widgets.message_area import MessageArea


def _ids(prefix: str, ids: tuple[int, ...]) -> str:
    return ", ".join(f"{prefix}-{i}" for i in ids) or "none"


class ExportRecordView(QDialog):
    def __init__(
        self,
        runner: BackgroundRunner,
        vault: OpenVault,
        export_id: int,
        *,
        on_feedback: Callable[[int], object] | None = None,
        on_open_decision: Callable[[int], object] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        self.vault = vault
        self.export_id = export_id
        self.entry: ExportEntry | None = None
        self.on_feedback = on_feedback
        self.on_open_decision = on_open_decision
        self.setWindowTitle(f"Export {export_id}")
        self.message = MessageArea()
        self.heading = plain_label("Loading…")
        font = self.heading.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.heading.setFont(font)
        self.feedback_state = plain_label()
        self.form = QFormLayout()
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.feedback_button = QPushButton("Record &feedback…")
        self.feedback_button.setToolTip("What the recipient did with it, recorded against the decision")
        self.feedback_button.clicked.connect(self._feedback)
        self.decision_button = QPushButton("Open the &decision")
        self.decision_button.clicked.connect(self._open_decision)
        self.close_button = QPushButton("&Close")
        self.close_button.setDefault(True)
        self.close_button.clicked.connect(self.close)
        for button in (self.feedback_button, self.decision_button):
            button.setEnabled(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.feedback_button)
        buttons.addWidget(self.decision_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.message)
        layout.addWidget(self.feedback_state)
        layout.addLayout(self.form)
        layout.addStretch(1)
        layout.addLayout(buttons)
        self.resize(760, 560)
        self.reload()

    def reload(self) -> None:
        vault, export_id = self.vault, self.export_id
        self.runner.submit(
            lambda: share_export.get_export(vault, export_id),
            alive(self, self._show),
            alive(self, self.message.show_error),
        )

    def _row(self, label: str, value: str) -> None:
        text = plain_label(value)
        text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.form.addRow(label, text)

    def _show(self, entry: ExportEntry) -> None:
        self.entry = entry
        while self.form.rowCount():
            self.form.removeRow(0)
        self.heading.setText(f"{entry.title} — {presentation.local_time(entry.exported_at, weekday=True)}")
        if entry.decision_id is None:
            state = "Not made under a recorded decision, so there is no decision to record feedback against."
        elif entry.feedback_received:
            state = f"Feedback received from the recipient ({entry.feedback_count}). The loop is closed."
        else:
            state = "No feedback from the recipient yet. When they tell you what they did with it, record it here."
        self.feedback_state.setText(state)
        items = entry.items
        self._row("Shared under:", f"decision {entry.decision_id}" if entry.decision_id else "no recorded decision")
        self._row("For:", entry.recipient or "not recorded")
        if entry.recipient_secure_route:
            self._row("Secure route:", entry.recipient_secure_route)
        self._row("Notes:", _ids("N", items.note_ids))
        if items.person_ids:
            self._row("People listed:", f"{len(items.person_ids)}")
        if items.fields:
            self._row("Child's details:", f"{len(items.fields)}")
        redacted = [
            f"{items.protected_people} protected person(s) by label",
            f"{items.manual_redactions} passage(s) by hand",
            f"{items.redacted_phrases} wording(s) everywhere",
        ]
        if items.revealed_person_ids:
            redacted.append(f"{len(items.revealed_person_ids)} protected person(s) named on purpose")
        self._row("Redacted:", "; ".join(redacted))
        self._row("Saved as:", f"{entry.destination or 'not recorded'} ({presentation.size_text(entry.output_size)})")
        self._row("SHA-256:", entry.output_sha256)
        if entry.signer_fingerprint:
            self._row("Signed by:", entry.signer_fingerprint)
        self._row("Marking:", entry.protective_marking)
        self._row("Packet:", entry.packet_id)
        self._row("Exported by:", entry.exported_by)
        self.feedback_button.setEnabled(entry.decision_id is not None and self.on_feedback is not None)
        self.decision_button.setEnabled(entry.decision_id is not None and self.on_open_decision is not None)

    def _feedback(self) -> None:
        if self.entry is not None and self.entry.decision_id is not None and self.on_feedback is not None:
            self.on_feedback(self.entry.decision_id)

    def _open_decision(self) -> None:
        if self.entry is not None and self.entry.decision_id is not None and self.on_open_decision is not None:
            self.on_open_decision(self.entry.decision_id)


class ReceivedView(QDialog):
    def __init__(
        self, runner: BackgroundRunner, vault: OpenVault, received_id: int, *, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        self.vault = vault
        self.received_id = received_id
        self.received: ReceivedBundle | None = None
        self._pdf = b""
        self.setWindowTitle("Information received")
        self.message = MessageArea()
        self.about = plain_label("Loading…")
        self.about.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.about.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.about.setMaximumWidth(420)
        self.preview = PreviewPane()
        self.save_button = QPushButton("&Save the sender's PDF…")
        self.save_button.setToolTip(UNENCRYPTED_WARNING)
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self.save_pdf)
        self.close_button = QPushButton("&Close")
        self.close_button.clicked.connect(self.close)
        row = QHBoxLayout()
        row.addWidget(self.about)
        row.addWidget(self.preview, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(plain_label(f"Please note: {UNENCRYPTED_WARNING}"), 1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addLayout(row, 1)
        layout.addLayout(buttons)
        self.resize(1200, 700)
        vault_ = vault
        self.runner.submit(
            lambda: bundle_import.received_packet(vault_, received_id),
            alive(self, lambda result: self._show(*result)),
            alive(self, self.message.show_error),
        )

    def _show(self, received: ReceivedBundle, packet: SharePacket, pdf: bytes) -> None:
        self.received, self._pdf = received, pdf
        request = f"request {received.request_id}" if received.request_id is not None else "no request"
        self.about.setText(
            f"From: {received.sender or 'not stated'}\n"
            f"Signed by: {received.signer_fingerprint}\n"
            f"Sent: {presentation.local_time(received.sent_at)}\n"
            f"Imported: {presentation.local_time(received.imported_at)} by {received.imported_by}\n"
            f"Their case reference: {packet.case.reference}\n"
            f"Shared under their decision: {received.sender_decision_ref or 'none recorded'}\n"
            f"Answers: {request}\n"
            f"Notes: {received.note_count} · Marking: {packet.protective_marking}\n\n"
            "Verified when it was imported: the encryption, the signature and every file checked out. The "
            "pages on the right are drawn from the packet the sender signed."
        )
        try:
            self.preview.show_packet(packet)
        except CaseNotesError as exc:
            self.message.show_error(exc)
        self.save_button.setEnabled(True)

    def ask_save_path(self) -> str:
        """Where to save the copy ('' if cancelled). Tests replace this method."""
        chosen, _ = QFileDialog.getSaveFileName(
            self, "Save an unencrypted copy", str(Path.home() / "information-received.pdf"), "PDF (*.pdf)"
        )
        return chosen

    def save_pdf(self) -> None:
        chosen = self.ask_save_path()
        if not chosen or not self._pdf:
            return
        try:
            Path(chosen).write_bytes(self._pdf)
        except OSError as exc:
            self.message.show_error(
                CaseNotesError(f"The copy could not be saved ({exc.strerror or exc}).", "Choose another folder.")
            )
            return
        self.message.show_message("info", f"An unencrypted copy was saved as {Path(chosen).name}.", UNENCRYPTED_WARNING)

    def done(self, result: int) -> None:
        self._pdf = b""
        self.preview.clear()
        super().done(result)
