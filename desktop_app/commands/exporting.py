"""Exports and backups on the command line: ``export``, ``verify-bundle``, ``backup``, ``restore``.

``export`` writes a case's share packet, already redacted, as a password-protected PDF
or a signed age bundle: by default only what the decision says is to be shared (its
linked notes); ``--include-all`` sends every current note of the case instead. Protected
people are always redacted. The packet, the PDF and the archive exist only in memory;
the one file written is the encrypted output, and the export is recorded in the vault
(audit trail and exports table) against its decision, or with no decision.

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
from desktop_app.domain.export_record import parse_ref
from desktop_app.domain.share_password import check_password, generate_password
from desktop_app.errors import EXIT_OK, UsageError
from desktop_app.export.pdf import ensure_gui_app
from desktop_app.export.verify import MAX_BUNDLE_BYTES, VerifiedBundle, verify_bundle
from desktop_app.services import case_records, packet_builder, share_export
from desktop_app.services.backup import backup, default_backup_dir, list_backups, restore
from desktop_app.services.policy_loader import load_policy
from desktop_app.store.vault import VaultFolder

MAX_IDENTITY_BYTES = 64 * 1024
MAX_PASSWORD_FILE_BYTES = 4 * 1024
FORMAT_WORDS = {"pdf": "a password-protected PDF", "age": "an age bundle"}


def register(sub: Any) -> None:
    p = sub.add_parser(
        "export",
        help="export a case's share packet, redacted and encrypted (PDF with a password, or an age bundle)",
        description="Write what a recorded decision says is to be shared (its linked notes), or with "
        "--include-all every current note of the case, as a password-protected PDF or a signed age bundle. "
        "Protected people are always redacted. The export is recorded in the vault.",
    )
    add_vault_options(p)
    p.add_argument("--case", required=True, metavar="REF", help="the case reference")
    p.add_argument("--decision", metavar="ID", help="the decision to share under (its number, or D-17)")
    p.add_argument("--format", required=True, choices=("pdf", "age"), help="pdf (any reader) or age (a bundle)")
    secret = p.add_mutually_exclusive_group()
    secret.add_argument("--recipient", metavar="AGE_PUBLIC_KEY", help="age: the recipient's public key (age1…)")
    secret.add_argument(
        "--export-passphrase-file",
        type=Path,
        metavar="FILE",
        help="the PDF's password, or the bundle's passphrase, from the first line of FILE "
        "(a PDF without it gets a generated password, printed once)",
    )
    p.add_argument("--include-all", action="store_true", help="every current note of the case, not only the decision's")
    p.add_argument("--out", required=True, type=Path, metavar="PATH", help="the file to write (must not exist)")
    p.set_defaults(func=cmd_export)

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


def _export_secret(path: Path) -> str:
    raw = _read_limited(path, MAX_PASSWORD_FILE_BYTES, "passphrase file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"The passphrase file {path} is not UTF-8 text.") from exc
    secret = text.splitlines()[0] if text else ""
    check_password(secret)
    return secret


def _decision_id(text: str | None) -> int | None:
    if text is None:
        return None
    found = parse_ref(text, "D") if not text.strip().isdigit() else int(text)
    if found is None:
        raise UsageError(f"'{text}' is not a decision number (for example 17 or D-17).")
    return found


def cmd_export(args: argparse.Namespace) -> int:
    policy = load_policy()
    if not policy.allowed_export_formats:
        raise UsageError(
            "Exporting is turned off by your organisation's policy.", "Ask your information governance lead."
        )
    if not policy.allows_export(args.format):
        allowed = " or ".join(f.upper() for f in policy.allowed_export_formats)
        raise UsageError(
            f"Your organisation's policy does not allow exporting as {args.format.upper()}.",
            f"Use --format {policy.allowed_export_formats[0]} ({allowed} is allowed).",
        )
    if args.format == "pdf" and args.recipient:
        raise UsageError("--recipient is for age bundles; a PDF is protected by a password.")
    if args.format == "age" and not (args.recipient or args.export_passphrase_file):
        raise UsageError("An age bundle needs --recipient AGE_PUBLIC_KEY or --export-passphrase-file FILE.")
    out = Path(args.out)
    if out.exists():
        raise UsageError(f"{out} already exists; an export never overwrites a file.", "Choose another name.")
    if not out.parent.is_dir():
        raise UsageError(f"The folder {out.parent} does not exist.")
    secret = _export_secret(args.export_passphrase_file) if args.export_passphrase_file else None
    decision_id = _decision_id(args.decision)
    passphrase = read_passphrase()
    folder = VaultFolder.attach(args.vault)
    try:
        vault = folder.unlock(passphrase)
        try:
            case = case_records.find_case(vault, args.case)
            if case is None:
                raise UsageError(f"There is no case with the reference '{args.case}' in this vault.")
            packet, items = packet_builder.build_for_decision(
                vault,
                case.id,
                decision_id,
                include_all=args.include_all,
                protective_marking=policy.protective_marking,
            )
            ensure_gui_app()
            bundle = None
            generated = None
            if args.format == "pdf":
                if secret is None:
                    secret = generated = generate_password()
                data = share_export.encrypted_pdf(packet, secret)
                protection: share_export.Protection = "pdf-password"
            elif args.recipient:
                bundle = share_export.signed_bundle(vault, packet, recipient=args.recipient)
                data, protection = bundle.data, "age-key"
            else:
                bundle = share_export.signed_bundle(vault, packet, passphrase=secret)
                data, protection = bundle.data, "age-passphrase"
            record = share_export.save_export(
                vault, packet, out, protection=protection, data=data, bundle=bundle, items=items, case_id=case.id
            )
        finally:
            vault.close()
    finally:
        folder.release()
    under = f"decision {packet.decision.decision_id}" if packet.decision.decision_id else "no recorded decision"
    print(f"Wrote {out} ({FORMAT_WORDS[args.format]}, {len(data):,} bytes): {len(packet.notes)} note(s) under {under}.")
    print(f"  packet:   {packet.packet_id} ({packet.protective_marking})")
    print(f"  sha256:   {record.sha256}")
    print(f"  recorded: export {record.export_id} in the case's chronology and audit trail")
    if bundle is not None:
        print(f"  signed by: {bundle.signer_fingerprint}")
        print("Read the signer fingerprint to the recipient, so they can check the bundle came from you.")
    if generated is not None:
        print(f"Password: {generated}")
        print(
            "It is shown once and not kept. Give it to the recipient by a different route "
            "(read it out by phone), never with the file."
        )
    return EXIT_OK


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
