"""An inline message box for errors, warnings and notices: text first, with an icon and
a heading word, so meaning never depends on colour alone."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QStyle, QWidget

from desktop_app.errors import CaseNotesError

_STYLES = {
    "error": ("Problem", QStyle.StandardPixmap.SP_MessageBoxCritical, "#fdecea", "#8c1d18"),
    "warning": ("Please note", QStyle.StandardPixmap.SP_MessageBoxWarning, "#fff4e5", "#663c00"),
    "info": ("", QStyle.StandardPixmap.SP_MessageBoxInformation, "#e8f1fb", "#0b3d6b"),
}


class MessageArea(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.icon = QLabel()
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QHBoxLayout(self)
        layout.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.text, 1)
        self.hide()

    def show_message(self, kind: str, message: str, advice: str = "") -> None:
        heading, pixmap, background, foreground = _STYLES[kind]
        self.icon.setPixmap(self.style().standardIcon(pixmap).pixmap(24, 24))
        # Messages and advice are plain text (they may quote a file name or a reference a
        # person typed): escape them here, once, so no caller has to remember.
        text, hint = html.escape(message, quote=False), html.escape(advice, quote=False)
        body = f"<b>{heading}:</b> {text}" if heading else text
        if hint:
            body += f"<br>{hint}"
        self.text.setText(body)
        self.setAccessibleName(f"{heading or 'Notice'}: {message} {advice}".strip())
        self.setStyleSheet(
            f"MessageArea {{ background: {background}; border: 1px solid {foreground}; border-radius: 4px; }} QLabel {{ color: {foreground}; }}"
        )
        self.show()

    def show_error(self, exc: BaseException) -> None:
        if isinstance(exc, CaseNotesError):
            self.show_message("error", exc.message, exc.advice)
        else:
            self.show_message(
                "error",
                "Something went wrong that the program did not expect.",
                "Nothing already saved has been lost. Please try again; if it happens again, tell your IT support.",
            )

    def clear(self) -> None:
        self.text.clear()
        self.hide()
