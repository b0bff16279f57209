"""The audit trail for case records: every create, amend, mark, attachment and import
appends an event in the same transaction, with ids and fingerprints but never note text
or names; editing an event with raw SQL breaks the hash chain at that event."""

from __future__ import annotations

import hashlib
import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from desktop_app import cli
from desktop_app.domain.records import CaseDetails, NoteInput, PersonDetails
from desktop_app.errors import EXIT_DAMAGED, ValidationError
from desktop_app.services import case_records as records
from desktop_app.services import importer
from desktop_app.store import audit
from desktop_app.store.vault import CreatedVault, OpenVault

from ..conftest import PASSPHRASE

SECRET_TEXT = "Jamie said the man at the flat hurt him"
CHILD = "Jamie Zyxwvut"
NEIGHBOUR = "Morgan Qwertyish"


def events(vault: OpenVault, after: int = 0) -> list[dict[str, Any]]:
    return [e for e in reversed(audit.recent_events(vault.conn, limit=10_000)) if e["id"] > after]


def last_id(vault: OpenVault) -> int:
    value: int = vault.conn.execute("SELECT max(id) FROM audit_events").fetchone()[0]
    return value


def test_every_change_appends_an_event_without_text_or_names(open_vault: OpenVault) -> None:
    start = last_id(open_vault)
    case = records.create_case(open_vault, CaseDetails("C-001", CHILD))
    person = records.add_person(
        open_vault, case.id, PersonDetails(NEIGHBOUR, "Neighbour", protect_identity=True, protect_reason="Reprisal")
    )
    saved = records.record_note(open_vault, case.id, NoteInput("2024-01-02T10:00", SECRET_TEXT))
    records.amend_note(open_vault, saved.id, NoteInput("2024-01-02T10:00", SECRET_TEXT + " badly"), reason="Detail")
    attachment = records.add_attachment(open_vault, case.id, filename="photo.jpg", data=b"\xff\xd8 fictional")
    records.mark_attachment_in_error(open_vault, attachment.id, reason="Wrong photo")
    records.mark_note_in_error(open_vault, saved.id, reason="Wrong child")
    records.update_person(open_vault, person.id, PersonDetails(NEIGHBOUR, "Neighbour"))
    records.update_case(
        open_vault, case.id, CaseDetails("C-001", CHILD, key_worker="Sam Lead"), reason="Caseload moved to Sam"
    )
    records.close_case(open_vault, case.id, reason="Moved away")
    records.reopen_case(open_vault, case.id, reason="Came back")
    records.save_draft(open_vault, text="drafts are not audited", case_id=case.id)

    trail = events(open_vault, after=start)
    assert [(e["action"], e["subject_type"]) for e in trail] == [
        ("case.created", "case"),
        ("person.added", "person"),
        ("note.recorded", "note"),
        ("note.amended", "note"),
        ("attachment.added", "attachment"),
        ("attachment.marked_in_error", "attachment"),
        ("note.marked_in_error", "note"),
        ("person.updated", "person"),
        ("case.updated", "case"),
        ("case.closed", "case"),
        ("case.reopened", "case"),
    ]
    assert all(e["actor"] == "Alex Practitioner" for e in trail)
    recorded, amended = trail[2], trail[3]
    assert recorded["subject_id"] == str(saved.id)
    assert recorded["details"]["text_sha256"] == hashlib.sha256(SECRET_TEXT.encode()).hexdigest()
    assert amended["details"]["revision"] == 2 and amended["details"]["fields"] == ["text"]
    [change] = records.case_detail_history(open_vault, case.id)
    assert trail[8]["details"] == {
        "fields": ["key_worker"],
        "change_id": change.id,
        "reason_sha256": hashlib.sha256(b"Caseload moved to Sam").hexdigest(),
    }
    stored = open_vault.conn.execute("SELECT group_concat(details, ' ') FROM audit_events").fetchone()[0]
    for secret in (
        SECRET_TEXT,
        "Jamie",
        "Zyxwvut",
        "Qwertyish",
        "Reprisal",
        "Wrong child",
        "Moved away",
        "drafts",
        "Sam Lead",
        "Caseload",
    ):
        assert secret not in stored
    assert audit.verify_chain(open_vault.conn).ok


def test_a_refused_change_leaves_no_event(open_vault: OpenVault) -> None:
    case = records.create_case(open_vault, CaseDetails("C-001", CHILD))
    before = last_id(open_vault)
    with pytest.raises(ValidationError):
        records.record_note(open_vault, case.id, NoteInput("2024-01-02", "x\x00"))
    saved = records.record_note(open_vault, case.id, NoteInput("2024-01-02", "fine"))
    with pytest.raises(ValidationError):
        records.amend_note(open_vault, saved.id, NoteInput("2024-01-02", "changed"), reason="")
    assert [e["action"] for e in events(open_vault, after=before)] == ["note.recorded"]


def test_an_import_is_audited_record_by_record_and_as_a_whole(open_vault: OpenVault) -> None:
    before = last_id(open_vault)
    data = {
        "cases": [
            {
                "reference": "IMP-1",
                "subject": {"name": CHILD, "date_of_birth": "2015-01-01"},
                "people": [{"name": NEIGHBOUR, "relationship": "Neighbour", "protect_identity": False}],
                "notes": [{"occurred_at": "2024-01-02T10:00:00Z", "author": "Old System", "text": SECRET_TEXT}],
            }
        ]
    }
    summary = importer.import_data(open_vault, data, file_sha256="ab" * 32)
    trail = events(open_vault, after=before)
    assert [e["action"] for e in trail] == ["case.created", "person.added", "note.recorded", "import.completed"]
    assert trail[2]["details"]["via"] == "import"
    assert trail[3]["details"] == {"cases": 1, "people": 1, "notes": 1, "file_sha256": "ab" * 32}
    assert summary.notes == 1


def test_editing_an_event_with_raw_sql_breaks_the_chain_at_that_event(open_vault: OpenVault) -> None:
    case = records.create_case(open_vault, CaseDetails("C-001", CHILD))
    saved = records.record_note(open_vault, case.id, NoteInput("2024-01-02T10:00", SECRET_TEXT))
    records.record_note(open_vault, case.id, NoteInput("2024-01-03T10:00", "A later note."))
    assert audit.verify_chain(open_vault.conn).ok
    target = next(e for e in events(open_vault) if e["action"] == "note.recorded" and e["subject_id"] == str(saved.id))

    conn = open_vault.conn
    with pytest.raises(Exception, match="append-only"):
        conn.execute("UPDATE audit_events SET actor = 'Someone Else' WHERE id = ?", (target["id"],))
    conn.execute("DROP TRIGGER audit_events_no_update")  # what a determined editor would do first
    forged = json.dumps({**target["details"], "category": "neglect"}, sort_keys=True, separators=(",", ":"))
    conn.execute("UPDATE audit_events SET details = ? WHERE id = ?", (forged, target["id"]))

    report = audit.verify_chain(conn)
    assert not report.ok
    assert report.first_broken_id == target["id"]
    assert f"audit event {target['id']} has been altered" in report.problem
    assert report.events == last_id(open_vault)  # every event counted, not only those before the break


def _check(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSPHRASE + "\n"))
    code = cli.main(["check", *args, "--passphrase-stdin"])
    out, err = capsys.readouterr()
    return code, out, err


def test_casenotes_check_names_the_first_event_edited_with_raw_sql(
    created_vault: CreatedVault, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    vault = created_vault.vault
    case = records.create_case(vault, CaseDetails("C-001", CHILD))
    saved = records.record_note(vault, case.id, NoteInput("2024-01-02T10:00", SECRET_TEXT))
    records.record_note(vault, case.id, NoteInput("2024-01-03T10:00", "A later note."))
    target = next(e for e in events(vault) if e["action"] == "note.recorded" and e["subject_id"] == str(saved.id))
    vault.conn.execute("DROP TRIGGER audit_events_no_update")
    vault.conn.execute("UPDATE audit_events SET actor = 'Someone Else' WHERE id = ?", (target["id"],))
    total = last_id(vault)
    assert target["id"] < total  # events after the edited one, which must still be counted
    folder = created_vault.folder.path
    created_vault.vault.close()  # appends "vault.locked": one more event after the break
    created_vault.folder.release()
    total += 1

    # Checking opens the vault, which appends "vault.unlocked" (then "vault.locked" on
    # closing): each check counts one more event than there was, and leaves two more.
    code, out, err = _check(monkeypatch, capsys, "--vault", str(folder))
    assert code == EXIT_DAMAGED == 3
    assert f"audit trail:        {total + 1} events, BROKEN at event {target['id']}" in out
    assert f"problem: The audit trail is broken: audit event {target['id']} has been altered." in out
    assert "restore a backup" in out
    assert SECRET_TEXT not in out + err

    code, out, _ = _check(monkeypatch, capsys, "--vault", str(folder), "--json")
    assert code == 3
    report = json.loads(out)
    assert report["audit_chain"] == {"ok": False, "events": total + 3, "first_broken_id": target["id"]}
    assert report["ok"] is False
    assert any(f"audit event {target['id']} has been altered" in p for p in report["problems"])


def test_casenotes_check_passes_an_intact_vault(
    created_vault: CreatedVault, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    records.create_case(created_vault.vault, CaseDetails("C-001", CHILD))
    folder: Path = created_vault.folder.path
    created_vault.vault.close()
    created_vault.folder.release()
    code, out, _ = _check(monkeypatch, capsys, "--vault", str(folder), "--json")
    assert code == 0
    assert json.loads(out)["audit_chain"]["ok"] is True


def test_the_audit_trail_proves_what_a_note_said(open_vault: OpenVault) -> None:
    """Someone who drops the note triggers and rewrites the text is caught by the
    fingerprint the audit trail kept."""
    case = records.create_case(open_vault, CaseDetails("C-001", CHILD))
    saved = records.record_note(open_vault, case.id, NoteInput("2024-01-02T10:00", SECRET_TEXT))
    conn = open_vault.conn
    conn.execute("DROP TRIGGER note_revisions_no_update")
    conn.execute("UPDATE note_revisions SET text = 'Nothing happened.' WHERE id = ?", (saved.current.id,))
    [event] = [e for e in events(open_vault) if e["action"] == "note.recorded"]
    now = records.get_note(open_vault, saved.id).text
    assert hashlib.sha256(now.encode()).hexdigest() != event["details"]["text_sha256"]
