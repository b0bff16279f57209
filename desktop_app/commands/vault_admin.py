"""Vault administration: ``init``, ``check``, ``passwd`` and ``self-test``."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from datetime import date
from pathlib import Path
from typing import Any

from desktop_app.commands.common import (
    add_vault_options,
    print_json,
    read_passphrase,
    read_stdin_lines,
)
from desktop_app.domain.passphrase import assess
from desktop_app.errors import (
    EXIT_DAMAGED,
    EXIT_ERROR,
    EXIT_OK,
    CaseNotesError,
    KeySlotsDamaged,
    UsageError,
)
from desktop_app.store import audit, keyslots
from desktop_app.store.connection import DatabaseError, classify
from desktop_app.store.vault import SECTORS, Escrow, VaultFolder


def register(sub: Any) -> None:
    p = sub.add_parser("init", help="create a new vault and print its recovery key once")
    add_vault_options(p)
    p.add_argument("--owner", default=None, help="your name as it should appear on records (default: your login name)")
    p.add_argument("--organisation", default="", help="organisation name")
    p.add_argument(
        "--sector", choices=SECTORS, default="public", help="organisation sector (drives lawful-basis suggestions)"
    )
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("check", help="check a vault's integrity, key slots and audit trail")
    add_vault_options(p)
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("passwd", help="change the passphrase (old and new on stdin, one per line)")
    add_vault_options(p, passphrase=False)
    p.add_argument(
        "--recovery-key-stdin",
        action="store_true",
        help="read the recovery key (instead of the old passphrase) then the new passphrase",
    )
    p.set_defaults(func=cmd_passwd)

    p = sub.add_parser("self-test", help="offscreen smoke test of this installation")
    p.set_defaults(func=cmd_self_test)


def require_acceptable(passphrase: str) -> None:
    verdict = assess(passphrase)
    if not verdict.acceptable:
        raise UsageError(f"That passphrase is too weak ({verdict.label.lower()}).", verdict.advice)


def cmd_init(args: argparse.Namespace) -> int:
    passphrase = read_passphrase()
    require_acceptable(passphrase)
    owner = args.owner or getpass.getuser()
    escrow = _escrow_from_policy()
    created = VaultFolder.create(
        args.vault,
        passphrase,
        owner_name=owner,
        organisation_name=args.organisation,
        organisation_sector=args.sector,
        escrow=escrow,
    )
    try:
        for warning in created.folder.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        print(f"Created a vault in {args.vault}.")
        if escrow is not None:
            print(f"Your organisation can recover this vault with its escrow key ({escrow.fingerprint}).")
        print("Recovery key (shown once; print it or write it down and keep it somewhere safe):")
        print(created.recovery_key)
    finally:
        created.vault.close()
        created.folder.release()
    return EXIT_OK


def _escrow_from_policy() -> Escrow | None:
    from desktop_app.services.policy_loader import escrow_for_new_vault, load_policy

    return escrow_for_new_vault(load_policy())


def check_vault(folder: VaultFolder, passphrase: str) -> dict[str, Any]:
    """Everything ``check`` verifies, as a report. Raises only if the vault cannot be opened."""
    report: dict[str, Any] = {"problems": []}
    vault = folder.unlock(passphrase)
    try:
        conn = vault.conn
        integrity = [row[0] for row in conn.execute("PRAGMA integrity_check").fetchall()]
        report["integrity_check"] = integrity
        if integrity != ["ok"]:
            report["problems"].append("The database structure check found problems: " + "; ".join(integrity[:5]))
        cipher = [row[0] for row in conn.execute("PRAGMA cipher_integrity_check").fetchall()]
        report["cipher_integrity_check"] = cipher or ["ok"]
        if cipher:
            report["problems"].append("Encrypted pages failed their integrity check: " + "; ".join(cipher[:5]))
        key_slot_problems: list[str] = list(vault.notices)  # e.g. rebuilt from the kept copy at unlock
        slots, notices = folder.read_slots()
        slot_types = sorted(str(s.get("type")) for s in slots.slots)
        report["key_slots"] = {"generation": slots.generation, "slots": slot_types, "source": slots.source}
        data_key = vault.data_key_for_backup()
        if not slots.check_data_key(data_key):
            key_slot_problems.append("The key-slot file does not match this vault's key.")
        if slots.vault_id != vault.info.vault_id:
            key_slot_problems.append("The key-slot file belongs to a different vault.")
        key_slot_problems.extend(notices)
        try:
            previous = keyslots.read(folder.path, keyslots.PREVIOUS_NAME)
            report["key_slots"]["previous_generation"] = previous.generation
            if not previous.check_data_key(data_key):
                key_slot_problems.append("The kept copy of the key-slot file does not belong to this vault's key.")
        except KeySlotsDamaged:
            report["key_slots"]["previous_generation"] = None
        report["key_slots"]["ok"] = not key_slot_problems
        report["problems"].extend(key_slot_problems)
        chain = audit.verify_chain(conn)
        report["audit_chain"] = {"ok": chain.ok, "events": chain.events, "first_broken_id": chain.first_broken_id}
        if not chain.ok:
            report["problems"].append(f"The audit trail is broken: {chain.problem}.")
        report["schema_version"] = vault.info.schema_version
        report["vault_id"] = vault.info.vault_id
    finally:
        vault.close()
    report["ok"] = not report["problems"]
    return report


def cmd_check(args: argparse.Namespace) -> int:
    passphrase = read_passphrase()
    folder = VaultFolder.attach(args.vault)
    try:
        report = check_vault(folder, passphrase)
    except DatabaseError as exc:  # a damaged page read by the checks themselves
        raise classify(exc, "checking the vault") from exc
    finally:
        folder.release()
    if args.json:
        print_json(report)
    else:
        print(f"Vault {report['vault_id']} (schema version {report['schema_version']})")
        print(f"  database structure: {'ok' if report['integrity_check'] == ['ok'] else 'PROBLEMS'}")
        print(f"  encrypted pages:    {'ok' if report['cipher_integrity_check'] == ['ok'] else 'PROBLEMS'}")
        ks = report["key_slots"]
        print(
            f"  key slots:          {'ok' if ks['ok'] else 'PROBLEMS'}, generation {ks['generation']} ({', '.join(ks['slots'])}); previous kept: {'yes' if ks['previous_generation'] is not None else 'no'}"
        )
        ac = report["audit_chain"]
        print(
            f"  audit trail:        {ac['events']} events, {'intact' if ac['ok'] else 'BROKEN at event ' + str(ac['first_broken_id'])}"
        )
        for problem in report["problems"]:
            print(f"problem: {problem}")
        print(
            "All checks passed."
            if report["ok"]
            else "Some checks failed: keep this vault as it is and restore a backup into a new folder."
        )
    if report["ok"]:
        return EXIT_OK
    damaged = (
        report["integrity_check"] != ["ok"]
        or report["cipher_integrity_check"] != ["ok"]
        or not report["audit_chain"]["ok"]
        or not report["key_slots"]["ok"]
    )
    return EXIT_DAMAGED if damaged else EXIT_ERROR


def cmd_passwd(args: argparse.Namespace) -> int:
    first, new = read_stdin_lines(2, "the old passphrase (or recovery key) and the new passphrase")
    if not new:
        raise UsageError("The new passphrase is empty.")
    require_acceptable(new)
    folder = VaultFolder.attach(args.vault)
    try:
        vault = folder.unlock_with_recovery_key(first) if args.recovery_key_stdin else folder.unlock(first)
        try:
            vault.set_passphrase(new)
        finally:
            vault.close()
    finally:
        folder.release()
    print("Passphrase changed. Your recovery key is unchanged.")
    return EXIT_OK


def cmd_self_test(args: argparse.Namespace) -> int:
    """Smoke test for a frozen build: a fresh vault, a record written and read back, the
    file header checked, and the first Qt window created offscreen."""
    import tempfile

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    marker = "SELFTEST-PLAINTEXT-MARKER"
    steps: list[str] = []
    try:
        with tempfile.TemporaryDirectory(prefix="casenotes-selftest-") as tmp:
            from desktop_app.store.kdf import MIN_MEMORY_KIB, KdfParams

            params = KdfParams(memory_kib=MIN_MEMORY_KIB, iterations=1, lanes=4, salt=os.urandom(16))
            created = VaultFolder.create(
                Path(tmp) / "vault", "self test passphrase", owner_name="Self Test", kdf_params=params
            )
            try:
                # A real case record through the same services the application uses, so
                # a frozen build proves its SQLCipher, FTS5 search and audit chain work.
                from desktop_app.domain.records import CaseDetails, NoteInput
                from desktop_app.services import case_records

                case = case_records.create_case(
                    created.vault, CaseDetails(reference="SELFTEST-1", subject_name="Self Test Child")
                )
                note = case_records.record_note(
                    created.vault, case.id, NoteInput(occurred_at=date.today(), text=f"Self-test note {marker}")
                )
                created.vault.close()
                vault = created.folder.unlock("self test passphrase")
                try:
                    if marker not in case_records.get_note(vault, note.id).text:
                        raise RuntimeError("the note written could not be read back")
                    if [hit.note_id for hit in case_records.search_notes(vault, marker)] != [note.id]:
                        raise RuntimeError("search did not find the note written")
                    if not audit.verify_chain(vault.conn).ok:
                        raise RuntimeError("the audit trail's hash chain does not verify")
                finally:
                    vault.close()
                steps.append("case and note written, locked, unlocked, read back and found by search")
            finally:
                created.folder.release()
            for path in (Path(tmp) / "vault").iterdir():
                data = path.read_bytes()
                if b"SQLite format 3" in data[:16] or marker.encode() in data:
                    raise RuntimeError(f"{path.name} contains plaintext")
            steps.append("no plaintext in any vault file")
        from PySide6.QtWidgets import QApplication

        from desktop_app.ui.main_window import MainWindow

        app = QApplication.instance() or QApplication([])
        window = MainWindow(Path("/nonexistent-self-test"))
        window.start()
        window.show()
        app.processEvents()
        window.close()
        steps.append("first window created offscreen")
    except (CaseNotesError, RuntimeError, OSError, ImportError) as exc:
        for step in steps:
            print(f"ok: {step}")
        print(f"self-test FAILED: {exc}", file=sys.stderr)
        return EXIT_ERROR
    for step in steps:
        print(f"ok: {step}")
    print("self-test passed")
    return EXIT_OK
