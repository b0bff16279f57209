"""Look at an attachment inside the application, without a plaintext copy on disk.

The bytes come from the vault (checked against their SHA-256 by the service) and stay
in memory: images are decoded with ``QPixmap.loadFromData``, text is shown as text.
Anything else cannot be shown here; "Save a copy…" writes it where the person chooses,
with a plain warning that the copy is not encrypted. No temporary file is ever written
and no other program is started.
"""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop_app.domain.records import Attachment
from desktop_app.errors import CaseNotesError
from desktop_app.ui import presentation
from desktop_app.ui.widgets.message_area import MessageArea

TEXT_TYPES = ("application/json", "application/xml", "application/csv", "application/x-yaml")
UNENCRYPTED_WARNING = (
    "A saved copy is not encrypted: anyone who can open that folder can read it. Save it only "
    "where your organisation allows, and delete it when you no longer need it."
)


def as_text(attachment: Attachment, data: bytes) -> str | None:
    """The contents as text, if it is a text file (UTF-8, or UTF-16 with a BOM)."""
    media = attachment.media_type.lower()
    if not (media.startswith("text/") or media in TEXT_TYPES):
        return None
    for encoding in ("utf-8-sig", "utf-16"):
        try:
            if encoding == "utf-16" and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
                continue
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", errors="replace")


class AttachmentViewer(QDialog):
    def __init__(self, attachment: Attachment, data: bytes, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.attachment = attachment
        self._data = data
        self.kind = "other"
        self.setWindowTitle(f"Attachment — {attachment.filename}")
        self.setModal(False)
        self.message = MessageArea()
        heading = QLabel()
        heading.setTextFormat(Qt.TextFormat.PlainText)
        heading.setText(
            f"{attachment.filename} · {attachment.media_type} · {presentation.size_text(attachment.size)} · "
            f"added {presentation.local_time(attachment.added_at)} by {attachment.added_by}"
        )
        heading.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        if attachment.description:
            about = QLabel(attachment.description)
            about.setTextFormat(Qt.TextFormat.PlainText)
            about.setWordWrap(True)
            layout.addWidget(about)
        if attachment.in_error:
            marked = MessageArea()
            marked.show_message("warning", "This attachment was marked as added in error.", attachment.marked_reason)
            layout.addWidget(marked)
        layout.addWidget(self.message)

        self.image: QLabel | None = None
        self.text: QPlainTextEdit | None = None
        self.fit: QCheckBox | None = None
        self._pixmap = QPixmap()
        text = as_text(attachment, data)
        if attachment.media_type.lower().startswith("image/") and self._pixmap.loadFromData(data):
            self.kind = "image"
            self.image = QLabel()
            self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self.image.setAccessibleName(f"Image: {attachment.filename}")
            self.scroll = QScrollArea()
            self.scroll.setWidget(self.image)
            self.scroll.setWidgetResizable(True)
            self.fit = QCheckBox("&Fit to window")
            self.fit.setChecked(True)
            self.fit.toggled.connect(self._show_image)
            layout.addWidget(self.scroll, 1)
            layout.addWidget(self.fit)
        elif text is not None:
            self.kind = "text"
            self.text = QPlainTextEdit()
            self.text.setReadOnly(True)
            self.text.setTabChangesFocus(True)
            self.text.setAccessibleName(f"Text of {attachment.filename}")
            self.text.setPlainText(text)
            layout.addWidget(self.text, 1)
        else:
            explain = QLabel(
                f"A file of this type ({attachment.media_type}) cannot be shown inside the application. "
                "To open it in another program, save a copy first."
            )
            explain.setWordWrap(True)
            layout.addWidget(explain)
            layout.addStretch(1)
        warning = QLabel(f"<b>Please note:</b> {UNENCRYPTED_WARNING}")
        warning.setWordWrap(True)
        self.save_button = QPushButton("&Save a copy…")
        self.save_button.setToolTip(UNENCRYPTED_WARNING)
        self.save_button.clicked.connect(self.save_copy)
        self.close_button = QPushButton("&Close")
        self.close_button.setDefault(True)
        self.close_button.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addWidget(warning, 1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.close_button)
        layout.addLayout(buttons)
        self.resize(860, 640)
        if self.kind == "image":
            self._show_image()

    # -- images ----------------------------------------------------------------------------
    def _show_image(self) -> None:
        if self.image is None:
            return
        if self.fit is not None and self.fit.isChecked():
            area = self.scroll.viewport().size()
            if self._pixmap.width() > area.width() or self._pixmap.height() > area.height():
                self.image.setPixmap(
                    self._pixmap.scaled(
                        area, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
                    )
                )
                return
        self.image.setPixmap(self._pixmap)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._show_image()

    # -- saving a copy ---------------------------------------------------------------------
    def ask_save_path(self) -> str:
        """Where to save the copy ('' if cancelled). Tests replace this method."""
        chosen, _ = QFileDialog.getSaveFileName(
            self, "Save an unencrypted copy", str(Path.home() / self.attachment.filename)
        )
        return chosen

    def save_copy(self) -> None:
        chosen = self.ask_save_path()
        if not chosen:
            return
        try:
            Path(chosen).write_bytes(self._data)
        except OSError as exc:
            self.message.show_error(
                CaseNotesError(
                    f"The copy could not be saved ({exc.strerror or exc}).",
                    "Choose another folder. Nothing in the vault has changed.",
                )
            )
            return
        self.message.show_message(
            "info", f"An unencrypted copy was saved to {html.escape(chosen)}. {UNENCRYPTED_WARNING}"
        )

    def done(self, result: int) -> None:
        self._data = b""
        self._pixmap = QPixmap()
        super().done(result)
