"""The left-hand case list: filters, the lazily fetched table, and what to do when empty.

Every filter and the column sort go to the store (each starts the list again from the
first page, in the new order), so the list is right from the first page however many
cases there are; the view fetches the next page as the end of the list comes into sight.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop_app.domain.records import CASE_CLOSED, CASE_OPEN
from desktop_app.ui.background import BackgroundRunner
from desktop_app.ui.models.case_list_model import (
    CASE_ID_ROLE,
    CHILD,
    COLUMNS,
    KEY_WORKER,
    NOTES,
    CaseListModel,
)

EMPTY_VAULT = (
    "No cases yet. Create one with Case ▸ New case (Ctrl+Shift+N), or explore the demo vault "
    "to see how a full vault looks."
)
NO_MATCH = "No cases match these filters. Clear the boxes above or choose “All cases”."


class CaseListPanel(QWidget):
    case_selected = Signal(object)  # case id (a person chose a row)
    case_activated = Signal(object)  # case id (Enter or double-click: go to the case)
    new_case_requested = Signal()
    demo_requested = Signal()
    failed = Signal(object)

    def __init__(self, runner: BackgroundRunner, vault: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pending_select: int | None = None
        self._selected: int | None = None  # kept selected when the list starts again
        self.model = CaseListModel(runner, vault, parent=self)

        self.status = QComboBox()
        self.status.addItem("All cases", None)
        self.status.addItem("Open cases", CASE_OPEN)
        self.status.addItem("Closed cases", CASE_CLOSED)
        self.status.setAccessibleName("Show cases")
        self.text = QLineEdit()
        self.text.setPlaceholderText("Reference or child's name")
        self.text.setClearButtonEnabled(True)
        self.text.setAccessibleName("Find a case by reference or name")
        self.key_worker = QLineEdit()
        self.key_worker.setPlaceholderText("Any key worker")
        self.key_worker.setClearButtonEnabled(True)
        self.key_worker.setAccessibleName("Key worker")
        filters = QFormLayout()
        filters.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for text, widget in (("&Show:", self.status), ("F&ind:", self.text), ("&Key worker:", self.key_worker)):
            label = QLabel(text)
            label.setBuddy(widget)
            filters.addRow(label, widget)

        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setAccessibleName("Cases")
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        self.view.setTabKeyNavigation(False)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setDefaultSectionSize(self.view.fontMetrics().height() + 8)
        header = self.view.horizontalHeader()
        header.setSortIndicatorClearable(True)
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        # The child's name takes the room left; the short columns fit their contents.
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(40)
        for column in range(len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(CHILD, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(KEY_WORKER, QHeaderView.ResizeMode.Interactive)
        self.view.setColumnWidth(KEY_WORKER, 95)
        # The note count is in each row's tooltip; the column would squeeze the names.
        self.view.setColumnHidden(NOTES, True)
        # Sorting asks the model, which asks the store (CaseListModel.sort).
        self.view.setSortingEnabled(True)
        self.view.selectionModel().currentRowChanged.connect(self._current_changed)
        self.view.activated.connect(self._activated)

        self.count = QLabel()
        self.count.setWordWrap(True)
        self.empty = QLabel(EMPTY_VAULT)
        self.empty.setWordWrap(True)
        self.empty.hide()
        self.new_button = QPushButton("New c&ase…")  # Alt+N is the Note menu
        self.new_button.setToolTip("Open a new case (Ctrl+Shift+N)")
        self.new_button.clicked.connect(self.new_case_requested)
        self.demo_button = QPushButton("Explore the &demo vault…")
        self.demo_button.setToolTip("Lock this vault and open a separate vault of fictional cases")
        self.demo_button.clicked.connect(self.demo_requested)
        self.demo_button.hide()
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.demo_button)
        buttons.addStretch(1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(filters)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.empty)
        layout.addWidget(self.count)
        layout.addLayout(buttons)
        # When there is nothing to list, the words and buttons sit at the top.
        self.empty_spacer = QWidget()
        layout.addWidget(self.empty_spacer, 1)
        self.empty_spacer.hide()

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(self._apply_filter)
        self.status.currentIndexChanged.connect(self._apply_filter)
        self.text.textChanged.connect(lambda _text: self._debounce.start())
        self.key_worker.textChanged.connect(lambda _text: self._debounce.start())
        self.model.loading_changed.connect(lambda _loading: self._update_state())
        self.model.modelAboutToBeReset.connect(self._keep_selection)
        self.model.modelReset.connect(self._update_state)
        self.model.rowsInserted.connect(self._rows_arrived)
        self.model.failed.connect(self.failed)
        self._update_state()

    # -- filters ---------------------------------------------------------------------------
    def _apply_filter(self) -> None:
        self._debounce.stop()
        self.model.set_filter(self.status.currentData(), self.text.text(), self.key_worker.text())
        self.model.fetchMore()

    def _keep_selection(self) -> None:
        # Starting again (a filter, a sort, a reload) clears the view's selection: select
        # the same case again when it arrives, if it is still in the list.
        if self._pending_select is None:
            self._pending_select = self._selected

    def clear_filters(self) -> None:
        self.text.clear()
        self.key_worker.clear()
        self.status.setCurrentIndex(self.status.findData(None))
        self._apply_filter()

    # -- state -----------------------------------------------------------------------------
    def _rows_arrived(self, *_: Any) -> None:
        if self._pending_select is not None:
            self.select_case(self._pending_select)
        self._update_state()

    def _update_state(self) -> None:
        rows = self.model.rowCount()
        complete = self.model.exhausted and not self.model.loading
        filtered = self.model.filtered
        if complete and rows == 0:
            if filtered:
                self.empty.setText(NO_MATCH)
                self.demo_button.hide()
            else:
                self.empty.setText(EMPTY_VAULT)
                self.demo_button.show()
            self.empty.show()
        else:
            self.empty.hide()
        # An empty table says nothing: show the words where the table was.
        nothing = complete and rows == 0
        self.view.setVisible(not nothing)
        self.empty_spacer.setVisible(nothing)
        if not nothing:
            self.demo_button.hide()
            if not complete and rows == 0 and not self.model.loading:
                self.model.fetchMore()  # the list started again: ask for its first page
        if self.model.loading:
            self.count.setText("Loading cases…")
        elif rows == 0:
            self.count.setText("")
        else:
            more = "" if self.model.exhausted else " (scroll down for more)"
            self.count.setText(f"{rows} {'case' if rows == 1 else 'cases'} shown{more}.")

    # -- selection -------------------------------------------------------------------------
    def _case_at(self, index: QModelIndex) -> int | None:
        if not index.isValid():
            return None
        value = self.model.data(index, CASE_ID_ROLE)
        return int(value) if value is not None else None

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        case_id = self._case_at(current)
        if case_id is not None:
            self._pending_select = None
            self._selected = case_id
            self.case_selected.emit(case_id)

    def _activated(self, index: QModelIndex) -> None:
        case_id = self._case_at(index)
        if case_id is not None:
            self.case_activated.emit(case_id)

    def select_case(self, case_id: int | None) -> bool:
        """Select the row of ``case_id`` (without announcing it); if it has not been fetched
        yet, select it when it arrives. False if it is not (yet) in the list."""
        self._selected = case_id
        if case_id is None:
            self._pending_select = None
            self.view.selectionModel().clearSelection()
            return False
        row = self.model.row_of(case_id)
        if row < 0:
            self._pending_select = case_id
            return False
        self._pending_select = None
        index = self.model.index(row, 0)
        selection = self.view.selectionModel()
        selection.blockSignals(True)
        try:
            selection.setCurrentIndex(
                index,
                selection.SelectionFlag.ClearAndSelect | selection.SelectionFlag.Rows,
            )
        finally:
            selection.blockSignals(False)
        self.view.viewport().update()
        self.view.scrollTo(index)
        return True

    def reload(self, select: int | None = None) -> None:
        """Fetch the list again (counts changed), keeping ``select`` selected."""
        self._pending_select = select
        self.model.reload()
        self.model.fetchMore()

    def focus_list(self) -> None:
        self.view.setFocus()
        if not self.view.currentIndex().isValid() and self.model.rowCount() > 0:
            self.view.setCurrentIndex(self.model.index(0, 0))
