"""First run: create a vault, open an existing vault folder, or explore with demo data."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from desktop_app import APP_NAME
from desktop_app.ui.widgets.layout import centre_column


class WelcomePage(QWidget):
    create_requested = Signal()
    open_requested = Signal()
    demo_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title = QLabel(f"<h1>{APP_NAME}</h1>")
        intro = QLabel(
            "Keep case notes and information-sharing decisions about the children you work "
            "with, encrypted on this computer. Nothing is sent anywhere; it works with no "
            "network at all."
        )
        intro.setWordWrap(True)
        self.create_button = QPushButton("&Create a new vault")
        self.create_button.setDefault(True)
        self.open_button = QPushButton("&Open an existing vault folder…")
        self.demo_button = QPushButton("&Explore with demo data")
        self.demo_button.setToolTip("Opens a separate practice vault filled with clearly fictional cases.")
        self.create_button.clicked.connect(self.create_requested)
        self.open_button.clicked.connect(self.open_requested)
        self.demo_button.clicked.connect(self.demo_requested)
        column = QVBoxLayout()
        column.addWidget(title)
        column.addWidget(intro)
        column.addSpacing(16)
        for button in (self.create_button, self.open_button, self.demo_button):
            button.setMinimumHeight(36)
            column.addWidget(button)
        column.addStretch(1)
        centre_column(self, column, 560, top_margin=40)
