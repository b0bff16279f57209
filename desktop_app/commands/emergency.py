"""``emergency`` (record a share made in an emergency) and ``pending`` (list the follow-ups
still to write up, after linking any write-up that was saved but never linked).

The case must exist, unless ``--create-case --child NAME`` says to open it: a mistyped
reference must not quietly create a second case for the same child in an emergency.
Times given with ``--at`` without a zone are this computer's local time; deadlines are
printed in local time too.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import Any

from desktop_app.commands.common import add_vault_options, print_json, read_passphrase
from desktop_app.domain.emergency import HOW_OPTIONS, EmergencyCapture, EmergencyShare, NewCase, local_text
from desktop_app.errors import EXIT_OK, UsageError, ValidationError
from desktop_app.store.vault import OpenVault, VaultFolder


def register(sub: Any) -> None:
    p = sub.add_parser(
        "emergency",
        help="record information shared in an emergency; a follow-up write-up is then due",
        description="Record information you have shared in an emergency: who with, how, what, why and when. "
        "A follow-up is then due (24 hours unless your organisation's policy says otherwise), to be "
        "completed in the application with a full decision record.",
    )
    add_vault_options(p)
    p.add_argument("--case", required=True, metavar="REF", help="the case reference")
    p.add_argument(
        "--create-case",
        action="store_true",
        help="open a new case with this reference if there is none (needs --child)",
    )
    p.add_argument("--child", metavar="NAME", help="the child's name, for --create-case")
    p.add_argument("--with", dest="shared_with", required=True, metavar="TEXT", help="who it was shared with")
    p.add_argument("--contact", default="", metavar="TEXT", help="their contact details (optional)")
    p.add_argument(
        "--how",
        required=True,
        metavar="TEXT",
        help="how it was shared: " + ", ".join(HOW_OPTIONS),
    )
    p.add_argument("--what", required=True, metavar="TEXT", help="briefly, what was shared")
    p.add_argument("--why", required=True, metavar="TEXT", help="why, in one line")
    p.add_argument(
        "--at",
        metavar="ISO-8601",
        help="when it was shared (default now; without a time zone means local time; never in the future)",
    )
    p.add_argument("--json", action="store_true", help="print the recorded share as JSON")
    p.set_defaults(func=cmd_emergency)

    p = sub.add_parser("pending", help="list emergency follow-ups still to write up, overdue first")
    add_vault_options(p)
    p.add_argument("--json", action="store_true", help="print the list as JSON")
    p.set_defaults(func=cmd_pending)


def _parse_at(text: str | None, now: datetime) -> datetime | None:
    if text is None:
        return None
    raw = text.strip()
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValidationError(
            f"--at '{raw[:40]}' is not a date and time this command can read.",
            field="shared_at",
            advice="Write it as ISO 8601, for example 2024-03-07T14:30 (local time) or 2024-03-07T14:30:00+00:00.",
        ) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = moment.astimezone()  # local time on this computer
    return moment


def _open(args: argparse.Namespace) -> tuple[VaultFolder, OpenVault]:
    passphrase = read_passphrase()
    folder = VaultFolder.attach(args.vault)
    try:
        return folder, folder.unlock(passphrase)
    except BaseException:
        folder.release()
        raise


def share_json(share: EmergencyShare, now: datetime) -> dict[str, Any]:
    return {
        "id": share.id,
        "case": share.case_reference,
        "shared_with": share.who,
        "contact": share.shared_with_contact,
        "how": share.how,
        "shared_at": share.shared_at.isoformat(),
        "due_at": share.due_at.isoformat(),
        "deadline_hours": share.deadline_hours,
        "status": share.status(now).value,
        "overdue": share.due_at < now and share.is_open(now),
    }


def cmd_emergency(args: argparse.Namespace) -> int:
    from desktop_app.services import case_records
    from desktop_app.services import emergency as service

    if args.child is not None and not args.create_case:
        raise UsageError("--child is only used with --create-case.")
    if args.create_case and not (args.child or "").strip():
        raise UsageError("--create-case needs the child's name: add --child NAME.")
    now = datetime.now(UTC)
    shared_at = _parse_at(args.at, now)
    folder, vault = _open(args)
    try:
        existing = case_records.find_case(vault, args.case)
        create: NewCase | None = None
        if existing is None:
            if not args.create_case:
                raise UsageError(
                    f"There is no case with the reference '{args.case}' in this vault.",
                    "Check the reference, or open a new case for the child by adding: "
                    "--create-case --child NAME. Nothing has been recorded.",
                )
            create = NewCase(args.case, args.child)
        elif args.create_case:
            print(
                f"note: a case with the reference '{existing.reference}' already exists; recording against it.",
                file=sys.stderr,
            )
        capture = EmergencyCapture(
            case_id=existing.id if existing is not None else None,
            shared_with_organisation=args.shared_with,
            shared_with_contact=args.contact,
            how=args.how,
            what=args.what,
            why=args.why,
            shared_at=shared_at,
        )
        share = service.record_emergency_share(
            vault,
            capture,
            create_case=create,
            deadline_hours=service.policy_deadline_hours(),
            now=now,
        )
    finally:
        vault.close()
        folder.release()
    if args.json:
        print_json(share_json(share, now))
    else:
        if create is not None:
            print(f"Opened case {share.case_reference} for {share.child_name}.")
        print(f"Recorded: emergency share with {share.recipient} on {local_text(share.shared_at)}.")
        zone = share.due_at.astimezone().strftime("%Z")
        print(f"Follow-up due {local_text(share.due_at)} ({zone}, {share.deadline_hours} hours after sharing).")
        if share.due_at < now:
            print("It is already overdue: it was shared more than that long ago.")
        print("Write it up in the application (Document now) with a full decision record.")
    return EXIT_OK


def cmd_pending(args: argparse.Namespace) -> int:
    from desktop_app.services import emergency as service

    now = datetime.now(UTC)
    folder, vault = _open(args)
    try:
        # A write-up saved but never linked (the application stopped between saving the
        # decision and linking it) is not outstanding: link it first, as the window does.
        linked = service.link_saved_write_ups(vault, now)
        shares = service.outstanding_follow_ups(vault, now)
    finally:
        vault.close()
        folder.release()
    for share in linked:
        print(
            f"note: the write-up of the emergency share with {share.who} ({share.case_reference}) was saved "
            f"but not linked; it is now linked to decision record {share.completed_decision_id}.",
            file=sys.stderr,
        )
    if args.json:
        print_json([share_json(share, now) for share in shares])
        return EXIT_OK
    if not shares:
        print("No emergency follow-ups are outstanding.")
        return EXIT_OK
    overdue = sum(1 for s in shares if s.due_at < now)
    print(f"{len(shares)} emergency follow-up(s) to write up; {overdue} overdue.")
    for share in shares:
        flag = "OVERDUE " if share.due_at < now else "        "
        print(
            f"{flag}{share.case_reference}  with {share.who}  shared {local_text(share.shared_at)}  "
            f"{share.describe_due(now)}"
        )
    return EXIT_OK
