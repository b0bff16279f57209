"""The base of every form dialog that saves through the store thread.

It never blocks: ``submit`` runs the work on the ``BackgroundRunner``, disables the
buttons meanwhile, and either emits ``saved(result)`` and closes, or shows the error in
the dialog and moves the focus to the field the error names (``ValidationError.field``).
Dialogs are opened with ``open()`` and parented to the workspace, so a lock destroys
them with everything else that shows a record.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QVBoxLayout, QWidget

from desktop_app.errors import ValidationError
from desktop_app.ui.background import BackgroundRunner
from desktop_app.ui.widgets.guard import alive
from desktop_app.ui.widgets.message_area import MessageArea

_INVALID = "border: 2px solid #8c1d18;"


class FormDialog(QDialog):
    saved = Signal(object)

    def __init__(self, runner: BackgroundRunner, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.setWindowTitle(title)
        self.setModal(True)
        self.message = MessageArea()
        self.form = QFormLayout()
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.buttons = QDialogButtonBox()
        self.buttons.rejected.connect(self.reject)
        self.fields: dict[str, QWidget] = {}
        self.busy = False
        self.layout_ = QVBoxLayout(self)
        self.layout_.addWidget(self.message)

    def finish_layout(self, intro: str = "") -> None:
        if intro:
            label = QLabel(intro)
            label.setWordWrap(True)
            self.layout_.insertWidget(0, label)
        self.layout_.addLayout(self.form)
        self.layout_.addStretch(1)
        self.layout_.addWidget(self.buttons)

    def add_field(self, name: str, label: str, widget: QWidget) -> QWidget:
        """A labelled field; ``name`` is the ``ValidationError.field`` it answers to."""
        self.form.addRow(label, widget)
        if not widget.accessibleName():
            widget.setAccessibleName(label.replace("&", "").rstrip(":"))
        self.fields[name] = widget
        return widget

    def submit(self, work: Callable[[], Any]) -> None:
        if self.busy:
            return
        self.set_busy(True)
        self.clear_errors()
        self.runner.submit(work, alive(self, self._done), alive(self, self.show_error))

    def _done(self, result: Any) -> None:
        self.set_busy(False)
        self.saved.emit(result)
        self.accept()

    def set_busy(self, busy: bool) -> None:
        self.busy = busy
        for button in self.buttons.buttons():
            button.setEnabled(not busy)

    def clear_errors(self) -> None:
        self.message.clear()
        for widget in self.fields.values():
            if widget.styleSheet() == _INVALID:
                widget.setStyleSheet("")

    def show_error(self, exc: BaseException) -> None:
        self.set_busy(False)
        self.message.show_error(exc)
        if isinstance(exc, ValidationError) and exc.field:
            widget = self.fields.get(exc.field) or self.fields.get(exc.field.split(".")[0])
            if widget is not None:
                widget.setStyleSheet(_INVALID)
                widget.setFocus()
