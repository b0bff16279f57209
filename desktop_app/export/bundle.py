"""The encrypted bundle: an age file holding the packet, a manifest and its signature.

Layout (docs/export-formats.md): a tar archive, made in memory, of

* ``manifest.json`` — what was sent: each file's name, size and SHA-256, the packet,
  vault and decision ids, sender, recipient, time, and the signer's public key;
* ``manifest.sig`` — 64 raw bytes: the Ed25519 signature over the exact bytes of
  ``manifest.json``;
* ``packet.json`` — the share packet (``domain/share_packet.py``);
* ``packet.pdf`` — the same packet rendered for people.

The tar is encrypted with age (pyrage) to the recipient's X25519 public key, or to a
passphrase, so the standard ``age`` tool opens it: ``age -d -i key.txt bundle.age | tar x``.

Why the PDF inside is *not* password-protected: the age layer already encrypts it, the
signature covers its hash, and a second password would be one more secret to send and to
lose. Once the recipient has decrypted the bundle, the PDF is theirs to protect.

Why a passphrase bundle is checked after it is written: pyrage chooses the scrypt work
factor itself, by timing about a second on this computer, and a recipient refuses a
factor above ``export.verify.MAX_SCRYPT_WORK_FACTOR`` (2^22, the standard age tool's own
limit). A computer fast enough to pick more would write bundles nobody could open, so the
header of every passphrase bundle is read back with the verifier's own parser and the
export fails loudly instead.

Why the tar is reproducible (fixed times, owners and modes): the same packet and PDF give
byte-identical archives, so nothing about this computer (user names, clock, umask) leaks
into the bundle, and a manifest can be checked against a re-made archive.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyrage
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from desktop_app.domain.share_packet import SharePacket, format_utc
from desktop_app.domain.share_password import check_password
from desktop_app.errors import CaseNotesError, UsageError
from desktop_app.services.signing import fingerprint, raw_public_key

MANIFEST_FORMAT = "casenotes-bundle-manifest"
MANIFEST_VERSION = 1
MANIFEST_NAME = "manifest.json"
SIGNATURE_NAME = "manifest.sig"
PACKET_JSON_NAME = "packet.json"
PACKET_PDF_NAME = "packet.pdf"
MEMBER_ORDER = (MANIFEST_NAME, SIGNATURE_NAME, PACKET_JSON_NAME, PACKET_PDF_NAME)
FILE_MODE = 0o600  # if someone extracts by hand, the files are theirs alone
SIGNATURE_ALGORITHM = "Ed25519"


class NotAnAgeRecipient(UsageError):
    default_advice = (
        "Ask the recipient for their age public key: one line starting with age1, "
        "made with age-keygen. Or protect the bundle with a passphrase instead."
    )


class PassphraseWorkTooHigh(CaseNotesError):
    """pyrage chose a scrypt work factor recipients would refuse (a very fast computer)."""

    default_advice = (
        "Nothing was saved. Use the recipient's age public key instead, or a password-protected PDF, "
        "and tell IT: this computer is faster than bundles with a passphrase allow."
    )


@dataclass(frozen=True)
class WrittenBundle:
    """An encrypted bundle and the facts to record about it."""

    data: bytes
    manifest: bytes
    manifest_sha256: str
    signer_fingerprint: str


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def build_manifest(packet: SharePacket, files: Sequence[tuple[str, bytes]], key: Ed25519PrivateKey) -> bytes:
    """The manifest's exact bytes (UTF-8 JSON). The signature covers these bytes, so the
    reader must verify them as they are, never a re-serialised copy."""
    public = raw_public_key(key)
    body: dict[str, Any] = {
        "format": MANIFEST_FORMAT,
        "version": MANIFEST_VERSION,
        "packet_id": packet.packet_id,
        "created_at": format_utc(packet.created_at),
        "protective_marking": packet.protective_marking,
        "vault_id": packet.vault_id,
        "decision_id": packet.decision.decision_id,
        "sender": {"name": packet.sender.name, "organisation": packet.sender.organisation},
        "recipient": {"organisation": packet.recipient.organisation, "person": packet.recipient.person},
        "files": [{"name": name, "size": len(data), "sha256": sha256_hex(data)} for name, data in files],
        "signer": {
            "algorithm": SIGNATURE_ALGORITHM,
            "public_key": base64.b64encode(public).decode("ascii"),
            "fingerprint": fingerprint(public),
        },
    }
    return (json.dumps(body, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def pack_tar(members: Sequence[tuple[str, bytes]], mtime: int) -> bytes:
    """A plain (ustar) tar of ``members``, in memory, with nothing from this computer in
    it: fixed owner 0:0 with no names, fixed mode and the given modification time."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = mtime
            info.mode = FILE_MODE
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.type = tarfile.REGTYPE
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def bundle_tar(packet: SharePacket, key: Ed25519PrivateKey, pdf: bytes | None = None) -> tuple[bytes, bytes]:
    """The unencrypted archive and its manifest, both in memory only.

    ``pdf`` lets a caller reuse a PDF already rendered for the preview; otherwise it is
    rendered here (which needs a QGuiApplication, see ``export.pdf.ensure_gui_app``).
    """
    if pdf is None:
        from desktop_app.export.pdf import render_pdf

        pdf = render_pdf(packet)
    packet_json = packet.to_json_bytes()
    content = [(PACKET_JSON_NAME, packet_json), (PACKET_PDF_NAME, pdf)]
    manifest = build_manifest(packet, content, key)
    signature = key.sign(manifest)
    mtime = int(packet.created_at.timestamp())
    members = [(MANIFEST_NAME, manifest), (SIGNATURE_NAME, signature), *content]
    return pack_tar(members, mtime), manifest


def _recipient(text: str) -> pyrage.x25519.Recipient:
    cleaned = text.strip()
    if not cleaned.startswith("age1"):
        raise NotAnAgeRecipient("That is not an age public key (they start with age1).")
    try:
        return pyrage.x25519.Recipient.from_str(cleaned)
    except Exception as exc:  # noqa: BLE001 - pyrage raises its own, undocumented types
        raise NotAnAgeRecipient("That age public key is not valid; a character may be missing or mistyped.") from exc


def _check_own_work_factor(data: bytes) -> None:
    """Read back the header pyrage wrote, with the recipient's own checks (see the module
    docstring): a bundle the verifier would refuse must never be saved."""
    # Imported here: verify.py imports this module's names, so a top-level import would be circular.
    from desktop_app.export.verify import (
        MAX_SCRYPT_WORK_FACTOR,
        BundleWorkFactorTooHigh,
        check_work_factor,
        parse_age_header,
    )

    header = parse_age_header(data)
    try:
        check_work_factor(header)
    except BundleWorkFactorTooHigh as exc:
        chosen = header.stanzas[0].args[-1]
        raise PassphraseWorkTooHigh(
            f"This computer protected the passphrase with more work (2^{chosen}) than a recipient's copy of "
            f"Safeguarding Case Notes or age accepts (2^{MAX_SCRYPT_WORK_FACTOR}), so the bundle was not made."
        ) from exc


def write_bundle(
    packet: SharePacket,
    key: Ed25519PrivateKey,
    *,
    recipient: str | None = None,
    passphrase: str | None = None,
    pdf: bytes | None = None,
) -> WrittenBundle:
    """The packet as an age-encrypted bundle for ``recipient`` (an ``age1…`` public key)
    or ``passphrase`` (at least 12 characters; the recipient types it into ``age -d``).
    Exactly one of the two. Everything happens in memory; the caller saves the result."""
    if recipient is not None and passphrase is None:
        age_recipient = _recipient(recipient)
        plain, manifest = bundle_tar(packet, key, pdf)
        data = pyrage.encrypt(plain, [age_recipient])
    elif passphrase is not None and recipient is None:
        check_password(passphrase)
        plain, manifest = bundle_tar(packet, key, pdf)
        data = pyrage.passphrase.encrypt(plain, passphrase)
        _check_own_work_factor(data)
    else:
        raise UsageError("Choose either the recipient's age public key or a passphrase for the bundle, not both.")
    return WrittenBundle(
        data=data,
        manifest=manifest,
        manifest_sha256=sha256_hex(manifest),
        signer_fingerprint=fingerprint(key),
    )
