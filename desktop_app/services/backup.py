"""Encrypted backups of the whole vault, verified when made, restored only into a new folder.

A backup is a timestamped folder (docs/export-formats.md, "Backups")::

    <vault name>-backups/
      20260301T091500Z/
        vault.db             encrypted copy (sqlcipher_export, the same data key)
        keyslots.json        the key-slot file as it was (so the passphrase of that day opens it)
        keyslots.prev.json   its kept previous generation, if there was one
        backup.json          what the backup holds: vault id, time, schema, audit event count

Why ``sqlcipher_export`` and not a file copy: copying ``vault.db`` while the vault is
open can catch a half-checkpointed WAL; the export reads one consistent snapshot through
SQLCipher and writes it through the same cipher, so the copy is never plaintext.

Why verify by reopening: a backup that was never opened is a hope, not a backup. The
copy is opened with the data key, SQLite's and SQLCipher's integrity checks run over
every page, the audit chain is verified and its length compared with the vault's. Only
then is "backup.created" recorded and are old backups rotated away
(``domain/backup_rotation.py``).

Why restore never overwrites: the vault being replaced might be the only good copy of
something. Restore copies into a folder that does not exist yet (or is empty), checks
it unlocks and that its audit chain is intact, and records "vault.restored" in it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from desktop_app import __version__
from desktop_app.domain.backup_rotation import DEFAULT_POLICY, RotationPolicy, to_keep
from desktop_app.errors import CaseNotesError, KeySlotsDamaged, UsageError, VaultDamaged
from desktop_app.store import audit, keyslots
from desktop_app.store.atomic import FILE_MODE, fsync_dir, storage_error, write_atomic
from desktop_app.store.connection import DB_NAME, DatabaseError, open_database
from desktop_app.store.vault import OpenVault, VaultFolder

INFO_NAME = "backup.json"
INFO_FORMAT = "casenotes-backup"
STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
FOLDER_PATTERN = re.compile(r"^(?P<stamp>\d{8}T\d{6}Z)(?:-(?P<n>\d{1,4}))?$")
SLOT_FILES = (keyslots.FILE_NAME, keyslots.PREVIOUS_NAME)


class BackupFailed(CaseNotesError):
    default_advice = (
        "Your vault itself is unchanged. Check there is space on the backup disk and that it "
        "is working, then try again, or choose another place for backups."
    )


class BackupDamaged(VaultDamaged):
    default_advice = (
        "Nothing has been changed. Try the next most recent backup; keep this one as it is in case IT can recover it."
    )


@dataclass(frozen=True)
class BackupCheck:
    """What reopening a backup copy found."""

    audit_events: int
    schema_version: int


@dataclass
class RestoredVault:
    """A vault restored into a new folder, unlocked. The caller closes and releases it."""

    folder: VaultFolder
    vault: OpenVault


def default_backup_dir(vault_dir: Path) -> Path:
    """``<vault folder>/../<vault name>-backups``: beside the vault, never inside it (a
    backup inside the folder is lost with it). Better still is another disk."""
    vault_dir = Path(vault_dir).expanduser().resolve()
    return vault_dir.parent / f"{vault_dir.name}-backups"


def _count_events(conn: Any) -> int:
    return int(conn.execute("SELECT count(*) FROM audit_events").fetchone()[0])


def check_copy(db_path: Path, data_key: bytes, expected_events: int | None = None) -> BackupCheck:
    """Open a copy with the data key and check every page and the audit chain."""
    try:
        conn = open_database(db_path, data_key)
    except (DatabaseError, OSError) as exc:
        raise BackupDamaged(f"The backup copy {db_path} cannot be opened: it is damaged.") from exc
    try:
        integrity = [str(row[0]) for row in conn.execute("PRAGMA integrity_check").fetchall()]
        if integrity != ["ok"]:
            raise BackupDamaged(f"The backup copy failed the database structure check ({integrity[0]}).")
        cipher = [str(row[0]) for row in conn.execute("PRAGMA cipher_integrity_check").fetchall()]
        if cipher:
            raise BackupDamaged(f"The backup copy has {len(cipher)} damaged encrypted page(s).")
        events = _count_events(conn)
        chain = audit.verify_chain(conn)
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    except DatabaseError as exc:
        raise BackupDamaged("The backup copy is damaged: part of it could not be read.") from exc
    finally:
        conn.close()
    if not chain.ok:
        raise BackupDamaged(f"The audit trail in the backup copy is broken: {chain.problem}.")
    if expected_events is not None and events != expected_events:
        raise BackupDamaged(f"The backup copy holds {events} audit events; the vault held {expected_events}.")
    return BackupCheck(audit_events=events, schema_version=version)


def _fsync_file(path: Path) -> None:
    # Read-write: on Windows, flushing a handle opened read-only fails.
    fd = os.open(path, os.O_RDWR | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _new_folder(dest_dir: Path, now: datetime) -> Path:
    stamp = now.astimezone(UTC).strftime(STAMP_FORMAT)
    for n in range(1, 1000):
        candidate = dest_dir / (stamp if n == 1 else f"{stamp}-{n}")
        try:
            candidate.mkdir(mode=0o700)
        except FileExistsError:
            continue
        except OSError as exc:
            raise storage_error(exc, "the backup folder") from exc
        return candidate
    raise BackupFailed("Too many backups were made in the same second.")


def _copy_slot_files(source: Path, target: Path, data_key: bytes) -> list[str]:
    """Copy the key-slot files that belong to this data key (a damaged one is skipped:
    the recovery key still opens the backup)."""
    copied: list[str] = []
    for name in SLOT_FILES:
        try:
            slots = keyslots.read(source, name)
        except KeySlotsDamaged:
            continue
        if not slots.check_data_key(data_key):
            continue
        slots.db_salt = keyslots.database_salt(target)  # the copy's own database, not the vault's
        write_atomic(target / name, slots.to_bytes(), "the backup's key-slot file")
        copied.append(name)
    return copied


def backup(
    vault: OpenVault,
    dest_dir: Path,
    *,
    policy: RotationPolicy | None = DEFAULT_POLICY,
    now: datetime | None = None,
) -> Path:
    """Make, verify and record a backup in a new timestamped folder of ``dest_dir``; then
    remove old backups the rotation ``policy`` no longer keeps (None: keep everything).
    Returns the new backup folder."""
    if vault.closed:
        raise CaseNotesError("The vault is locked.", "Unlock it and try again.")
    now = now or datetime.now(UTC)
    dest_dir = Path(dest_dir).expanduser()
    vault_dir = vault.folder.path.resolve()
    resolved = dest_dir.resolve()
    if resolved == vault_dir or vault_dir in resolved.parents:
        raise UsageError(
            "Backups cannot go inside the vault folder: they would be lost with it.",
            "Choose a folder elsewhere, ideally on another disk.",
        )
    try:
        dest_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise storage_error(exc, "the backup folder") from exc
    target = _new_folder(dest_dir, now)
    data_key = vault.data_key_for_backup()
    try:
        events = _count_events(vault.conn)
        vault.export_encrypted_copy(target / DB_NAME)
        _fsync_file(target / DB_NAME)
        slot_files = _copy_slot_files(vault.folder.path, target, data_key)
        checked = check_copy(target / DB_NAME, data_key, expected_events=events)
        info = {
            "format": INFO_FORMAT,
            "version": 1,
            "vault_id": vault.info.vault_id,
            "created_at": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "schema_version": checked.schema_version,
            "audit_events": checked.audit_events,
            "key_slot_files": slot_files,
            "app_version": __version__,
        }
        write_atomic(target / INFO_NAME, (json.dumps(info, indent=2) + "\n").encode(), "the backup description")
        fsync_dir(target)
    except BackupDamaged as exc:
        shutil.rmtree(target, ignore_errors=True)
        raise BackupFailed(f"The backup could not be verified, so it was removed: {exc.message}") from exc
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    with vault.transaction("recording the backup") as conn:
        audit.append_event(
            conn,
            "backup.created",
            actor=vault.info.owner_name,
            details={
                "folder": target.name,
                "location": str(dest_dir),
                "audit_events": checked.audit_events,
                "key_slot_files": slot_files,
            },
        )
    if policy is not None:
        prune(dest_dir, now=now, policy=policy)
    return target


def list_backups(dest_dir: Path) -> dict[Path, datetime]:
    """Backup folders in ``dest_dir`` (ours only: a stamp name and a backup.json) → time."""
    found: dict[Path, datetime] = {}
    if not dest_dir.is_dir():
        return found
    for child in dest_dir.iterdir():
        match = FOLDER_PATTERN.match(child.name)
        if not match or not child.is_dir() or not (child / INFO_NAME).is_file():
            continue
        moment = datetime.strptime(match.group("stamp"), STAMP_FORMAT).replace(tzinfo=UTC)
        # Several in one second: order them by their suffix.
        found[child] = moment.replace(microsecond=int(match.group("n") or 1))
    return found


def prune(dest_dir: Path, *, now: datetime | None = None, policy: RotationPolicy = DEFAULT_POLICY) -> list[Path]:
    """Remove backups the rotation policy no longer keeps; return what was removed.
    Only folders this module made are considered; anything else is left alone."""
    backups = list_backups(Path(dest_dir))
    keep = to_keep(backups.values(), now or datetime.now(UTC), policy)
    removed: list[Path] = []
    for path, moment in sorted(backups.items(), key=lambda item: item[1]):
        if moment not in keep:
            shutil.rmtree(path)
            removed.append(path)
    return removed


def _read_info(backup_dir: Path) -> dict[str, Any]:
    try:
        info = json.loads((backup_dir / INFO_NAME).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}


def restore(
    backup_dir: Path,
    new_vault_dir: Path,
    *,
    passphrase: str | None = None,
    recovery_key: str | None = None,
) -> RestoredVault:
    """Copy the backup into ``new_vault_dir`` (which must not hold anything), unlock it
    with the passphrase it had when backed up (or the recovery key), check it, and record
    "vault.restored". Returns it unlocked; on any failure the new folder is removed again
    and the backup is untouched."""
    if (passphrase is None) == (recovery_key is None):
        raise UsageError("Give either the passphrase the vault had when it was backed up, or its recovery key.")
    backup_dir = Path(backup_dir).expanduser()
    new_vault_dir = Path(new_vault_dir).expanduser()
    if not (backup_dir / DB_NAME).is_file():
        raise UsageError(
            f"There is no backup in {backup_dir}.",
            "Choose one of the dated folders inside the backups folder (it holds vault.db).",
        )
    if new_vault_dir.exists():
        if not new_vault_dir.is_dir() or VaultFolder.is_vault(new_vault_dir) or any(new_vault_dir.iterdir()):
            raise UsageError(
                f"{new_vault_dir} is not empty; a backup is only ever restored into a new folder.",
                "Choose a folder that does not exist yet. Nothing has been changed.",
            )
    created = not new_vault_dir.exists()
    try:
        new_vault_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise storage_error(exc, "the new vault folder") from exc
    info = _read_info(backup_dir)
    folder: VaultFolder | None = None
    try:
        for name in (DB_NAME, *SLOT_FILES):
            if (backup_dir / name).is_file():
                _copy_file(backup_dir / name, new_vault_dir / name)
        fsync_dir(new_vault_dir)
        folder = VaultFolder.attach(new_vault_dir)
        try:
            if passphrase is not None:
                vault = folder.unlock(passphrase)
            else:
                vault = folder.unlock_with_recovery_key(recovery_key or "")
        except VaultDamaged as exc:
            raise BackupDamaged(f"The backup in {backup_dir} is damaged: {exc.message}") from exc
        try:
            _check_restored(vault, backup_dir, info)
            with vault.transaction("recording the restore") as conn:
                audit.append_event(
                    conn,
                    "vault.restored",
                    actor=vault.info.owner_name,
                    details={
                        "from_backup": backup_dir.name,
                        "backup_created_at": info.get("created_at"),
                        "backup_audit_events": info.get("audit_events"),
                    },
                )
        except BaseException:
            vault.close()
            raise
    except BaseException:
        if folder is not None:
            folder.release()
        if created:
            shutil.rmtree(new_vault_dir, ignore_errors=True)
        else:
            for child in new_vault_dir.iterdir():  # it was empty: everything here is ours
                if child.is_dir():
                    shutil.rmtree(child, ignore_errors=True)
                else:
                    child.unlink(missing_ok=True)
        raise
    return RestoredVault(folder, vault)


def _copy_file(source: Path, dest: Path) -> None:
    try:
        fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), FILE_MODE)
        with open(fd, "wb") as out, open(source, "rb") as src:
            shutil.copyfileobj(src, out, 1024 * 1024)
            out.flush()
            os.fsync(out.fileno())
    except OSError as exc:
        raise storage_error(exc, "the restored vault") from exc


def _check_restored(vault: OpenVault, backup_dir: Path, info: dict[str, Any]) -> None:
    conn = vault.conn
    try:
        integrity = [str(row[0]) for row in conn.execute("PRAGMA integrity_check").fetchall()]
        cipher = [str(row[0]) for row in conn.execute("PRAGMA cipher_integrity_check").fetchall()]
        chain = audit.verify_chain(conn)
    except DatabaseError as exc:
        raise BackupDamaged(f"The backup in {backup_dir} is damaged: part of it could not be read.") from exc
    if integrity != ["ok"] or cipher:
        raise BackupDamaged(f"The backup in {backup_dir} is damaged: it failed its integrity check.")
    if not chain.ok:
        raise BackupDamaged(f"The audit trail in the backup {backup_dir} is broken: {chain.problem}.")
    expected = info.get("audit_events")
    if isinstance(expected, int) and chain.events < expected:
        raise BackupDamaged(
            f"The backup in {backup_dir} holds fewer audit events ({chain.events}) than when it was made ({expected})."
        )
