"""Search every note in the vault (Ctrl+F), with filters, and open a hit in its case.

Search starts as you type (a moment after the last key) and on Enter. Every word must
match; the last word may be the start of a word. Hits show the case, when it happened,
the category, any flags, and a snippet with the matched words in bold and highlighted.
Enter or double-click on a hit opens the note in its case.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QDate, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QVBoxLayout,
    QWidget,
)

from desktop_app.domain.guidance import CONCERN_CATEGORIES
from desktop_app.ui.background import BackgroundRunner
from desktop_app.ui.models.search_results_model import HIT_ROLE, SNIPPET_HTML_ROLE, SearchRequest, SearchResultsModel
from desktop_app.ui.widgets.html_delegate import HtmlDelegate

HINT = "Type words to search every note in this vault. Every word must match; filters narrow the search."


class _QueryEdit(QLineEdit):
    """The query box: Down moves to the results, as in most search fields."""

    down_pressed = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        if event.key() == Qt.Key.Key_Down:
            self.down_pressed.emit()
            return
        super().keyPressEvent(event)


class SearchPanel(QWidget):
    hit_activated = Signal(object)  # SearchHit
    failed = Signal(object)

    def __init__(self, runner: BackgroundRunner, vault: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._case_id: int | None = None
        self.model = SearchResultsModel(runner, vault, parent=self)

        self.query = _QueryEdit()
        self.query.setPlaceholderText("Words to find in every note")
        self.query.setClearButtonEnabled(True)
        self.query.setAccessibleName("Search notes")
        self.scope = QComboBox()
        self.scope.setAccessibleName("Which cases")
        self.scope.addItem("All cases", None)
        self.scope.addItem("Only the selected case", "case")
        self.scope.model().item(1).setEnabled(False)  # type: ignore[attr-defined]
        self.category = QComboBox()
        self.category.setAccessibleName("Category")
        self.category.addItem("Any category", None)
        for item in CONCERN_CATEGORIES:
            self.category.addItem(item.label, item.code)
        self.use_from = QCheckBox("On or &after")
        self.date_from = QDateEdit(QDate.currentDate().addMonths(-3))
        self.use_to = QCheckBox("On or &before")
        self.date_to = QDateEdit(QDate.currentDate())
        for check, edit, name in ((self.use_from, self.date_from, "From date"), (self.use_to, self.date_to, "To date")):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("dd MMM yyyy")
            edit.setEnabled(False)
            edit.setAccessibleName(name)
            check.toggled.connect(edit.setEnabled)
        self.order = QComboBox()
        self.order.setAccessibleName("Order")
        self.order.addItem("Best match first", False)
        self.order.addItem("Newest first", True)

        dates = QHBoxLayout()
        dates.addWidget(self.use_from)
        dates.addWidget(self.date_from, 1)
        dates.addWidget(self.use_to)
        dates.addWidget(self.date_to, 1)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for text, widget in (
            ("Fin&d:", self.query),
            ("Ca&ses:", self.scope),
            ("Categor&y:", self.category),
        ):
            label = QLabel(text)
            label.setBuddy(widget)
            form.addRow(label, widget)
        form.addRow("Happened:", dates)
        order_label = QLabel("&Order:")
        order_label.setBuddy(self.order)
        form.addRow(order_label, self.order)

        self.status = QLabel(HINT)
        self.status.setWordWrap(True)
        self.results = QListView()
        self.results.setModel(self.model)
        self.results.setAccessibleName("Notes found")
        self.results.setItemDelegate(HtmlDelegate(SNIPPET_HTML_ROLE, self.results))
        self.results.setWordWrap(True)
        self.results.setUniformItemSizes(False)
        self.results.setResizeMode(QListView.ResizeMode.Adjust)
        self.results.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.results.setAlternatingRowColors(True)
        self.results.activated.connect(self._activated)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.results, 1)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(300)
        self._debounce.timeout.connect(self.run)
        self.query.textChanged.connect(lambda _text: self._debounce.start())
        self.query.returnPressed.connect(self._enter)
        self.query.down_pressed.connect(self.focus_results)
        for signal in (
            self.scope.currentIndexChanged,
            self.category.currentIndexChanged,
            self.order.currentIndexChanged,
            self.use_from.toggled,
            self.use_to.toggled,
            self.date_from.dateChanged,
            self.date_to.dateChanged,
        ):
            signal.connect(self._filters_changed)
        self.model.loading_changed.connect(lambda _loading: self._update_status())
        self.model.finished.connect(lambda _count: self._update_status())
        self.model.failed.connect(self.failed)

    # -- the search ------------------------------------------------------------------------
    def set_current_case(self, case_id: int | None, reference: str = "") -> None:
        """The case selected in the workspace, for "Only the selected case"."""
        self._case_id = case_id
        item = self.scope.model().item(1)  # type: ignore[attr-defined]
        item.setEnabled(case_id is not None)
        self.scope.setItemText(1, f"Only case {reference}" if case_id is not None else "Only the selected case")
        if case_id is None and self.scope.currentIndex() == 1:
            self.scope.setCurrentIndex(0)
        elif self.scope.currentIndex() == 1:
            self._filters_changed()

    def request(self) -> SearchRequest:
        return SearchRequest(
            query=self.query.text(),
            case_id=self._case_id if self.scope.currentData() == "case" else None,
            categories=(self.category.currentData(),) if self.category.currentData() else (),
            occurred_from=self.date_from.date().toPython() if self.use_from.isChecked() else None,  # type: ignore[arg-type]
            occurred_to=self.date_to.date().toPython() if self.use_to.isChecked() else None,  # type: ignore[arg-type]
            newest_first=bool(self.order.currentData()),
        )

    def run(self) -> None:
        self._debounce.stop()
        self.model.search(self.request())
        self._update_status()

    def _filters_changed(self, *_: Any) -> None:
        if self.query.text().strip():
            self.run()

    def _enter(self) -> None:
        self.run()

    def _update_status(self) -> None:
        request = self.model.request
        count = self.model.rowCount()
        if request is None:
            self.status.setText(HINT)
        elif self.model.loading and count == 0:
            self.status.setText("Searching…")
        elif count == 0:
            self.status.setText(
                "No notes match. Check the spelling, try fewer words, or widen the filters "
                "(only the current version of each note is searched)."
            )
        else:
            more = " Scroll down for more." if self.model.has_more else ""
            self.status.setText(
                f"{count} {'note' if count == 1 else 'notes'} found.{more} Press Down to reach the results "
                "and Enter to open one."
            )

    # -- focus and activation ----------------------------------------------------------------
    def focus_query(self) -> None:
        self.query.setFocus()
        self.query.selectAll()

    def focus_results(self) -> None:
        if self.model.rowCount() == 0:
            return
        self.results.setFocus()
        if not self.results.currentIndex().isValid():
            self.results.setCurrentIndex(self.model.index(0, 0))

    def _activated(self, index: QModelIndex) -> None:
        if index.isValid():
            self.hit_activated.emit(self.model.data(index, HIT_ROLE))
