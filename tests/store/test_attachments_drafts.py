"""Attachments kept encrypted inside the vault (type, size, SHA-256, a 25 MB limit,
verified on reading) and drafts that survive a lock or a crash."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from desktop_app.domain.records import MAX_ATTACHMENT_BYTES, MAX_NOTE_BYTES, Case, CaseDetails, NoteInput
from desktop_app.errors import UsageError, ValidationError, VaultDamaged
from desktop_app.services import case_records as records
from desktop_app.store.vault import CreatedVault, OpenVault

from ..conftest import PASSPHRASE

PHOTO = b"\xff\xd8\xff\xe0" + os.urandom(2048)


@pytest.fixture
def case(open_vault: OpenVault) -> Case:
    return records.create_case(open_vault, CaseDetails("C-001", "Jamie Example"))


def attachments_count(vault: OpenVault) -> int:
    value: int = vault.conn.execute("SELECT count(*) FROM attachment_contents").fetchone()[0]
    return value


# -- attachments -----------------------------------------------------------------------------


def test_an_attachment_keeps_type_size_and_hash_and_reads_back(open_vault: OpenVault, case: Case) -> None:
    saved = records.add_attachment(
        open_vault, case.id, filename="C:\\Users\\x\\bruise.jpg", data=PHOTO, description="Arm"
    )
    assert (saved.filename, saved.media_type, saved.size) == ("bruise.jpg", "image/jpeg", len(PHOTO))
    assert saved.sha256 == hashlib.sha256(PHOTO).hexdigest()
    assert saved.added_by == "Alex Practitioner" and not saved.in_error
    again, data = records.read_attachment(open_vault, saved.id)
    assert again == saved and data == PHOTO
    assert records.list_attachments(open_vault, case.id) == [saved]


def test_unknown_types_are_kept_as_bytes(open_vault: OpenVault, case: Case) -> None:
    saved = records.add_attachment(open_vault, case.id, filename="scan.weird", data=b"\x00\x01")
    assert saved.media_type == "application/octet-stream"


def test_an_attachment_at_the_limit_is_kept_and_one_byte_more_is_refused(open_vault: OpenVault, case: Case) -> None:
    big = bytes(MAX_ATTACHMENT_BYTES)
    assert records.add_attachment(open_vault, case.id, filename="scan.pdf", data=big).size == MAX_ATTACHMENT_BYTES
    with pytest.raises(ValidationError) as caught:
        records.add_attachment(open_vault, case.id, filename="bigger.pdf", data=big + b"\x00")
    assert "25 MB" in caught.value.message and "bigger.pdf" in caught.value.message
    assert "Nothing has been saved" in caught.value.advice
    assert attachments_count(open_vault) == 1


def test_an_oversized_file_is_refused_before_it_is_read(open_vault: OpenVault, case: Case, tmp_path: Path) -> None:
    huge = tmp_path / "video.mp4"
    with open(huge, "wb") as handle:
        handle.truncate(2 * 1024**3)  # sparse: 2 GB on paper, nothing on disk
    with pytest.raises(ValidationError, match="at most 25 MB"):
        records.add_attachment_file(open_vault, case.id, huge)
    assert attachments_count(open_vault) == 0


def test_a_file_is_added_from_disk(open_vault: OpenVault, case: Case, tmp_path: Path) -> None:
    letter = tmp_path / "letter from school.pdf"
    letter.write_bytes(b"%PDF-1.7 fictional")
    saved = records.add_attachment_file(open_vault, case.id, letter)
    assert (saved.filename, saved.media_type) == ("letter from school.pdf", "application/pdf")
    with pytest.raises(UsageError, match="could not be read"):
        records.add_attachment_file(open_vault, case.id, tmp_path / "missing.pdf")


@pytest.mark.parametrize(
    ("filename", "data", "field"),
    [("", b"x", "filename"), ("photo.jpg", b"", "data"), ("bad\x00name.jpg", b"x", "filename")],
)
def test_bad_attachments_are_refused(open_vault: OpenVault, case: Case, filename: str, data: bytes, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        records.add_attachment(open_vault, case.id, filename=filename, data=data)
    assert caught.value.field == field
    assert attachments_count(open_vault) == 0


def test_an_attachment_on_a_note_of_another_case_is_refused(open_vault: OpenVault, case: Case) -> None:
    other = records.create_case(open_vault, CaseDetails("C-002", "Robin Sample"))
    other_note = records.record_note(open_vault, other.id, NoteInput("2024-01-01", "Robin's note."))
    with pytest.raises(ValidationError):
        records.add_attachment(open_vault, case.id, filename="a.jpg", data=PHOTO, note_id=other_note.id)


def test_damaged_contents_are_reported_not_handed_over(open_vault: OpenVault, case: Case) -> None:
    saved = records.add_attachment(open_vault, case.id, filename="a.jpg", data=PHOTO)
    conn = open_vault.conn
    conn.execute("DROP TRIGGER attachment_contents_no_update")
    conn.execute("UPDATE attachment_contents SET data = ? WHERE attachment_id = ?", (b"tampered", saved.id))
    with pytest.raises(VaultDamaged, match="does not match the fingerprint"):
        records.read_attachment(open_vault, saved.id)


def test_attachments_cannot_be_changed_or_deleted(open_vault: OpenVault, case: Case) -> None:
    saved = records.add_attachment(open_vault, case.id, filename="a.jpg", data=PHOTO)
    for statement in (
        "DELETE FROM attachments",
        "DELETE FROM attachment_contents",
        "UPDATE attachment_contents SET data = x'00'",
        "UPDATE attachments SET filename = 'other.jpg'",
    ):
        with pytest.raises(Exception, match="cannot be"):
            open_vault.conn.execute(statement)
    assert records.read_attachment(open_vault, saved.id)[1] == PHOTO


def test_marking_an_attachment_in_error_needs_a_reason(open_vault: OpenVault, case: Case) -> None:
    saved = records.add_attachment(open_vault, case.id, filename="wrong-child.jpg", data=PHOTO)
    with pytest.raises(ValidationError):
        records.mark_attachment_in_error(open_vault, saved.id, reason=" ")
    marked = records.mark_attachment_in_error(open_vault, saved.id, reason="Photo of a different child")
    assert marked.in_error and marked.marked_reason == "Photo of a different child"
    with pytest.raises(UsageError):
        records.mark_attachment_in_error(open_vault, saved.id, reason="again")
    assert records.read_attachment(open_vault, saved.id)[1] == PHOTO  # still in the record
    [entry] = records.chronology_page(open_vault, case.id, kinds=["attachment"]).entries
    assert entry.flags == ("in_error",)


def test_no_attachment_bytes_reach_the_disk_in_plaintext(created_vault: CreatedVault, tmp_path: Path) -> None:
    vault = created_vault.vault
    case = records.create_case(vault, CaseDetails("C-001", "Jamie Example"))
    marker = b"PLAINTEXT-ATTACHMENT-MARKER-" + os.urandom(8).hex().encode()
    records.add_attachment(vault, case.id, filename="m.txt", data=marker * 10)
    vault.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for path in created_vault.folder.path.rglob("*"):
        if path.is_file():
            assert marker not in path.read_bytes(), path.name


# -- drafts ----------------------------------------------------------------------------------


def test_a_draft_is_kept_as_it_is_typed_and_overwritten(open_vault: OpenVault, case: Case) -> None:
    first = records.save_draft(open_vault, case_id=case.id, text="Jamie arr", fields={"category": "neglect"})
    second = records.save_draft(open_vault, draft_id=first.id, case_id=case.id, text="Jamie arrived hungry")
    assert second.id == first.id and second.text == "Jamie arrived hungry" and second.fields == {}
    assert second.created_at == first.created_at and second.updated_at >= first.updated_at
    assert records.list_drafts(open_vault) == [second]
    assert records.list_drafts(open_vault, case_id=case.id) == [second]


def _files_holding(folder: Path, marker: bytes) -> list[str]:
    return [p.name for p in folder.rglob("*") if p.is_file() and marker in p.read_bytes()]


def test_draft_text_never_reaches_the_disk_in_plain_text(created_vault: CreatedVault) -> None:
    """What is typed is saved every few seconds, before anyone chooses to keep it: it must
    be as encrypted as a saved note, in the database, its write-ahead log and anywhere else
    in the vault folder, while typing, after the log is folded in, and after a lock."""
    vault, folder = created_vault.vault, created_vault.folder.path
    case = records.create_case(vault, CaseDetails("C-001", "Jamie Example"))
    marker = "DRAFT-MARKER-" + os.urandom(8).hex()
    wide = marker.encode("utf-16-le")  # in case anything wrote it as UTF-16
    first = records.save_draft(vault, case_id=case.id, text=f"Jamie said {marker} at", fields={"who": marker})
    draft = records.save_draft(vault, draft_id=first.id, case_id=case.id, text=f"Jamie said {marker} at break")
    assert (folder / "vault.db-wal").exists()  # the autosave is in the log, not yet in the database
    assert _files_holding(folder, marker.encode()) == [] and _files_holding(folder, wide) == []
    vault.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert _files_holding(folder, marker.encode()) == [] and _files_holding(folder, wide) == []
    vault.close()
    assert _files_holding(folder, marker.encode()) == [] and _files_holding(folder, wide) == []
    again = created_vault.folder.unlock(PASSPHRASE)
    try:
        assert [d.text for d in records.list_drafts(again)] == [draft.text]  # and it was really saved
    finally:
        again.close()


def test_a_draft_survives_a_lock(created_vault: CreatedVault) -> None:
    vault = created_vault.vault
    case = records.create_case(vault, CaseDetails("C-001", "Jamie Example"))
    records.save_draft(vault, case_id=case.id, text="Half-written 😢 note", fields={"occurred_at": "2024-01-01T10:00"})
    vault.close()
    again = created_vault.folder.unlock(PASSPHRASE)
    try:
        [draft] = records.list_drafts(again)
        assert (draft.case_id, draft.text, draft.fields) == (
            case.id,
            "Half-written 😢 note",
            {"occurred_at": "2024-01-01T10:00"},
        )
    finally:
        again.close()


def test_saving_the_note_removes_its_draft(open_vault: OpenVault, case: Case) -> None:
    draft = records.save_draft(open_vault, case_id=case.id, text="Finished note.")
    records.record_note(open_vault, case.id, NoteInput("2024-01-01", draft.text), draft_id=draft.id)
    assert records.list_drafts(open_vault) == []


def test_a_refused_note_keeps_its_draft(open_vault: OpenVault, case: Case) -> None:
    draft = records.save_draft(open_vault, case_id=case.id, text="Pasted\x00text")
    assert records.list_drafts(open_vault)[0].text == "Pasted\x00text"  # drafts keep what was typed
    with pytest.raises(ValidationError):
        records.record_note(open_vault, case.id, NoteInput("2024-01-01", draft.text), draft_id=draft.id)
    assert records.list_drafts(open_vault) == [draft]


def test_an_amendment_draft_points_at_its_note(open_vault: OpenVault, case: Case) -> None:
    saved = records.record_note(open_vault, case.id, NoteInput("2024-01-01", "Original."))
    draft = records.save_draft(open_vault, case_id=case.id, note_id=saved.id, text="Corrected.", fields={"reason": "x"})
    assert draft.note_id == saved.id
    records.amend_note(open_vault, saved.id, NoteInput("2024-01-01", "Corrected."), reason="Typo", draft_id=draft.id)
    assert records.list_drafts(open_vault) == []


def test_discarding_a_draft(open_vault: OpenVault, case: Case) -> None:
    draft = records.save_draft(open_vault, text="Not needed", case_id=case.id)
    records.discard_draft(open_vault, draft.id)
    records.discard_draft(open_vault, draft.id)  # twice is harmless (two windows)
    assert records.list_drafts(open_vault) == []
    # Saving over a discarded draft starts a new one rather than losing the text.
    revived = records.save_draft(open_vault, draft_id=draft.id, text="Typed after discard", case_id=case.id)
    assert records.list_drafts(open_vault) == [revived]


def test_an_oversized_draft_is_refused_clearly(open_vault: OpenVault, case: Case) -> None:
    with pytest.raises(ValidationError, match="longer than a note can be"):
        records.save_draft(open_vault, text="x" * (MAX_NOTE_BYTES + 1))
    assert records.list_drafts(open_vault) == []


def test_a_draft_with_a_lone_surrogate_is_kept_readable(open_vault: OpenVault) -> None:
    draft = records.save_draft(open_vault, text="half an emoji \ud83d")
    assert records.list_drafts(open_vault)[0].text == draft.text == "half an emoji ?"
