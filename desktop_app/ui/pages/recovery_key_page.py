"""The recovery key, shown once. The person must confirm they have kept it before going on.

It is never copied to the clipboard (clipboard managers keep history) and never saved to
a file by the program; it can be printed, or written down. To confirm, they type the
last group of four characters from their copy.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontDatabase, QTextDocument
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.ui.widgets.layout import centre_column
from desktop_app.ui.widgets.message_area import MessageArea


class RecoveryKeyPage(QWidget):
    confirmed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._key = ""
        self.key_label = QLabel()
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSize(max(font.pointSize(), 10) + 4)
        font.setWeight(QFont.Weight.Bold)
        self.key_label.setFont(font)
        self.key_label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.key_label.setAccessibleName("Recovery key")
        self.key_label.setStyleSheet("QLabel { background: #f4f4f4; border: 1px solid #888; padding: 12px; }")
        explain = QLabel(
            "This recovery key opens your vault if you forget your passphrase. It is shown "
            "<b>only now</b>. Print it or write it down, and keep it somewhere locked and "
            "separate from this computer. Anyone with this key and your vault can read it."
        )
        explain.setWordWrap(True)
        self.print_button = QPushButton("&Print…")
        self.print_button.clicked.connect(self._print)
        self.kept = QCheckBox("&I have printed or written down the recovery key and will keep it safe")
        self.last_group = QLineEdit()
        self.last_group.setMaxLength(4)
        self.last_group.setAccessibleName("Last four characters of the recovery key")
        self.last_group.setPlaceholderText("e.g. AB12")
        self.message = MessageArea()
        self.continue_button = QPushButton("&Continue")
        self.continue_button.setDefault(True)
        self.continue_button.setEnabled(False)
        self.kept.toggled.connect(self._validate)
        self.last_group.textChanged.connect(self._validate)
        self.last_group.returnPressed.connect(self._continue)
        self.continue_button.clicked.connect(self._continue)

        confirm_row = QHBoxLayout()
        confirm_row.addWidget(QLabel("To check, type the &last four characters from your copy:"))
        confirm_row.itemAt(0).widget().setBuddy(self.last_group)  # type: ignore[union-attr]
        confirm_row.addWidget(self.last_group)
        confirm_row.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.print_button)
        buttons.addStretch(1)
        buttons.addWidget(self.continue_button)
        column = QVBoxLayout()
        column.addWidget(QLabel("<h2>Your recovery key</h2>"))
        column.addWidget(explain)
        column.addWidget(self.key_label)
        column.addWidget(self.kept)
        column.addLayout(confirm_row)
        column.addWidget(self.message)
        column.addLayout(buttons)
        column.addStretch(1)
        centre_column(self, column, 760)

    def show_key(self, key: str) -> None:
        self._key = key
        groups = key.split("-")
        half = (len(groups) + 1) // 2
        self.key_label.setText("  ".join(groups[:half]) + "\n" + "  ".join(groups[half:]))
        self.kept.setChecked(False)
        self.last_group.clear()
        self.message.clear()

    def clear(self) -> None:
        self._key = ""
        self.key_label.clear()
        self.last_group.clear()

    def _validate(self) -> None:
        self.continue_button.setEnabled(self.kept.isChecked() and len(self.last_group.text().strip()) == 4)

    def _continue(self) -> None:
        if not self.continue_button.isEnabled():
            return
        expected = self._key.split("-")[-1] if self._key else ""
        typed = self.last_group.text().strip().upper().replace("O", "0").replace("I", "1").replace("L", "1")
        if typed != expected:
            self.message.show_message(
                "error",
                "Those four characters do not match the end of the recovery key.",
                "Check your copy against the key above; it is the last group on the second line.",
            )
            return
        self.clear()
        self.confirmed.emit()

    def _print(self) -> None:
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self)
        dialog.setWindowTitle("Print the recovery key")
        if dialog.exec() != QPrintDialog.DialogCode.Accepted:
            return
        document = QTextDocument()
        groups = self._key.split("-")
        document.setHtml(
            "<h2>Safeguarding Case Notes: vault recovery key</h2>"
            f"<p style='font-family: monospace; font-size: 16pt'>{' '.join(groups[:7])}<br>{' '.join(groups[7:])}</p>"
            "<p>Keep this page locked away, separate from the computer. It opens the vault "
            "if the passphrase is forgotten.</p>"
        )
        document.print_(printer)
