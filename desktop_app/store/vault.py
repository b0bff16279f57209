"""The vault: a folder holding the SQLCipher database and its key-slot file.

``VaultFolder`` is a vault on disk that this process has claimed (the single-writer
lock); it can be unlocked into an ``OpenVault`` with a passphrase, the recovery key or
the organisation's escrow identity. ``OpenVault`` holds the one database connection
and the data key; locking closes both. Nothing here imports Qt.
"""

from __future__ import annotations

import contextlib
import os
import stat
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from desktop_app import __version__
from desktop_app.errors import (
    CaseNotesError,
    KeySlotsDamaged,
    NotAVault,
    UsageError,
    VaultDamaged,
    WrongPassphrase,
    WrongRecoveryKey,
)
from desktop_app.store import audit, kdf, keyslots, migrations, recovery_key
from desktop_app.store.atomic import storage_error
from desktop_app.store.connection import DB_NAME, Connection, DatabaseError, classify, open_database
from desktop_app.store.instance_lock import LOCK_NAME, InstanceLock
from desktop_app.store.location import location_warnings
from desktop_app.store.throttle import AttemptThrottle

SNAPSHOT_DIR = "snapshots"
SECTORS = ("public", "voluntary", "private")
SQLITE_HEADER = b"SQLite format 3\x00"
FOREIGN_SLOTS = "The key-slot file in this folder belongs to a different vault database."


@dataclass(frozen=True)
class Escrow:
    """An organisation escrow key, already checked against its pinned fingerprint."""

    recipient: str
    fingerprint: str


@dataclass
class VaultInfo:
    vault_id: str
    owner_name: str
    organisation_name: str
    organisation_sector: str
    created_at: str
    schema_version: int


@dataclass
class CreatedVault:
    folder: VaultFolder
    vault: OpenVault
    recovery_key: str  # shown once, for printing; never stored


class OpenVault:
    """An unlocked vault: one connection, used from one thread at a time."""

    def __init__(self, folder: VaultFolder, conn: Connection, data_key: bytes, notices: list[str]) -> None:
        self.folder = folder
        self.conn = conn
        self._data_key = bytearray(data_key)
        self.notices = notices  # things the person should be told (e.g. a slot file restored)
        self.info = self._read_info()

    # -- lifecycle ----------------------------------------------------------------------
    @property
    def closed(self) -> bool:
        return self.conn is None

    @property
    def needs_passphrase(self) -> bool:
        """True after opening with the recovery key when no passphrase slot survives."""
        try:
            return keyslots.read(self.folder.path).slot("passphrase") is None
        except KeySlotsDamaged:
            return True

    def close(self, *, actor: str | None = None) -> None:
        """Lock: record it, close the connection and forget the key."""
        if self.closed:
            return
        try:
            with self.transaction():
                audit.append_event(self.conn, "vault.locked", actor=actor or self.info.owner_name)
        except CaseNotesError:
            pass  # locking must always succeed, even on a full or damaged disk
        finally:
            self.conn.close()
            self.conn = None
            for i in range(len(self._data_key)):
                self._data_key[i] = 0

    @contextmanager
    def transaction(self, doing: str = "saving") -> Iterator[Connection]:
        """BEGIN IMMEDIATE … COMMIT; a failure rolls back and becomes a plain error."""
        if self.closed:
            raise CaseNotesError("The vault is locked.", "Unlock it and try again.")
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")
        except DatabaseError as exc:
            if self.conn.in_transaction:
                try:
                    self.conn.execute("ROLLBACK")
                except DatabaseError:
                    pass
            raise classify(exc, doing) from exc

    # -- metadata -----------------------------------------------------------------------
    def _read_info(self) -> VaultInfo:
        meta = dict(self.conn.execute("SELECT key, value FROM meta").fetchall())
        return VaultInfo(
            vault_id=meta.get("vault_id", ""),
            owner_name=meta.get("owner_name", ""),
            organisation_name=meta.get("organisation_name", ""),
            organisation_sector=meta.get("organisation_sector", "public"),
            created_at=meta.get("created_at", ""),
            schema_version=migrations.current_version(self.conn),
        )

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )
            audit.append_event(conn, "vault.setting_changed", actor=self.info.owner_name, details={"key": key})
        self.info = self._read_info()

    # -- keys ---------------------------------------------------------------------------
    def set_passphrase(self, new_passphrase: str, params: kdf.KdfParams | None = None) -> None:
        """Re-wrap the data key under a new passphrase; the database is not touched."""
        slots = self.folder.load_slots_for_rewrite(bytes(self._data_key))
        slots.set_passphrase(bytes(self._data_key), new_passphrase, params)
        keyslots.write(self.folder.path, slots, retire_old_passphrase=True)
        with self.transaction():
            audit.append_event(self.conn, "vault.passphrase_changed", actor=self.info.owner_name)

    def change_passphrase(self, current: str, new_passphrase: str, params: kdf.KdfParams | None = None) -> None:
        """Check the current passphrase against the slot, then re-wrap under the new one."""
        slots, _ = self.folder.read_slots()
        try:
            matches = slots.unwrap_passphrase(current) == bytes(self._data_key)
        except WrongPassphrase:
            matches = False
        if not matches:
            raise WrongPassphrase(
                "The current passphrase is not right.",
                "Nothing has been changed. Type the passphrase you used to unlock the vault.",
            )
        self.set_passphrase(new_passphrase, params)

    def add_escrow(self, escrow: Escrow) -> None:
        slots = self.folder.load_slots_for_rewrite(bytes(self._data_key))
        slots.set_escrow(bytes(self._data_key), escrow.recipient, escrow.fingerprint)
        keyslots.write(self.folder.path, slots)
        with self.transaction():
            audit.append_event(
                self.conn, "vault.escrow_added", actor=self.info.owner_name, details={"fingerprint": escrow.fingerprint}
            )

    # -- copies -------------------------------------------------------------------------
    def export_encrypted_copy(self, dest: Path) -> None:
        """Write an encrypted copy of the whole database (same key) to ``dest``."""
        if self.closed:
            raise CaseNotesError("The vault is locked.", "Unlock it and try again.")
        export_encrypted_copy(self.conn, bytes(self._data_key), dest)

    def data_key_for_backup(self) -> bytes:
        """The data key, for writing a backup's key-slot file. Handle with care."""
        return bytes(self._data_key)


def _restrict_permissions(path: Path) -> list[str]:
    """POSIX: a vault folder copied or restored by hand may let other accounts read it.
    Bring it back to 0700 (folder, snapshots) and 0600 (files), and say so once. Best
    effort: a file we cannot change is left for the location warnings and for IT."""
    if os.name != "posix":
        return []
    loosened = False
    targets = [path, *path.iterdir()]
    snapshots = path / SNAPSHOT_DIR
    if snapshots.is_dir():
        targets.extend(snapshots.iterdir())
    for target in targets:
        try:
            info = target.lstat()
        except OSError:
            continue
        if stat.S_ISLNK(info.st_mode):
            continue
        wanted = 0o700 if stat.S_ISDIR(info.st_mode) else 0o600
        if stat.S_IMODE(info.st_mode) & 0o077:
            try:
                os.chmod(target, wanted)
                loosened = True
            except OSError:
                continue
    if not loosened:
        return []
    return [
        "Other accounts on this computer could read this vault's files (they were copied or "
        "restored with open permissions). They are now readable by you alone."
    ]


class VaultFolder:
    """A vault folder this process has claimed with the single-writer lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.db_path = path / DB_NAME
        self._lock = InstanceLock(path)
        self.throttle = AttemptThrottle(path)
        self.permission_notes: list[str] = []

    # -- claiming -----------------------------------------------------------------------
    @staticmethod
    def is_vault(path: Path) -> bool:
        return (path / DB_NAME).is_file() or (path / keyslots.FILE_NAME).is_file()

    @classmethod
    def attach(cls, path: Path) -> VaultFolder:
        """Claim an existing vault folder (refusing a second instance)."""
        path = Path(path).expanduser()
        if not path.is_dir():
            raise NotAVault(f"There is no folder at {path}.")
        if not cls.is_vault(path):
            raise NotAVault(f"The folder {path} is not a Safeguarding Case Notes vault.")
        if not (path / DB_NAME).is_file():
            raise VaultDamaged(
                "The vault database (vault.db) is missing from this folder.",
                "Restore your most recent backup into a new folder.",
            )
        with open(path / DB_NAME, "rb") as handle:
            header = handle.read(16)
        if header == SQLITE_HEADER:
            raise NotAVault("vault.db in this folder is an ordinary, unencrypted SQLite database, not a vault.")
        if len(header) < 16:
            raise VaultDamaged(
                "The vault database is empty or cut short.", "Restore your most recent backup into a new folder."
            )
        folder = cls(path)
        folder._lock.acquire()
        folder.permission_notes = _restrict_permissions(path)
        return folder

    @classmethod
    def create(
        cls,
        path: Path,
        passphrase: str,
        *,
        owner_name: str,
        organisation_name: str = "",
        organisation_sector: str = "public",
        escrow: Escrow | None = None,
        kdf_params: kdf.KdfParams | None = None,
        schema_target: int | None = None,
    ) -> CreatedVault:
        path = Path(path).expanduser()
        if organisation_sector not in SECTORS:
            raise UsageError(f"The organisation sector must be one of: {', '.join(SECTORS)}.")
        if not passphrase:
            raise UsageError("Choose a passphrase.")
        if not owner_name.strip():
            raise UsageError("Enter your name as it should appear on records.")
        if path.exists() and any(path.iterdir()):
            if cls.is_vault(path):
                raise UsageError(f"There is already a vault in {path}.", "Open it instead, or choose an empty folder.")
            raise UsageError(f"The folder {path} is not empty.", "Choose a new or empty folder for the vault.")
        try:
            path.mkdir(mode=0o700, parents=True, exist_ok=True)
            if os.name == "posix":
                os.chmod(path, 0o700)
        except OSError as exc:
            raise storage_error(exc, "the vault folder") from exc
        folder = cls(path)
        folder._lock.acquire()
        try:
            secret = recovery_key.new_secret()
            data_key = keyslots.data_key_from_recovery(secret)
            vault_id = uuid.uuid4().hex
            slots = keyslots.KeySlots.new(vault_id, data_key)
            slots.set_recovery()
            slots.set_passphrase(data_key, passphrase, kdf_params)
            if escrow is not None:
                slots.set_escrow(data_key, escrow.recipient, escrow.fingerprint)
            keyslots.write(path, slots)
            try:
                conn = open_database(folder.db_path, data_key, create=True)
            except OSError as exc:
                raise storage_error(exc, "the new vault") from exc
            try:
                migrations.apply_pending(conn, schema_target)
                now = datetime.now(UTC).isoformat(timespec="seconds")
                with _tx(conn):
                    conn.executemany(
                        "INSERT INTO meta (key, value) VALUES (?, ?)",
                        [
                            ("vault_id", vault_id),
                            ("created_at", now),
                            ("created_by_version", __version__),
                            ("owner_name", owner_name.strip()),
                            ("organisation_name", organisation_name.strip()),
                            ("organisation_sector", organisation_sector),
                        ],
                    )
                    audit.append_event(
                        conn,
                        "vault.created",
                        actor=owner_name.strip(),
                        details={
                            "escrow": escrow.fingerprint if escrow else None,
                            "schema_version": migrations.current_version(conn),
                        },
                    )
                keyslots.record_database_salt(path, slots)
            except DatabaseError as exc:
                conn.close()
                raise classify(exc, "creating the vault") from exc
            return CreatedVault(folder, OpenVault(folder, conn, data_key, []), recovery_key.format_key(secret))
        except BaseException:
            folder.release()
            _discard_unfinished(path)
            raise

    def release(self) -> None:
        self._lock.release()

    @property
    def warnings(self) -> list[str]:
        return [*self.permission_notes, *location_warnings(self.path)]

    # -- key slots ----------------------------------------------------------------------
    def read_slots(self) -> tuple[keyslots.KeySlots, list[str]]:
        """The current key slots, falling back to the kept previous generation."""
        try:
            return keyslots.read(self.path), []
        except KeySlotsDamaged as current_problem:
            try:
                previous = keyslots.read(self.path, keyslots.PREVIOUS_NAME)
            except KeySlotsDamaged:
                raise current_problem from None
            return previous, [
                f"{current_problem.message} The kept previous copy of the key-slot file was used instead."
            ]

    def load_slots_for_rewrite(self, data_key: bytes) -> keyslots.KeySlots:
        """Slots to modify: the current (or previous) file if it belongs to this key, or
        a fresh set when both are lost (after a recovery-key unlock)."""
        try:
            slots, _ = self.read_slots()
            if slots.check_data_key(data_key):
                return slots
        except KeySlotsDamaged:
            pass
        vault_id = self._vault_id_from_db(data_key)
        fresh = keyslots.KeySlots.new(vault_id, data_key)
        fresh.set_recovery()
        return fresh

    def _vault_id_from_db(self, data_key: bytes) -> str:
        conn = open_database(self.db_path, data_key)
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = 'vault_id'").fetchone()
        finally:
            conn.close()
        return str(row[0]) if row else uuid.uuid4().hex

    # -- unlocking ----------------------------------------------------------------------
    def unlock(self, passphrase: str) -> OpenVault:
        self.throttle.check()
        slots, notices = self.read_slots()
        if slots.source == keyslots.PREVIOUS_NAME:
            try:
                data_key = slots.unwrap_passphrase(passphrase)
            except WrongPassphrase:
                self.throttle.record_failure()
                raise KeySlotsDamaged(
                    "The key-slot file is damaged, and that passphrase does not open the kept copy either.",
                    "Check the passphrase (Caps Lock, keyboard layout) and try again, or use your recovery key.",
                ) from None
        else:
            try:
                data_key = slots.unwrap_passphrase(passphrase)
            except WrongPassphrase:
                self.throttle.record_failure()
                raise
        self.throttle.reset()
        vault = self._open(data_key, slots, notices, how="passphrase")
        if slots.source == keyslots.PREVIOUS_NAME:
            keyslots.write(self.path, slots)  # restore the current file from the good copy
            kinds = ", ".join(sorted(str(slot.get("type")) for slot in slots.slots))
            vault.notices.append(
                f"A new key-slot file has been written from the kept copy ({kinds}). A slot added "
                "after that copy was made, such as an organisation recovery slot, is not in it."
            )
        return vault

    def unlock_with_recovery_key(self, text: str) -> OpenVault:
        secret = recovery_key.parse_key(text)  # raises MistypedRecoveryKey
        data_key = keyslots.data_key_from_recovery(secret)
        try:
            slots, notices = self.read_slots()
        except KeySlotsDamaged as exc:
            slots, notices = None, [f"{exc.message} Your recovery key opened the vault without it."]
        if slots is not None and not slots.check_data_key(data_key):
            if not slots.foreign_to(self.path):
                raise WrongRecoveryKey("That recovery key does not belong to this vault.")
            # The key-slot file came from another vault: the recovery key does not need it.
            notices.append(f"{FOREIGN_SLOTS} Your recovery key opened the vault without it.")
            slots = None
        return self._open(data_key, slots, notices, how="recovery_key")

    def unlock_with_escrow(self, identity_text: str) -> OpenVault:
        """Open with the organisation's escrow identity (an age X25519 secret key)."""
        import json

        import pyrage

        slots, notices = self.read_slots()
        slot = slots.slot("escrow")
        if slot is None:
            raise UsageError(
                "This vault has no organisation escrow slot.", "It was created without an escrow key in policy."
            )
        identities = []
        for line in identity_text.splitlines():
            line = line.strip()
            if line.startswith("AGE-SECRET-KEY-"):
                try:
                    identities.append(pyrage.x25519.Identity.from_str(line))
                except Exception as exc:  # noqa: BLE001 - pyrage's own error types
                    raise UsageError("The escrow identity file contains a malformed age secret key.") from exc
        if not identities:
            raise UsageError("The escrow identity file has no age secret key (a line starting AGE-SECRET-KEY-).")
        try:
            payload = json.loads(pyrage.decrypt(bytes.fromhex(slot["ciphertext"]), identities))
            data_key = bytes.fromhex(payload["data_key"])
        except pyrage.DecryptError as exc:
            raise WrongRecoveryKey(
                "That escrow identity does not open this vault.",
                "Check you have the organisation's escrow key for this vault.",
            ) from exc
        except (KeyError, ValueError, TypeError) as exc:
            raise KeySlotsDamaged("The escrow slot in the key-slot file is damaged.") from exc
        if payload.get("vault_id") != slots.vault_id or not slots.check_data_key(data_key):
            raise KeySlotsDamaged("The escrow slot does not belong to this vault.")
        return self._open(data_key, slots, notices, how="escrow")

    def _open(self, data_key: bytes, slots: keyslots.KeySlots | None, notices: list[str], *, how: str) -> OpenVault:
        try:
            conn = open_database(self.db_path, data_key)
        except DatabaseError as exc:
            if slots is None:
                raise WrongRecoveryKey(
                    "That recovery key does not open this vault, or the database is damaged.",
                    "Check the key against your printout. If it is right, restore your most recent backup.",
                ) from exc
            if slots.foreign_to(self.path):
                raise KeySlotsDamaged(
                    FOREIGN_SLOTS,
                    "Use your recovery key (it does not need the key-slot file), or put back the "
                    "keyslots.json that was with this vault.db. The database itself was not changed.",
                ) from exc
            raise classify(exc, "opening the vault") from exc
        except OSError as exc:
            raise storage_error(exc, "the vault") from exc
        try:
            self._migrate(conn, data_key)
            with _tx(conn):
                owner = conn.execute("SELECT value FROM meta WHERE key = 'owner_name'").fetchone()
                audit.append_event(
                    conn, "vault.unlocked", actor=owner[0] if owner else "unknown", details={"method": how}
                )
        except DatabaseError as exc:
            conn.close()
            raise classify(exc, "opening the vault") from exc
        except BaseException:
            conn.close()
            raise
        vault = OpenVault(self, conn, data_key, notices)
        if slots is not None and slots.source == keyslots.FILE_NAME:
            # Older files and restored backups: note this database's salt once, so a key-slot
            # file mixed up with another vault's is recognised as such later. Best effort.
            with contextlib.suppress(CaseNotesError, OSError):
                keyslots.record_database_salt(self.path, slots)
        if slots is None:
            fresh = keyslots.KeySlots.new(vault.info.vault_id, data_key)
            fresh.set_recovery()
            keyslots.write(self.path, fresh)
            vault.notices.append("A new key-slot file has been written. Set a passphrase now.")
        return vault

    def _migrate(self, conn: Connection, data_key: bytes) -> None:
        todo = migrations.pending(conn)
        if not todo:
            return
        if migrations.current_version(conn) >= 1:
            snap_dir = self.path / SNAPSHOT_DIR
            snap_dir.mkdir(mode=0o700, exist_ok=True)
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            dest = snap_dir / f"pre-v{todo[-1].version}-{stamp}.db"
            retry = 1
            while dest.exists():  # a retry soon after a failed upgrade keeps both copies
                retry += 1
                dest = snap_dir / f"pre-v{todo[-1].version}-{stamp}-{retry}.db"
            export_encrypted_copy(conn, data_key, dest)
        try:
            migrations.apply_pending(conn)
        except DatabaseError as exc:
            known = classify(exc, "upgrading the vault to this version")
            if isinstance(known, CaseNotesError):
                raise known from exc
            raise CaseNotesError(
                "The vault could not be upgraded to this version of Safeguarding Case Notes.",
                "Nothing was lost: the vault stays at the last step that finished, and a copy from "
                f"before the upgrade is in its {SNAPSHOT_DIR} folder. Try again; if it fails again, "
                "tell IT support.",
            ) from exc


def export_encrypted_copy(conn: Connection, data_key: bytes, dest: Path) -> None:
    """Write an encrypted copy of the whole database (same key) to ``dest``.

    SQLCipher's ``sqlcipher_export`` writes through the codec, so the copy is never
    plaintext on disk. Used for migration snapshots and backups.
    """
    if dest.exists():
        raise UsageError(f"{dest.name} already exists; not overwriting it.")
    try:
        fd = os.open(dest, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        conn.execute(f"ATTACH DATABASE ? AS copy KEY \"x'{data_key.hex()}'\"", (str(dest),))
        try:
            conn.execute("SELECT sqlcipher_export('copy')")
            conn.execute(f"PRAGMA copy.user_version = {migrations.current_version(conn)}")
        finally:
            conn.execute("DETACH DATABASE copy")
    except OSError as exc:
        dest.unlink(missing_ok=True)
        raise storage_error(exc, "the copy") from exc
    except DatabaseError as exc:
        dest.unlink(missing_ok=True)
        raise classify(exc, "writing the copy") from exc


def _discard_unfinished(path: Path) -> None:
    """Remove what a failed ``create`` wrote into the (previously empty) folder, so that
    creating again there works once the problem, such as a full disk, is fixed."""
    for name in (DB_NAME, f"{DB_NAME}-wal", f"{DB_NAME}-shm", keyslots.FILE_NAME, keyslots.PREVIOUS_NAME, LOCK_NAME):
        with suppress(OSError):
            (path / name).unlink()


@contextmanager
def _tx(conn: Connection) -> Iterator[Connection]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def describe(vault: OpenVault) -> dict[str, Any]:
    info = vault.info
    return {
        "vault_id": info.vault_id,
        "owner_name": info.owner_name,
        "organisation_name": info.organisation_name,
        "organisation_sector": info.organisation_sector,
        "created_at": info.created_at,
        "schema_version": info.schema_version,
        "folder": str(vault.folder.path),
    }
