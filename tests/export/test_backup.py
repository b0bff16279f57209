"""Backups: an encrypted, verified copy with its key slots; restored only into a new
folder, with every row of a vault holding a case's whole history and an intact audit
chain; damage reported; old ones rotated."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from desktop_app.errors import EXIT_DAMAGED, UsageError, WrongPassphrase
from desktop_app.services import bundle_import, case_records, share_export
from desktop_app.services.backup import (
    INFO_NAME,
    BackupDamaged,
    BackupFailed,
    backup,
    check_copy,
    default_backup_dir,
    list_backups,
    prune,
    restore,
)
from desktop_app.services.signing import signing_key
from desktop_app.store import audit
from desktop_app.store.vault import CreatedVault, OpenVault

from ..conftest import PASSPHRASE
from .seed import SeededHistory, seed_history

MARKER = "BACKUP-PLAINTEXT-MARKER-7f3a"


def _tables(conn: Any) -> dict[str, list[tuple[Any, ...]]]:
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    return {name: conn.execute(f'SELECT * FROM "{name}" ORDER BY 1').fetchall() for name in names}


def _write_some(vault: OpenVault, n: int = 25) -> None:
    with vault.transaction() as conn:
        for i in range(n):
            audit.append_event(conn, "test.event", actor="Alex", details={"i": i, "marker": MARKER})
        conn.execute("INSERT INTO meta (key, value) VALUES ('test_marker', ?)", (MARKER,))


@pytest.fixture
def vault(open_vault: OpenVault) -> OpenVault:
    _write_some(open_vault)
    return open_vault


def test_backup_layout_is_encrypted_and_verified(vault: OpenVault, tmp_path: Path) -> None:
    dest = tmp_path / "backups"
    made = backup(vault, dest, now=datetime(2026, 3, 31, 9, 15, tzinfo=UTC))
    assert made == dest / "20260331T091500Z"
    assert sorted(p.name for p in made.iterdir()) == ["backup.json", "keyslots.json", "vault.db"]
    for path in made.iterdir():
        data = path.read_bytes()
        assert MARKER.encode() not in data and not data.startswith(b"SQLite format 3")
        assert path.stat().st_mode & 0o077 == 0
    info = json.loads((made / INFO_NAME).read_text())
    assert info["vault_id"] == vault.info.vault_id
    assert info["audit_events"] == vault.conn.execute("SELECT count(*) FROM audit_events").fetchone()[0] - 1
    assert info["key_slot_files"] == ["keyslots.json"]
    last = audit.recent_events(vault.conn, 1)[0]
    assert last["action"] == "backup.created" and last["details"]["folder"] == made.name
    assert check_copy(made / "vault.db", vault.data_key_for_backup()).audit_events == info["audit_events"]


# The rows a vault with a case's whole history has (seed_history): each must come back.
SEEDED_TABLES = (
    "cases",
    "case_detail_changes",
    "case_status_changes",
    "people",
    "notes",
    "note_revisions",
    "note_people",
    "attachments",
    "attachment_contents",
    "drafts",
    "decisions",
    "decision_notes",
    "decision_drafts",
    "decision_feedback",
    "consent_entries",
    "information_requests",
    "request_responses",
    "exports",
    "received_bundles",
    "received_bundle_files",
    "settings",
    "meta",
    "audit_events",
)


@pytest.fixture
def history(open_vault: OpenVault) -> SeededHistory:
    made = seed_history(open_vault)
    _write_some(open_vault)
    return made


def test_backup_then_restore_keeps_every_row_and_the_audit_chain(
    open_vault: OpenVault, history: SeededHistory, tmp_path: Path
) -> None:
    vault = open_vault
    before = _tables(vault.conn)
    empty = [table for table in SEEDED_TABLES if not before.get(table)]
    assert empty == [], f"the seeded vault has nothing in {empty}, so the round trip would not test them"
    made = backup(vault, tmp_path / "backups")
    assert audit.recent_events(vault.conn, 1)[0]["action"] == "backup.created"  # after the copy was taken
    restored = restore(made, tmp_path / "restored", passphrase=PASSPHRASE)
    try:
        copy = restored.vault
        after = _tables(copy.conn)
        assert set(after) == set(before)
        for table, rows in before.items():
            if table == "audit_events":
                continue
            assert rows == after[table], table
        # The audit chain: every event as it was, byte for byte, then the restore's own two.
        events = after["audit_events"]
        assert events[: len(before["audit_events"])] == before["audit_events"]
        assert [e[3] for e in events[len(before["audit_events"]) :]] == ["vault.unlocked", "vault.restored"]
        report = audit.verify_chain(copy.conn)
        assert report.ok and report.events == len(before["audit_events"]) + 2
        assert copy.info.vault_id == vault.info.vault_id

        # And the restored vault works through the services, not only as rows.
        case_id = history.seeded.case.id
        [original, amendment] = case_records.note_history(copy, history.amended_note_id)
        assert "About 3 cm." in amendment.text and amendment.reason == "Added the size of the bruise"
        assert "About 3 cm." not in original.text
        attachment, data = case_records.read_attachment(copy, history.attachment_id)  # checks its SHA-256
        assert attachment.filename == "body-map.png" and data == case_records.read_attachment(vault, attachment.id)[1]
        assert share_export.get_export(copy, history.export_id).feedback_received
        received, packet, _pdf = bundle_import.received_packet(copy, history.received_id)
        assert received.case_id == case_id and packet.notes
        assert [e.kind for e in case_records.chronology_page(copy, case_id, limit=200).entries] == [
            e.kind for e in case_records.chronology_page(vault, case_id, limit=200).entries
        ]
        assert case_records.get_case(copy, history.closed_case.id).status == "closed"
        assert signing_key(copy).private_bytes_raw() == signing_key(vault).private_bytes_raw()
    finally:
        restored.vault.close()
        restored.folder.release()


def test_restore_with_the_recovery_key(created_vault: CreatedVault, tmp_path: Path) -> None:
    made = backup(created_vault.vault, tmp_path / "backups")
    restored = restore(made, tmp_path / "restored", recovery_key=created_vault.recovery_key)
    try:
        assert audit.verify_chain(restored.vault.conn).ok
    finally:
        restored.vault.close()
        restored.folder.release()


def test_restore_never_goes_over_an_existing_vault_or_folder(vault: OpenVault, vault_dir: Path, tmp_path: Path) -> None:
    made = backup(vault, tmp_path / "backups")
    before = {p.name: p.stat().st_mtime_ns for p in vault_dir.iterdir()}
    with pytest.raises(UsageError, match="only ever restored into a new folder"):
        restore(made, vault_dir, passphrase=PASSPHRASE)
    assert {p.name: p.stat().st_mtime_ns for p in vault_dir.iterdir()} == before
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "notes.txt").write_text("mine")
    with pytest.raises(UsageError, match="not empty"):
        restore(made, occupied, passphrase=PASSPHRASE)
    assert [p.name for p in occupied.iterdir()] == ["notes.txt"]
    empty = tmp_path / "empty"
    empty.mkdir()
    restored = restore(made, empty, passphrase=PASSPHRASE)
    restored.vault.close()
    restored.folder.release()


def test_a_wrong_passphrase_leaves_nothing_behind(vault: OpenVault, tmp_path: Path) -> None:
    made = backup(vault, tmp_path / "backups")
    with pytest.raises(WrongPassphrase):
        restore(made, tmp_path / "restored", passphrase="not the passphrase at all")
    assert not (tmp_path / "restored").exists()
    with pytest.raises(UsageError, match="no backup"):
        restore(tmp_path, tmp_path / "restored", passphrase=PASSPHRASE)


def test_a_damaged_backup_is_reported(vault: OpenVault, tmp_path: Path) -> None:
    made = backup(vault, tmp_path / "backups")
    db = made / "vault.db"
    data = bytearray(db.read_bytes())
    assert len(data) >= 3 * 4096
    data[len(data) - 4096 + 200] ^= 0xFF  # inside the last page
    db.write_bytes(bytes(data))
    with pytest.raises(BackupDamaged) as caught:
        check_copy(db, vault.data_key_for_backup())
    assert caught.value.exit_code == EXIT_DAMAGED
    with pytest.raises(BackupDamaged, match="damaged") as caught:
        restore(made, tmp_path / "restored", passphrase=PASSPHRASE)
    assert caught.value.exit_code == EXIT_DAMAGED
    assert not (tmp_path / "restored").exists()
    assert db.read_bytes() == bytes(data)  # the backup itself is left exactly as it was


def test_a_backup_that_fails_verification_is_removed(
    vault: OpenVault, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import desktop_app.services.backup as backup_module

    def broken(*args: object, **kwargs: object) -> object:
        raise BackupDamaged("The backup copy has 1 damaged encrypted page(s).")

    monkeypatch.setattr(backup_module, "check_copy", broken)
    events = vault.conn.execute("SELECT count(*) FROM audit_events").fetchone()[0]
    with pytest.raises(BackupFailed, match="could not be verified"):
        backup(vault, tmp_path / "backups")
    assert list((tmp_path / "backups").iterdir()) == []
    assert vault.conn.execute("SELECT count(*) FROM audit_events").fetchone()[0] == events


def test_backups_do_not_go_inside_the_vault(vault: OpenVault, vault_dir: Path) -> None:
    with pytest.raises(UsageError, match="inside the vault folder"):
        backup(vault, vault_dir / "backups")
    assert default_backup_dir(vault_dir) == vault_dir.resolve().parent / "vault-backups"


def test_rotation_removes_only_our_old_backups(vault: OpenVault, tmp_path: Path) -> None:
    dest = tmp_path / "backups"
    dest.mkdir()
    now = datetime(2026, 3, 31, 12, tzinfo=UTC)
    for hours in range(0, 24 * 120, 12):  # twice a day for four months
        folder = dest / (now - timedelta(hours=hours + 1)).strftime("%Y%m%dT%H%M%SZ")
        folder.mkdir()
        (folder / INFO_NAME).write_text("{}")
    (dest / "my-notes").mkdir()  # not ours: never touched
    (dest / "20200101T000000Z").mkdir()  # looks like ours but has no backup.json
    made = backup(vault, dest, now=now)
    kept = list_backups(dest)
    assert made in kept
    assert (dest / "my-notes").is_dir() and (dest / "20200101T000000Z").is_dir()
    assert 5 <= len(kept) <= 5 + 14 + 8
    assert min(kept.values()) > now - timedelta(weeks=9)
    assert prune(dest, now=now) == []  # already rotated: nothing more to remove


def test_two_backups_in_the_same_second_both_survive(vault: OpenVault, tmp_path: Path) -> None:
    now = datetime(2026, 3, 31, 9, 15, tzinfo=UTC)
    first = backup(vault, tmp_path / "b", now=now)
    second = backup(vault, tmp_path / "b", now=now)
    assert (first.name, second.name) == ("20260331T091500Z", "20260331T091500Z-2")
    assert set(list_backups(tmp_path / "b")) == {first, second}
