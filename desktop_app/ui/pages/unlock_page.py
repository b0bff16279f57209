"""The unlock screen: passphrase, or "Use recovery key" instead.

Each failure has its own message (wrong passphrase, mistyped recovery key, damaged
key-slot file, damaged database, vault in use) because each needs different action.
After several wrong passphrases the button waits out a short, growing delay; the owner
is never locked out for good.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.errors import UnlockThrottled
from desktop_app.ui.widgets.layout import centre_column
from desktop_app.ui.widgets.message_area import MessageArea


class UnlockPage(QWidget):
    unlock_requested = Signal(str, bool)  # secret, is_recovery_key
    open_other_requested = Signal()
    create_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._recovery_mode = False
        self._wait_left = 0
        self.title = QLabel("<h2>Unlock your vault</h2>")
        self.folder_label = QLabel()
        self.folder_label.setWordWrap(True)
        self.folder_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.prompt = QLabel("&Passphrase:")
        self.secret = QLineEdit()
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret.setAccessibleName("Passphrase")
        self.prompt.setBuddy(self.secret)
        self.unlock_button = QPushButton("&Unlock")
        self.unlock_button.setDefault(True)
        self.mode_button = QPushButton("Use &recovery key instead")
        self.mode_button.setFlat(True)
        self.other_button = QPushButton("Open a &different vault…")
        self.other_button.setFlat(True)
        self.create_button = QPushButton("Create a &new vault…")
        self.create_button.setFlat(True)
        self.create_button.hide()
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setFormat("Unlocking…")
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.message = MessageArea()
        self.warnings = MessageArea()
        self._countdown = QTimer(self)
        self._countdown.setInterval(1000)
        self._countdown.timeout.connect(self._tick)

        row = QHBoxLayout()
        row.addWidget(self.secret, 1)
        row.addWidget(self.unlock_button)
        links = QHBoxLayout()
        links.addWidget(self.mode_button)
        links.addWidget(self.other_button)
        links.addWidget(self.create_button)
        links.addStretch(1)
        column = QVBoxLayout()
        column.addWidget(self.title)
        column.addWidget(self.folder_label)
        column.addWidget(self.warnings)
        column.addWidget(self.prompt)
        column.addLayout(row)
        column.addWidget(self.progress)
        column.addWidget(self.message)
        column.addLayout(links)
        column.addStretch(1)
        centre_column(self, column, 640, top_margin=40)

        self.unlock_button.clicked.connect(self._submit)
        self.secret.returnPressed.connect(self._submit)
        self.mode_button.clicked.connect(lambda: self.set_recovery_mode(not self._recovery_mode))
        self.other_button.clicked.connect(self.open_other_requested)
        self.create_button.clicked.connect(self.create_requested)

    def set_folder(self, path: Path, warnings: list[str]) -> None:
        self.folder_label.setText(f"Vault folder: {path}")
        if warnings:
            self.warnings.show_message("warning", " ".join(warnings))
        else:
            self.warnings.clear()

    def set_unavailable(self, exc: BaseException, *, offer_create: bool) -> None:
        """The folder could not be claimed (in use, not a vault, damaged)."""
        self.message.show_error(exc)
        self.secret.setEnabled(False)
        self.unlock_button.setEnabled(False)
        self.mode_button.setEnabled(False)
        self.create_button.setVisible(offer_create)

    def reset(self) -> None:
        """Ready for a new attempt: empty field, passphrase mode, focus in the field."""
        self.secret.clear()
        self.secret.setEnabled(True)
        self.unlock_button.setEnabled(True)
        self.mode_button.setEnabled(True)
        self.create_button.hide()
        self.message.clear()
        self.set_recovery_mode(False)
        self.set_busy(False)

    def set_recovery_mode(self, on: bool) -> None:
        self._recovery_mode = on
        self.secret.clear()
        if on:
            self.prompt.setText("&Recovery key (14 groups of four; spaces and dashes do not matter):")
            self.secret.setEchoMode(QLineEdit.EchoMode.Normal)
            self.secret.setAccessibleName("Recovery key")
            self.mode_button.setText("Use &passphrase instead")
        else:
            self.prompt.setText("&Passphrase:")
            self.secret.setEchoMode(QLineEdit.EchoMode.Password)
            self.secret.setAccessibleName("Passphrase")
            self.mode_button.setText("Use &recovery key instead")
        self.secret.setFocus()

    def set_busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.secret.setReadOnly(busy)
        self.unlock_button.setEnabled(not busy and self._wait_left == 0)

    def show_error(self, exc: BaseException) -> None:
        self.set_busy(False)
        self.message.show_error(exc)
        self.secret.selectAll()
        self.secret.setFocus()
        if isinstance(exc, UnlockThrottled):
            self._wait_left = int(exc.seconds + 0.999)
            self.unlock_button.setEnabled(False)
            self._countdown.start()

    def _tick(self) -> None:
        self._wait_left -= 1
        if self._wait_left <= 0:
            self._wait_left = 0
            self._countdown.stop()
            self.unlock_button.setEnabled(True)
            self.message.show_message("info", "You can try again now.")
        else:
            self.unlock_button.setText(f"Wait {self._wait_left} s")
            return
        self.unlock_button.setText("&Unlock")

    def _submit(self) -> None:
        if not self.unlock_button.isEnabled() or not self.secret.text():
            return
        self.message.clear()
        self.set_busy(True)
        secret = self.secret.text()
        if not self._recovery_mode:
            self.secret.clear()  # a mistyped recovery key stays, to be corrected in place
        self.unlock_requested.emit(secret, self._recovery_mode)
