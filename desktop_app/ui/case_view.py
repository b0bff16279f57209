"""The right-hand case view: who the case is about, the case's actions, and its tabs
(chronology, people, attachments). The workspace loads what it shows."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QTabWidget, QToolBar, QVBoxLayout, QWidget

from desktop_app.domain.records import Case
from desktop_app.ui.attachments_panel import AttachmentsPanel
from desktop_app.ui.chronology_view import ChronologyView
from desktop_app.ui.people_panel import PeoplePanel


class CaseView(QWidget):
    CHRONOLOGY, PEOPLE, ATTACHMENTS = range(3)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.case: Case | None = None
        self.heading = QLabel()
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.heading.setWordWrap(True)
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setTextFormat(Qt.TextFormat.PlainText)
        self.toolbar = QToolBar("Case actions")
        self.toolbar.setObjectName("case-toolbar")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.chronology = ChronologyView()
        self.people = PeoplePanel()
        self.attachments = AttachmentsPanel()
        self.tabs = QTabWidget()
        # Not "&Chronology": Alt+C opens the Case menu, and a second Alt+C would make it
        # ambiguous (Ctrl+2 also goes to this tab).
        self.tabs.addTab(self.chronology, "Ch&ronology")
        self.tabs.addTab(self.people, "&People")
        self.tabs.addTab(self.attachments, "A&ttachments")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(self.details)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.tabs, 1)

    def add_action(self, action: QAction) -> None:
        self.toolbar.addAction(action)

    def show_case(self, case: Case) -> None:
        self.case = case
        self.heading.setText(f"<h2>{html.escape(case.reference)} — {html.escape(case.subject_name)}</h2>")
        parts = []
        if case.subject_date_of_birth is not None:
            parts.append(f"Born {case.subject_date_of_birth.strftime('%d %b %Y')}")
        if case.key_worker:
            parts.append(f"Key worker: {case.key_worker}")
        if case.is_open:
            parts.append("Open")
        else:
            closed = case.closed_on.strftime("%d %b %Y") if case.closed_on else ""
            parts.append(f"Closed {closed}".strip() + (f": {case.closed_reason}" if case.closed_reason else ""))
        parts.extend(f"{label}: {value}" for label, value in case.subject_identifiers.items())
        self.details.setText(" · ".join(parts))
        self.setAccessibleName(f"Case {case.reference}")

    def show_tab(self, index: int) -> None:
        self.tabs.setCurrentIndex(index)
        widget = self.tabs.currentWidget()
        focus = {
            self.CHRONOLOGY: self.chronology.view,
            self.PEOPLE: self.people.tree,
            self.ATTACHMENTS: self.attachments.tree,
        }.get(index, widget)
        focus.setFocus()
