"""The packet PDF: drawn in memory, AES-256 encrypted, text extractable, no protected name
in it, the preview painted by the same code, and no file written anywhere."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pyrage
import pytest
from pypdf import PdfReader
from pypdf.errors import FileNotDecryptedError

from desktop_app.domain.share_packet import NoteEntry, SharePacket
from desktop_app.export import pdf
from desktop_app.export.pdf import (
    WeakSharePassword,
    ensure_gui_app,
    generate_password,
    page_count,
    render_preview_pages,
    write_encrypted_pdf,
)

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
PASSWORD = "7K3Q-XH2M-9TDA"


def _text(data: bytes, password: str = PASSWORD) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(data))
    assert reader.decrypt(password)
    text = " ".join(page.extract_text() for page in reader.pages)
    return reader, " ".join(text.split())


def test_encrypted_with_aes_256_and_opens_with_its_password(qapp: object, packet: SharePacket) -> None:
    data = write_encrypted_pdf(packet, PASSWORD)
    assert data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(data))
    assert reader.is_encrypted
    encrypt = reader.trailer["/Encrypt"].get_object()
    assert (encrypt["/V"], encrypt["/R"]) == (5, 6)  # AES-256, PDF 2.0 security handler
    assert encrypt["/CF"]["/StdCF"]["/CFM"] == "/AESV3"
    with pytest.raises(FileNotDecryptedError):
        _ = reader.pages[0].extract_text()
    assert reader.decrypt("wrong password!") == 0
    assert reader.decrypt(PASSWORD) != 0
    # Nothing readable without the password: no case reference, no note text in the bytes.
    assert b"CASE-2026-0042" not in data and b"Neighbour" not in data and b"Tom" not in data


def test_text_holds_what_was_selected_and_none_of_the_redacted_names(
    qapp: object, packet: SharePacket, secret_words: tuple[str, ...]
) -> None:
    _, text = _text(write_encrypted_pdf(packet, PASSWORD))
    for expected in (
        "CASE-2026-0042",
        "OFFICIAL-SENSITIVE",
        "Refer concerns about Tom's safety at home to the MASH",
        "UK GDPR Article 6(1)(e) public task",
        "DPA 2018 Schedule 1 paragraph 18",
        "Alex Practitioner (DSL)",
        "2026-03-05 09:30:00 UTC",
        "Children's Services MASH",
        "Sam Rivers",
        "Secure email (Egress)",
        "Bruise on Tom's left forearm",
        "Neighbour A",
        "Neighbour B",
        "Parent A",
        "[redacted]",
        "Annex room",  # "Anne" was never a partial hit
        "Page 1 of",
        packet.packet_id,
    ):
        assert expected in text, expected
    assert not re.search("[\ufb00-\ufb06]", text), "ligature glyphs would spoil copying and searching"
    folded = text.casefold()
    for word in (*secret_words, "kitchen window", "22:00"):
        assert word.casefold() not in folded, word


def test_the_unredacted_packet_would_have_shown_the_names(
    qapp: object, make_raw_packet: Callable[..., SharePacket]
) -> None:
    # The check above is only meaningful if the names reach the PDF when not redacted.
    _, text = _text(write_encrypted_pdf(make_raw_packet(), PASSWORD))
    assert "Thistlewood" in text and "Kowalski" in text


def test_markup_in_a_note_is_shown_not_interpreted(qapp: object, make_raw_packet: Callable[..., SharePacket]) -> None:
    hostile = '<b>bold</b> <img src="file:///etc/passwd"> &amp; <a href="x">link</a>\u202e\x00\x07 done'
    note = NoteEntry("X", T0, T0, "Alex", "Other", "Test", hostile)
    _, text = _text(write_encrypted_pdf(make_raw_packet(notes=[note]), PASSWORD))
    assert '<b>bold</b> <img src="file:///etc/passwd"> &amp; <a href="x">link</a>' in text
    assert "done" in text


def test_preview_pages_are_a4_and_match_the_pdf(qapp: object, make_packet: Callable[..., SharePacket]) -> None:
    packet = make_packet(notes=40)
    pages = render_preview_pages(packet, dpi=60)
    reader, text = _text(write_encrypted_pdf(packet, PASSWORD))
    assert len(pages) == len(reader.pages) == page_count(packet) > 1
    assert f"Page {len(pages)} of {len(pages)}" in text
    for image in pages:
        assert not image.isNull()
        assert abs(image.width() / image.height() - 210 / 297) < 0.005
        assert round(image.width() / 60 * 25.4) == 210
    # The pages are drawn, not blank: some pixels are dark.
    first = pages[0]
    dark = sum(
        1
        for y in range(0, first.height(), 7)
        for x in range(0, first.width(), 7)
        if first.pixelColor(x, y).value() < 128
    )
    assert dark > 50
    # PDF pages are A4 too (in points).
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)


def test_preview_resolution_changes_size_not_pagination(qapp: object, packet: SharePacket) -> None:
    low, high = render_preview_pages(packet, 40), render_preview_pages(packet, 150)
    assert len(low) == len(high)
    assert high[0].width() > 3 * low[0].width()


def test_nothing_is_written_to_disk_while_exporting_or_previewing(
    qapp: object, make_packet: Callable[..., SharePacket], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A private temp folder (Qt and Python both honour TMPDIR) and an empty working
    # directory, so other processes' files cannot confuse the comparison.
    private_tmp = tmp_path / "tmp"
    work = tmp_path / "work"
    private_tmp.mkdir()
    work.mkdir()
    monkeypatch.setenv("TMPDIR", str(private_tmp))
    monkeypatch.setattr(tempfile, "tempdir", None)
    monkeypatch.chdir(work)
    assert tempfile.gettempdir() == str(private_tmp)

    def listing() -> set[str]:
        return {str(p) for root in (private_tmp, work) for p in root.rglob("*")}

    before = listing()
    packet = make_packet(notes=12)
    data = write_encrypted_pdf(packet, generate_password())
    pages = render_preview_pages(packet, 72)
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from desktop_app.export.bundle import bundle_tar, write_bundle

    signer = Ed25519PrivateKey.generate()
    tar, _ = bundle_tar(packet, signer)
    # The age step too (pyrage, in Rust, which would honour TMPDIR as well), for a key and
    # for a passphrase, with the PDF drawn inside write_bundle.
    recipient = str(pyrage.x25519.Identity.generate().to_public())
    for_key = write_bundle(packet, signer, recipient=recipient)
    for_passphrase = write_bundle(packet, signer, passphrase=generate_password())
    assert data and pages and tar and for_key.data and for_passphrase.data
    assert listing() == before


def test_a_short_password_is_refused_before_anything_is_drawn(
    qapp: object, packet: SharePacket, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn: list[object] = []
    monkeypatch.setattr(pdf, "render_pdf", lambda p: drawn.append(p) or b"")
    with pytest.raises(WeakSharePassword, match="at least 12"):
        write_encrypted_pdf(packet, "short-pass")
    with pytest.raises(WeakSharePassword):
        write_encrypted_pdf(packet, " " * 20)
    assert drawn == []


def test_generated_passwords_are_easy_to_read_out() -> None:
    seen = {generate_password() for _ in range(200)}
    assert len(seen) == 200
    for password in seen:
        assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){4}", password)
        assert len(password) >= 12


def test_the_running_application_is_used(qapp: object) -> None:
    assert ensure_gui_app() is qapp


def test_the_command_line_gets_an_offscreen_application() -> None:
    """With no application and no QT_QPA_PLATFORM (a plain terminal, or SSH), exporting
    still works: ensure_gui_app makes an offscreen one."""
    script = (
        "import sys; sys.path.insert(0, 'tests/export');"
        "from conftest import redacted_packet;"
        "from desktop_app.export.pdf import write_encrypted_pdf;"
        "from PySide6.QtGui import QGuiApplication;"
        "data = write_encrypted_pdf(redacted_packet(), 'ABCD-EFGH-JKMN');"
        "print(QGuiApplication.platformName(), data[:5].decode())"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")}
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        cwd=Path(__file__).parents[2],
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["offscreen", "%PDF-"]


def test_paint_pages_onto_any_paged_device(qapp: object, packet: SharePacket) -> None:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF
    from PySide6.QtGui import QPageLayout, QPageSize, QPdfWriter

    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setPageLayout(
        QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait, QMarginsF(0, 0, 0, 0))
    )
    pages = pdf.paint_pages(packet, writer)
    del writer
    buffer.close()
    assert pages == page_count(packet)
    assert len(PdfReader(io.BytesIO(bytes(data.data()))).pages) == pages


def test_a_large_export_does_not_drain_the_reference_count_of_none(
    qapp: object, make_packet: Callable[..., SharePacket]
) -> None:
    """PYSIDE-3474: PySide6 6.12.0 drops a reference to None on every void Qt call; on
    Python 3.11 a large packet would abort the interpreter. The drawing entry points
    give the references back."""
    packet = make_packet(notes=150)
    before = sys.getrefcount(None)
    write_encrypted_pdf(packet, PASSWORD)
    render_preview_pages(packet, 30)
    assert sys.getrefcount(None) >= before


def test_a_thousand_note_export_exits_cleanly_from_the_command_line() -> None:
    script = (
        "import sys; sys.path.insert(0, 'tests/export');"
        "from conftest import redacted_packet;"
        "from desktop_app.export.pdf import write_encrypted_pdf;"
        "print(len(write_encrypted_pdf(redacted_packet(notes=1000), 'ABCD-EFGH-JKMN')) > 0)"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        timeout=90,
        cwd=Path(__file__).parents[2],
    )
    assert (result.returncode, result.stdout.strip()) == (0, "True"), result.stderr[-2000:]
