"""Change the passphrase: only the data key is re-wrapped, so it is quick and the notes
are untouched. After a recovery-key unlock with no passphrase slot left, the current
passphrase is not asked for."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from desktop_app.ui.widgets.message_area import MessageArea
from desktop_app.ui.widgets.strength_meter import StrengthMeter


class ChangePassphraseDialog(QDialog):
    def __init__(
        self,
        submit: Callable[[str | None, str, Callable[[Any], None], Callable[[Any], None]], None],
        *,
        ask_current: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Change passphrase")
        self._submit_fn = submit
        self.current = QLineEdit()
        self.current.setEchoMode(QLineEdit.EchoMode.Password)
        self.current.setAccessibleName("Current passphrase")
        self.new = QLineEdit()
        self.new.setEchoMode(QLineEdit.EchoMode.Password)
        self.new.setAccessibleName("New passphrase")
        self.confirm = QLineEdit()
        self.confirm.setEchoMode(QLineEdit.EchoMode.Password)
        self.confirm.setAccessibleName("Type the new passphrase again")
        self.meter = StrengthMeter()
        self.match = QLabel()
        self.message = MessageArea()
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.hide()
        form = QFormLayout()
        if ask_current:
            form.addRow("&Current passphrase:", self.current)
        else:
            self.current.hide()
        form.addRow("&New passphrase:", self.new)
        form.addRow("", self.meter)
        form.addRow("Con&firm new passphrase:", self.confirm)
        form.addRow("", self.match)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("&Change passphrase")
        self.ok.setEnabled(False)
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        note = QLabel("Your recovery key stays the same.")
        layout.addWidget(note)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.progress)
        layout.addWidget(self.buttons)
        self._ask_current = ask_current
        for field in (self.current, self.new, self.confirm):
            field.textChanged.connect(self._validate)
        self.setMinimumWidth(520)

    def _validate(self) -> None:
        verdict = self.meter.update_for(self.new.text())
        same = self.new.text() == self.confirm.text()
        self.match.setText(
            ""
            if not self.confirm.text()
            else ("The passphrases match." if same else "The two new passphrases are not the same yet.")
        )
        ready = verdict.acceptable and same and (bool(self.current.text()) or not self._ask_current)
        self.ok.setEnabled(ready and not self.progress.isVisible())

    def _submit(self) -> None:
        if not self.ok.isEnabled():
            return
        self.message.clear()
        self.progress.show()
        self.ok.setEnabled(False)
        current = self.current.text() if self._ask_current else None
        self._submit_fn(current, self.new.text(), self._done, self._failed)

    def _done(self, _result: Any) -> None:
        self.progress.hide()
        for field in (self.current, self.new, self.confirm):
            field.clear()
        self.accept()

    def _failed(self, exc: Any) -> None:
        self.progress.hide()
        self.message.show_error(exc)
        self.current.clear()
        self.current.setFocus()
        self._validate()
