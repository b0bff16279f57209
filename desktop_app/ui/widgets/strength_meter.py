"""A passphrase strength meter: a bar, a word, and one line of plain advice."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QProgressBar, QVBoxLayout, QWidget

from desktop_app.domain.passphrase import Assessment, assess


class StrengthMeter(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bar = QProgressBar()
        self.bar.setRange(0, 4)
        self.bar.setTextVisible(False)
        self.bar.setMaximumHeight(8)
        self.bar.setAccessibleName("Passphrase strength")
        self.label = QLabel()
        self.label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.bar)
        layout.addWidget(self.label)
        self.assessment = assess("")
        self.update_for("")

    def update_for(self, passphrase: str) -> Assessment:
        self.assessment = assess(passphrase)
        self.bar.setValue(self.assessment.score)
        # The word carries the meaning; colour only repeats it.
        colour = ["#b00020", "#b00020", "#8a6d00", "#1b5e20", "#1b5e20"][self.assessment.score]
        self.bar.setStyleSheet(f"QProgressBar::chunk {{ background: {colour}; }}")
        self.label.setText(
            f"<b>Strength: {self.assessment.label}.</b> {self.assessment.advice}"
            if passphrase
            else self.assessment.advice
        )
        return self.assessment
