"""Before opening the demo vault: what it is, where it is, and its passphrase.

The passphrase is shown on screen, deliberately: the demo vault holds only invented
records, so there is nothing to protect, and anyone trying the application (or a
trainer with a room of people) must be able to open it again.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from desktop_app.ui.background import BackgroundRunner
from desktop_app.ui.widgets import icons
from desktop_app.ui.widgets.guard import alive
from desktop_app.ui.widgets.message_area import MessageArea


class DemoVaultDialog(QDialog):
    def __init__(
        self,
        runner: BackgroundRunner,
        folder: Path,
        passphrase: str,
        prepare: Callable[[], Any],
        *,
        exists: bool,
        leaving_vault: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        self._prepare = prepare
        self.setWindowTitle("Explore with demo data")
        self.setModal(True)
        icon = QLabel()
        icon.setPixmap(icons.demo().pixmap(40, 40))
        title = QLabel("<h2>The demo vault — fictional data only</h2>")
        self.body = body = QLabel(
            "<p>The demo vault is a <b>separate</b> vault, filled with invented cases, people and notes "
            "so that you can try everything safely. Every name in it ends “(fictional)” and every "
            "reference starts “DEMO-”. Never record a real child in it.</p>"
            f"<p>Folder: {html.escape(str(folder))}</p>"
            "<p>Its passphrase is shown here because it protects nothing real:</p>"
        )
        body.setWordWrap(True)
        self.passphrase = QLabel(passphrase)
        self.passphrase.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.passphrase.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.passphrase.setFont(font)
        self.passphrase.setAccessibleName(f"Demo passphrase: {passphrase}")
        after = QLabel(
            ("Your own vault will be locked first. " if leaving_vault else "")
            + "When you lock the demo vault you come back here, to your own vault or to the start."
        )
        after.setWordWrap(True)
        self.message = MessageArea()
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setTextVisible(True)
        self.progress.setFormat("Creating the demo vault (a few seconds)…")
        self.progress.hide()
        self.open_button = QPushButton("&Open the demo vault" if exists else "&Create and open the demo vault")
        self.open_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel")
        self.open_button.clicked.connect(self._open)
        self.cancel_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.open_button)
        top = QHBoxLayout()
        top.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(title, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(body)
        layout.addWidget(self.passphrase)
        layout.addWidget(after)
        layout.addWidget(self.progress)
        layout.addWidget(self.message)
        layout.addStretch(1)
        layout.addLayout(buttons)
        self.setMinimumWidth(600)
        self.open_button.setFocus()

    def _open(self) -> None:
        self.open_button.setEnabled(False)
        self.cancel_button.setEnabled(False)
        self.message.clear()
        self.progress.show()
        self.runner.submit(self._prepare, alive(self, lambda _result: self.accept()), alive(self, self._failed))

    def _failed(self, exc: BaseException) -> None:
        self.progress.hide()
        self.open_button.setEnabled(True)
        self.cancel_button.setEnabled(True)
        self.message.show_error(exc)
