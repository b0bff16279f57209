"""Case records on the command line: ``import``, ``search`` and ``demo``.

Each command opens the vault with the passphrase from standard input, calls the same
services the application uses, and always locks and releases the vault afterwards.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from desktop_app.commands.common import add_vault_options, print_json, read_passphrase
from desktop_app.domain.records import SNIPPET_END, SNIPPET_START, SearchHit
from desktop_app.errors import EXIT_OK, UsageError
from desktop_app.services import case_records, demo_data, importer
from desktop_app.store.vault import OpenVault, VaultFolder

# How matches are shown in plain-text output (the JSON gives offsets instead).
TEXT_MARK_START = "[["
TEXT_MARK_END = "]]"


def register(sub: Any) -> None:
    p = sub.add_parser(
        "import",
        help="import cases, people and notes from a JSON file (all or nothing; see docs/formats.md)",
    )
    add_vault_options(p)
    p.add_argument("file", type=Path, metavar="FILE.json", help="the file to import")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("search", help="search the text of every note")
    add_vault_options(p)
    p.add_argument("query", metavar="QUERY", help="words to find (any text; nothing is treated as search syntax)")
    p.add_argument("--case", metavar="REFERENCE", help="only this case")
    p.add_argument("--category", action="append", metavar="CODE", help="only this category (repeatable)")
    p.add_argument("--from", dest="occurred_from", metavar="YYYY-MM-DD", help="only notes of events on or after")
    p.add_argument("--to", dest="occurred_to", metavar="YYYY-MM-DD", help="only notes of events on or before")
    p.add_argument("--limit", type=int, default=50, help="how many results at most (default 50)")
    p.add_argument("--newest-first", action="store_true", help="order by date instead of relevance")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser(
        "demo",
        help="fill a vault with clearly fictional cases and notes (creates the vault if the folder has none)",
    )
    add_vault_options(p)
    p.add_argument("--cases", type=int, default=20, help="how many cases (default 20)")
    p.add_argument("--notes", type=int, default=400, help="how many notes in all (default 400)")
    p.add_argument(
        "--largest-case-notes", type=int, default=None, help="notes in the first case (default: a fair share)"
    )
    p.add_argument("--seed", type=int, default=2024, help="random seed, for the same demo every time")
    p.set_defaults(func=cmd_demo)


@contextmanager
def _unlocked(folder_path: Path, passphrase: str) -> Iterator[OpenVault]:
    folder = VaultFolder.attach(folder_path)
    try:
        vault = folder.unlock(passphrase)
        try:
            yield vault
        finally:
            vault.close()
    finally:
        folder.release()


def cmd_import(args: argparse.Namespace) -> int:
    passphrase = read_passphrase()
    data, digest = importer.read_import_file(args.file)  # before unlocking: a bad file costs no KDF
    with _unlocked(args.vault, passphrase) as vault:
        summary = importer.import_data(vault, data, file_sha256=digest)
    if args.json:
        print_json({"cases": summary.cases, "people": summary.people, "notes": summary.notes, "file_sha256": digest})
    else:
        print(f"Imported {summary.cases} case(s), {summary.people} person(s) and {summary.notes} note(s).")
    return EXIT_OK


def split_snippet(snippet: str) -> tuple[str, list[tuple[int, int]]]:
    """The snippet's plain text and the (start, end) offsets of its matches."""
    plain: list[str] = []
    matches: list[tuple[int, int]] = []
    position = 0
    start = 0
    for char in snippet:
        if char == SNIPPET_START:
            start = position
        elif char == SNIPPET_END:
            matches.append((start, position))
        else:
            plain.append(char)
            position += 1
    return "".join(plain), matches


def _local(occurred_at: str) -> str:
    return datetime.fromisoformat(occurred_at).astimezone().strftime("%Y-%m-%d %H:%M")


def cmd_search(args: argparse.Namespace) -> int:
    passphrase = read_passphrase()
    if args.limit < 1:
        raise UsageError("--limit must be 1 or more.")
    with _unlocked(args.vault, passphrase) as vault:
        case_id = None
        if args.case:
            case = case_records.find_case(vault, args.case)
            if case is None:
                raise UsageError(f"There is no case with the reference '{args.case}' in this vault.")
            case_id = case.id
        hits = case_records.search_notes(
            vault,
            args.query,
            case_id=case_id,
            categories=args.category,
            occurred_from=args.occurred_from,
            occurred_to=args.occurred_to,
            limit=args.limit,
            newest_first=args.newest_first,
        )
    if args.json:
        print_json([_hit_json(hit) for hit in hits])
        return EXIT_OK
    if not hits:
        print("No notes match.")
        return EXIT_OK
    for hit in hits:
        flags = f"  ({', '.join(hit.flags)})" if hit.flags else ""
        print(f"{hit.case_reference}  note {hit.note_id}  {_local(hit.occurred_at)}{flags}")
        print(f"    {hit.snippet.replace(SNIPPET_START, TEXT_MARK_START).replace(SNIPPET_END, TEXT_MARK_END)}")
    return EXIT_OK


def _hit_json(hit: SearchHit) -> dict[str, Any]:
    text, matches = split_snippet(hit.snippet)
    return {
        "case_reference": hit.case_reference,
        "case_id": hit.case_id,
        "note_id": hit.note_id,
        "occurred_at": hit.occurred_at,
        "category": hit.category,
        "flags": list(hit.flags),
        "snippet": text,
        "matches": [list(m) for m in matches],
    }


def cmd_demo(args: argparse.Namespace) -> int:
    passphrase = read_passphrase()
    if args.cases < 1 or args.notes < 0:
        raise UsageError("--cases must be 1 or more and --notes 0 or more.")
    if VaultFolder.is_vault(Path(args.vault).expanduser()):
        with _unlocked(args.vault, passphrase) as vault:
            summary = _build(vault, args)
    else:
        from desktop_app.domain.passphrase import assess

        verdict = assess(passphrase)
        if not verdict.acceptable:
            raise UsageError(f"That passphrase is too weak ({verdict.label.lower()}).", verdict.advice)
        created = VaultFolder.create(
            args.vault,
            passphrase,
            owner_name=demo_data.DEMO_OWNER,
            organisation_name="Demo organisation (fictional)",
        )
        try:
            print(f"Created a demo vault in {args.vault}.")
            print("Recovery key (shown once; print it or write it down and keep it somewhere safe):")
            print(created.recovery_key)
            sys.stdout.flush()
            summary = _build(created.vault, args)
        finally:
            created.vault.close()
            created.folder.release()
    print(
        f"Added {summary.cases} fictional case(s), {summary.people} person(s) and {summary.notes} note(s); "
        f"the first case has {summary.largest_case_notes} note(s)."
    )
    return EXIT_OK


def _build(vault: OpenVault, args: argparse.Namespace) -> demo_data.DemoSummary:
    return demo_data.build_demo(
        vault, cases=args.cases, notes=args.notes, largest_case_notes=args.largest_case_notes, seed=args.seed
    )
