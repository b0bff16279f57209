"""Notes found by a search across the vault, best matches (or newest) first.

The first 50 hits come with the search; scrolling to the end asks for more (the search
runs again with a larger limit and only the new hits are added, up to the back end's
500). ``SNIPPET_HTML_ROLE`` gives the snippet with each matched word in bold and
highlighted, everything else HTML-escaped; ``DisplayRole`` gives the same as plain text.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt, Signal

from desktop_app.domain.records import SearchHit
from desktop_app.services import case_records
from desktop_app.ui import presentation
from desktop_app.ui.background import BackgroundRunner
from desktop_app.ui.widgets.guard import alive

Index = QModelIndex | QPersistentModelIndex

HIT_ROLE = Qt.ItemDataRole.UserRole + 1
SNIPPET_HTML_ROLE = Qt.ItemDataRole.UserRole + 2
HEADING_ROLE = Qt.ItemDataRole.UserRole + 3

MAX_HITS = 500


@dataclass(frozen=True)
class SearchRequest:
    query: str
    case_id: int | None = None
    categories: tuple[str, ...] = field(default_factory=tuple)
    occurred_from: date | None = None
    occurred_to: date | None = None
    newest_first: bool = False


class SearchResultsModel(QAbstractListModel):
    loading_changed = Signal(bool)
    finished = Signal(int)  # how many hits are shown after a search (or more) arrived
    failed = Signal(object)

    def __init__(self, runner: BackgroundRunner, vault: Any, *, page_size: int = 50, parent: Any = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._vault = vault
        self._page_size = page_size
        self._hits: list[SearchHit] = []
        self._request: SearchRequest | None = None
        self._limit = 0
        self._more = False
        self._loading = False
        self._generation = 0

    @property
    def request(self) -> SearchRequest | None:
        return self._request

    @property
    def loading(self) -> bool:
        return self._loading

    @property
    def has_more(self) -> bool:
        return self._more

    def hit(self, row: int) -> SearchHit:
        return self._hits[row]

    def search(self, request: SearchRequest) -> None:
        """Replace the results with those for ``request`` (an empty query clears them)."""
        self.beginResetModel()
        self._generation += 1
        self._hits = []
        self._request = request if request.query.strip() else None
        self._limit = 0
        self._more = self._request is not None
        self._set_loading(False)
        self.endResetModel()
        if self._request is None:
            self.finished.emit(0)
        else:
            self.fetchMore()

    def clear(self) -> None:
        self.search(SearchRequest(""))

    # -- fetching --------------------------------------------------------------------------
    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008, N802 - Qt's name
        return not parent.isValid() and self._more

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008, N802 - Qt's name
        request = self._request
        if parent.isValid() or request is None or not self._more or self._loading:
            return
        limit = min(MAX_HITS, self._limit + self._page_size)
        generation, vault = self._generation, self._vault
        self._set_loading(True)
        self._runner.submit(
            lambda: case_records.search_notes(
                vault,
                request.query,
                case_id=request.case_id,
                categories=request.categories or None,
                occurred_from=request.occurred_from,
                occurred_to=request.occurred_to,
                limit=limit,
                newest_first=request.newest_first,
                prefix_last=True,
            ),
            alive(self, lambda hits: self._arrived(generation, limit, hits)),
            alive(self, lambda exc: self._failed(generation, exc)),
        )

    def _arrived(self, generation: int, limit: int, hits: list[SearchHit]) -> None:
        if generation != self._generation:
            return
        # Not loading from here on, so that whoever reacts to the new rows (a view, a
        # tester) may ask for the next page at once; the signal follows the rows, so
        # its listeners see the complete state.
        self._loading = False
        self._limit = limit
        self._more = len(hits) >= limit and limit < MAX_HITS
        shown = {h.note_id for h in self._hits}
        fresh = [h for h in hits if h.note_id not in shown]
        if fresh:
            start = len(self._hits)
            self.beginInsertRows(QModelIndex(), start, start + len(fresh) - 1)
            self._hits.extend(fresh)
            self.endInsertRows()
        self.loading_changed.emit(self._loading)
        self.finished.emit(len(self._hits))

    def _failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        self._more = False
        self._set_loading(False)
        self.failed.emit(exc)

    def _set_loading(self, loading: bool) -> None:
        if loading != self._loading:
            self._loading = loading
            self.loading_changed.emit(loading)

    # -- the list --------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802 - Qt's name
        return 0 if parent.isValid() else len(self._hits)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._hits) or index.column() != 0:
            return None
        hit = self._hits[index.row()]
        if role == HIT_ROLE:
            return hit
        if role == HEADING_ROLE:
            return self.heading(hit)
        if role == SNIPPET_HTML_ROLE:
            return self.html(hit)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return f"{self.heading(hit)}\n{presentation.snippet_plain(hit.snippet)}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return "Press Enter or double-click to open this note in its case."
        if role == Qt.ItemDataRole.DecorationRole and hit.flags:
            return presentation.flag_icon(hit.flags)
        return None

    @staticmethod
    def heading(hit: SearchHit) -> str:
        parts = [hit.case_reference, presentation.local_time(hit.occurred_at), presentation.category(hit.category)]
        if hit.flags:
            parts.append(presentation.flags_text(hit.flags))
        return " · ".join(parts)

    @staticmethod
    def html(hit: SearchHit) -> str:
        return f"<b>{html.escape(SearchResultsModel.heading(hit))}</b><br>{presentation.snippet_html(hit.snippet)}"
