"""The vault's signing key: proves which vault a bundle's manifest came from.

age encrypts but does not sign: anyone who knows a recipient's public key can make a
bundle for them. So every bundle's manifest is signed with an Ed25519 key that belongs
to the vault. The key is made the first time it is needed and kept in the vault's
``meta`` table, which is inside the encrypted database: it is as safe as the records,
travels with backups and restores, and never exists unencrypted on disk.

The recipient checks the signature against the public key in the manifest, and checks
that key is really the sender's by comparing its *fingerprint*, read aloud over the phone
or printed on a letter: 32 base32 characters in eight groups of four.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from desktop_app.errors import VaultDamaged
from desktop_app.store import audit
from desktop_app.store.vault import OpenVault

META_KEY = "signing_key_ed25519"
FINGERPRINT_BYTES = 20


def raw_public_key(key: Ed25519PublicKey | Ed25519PrivateKey) -> bytes:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw)


def fingerprint(public_key: Ed25519PublicKey | Ed25519PrivateKey | bytes) -> str:
    """``ABCD EFGH …``: the first 160 bits of SHA-256 over the raw public key, in eight
    groups of four base32 letters and digits (no padding, nothing easily misheard as
    punctuation). 160 bits is far beyond what anyone could forge a match for."""
    raw = public_key if isinstance(public_key, bytes) else raw_public_key(public_key)
    digest = hashlib.sha256(raw).digest()[:FINGERPRINT_BYTES]
    text = base64.b32encode(digest).decode("ascii")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def normalise_fingerprint(text: str) -> str:
    """For comparing a fingerprint someone typed: case, spaces and dashes do not matter."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


def _load(value: str) -> Ed25519PrivateKey:
    try:
        return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(value))
    except ValueError as exc:
        raise VaultDamaged(
            "The vault's signing key is damaged.",
            "Your records are not affected. Restore a recent backup into a new folder, or ask IT.",
        ) from exc


def signing_key(vault: OpenVault) -> Ed25519PrivateKey:
    """The vault's Ed25519 signing key, created (and its creation audited) on first use."""
    row = vault.conn.execute("SELECT value FROM meta WHERE key = ?", (META_KEY,)).fetchone()
    if row is not None:
        return _load(str(row[0]))
    key = Ed25519PrivateKey.generate()
    raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    with vault.transaction("creating the signing key") as conn:
        # Checked again inside the write transaction: never replace an existing key, or
        # bundles already sent could no longer be tied to this vault.
        again = conn.execute("SELECT value FROM meta WHERE key = ?", (META_KEY,)).fetchone()
        if again is not None:
            return _load(str(again[0]))
        conn.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (META_KEY, raw.hex()))
        audit.append_event(
            conn,
            "signing_key.created",
            actor=vault.info.owner_name,
            details={"algorithm": "Ed25519", "fingerprint": fingerprint(key)},
        )
    return key
