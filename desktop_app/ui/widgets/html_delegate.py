"""Draws an item's rich text (from a role holding HTML) with word wrap, for search hits.

The HTML is built by the model from escaped text, so nothing a note contains can inject
markup. Selection is drawn by the style as usual; the text follows the palette.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, QSize
from PySide6.QtGui import QAbstractTextDocumentLayout, QPainter, QPalette, QTextDocument
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

Index = QModelIndex | QPersistentModelIndex
_PADDING = 6


class HtmlDelegate(QStyledItemDelegate):
    def __init__(self, html_role: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._role = html_role

    def _document(self, option: QStyleOptionViewItem, index: Index, width: int) -> QTextDocument:
        document = QTextDocument()
        document.setDefaultFont(option.font)  # type: ignore[attr-defined]
        document.setDocumentMargin(_PADDING)
        document.setHtml(str(index.data(self._role) or ""))
        document.setTextWidth(max(80, width))
        return document

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        self.initStyleOption(option, index)
        widget = option.widget  # type: ignore[attr-defined]
        style = widget.style() if widget is not None else QApplication.style()
        rect = option.rect  # type: ignore[attr-defined]
        icon_width = 0
        if not option.icon.isNull():  # type: ignore[attr-defined]
            icon_width = option.decorationSize.width() + _PADDING  # type: ignore[attr-defined]
        text_option = QStyleOptionViewItem(option)
        text_option.text = ""  # type: ignore[attr-defined]
        text_option.icon = option.icon.__class__()  # type: ignore[attr-defined]
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, text_option, painter, widget)
        if icon_width:
            option.icon.paint(  # type: ignore[attr-defined]
                painter,
                rect.left() + _PADDING // 2,
                rect.top() + _PADDING,
                option.decorationSize.width(),  # type: ignore[attr-defined]
                option.decorationSize.height(),  # type: ignore[attr-defined]
            )
        document = self._document(option, index, rect.width() - icon_width)
        context = QAbstractTextDocumentLayout.PaintContext()
        selected = bool(option.state & QStyle.StateFlag.State_Selected)  # type: ignore[attr-defined]
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        context.palette.setColor(QPalette.ColorRole.Text, option.palette.color(role))  # type: ignore[attr-defined]
        painter.save()
        painter.translate(rect.left() + icon_width, rect.top())
        painter.setClipRect(QRectF(0, 0, rect.width() - icon_width, rect.height()))
        document.documentLayout().draw(painter, context)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:  # noqa: N802 - Qt's name
        self.initStyleOption(option, index)
        widget = option.widget  # type: ignore[attr-defined]
        width = widget.viewport().width() if widget is not None else 400
        icon_width = 0 if option.icon.isNull() else option.decorationSize.width() + _PADDING  # type: ignore[attr-defined]
        document = self._document(option, index, width - icon_width)
        return QSize(width, int(document.size().height()) + 2)
