"""Small widgets the export screens share: the page-by-page preview, the password shown in
large groups for reading out, and a note's text with its redactions highlighted.

Everything here is drawn in memory. The preview pages come from
``export.pdf.render_preview_pages`` (the code that paints the PDF), are shown as pixmaps
and dropped when the preview closes; no image or text is written anywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QFontMetrics,
    QImage,
    QPixmap,
    QResizeEvent,
    QTextCharFormat,
    QTextCursor,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from desktop_app.domain.redaction import REDACTED, RedactionSpan
from desktop_app.domain.share_packet import SharePacket
from desktop_app.export.pdf import render_preview_pages

PREVIEW_DPI = 96.0
LABEL_BACKGROUND = "#ffe58f"  # a protected person's label (bold as well: never colour alone)
LABEL_FOREGROUND = "#3b2600"
MARKED_BACKGROUND = "#202124"  # a passage redacted by hand: reads as a black bar
MARKED_FOREGROUND = "#ffffff"


class PreviewPane(QWidget):
    """The packet's pages, one at a time, exactly as the PDF will show them."""

    page_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None, *, dpi: float = PREVIEW_DPI) -> None:
        super().__init__(parent)
        self.dpi = dpi
        self.images: list[QImage] = []
        self.index = 0
        self.page = QLabel()
        self.page.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.page.setAccessibleName("Preview of the page")
        self.page.setStyleSheet("QLabel { background: #6b6f75; padding: 12px; }")
        self.scroller = QScrollArea()
        self.scroller.setWidget(self.page)
        self.scroller.setWidgetResizable(True)
        self.scroller.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.previous_button = QPushButton("◀ Previous pa&ge")
        self.next_button = QPushButton("Ne&xt page ▶")
        self.page_label = QLabel("No preview yet")
        self.page_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = self.page_label.font()
        font.setBold(True)
        self.page_label.setFont(font)
        self.previous_button.clicked.connect(lambda: self.show_page(self.index - 1))
        self.next_button.clicked.connect(lambda: self.show_page(self.index + 1))
        bar = QHBoxLayout()
        bar.addWidget(self.previous_button)
        bar.addWidget(self.page_label, 1)
        bar.addWidget(self.next_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.scroller, 1)
        self._update_buttons()

    @property
    def count(self) -> int:
        return len(self.images)

    def show_packet(self, packet: SharePacket) -> None:
        """Paint every page of ``packet`` (in memory) and show the first."""
        self.set_images(render_preview_pages(packet, self.dpi))

    def set_images(self, images: Sequence[QImage]) -> None:
        self.images = list(images)
        self.show_page(0)

    def clear(self) -> None:
        self.images = []
        self.page.clear()
        self.index = 0
        self.page_label.setText("No preview yet")
        self._update_buttons()

    def show_page(self, index: int) -> None:
        if not self.images:
            self.clear()
            return
        self.index = max(0, min(index, len(self.images) - 1))
        self._paint()
        text = f"Page {self.index + 1} of {len(self.images)}"
        self.page_label.setText(text)
        self.page.setAccessibleDescription(text)
        self.scroller.verticalScrollBar().setValue(0)
        self._update_buttons()
        self.page_changed.emit(self.index)

    def _paint(self) -> None:
        """The page at its own size, or narrower to fit the width: never cut off at the side."""
        if not self.images:
            return
        image = self.images[self.index]
        room = self.scroller.viewport().width() - 40  # the grey margin around the page
        if 0 < room < image.width():
            image = image.scaledToWidth(room, Qt.TransformationMode.SmoothTransformation)
        self.page.setPixmap(QPixmap.fromImage(image))

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._paint()

    def _update_buttons(self) -> None:
        self.previous_button.setEnabled(self.index > 0)
        self.next_button.setEnabled(self.index < len(self.images) - 1)


def password_groups(password: str) -> str:
    """``7K3Q-XH2M-9TDA`` → ``7K3Q  XH2M  9TDA``: wide gaps, no dashes to read out."""
    return "  ".join(password.split("-"))


class PasswordDisplay(QWidget):
    """A password or passphrase in large groups of four, to read out over the phone.

    It is never put on the clipboard unless the person presses Copy (``copy_requested``,
    which the dialog sends through the main window's ``SensitiveClipboard``); the text
    is not selectable, so a stray Ctrl+C cannot copy it either."""

    copy_requested = Signal(str)
    new_requested = Signal()

    def __init__(self, heading: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.password = ""
        self.heading = QLabel(heading)
        self.heading.setWordWrap(True)
        self.value = QLabel()
        self.value.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.base_font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.base_font.setPointSizeF(max(22.0, self.base_font.pointSizeF() * 2.2))
        self.base_font.setBold(True)
        self.base_font.setLetterSpacing(QFont.SpacingType.AbsoluteSpacing, 2.0)
        self.value.setFont(self.base_font)
        self.value.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.value.setStyleSheet(
            "QLabel { background: #f3f6fa; color: #0b1f33; border: 2px solid #0b3d6b; border-radius: 6px;"
            " padding: 10px 16px; }"
        )
        self.value.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.value.setMinimumHeight(QFontMetrics(self.base_font).height() + 28)
        self.hint = QLabel(
            "Read it out group by group. It uses no I, L, O or U, so 0 is always zero and 1 is always one."
        )
        self.hint.setWordWrap(True)
        self.copy_button = QPushButton("&Copy")
        self.copy_button.setToolTip("Put it on the clipboard for a short time (cleared automatically)")
        self.new_button = QPushButton("&New password")
        self.copy_button.clicked.connect(lambda: self.copy_requested.emit(self.password))
        self.new_button.clicked.connect(self.new_requested.emit)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.copy_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(self.value)
        layout.addWidget(self.hint)
        layout.addLayout(buttons)

    def set_password(self, password: str) -> None:
        self.password = password
        self.value.setText(password_groups(password))
        self._fit()
        self.value.setAccessibleName("Password: " + ", ".join(" ".join(group) for group in password.split("-")))

    def forget(self) -> None:
        self.password = ""
        self.value.clear()

    def _fit(self) -> None:
        """As large as the base size, smaller only if the groups would not fit the width."""
        font = QFont(self.base_font)
        room = self.value.width() - 44  # padding and border
        text = self.value.text()
        while text and room > 0 and font.pointSizeF() > 11 and QFontMetrics(font).horizontalAdvance(text) > room:
            font.setPointSizeF(font.pointSizeF() - 1)
        self.value.setFont(font)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._fit()


# -- a note's text with its redactions ---------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """A stretch of the displayed text and the original characters it stands for."""

    shown_start: int
    shown_end: int
    original_start: int
    original_end: int
    replacement: str | None  # None: the original text, unchanged


def layout_segments(text: str, spans: Sequence[RedactionSpan], *, as_shared: bool) -> tuple[str, list[Segment]]:
    """The text to show and how it maps back: with ``as_shared`` each span is shown as
    its replacement ("Neighbour A", "[redacted]"); otherwise the original is shown and
    the spans only mark where replacements will be."""
    shown: list[str] = []
    segments: list[Segment] = []
    position = 0
    cursor = 0
    for span in sorted(spans, key=lambda s: s.start):
        if span.start < position:
            continue
        if span.start > position:
            piece = text[position : span.start]
            segments.append(Segment(cursor, cursor + len(piece), position, span.start, None))
            shown.append(piece)
            cursor += len(piece)
        piece = span.replacement if as_shared else text[span.start : span.end]
        segments.append(Segment(cursor, cursor + len(piece), span.start, span.end, span.replacement))
        shown.append(piece)
        cursor += len(piece)
        position = span.end
    if position < len(text) or not segments:
        piece = text[position:]
        segments.append(Segment(cursor, cursor + len(piece), position, len(text), None))
        shown.append(piece)
    # Carriage returns would change the count of characters Qt holds; show them as spaces.
    return "".join(shown).replace("\r\n", " \n").replace("\r", "\n"), segments


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _index_from_utf16(text: str, position: int) -> int:
    """Qt counts UTF-16 units; Python counts code points (they differ for emoji)."""
    units = 0
    for index, char in enumerate(text):
        if units >= position:
            return index
        units += 2 if ord(char) > 0xFFFF else 1
    return len(text)


def original_range(segments: Sequence[Segment], start: int, end: int) -> tuple[int, int] | None:
    """The original characters a shown selection covers; a selection touching a
    replacement covers all of what it replaced."""
    low: int | None = None
    high: int | None = None
    for seg in segments:
        first, last = max(start, seg.shown_start), min(end, seg.shown_end)
        if first >= last:
            continue
        if seg.replacement is None:
            covered = (seg.original_start + first - seg.shown_start, seg.original_start + last - seg.shown_start)
        else:
            covered = (seg.original_start, seg.original_end)
        low = covered[0] if low is None else min(low, covered[0])
        high = covered[1] if high is None else max(high, covered[1])
    if low is None or high is None or high <= low:
        return None
    return low, high


class RedactionTextView(QPlainTextEdit):
    """A note's text, read-only, with what the export will do to it highlighted: a
    protected person's label bold on yellow, a passage redacted by hand white on black.
    Select text and ask for ``selected_original()`` to mark more."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setTabChangesFocus(True)
        self.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.setAccessibleName("The note as it will be shared")
        self.segments: list[Segment] = []
        self.shown = ""
        self.as_shared = True

    def show_text(self, text: str, spans: Sequence[RedactionSpan], *, as_shared: bool = True) -> None:
        self.as_shared = as_shared
        self.shown, self.segments = layout_segments(text, spans, as_shared=as_shared)
        # setPlainText writes with the editor's current format, which may still be the
        # last highlight: start plain.
        self.setCurrentCharFormat(QTextCharFormat())
        self.setPlainText(self.shown)
        # Formats go into this display copy of the text (not extra selections, which
        # cannot make text bold): the label is bold as well as coloured, never colour alone.
        for seg in self.segments:
            if seg.replacement is None or seg.shown_end == seg.shown_start:
                continue
            fmt = QTextCharFormat()
            if seg.replacement == REDACTED:
                fmt.setBackground(QColor(MARKED_BACKGROUND))
                fmt.setForeground(QColor(MARKED_FOREGROUND))
            else:
                fmt.setBackground(QColor(LABEL_BACKGROUND))
                fmt.setForeground(QColor(LABEL_FOREGROUND))
                fmt.setFontWeight(QFont.Weight.Bold)
                fmt.setFontUnderline(True)
            if not as_shared:
                fmt.setFontStrikeOut(True)
            fmt.setToolTip(f"Shared as: {seg.replacement}")
            cursor = QTextCursor(self.document())
            cursor.setPosition(_utf16_length(self.shown[: seg.shown_start]))
            cursor.setPosition(_utf16_length(self.shown[: seg.shown_end]), QTextCursor.MoveMode.KeepAnchor)
            cursor.mergeCharFormat(fmt)
        self.moveCursor(QTextCursor.MoveOperation.Start)

    def clear_text(self) -> None:
        self.segments = []
        self.shown = ""
        self.setCurrentCharFormat(QTextCharFormat())
        self.setPlainText("")

    def select_shown(self, start: int, end: int) -> None:
        """Select characters of the shown text (Python indices), as a person would."""
        cursor = self.textCursor()
        cursor.setPosition(_utf16_length(self.shown[:start]))
        cursor.setPosition(_utf16_length(self.shown[:end]), QTextCursor.MoveMode.KeepAnchor)
        self.setTextCursor(cursor)

    def selected_original(self) -> tuple[int, int] | None:
        cursor = self.textCursor()
        if not cursor.hasSelection():
            return None
        start = _index_from_utf16(self.shown, cursor.selectionStart())
        end = _index_from_utf16(self.shown, cursor.selectionEnd())
        return original_range(self.segments, start, end)


def plain_label(text: str = "", *, wrap: bool = True) -> QLabel:
    """A label that shows text as it is (a name with ``<`` in it stays a name)."""
    label = QLabel()
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(wrap)
    label.setText(text)
    return label


__all__ = [
    "PasswordDisplay",
    "PreviewPane",
    "RedactionTextView",
    "Segment",
    "layout_segments",
    "original_range",
    "password_groups",
    "plain_label",
]
