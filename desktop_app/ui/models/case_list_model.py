"""The case list: cases a page at a time, most recently active first unless a column
says otherwise.

Pages come from ``case_records.list_cases`` on the store thread. The model starts empty
and says it ``canFetchMore``; a view asks for the first page as soon as it is shown and
for the next one when the last row scrolls into view. Changing the filter or the order
starts again (results still on their way for the old ones are dropped).

Every filter (status, text, key worker) and the column sort go to the store with each
page. Sorting or filtering only the rows already fetched would be wrong until the last
page arrived: in a vault of 2,000 cases, "Reference, A to Z" would show the first 100
most active cases in order, not the first 100 references.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from desktop_app.domain.records import CASE_CLOSED, CaseSummary
from desktop_app.services import case_records
from desktop_app.ui import presentation
from desktop_app.ui.background import BackgroundRunner
from desktop_app.ui.widgets.guard import alive

Index = QModelIndex | QPersistentModelIndex

CASE_ID_ROLE = Qt.ItemDataRole.UserRole + 1
SUMMARY_ROLE = Qt.ItemDataRole.UserRole + 2

COLUMNS = ("Reference", "Child", "Key worker", "Status", "Notes", "Last activity")
REFERENCE, CHILD, KEY_WORKER, STATUS, NOTES, LAST = range(len(COLUMNS))

# The store's order for each column (case_records.CASE_SORTS).
SORT_KEYS = {
    REFERENCE: "reference",
    CHILD: "child",
    KEY_WORKER: "key_worker",
    STATUS: "status",
    NOTES: "notes",
    LAST: "activity",
}
DEFAULT_SORT = ("activity", True)  # most recently active first


class CaseListModel(QAbstractTableModel):
    loading_changed = Signal(bool)
    failed = Signal(object)  # the exception, for the workspace's message area

    def __init__(self, runner: BackgroundRunner, vault: Any, *, page_size: int = 100, parent: Any = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._vault = vault
        self._page_size = page_size
        self._rows: list[CaseSummary] = []
        self._status: str | None = None
        self._text = ""
        self._key_worker = ""
        self._sort, self._descending = DEFAULT_SORT
        self._generation = 0
        self._loading = False
        self._exhausted = False

    # -- filter and state ------------------------------------------------------------------
    @property
    def loading(self) -> bool:
        return self._loading

    @property
    def exhausted(self) -> bool:
        """True once the last page has arrived (so an empty model really has no cases)."""
        return self._exhausted

    @property
    def filtered(self) -> bool:
        return self._status is not None or bool(self._text) or bool(self._key_worker)

    @property
    def sort_order(self) -> tuple[str, bool]:
        """The store's order now: a key of ``case_records.CASE_SORTS`` and whether descending."""
        return self._sort, self._descending

    def set_filter(self, status: str | None, text: str, key_worker: str = "") -> None:
        """Show only open or closed cases (None: all) whose reference or name contains
        ``text`` and whose key worker's name contains ``key_worker``. Starts again from
        the first page."""
        wanted = (status, text.strip(), key_worker.strip())
        if wanted == (self._status, self._text, self._key_worker):
            return
        self._status, self._text, self._key_worker = wanted
        self.reload()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Qt's sort, done by the store: start again from the first page in the new order.
        Column -1 (no sort indicator) is the default order, most recently active first."""
        if column in SORT_KEYS:
            wanted = (SORT_KEYS[column], order == Qt.SortOrder.DescendingOrder)
        else:
            wanted = DEFAULT_SORT
        if wanted == (self._sort, self._descending):
            return
        self._sort, self._descending = wanted
        self.reload()

    def reload(self) -> None:
        self.beginResetModel()
        self._generation += 1
        self._rows = []
        self._exhausted = False
        self._set_loading(False)
        self.endResetModel()

    def row_of(self, case_id: int) -> int:
        for row, summary in enumerate(self._rows):
            if summary.case.id == case_id:
                return row
        return -1

    def summary(self, row: int) -> CaseSummary:
        return self._rows[row]

    # -- lazy fetching ---------------------------------------------------------------------
    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008, N802 - Qt's name
        return not parent.isValid() and not self._exhausted

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008, N802 - Qt's name
        if parent.isValid() or self._exhausted or self._loading:
            return
        generation = self._generation
        status, text, key_worker = self._status, self._text, self._key_worker
        sort, descending = self._sort, self._descending
        offset, limit, vault = len(self._rows), self._page_size, self._vault
        self._set_loading(True)
        self._runner.submit(
            lambda: case_records.list_cases(
                vault,
                status=status,
                text=text or None,
                key_worker=key_worker or None,
                sort=sort,
                descending=descending,
                limit=limit,
                offset=offset,
            ),
            alive(self, lambda page: self._arrived(generation, page)),
            alive(self, lambda exc: self._failed(generation, exc)),
        )

    def _arrived(self, generation: int, page: list[CaseSummary]) -> None:
        if generation != self._generation:
            return
        # Not loading from here on, so that whoever reacts to the new rows (a view, a
        # tester) may ask for the next page at once; the signal follows the rows, so
        # its listeners see the complete state.
        self._loading = False
        known = {s.case.id for s in self._rows}
        fresh = [s for s in page if s.case.id not in known]
        self._exhausted = len(page) < self._page_size
        if fresh:
            start = len(self._rows)
            self.beginInsertRows(QModelIndex(), start, start + len(fresh) - 1)
            self._rows.extend(fresh)
            self.endInsertRows()
        # Last, so that whoever listens sees the rows and whether the list is complete.
        self.loading_changed.emit(self._loading)

    def _failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        self._set_loading(False)
        self._exhausted = True
        self.failed.emit(exc)

    def _set_loading(self, loading: bool) -> None:
        if loading != self._loading:
            self._loading = loading
            self.loading_changed.emit(loading)

    # -- the table -------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802 - Qt's name
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802 - Qt's name
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(COLUMNS)
        ):
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        summary = self._rows[index.row()]
        case = summary.case
        column = index.column()
        if role == CASE_ID_ROLE:
            return case.id
        if role == SUMMARY_ROLE:
            return summary
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(summary, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            when = presentation.local_time(summary.last_occurred_at) if summary.last_occurred_at else "no notes yet"
            return f"{case.reference}: {case.subject_name}. {summary.note_count} notes; latest {when}."
        if role == Qt.ItemDataRole.TextAlignmentRole and column == NOTES:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    @staticmethod
    def _display(summary: CaseSummary, column: int) -> str:
        case = summary.case
        if column == REFERENCE:
            return case.reference
        if column == CHILD:
            return case.subject_name
        if column == KEY_WORKER:
            return case.key_worker
        if column == STATUS:
            return "Closed" if case.status == CASE_CLOSED else "Open"
        if column == NOTES:
            return str(summary.note_count)
        if column == LAST:
            return presentation.local_date(summary.last_occurred_at or case.created_at)
        return ""
