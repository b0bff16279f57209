"""Exports and backups on the command line: ``verify-bundle``, ``backup``, ``restore``.

``verify-bundle`` is for the *recipient* of a bundle: it decrypts and checks everything
in memory and extracts nothing. Exit codes: 0 verified, 2 wrong key or passphrase,
3 damaged, altered, forged or hostile, 1 anything else (not a bundle, bad arguments).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from desktop_app.commands.common import add_vault_options, print_json, read_passphrase, read_stdin_lines
from desktop_app.domain.backup_rotation import DEFAULT_POLICY
from desktop_app.errors import EXIT_OK, UsageError
from desktop_app.export.verify import MAX_BUNDLE_BYTES, VerifiedBundle, verify_bundle
from desktop_app.services.backup import backup, default_backup_dir, list_backups, restore
from desktop_app.store.vault import VaultFolder

MAX_IDENTITY_BYTES = 64 * 1024


def register(sub: Any) -> None:
    # -- casenotes export ------------------------------------------------------------------
    # Reserved: `casenotes export` (a decision's packet as an encrypted PDF or bundle) is
    # added here once case records and decisions exist. It builds the packet from the
    # records, then calls domain.redaction.redact_packet, services.share_export
    # (encrypted_pdf / signed_bundle, then record_export) — see the module docstrings.
    # ----------------------------------------------------------------------------------------

    p = sub.add_parser(
        "verify-bundle",
        help="decrypt and check a bundle you were sent (in memory; nothing is extracted)",
        description="Decrypt a bundle, check its signature and every file, and list what it holds.",
    )
    p.add_argument("file", type=Path, metavar="FILE", help="the .age bundle")
    secret = p.add_mutually_exclusive_group(required=True)
    secret.add_argument("--identity", type=Path, metavar="KEYFILE", help="your age identity file (from age-keygen)")
    secret.add_argument(
        "--passphrase-stdin", action="store_true", help="read the bundle's passphrase from standard input"
    )
    p.add_argument(
        "--expect-signer",
        metavar="FINGERPRINT",
        help="the sender's signing-key fingerprint, as they gave it to you; refuse the bundle if it differs",
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=cmd_verify_bundle)

    p = sub.add_parser("backup", help="make a verified, encrypted backup of a vault")
    add_vault_options(p)
    p.add_argument(
        "--to", type=Path, metavar="DIR", help="backups folder (default: beside the vault, <vault name>-backups)"
    )
    p.add_argument("--keep-all", action="store_true", help="do not remove old backups (no rotation)")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="restore a backup into a new vault folder (never over an existing one)")
    p.add_argument("--backup", type=Path, required=True, metavar="DIR", help="the dated backup folder")
    p.add_argument("--to", type=Path, required=True, metavar="NEWDIR", help="a new (or empty) folder for the vault")
    secret = p.add_mutually_exclusive_group(required=True)
    secret.add_argument(
        "--passphrase-stdin",
        action="store_true",
        help="read the passphrase the vault had when it was backed up from standard input",
    )
    secret.add_argument(
        "--recovery-key-stdin", action="store_true", help="read the vault's recovery key from standard input"
    )
    p.set_defaults(func=cmd_restore)


def _read_limited(path: Path, limit: int, what: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except FileNotFoundError as exc:
        raise UsageError(f"There is no {what} at {path}.") from exc
    except OSError as exc:
        raise UsageError(f"The {what} {path} could not be read: {exc.strerror}.") from exc
    if len(data) > limit:
        raise UsageError(f"The {what} {path} is far larger than a real one.")
    return data


def _describe(result: VerifiedBundle) -> dict[str, Any]:
    packet = result.packet
    return {
        "verified": True,
        "packet_id": packet.packet_id,
        "created_at": result.manifest.get("created_at"),
        "sender": {"name": packet.sender.name, "organisation": packet.sender.organisation},
        "signer_fingerprint": result.signer_fingerprint,
        "decision_id": result.decision_id,
        "vault_id": packet.vault_id,
        "recipient": {"organisation": packet.recipient.organisation, "person": packet.recipient.person},
        "protective_marking": packet.protective_marking,
        "protected_by": result.protected_by,
        "notes": len(packet.notes),
        "contents": [{"name": f.name, "size": f.size, "sha256": f.sha256} for f in result.contents],
    }


def cmd_verify_bundle(args: argparse.Namespace) -> int:
    data = _read_limited(args.file, MAX_BUNDLE_BYTES, "bundle")
    if args.passphrase_stdin:
        result = verify_bundle(data, passphrase=read_passphrase(), expected_signer=args.expect_signer)
    else:
        identity = _read_limited(args.identity, MAX_IDENTITY_BYTES, "identity file").decode("utf-8", "replace")
        result = verify_bundle(data, identity=identity, expected_signer=args.expect_signer)
    summary = _describe(result)
    if args.json:
        print_json(summary)
        return EXIT_OK
    print(f"{args.file.name}: verified. The encryption, the signature and every file check out.")
    print(f"  packet:      {summary['packet_id']} ({summary['protective_marking']})")
    print(f"  created:     {summary['created_at']}")
    print(f"  sender:      {result.sender}")
    print(f"  signed by:   {result.signer_fingerprint}")
    print(f"  decision:    {result.decision_id or 'none recorded'}")
    print(f"  for:         {', '.join(x for x in summary['recipient'].values() if x) or 'not stated'}")
    print(f"  notes:       {summary['notes']}")
    print("  contents:")
    for entry in summary["contents"]:
        print(f"    {entry['name']:<14} {entry['size']:>10} bytes  sha256 {entry['sha256']}")
    if args.expect_signer:
        print("The signer is the key you expected.")
    else:
        print(
            "Check the 'signed by' fingerprint with the sender by phone before relying on it "
            "(or pass it with --expect-signer next time)."
        )
    return EXIT_OK


def cmd_backup(args: argparse.Namespace) -> int:
    passphrase = read_passphrase()
    dest = args.to if args.to is not None else default_backup_dir(args.vault)
    folder = VaultFolder.attach(args.vault)
    try:
        vault = folder.unlock(passphrase)
        try:
            before = set(list_backups(dest))
            made = backup(vault, dest, policy=None if args.keep_all else DEFAULT_POLICY)
            removed = sorted(before - set(list_backups(dest)))
        finally:
            vault.close()
    finally:
        folder.release()
    print(made)
    for path in removed:
        print(f"removed old backup {path.name} (rotation)", file=sys.stderr)
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    if args.recovery_key_stdin:
        (key,) = read_stdin_lines(1, "the recovery key")
        restored = restore(args.backup, args.to, recovery_key=key)
    else:
        restored = restore(args.backup, args.to, passphrase=read_passphrase())
    try:
        for notice in restored.vault.notices:
            print(f"note: {notice}", file=sys.stderr)
        print(f"Restored the backup {args.backup.name} into {args.to}. Its audit trail is intact.")
        if args.recovery_key_stdin and restored.vault.needs_passphrase:
            print("Set a passphrase for it with: casenotes passwd --vault DIR --recovery-key-stdin")
    finally:
        restored.vault.close()
        restored.folder.release()
    return EXIT_OK
