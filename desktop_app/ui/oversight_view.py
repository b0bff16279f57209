"""Oversight of emergency shares, for the safeguarding lead.

Every emergency share with the state of its write-up (outstanding, overdue, completed on
time, completed late, recorded in error), filtered by status, date range and case,
sortable by any column, and a printable summary. The summary is rendered in memory
(QTextDocument → print preview → printer or PDF the person chooses): no plaintext file
is ever written by the application.
"""

from __future__ import annotations

import html
from datetime import UTC, date, datetime
from typing import Any

from PySide6.QtCore import QDate, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QPageLayout, QStandardItem, QStandardItemModel, QTextDocument
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop_app.domain.emergency import EmergencyShare, OversightFilters, local_text, status_counts, status_text
from desktop_app.domain.follow_up import FollowUpStatus
from desktop_app.domain.records import Case
from desktop_app.errors import CaseNotesError
from desktop_app.services import case_records
from desktop_app.services import emergency as emergency_service
from desktop_app.ui.background import BackgroundRunner
from desktop_app.ui.follow_up_list_dialog import status_icon
from desktop_app.ui.widgets.message_area import MessageArea

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
ID_ROLE = Qt.ItemDataRole.UserRole + 2

_OPEN = frozenset({FollowUpStatus.OUTSTANDING, FollowUpStatus.OVERDUE})
STATUS_CHOICES: tuple[tuple[str, frozenset[FollowUpStatus] | None], ...] = (
    ("All statuses", None),
    ("Open: outstanding or overdue", _OPEN),
    *((status.label, frozenset({status})) for status in FollowUpStatus),
)
# Sorting by status puts the ones needing attention first.
_STATUS_ORDER = {
    FollowUpStatus.OVERDUE: 0,
    FollowUpStatus.OUTSTANDING: 1,
    FollowUpStatus.COMPLETED_LATE: 2,
    FollowUpStatus.COMPLETED_ON_TIME: 3,
    FollowUpStatus.RECORDED_IN_ERROR: 4,
}


def _summary_line(counts: dict[FollowUpStatus, int]) -> str:
    total = sum(counts.values())
    if total == 0:
        return (
            "No emergency shares to show. Each share made with Share now (Ctrl+Shift+E) appears "
            "here with its write-up deadline; if you have chosen filters, widen them to see more."
        )
    parts = [f"{counts[s]} {s.label.lower()}" for s in FollowUpStatus if counts[s]]
    noun = "emergency share" if total == 1 else "emergency shares"
    return f"{total} {noun}" + (": " + ", ".join(parts) + "." if parts else ".")


class OversightView(QDialog):
    """Emits ``open_requested(share_id)`` when a row is opened (Enter or double-click)."""

    open_requested = Signal(int)

    COLUMNS = ("Status", "Case", "Child", "Shared with", "How", "Shared", "Write-up due", "Written up", "Recorded by")

    def __init__(self, runner: BackgroundRunner, vault: Any, parent: QWidget) -> None:
        super().__init__(parent)
        self.runner = runner
        self.vault = vault
        self.shares: list[EmergencyShare] = []
        self.now = datetime.now(UTC)
        self.setWindowTitle("Oversight: emergency shares and their write-ups")
        self.heading = QLabel(
            "<h3>Emergency shares and their write-ups</h3>"
            "Every share made in an emergency must be written up with a full decision record by its deadline. "
            "Open a row (Enter or double-click) to see it in full."
        )
        self.heading.setWordWrap(True)
        self.message = MessageArea()

        self.status_filter = QComboBox()
        for label, statuses in STATUS_CHOICES:
            self.status_filter.addItem(label, statuses)
        self.status_filter.setAccessibleName("Status")
        self.case_filter = QComboBox()
        self.case_filter.addItem("All cases", None)
        self.case_filter.setAccessibleName("Case")
        self.case_filter.setMinimumContentsLength(24)
        self.case_filter.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        today = QDate.currentDate()
        self.use_from = QCheckBox("&From")
        self.date_from = QDateEdit(today.addMonths(-3))
        self.use_to = QCheckBox("&To")
        self.date_to = QDateEdit(today)
        for edit, name in ((self.date_from, "Shared from"), (self.date_to, "Shared until")):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("dd MMM yyyy")
            edit.setEnabled(False)
            edit.setAccessibleName(name)
        filters = QHBoxLayout()
        status_label = QLabel("&Status:")
        status_label.setBuddy(self.status_filter)
        case_label = QLabel("&Case:")
        case_label.setBuddy(self.case_filter)
        for widget in (
            status_label,
            self.status_filter,
            case_label,
            self.case_filter,
            self.use_from,
            self.date_from,
            self.use_to,
            self.date_to,
        ):
            filters.addWidget(widget)
        filters.addStretch(1)

        self.model = QStandardItemModel(0, len(self.COLUMNS), self)
        self.model.setHorizontalHeaderLabels(list(self.COLUMNS))
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(5, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)
        self.table.verticalHeader().setVisible(False)
        self.table.setAccessibleName("Emergency shares")
        self.table.setWordWrap(True)
        self.table.setTextElideMode(Qt.TextElideMode.ElideNone)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        header.sectionResized.connect(lambda *_: self.table.resizeRowsToContents())
        self.table.activated.connect(self._activated)

        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Summary")
        self.buttons = QDialogButtonBox()
        self.print_button = self.buttons.addButton("&Print summary…", QDialogButtonBox.ButtonRole.ActionRole)
        self.print_button.clicked.connect(self.print_preview)
        close = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        close.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.message)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.summary)
        layout.addWidget(self.buttons)
        self.setMinimumSize(1100, 520)

        self.status_filter.currentIndexChanged.connect(self.reload)
        self.case_filter.currentIndexChanged.connect(self.reload)
        for check, edit in ((self.use_from, self.date_from), (self.use_to, self.date_to)):
            check.toggled.connect(edit.setEnabled)
            check.toggled.connect(self.reload)
            edit.dateChanged.connect(self.reload)
        self._loading_cases = True
        vault_ref = vault
        runner.submit(lambda: case_records.list_cases(vault_ref, limit=10_000), self._cases_loaded, self.show_error)
        self.reload()
        self.status_filter.setFocus()

    # -- data ------------------------------------------------------------------------------
    def filters(self) -> OversightFilters:
        def day(edit: QDateEdit) -> date:
            value: date = edit.date().toPython()  # type: ignore[assignment]
            return value

        case_id = self.case_filter.currentData()
        return OversightFilters(
            statuses=self.status_filter.currentData(),
            shared_from=day(self.date_from) if self.use_from.isChecked() else None,
            shared_to=day(self.date_to) if self.use_to.isChecked() else None,
            case_id=case_id if isinstance(case_id, int) else None,
        )

    def reload(self) -> None:
        try:
            filters = self.filters()
            filters.utc_bounds()
        except CaseNotesError as exc:
            self.show_error(exc)
            return
        self.message.clear()
        self.print_button.setEnabled(False)  # until the rows for these filters have arrived
        vault = self.vault
        now = datetime.now(UTC)
        self.runner.submit(
            lambda: (now, emergency_service.oversight(vault, filters, now=now)), self._loaded, self.show_error
        )

    def _cases_loaded(self, summaries: list[Any]) -> None:
        cases: list[Case] = [s.case for s in summaries]
        current = self.case_filter.currentData()
        self.case_filter.blockSignals(True)
        self.case_filter.clear()
        self.case_filter.addItem("All cases", None)
        for case in sorted(cases, key=lambda c: c.reference.casefold()):
            self.case_filter.addItem(f"{case.reference} — {case.subject_name}", case.id)
        index = self.case_filter.findData(current)
        self.case_filter.setCurrentIndex(max(0, index))
        self.case_filter.blockSignals(False)

    def _loaded(self, result: tuple[datetime, list[EmergencyShare]]) -> None:
        self.now, self.shares = result
        now = self.now
        self.model.removeRows(0, self.model.rowCount())
        for share in self.shares:
            state = share.status(now)
            row = [
                self._item(state.label, (_STATUS_ORDER[state], share.due_at.timestamp())),
                self._item(share.case_reference, share.case_reference.casefold()),
                self._item(share.child_name, share.child_name.casefold()),
                self._item(share.who, share.who.casefold()),
                self._item(share.how_label, share.how_label),
                self._item(local_text(share.shared_at), share.shared_at.timestamp()),
                self._item(local_text(share.due_at), share.due_at.timestamp()),
                self._item(
                    local_text(share.completed_at) if share.completed_at else "—",
                    share.completed_at.timestamp() if share.completed_at else 0.0,
                ),
                self._item(share.recorded_by, share.recorded_by.casefold()),
            ]
            row[0].setIcon(status_icon(self, share, now))
            for item in row:
                item.setData(share.id, ID_ROLE)
                item.setToolTip(status_text(share, now))
            self.model.appendRow(row)
        self.table.resizeColumnsToContents()
        self.table.resizeRowsToContents()
        self.summary.setText(_summary_line(status_counts(self.shares, now)))
        self.print_button.setEnabled(True)

    @staticmethod
    def _item(text: str, sort_key: Any) -> QStandardItem:
        item = QStandardItem(text)
        item.setData(sort_key if not isinstance(sort_key, tuple) else f"{sort_key[0]}:{sort_key[1]:020.3f}", SORT_ROLE)
        item.setEditable(False)
        return item

    def show_error(self, exc: BaseException) -> None:
        self.message.show_error(exc)

    def _activated(self, index: Any) -> None:
        share_id = self.proxy.data(index, ID_ROLE)
        if isinstance(share_id, int):
            self.open_requested.emit(share_id)

    def visible_statuses(self) -> list[str]:
        """The status words of the rows as shown (in the current sort order)."""
        return [str(self.proxy.index(r, 0).data()) for r in range(self.proxy.rowCount())]

    # -- printing ----------------------------------------------------------------------------
    def summary_html(self) -> str:
        now = self.now
        filters = self.filters()
        described = [self.status_filter.currentText(), self.case_filter.currentText()]
        if filters.shared_from:
            described.append(f"shared from {filters.shared_from:%d %b %Y}")
        if filters.shared_to:
            described.append(f"shared until {filters.shared_to:%d %b %Y}")
        owner = getattr(getattr(self.vault, "info", None), "organisation_name", "") or ""
        rows = []
        for r in range(self.proxy.rowCount()):
            cells = [html.escape(str(self.proxy.index(r, c).data() or "")) for c in range(len(self.COLUMNS))]
            rows.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
        head = "".join(f"<th align='left'>{html.escape(c)}</th>" for c in self.COLUMNS)
        return (
            "<html><body style='font-family: sans-serif; font-size: 9pt'>"
            f"<h2>Emergency shares and their write-ups{(' — ' + html.escape(owner)) if owner else ''}</h2>"
            f"<p>Printed {html.escape(local_text(now))} (local time). Filters: {html.escape('; '.join(described))}.</p>"
            f"<p><b>{html.escape(_summary_line(status_counts(self.shares, now)))}</b></p>"
            "<table border='1' cellspacing='0' cellpadding='3' width='100%'>"
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
            "<p>Every emergency share must be written up with a full decision record by its deadline. "
            "Shares recorded in error stay listed with their reason.</p>"
            "</body></html>"
        )

    def summary_document(self) -> QTextDocument:
        document = QTextDocument(self)
        document.setHtml(self.summary_html())
        return document

    def print_preview(self) -> QPrintPreviewDialog:
        """Preview, then print (or save as PDF where the person chooses) the summary.

        The printer and document are kept on the view: the preview dialog only points at
        the printer, and a printer collected by Python while the preview is open crashes."""
        self._printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        self._printer.setPageOrientation(QPageLayout.Orientation.Landscape)
        self._document = self.summary_document()
        preview = QPrintPreviewDialog(self._printer, self)
        preview.setWindowTitle("Print summary of emergency shares")
        preview.paintRequested.connect(self._document.print_)
        preview.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        preview.open()
        self._preview = preview
        return preview
