"""The banner that stays at the top of the window while an emergency follow-up is open.

It cannot be closed: it goes when the last open follow-up is written up or marked as
recorded in error (or when the vault locks). It names the most urgent one and escalates
in words and icon, never by colour alone: "Write-up needed" → "Write-up due soon" →
"Overdue" → "Long overdue".
"""

from __future__ import annotations

import html
from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QStyle, QWidget

from desktop_app.domain.emergency import URGENCY_HEADINGS, EmergencyShare, reminder_text
from desktop_app.domain.follow_up import Urgency

# (standard icon, background, border and text) per urgency; the words carry the meaning.
_LOOK: dict[Urgency, tuple[QStyle.StandardPixmap, str, str]] = {
    Urgency.NORMAL: (QStyle.StandardPixmap.SP_MessageBoxInformation, "#e8f1fb", "#0b3d6b"),
    Urgency.DUE_SOON: (QStyle.StandardPixmap.SP_MessageBoxWarning, "#fff4e5", "#663c00"),
    Urgency.OVERDUE: (QStyle.StandardPixmap.SP_MessageBoxCritical, "#fdecea", "#8c1d18"),
    Urgency.LONG_OVERDUE: (QStyle.StandardPixmap.SP_MessageBoxCritical, "#fdecea", "#8c1d18"),
}


class FollowUpBanner(QFrame):
    """Emits ``document_requested(share_id)`` for the most urgent follow-up, and
    ``show_all_requested()`` for the list of them all."""

    document_requested = Signal(int)
    show_all_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("follow-up-banner")
        self.icon = QLabel()
        self.icon.setFixedSize(32, 32)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.document_button = QPushButton("&Document now")
        self.document_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_FileDialogDetailedView))
        self.all_button = QPushButton("Show all")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.document_button, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self.all_button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.document_button.clicked.connect(self._document)
        self.all_button.clicked.connect(self.show_all_requested)
        self.shares: list[EmergencyShare] = []
        self.urgency = Urgency.NORMAL
        self.hide()

    def set_follow_ups(self, shares: list[EmergencyShare], now: datetime) -> None:
        """Show the open follow-ups (already ordered overdue first); hide when none."""
        self.shares = list(shares)
        if not self.shares:
            self.text.clear()
            self.setAccessibleName("")
            self.hide()
            return
        first = self.shares[0]
        self.urgency = first.urgency(now)
        overdue = sum(1 for s in self.shares if s.urgency(now) in (Urgency.OVERDUE, Urgency.LONG_OVERDUE))
        count = len(self.shares)
        heading = URGENCY_HEADINGS[self.urgency]
        if count == 1:
            summary = "1 emergency share needs writing up."
        else:
            summary = f"{count} emergency shares need writing up" + (f", {overdue} overdue." if overdue else ".")
        detail = reminder_text(first, now, heading=False)
        if count > 1:
            detail = "Most urgent: " + detail[:1].lower() + detail[1:]
        self.text.setText(f"<b>{html.escape(heading)}.</b> {html.escape(summary)}<br>{html.escape(detail)}")
        pixmap, background, foreground = _LOOK[self.urgency]
        self.icon.setPixmap(self.style().standardIcon(pixmap).pixmap(32, 32))
        self.all_button.setText(f"Show &all ({count})")
        self.all_button.setVisible(count > 1)
        self.setAccessibleName(f"{heading}. {summary} {detail}")
        weight = "3px" if self.urgency is Urgency.LONG_OVERDUE else "2px"
        self.setStyleSheet(
            f"QFrame#follow-up-banner {{ background: {background}; border: {weight} solid {foreground}; "
            f"border-radius: 4px; }} QFrame#follow-up-banner QLabel {{ color: {foreground}; }}"
        )
        self.show()

    def _document(self) -> None:
        if self.shares:
            self.document_requested.emit(self.shares[0].id)
