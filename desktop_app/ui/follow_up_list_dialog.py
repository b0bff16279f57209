"""The open emergency follow-ups, overdue first: shown at every unlock before anything
else, and from the banner's "Show all".

There is no "dismiss": each follow-up can be written up ("Document now"), or marked as
recorded in error with a reason. "Later" closes the list; the banner stays until the
last one is done. Also here: the dialog that asks for the in-error reason, and the
details of one emergency share (opened from the chronology and the oversight view).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QIcon, QKeySequence, QPainter, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QStyle,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.domain.emergency import (
    CITATIONS,
    URGENCY_HEADINGS,
    EmergencyShare,
    local_text,
    status_text,
)
from desktop_app.domain.follow_up import FollowUpStatus, Urgency
from desktop_app.services import emergency as emergency_service
from desktop_app.ui.background import BackgroundRunner
from desktop_app.ui.widgets import icons
from desktop_app.ui.widgets.form_dialog import FormDialog

SHARE_NOW_KEYS = "Ctrl+Shift+E"


def status_icon(widget: QWidget, share: EmergencyShare, now: datetime) -> QIcon:
    """An icon for a share's status, always shown beside its words."""
    state = share.status(now)
    style = widget.style()
    if state is FollowUpStatus.RECORDED_IN_ERROR:
        return icons.in_error()
    if state is FollowUpStatus.COMPLETED_ON_TIME:
        return style.standardIcon(QStyle.StandardPixmap.SP_DialogApplyButton)
    if state is FollowUpStatus.COMPLETED_LATE:
        return _with_badge(
            style.standardIcon(QStyle.StandardPixmap.SP_DialogApplyButton),
            style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning),
        )
    urgency = share.urgency(now)
    if urgency in (Urgency.OVERDUE, Urgency.LONG_OVERDUE):
        return style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical)
    if urgency is Urgency.DUE_SOON:
        return style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
    return style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation)


def _with_badge(base: QIcon, badge: QIcon, size: int = 32) -> QIcon:
    """``base`` with a small ``badge`` in its lower right corner (completed, but late)."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.drawPixmap(0, 0, base.pixmap(size, size))
    half = size * 5 // 8
    painter.drawPixmap(size - half, size - half, badge.pixmap(half, half))
    painter.end()
    return QIcon(pixmap)


def status_words(share: EmergencyShare, now: datetime) -> str:
    """Short status words for a table cell: the urgency heading while open."""
    state = share.status(now)
    return URGENCY_HEADINGS[share.urgency(now)] if state.is_open else state.label


class FollowUpListDialog(QDialog):
    """Emits ``document_requested(share_id)``, ``in_error_requested(share_id)`` and
    ``share_now_requested()``; closes itself after each (the banner stays)."""

    document_requested = Signal(int)
    in_error_requested = Signal(int)
    share_now_requested = Signal()

    COLUMNS = ("Status", "Case", "Shared with", "How", "Shared", "Write-up")

    def __init__(self, shares: Sequence[EmergencyShare], now: datetime, *, at_unlock: bool, parent: QWidget) -> None:
        super().__init__(parent)
        self.setWindowTitle("Emergency shares to write up")
        self.setModal(True)
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.intro.setTextFormat(Qt.TextFormat.RichText)
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels(list(self.COLUMNS))
        self.table.setAccessibleName("Emergency shares to write up, overdue first")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setTabKeyNavigation(False)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setTextElideMode(Qt.TextElideMode.ElideNone)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        header.sectionResized.connect(lambda *_: self.table.resizeRowsToContents())
        self.buttons = QDialogButtonBox()
        self.document_button = self.buttons.addButton("&Document now", QDialogButtonBox.ButtonRole.AcceptRole)
        self.document_button.setDefault(True)
        self.in_error_button = self.buttons.addButton("Recorded in &error…", QDialogButtonBox.ButtonRole.ActionRole)
        self.share_button = self.buttons.addButton(
            f"&Share now ({SHARE_NOW_KEYS})", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.later_button = self.buttons.addButton(
            "&Later" if at_unlock else "&Close", QDialogButtonBox.ButtonRole.RejectRole
        )
        self.document_button.clicked.connect(self._document)
        self.in_error_button.clicked.connect(self._in_error)
        self.share_button.clicked.connect(self._share_now)
        self.later_button.clicked.connect(self.reject)
        self.table.doubleClicked.connect(self._document)
        QShortcut(QKeySequence(SHARE_NOW_KEYS), self, self._share_now)
        self.later_note = QLabel(
            "“Later” takes you to your cases. The reminder stays at the top of the window until each one is "
            "written up or marked as recorded in error."
            if at_unlock
            else "The reminder stays at the top of the window until each one is written up or marked as "
            "recorded in error."
        )
        self.later_note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.later_note)
        layout.addWidget(self.buttons)
        self.setMinimumSize(1120, 400)
        self.set_shares(shares, now)
        self.table.setFocus()

    def set_shares(self, shares: Sequence[EmergencyShare], now: datetime) -> None:
        self.shares = list(shares)
        overdue = sum(1 for s in self.shares if s.status(now) is FollowUpStatus.OVERDUE)
        count = len(self.shares)
        quote = CITATIONS[1]
        noun = "emergency share needs" if count == 1 else "emergency shares need"
        overdue_text = f" <b>{overdue} overdue.</b>" if overdue else ""
        self.intro.setText(
            f"<b>Before you go on: {count} {noun} writing up</b> with a full decision record "
            f"(lawful basis, risk at the time, what was shared and with whom, whether the family was told).{overdue_text}"
            f"<br><i>“{html.escape(quote.text)}”</i> ({quote.document}, {quote.rule})"
        )
        self.table.setRowCount(0)
        for share in self.shares:
            row = self.table.rowCount()
            self.table.insertRow(row)
            status = QTableWidgetItem(status_icon(self, share, now), status_words(share, now))
            cells = [
                status,
                QTableWidgetItem(f"{share.case_reference} — {share.child_name}"),
                QTableWidgetItem(share.who),
                QTableWidgetItem(share.how_label),
                QTableWidgetItem(local_text(share.shared_at)),
                QTableWidgetItem(share.describe_due(now).replace(" (", "\n(")),
            ]
            for column, item in enumerate(cells):
                item.setData(Qt.ItemDataRole.UserRole, share.id)
                item.setToolTip(status_text(share, now))
                self.table.setItem(row, column, item)
        self.table.resizeRowsToContents()
        if self.shares:
            self.table.selectRow(0)
            self.table.setCurrentCell(0, 0)
        for button in (self.document_button, self.in_error_button):
            button.setEnabled(bool(self.shares))

    def selected_id(self) -> int | None:
        row = self.table.currentRow()
        if row < 0 or row >= len(self.shares):
            return None
        return self.shares[row].id

    def _document(self) -> None:
        share_id = self.selected_id()
        if share_id is not None:
            self.accept()
            self.document_requested.emit(share_id)

    def _in_error(self) -> None:
        share_id = self.selected_id()
        if share_id is not None:
            self.accept()
            self.in_error_requested.emit(share_id)

    def _share_now(self) -> None:
        self.accept()
        self.share_now_requested.emit()


class InErrorDialog(FormDialog):
    """Mark an emergency share as recorded in error. Emits ``saved(EmergencyShare)``."""

    def __init__(self, runner: BackgroundRunner, vault: Any, share: EmergencyShare, parent: QWidget) -> None:
        super().__init__(runner, "Emergency share recorded in error", parent)
        self.vault = vault
        self.share = share
        self.reason = QPlainTextEdit()
        self.reason.setTabChangesFocus(True)
        self.reason.setPlaceholderText("For example: recorded against the wrong child; a test entry")
        self.add_field("reason", "&Reason (required):", self.reason)
        self.mark_button = self.buttons.addButton("&Mark as recorded in error", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.mark_button.clicked.connect(self._mark)
        self.mark_button.setEnabled(False)
        self.reason.textChanged.connect(lambda: self.mark_button.setEnabled(bool(self.reason.toPlainText().strip())))
        self.finish_layout(
            f"Only for a share that was recorded by mistake: the emergency share with {html.escape(share.who)} "
            f"on {local_text(share.shared_at)} ({share.case_reference}). It stays in the record and in the "
            "oversight view, marked, with your reason. If information really was shared, write it up instead."
        )
        self.setMinimumWidth(560)
        self.reason.setFocus()

    def _mark(self) -> None:
        vault, share_id, reason = self.vault, self.share.id, self.reason.toPlainText()
        self.submit(lambda: emergency_service.mark_in_error(vault, share_id, reason))


class ShareDetailsDialog(QDialog):
    """One emergency share in full, with its follow-up. Emits ``document_requested`` and
    ``in_error_requested`` (share id) while the follow-up is open, and, once it has been
    written up and ``can_export`` says exporting is there, ``export_requested`` (share id)
    for a share packet under the write-up's decision record."""

    document_requested = Signal(int)
    in_error_requested = Signal(int)
    export_requested = Signal(int)

    def __init__(self, share: EmergencyShare, now: datetime, parent: QWidget, *, can_export: bool = False) -> None:
        super().__init__(parent)
        self.share = share
        self.setWindowTitle(f"Emergency share — {share.case_reference}")
        self.setModal(True)
        rows = [
            ("Status", status_text(share, now)),
            ("Case", f"{share.case_reference} — {share.child_name}"),
            ("Shared with", share.recipient),
            ("How", share.how_label),
            ("When shared", local_text(share.shared_at)),
            ("What was shared", share.what),
            ("Why", share.why),
            ("Recorded", f"{local_text(share.recorded_at)} by {share.recorded_by}"),
            ("Write-up due", f"{local_text(share.due_at)} ({share.deadline_hours} hours after sharing)"),
        ]
        if share.completed_at is not None:
            rows.append(
                (
                    "Written up",
                    f"{local_text(share.completed_at)} by {share.completed_by}: "
                    f"decision record {share.completed_decision_id}",
                )
            )
        if share.in_error_at is not None:
            rows.append(
                (
                    "Recorded in error",
                    f"{local_text(share.in_error_at)} by {share.in_error_by}: {share.in_error_reason}",
                )
            )
        body = "".join(
            f"<tr><th align='left' valign='top' style='padding-right:12px'>{html.escape(k)}</th>"
            f"<td>{html.escape(v).replace(chr(10), '<br>')}</td></tr>"
            for k, v in rows
        )
        details = QLabel(f"<table cellspacing='4'>{body}</table>")
        details.setTextFormat(Qt.TextFormat.RichText)
        details.setWordWrap(True)
        details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        icon = QLabel()
        icon.setPixmap(status_icon(self, share, now).pixmap(24, 24))
        title = QLabel(f"<b>Emergency share: {html.escape(status_words(share, now))}</b>")
        top = QHBoxLayout()
        top.addWidget(icon)
        top.addWidget(title, 1)
        buttons = QDialogButtonBox()
        self.document_button: QPushButton | None = None
        self.export_button: QPushButton | None = None
        if share.completed_decision_id is not None and can_export:
            self.export_button = buttons.addButton("E&xport what was shared…", QDialogButtonBox.ButtonRole.ActionRole)
            self.export_button.setToolTip(
                f"Build a share packet under decision record {share.completed_decision_id}, the write-up of this "
                "share: choose what goes, check it redacted, and save it encrypted"
            )
            self.export_button.clicked.connect(lambda: self._emit(self.export_requested))
        if share.is_open(now):
            self.document_button = buttons.addButton("&Document now", QDialogButtonBox.ButtonRole.AcceptRole)
            self.document_button.setDefault(True)
            self.document_button.clicked.connect(lambda: self._emit(self.document_requested))
            in_error = buttons.addButton("Recorded in &error…", QDialogButtonBox.ButtonRole.ActionRole)
            in_error.clicked.connect(lambda: self._emit(self.in_error_requested))
        close = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        close.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(details, 1)
        layout.addWidget(buttons)
        self.setMinimumWidth(600)

    def _emit(self, signal: Any) -> None:
        self.accept()
        signal.emit(self.share.id)
