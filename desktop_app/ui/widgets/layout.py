"""Page layout helper: a centred column of fixed width.

A word-wrapped label only gets the height it needs when its width is known; a column
sized from its own hint clips wrapped text (an error's advice line, a paragraph).
A fixed column width, narrower than the 1366-pixel screens the product targets, fixes
that and keeps line lengths readable.
"""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLayout, QVBoxLayout, QWidget


def centre_column(page: QWidget, column: QLayout, width: int, top_margin: int = 24) -> QWidget:
    # Stretches either side rather than an alignment flag: a widget added with an
    # alignment is given its size hint, which ignores height-for-width (wrapped text).
    box = QWidget()
    inner = QVBoxLayout(box)
    inner.setContentsMargins(0, top_margin, 0, 0)
    inner.addLayout(column)
    inner.addStretch(1)
    box.setFixedWidth(width)
    outer = QHBoxLayout(page)
    outer.addStretch(1)
    outer.addWidget(box)
    outer.addStretch(1)
    return box
