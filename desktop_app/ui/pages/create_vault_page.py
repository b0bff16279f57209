"""Create a vault: who you are, where the vault lives, and a passphrase.

The key derivation is calibrated and run on the store thread, with a busy indicator.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.domain.policy import Policy
from desktop_app.store.location import location_warnings
from desktop_app.ui.widgets.layout import centre_column
from desktop_app.ui.widgets.message_area import MessageArea
from desktop_app.ui.widgets.strength_meter import StrengthMeter

SECTOR_LABELS = (
    ("public", "Public body (school, local authority, NHS, police)"),
    ("voluntary", "Voluntary or community organisation, charity"),
    ("private", "Private organisation (independent school, nursery, provider)"),
)


class CreateVaultPage(QWidget):
    create_requested = Signal(dict)  # path, passphrase, owner_name, organisation_name, sector
    back_requested = Signal()

    def __init__(self, default_folder: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = QLineEdit()
        self.name.setAccessibleName("Your name")
        self.name.setPlaceholderText("As it should appear on your records")
        self.organisation = QLineEdit()
        self.organisation.setAccessibleName("Organisation name")
        self.sector = QComboBox()
        self.sector.setAccessibleName("Organisation sector")
        for value, label in SECTOR_LABELS:
            self.sector.addItem(label, value)
        self.folder = QLineEdit(str(default_folder))
        self.folder.setAccessibleName("Vault folder")
        choose = QPushButton("C&hoose…")
        choose.clicked.connect(self._choose_folder)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(choose)
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName("Passphrase")
        self.confirm = QLineEdit()
        self.confirm.setEchoMode(QLineEdit.EchoMode.Password)
        self.confirm.setAccessibleName("Type the passphrase again")
        self.meter = StrengthMeter()
        self.match_label = QLabel()
        self.location_message = MessageArea()
        self.escrow_note = QLabel()
        self.escrow_note.setWordWrap(True)
        self.escrow_note.setAccessibleName("Organisation recovery arrangement")
        self.escrow_note.hide()
        self.message = MessageArea()
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setFormat("Creating the vault…")
        self.progress.setTextVisible(True)
        self.progress.hide()

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.addRow("Your &name:", self.name)
        form.addRow("&Organisation:", self.organisation)
        form.addRow("&Sector:", self.sector)
        folder_label = QLabel("Vault &folder:")
        folder_label.setBuddy(self.folder)
        form.addRow(folder_label, folder_row)
        form.addRow("&Passphrase:", self.passphrase)
        form.addRow("", self.meter)
        form.addRow("&Confirm passphrase:", self.confirm)
        form.addRow("", self.match_label)

        advice = QLabel(
            "Choose a passphrase of four or five ordinary words that you will remember. "
            "It protects everything in the vault; nobody, including IT, can read your notes "
            "without it or the recovery key you will be shown next."
        )
        advice.setWordWrap(True)
        self.create_button = QPushButton("C&reate vault")
        self.create_button.setDefault(True)
        self.create_button.setEnabled(False)
        back = QPushButton("&Back")
        back.clicked.connect(self.back_requested)
        buttons = QHBoxLayout()
        buttons.addWidget(back)
        buttons.addStretch(1)
        buttons.addWidget(self.create_button)

        column = QVBoxLayout()
        column.addWidget(QLabel("<h2>Create a new vault</h2>"))
        column.addWidget(advice)
        column.addLayout(form)
        column.addWidget(self.escrow_note)
        column.addWidget(self.location_message)
        column.addWidget(self.message)
        column.addWidget(self.progress)
        column.addLayout(buttons)
        column.addStretch(1)
        centre_column(self, column, 720)

        for field in (self.name, self.passphrase, self.confirm, self.folder):
            field.textChanged.connect(self._validate)
        self.folder.textChanged.connect(self._check_location)
        self.create_button.clicked.connect(self._submit)
        self.passphrase.returnPressed.connect(self.confirm.setFocus)
        self.confirm.returnPressed.connect(self._submit)
        self._check_location()

    def apply_policy(self, policy: Policy) -> None:
        """Organisation name and sector set by IT are shown, read-only; escrow is explained."""
        if policy.organisation_name:
            self.organisation.setText(policy.organisation_name)
            self.organisation.setReadOnly("organisation_name" in policy.set_by_policy)
            self.organisation.setToolTip("Set by your organisation")
        if policy.organisation_sector:
            index = self.sector.findData(policy.organisation_sector)
            if index >= 0:
                self.sector.setCurrentIndex(index)
            locked = "organisation_sector" in policy.set_by_policy
            self.sector.setEnabled(not locked)
            self.sector.setToolTip("Set by your organisation" if locked else "")
        if policy.escrow_enabled:
            self.escrow_note.setText(
                "Your organisation has set up a recovery arrangement: a copy of this vault's key "
                "is locked with your organisation's escrow key (fingerprint "
                f"{policy.escrow_fingerprint}). If you leave, or lose both your passphrase and "
                "recovery key, your information governance lead can open the vault. Nobody else can."
            )
            self.escrow_note.show()

    def _choose_folder(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Choose an empty folder for the vault", self.folder.text())
        if chosen:
            self.folder.setText(chosen)

    def _check_location(self) -> None:
        text = self.folder.text().strip()
        warnings = location_warnings(Path(text)) if text else []
        if warnings:
            self.location_message.show_message("warning", " ".join(warnings))
        else:
            self.location_message.clear()

    def _validate(self) -> None:
        verdict = self.meter.update_for(self.passphrase.text())
        matches = self.passphrase.text() == self.confirm.text()
        if self.confirm.text() and not matches:
            self.match_label.setText("The two passphrases are not the same yet.")
        elif self.confirm.text():
            self.match_label.setText("The passphrases match.")
        else:
            self.match_label.setText("")
        ready = bool(self.name.text().strip() and self.folder.text().strip() and verdict.acceptable and matches)
        self.create_button.setEnabled(ready and not self.progress.isVisible())

    def _submit(self) -> None:
        if not self.create_button.isEnabled():
            return
        self.message.clear()
        self.set_busy(True)
        self.create_requested.emit(
            {
                "path": Path(self.folder.text().strip()).expanduser(),
                "passphrase": self.passphrase.text(),
                "owner_name": self.name.text().strip(),
                "organisation_name": self.organisation.text().strip(),
                "sector": self.sector.currentData(),
            }
        )

    def set_busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        for widget in (self.name, self.organisation, self.folder, self.passphrase, self.confirm):
            widget.setReadOnly(busy)
        self._validate()

    def show_error(self, exc: BaseException) -> None:
        self.set_busy(False)
        self.message.show_error(exc)

    def clear_secrets(self) -> None:
        self.passphrase.clear()
        self.confirm.clear()
