"""Opening and checking a bundle, for the recipient (``casenotes verify-bundle``).

A bundle may come from anyone, so it is treated as hostile until proven otherwise:

1. The age header is parsed here first. A passphrase bundle names its scrypt work
   factor in the header, and a hostile file can ask for 2^30 rounds: the library would
   stall for minutes (and ask for a terabyte of memory) before it could say "wrong
   passphrase". Anything above 2^22 is refused before any work is done. 22 is the
   standard Go ``age`` tool's own default maximum (``ScryptIdentity`` in filippo.io/age),
   and it is not lower because of how bundles are written: pyrage (rage) times scrypt
   and picks the factor that takes about a second *on the sending computer*, 2^20 on a
   slow two-core machine and 2^21–2^22 on a fast one. A lower limit would make us refuse
   bundles this application wrote. ``export.bundle.write_bundle`` checks its own output
   against this limit, so it can never write a bundle its recipient's copy refuses. At
   2^22 scrypt needs 4 GiB of memory and a few seconds: the worst a hostile file can do.
2. age decrypts and authenticates everything (a flipped byte fails its MAC).
3. The tar is read *in memory* with limits: only the four expected regular files, no
   paths, links, devices or duplicates, and at most 200 MB in all. Nothing is ever
   extracted to disk.
4. The manifest's Ed25519 signature is checked over its exact bytes, then every file's
   size and SHA-256 against the manifest, then the packet against the manifest.

age alone cannot say who made a bundle (anyone with the recipient's public key can), so
the signer's fingerprint is shown for the recipient to compare with the one the sender
reads out; ``expected_signer`` makes the comparison automatic.

Each failure is its own error with advice: a wrong key or passphrase (exit 2) is not
damage (exit 3), and neither is "this is not a bundle at all" (exit 1).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import io
import json
import re
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pyrage
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from desktop_app.domain.share_packet import SharePacket, format_utc
from desktop_app.errors import EXIT_DAMAGED, EXIT_WRONG_SECRET, CaseNotesError, UsageError, ValidationError
from desktop_app.export.bundle import (
    MANIFEST_FORMAT,
    MANIFEST_NAME,
    MANIFEST_VERSION,
    MEMBER_ORDER,
    PACKET_JSON_NAME,
    SIGNATURE_ALGORITHM,
    SIGNATURE_NAME,
    sha256_hex,
)
from desktop_app.services.signing import fingerprint, normalise_fingerprint

AGE_MAGIC = b"age-encryption.org/v1\n"
AGE_PREFIX = b"age-encryption.org/"
ARMOR_BEGIN = b"-----BEGIN AGE ENCRYPTED FILE-----"
# The standard age tool's default maximum (see the module docstring); bundle.py checks
# every passphrase bundle it writes against it.
MAX_SCRYPT_WORK_FACTOR = 22
MAX_HEADER_BYTES = 64 * 1024
MAX_STANZAS = 64
MAX_CONTENT_BYTES = 200 * 1024 * 1024
MAX_BUNDLE_BYTES = MAX_CONTENT_BYTES + 4 * 1024 * 1024  # content + age overhead (16 bytes per 64 KiB)
MAX_MEMBERS = 16
MAX_MANIFEST_BYTES = 1024 * 1024
AGE_CHUNK = 64 * 1024
AGE_TAG = 16
AGE_NONCE = 16
TAR_BLOCK = 512
_B64 = re.compile(rb"[A-Za-z0-9+/]*")
_ARG = re.compile(rb"[\x21-\x7e]+")


# -- errors ------------------------------------------------------------------------------
class BundleError(CaseNotesError):
    """Something is wrong with a bundle someone was sent."""


class NotABundle(BundleError):
    default_advice = (
        "Check you chose the file that was sent to you (it usually ends in .age). "
        "A password-protected PDF is opened in a PDF reader instead."
    )


class BundleWrongKey(BundleError):
    exit_code = EXIT_WRONG_SECRET
    default_advice = (
        "Choose the identity file whose public key you gave the sender. If you have only "
        "one, ask the sender to check the key they used. Nothing has been changed."
    )


class BundleWrongPassphrase(BundleError):
    exit_code = EXIT_WRONG_SECRET
    default_advice = (
        "Check the passphrase with the sender, including capitals and dashes. If it is "
        "certainly right, the bundle may have been altered: ask the sender to send it again."
    )


class BundleNeedsOtherSecret(BundleError):
    """A passphrase bundle opened with a key, or the other way round."""

    exit_code = EXIT_WRONG_SECRET


class BundleIncomplete(BundleError):
    exit_code = EXIT_DAMAGED
    default_advice = (
        "The file was probably cut short while it was downloaded or copied. Ask the sender "
        "to send it again; do not use any part of it."
    )


class BundleDamaged(BundleError):
    exit_code = EXIT_DAMAGED
    default_advice = (
        "Do not use any part of it. Ask the sender to send it again by a secure route, and "
        "tell them this happened: it may have been tampered with on the way."
    )


class BundleWorkFactorTooHigh(BundleDamaged):
    """The header asks for far more passphrase work than any bundle we write."""


class BundleSignatureInvalid(BundleDamaged):
    """The manifest was altered or signed by someone else."""


class BundleSignerMismatch(BundleDamaged):
    """Signed correctly, but not by the key the recipient expected."""


class BundleContentMismatch(BundleDamaged):
    """A file does not match the size or SHA-256 in the signed manifest."""


class BundleHostileContent(BundleDamaged):
    """The archive holds paths, links, huge or unexpected files: never extracted."""


# -- the age header ------------------------------------------------------------------------
@dataclass(frozen=True)
class AgeStanza:
    kind: str
    args: tuple[str, ...]


@dataclass(frozen=True)
class AgeHeader:
    stanzas: tuple[AgeStanza, ...]
    payload_offset: int

    @property
    def is_passphrase(self) -> bool:
        return any(s.kind == "scrypt" for s in self.stanzas)


def _incomplete(what: str = "") -> BundleIncomplete:
    return BundleIncomplete(f"The bundle is incomplete{what}.")


def parse_age_header(data: bytes) -> AgeHeader:
    """Read the age v1 header (text lines) without doing any cryptography.

    ``age-encryption.org/v1``, then stanzas (``-> type arg…`` and base64 body lines, the
    last shorter than 64 characters), then ``--- `` and the header MAC.
    """
    if data.startswith(ARMOR_BEGIN):
        raise NotABundle(
            "This is an age file in text (armoured) form; bundles are binary.",
            "Ask the sender for the .age file itself, or decrypt it with the age tool.",
        )
    if len(data) < len(AGE_MAGIC) and AGE_MAGIC.startswith(data):
        if not data:
            raise BundleIncomplete("The bundle is empty.")
        raise _incomplete()
    if not data.startswith(AGE_PREFIX):
        raise NotABundle("This is not an encrypted bundle.")
    if not data.startswith(AGE_MAGIC):
        raise NotABundle(
            "This file was made by a newer version of age than this application understands.",
            "Ask the sender to use the standard age format (v1), or update Safeguarding Case Notes.",
        )
    position = len(AGE_MAGIC)
    stanzas: list[AgeStanza] = []
    in_body = False

    def next_line() -> bytes:
        nonlocal position
        end = data.find(b"\n", position, position + 1024)
        if end < 0:
            if len(data) - position < 1024:
                raise _incomplete(" (its header is cut short)")
            raise BundleDamaged("The bundle's header is damaged (a line is far too long).")
        line = data[position:end]
        position = end + 1
        if position > MAX_HEADER_BYTES:
            raise BundleDamaged("The bundle's header is damaged (it is far too long).")
        return line

    while True:
        line = next_line()
        if in_body:
            if len(line) > 64 or not _B64.fullmatch(line):
                raise BundleDamaged("The bundle's header is damaged (a key line is malformed).")
            in_body = len(line) == 64
            continue
        if line.startswith(b"-> "):
            parts = line[3:].split(b" ")
            if not all(_ARG.fullmatch(p) for p in parts):
                raise BundleDamaged("The bundle's header is damaged (a recipient line is malformed).")
            stanzas.append(AgeStanza(parts[0].decode("ascii"), tuple(p.decode("ascii") for p in parts[1:])))
            if len(stanzas) > MAX_STANZAS:
                raise BundleDamaged("The bundle's header lists far more recipients than any real bundle.")
            in_body = True
            continue
        if line.startswith(b"---"):
            mac = line[4:] if line.startswith(b"--- ") else b""
            if len(mac) != 43 or not _B64.fullmatch(mac):
                raise BundleDamaged("The bundle's header is damaged (its check value is malformed).")
            break
        raise BundleDamaged("The bundle's header is damaged (an unexpected line).")
    if not stanzas:
        raise BundleDamaged("The bundle's header names no recipient.")
    return AgeHeader(tuple(stanzas), position)


def check_work_factor(header: AgeHeader) -> int | None:
    """The scrypt work factor (log2) a passphrase bundle asks for, or None for a key
    bundle. Refuses anything above ``MAX_SCRYPT_WORK_FACTOR`` without doing any of the
    work, so a hostile header cannot stall the program. Used both when reading a bundle
    and, by ``export.bundle``, on every passphrase bundle this application writes."""
    scrypt = [s for s in header.stanzas if s.kind == "scrypt"]
    if not scrypt:
        return None
    if len(header.stanzas) != 1 or len(scrypt[0].args) != 2:
        raise BundleDamaged("The bundle's passphrase header is malformed.")
    factor_text = scrypt[0].args[1]
    if not factor_text.isdigit() or (factor_text.startswith("0")) or len(factor_text) > 2:
        raise BundleDamaged("The bundle's passphrase header has an invalid work factor.")
    factor = int(factor_text)
    if factor > MAX_SCRYPT_WORK_FACTOR:
        raise BundleWorkFactorTooHigh(
            f"This bundle asks for an unreasonable amount of passphrase work (2^{factor}; "
            f"bundles use at most 2^{MAX_SCRYPT_WORK_FACTOR}), so it was not opened.",
            "A real bundle never asks for this. Do not open it with other tools; ask the sender "
            "to send it again, and tell them what happened.",
        )
    return factor


def _check_payload_length(data: bytes, header: AgeHeader) -> None:
    """A bundle holds a tar, whose length is a whole number of 512-byte blocks; age adds a
    16-byte nonce and a 16-byte tag per 64 KiB chunk. A length no tar could give means
    the file was cut short (or padded), which is worth saying plainly."""
    body = len(data) - header.payload_offset - AGE_NONCE
    if body < AGE_TAG + TAR_BLOCK:
        raise _incomplete()
    chunks = -(-body // (AGE_CHUNK + AGE_TAG))
    plain = body - AGE_TAG * chunks
    if plain <= (chunks - 1) * AGE_CHUNK or plain % TAR_BLOCK:
        raise _incomplete(" (it is not the length of a whole bundle)")


def _identities(identity: str) -> list[pyrage.x25519.Identity]:
    found: list[pyrage.x25519.Identity] = []
    for line in identity.splitlines():
        line = line.strip()
        if line.startswith("AGE-SECRET-KEY-"):
            try:
                found.append(pyrage.x25519.Identity.from_str(line))
            except Exception as exc:  # noqa: BLE001 - pyrage raises its own, undocumented types
                raise UsageError(
                    "The identity file contains a malformed age secret key.",
                    "Check it is the file age-keygen made, unchanged.",
                ) from exc
    if not found:
        raise UsageError(
            "The identity file has no age secret key (a line starting AGE-SECRET-KEY-).",
            "Choose the file age-keygen made; the public key (age1…) alone cannot decrypt.",
        )
    return found


def _decrypt(data: bytes, header: AgeHeader, identity: str | None, passphrase: str | None) -> bytes:
    if (identity is None) == (passphrase is None):
        raise UsageError("Give either an identity (age secret key) or a passphrase to open the bundle.")
    if header.is_passphrase and passphrase is None:
        raise BundleNeedsOtherSecret(
            "This bundle is protected by a passphrase, not encrypted for a key.",
            "Ask the sender for the passphrase (by phone, not in the same email as the bundle).",
        )
    if not header.is_passphrase and passphrase is not None:
        raise BundleNeedsOtherSecret(
            "This bundle was encrypted for a key, not protected by a passphrase.",
            "Open it with your age identity file (the secret key made by age-keygen).",
        )
    identities = _identities(identity) if identity is not None else []
    try:
        if passphrase is not None:
            return bytes(pyrage.passphrase.decrypt(data, passphrase))
        return bytes(pyrage.decrypt(data, identities))
    except pyrage.DecryptError as exc:
        raise _classify(str(exc), passphrase is not None) from exc


def _classify(message: str, by_passphrase: bool) -> BundleError:
    """pyrage reports failures only as text; these are rage's messages (pinned in tests)."""
    lowered = message.lower()
    if "no matching keys" in lowered:
        return BundleWrongKey(
            "This bundle was not encrypted for your key.",
        )
    if by_passphrase and lowered == "decryption failed":
        return BundleWrongPassphrase("That passphrase does not open this bundle.")
    if "excessive work" in lowered:
        # Within our own limit, but rage times this computer and refuses work it would take
        # it more than about 16 times its own calibration to do: a genuine bundle from a
        # much faster machine, opened on a slow one. Not damage, and not the sender's fault.
        return BundleWorkFactorTooHigh(
            "This computer is too slow to open this passphrase bundle in reasonable time.",
            "Open it on a faster computer, or ask the sender to send it again for your age key "
            "(a key bundle needs no passphrase work).",
        )
    if "fill whole buffer" in lowered or "unexpected eof" in lowered:
        return _incomplete()
    if "mac" in lowered:
        return BundleDamaged("The bundle is damaged or has been altered: its header failed its check.")
    return BundleDamaged("The bundle is damaged or has been altered: its contents failed their check.")


# -- the archive ---------------------------------------------------------------------------
def _hostile(message: str) -> BundleHostileContent:
    return BundleHostileContent(f"The bundle holds something a real bundle never does: {message}.")


def read_members(plain: bytes) -> dict[str, bytes]:
    """The bundle's files, read from the decrypted tar in memory. Refuses anything but the
    expected regular files; never extracts."""
    if len(plain) > MAX_CONTENT_BYTES + 1024 * 1024:
        raise _hostile("it is larger than 200 MB")
    files: dict[str, bytes] = {}
    total = 0
    try:
        with tarfile.open(fileobj=io.BytesIO(plain), mode="r:") as tar:
            for count, member in enumerate(tar, start=1):
                if count > MAX_MEMBERS:
                    raise _hostile("far more files than expected")
                name = member.name
                if name.startswith(("/", "\\")) or ".." in name.replace("\\", "/").split("/") or ":" in name:
                    raise _hostile(f"a file path that points outside the bundle ({name[:80]!r})")
                if member.issym() or member.islnk():
                    raise _hostile(f"a link ({name[:80]!r})")
                if member.type not in (tarfile.REGTYPE, tarfile.AREGTYPE):
                    raise _hostile(f"something that is not an ordinary file ({name[:80]!r})")
                if "/" in name or "\\" in name or name not in MEMBER_ORDER:
                    raise _hostile(f"an unexpected file ({name[:80]!r})")
                if name in files:
                    raise _hostile(f"the file {name} twice")
                total += member.size
                if member.size < 0 or total > MAX_CONTENT_BYTES:
                    raise _hostile("files larger than 200 MB in all")
                handle = tar.extractfile(member)
                if handle is None:  # pragma: no cover - regular files always have data
                    raise _hostile(f"an unreadable file ({name})")
                content = handle.read(member.size)
                if len(content) != member.size:
                    raise BundleDamaged(f"The bundle is damaged: {name} is cut short.")
                files[name] = content
    except tarfile.TarError as exc:
        raise BundleDamaged("The bundle is damaged: its contents are not a readable archive.") from exc
    missing = [name for name in MEMBER_ORDER if name not in files]
    if missing:
        raise BundleDamaged(f"The bundle is damaged: {missing[0]} is missing from it.")
    return files


# -- the manifest ----------------------------------------------------------------------------
@dataclass(frozen=True)
class BundleFile:
    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class VerifiedBundle:
    """A bundle whose encryption, signature and every file checked out. The files are
    held in memory only; saving any of them is the recipient's decision."""

    contents: tuple[BundleFile, ...]
    manifest: dict[str, Any]
    manifest_bytes: bytes
    signer_fingerprint: str
    packet_json: dict[str, Any]
    packet: SharePacket
    files: Mapping[str, bytes]
    protected_by: str  # "key" or "passphrase"

    @property
    def decision_id(self) -> str | None:
        return self.packet.decision.decision_id

    @property
    def sender(self) -> str:
        s = self.packet.sender
        return ", ".join(x for x in (s.name, s.organisation) if x)


def _forged(detail: str) -> BundleSignatureInvalid:
    return BundleSignatureInvalid(f"The bundle's manifest is not genuine: {detail}.")


def _check_manifest(files: Mapping[str, bytes], expected_signer: str | None) -> tuple[dict[str, Any], str]:
    manifest_bytes = files[MANIFEST_NAME]
    signature = files[SIGNATURE_NAME]
    if len(manifest_bytes) > MAX_MANIFEST_BYTES:
        raise _hostile("a manifest far larger than a real one")
    try:
        manifest = json.loads(manifest_bytes.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _forged("it is not readable") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        raise _forged("it is not a Safeguarding Case Notes manifest")
    if manifest.get("version") != MANIFEST_VERSION:
        raise NotABundle(
            "This bundle was made by a newer version of Safeguarding Case Notes.",
            "Update Safeguarding Case Notes, or ask the sender which version they use.",
        )
    signer = manifest.get("signer")
    if not isinstance(signer, dict) or signer.get("algorithm") != SIGNATURE_ALGORITHM:
        raise _forged("it names no Ed25519 signer")
    try:
        raw_key = base64.b64decode(str(signer.get("public_key", "")), validate=True)
        public = Ed25519PublicKey.from_public_bytes(raw_key)
    except (binascii.Error, ValueError) as exc:
        raise _forged("its signer's key is malformed") from exc
    if len(signature) != 64:
        raise _forged("its signature is malformed")
    try:
        public.verify(signature, manifest_bytes)
    except InvalidSignature as exc:
        raise _forged("the signature does not match (it was altered after signing, or signed by someone else)") from exc
    signer_fp = fingerprint(raw_key)
    if signer.get("fingerprint") != signer_fp:
        raise _forged("the fingerprint it states is not its key's")
    if expected_signer is not None and not hmac.compare_digest(
        normalise_fingerprint(expected_signer), normalise_fingerprint(signer_fp)
    ):
        raise BundleSignerMismatch(
            f"The bundle was signed by a different key ({signer_fp}) from the one you expected.",
            "Check the fingerprint with the sender by phone. If it is not theirs, do not use the bundle.",
        )
    listed = manifest.get("files")
    if not isinstance(listed, list):
        raise _forged("it lists no files")
    expected_names = {name for name in files if name not in (MANIFEST_NAME, SIGNATURE_NAME)}
    seen: set[str] = set()
    for entry in listed:
        if not isinstance(entry, dict):
            raise _forged("its file list is malformed")
        name, size, digest = entry.get("name"), entry.get("size"), entry.get("sha256")
        if name not in expected_names or name in seen:
            raise BundleContentMismatch(f"The bundle's manifest lists a file it does not hold ({str(name)[:80]}).")
        seen.add(name)
        content = files[name]
        if size != len(content) or not isinstance(digest, str) or not hmac.compare_digest(digest, sha256_hex(content)):
            raise BundleContentMismatch(f"{name} in the bundle is not the file the sender signed for.")
    if seen != expected_names:
        raise BundleContentMismatch("The bundle holds a file its manifest does not list.")
    return manifest, signer_fp


def _check_packet(manifest: Mapping[str, Any], packet_bytes: bytes) -> tuple[SharePacket, dict[str, Any]]:
    try:
        packet = SharePacket.from_json(packet_bytes)
        packet_json: dict[str, Any] = json.loads(packet_bytes)
    except ValidationError as exc:
        raise BundleDamaged(f"The packet in the bundle is not readable: {exc.message}") from exc
    agreed = (
        manifest.get("packet_id") == packet.packet_id
        and manifest.get("vault_id") == packet.vault_id
        and manifest.get("decision_id") == packet.decision.decision_id
        and manifest.get("created_at") == format_utc(packet.created_at)
    )
    if not agreed:
        raise BundleContentMismatch("The packet in the bundle does not match its signed manifest.")
    return packet, packet_json


def verify_bundle(
    data: bytes,
    identity: str | None = None,
    passphrase: str | None = None,
    *,
    expected_signer: str | None = None,
) -> VerifiedBundle:
    """Decrypt and check a bundle entirely in memory.

    ``identity`` is the text of an age identity file (``AGE-SECRET-KEY-…`` lines);
    ``passphrase`` the bundle's passphrase; give exactly one. ``expected_signer`` is the
    sender's fingerprint if known. Raises a ``BundleError`` subclass saying what is wrong.
    """
    if len(data) > MAX_BUNDLE_BYTES:
        raise _hostile("it is larger than 200 MB")
    header = parse_age_header(data)
    check_work_factor(header)
    _check_payload_length(data, header)
    plain = _decrypt(data, header, identity, passphrase)
    files = read_members(plain)
    manifest, signer_fp = _check_manifest(files, expected_signer)
    packet, packet_json = _check_packet(manifest, files[PACKET_JSON_NAME])
    contents = tuple(
        BundleFile(name, len(files[name]), sha256_hex(files[name])) for name in MEMBER_ORDER if name in files
    )
    return VerifiedBundle(
        contents=contents,
        manifest=manifest,
        manifest_bytes=files[MANIFEST_NAME],
        signer_fingerprint=signer_fp,
        packet_json=packet_json,
        packet=packet,
        files=files,
        protected_by="passphrase" if header.is_passphrase else "key",
    )
