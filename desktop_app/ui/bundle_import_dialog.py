"""Import a bundle someone sent: verify it, look at it, then keep it on this case as
information received, linked to a request (``services.bundle_import``).

Verification comes first and is complete (encryption, signature, every file, the packet
against its manifest; ``export/verify.py``). A bundle that fails any check is refused
with the reason and nothing is kept. A verified one shows who signed it: compare the
fingerprint with the one the sender reads to you before relying on it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.domain.decision_record import InformationRequest
from desktop_app.domain.export_record import ReceivedBundle
from desktop_app.errors import CaseNotesError
from desktop_app.export.verify import VerifiedBundle
from desktop_app.services import bundle_import
from desktop_app.services import decisions as decision_service
from desktop_app.store.vault import OpenVault
from desktop_app.ui import presentation
from desktop_app.ui.background import BackgroundRunner
from desktop_app.ui.export_widgets import PreviewPane, plain_label
from desktop_app.ui.widgets.guard import alive
from desktop_app.ui.widgets.message_area import MessageArea

INTRO = (
    "Open a bundle (.age) another practitioner sent you. It is decrypted and checked in memory: nothing is "
    "extracted to disk. If it is genuine and complete, keep it on this case as information received."
)


class BundleImportDialog(QDialog):
    """Emits ``imported(ReceivedBundle)``."""

    imported = Signal(object)

    def __init__(
        self, runner: BackgroundRunner, vault: OpenVault, case_id: int, *, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        self.vault = vault
        self.case_id = case_id
        self.verified: VerifiedBundle | None = None
        self.bundle_sha256 = ""
        self.bundle_path: Path | None = None
        self.identity_path: Path | None = None
        self.received: ReceivedBundle | None = None
        self.busy = False
        self.setWindowTitle("Import a received bundle")
        self.message = MessageArea()

        self.file_label = plain_label("No bundle chosen.")
        self.choose_file = QPushButton("Choose the &bundle…")
        self.choose_file.clicked.connect(self._choose_bundle)
        self.by_key = QRadioButton("With my age &key file")
        self.by_passphrase = QRadioButton("With the bundle's pass&phrase")
        group = QButtonGroup(self)
        group.addButton(self.by_key)
        group.addButton(self.by_passphrase)
        self.by_key.setChecked(True)
        self.key_label = plain_label("No key file chosen.")
        self.choose_key = QPushButton("Choose my key &file…")
        self.choose_key.clicked.connect(self._choose_key)
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName("The bundle's passphrase")
        self.expected = QLineEdit()
        self.expected.setPlaceholderText("ABCD EFGH … (optional: as the sender read it to you)")
        self.expected.setAccessibleName("The sender's fingerprint, if they gave it to you")
        self.verify_button = QPushButton("&Verify")
        self.verify_button.clicked.connect(self.verify)
        for widget in (self.by_key, self.by_passphrase):
            widget.toggled.connect(lambda _on: self._secret_changed())

        form = QFormLayout()
        file_row = QHBoxLayout()
        file_row.addWidget(self.file_label, 1)
        file_row.addWidget(self.choose_file)
        form.addRow("Bundle:", file_row)
        form.addRow("Open it:", self.by_key)
        key_row = QHBoxLayout()
        key_row.addWidget(self.key_label, 1)
        key_row.addWidget(self.choose_key)
        form.addRow("", key_row)
        form.addRow("", self.by_passphrase)
        form.addRow("Passphrase:", self.passphrase)
        form.addRow("Sender's &fingerprint:", self.expected)

        self.verdict = plain_label()
        self.fingerprint = QLabel()
        self.fingerprint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.fingerprint.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        font.setFamilies(["DejaVu Sans Mono", "Consolas", "Menlo", "monospace"])
        self.fingerprint.setFont(font)
        self.fingerprint.hide()
        self.request = QComboBox()
        self.request.setAccessibleName("The request it answers")
        self.keep_button = QPushButton("&Keep on this case")
        self.keep_button.clicked.connect(self.keep)
        self.keep_button.setEnabled(False)
        keep_form = QFormLayout()
        keep_form.addRow("Answers &request:", self.request)

        side = QVBoxLayout()
        side.addWidget(plain_label(INTRO))
        side.addLayout(form)
        side.addWidget(self.verify_button, 0, Qt.AlignmentFlag.AlignLeft)
        side.addSpacing(8)
        side.addWidget(self.verdict)
        side.addWidget(self.fingerprint)
        side.addLayout(keep_form)
        side.addStretch(1)
        side_widget = QWidget()
        side_widget.setLayout(side)
        side_widget.setMaximumWidth(540)
        self.preview = PreviewPane()
        row = QHBoxLayout()
        row.addWidget(side_widget)
        row.addWidget(self.preview, 1)
        self.close_button = QPushButton("&Close")
        self.close_button.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.keep_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addLayout(row, 1)
        layout.addLayout(buttons)
        self.resize(1240, 700)
        self._secret_changed()
        vault_, case_id_ = vault, case_id
        self.runner.submit(
            lambda: decision_service.list_requests(vault_, case_id_),
            alive(self, self._requests_loaded),
            alive(self, self.message.show_error),
        )

    # -- choosing ----------------------------------------------------------------------------
    def _requests_loaded(self, requests: list[InformationRequest]) -> None:
        self.request.clear()
        for request in requests:
            self.request.addItem(
                f"Request {request.id} · {presentation.local_date(request.received_at)} · {request.requester}: "
                f"{request.what_requested[:60]}",
                request.id,
            )
        self.request.addItem("Not linked to a request", None)
        self.request.setCurrentIndex(0)

    def _secret_changed(self) -> None:
        by_key = self.by_key.isChecked()
        self.choose_key.setEnabled(by_key)
        self.passphrase.setEnabled(not by_key)

    def ask_open_path(self, title: str, pattern: str) -> str:
        """A file to open ('' if cancelled). Tests replace this method."""
        chosen, _ = QFileDialog.getOpenFileName(self, title, str(Path.home()), pattern)
        return chosen

    def _choose_bundle(self) -> None:
        chosen = self.ask_open_path("Choose the bundle", "age bundle (*.age);;All files (*)")
        if chosen:
            self.bundle_path = Path(chosen)
            self.file_label.setText(self.bundle_path.name)
            self._forget_result()

    def _choose_key(self) -> None:
        chosen = self.ask_open_path("Choose your age key file", "All files (*)")
        if chosen:
            self.identity_path = Path(chosen)
            self.key_label.setText(self.identity_path.name)

    def _forget_result(self) -> None:
        self.verified = None
        self.preview.clear()
        self.verdict.clear()
        self.fingerprint.hide()
        self.keep_button.setEnabled(False)

    # -- verifying ---------------------------------------------------------------------------
    def verify(self) -> None:
        if self.busy:
            return
        if self.bundle_path is None:
            self.message.show_message("info", "Choose the bundle first.")
            return
        bundle_path, identity_path = self.bundle_path, self.identity_path
        by_key = self.by_key.isChecked()
        passphrase = self.passphrase.text()
        expected = self.expected.text().strip() or None
        if by_key and identity_path is None:
            self.message.show_message("info", "Choose your age key file (from age-keygen) first.")
            return
        if not by_key and not passphrase:
            self.message.show_message("info", "Type the bundle's passphrase first.")
            return

        def work() -> tuple[VerifiedBundle, str]:
            return bundle_import.verify_file(
                bundle_path,
                identity_path=identity_path if by_key else None,
                passphrase=None if by_key else passphrase,
                expected_signer=expected,
            )

        self._forget_result()
        self.message.show_message("info", "Decrypting and checking the bundle…")
        self.busy = True
        self.verify_button.setEnabled(False)
        self.runner.submit(work, alive(self, lambda result: self._verified(*result)), alive(self, self._failed))

    def _failed(self, exc: BaseException) -> None:
        self.busy = False
        self.verify_button.setEnabled(True)
        self.keep_button.setEnabled(self.verified is not None)
        self.message.show_error(exc)

    def _verified(self, verified: VerifiedBundle, digest: str) -> None:
        self.busy = False
        self.verify_button.setEnabled(True)
        self.passphrase.clear()
        self.verified, self.bundle_sha256 = verified, digest
        packet = verified.packet
        self.message.show_message(
            "info", "Verified: the encryption, the signature and every file check out. Nothing was extracted."
        )
        self.verdict.setText(
            f"From: {verified.sender}\nCase reference (theirs): {packet.case.reference}\n"
            f"Shared under: {verified.decision_id or 'no recorded decision'}\n"
            f"Notes: {len(packet.notes)} · Marking: {packet.protective_marking}\n\n"
            + (
                "The signer is the one you expected."
                if self.expected.text().strip()
                else "Signed by the key below. Compare it with the fingerprint the sender reads to you before "
                "relying on it:"
            )
        )
        self.fingerprint.setText(verified.signer_fingerprint)
        self.fingerprint.show()
        try:
            self.preview.show_packet(packet)
        except CaseNotesError as exc:
            self.message.show_error(exc)
        self.keep_button.setEnabled(True)
        self.keep_button.setFocus()

    # -- keeping -----------------------------------------------------------------------------
    def keep(self) -> None:
        verified = self.verified
        if self.busy or verified is None:
            return
        vault, case_id, digest = self.vault, self.case_id, self.bundle_sha256
        request_id = self.request.currentData()
        self.busy = True
        self.keep_button.setEnabled(False)
        self.runner.submit(
            lambda: bundle_import.import_verified(
                vault, verified, bundle_sha256=digest, case_id=case_id, request_id=request_id
            ),
            alive(self, self._kept),
            alive(self, self._failed),
        )

    def _kept(self, received: ReceivedBundle) -> None:
        self.busy = False
        self.received = received
        self.message.show_message(
            "info",
            "Kept on this case as information received, encrypted in the vault. It is in the case's chronology.",
        )
        self.keep_button.setEnabled(False)
        self.close_button.setText("&Done")
        self.imported.emit(received)

    def done(self, result: int) -> None:
        self.verified = None
        self.passphrase.clear()
        self.preview.clear()
        super().done(result)
