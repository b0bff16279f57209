"""The age bundle: round trips for a key and a passphrase, the standard ``age`` tool opens
it, and every kind of bad bundle is refused with its own error (and never extracted)."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import subprocess
import tarfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyrage
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from desktop_app.domain.share_packet import SharePacket
from desktop_app.errors import EXIT_DAMAGED, EXIT_ERROR, EXIT_WRONG_SECRET, UsageError
from desktop_app.export import verify
from desktop_app.export.bundle import (
    MANIFEST_NAME,
    MEMBER_ORDER,
    PACKET_JSON_NAME,
    PACKET_PDF_NAME,
    SIGNATURE_NAME,
    NotAnAgeRecipient,
    PassphraseWorkTooHigh,
    bundle_tar,
    pack_tar,
    write_bundle,
)
from desktop_app.export.verify import (
    MAX_SCRYPT_WORK_FACTOR,
    BundleContentMismatch,
    BundleDamaged,
    BundleHostileContent,
    BundleIncomplete,
    BundleNeedsOtherSecret,
    BundleSignatureInvalid,
    BundleSignerMismatch,
    BundleWorkFactorTooHigh,
    BundleWrongKey,
    BundleWrongPassphrase,
    NotABundle,
    check_work_factor,
    parse_age_header,
    verify_bundle,
)
from desktop_app.services.signing import fingerprint

from .age_tool import decrypt_with_passphrase, require_age

FAKE_PDF = b"%PDF-1.7\n% not a real PDF: the bundle does not look inside\n%%EOF\n"
PASSPHRASE = "ABCD-EFGH-JKMN-PQRS"


class Keys:
    def __init__(self) -> None:
        identity = pyrage.x25519.Identity.generate()
        self.identity = str(identity)
        self.recipient = str(identity.to_public())
        self.signer = Ed25519PrivateKey.generate()


@pytest.fixture
def keys() -> Keys:
    return Keys()


@pytest.fixture
def sealed(keys: Keys, packet: SharePacket) -> bytes:
    return write_bundle(packet, keys.signer, recipient=keys.recipient, pdf=FAKE_PDF).data


def _open(data: bytes, keys: Keys) -> list[tuple[str, bytes]]:
    plain = pyrage.decrypt(data, [pyrage.x25519.Identity.from_str(keys.identity)])
    with tarfile.open(fileobj=io.BytesIO(plain)) as tar:
        return [(m.name, tar.extractfile(m).read()) for m in tar]  # type: ignore[union-attr]


def _reseal(members: list[tuple[str, bytes]], keys: Keys) -> bytes:
    return pyrage.encrypt(pack_tar(members, 0), [pyrage.x25519.Recipient.from_str(keys.recipient)])


def _edit(members: list[tuple[str, bytes]], name: str, change: Callable[[bytes], bytes]) -> list[tuple[str, bytes]]:
    return [(n, change(d) if n == name else d) for n, d in members]


# -- round trips ------------------------------------------------------------------------------
def test_round_trip_for_a_recipient_key(qapp: object, keys: Keys, packet: SharePacket) -> None:
    written = write_bundle(packet, keys.signer, recipient=keys.recipient)
    result = verify_bundle(
        written.data, identity=f"# created: today\n# public key: {keys.recipient}\n{keys.identity}\n"
    )
    assert result.packet == packet
    assert result.packet_json == json.loads(packet.to_json())
    assert [f.name for f in result.contents] == list(MEMBER_ORDER)
    assert result.signer_fingerprint == fingerprint(keys.signer) == written.signer_fingerprint
    assert result.decision_id == "D-17" and result.sender == "Alex Practitioner, Test School"
    assert result.protected_by == "key"
    assert result.files[PACKET_PDF_NAME].startswith(b"%PDF-")
    assert result.manifest["packet_id"] == packet.packet_id
    assert hashlib.sha256(result.manifest_bytes).hexdigest() == written.manifest_sha256
    manifest_files = {f["name"]: f for f in result.manifest["files"]}
    for f in result.contents:
        if f.name in manifest_files:
            assert (manifest_files[f.name]["size"], manifest_files[f.name]["sha256"]) == (f.size, f.sha256)


@pytest.fixture(scope="module")
def passphrase_bundle(make_packet: Callable[..., SharePacket]) -> tuple[SharePacket, bytes]:
    """Made once: scrypt deliberately takes about a second each way."""
    packet = make_packet()
    return packet, write_bundle(packet, Ed25519PrivateKey.generate(), passphrase=PASSPHRASE, pdf=FAKE_PDF).data


def test_round_trip_for_a_passphrase(passphrase_bundle: tuple[SharePacket, bytes]) -> None:
    packet, data = passphrase_bundle
    header = parse_age_header(data)
    assert [s.kind for s in header.stanzas] == ["scrypt"]
    assert check_work_factor(header) == int(header.stanzas[0].args[1]) <= MAX_SCRYPT_WORK_FACTOR
    result = verify_bundle(data, passphrase=PASSPHRASE)
    assert result.packet == packet and result.protected_by == "passphrase"


def test_wrong_passphrase(passphrase_bundle: tuple[SharePacket, bytes]) -> None:
    with pytest.raises(BundleWrongPassphrase) as caught:
        verify_bundle(passphrase_bundle[1], passphrase="ABCD-EFGH-JKMN-PQRT")
    assert caught.value.exit_code == EXIT_WRONG_SECRET


def test_a_passphrase_bundle_opened_with_a_key_says_so(
    passphrase_bundle: tuple[SharePacket, bytes], keys: Keys
) -> None:
    with pytest.raises(BundleNeedsOtherSecret, match="protected by a passphrase") as caught:
        verify_bundle(passphrase_bundle[1], identity=keys.identity)
    assert caught.value.exit_code == EXIT_WRONG_SECRET


def test_a_key_bundle_opened_with_a_passphrase_says_so(sealed: bytes) -> None:
    with pytest.raises(BundleNeedsOtherSecret, match="encrypted for a key"):
        verify_bundle(sealed, passphrase=PASSPHRASE)


def test_the_archive_is_reproducible(packet: SharePacket, keys: Keys) -> None:
    first, manifest1 = bundle_tar(packet, keys.signer, FAKE_PDF)
    second, manifest2 = bundle_tar(packet, keys.signer, FAKE_PDF)
    assert first == second and manifest1 == manifest2
    with tarfile.open(fileobj=io.BytesIO(first)) as tar:
        for member in tar:
            assert (member.uid, member.gid, member.uname, member.gname, member.mode) == (0, 0, "", "", 0o600)
            assert member.mtime == int(packet.created_at.timestamp())


def test_the_standard_age_tool_decrypts_it_and_the_signature_checks_by_hand(
    qapp: object, keys: Keys, packet: SharePacket, tmp_path: Path
) -> None:
    age = require_age()
    written = write_bundle(packet, keys.signer, recipient=keys.recipient)
    (tmp_path / "bundle.age").write_bytes(written.data)  # encrypted: safe on disk
    (tmp_path / "identity.txt").write_text(keys.identity + "\n")
    os.chmod(tmp_path / "identity.txt", 0o600)
    result = subprocess.run(
        [age, "-d", "-i", str(tmp_path / "identity.txt"), str(tmp_path / "bundle.age")],
        capture_output=True,
        timeout=30,
        check=True,
    )
    # The recipient's by-hand check, as in docs/export-formats.md (kept in memory here).
    with tarfile.open(fileobj=io.BytesIO(result.stdout)) as tar:
        files = {m.name: tar.extractfile(m).read() for m in tar}  # type: ignore[union-attr]
    manifest = json.loads(files["manifest.json"])
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(manifest["signer"]["public_key"]))
    public.verify(files["manifest.sig"], files["manifest.json"])  # raises if forged
    for entry in manifest["files"]:
        assert hashlib.sha256(files[entry["name"]]).hexdigest() == entry["sha256"]
    assert sorted(files) == sorted(MEMBER_ORDER)
    from pypdf import PdfReader

    assert "CASE-2026-0042" in PdfReader(io.BytesIO(files["packet.pdf"])).pages[0].extract_text()


def test_the_standard_age_tool_decrypts_a_passphrase_bundle(
    passphrase_bundle: tuple[SharePacket, bytes], tmp_path: Path
) -> None:
    """As the recipient would: ``age -d packet.age``, typing the passphrase at its prompt."""
    packet, data = passphrase_bundle
    (tmp_path / "bundle.age").write_bytes(data)  # encrypted: safe on disk
    plain = decrypt_with_passphrase(tmp_path / "bundle.age", PASSPHRASE)
    with tarfile.open(fileobj=io.BytesIO(plain)) as tar:
        files = {m.name: tar.extractfile(m).read() for m in tar}  # type: ignore[union-attr]
    assert list(files) == list(MEMBER_ORDER)
    assert SharePacket.from_json(files[PACKET_JSON_NAME]) == packet
    assert files[PACKET_PDF_NAME] == FAKE_PDF
    with pytest.raises(subprocess.CalledProcessError) as caught:
        decrypt_with_passphrase(tmp_path / "bundle.age", "ABCD-EFGH-JKMN-PQRT")
    assert caught.value.stdout == b"" and b"incorrect passphrase" in caught.value.stderr.lower()


def test_the_verifier_accepts_what_the_standard_age_tool_accepts() -> None:
    # filippo.io/age: NewScryptIdentity sets maxWorkFactor 22 ("15s on a modern machine"), and
    # its test vector fail_scrypt_work_factor_23.age must be refused. pyrage picks the factor
    # by timing about a second, so a fast sending computer writes 21 or 22: a lower limit
    # here would refuse bundles this application wrote.
    assert MAX_SCRYPT_WORK_FACTOR == 22


def test_a_passphrase_bundle_the_verifier_would_refuse_is_never_written(
    packet: SharePacket, keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A computer so fast that pyrage picks more than the limit, simulated by lowering the
    # limit below anything pyrage chooses (it starts timing at 2^10).
    monkeypatch.setattr(verify, "MAX_SCRYPT_WORK_FACTOR", 9)
    with pytest.raises(
        PassphraseWorkTooHigh, match=r"more work \(2\^\d+\) .* accepts \(2\^9\), so the bundle was not made"
    ):
        write_bundle(packet, keys.signer, passphrase=PASSPHRASE, pdf=FAKE_PDF)


# -- refusals -------------------------------------------------------------------------------------
def test_not_age_at_all(sealed: bytes) -> None:
    for data in (b"%PDF-1.7\n...", b"PK\x03\x04zipfile", os.urandom(300), b"hello world\n"):
        with pytest.raises(NotABundle, match="not an encrypted bundle") as caught:
            verify_bundle(data, identity="AGE-SECRET-KEY-1")
        assert caught.value.exit_code == EXIT_ERROR
    armoured = b"-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n-----END AGE ENCRYPTED FILE-----\n"
    with pytest.raises(NotABundle, match="armoured"):
        verify_bundle(armoured, identity="x")
    with pytest.raises(NotABundle, match="newer version of age"):
        verify_bundle(b"age-encryption.org/v2\n" + sealed[22:], identity="x")


def test_wrong_recipient(sealed: bytes) -> None:
    with pytest.raises(BundleWrongKey, match="not encrypted for your key") as caught:
        verify_bundle(sealed, identity=Keys().identity)
    assert caught.value.exit_code == EXIT_WRONG_SECRET


def test_an_identity_file_without_a_key_is_a_usage_error(sealed: bytes, keys: Keys) -> None:
    with pytest.raises(UsageError, match="no age secret key"):
        verify_bundle(sealed, identity=keys.recipient)  # the public key by mistake


@pytest.mark.parametrize("cut", ["empty", "magic", "header", "header-only", "minus-1", "minus-100", "minus-1000"])
def test_truncated(sealed: bytes, keys: Keys, cut: str) -> None:
    offset = parse_age_header(sealed).payload_offset
    data = {
        "empty": b"",
        "magic": sealed[:10],
        "header": sealed[: offset - 20],
        "header-only": sealed[: offset + 5],
        "minus-1": sealed[:-1],
        "minus-100": sealed[:-100],
        "minus-1000": sealed[:-1000],
    }[cut]
    with pytest.raises(BundleIncomplete, match="incomplete|empty") as caught:
        verify_bundle(data, identity=keys.identity)
    assert caught.value.exit_code == EXIT_DAMAGED


@pytest.mark.parametrize("where", ["payload-start", "payload-middle", "last-byte", "header-mac"])
def test_a_flipped_byte_is_caught(sealed: bytes, keys: Keys, where: str) -> None:
    offset = parse_age_header(sealed).payload_offset
    position = {
        "payload-start": offset + 3,
        "payload-middle": (offset + len(sealed)) // 2,
        "last-byte": len(sealed) - 1,
        "header-mac": offset - 10,
    }[where]
    damaged = bytearray(sealed)
    damaged[position] ^= 0x01 if where != "header-mac" else 0x02  # stays a base64 character
    with pytest.raises(BundleDamaged, match="damaged or has been altered") as caught:
        verify_bundle(bytes(damaged), identity=keys.identity)
    assert caught.value.exit_code == EXIT_DAMAGED


def test_scrypt_work_factor_above_the_limit_is_refused_at_once(keys: Keys) -> None:
    def b64(raw: bytes) -> bytes:
        return base64.b64encode(raw).rstrip(b"=")

    too_high = MAX_SCRYPT_WORK_FACTOR + 1
    hostile = (
        b"age-encryption.org/v1\n"
        + b"-> scrypt "
        + b64(os.urandom(16))
        + f" {too_high}\n".encode()
        + b64(os.urandom(32))
        + b"\n"
        + b"--- "
        + b64(os.urandom(32))
        + b"\n"
        + os.urandom(16 + 10240 + 16)
    )
    for secret in ({"passphrase": PASSPHRASE}, {"identity": keys.identity}):
        start = time.perf_counter()
        with pytest.raises(BundleWorkFactorTooHigh, match=rf"2\^{too_high};") as caught:
            verify_bundle(hostile, **secret)  # type: ignore[arg-type]
        assert time.perf_counter() - start < 1.0
        assert caught.value.exit_code == EXIT_DAMAGED
    for hostile_factor in (30, 99):
        with pytest.raises(BundleWorkFactorTooHigh):
            check_work_factor(
                parse_age_header(hostile.replace(f" {too_high}\n".encode(), f" {hostile_factor}\n".encode()))
            )
    # The same header at the limit (what a fast computer writes) passes the header check.
    at_limit = parse_age_header(hostile.replace(f" {too_high}\n".encode(), f" {MAX_SCRYPT_WORK_FACTOR}\n".encode()))
    assert at_limit.is_passphrase and check_work_factor(at_limit) == MAX_SCRYPT_WORK_FACTOR


def test_a_forged_manifest_is_caught(sealed: bytes, keys: Keys) -> None:
    members = _open(sealed, keys)

    def edited(manifest: bytes) -> bytes:
        body = json.loads(manifest)
        body["sender"]["name"] = "Someone Else"
        return json.dumps(body, ensure_ascii=False, indent=2).encode() + b"\n"

    # 1. Edited, old signature kept.
    forged = _edit(members, MANIFEST_NAME, edited)
    with pytest.raises(BundleSignatureInvalid, match="not genuine") as caught:
        verify_bundle(_reseal(forged, keys), identity=keys.identity)
    assert caught.value.exit_code == EXIT_DAMAGED

    # 2. Edited and re-signed with another key, the sender's public key left in place.
    other = Ed25519PrivateKey.generate()
    manifest = edited(dict(members)[MANIFEST_NAME])
    resigned = _edit(_edit(members, MANIFEST_NAME, lambda _: manifest), SIGNATURE_NAME, lambda _: other.sign(manifest))
    with pytest.raises(BundleSignatureInvalid):
        verify_bundle(_reseal(resigned, keys), identity=keys.identity)

    # 3. Re-signed with another key *and* that key put in the manifest: internally
    # consistent, so only the fingerprint can tell. It differs, and --expect-signer refuses it.
    body = json.loads(manifest)
    other_public = other.public_key().public_bytes_raw()
    body["signer"]["public_key"] = base64.b64encode(other_public).decode()
    body["signer"]["fingerprint"] = fingerprint(other_public)
    swapped = json.dumps(body, indent=2).encode()
    impostor = _edit(_edit(members, MANIFEST_NAME, lambda _: swapped), SIGNATURE_NAME, lambda _: other.sign(swapped))
    data = _reseal(impostor, keys)
    assert verify_bundle(data, identity=keys.identity).signer_fingerprint != fingerprint(keys.signer)
    with pytest.raises(BundleSignerMismatch, match="different key"):
        verify_bundle(data, identity=keys.identity, expected_signer=fingerprint(keys.signer))
    genuine = verify_bundle(
        sealed, identity=keys.identity, expected_signer=fingerprint(keys.signer).lower().replace(" ", "-")
    )
    assert genuine.signer_fingerprint == fingerprint(keys.signer)


def test_a_file_that_does_not_match_the_manifest_is_caught(sealed: bytes, keys: Keys) -> None:
    members = _open(sealed, keys)
    altered = _edit(members, PACKET_JSON_NAME, lambda d: d.replace(b"Neighbour A", b"Neighbour Z"))
    with pytest.raises(BundleContentMismatch, match="packet.json .* not the file the sender signed"):
        verify_bundle(_reseal(altered, keys), identity=keys.identity)
    swapped_pdf = _edit(members, PACKET_PDF_NAME, lambda d: d + b"%extra")
    with pytest.raises(BundleContentMismatch):
        verify_bundle(_reseal(swapped_pdf, keys), identity=keys.identity)


def _tar(*entries: tarfile.TarInfo | tuple[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for entry in entries:
            if isinstance(entry, tarfile.TarInfo):
                tar.addfile(entry)
            else:
                info = tarfile.TarInfo(entry[0])
                info.size = len(entry[1])
                tar.addfile(info, io.BytesIO(entry[1]))
    return buffer.getvalue()


def _special(name: str, kind: bytes, target: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info


def _huge_member() -> bytes:
    info = tarfile.TarInfo("packet.pdf")
    info.size = 300 * 1024 * 1024  # claims 300 MB; the data is not there
    return info.tobuf(tarfile.GNU_FORMAT) + b"\0" * 10240


HOSTILE = {
    "path traversal": lambda ok: _tar(*ok, ("../../.bashrc", b"echo owned")),
    "absolute path": lambda ok: _tar(*ok, ("/etc/cron.d/x", b"* * * * * root sh")),
    "nested path": lambda ok: _tar(*ok, ("sub/packet.json", b"{}")),
    "symlink": lambda ok: _tar(*ok[:3], _special("packet.pdf", tarfile.SYMTYPE, "/etc/passwd")),
    "hard link": lambda ok: _tar(*ok[:3], _special("packet.pdf", tarfile.LNKTYPE, "manifest.json")),
    "directory": lambda ok: _tar(_special("packet.pdf", tarfile.DIRTYPE), *ok),
    "device": lambda ok: _tar(_special("packet.pdf", tarfile.CHRTYPE), *ok),
    "fifo": lambda ok: _tar(_special("packet.pdf", tarfile.FIFOTYPE), *ok),
    "duplicate": lambda ok: _tar(*ok, ok[2]),
    "unexpected file": lambda ok: _tar(*ok, ("run-me.exe", b"MZ")),
    "too many files": lambda ok: _tar(*ok, *((f"f{i}", b"") for i in range(20))),
    "absurd size": lambda ok: _huge_member(),
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_archive_members_are_refused_and_nothing_is_extracted(
    sealed: bytes, keys: Keys, kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    ok = _open(sealed, keys)
    data = pyrage.encrypt(HOSTILE[kind](ok), [pyrage.x25519.Recipient.from_str(keys.recipient)])
    with pytest.raises(BundleHostileContent, match="never does") as caught:
        verify_bundle(data, identity=keys.identity)
    assert caught.value.exit_code == EXIT_DAMAGED
    assert list(tmp_path.iterdir()) == []


def test_a_missing_file_or_a_non_archive_is_damage(sealed: bytes, keys: Keys) -> None:
    ok = _open(sealed, keys)
    recipient = [pyrage.x25519.Recipient.from_str(keys.recipient)]
    with pytest.raises(BundleDamaged, match="packet.pdf is missing"):
        verify_bundle(pyrage.encrypt(_tar(*ok[:3]), recipient), identity=keys.identity)
    with pytest.raises(BundleDamaged, match="not a readable archive"):
        verify_bundle(pyrage.encrypt(os.urandom(2048), recipient), identity=keys.identity)


def test_write_bundle_checks_its_inputs(packet: SharePacket, keys: Keys) -> None:
    with pytest.raises(NotAnAgeRecipient):
        write_bundle(packet, keys.signer, recipient="ssh-ed25519 AAAA", pdf=FAKE_PDF)
    with pytest.raises(NotAnAgeRecipient, match="not valid"):
        write_bundle(packet, keys.signer, recipient=keys.recipient[:-2] + "qq", pdf=FAKE_PDF)
    with pytest.raises(UsageError, match="either"):
        write_bundle(packet, keys.signer, recipient=keys.recipient, passphrase=PASSPHRASE, pdf=FAKE_PDF)
    with pytest.raises(UsageError, match="at least 12"):
        write_bundle(packet, keys.signer, passphrase="short", pdf=FAKE_PDF)


# -- the vault's signing key and the export record ---------------------------------------------
def test_the_vault_signing_key_is_made_once_and_kept_in_the_vault(created_vault: Any) -> None:
    from desktop_app.services.signing import META_KEY, signing_key
    from desktop_app.store import audit

    from ..conftest import PASSPHRASE

    vault = created_vault.vault
    first = signing_key(vault)
    assert signing_key(vault).private_bytes_raw() == first.private_bytes_raw()
    created = [e for e in audit.recent_events(vault.conn) if e["action"] == "signing_key.created"]
    assert len(created) == 1 and created[0]["details"]["fingerprint"] == fingerprint(first)
    stored = vault.conn.execute("SELECT value FROM meta WHERE key = ?", (META_KEY,)).fetchone()[0]
    assert len(stored) == 64
    vault.close()
    reopened = created_vault.folder.unlock(PASSPHRASE)
    try:
        assert signing_key(reopened).private_bytes_raw() == first.private_bytes_raw()
    finally:
        reopened.close()
    # Nothing about the key is in the vault folder in the clear.
    for path in created_vault.folder.path.iterdir():
        if path.is_file():
            assert stored.encode() not in path.read_bytes() and first.private_bytes_raw() not in path.read_bytes()


def test_fingerprints_read_aloud_in_groups() -> None:
    fp = fingerprint(Ed25519PrivateKey.generate())
    groups = fp.split(" ")
    assert len(groups) == 8 and all(len(g) == 4 and g.isalnum() and g.upper() == g for g in groups)


def test_an_export_is_recorded_against_its_decision(open_vault: Any, keys: Keys, packet: SharePacket) -> None:
    from desktop_app.services.share_export import record_export, signed_bundle
    from desktop_app.store import audit

    written = signed_bundle(open_vault, packet, recipient=keys.recipient, pdf=FAKE_PDF)
    assert verify_bundle(written.data, identity=keys.identity).signer_fingerprint == written.signer_fingerprint
    record = record_export(
        open_vault, packet, protection="age-key", data=written.data, destination="packet.age", bundle=written
    )
    event = audit.recent_events(open_vault.conn, 1)[0]
    assert event["id"] == record.event_id and event["action"] == "packet.exported"
    assert (event["subject_type"], event["subject_id"]) == ("decision", "D-17")
    details = event["details"]
    assert details["sha256"] == hashlib.sha256(written.data).hexdigest() == record.sha256
    assert details["note_ids"] == ["N-1", "N-2", "N-3"]
    assert details["manifest_sha256"] == written.manifest_sha256
    assert details["signer_fingerprint"] == written.signer_fingerprint
    assert "Neighbour" not in json.dumps(details) and "Bruise" not in json.dumps(details)  # no record text
    assert audit.verify_chain(open_vault.conn).ok


def test_the_documented_by_hand_check_works(keys: Keys, packet: SharePacket, tmp_path: Path) -> None:
    """docs/export-formats.md's check_bundle.py, fed by `age -d` through a pipe."""
    import re
    import sys

    age = require_age()

    doc = (Path(__file__).parents[2] / "docs" / "export-formats.md").read_text()
    snippet = re.search(r"```python\n(.*?)```", doc, re.S)
    assert snippet is not None
    (tmp_path / "bundle.age").write_bytes(
        write_bundle(packet, keys.signer, recipient=keys.recipient, pdf=FAKE_PDF).data
    )
    (tmp_path / "key.txt").write_text(keys.identity + "\n")
    with subprocess.Popen(
        [age, "-d", "-i", str(tmp_path / "key.txt"), str(tmp_path / "bundle.age")], stdout=subprocess.PIPE
    ) as decrypting:
        check = subprocess.run(
            [sys.executable, "-c", snippet.group(1)],
            stdin=decrypting.stdout,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert decrypting.wait(timeout=30) == 0
    assert check.returncode == 0, check.stderr
    assert check.stdout.strip().endswith(fingerprint(keys.signer))


def test_rage_refusing_work_on_a_slow_computer_is_not_called_damage() -> None:
    """rage times this computer and refuses a passphrase bundle that would take it far longer
    than its own calibration; the bundle is genuine, so the advice is a faster computer or a
    key bundle (rage's message, pinned: age crate ``DecryptError::ExcessiveWork``)."""
    error = verify._classify("Excessive work parameter for passphrase.\nDecryption would take around 32 seconds.", True)
    assert isinstance(error, verify.BundleWorkFactorTooHigh)
    assert "too slow" in error.message and "faster computer" in error.advice
    assert "tampered" not in f"{error.message} {error.advice}"
