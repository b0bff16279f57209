"""The chronology tab: one time line of everything dated on a case, newest first.

Enter or double-click opens the entry: the workspace decides how, by its kind (notes and
attachments here; other kinds through openers that extensions register).
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Signal
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QTreeView, QVBoxLayout, QWidget

from desktop_app.ui.models.chronology_model import ENTRY_ROLE, FLAGS, KIND, SUMMARY, TITLE, WHEN, ChronologyModel

EMPTY = "Nothing on this case yet. Add a note with Note ▸ New note (Ctrl+N)."


class ChronologyView(QWidget):
    entry_activated = Signal(object)  # ChronologyEntry
    failed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model: ChronologyModel | None = None
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.view = QTreeView()
        self.view.setAccessibleName("Chronology, newest first")
        self.view.setRootIsDecorated(False)
        self.view.setUniformRowHeights(True)
        self.view.setAlternatingRowColors(True)
        self.view.setAllColumnsShowFocus(True)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.activated.connect(self._activated)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.status)
        layout.addWidget(self.view, 1)

    def set_model(self, model: ChronologyModel | None) -> None:
        old = self.model
        self.model = model
        self.view.setModel(model)
        if old is not None:
            old.deleteLater()
        if model is None:
            self.status.setText("")
            return
        # The Summary (what the note says) is what people read: it takes the room left and
        # never goes off the right edge. When and Kind fit their text; Title and Flags
        # start narrow (each row's tooltip has both in full) and can be widened by hand.
        header = self.view.header()
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(60)
        header.setSectionResizeMode(WHEN, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(KIND, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(TITLE, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(FLAGS, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(SUMMARY, QHeaderView.ResizeMode.Stretch)
        self.view.setColumnWidth(TITLE, 150)
        self.view.setColumnWidth(FLAGS, 140)
        model.loading_changed.connect(lambda _loading: self._update_status())
        model.total_changed.connect(lambda _total: self._update_status())
        model.rowsInserted.connect(self._rows_inserted)
        model.modelReset.connect(self._update_status)
        model.failed.connect(self.failed)
        self._update_status()

    def _rows_inserted(self, *_: object) -> None:
        if self.model is not None and not self.view.currentIndex().isValid() and self.model.rowCount() > 0:
            self.view.setCurrentIndex(self.model.index(0, 0))
        self._update_status()

    def _update_status(self) -> None:
        model = self.model
        if model is None:
            return
        rows = model.rowCount()
        if model.loading and rows == 0:
            self.status.setText("Loading the chronology…")
        elif rows == 0 and model.exhausted:
            self.status.setText(EMPTY)
        elif model.exhausted:
            self.status.setText(f"All {rows} entries, newest first. Press Enter on an entry to open it.")
        else:
            total = f" of {model.total}" if model.total >= 0 else ""
            self.status.setText(
                f"Showing {rows}{total} entries, newest first; more load as you scroll down. "
                "Press Enter on an entry to open it."
            )

    def _activated(self, index: QModelIndex) -> None:
        if self.model is None or not index.isValid():
            return
        self.entry_activated.emit(self.model.data(index, ENTRY_ROLE))
