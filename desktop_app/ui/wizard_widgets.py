"""Small pieces every page of the decision wizard is built from: word-wrapped labels, a
scroll area that fits its content, the guidance pane beside each question, and the
"Seek advice" box.

They live apart from the pages so that the question pages and the record form can share
them without importing each other or the dialog.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QSizePolicy, QVBoxLayout, QWidget

from desktop_app.domain import wizard_flow as wf
from desktop_app.domain.guidance import Citation
from desktop_app.ui.decision_view import citation_html, esc

CITATION_PANE_WIDTH = 350


def wrapped(text: str = "", *, rich: bool = False, style: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
    if style:
        label.setStyleSheet(style)
    return label


class FitScrollArea(QScrollArea):
    """A vertical scroll area whose content is exactly as tall as its width needs.

    A plain ``QScrollArea`` sizes its widget from the layout's minimum size, which for
    word-wrapped labels is worked out at a narrow width: the content becomes far too
    tall and ends in a long empty space. This asks the layout for its height at the
    real width instead, whenever the width or the content changes.
    """

    def __init__(self, widget: QWidget | None = None) -> None:
        super().__init__()
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        if widget is not None:
            self.set_content(widget)

    def set_content(self, widget: QWidget) -> None:
        self.setWidget(widget)
        widget.installEventFilter(self)

    def fit(self) -> None:
        if not shiboken6.isValid(self):
            return
        widget = self.widget()
        layout = widget.layout() if widget is not None else None
        if widget is None or layout is None:
            return
        width = self.viewport().width()
        height = layout.totalHeightForWidth(width) if layout.hasHeightForWidth() else layout.totalSizeHint().height()
        if height > 0 and widget.minimumHeight() != height:
            widget.setFixedHeight(height)

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self.fit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            QTimer.singleShot(0, self, self.fit)
        return super().eventFilter(watched, event)


def scrolling(widget: QWidget) -> QScrollArea:
    return FitScrollArea(widget)


class CitationPane(FitScrollArea):
    """The passages behind a question, beside it: document, rule and the words."""

    def __init__(self, heading: str = "What the guidance says") -> None:
        super().__init__()
        self.setFixedWidth(CITATION_PANE_WIDTH)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet("CitationPane { background: #f5f7fa; border: 1px solid #c9d1da; border-radius: 4px; }")
        inner = QWidget()
        inner.setObjectName("citations")
        inner.setStyleSheet("QWidget#citations { background: #f5f7fa; }")
        self.column = QVBoxLayout(inner)
        self.heading = wrapped(heading, style="font-weight: bold; font-size: 11pt;")
        self.body = wrapped(rich=True)
        self.body.setAccessibleName(heading)
        self.column.addWidget(self.heading)
        self.column.addWidget(self.body)
        self.column.addStretch(1)
        self.set_content(inner)
        self.citations: tuple[Citation, ...] = ()

    def show_citations(self, citations: Sequence[Citation], extra_html: str = "") -> None:
        self.citations = tuple(dict.fromkeys(citations))
        self.body.setText(extra_html + "".join(citation_html(c) for c in self.citations))

    def text(self) -> str:
        return self.body.text()


def advice_box(hint: str) -> QLabel:
    """'Not sure?' guidance with the golden rule behind it."""
    rule = wf.ADVICE_CITATION
    label = wrapped(
        f"<b>Not sure? Seek advice.</b> {esc(hint)}<br><small><i>“{esc(rule.text)}”</i> — {esc(rule.rule)}</small>",
        rich=True,
        style="background: #e8f1fb; color: #0b3d6b; border: 1px solid #0b3d6b; border-radius: 4px; padding: 6px;",
    )
    label.setAccessibleName(f"Seek advice: {hint}")
    return label
