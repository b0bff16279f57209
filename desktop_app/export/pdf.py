"""The share packet as a PDF, rendered and encrypted entirely in memory.

Why in memory: a packet is the most sensitive thing the application produces, and a
temporary file is plaintext on disk that outlives the export (recovery tools, backups of
the temp folder, a crash before clean-up). So the layout is a ``QTextDocument`` built
from escaped HTML, the PDF is painted by ``QPdfWriter`` into a ``QBuffer``, and pypdf
encrypts those bytes with AES-256 (PDF 2.0 security handler, /V 5 /R 6), again in
memory. Nothing touches the disk until the caller saves the finished, encrypted bytes.

Why one painting routine for the PDF and the preview: this Qt build has no QtPdf module
to rasterise a PDF, and a preview drawn by different code could differ from what is
sent. ``_paint_pages`` paints every page (header with the protective marking, the body,
footer with "Page N of M" and the marking) onto any paint device; the PDF writer and a
``QImage`` per page are just two devices. The layout is made once, at a fixed 72 dots
per inch (one layout unit = one PostScript point), and each device scales it, so page
breaks are identical at every preview zoom and in the PDF, on every machine.

Text is drawn as text (Qt embeds font subsets with Unicode maps), so the recipient can
select, search and copy it, and screen readers can read it.
"""

from __future__ import annotations

import html
import io
import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from pypdf import PdfReader, PdfWriter
from PySide6.QtCore import QBuffer, QByteArray, QCoreApplication, QIODevice, QMarginsF, QRectF, QSizeF, Qt
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QColor,
    QFont,
    QGuiApplication,
    QImage,
    QPagedPaintDevice,
    QPageLayout,
    QPageSize,
    QPaintDevice,
    QPainter,
    QPdfWriter,
    QTextDocument,
)

from desktop_app.domain.share_packet import SharePacket, format_utc
from desktop_app.domain.share_password import MIN_LENGTH, WeakSharePassword, check_password, generate_password
from desktop_app.errors import CaseNotesError

__all__ = [
    "MIN_LENGTH",
    "WeakSharePassword",
    "check_password",
    "ensure_gui_app",
    "generate_password",
    "packet_html",
    "page_count",
    "paint_pages",
    "render_pdf",
    "render_preview_pages",
    "write_encrypted_pdf",
]

# A4 in points (1/72 inch), and the layout: a header band and a footer band for the
# protective marking and page numbers, the body in between.
LAYOUT_DPI = 72.0
PAGE_WIDTH = 595.2756
PAGE_HEIGHT = 841.8898
MARGIN_X = 56.69  # 20 mm
BODY_TOP = 70.87  # 25 mm
BODY_BOTTOM = 70.87
HEADER_TOP = 22.68  # 8 mm
FOOTER_TOP = PAGE_HEIGHT - 51.0
BODY_WIDTH = PAGE_WIDTH - 2 * MARGIN_X
BODY_HEIGHT = PAGE_HEIGHT - BODY_TOP - BODY_BOTTOM
PDF_RESOLUTION = 300
FONT_FAMILIES = ["DejaVu Sans", "Segoe UI", "Noto Sans", "Liberation Sans", "Arial", "Helvetica"]
FONT_POINTS = 10.0
PDF_TITLE = "Share packet"
CREATOR = "Safeguarding Case Notes"

_STYLE = """
h1 { font-size: 15pt; font-weight: bold; margin-top: 6px; margin-bottom: 8px; }
h2 { font-size: 12pt; font-weight: bold; margin-top: 16px; margin-bottom: 4px; }
h3 { font-size: 10.5pt; font-weight: bold; margin-top: 12px; margin-bottom: 2px; }
p { margin-top: 0; margin-bottom: 5px; }
table { margin-bottom: 4px; }
td { padding: 1pt 6pt 1pt 0; vertical-align: top; }
td.label { font-weight: bold; }
th { text-align: left; padding: 2pt 6pt 2pt 0; }
.marking { font-weight: bold; }
.meta { color: #333333; }
"""



_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufffe\uffff]")
_gui_app: QGuiApplication | None = None


class PdfRenderError(CaseNotesError):
    """Qt could not produce the PDF (no GUI application, no fonts, out of memory)."""

    default_advice = "Nothing was written. Try again; if it keeps happening, ask IT to check the installation."


def ensure_gui_app() -> QGuiApplication:
    """The running QGuiApplication, or a new offscreen one for the command line.

    QTextDocument and QPdfWriter need one (fonts come from it). The desktop app and the
    tests already have a QApplication, which is used as it is; a command-line process gets
    an offscreen one, so exporting works on a server or over SSH with no display.
    """
    global _gui_app
    existing = QCoreApplication.instance()
    if isinstance(existing, QGuiApplication):
        return existing
    if existing is not None:
        raise PdfRenderError("The PDF cannot be drawn from a process without graphics support.")
    _gui_app = QGuiApplication(["casenotes", "-platform", "offscreen"])
    return _gui_app


def _text(value: str) -> str:
    """Escaped for HTML, control characters made visible, line breaks kept."""
    cleaned = _CONTROL.sub("\ufffd", value.replace("\r\n", "\n").replace("\r", "\n"))
    return html.escape(cleaned, quote=True).replace("\n", "<br/>")


def _when(moment_text: str) -> str:
    return moment_text.replace("T", " ").replace("Z", " UTC")


def _row(label: str, value: str) -> str:
    return f'<tr><td class="label" width="30%">{_text(label)}</td><td>{_text(value) if value else "—"}</td></tr>'


def packet_html(packet: SharePacket) -> str:
    """The body of the packet as HTML. Every value is escaped: a note that contains
    ``<b>`` or ``<img src=…>`` is shown as those characters, never interpreted."""
    d = packet.decision
    r = packet.recipient
    parts = [
        "<html><body>",
        f'<p class="marking">{_text(packet.protective_marking)}</p>',
        # A packet outside a decision (a subject access export) must not claim one.
        "<h1>Safeguarding information shared under a recorded decision</h1>"
        if d.decision_id
        else "<h1>Safeguarding information</h1>",
        '<table width="100%" cellspacing="0">',
        _row("Case reference", packet.case.reference),
        _row("Packet", packet.packet_id),
        _row("Prepared", _when(format_utc(packet.created_at))),
        _row("From", ", ".join(x for x in (packet.sender.name, packet.sender.organisation) if x)),
        "</table>",
        "<h2>Shared with</h2>",
        '<table width="100%" cellspacing="0">',
        _row("Organisation", r.organisation),
        _row("Person", r.person),
        _row("Role", r.role),
        _row("Contact", r.contact),
        _row("Secure route", r.secure_route),
        "</table>",
        "<h2>Decision to share</h2>" if d.decision_id else "<h2>Why it is shared</h2>",
        '<table width="100%" cellspacing="0">',
        _row("Decision", d.decision_id or "not recorded as a decision"),
        _row("Purpose", d.purpose),
        _row("Lawful basis", "\n".join(d.lawful_bases)),
        _row("Article 9 condition", d.article_9_condition or "not applicable"),
        _row("Decided by", d.decided_by),
        _row("Decided", _when(format_utc(d.decided_at))),
    ]
    if d.recommendation:
        parts.append(_row("Recommendation", d.recommendation))
    if d.final_decision:
        parts.append(_row("Decision made", d.final_decision))
    parts.append("</table>")
    parts.append("<h2>The child or young person</h2>")
    parts.append('<table width="100%" cellspacing="0">')
    parts.append(_row("Case reference", packet.case.reference))
    parts.extend(_row(f.label, f.value) for f in packet.case.fields)
    parts.append("</table>")
    if packet.people:
        parts.append("<h2>People mentioned</h2>")
        parts.append('<table width="100%" cellspacing="0"><tr><th>Role</th><th>Name</th></tr>')
        parts.extend(f"<tr><td>{_text(p.role)}</td><td>{_text(p.display_name)}</td></tr>" for p in packet.people)
        parts.append("</table>")
    parts.append(f"<h2>Records shared ({len(packet.notes)})</h2>")
    if not packet.notes:
        parts.append("<p>No case notes are included in this packet.</p>")
    for note in packet.notes:
        parts.append(f"<h3>{_text(_when(format_utc(note.occurred_at)))} — {_text(note.category or 'Note')}</h3>")
        meta = [
            f"Note {note.note_id}",
            f"recorded {_when(format_utc(note.recorded_at))} by {note.author}",
        ]
        if note.source:
            meta.append(f"source: {note.source}")
        parts.append(f'<p class="meta">{_text("; ".join(meta))}</p>')
        parts.append(f"<p>{_text(note.text)}</p>")
    parts.append(
        f'<p class="marking">{_text(packet.protective_marking)} — end of packet {_text(packet.packet_id)}.</p>'
    )
    parts.append(
        "<p>Keep this information secure, share it further only with people who have a role in "
        "safeguarding the child, and tell the sender if any of it turns out to be inaccurate.</p>"
    )
    parts.append("</body></html>")
    return "".join(parts)


@dataclass
class _Layout:
    """A laid-out packet: the body document paginated at 72 dpi, ready to paint."""

    packet: SharePacket
    body: QTextDocument
    device: QImage  # the 72-dpi reference device fonts are measured against
    pages: int


def _reference_device() -> QImage:
    image = QImage(1, 1, QImage.Format.Format_RGB32)
    dots_per_metre = round(LAYOUT_DPI / 0.0254)
    image.setDotsPerMeterX(dots_per_metre)
    image.setDotsPerMeterY(dots_per_metre)
    return image


def _document(html_text: str, device: QImage, width: float) -> QTextDocument:
    doc = QTextDocument()
    doc.documentLayout().setPaintDevice(device)
    font = QFont()
    font.setFamilies(FONT_FAMILIES)
    font.setPointSizeF(FONT_POINTS)
    # No ligatures: with them "file" is drawn with one "ﬁ" glyph and a recipient who
    # copies or searches the text finds "ﬁle", not "file".
    for tag in ("liga", "clig", "dlig"):
        font.setFeature(QFont.Tag(tag), 0)
    doc.setDefaultFont(font)
    doc.setDefaultStyleSheet(_STYLE)
    doc.setDocumentMargin(0)
    doc.setUndoRedoEnabled(False)
    doc.setHtml(html_text)
    doc.setTextWidth(width)
    return doc


def _layout(packet: SharePacket) -> _Layout:
    ensure_gui_app()
    device = _reference_device()
    body = _document(packet_html(packet), device, BODY_WIDTH)
    body.setPageSize(QSizeF(BODY_WIDTH, BODY_HEIGHT))
    return _Layout(packet, body, device, max(1, body.pageCount()))


def _band(layout: _Layout, left: str, right: str) -> QTextDocument:
    html_text = (
        '<table width="100%" cellspacing="0"><tr>'
        f'<td style="font-size: 8pt;">{left}</td>'
        f'<td align="right" style="font-size: 8pt;">{right}</td>'
        "</tr></table>"
    )
    return _document(html_text, layout.device, BODY_WIDTH)


def _paint_page(painter: QPainter, layout: _Layout, index: int, scale: float) -> None:
    """Paint page ``index`` (0-based) in layout units onto a painter scaled to its device."""
    packet = layout.packet
    marking = f'<span class="marking"><b>{_text(packet.protective_marking)}</b></span>'
    painter.save()
    painter.scale(scale, scale)

    header = _band(layout, marking, f"Case {_text(packet.case.reference)}")
    painter.save()
    painter.translate(MARGIN_X, HEADER_TOP)
    header.drawContents(painter)
    painter.restore()

    painter.save()
    painter.setPen(QColor("#555555"))
    painter.drawLine(
        QRectF(MARGIN_X, BODY_TOP - 10, BODY_WIDTH, 0).topLeft(),
        QRectF(MARGIN_X, BODY_TOP - 10, BODY_WIDTH, 0).topRight(),
    )
    painter.restore()

    painter.save()
    painter.translate(MARGIN_X, BODY_TOP - index * BODY_HEIGHT)
    clip = QRectF(0, index * BODY_HEIGHT, BODY_WIDTH, BODY_HEIGHT)
    painter.setClipRect(clip)
    context = QAbstractTextDocumentLayout.PaintContext()
    context.clip = clip
    layout.body.documentLayout().draw(painter, context)
    painter.restore()

    footer = _band(layout, marking, f"Page {index + 1} of {layout.pages}")
    painter.save()
    painter.translate(MARGIN_X, FOOTER_TOP)
    footer.drawContents(painter)
    painter.restore()
    painter.restore()


def _paint_pages(layout: _Layout, device: QPaintDevice, new_page: Callable[[], bool] | None) -> None:
    painter = QPainter()
    if not painter.begin(device):
        raise PdfRenderError("The packet could not be drawn.")
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        scale = device.logicalDpiX() / LAYOUT_DPI
        for index in range(layout.pages):
            if index and new_page is not None and not new_page():
                raise PdfRenderError("The PDF could not start a new page.")
            _paint_page(painter, layout, index, scale)
    finally:
        painter.end()


def paint_pages(packet: SharePacket, device: QPagedPaintDevice) -> int:
    """Paint every page onto a paged device (a QPdfWriter, or a QPrinter for printing) and
    return the page count. Give the device an A4 page layout with zero margins first, as
    ``render_pdf`` does: the pages carry their own margins."""
    layout = _layout(packet)
    _paint_pages(layout, device, device.newPage)
    return layout.pages


def page_count(packet: SharePacket) -> int:
    """How many A4 pages the packet takes (the same in the PDF and the preview)."""
    return _layout(packet).pages


def render_preview_pages(packet: SharePacket, dpi: float = 96.0) -> list[QImage]:
    """Each page as an A4 QImage at ``dpi``, painted by the code that paints the PDF.

    The images live only in memory; the preview shows them and drops them.
    """
    if not 24 <= dpi <= 600:
        raise ValueError("preview resolution must be between 24 and 600 dpi")
    layout = _layout(packet)
    width = round(PAGE_WIDTH * dpi / LAYOUT_DPI)
    height = round(PAGE_HEIGHT * dpi / LAYOUT_DPI)
    dots_per_metre = round(dpi / 0.0254)
    images: list[QImage] = []
    for index in range(layout.pages):
        image = QImage(width, height, QImage.Format.Format_RGB32)
        image.setDotsPerMeterX(dots_per_metre)
        image.setDotsPerMeterY(dots_per_metre)
        image.fill(Qt.GlobalColor.white)
        painter = QPainter(image)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
            _paint_page(painter, layout, index, image.logicalDpiX() / LAYOUT_DPI)
        finally:
            painter.end()
        images.append(image)
    return images


@contextmanager
def _memory_device() -> Iterator[tuple[QBuffer, QByteArray]]:
    data = QByteArray()
    buffer = QBuffer(data)
    if not buffer.open(QIODevice.OpenModeFlag.WriteOnly):
        raise PdfRenderError("Memory for the PDF could not be set aside.")
    try:
        yield buffer, data
    finally:
        buffer.close()


def render_pdf(packet: SharePacket) -> bytes:
    """The packet as an *unencrypted* PDF, in memory. Only for places that encrypt it
    themselves (the age bundle); anything handed to a person goes through
    ``write_encrypted_pdf``."""
    layout = _layout(packet)
    with _memory_device() as (buffer, data):
        writer = QPdfWriter(buffer)
        writer.setResolution(PDF_RESOLUTION)
        writer.setPageLayout(
            QPageLayout(
                QPageSize(QPageSize.PageSizeId.A4),
                QPageLayout.Orientation.Portrait,
                QMarginsF(0, 0, 0, 0),
            )
        )
        writer.setTitle(PDF_TITLE)  # never a name: the title shows in file lists and tabs
        writer.setCreator(CREATOR)
        _paint_pages(layout, writer, writer.newPage)
        del writer  # finishes the PDF into the buffer
        raw = bytes(data.data())
    if not raw.startswith(b"%PDF-"):
        raise PdfRenderError("The PDF could not be produced.")
    return raw


def encrypt_pdf(raw_pdf: bytes, password: str) -> bytes:
    """AES-256 (PDF 2.0, /V 5 /R 6) with ``password`` to open; in memory.

    The owner password (needed to change permissions) is random and thrown away: nobody
    needs it, and a guessable one would let the protections be lifted. Printing and
    copying text stay allowed, because the recipient has to work with the information.
    """
    check_password(password)
    reader = PdfReader(io.BytesIO(raw_pdf))
    writer = PdfWriter(clone_from=reader)
    writer.add_metadata({"/Title": PDF_TITLE, "/Creator": CREATOR, "/Producer": CREATOR})
    writer.encrypt(
        user_password=password,
        owner_password=secrets.token_urlsafe(32),
        algorithm="AES-256",
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def write_encrypted_pdf(packet: SharePacket, password: str) -> bytes:
    """The packet as a password-protected PDF any reader opens (AES-256). Refuses a
    password shorter than 12 characters before drawing anything."""
    check_password(password)
    return encrypt_pdf(render_pdf(packet), password)
