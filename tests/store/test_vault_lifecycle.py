"""The vault's life: create, unlock, lock, change passphrase, recovery key; what is on
disk (modes, no plaintext, connection settings); schema upgrades with a snapshot."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlcipher3 import dbapi2 as sqlcipher

from desktop_app.errors import CaseNotesError, WrongPassphrase
from desktop_app.store import audit, keyslots, migrations
from desktop_app.store.connection import PAGE_CACHE_KIB
from desktop_app.store.vault import SNAPSHOT_DIR, CreatedVault, VaultFolder

from ..conftest import PASSPHRASE

NEW_PASSPHRASE = "purple elephant quietly dancing"
OWNER = "Quentin Markerowner"
MARKER = "ZQXJ-PLAINTEXT-MARKER-7731"
SQLITE_HEADER = b"SQLite format 3\x00"


def raw_connect(path: Path, data_key: bytes) -> Any:
    conn = sqlcipher.connect(str(path), isolation_level=None)
    conn.execute(f"PRAGMA key = \"x'{data_key.hex()}'\"")
    return conn


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def digest_files(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "vault.lock"
    }


def files_containing(folder: Path, needle: str) -> list[str]:
    found = []
    encodings = {needle.encode("utf-8"), needle.encode("utf-16-le"), needle.encode("utf-16-be")}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            if any(e in data for e in encodings):
                found.append(path.name)
    return found


@pytest.fixture
def marked(vault_dir: Path) -> Iterator[CreatedVault]:
    """A vault whose owner name and some rows carry a distinctive marker."""
    created = VaultFolder.create(vault_dir, PASSPHRASE, owner_name=OWNER, organisation_name=f"School {MARKER}")
    yield created
    created.vault.close()
    created.folder.release()


def write_marked_rows(vault: Any, count: int = 50) -> None:
    vault.set_meta("marker_note", f"{MARKER} about a child at risk, {'x' * 200}")
    with vault.transaction() as conn:
        for i in range(count):
            audit.append_event(conn, "test.marker", actor=OWNER, subject_id=i, details={"text": f"{MARKER} {i}"})


# -- create / unlock / lock / passphrase ------------------------------------------------------
def test_create_gives_an_open_vault_with_metadata(marked: CreatedVault) -> None:
    info = marked.vault.info
    assert info.owner_name == OWNER
    assert info.organisation_name == f"School {MARKER}"
    assert info.schema_version == migrations.LATEST_VERSION
    assert len(info.vault_id) == 32
    events = audit.recent_events(marked.vault.conn)
    assert [e["action"] for e in events] == ["vault.created"]
    assert marked.recovery_key.count("-") == 13


def test_lock_then_unlock_with_passphrase(marked: CreatedVault) -> None:
    write_marked_rows(marked.vault, 3)
    marked.vault.close()
    assert marked.vault.closed
    with pytest.raises(CaseNotesError, match="locked"):
        with marked.vault.transaction():
            pass
    assert not any(marked.vault._data_key)  # the key is forgotten on lock
    vault = marked.folder.unlock(PASSPHRASE)
    try:
        assert vault.info.owner_name == OWNER
        count = vault.conn.execute("SELECT count(*) FROM audit_events WHERE action='test.marker'").fetchone()[0]
        assert count == 3
        actions = [e["action"] for e in audit.recent_events(vault.conn)][:2]
        assert actions == ["vault.unlocked", "vault.locked"]
        assert audit.verify_chain(vault.conn).ok
    finally:
        vault.close()


def test_lock_twice_is_harmless(marked: CreatedVault) -> None:
    marked.vault.close()
    marked.vault.close()


def test_unlock_with_the_recovery_key(marked: CreatedVault) -> None:
    marked.vault.close()
    vault = marked.folder.unlock_with_recovery_key(marked.recovery_key.lower().replace("-", " "))
    try:
        assert vault.info.owner_name == OWNER
        assert not vault.needs_passphrase  # the passphrase slot is still there
        assert audit.recent_events(vault.conn, 1)[0]["details"] == {"method": "recovery_key"}
    finally:
        vault.close()


def test_change_passphrase(marked: CreatedVault) -> None:
    write_marked_rows(marked.vault, 5)
    before = keyslots.read(marked.folder.path)
    marked.vault.change_passphrase(PASSPHRASE, NEW_PASSPHRASE)
    marked.vault.close()

    with pytest.raises(WrongPassphrase):
        marked.folder.unlock(PASSPHRASE)
    vault = marked.folder.unlock(NEW_PASSPHRASE)
    try:
        count = vault.conn.execute("SELECT count(*) FROM audit_events WHERE action='test.marker'").fetchone()[0]
        assert count == 5
        assert "vault.passphrase_changed" in [e["action"] for e in audit.recent_events(vault.conn)]
        assert audit.verify_chain(vault.conn).ok
    finally:
        vault.close()
    # the recovery key is unchanged
    vault = marked.folder.unlock_with_recovery_key(marked.recovery_key)
    vault.close()
    after = keyslots.read(marked.folder.path)
    assert after.vault_id == before.vault_id and after.key_check == before.key_check
    assert after.generation == before.generation + 1


def test_change_passphrase_refuses_a_wrong_current_one(marked: CreatedVault) -> None:
    before = (marked.folder.path / keyslots.FILE_NAME).read_bytes()
    with pytest.raises(WrongPassphrase):
        marked.vault.change_passphrase("not the passphrase at all", NEW_PASSPHRASE)
    assert (marked.folder.path / keyslots.FILE_NAME).read_bytes() == before


def test_previous_generation_is_kept_and_a_passphrase_change_is_mirrored(marked: CreatedVault) -> None:
    folder = marked.folder.path
    assert not (folder / keyslots.PREVIOUS_NAME).exists()
    first = (folder / keyslots.FILE_NAME).read_bytes()
    fingerprint = "SHA256:" + "0" * 64
    recipient = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
    from desktop_app.store.vault import Escrow

    marked.vault.add_escrow(Escrow(recipient, fingerprint))  # an ordinary change keeps the previous generation
    assert (folder / keyslots.PREVIOUS_NAME).read_bytes() == first
    assert keyslots.read(folder, keyslots.PREVIOUS_NAME).generation + 1 == keyslots.read(folder).generation

    marked.vault.change_passphrase(PASSPHRASE, NEW_PASSPHRASE)  # a passphrase change retires the old one
    assert (folder / keyslots.PREVIOUS_NAME).read_bytes() == (folder / keyslots.FILE_NAME).read_bytes()
    assert keyslots.read(folder, keyslots.PREVIOUS_NAME).unwrap_passphrase(NEW_PASSPHRASE)
    # no temporary files left behind by the atomic writes
    assert not [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


# -- on disk ----------------------------------------------------------------------------------
def _assert_private_modes(folder: Path) -> None:
    assert mode(folder) == 0o700
    expected = ["vault.db", "vault.db-wal", "vault.db-shm", "keyslots.json", "keyslots.prev.json", "vault.lock"]
    for name in expected:
        assert (folder / name).exists(), name
        assert mode(folder / name) == 0o600, f"{name} is {oct(mode(folder / name))}"
    for path in folder.rglob("*"):
        wanted = 0o700 if path.is_dir() else 0o600
        assert mode(path) == wanted, f"{path.name} is {oct(mode(path))}"


@pytest.mark.parametrize("umask", [0o022, 0o000], ids=["umask 022", "umask 000"])
def test_folder_is_0700_and_every_file_0600(vault_dir: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        created = VaultFolder.create(vault_dir, PASSPHRASE, owner_name=OWNER)
        try:
            created.vault.change_passphrase(PASSPHRASE, NEW_PASSPHRASE)  # writes keyslots.prev.json
            with pytest.raises(WrongPassphrase):
                created.folder.unlock("a wrong passphrase here")  # writes the attempt counter
            _assert_private_modes(vault_dir)  # connection open: -wal and -shm exist
        finally:
            created.vault.close()
            created.folder.release()
    finally:
        os.umask(old)


def test_connection_settings_are_really_applied(open_vault: Any) -> None:
    conn = open_vault.conn

    def pragma(name: str) -> Any:
        return conn.execute(f"PRAGMA {name}").fetchone()[0]

    assert pragma("journal_mode") == "wal"
    assert pragma("synchronous") == 2  # FULL
    assert pragma("secure_delete") == 1
    assert pragma("temp_store") == 2  # MEMORY
    assert pragma("cache_size") == -PAGE_CACHE_KIB
    assert 32 * 1024 <= PAGE_CACHE_KIB <= 64 * 1024  # 32-64 MB
    assert str(pragma("cipher_memory_security")) == "0"  # deliberately off: docs/security.md, "Memory"
    assert pragma("foreign_keys") == 1


def test_connection_settings_after_unlock(created_vault: Any) -> None:
    created_vault.vault.close()
    vault = created_vault.folder.unlock(PASSPHRASE)
    try:
        conn = vault.conn
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2
        assert conn.execute("PRAGMA secure_delete").fetchone()[0] == 1
        assert conn.execute("PRAGMA temp_store").fetchone()[0] == 2
        assert str(conn.execute("PRAGMA cipher_memory_security").fetchone()[0]) == "0"
    finally:
        vault.close()


def test_no_plaintext_in_any_vault_file_while_open_and_after_close(marked: CreatedVault) -> None:
    folder = marked.folder.path
    write_marked_rows(marked.vault)
    marked.vault.change_passphrase(PASSPHRASE, NEW_PASSPHRASE)
    # The connection is still open: the committed rows are in the WAL, not yet checkpointed.
    wal = folder / "vault.db-wal"
    assert wal.stat().st_size > 4096
    row = marked.vault.conn.execute("SELECT value FROM meta WHERE key='marker_note'").fetchone()
    assert MARKER in row[0]
    assert files_containing(folder, MARKER) == []
    assert files_containing(folder, OWNER) == []
    assert (folder / "vault.db").read_bytes()[:16] != SQLITE_HEADER

    marked.vault.close()
    assert not wal.exists()  # checkpointed into vault.db on close
    assert files_containing(folder, MARKER) == []
    assert files_containing(folder, OWNER) == []
    assert (folder / "vault.db").read_bytes()[:16] != SQLITE_HEADER
    # key-slot files: nothing but key material and ids
    for name in (keyslots.FILE_NAME, keyslots.PREVIOUS_NAME):
        text = (folder / name).read_text()
        assert "School" not in text and MARKER not in text
        json.loads(text)


# -- migrations -----------------------------------------------------------------------------
def test_old_schema_is_upgraded_with_an_encrypted_snapshot(vault_dir: Path) -> None:
    created = VaultFolder.create(vault_dir, PASSPHRASE, owner_name=OWNER, schema_target=1)
    folder = created.folder
    try:
        assert created.vault.info.schema_version == 1
        write_marked_rows(created.vault, 10)
        data_key = created.vault.data_key_for_backup()
        created.vault.close()

        vault = folder.unlock(PASSPHRASE)
        try:
            assert vault.info.schema_version == migrations.LATEST_VERSION
            assert vault.conn.execute("PRAGMA user_version").fetchone()[0] == migrations.LATEST_VERSION
            note = vault.conn.execute("SELECT value FROM meta WHERE key='marker_note'").fetchone()[0]
            assert note.startswith(MARKER)
            count = vault.conn.execute("SELECT count(*) FROM audit_events WHERE action='test.marker'").fetchone()[0]
            assert count == 10
            assert audit.verify_chain(vault.conn).ok
            assert vault.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            vault.close()
    finally:
        folder.release()

    snap_dir = vault_dir / SNAPSHOT_DIR
    assert mode(snap_dir) == 0o700
    snapshots = sorted(snap_dir.iterdir())
    assert len(snapshots) == 1
    snapshot = snapshots[0]
    assert snapshot.name.startswith(f"pre-v{migrations.LATEST_VERSION}-") and snapshot.suffix == ".db"
    assert mode(snapshot) == 0o600
    raw = snapshot.read_bytes()
    assert raw[:16] != SQLITE_HEADER
    assert MARKER.encode() not in raw and OWNER.encode() not in raw

    conn = raw_connect(snapshot, data_key)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        note = conn.execute("SELECT value FROM meta WHERE key='marker_note'").fetchone()[0]
        assert note.startswith(MARKER)
        assert conn.execute("SELECT count(*) FROM audit_events").fetchone()[0] >= 10
    finally:
        conn.close()
    # and the snapshot does not open without the key
    plain = sqlcipher.connect(str(snapshot))
    try:
        with pytest.raises(sqlcipher.DatabaseError):
            plain.execute("SELECT count(*) FROM sqlite_master").fetchone()
    finally:
        plain.close()


def test_a_migration_that_fails_leaves_a_whole_version_and_the_snapshot(
    vault_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Power cut, full disk or a bug in the middle of an upgrade: each migration is its own
    transaction, so the vault stays at the last whole version, nothing is lost, the
    snapshot of the pre-upgrade state is there, and the next start finishes the upgrade."""
    created = VaultFolder.create(vault_dir, PASSPHRASE, owner_name=OWNER, schema_target=1)
    folder = created.folder
    try:
        write_marked_rows(created.vault, 10)
        data_key = created.vault.data_key_for_backup()
        created.vault.close()

        real = migrations.all_migrations()

        def broken_third(conn: Any) -> None:
            conn.execute("CREATE TABLE half_done (x)")  # part of the work, then a failure
            raise sqlcipher.OperationalError("disk I/O error")

        monkeypatch.setattr(
            migrations,
            "all_migrations",
            lambda: [m if m.version != 3 else migrations.Migration(3, m.description, broken_third) for m in real],
        )
        with pytest.raises(CaseNotesError) as info:
            folder.unlock(PASSPHRASE)
        assert "could not be upgraded" in info.value.message
        assert "Nothing was lost" in info.value.advice and SNAPSHOT_DIR in info.value.advice

        conn = raw_connect(vault_dir / "vault.db", data_key)
        try:
            assert conn.execute("PRAGMA user_version").fetchone()[0] == 2  # migration 2 whole, 3 rolled back
            assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name='half_done'").fetchone()[0] == 0
            assert conn.execute("SELECT count(*) FROM audit_events WHERE action='test.marker'").fetchone()[0] == 10
            assert audit.verify_chain(conn).ok
        finally:
            conn.close()
        assert len(list((vault_dir / SNAPSHOT_DIR).iterdir())) == 1

        monkeypatch.setattr(migrations, "all_migrations", lambda: real)
        vault = folder.unlock(PASSPHRASE)  # the next start completes the upgrade
        try:
            assert vault.info.schema_version == migrations.LATEST_VERSION
            assert (
                vault.conn.execute("SELECT count(*) FROM audit_events WHERE action='test.marker'").fetchone()[0] == 10
            )
        finally:
            vault.close()
    finally:
        folder.release()
    assert len(list((vault_dir / SNAPSHOT_DIR).iterdir())) == 2  # the retry kept the first copy too


def test_a_fresh_vault_at_latest_version_takes_no_snapshot(created_vault: Any) -> None:
    created_vault.vault.close()
    created_vault.folder.unlock(PASSPHRASE).close()
    assert not (created_vault.folder.path / SNAPSHOT_DIR).exists()


def test_a_vault_from_a_newer_version_is_refused_and_left_unchanged(vault_dir: Path) -> None:
    created = VaultFolder.create(vault_dir, PASSPHRASE, owner_name=OWNER)
    folder = created.folder
    try:
        data_key = created.vault.data_key_for_backup()
        created.vault.close()
        newer = migrations.LATEST_VERSION + 7
        conn = raw_connect(vault_dir / "vault.db", data_key)
        conn.execute(f"PRAGMA user_version = {newer}")
        conn.close()
        before = digest_files(vault_dir)

        with pytest.raises(CaseNotesError) as info:
            folder.unlock(PASSPHRASE)
        assert "newer version" in info.value.message
        assert "Nothing has been changed" in info.value.advice
        assert info.value.exit_code == 1

        assert digest_files(vault_dir) == before
        assert not (vault_dir / SNAPSHOT_DIR).exists()
        conn = raw_connect(vault_dir / "vault.db", data_key)
        try:
            assert conn.execute("PRAGMA user_version").fetchone()[0] == newer
        finally:
            conn.close()
    finally:
        folder.release()
