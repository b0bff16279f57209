"""``casenotes verify-bundle``, ``backup`` and ``restore``: output and exit codes
(0 ok, 1 other, 2 wrong key or passphrase, 3 damaged or tampered)."""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pyrage
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from desktop_app import cli
from desktop_app.domain.share_packet import (
    CaseSummary,
    DecisionSummary,
    NoteEntry,
    Recipient,
    Sender,
    SharePacket,
    build_share_packet,
)
from desktop_app.errors import EXIT_DAMAGED, EXIT_ERROR, EXIT_OK, EXIT_WRONG_SECRET
from desktop_app.export.bundle import write_bundle
from desktop_app.export.verify import MAX_SCRYPT_WORK_FACTOR
from desktop_app.services.signing import fingerprint
from desktop_app.store.vault import CreatedVault

from ..conftest import PASSPHRASE

ROOT = Path(__file__).resolve().parents[2]
T = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
FAKE_PDF = b"%PDF-1.7\n%%EOF\n"
BUNDLE_PASSPHRASE = "ABCD-EFGH-JKMN-PQRS"


def _packet() -> SharePacket:
    return build_share_packet(
        sender=Sender("Alex Practitioner", "Test School"),
        vault_id="vault-1",
        recipient=Recipient("Children's Services MASH", "Sam Rivers"),
        decision=DecisionSummary("D-17", "Refer to MASH", ("Article 6(1)(e)",), None, "Alex", T),
        case=CaseSummary("CASE-0042"),
        notes=[NoteEntry("N-1", T, T, "Alex", "Neglect", "Visit", "Neighbour A heard shouting.")],
        now=T,
    )


class Sent:
    def __init__(self, tmp_path: Path) -> None:
        identity = pyrage.x25519.Identity.generate()
        self.signer = Ed25519PrivateKey.generate()
        self.identity_file = tmp_path / "me.key"
        self.identity_file.write_text(f"# public key: {identity.to_public()}\n{identity}\n")
        self.bundle = tmp_path / "packet.age"
        self.bundle.write_bytes(
            write_bundle(_packet(), self.signer, recipient=str(identity.to_public()), pdf=FAKE_PDF).data
        )


@pytest.fixture
def sent(tmp_path: Path) -> Sent:
    return Sent(tmp_path)


def run(monkeypatch: pytest.MonkeyPatch, *args: str, stdin: str = "") -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return cli.main(list(args))


def test_verify_bundle_lists_what_it_holds(
    sent: Sent, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run(monkeypatch, "verify-bundle", str(sent.bundle), "--identity", str(sent.identity_file))
    out = capsys.readouterr().out
    assert code == EXIT_OK
    assert "verified" in out
    assert "Alex Practitioner, Test School" in out
    assert fingerprint(sent.signer) in out
    assert "D-17" in out
    for name in ("manifest.json", "manifest.sig", "packet.json", "packet.pdf"):
        assert name in out
    assert "Neighbour A heard" not in out  # contents are listed, never printed


def test_verify_bundle_json_and_expected_signer(
    sent: Sent, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fp = fingerprint(sent.signer)
    code = run(
        monkeypatch,
        "verify-bundle",
        str(sent.bundle),
        "--identity",
        str(sent.identity_file),
        "--expect-signer",
        fp,
        "--json",
    )
    body = json.loads(capsys.readouterr().out)
    assert code == EXIT_OK
    assert body["signer_fingerprint"] == fp and body["decision_id"] == "D-17" and body["verified"] is True
    assert [c["name"] for c in body["contents"]] == ["manifest.json", "manifest.sig", "packet.json", "packet.pdf"]
    other = fingerprint(Ed25519PrivateKey.generate())
    code = run(
        monkeypatch, "verify-bundle", str(sent.bundle), "--identity", str(sent.identity_file), "--expect-signer", other
    )
    assert code == EXIT_DAMAGED
    assert "different key" in capsys.readouterr().err


def test_verify_bundle_exit_codes(
    sent: Sent, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stranger = tmp_path / "stranger.key"
    stranger.write_text(str(pyrage.x25519.Identity.generate()) + "\n")
    assert run(monkeypatch, "verify-bundle", str(sent.bundle), "--identity", str(stranger)) == EXIT_WRONG_SECRET
    assert "not encrypted for your key" in capsys.readouterr().err

    assert (
        run(monkeypatch, "verify-bundle", str(sent.bundle), "--passphrase-stdin", stdin="ABCD-EFGH-JKMN\n")
        == EXIT_WRONG_SECRET
    )

    tampered = tmp_path / "tampered.age"
    data = bytearray(sent.bundle.read_bytes())
    data[-20] ^= 0x01
    tampered.write_bytes(bytes(data))
    assert run(monkeypatch, "verify-bundle", str(tampered), "--identity", str(sent.identity_file)) == EXIT_DAMAGED
    assert "damaged or has been altered" in capsys.readouterr().err

    truncated = tmp_path / "truncated.age"
    truncated.write_bytes(sent.bundle.read_bytes()[:-100])
    assert run(monkeypatch, "verify-bundle", str(truncated), "--identity", str(sent.identity_file)) == EXIT_DAMAGED
    assert "incomplete" in capsys.readouterr().err

    not_age = tmp_path / "letter.pdf"
    not_age.write_bytes(b"%PDF-1.7 hello")
    assert run(monkeypatch, "verify-bundle", str(not_age), "--identity", str(sent.identity_file)) == EXIT_ERROR
    assert "not an encrypted bundle" in capsys.readouterr().err

    assert (
        run(monkeypatch, "verify-bundle", str(tmp_path / "missing.age"), "--identity", str(sent.identity_file))
        == EXIT_ERROR
    )


def test_verify_bundle_needs_exactly_one_secret(sent: Sent, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SystemExit) as caught:
        run(monkeypatch, "verify-bundle", str(sent.bundle))
    assert caught.value.code == EXIT_ERROR


def test_verify_bundle_in_a_real_process(sent: Sent) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT), CASENOTES_POLICY_FILE=os.devnull)
    result = subprocess.run(
        [sys.executable, "-m", "desktop_app", "verify-bundle", str(sent.bundle), "--identity", str(sent.identity_file)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == EXIT_OK, result.stderr
    assert fingerprint(sent.signer) in result.stdout


@pytest.fixture
def closed_vault(created_vault: CreatedVault, vault_dir: Path) -> Path:
    """A vault on disk that this process does not hold open (as the CLI would find it)."""
    created_vault.vault.close()
    created_vault.folder.release()
    return vault_dir


def test_backup_and_restore(
    closed_vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        run(monkeypatch, "backup", "--vault", str(closed_vault), "--passphrase-stdin", stdin=PASSPHRASE + "\n")
        == EXIT_OK
    )
    made = Path(capsys.readouterr().out.strip())
    assert made.parent == tmp_path / "vault-backups"  # default: beside the vault
    assert (made / "vault.db").is_file() and (made / "keyslots.json").is_file()

    code = run(
        monkeypatch,
        "restore",
        "--backup",
        str(made),
        "--to",
        str(tmp_path / "restored"),
        "--passphrase-stdin",
        stdin=PASSPHRASE + "\n",
    )
    assert code == EXIT_OK
    assert "audit trail is intact" in capsys.readouterr().out

    # Never over an existing vault; a wrong passphrase is exit 2 and leaves nothing behind.
    code = run(
        monkeypatch,
        "restore",
        "--backup",
        str(made),
        "--to",
        str(closed_vault),
        "--passphrase-stdin",
        stdin=PASSPHRASE + "\n",
    )
    assert code == EXIT_ERROR
    assert "new folder" in capsys.readouterr().err
    code = run(
        monkeypatch,
        "restore",
        "--backup",
        str(made),
        "--to",
        str(tmp_path / "again"),
        "--passphrase-stdin",
        stdin="wrong passphrase\n",
    )
    assert code == EXIT_WRONG_SECRET
    assert not (tmp_path / "again").exists()


def test_backup_to_a_chosen_folder_and_restore_with_the_recovery_key(
    created_vault: CreatedVault,
    vault_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    recovery_key = created_vault.recovery_key
    created_vault.vault.close()
    created_vault.folder.release()
    dest = tmp_path / "usb" / "backups"
    assert (
        run(
            monkeypatch,
            "backup",
            "--vault",
            str(vault_dir),
            "--passphrase-stdin",
            "--to",
            str(dest),
            stdin=PASSPHRASE + "\n",
        )
        == EXIT_OK
    )
    made = Path(capsys.readouterr().out.strip())
    assert made.parent == dest
    code = run(
        monkeypatch,
        "restore",
        "--backup",
        str(made),
        "--to",
        str(tmp_path / "r"),
        "--recovery-key-stdin",
        stdin=recovery_key + "\n",
    )
    assert code == EXIT_OK


def test_backup_with_a_wrong_passphrase(closed_vault: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert (
        run(monkeypatch, "backup", "--vault", str(closed_vault), "--passphrase-stdin", stdin="nope nope nope\n")
        == EXIT_WRONG_SECRET
    )


def test_verify_bundle_with_the_passphrase_on_standard_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    signer = Ed25519PrivateKey.generate()
    bundle = tmp_path / "packet.age"
    bundle.write_bytes(write_bundle(_packet(), signer, passphrase=BUNDLE_PASSPHRASE, pdf=FAKE_PDF).data)
    code = run(monkeypatch, "verify-bundle", str(bundle), "--passphrase-stdin", stdin=BUNDLE_PASSPHRASE + "\n")
    out = capsys.readouterr().out
    assert code == EXIT_OK
    assert "verified" in out and fingerprint(signer) in out and "D-17" in out
    assert "Neighbour A heard" not in out  # listed, never printed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["packet.age"]  # nothing extracted


def test_verify_bundle_refuses_a_hostile_work_factor_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def b64(raw: bytes) -> bytes:
        return base64.b64encode(raw).rstrip(b"=")

    factor = MAX_SCRYPT_WORK_FACTOR + 1
    hostile = tmp_path / "hostile.age"
    hostile.write_bytes(
        b"age-encryption.org/v1\n-> scrypt "
        + b64(os.urandom(16))
        + f" {factor}\n".encode()
        + b64(os.urandom(32))
        + b"\n--- "
        + b64(os.urandom(32))
        + b"\n"
        + os.urandom(16 + 10240 + 16)
    )
    code = run(monkeypatch, "verify-bundle", str(hostile), "--passphrase-stdin", stdin=BUNDLE_PASSPHRASE + "\n")
    err = capsys.readouterr().err
    assert code == EXIT_DAMAGED  # docs/export-formats.md: exit 3
    assert f"unreasonable amount of passphrase work (2^{factor}" in err
    assert "was not opened" in err and "ask the sender to send it again" in err
