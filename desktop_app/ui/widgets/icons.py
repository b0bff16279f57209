"""Small icons drawn in code, so every state has a picture as well as words.

Drawn rather than shipped: no image files to package, crisp at any scale, and the same
on every platform (Qt's standard icons differ between styles; the Fusion style has no
shield at all). Each icon always appears next to its words, never instead of them.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap

_SIZE = 32


def _draw(paint: Callable[[QPainter], None]) -> QIcon:
    pixmap = QPixmap(_SIZE, _SIZE)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    paint(painter)
    painter.end()
    return QIcon(pixmap)


def _pen(colour: str, width: float = 2.5) -> QPen:
    pen = QPen(QColor(colour), width)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    return pen


@cache
def shield() -> QIcon:
    """Identity protected (golden rule 5)."""

    def paint(p: QPainter) -> None:
        path = QPainterPath()
        path.moveTo(16, 3)
        path.lineTo(27, 7)
        path.cubicTo(27, 18, 23, 25, 16, 29)
        path.cubicTo(9, 25, 5, 18, 5, 7)
        path.closeSubpath()
        p.setPen(_pen("#0b3d6b", 2))
        p.setBrush(QColor("#2f6db5"))
        p.drawPath(path)
        p.setPen(_pen("#ffffff", 2.5))
        p.drawPolyline([QPointF(11, 16), QPointF(15, 20), QPointF(21, 12)])

    return _draw(paint)


@cache
def in_error() -> QIcon:
    """Recorded in error: a struck-through circle."""

    def paint(p: QPainter) -> None:
        p.setPen(_pen("#8c1d18", 3))
        p.setBrush(QColor("#fdecea"))
        p.drawEllipse(QRectF(4, 4, 24, 24))
        p.drawLine(QPointF(9, 23), QPointF(23, 9))

    return _draw(paint)


@cache
def amended() -> QIcon:
    """Amended: a pencil."""

    def paint(p: QPainter) -> None:
        p.setPen(_pen("#5b3a00", 2))
        p.setBrush(QColor("#f3c969"))
        body = QPainterPath()
        body.moveTo(21, 5)
        body.lineTo(27, 11)
        body.lineTo(12, 26)
        body.lineTo(5, 27)
        body.lineTo(6, 20)
        body.closeSubpath()
        p.drawPath(body)
        p.drawLine(QPointF(18, 8), QPointF(24, 14))

    return _draw(paint)


@cache
def paperclip() -> QIcon:
    def paint(p: QPainter) -> None:
        p.setPen(_pen("#37474f", 2.5))
        p.setBrush(Qt.BrushStyle.NoBrush)
        path = QPainterPath()
        path.moveTo(20, 9)
        path.lineTo(20, 22)
        path.cubicTo(20, 28, 11, 28, 11, 22)
        path.lineTo(11, 8)
        path.cubicTo(11, 3, 17, 3, 17, 8)
        path.lineTo(17, 21)
        path.cubicTo(17, 23, 14, 23, 14, 21)
        path.lineTo(14, 10)
        p.drawPath(path)

    return _draw(paint)


@cache
def note() -> QIcon:
    def paint(p: QPainter) -> None:
        p.setPen(_pen("#37474f", 2))
        p.setBrush(QColor("#ffffff"))
        p.drawRoundedRect(QRectF(6, 3, 20, 26), 2, 2)
        for y in (10, 15, 20):
            p.drawLine(QPointF(10, y), QPointF(22, y))

    return _draw(paint)


@cache
def status() -> QIcon:
    """A case opened, closed or reopened: a flag."""

    def paint(p: QPainter) -> None:
        p.setPen(_pen("#37474f", 2.5))
        p.drawLine(QPointF(8, 4), QPointF(8, 29))
        p.setBrush(QColor("#7aa6d6"))
        p.setPen(_pen("#0b3d6b", 2))
        flag = QPainterPath()
        flag.moveTo(9, 5)
        flag.lineTo(26, 9)
        flag.lineTo(9, 16)
        flag.closeSubpath()
        p.drawPath(flag)

    return _draw(paint)


@cache
def generic() -> QIcon:
    """Any other kind of entry: a dot in a circle."""

    def paint(p: QPainter) -> None:
        p.setPen(_pen("#37474f", 2))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawEllipse(QRectF(5, 5, 22, 22))
        p.setBrush(QColor("#37474f"))
        p.drawEllipse(QRectF(13, 13, 6, 6))

    return _draw(paint)


@cache
def demo() -> QIcon:
    """Demo vault: a theatre-style mask is too subtle; a bold 'D' in a badge."""

    def paint(p: QPainter) -> None:
        p.setPen(_pen("#5b3a00", 2))
        p.setBrush(QColor("#ffd54f"))
        p.drawRoundedRect(QRectF(3, 3, 26, 26), 5, 5)
        font = p.font()
        font.setBold(True)
        font.setPixelSize(18)
        p.setFont(font)
        p.setPen(QColor("#000000"))
        p.drawText(QRectF(3, 3, 26, 26), Qt.AlignmentFlag.AlignCenter, "D")

    return _draw(paint)


def kind_icon(kind: str) -> QIcon:
    if kind == "note":
        return note()
    if kind == "attachment":
        return paperclip()
    if kind == "case_status":
        return status()
    return generic()


def flag_icon(flag: str) -> QIcon:
    if flag in ("in_error", "wrong_case"):
        return in_error()
    if flag == "protected":
        return shield()
    if flag == "amended":
        return amended()
    if flag == "attachments":
        return paperclip()
    return generic()
