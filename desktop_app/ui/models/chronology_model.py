"""A case's chronology: every dated event, newest first, a page at a time.

Pages come from ``case_records.chronology_page`` on the store thread, each continuing
from the previous page's cursor (constant cost at any depth). Any kind of entry is
shown: notes, attachments and status changes, and whatever later modules register
(decisions, requests, emergency shares …) with a generic label and icon until this
module learns a better one. Flags are shown as words and an icon, never by colour alone.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor, QFont

from desktop_app.domain.records import ChronologyEntry
from desktop_app.services import case_records
from desktop_app.store.chronology import ChronologyCursor, ChronologyPage
from desktop_app.ui import presentation
from desktop_app.ui.background import BackgroundRunner
from desktop_app.ui.widgets.guard import alive

Index = QModelIndex | QPersistentModelIndex

ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1
KIND_ROLE = Qt.ItemDataRole.UserRole + 2
ITEM_ID_ROLE = Qt.ItemDataRole.UserRole + 3

COLUMNS = ("When (local time)", "Kind", "Title", "Flags", "Summary")
WHEN, KIND, TITLE, FLAGS, SUMMARY = range(len(COLUMNS))


class ChronologyModel(QAbstractTableModel):
    loading_changed = Signal(bool)
    total_changed = Signal(int)
    failed = Signal(object)

    def __init__(
        self, runner: BackgroundRunner, vault: Any, case_id: int, *, page_size: int = 50, parent: Any = None
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._vault = vault
        self.case_id = case_id
        self._page_size = page_size
        self._entries: list[ChronologyEntry] = []
        self._cursor: ChronologyCursor | None = None
        self._exhausted = False
        self._loading = False
        self._generation = 0
        self.total = -1  # not known until the first page arrives

    @property
    def loading(self) -> bool:
        return self._loading

    @property
    def exhausted(self) -> bool:
        return self._exhausted

    def entry(self, row: int) -> ChronologyEntry:
        return self._entries[row]

    def reload(self) -> None:
        """Start again from the newest entry (after something was recorded)."""
        self.beginResetModel()
        self._generation += 1
        self._entries = []
        self._cursor = None
        self._exhausted = False
        self._set_loading(False)
        self.endResetModel()

    # -- lazy fetching ---------------------------------------------------------------------
    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008, N802 - Qt's name
        return not parent.isValid() and not self._exhausted

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008, N802 - Qt's name
        if parent.isValid() or self._exhausted or self._loading:
            return
        generation, vault, case_id = self._generation, self._vault, self.case_id
        cursor, limit = self._cursor, self._page_size
        self._set_loading(True)
        self._runner.submit(
            lambda: case_records.chronology_page(vault, case_id, limit=limit, after=cursor),
            alive(self, lambda page: self._arrived(generation, page)),
            alive(self, lambda exc: self._failed(generation, exc)),
        )

    def _arrived(self, generation: int, page: ChronologyPage) -> None:
        if generation != self._generation:
            return
        # Not loading from here on, so that whoever reacts to the new rows (a view, a
        # tester) may ask for the next page at once; the signal follows the rows, so
        # its listeners see the complete state.
        self._loading = False
        self._cursor = page.next_cursor
        self._exhausted = page.next_cursor is None
        if page.entries:
            start = len(self._entries)
            self.beginInsertRows(QModelIndex(), start, start + len(page.entries) - 1)
            self._entries.extend(page.entries)
            self.endInsertRows()
        if page.total >= 0 and page.total != self.total:
            self.total = page.total
            self.total_changed.emit(page.total)
        self.loading_changed.emit(self._loading)

    def _failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        self._exhausted = True
        self._set_loading(False)
        self.failed.emit(exc)

    def _set_loading(self, loading: bool) -> None:
        if loading != self._loading:
            self._loading = loading
            self.loading_changed.emit(loading)

    # -- the table -------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802 - Qt's name
        return 0 if parent.isValid() else len(self._entries)

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
        if not index.isValid() or not 0 <= index.row() < len(self._entries):
            return None
        entry = self._entries[index.row()]
        column = index.column()
        if role == ENTRY_ROLE:
            return entry
        if role == KIND_ROLE:
            return entry.kind
        if role == ITEM_ID_ROLE:
            return entry.item_id
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(entry, column)
        if role == Qt.ItemDataRole.DecorationRole:
            if column == KIND:
                return presentation.kind_icon(entry.kind)
            if column == FLAGS and entry.flags:
                return presentation.flag_icon(entry.flags)
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(entry)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self._tooltip(entry)
        if role == Qt.ItemDataRole.FontRole and presentation.is_marked(entry.flags) and column in (TITLE, SUMMARY):
            font = QFont()
            font.setStrikeOut(True)
            return font
        if role == Qt.ItemDataRole.ForegroundRole and presentation.is_marked(entry.flags):
            return QColor("#5f6368")
        return None

    @staticmethod
    def _display(entry: ChronologyEntry, column: int) -> str:
        if column == WHEN:
            return presentation.local_time(entry.occurred_at, weekday=True)
        if column == KIND:
            return presentation.kind_label(entry.kind)
        if column == TITLE:
            return entry.title
        if column == SUMMARY:
            return entry.summary
        if column == FLAGS:
            return presentation.flags_text(entry.flags)
        return ""

    @staticmethod
    def _tooltip(entry: ChronologyEntry) -> str:
        parts = [
            f"{presentation.kind_label(entry.kind)}: {entry.title}",
            f"Happened {presentation.local_time(entry.occurred_at, weekday=True)}; "
            f"recorded {presentation.local_time(entry.recorded_at)}.",
        ]
        if entry.flags:
            parts.append(presentation.flags_text(entry.flags) + ".")
        return "\n".join(parts)
