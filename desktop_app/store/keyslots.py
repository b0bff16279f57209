"""The key-slot file: how a passphrase, the recovery key or the organisation's escrow key
each reach the one data key that SQLCipher uses.

Key hierarchy (docs/security.md):

* data key: 256 bits, the SQLCipher raw key. It is derived from the recovery secret with
  HKDF-SHA256, so the printed recovery key alone reopens the vault even if this file is
  lost; it is never written anywhere unwrapped.
* passphrase slot: the data key wrapped with AES-256-GCM under an Argon2id key. The
  associated data binds the vault id, slot id, slot type, KDF parameters and format
  version, so moving a slot between vaults or editing its parameters makes it fail.
* escrow slot (optional): the data key and vault id encrypted with age to the
  organisation's X25519 public key, whose fingerprint IT pins in policy.
* key check: a 128-bit HMAC of the vault id under the data key. It lets us tell "wrong
  recovery key" from "damaged database" without touching the database.

The file also carries a SHA-256 checksum of its own content so that accidental damage
(a truncated copy, a flipped bit) is reported as damage and not as a wrong passphrase.
It is written atomically, and the previous generation is kept as ``keyslots.prev.json``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from desktop_app.errors import KeySlotsDamaged, UsageError, WrongPassphrase
from desktop_app.store import kdf
from desktop_app.store.atomic import write_atomic
from desktop_app.store.connection import DB_NAME

FORMAT = "casenotes-keyslots"
FORMAT_VERSION = 1
FILE_NAME = "keyslots.json"
PREVIOUS_NAME = "keyslots.prev.json"
MAX_FILE_BYTES = 256 * 1024  # a real slot file is ~2 KB; refuse anything absurd quickly


def data_key_from_recovery(secret: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"casenotes/v1/data-key").derive(secret)


def key_check(data_key: bytes, vault_id: str) -> str:
    return hmac.new(data_key, b"casenotes/v1/key-check/" + vault_id.encode(), hashlib.sha256).hexdigest()[:32]


def _canonical(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def _aad(vault_id: str, slot_id: str, slot_type: str, kdf_json: dict[str, Any]) -> bytes:
    return _canonical(
        {"format_version": FORMAT_VERSION, "vault_id": vault_id, "slot_id": slot_id, "type": slot_type, "kdf": kdf_json}
    )


@dataclass
class KeySlots:
    vault_id: str
    generation: int
    key_check: str
    slots: list[dict[str, Any]] = field(default_factory=list)
    source: str = FILE_NAME  # which file it was read from
    #: The 16-byte salt at the start of the vault.db these slots were written beside (hex).
    #: Public (it is stored unencrypted in vault.db itself); used only to explain a failure:
    #: a key-slot file from another vault unwraps with that vault's passphrase, and without
    #: this the database would be blamed as damaged. None in files written before it existed.
    db_salt: str | None = None

    # -- construction -----------------------------------------------------------------
    @classmethod
    def new(cls, vault_id: str, data_key: bytes) -> KeySlots:
        return cls(vault_id=vault_id, generation=0, key_check=key_check(data_key, vault_id))

    def slot(self, slot_type: str) -> dict[str, Any] | None:
        return next((s for s in self.slots if s.get("type") == slot_type), None)

    def _replace(self, slot: dict[str, Any]) -> None:
        self.slots = [s for s in self.slots if s.get("type") != slot["type"]] + [slot]

    def set_passphrase(self, data_key: bytes, passphrase: str, params: kdf.KdfParams | None = None) -> None:
        if not passphrase:
            raise UsageError("The passphrase must not be empty.")
        params = params or kdf.calibrate()
        kdf_json = params.to_json()
        wrapping = kdf.derive(passphrase, params)
        nonce = os.urandom(12)
        ciphertext = AESGCM(wrapping).encrypt(
            nonce, data_key, _aad(self.vault_id, "passphrase", "passphrase", kdf_json)
        )
        self._replace(
            {
                "id": "passphrase",
                "type": "passphrase",
                "kdf": kdf_json,
                "aead": "AES-256-GCM",
                "nonce": nonce.hex(),
                "ciphertext": ciphertext.hex(),
            }
        )

    def set_recovery(self) -> None:
        self._replace({"id": "recovery", "type": "recovery", "derivation": "HKDF-SHA256(recovery secret)"})

    def set_escrow(self, data_key: bytes, recipient: str, fingerprint: str) -> None:
        import pyrage

        try:
            age_recipient = pyrage.x25519.Recipient.from_str(recipient)
        except Exception as exc:  # noqa: BLE001 - pyrage raises its own types
            raise UsageError("The organisation escrow key is not a valid age public key.") from exc
        payload = _canonical({"vault_id": self.vault_id, "data_key": data_key.hex()})
        ciphertext = pyrage.encrypt(payload, [age_recipient])
        self._replace(
            {
                "id": "escrow",
                "type": "escrow",
                "recipient": recipient,
                "fingerprint": fingerprint,
                "ciphertext": ciphertext.hex(),
            }
        )

    # -- unwrapping ---------------------------------------------------------------------
    def unwrap_passphrase(self, passphrase: str) -> bytes:
        slot = self.slot("passphrase")
        if slot is None:
            raise KeySlotsDamaged(
                "This vault has no passphrase slot.", "Open it with your recovery key and set a passphrase."
            )
        params = kdf.KdfParams.from_json(slot.get("kdf"))
        try:
            nonce = bytes.fromhex(slot["nonce"])
            ciphertext = bytes.fromhex(slot["ciphertext"])
        except (KeyError, TypeError, ValueError) as exc:
            raise KeySlotsDamaged("The passphrase slot in the key-slot file is malformed.") from exc
        wrapping = kdf.derive(passphrase, params)
        try:
            data_key = AESGCM(wrapping).decrypt(
                nonce, ciphertext, _aad(self.vault_id, "passphrase", "passphrase", slot["kdf"])
            )
        except (InvalidTag, ValueError) as exc:
            raise WrongPassphrase("That passphrase does not open this vault.") from exc
        if not hmac.compare_digest(key_check(data_key, self.vault_id), self.key_check):
            raise KeySlotsDamaged("The key-slot file is inconsistent: its passphrase slot and key check disagree.")
        return data_key

    def check_data_key(self, data_key: bytes) -> bool:
        return hmac.compare_digest(key_check(data_key, self.vault_id), self.key_check)

    # -- persistence --------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        body = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "vault_id": self.vault_id,
            "generation": self.generation,
            "key_check": self.key_check,
            "slots": self.slots,
        }
        if self.db_salt is not None:
            body["db_salt"] = self.db_salt
        body["checksum"] = hashlib.sha256(_canonical(body)).hexdigest()
        return json.dumps(body, indent=2, sort_keys=True).encode() + b"\n"

    @classmethod
    def from_bytes(cls, raw: bytes, source: str = FILE_NAME) -> KeySlots:
        if len(raw) > MAX_FILE_BYTES:
            raise KeySlotsDamaged("The key-slot file is far larger than a real one; it is not a key-slot file.")
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise KeySlotsDamaged("The key-slot file is damaged (it is incomplete or not readable).") from exc
        if not isinstance(body, dict) or body.get("format") != FORMAT:
            raise KeySlotsDamaged("The key-slot file is not a Safeguarding Case Notes key-slot file.")
        if body.get("format_version") != FORMAT_VERSION:
            raise KeySlotsDamaged(
                "The key-slot file was written by a newer version of Safeguarding Case Notes.",
                "Open the vault with the newer version, or ask IT to update this computer.",
            )
        stated = body.pop("checksum", None)
        if not isinstance(stated, str) or not hmac.compare_digest(stated, hashlib.sha256(_canonical(body)).hexdigest()):
            raise KeySlotsDamaged("The key-slot file is damaged: its checksum does not match its content.")
        try:
            vault_id = body["vault_id"]
            generation = body["generation"]
            check = body["key_check"]
            slots = body["slots"]
        except KeyError as exc:
            raise KeySlotsDamaged("The key-slot file is missing a required part.") from exc
        if not (
            isinstance(vault_id, str)
            and isinstance(generation, int)
            and isinstance(check, str)
            and isinstance(slots, list)
        ):
            raise KeySlotsDamaged("The key-slot file has malformed fields.")
        if not all(isinstance(s, dict) for s in slots):
            raise KeySlotsDamaged("The key-slot file has malformed slots.")
        db_salt = body.get("db_salt")
        if db_salt is not None and not (isinstance(db_salt, str) and len(db_salt) == 32 and _is_hex(db_salt)):
            raise KeySlotsDamaged("The key-slot file has malformed fields.")
        return cls(
            vault_id=vault_id, generation=generation, key_check=check, slots=slots, source=source, db_salt=db_salt
        )

    def foreign_to(self, folder: Path) -> bool:
        """True only when these slots were certainly written beside another vault.db
        (both salts known and different); False when they match or cannot be told."""
        current = database_salt(folder)
        return self.db_salt is not None and current is not None and not hmac.compare_digest(self.db_salt, current)


def _is_hex(text: str) -> bool:
    try:
        bytes.fromhex(text)
    except ValueError:
        return False
    return True


def database_salt(folder: Path) -> str | None:
    """The salt SQLCipher keeps in the first 16 bytes of ``vault.db`` (hex), or None."""
    try:
        with open(folder / DB_NAME, "rb") as handle:
            header = handle.read(16)
    except OSError:
        return None
    return header.hex() if len(header) == 16 else None


def read(folder: Path, name: str = FILE_NAME) -> KeySlots:
    path = folder / name
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise KeySlotsDamaged(f"The key-slot file ({name}) is missing from the vault folder.") from exc
    except OSError as exc:
        raise KeySlotsDamaged(f"The key-slot file ({name}) could not be read: {exc.strerror}.") from exc
    return KeySlots.from_bytes(raw, source=name)


def record_database_salt(folder: Path, slots: KeySlots) -> None:
    """Note the salt of the ``vault.db`` beside the current file, in place: the same
    generation, nothing rotated, since no key changed (a new vault, an older file, a
    restored backup). Written atomically like every key-slot write."""
    salt = database_salt(folder)
    if salt is None or salt == slots.db_salt:
        return
    slots.db_salt = salt
    write_atomic(folder / FILE_NAME, slots.to_bytes(), "the key-slot file")


def write(folder: Path, slots: KeySlots, *, retire_old_passphrase: bool = False) -> None:
    """Write a new generation, keeping the current one as the previous generation.

    With ``retire_old_passphrase`` (a passphrase change) the kept copy is the *new*
    generation instead: someone who changes a passphrase because it leaked expects the old
    one to stop working everywhere, including in the copy beside the vault. The copy is
    written first, so a failure part-way leaves the current file and passphrase as they were.
    """
    current = folder / FILE_NAME
    slots.generation += 1
    slots.db_salt = database_salt(folder) or slots.db_salt
    data = slots.to_bytes()
    if retire_old_passphrase:
        write_atomic(folder / PREVIOUS_NAME, data, "the kept copy of the key-slot file")
    elif current.exists():
        old = current.read_bytes()
        try:
            KeySlots.from_bytes(old)
            write_atomic(folder / PREVIOUS_NAME, old, "the previous key-slot file")
        except KeySlotsDamaged:
            pass  # never let a damaged current file overwrite a good previous one
    write_atomic(current, data, "the key-slot file")
