"""Organisation commands: ``policy show|check|fingerprint`` and ``recover``.

``policy show`` is what IT runs on a managed machine to see what the application will
actually do: every setting, its effective value, where it came from (Group Policy, the
policy file or the built-in default), and any problems. It exits 0 even when there are
problems (the application still starts, with safe defaults); ``--strict`` makes problems
exit 1, for deployment scripts. ``policy check FILE`` validates a file before it is
deployed; ``policy fingerprint KEY`` prints the value to pin for an escrow key.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from desktop_app.commands.common import add_vault_options, print_json, read_stdin_lines
from desktop_app.domain.policy import (
    KEYS_BY_NAME,
    SOURCE_LABELS,
    Policy,
    describe_sources,
    escrow_fingerprint,
    resolve_policy,
    validate_setting,
)
from desktop_app.errors import EXIT_ERROR, EXIT_OK, UsageError
from desktop_app.store import audit


def register(sub: Any) -> None:
    _register_policy_commands(sub)
    _register_recover_commands(sub)


# ---------------------------------------------------------------------------------------
# policy
# ---------------------------------------------------------------------------------------
def _register_policy_commands(sub: Any) -> None:
    policy = sub.add_parser("policy", help="show or check the organisation policy")
    actions = policy.add_subparsers(dest="policy_command", metavar="ACTION", parser_class=type(policy))
    policy.set_defaults(func=lambda args: _missing_action(policy))

    show = actions.add_parser("show", help="print the effective policy and where each value came from")
    show.add_argument("--json", action="store_true", help="print as JSON")
    show.add_argument("--strict", action="store_true", help="exit 1 if the policy has problems")
    show.set_defaults(func=cmd_policy_show)

    check = actions.add_parser("check", help="check a policy file before deploying it (Group Policy is not read)")
    check.add_argument("file", type=Path, help="the policy.json to check")
    check.add_argument("--json", action="store_true", help="print as JSON")
    check.set_defaults(func=cmd_policy_check)

    fingerprint = actions.add_parser("fingerprint", help="print the fingerprint to pin for an escrow public key")
    fingerprint.add_argument("recipient", help="the age public key (age1…)")
    fingerprint.set_defaults(func=cmd_policy_fingerprint)


def _missing_action(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return EXIT_ERROR


def cmd_policy_show(args: argparse.Namespace) -> int:
    from desktop_app.services.policy_loader import load_policy, policy_file_path

    policy = load_policy()
    _report(policy, as_json=args.json, file_path=str(policy_file_path()))
    return EXIT_ERROR if args.strict and policy.problems else EXIT_OK


def cmd_policy_check(args: argparse.Namespace) -> int:
    from desktop_app.services.policy_loader import read_policy_file

    path: Path = args.file
    if not path.is_file():
        raise UsageError(f"There is no policy file at {path}.", "Give the path of the policy.json to check.")
    source = read_policy_file(path)
    policy = resolve_policy(
        [source] if source is not None else [],
        environ=os.environ,
        home=str(Path.home()),
        windows=sys.platform == "win32",
    )
    _report(policy, as_json=args.json, file_path=str(path), checking=True)
    return EXIT_ERROR if policy.problems else EXIT_OK


def cmd_policy_fingerprint(args: argparse.Namespace) -> int:
    try:
        recipient = validate_setting("escrow_public_key", args.recipient)
    except ValueError as exc:
        raise UsageError(f"That is not a usable escrow key: {str(exc).rstrip('.')}.") from None
    print(escrow_fingerprint(str(recipient)))
    return EXIT_OK


def _report(policy: Policy, *, as_json: bool, file_path: str, checking: bool = False) -> None:
    if as_json:
        print_json(
            {
                "values": policy.values(),
                "sources": {key: source for key, _value, source in describe_sources(policy)},
                "set_by_policy": sorted(policy.set_by_policy),
                "escrow_enabled": policy.escrow_enabled,
                "policy_file": file_path,
                "origins": dict(policy.origins),
                "problems": [{"key": p.key, "message": p.message} for p in policy.problems],
                "notices": [{"key": n.key, "message": n.message} for n in policy.notices],
            }
        )
        return
    out = sys.stdout
    out.write("Policy file checked: " if checking else "Organisation policy\n  Policy file:  ")
    read = "read" if "file" in policy.origins else "not present"
    out.write(f"{file_path} ({read})\n")
    if not checking:
        registry = policy.origins.get("registry")
        out.write(f"  Group Policy: {registry + ' (read)' if registry else 'not used on this computer'}\n")
    out.write("\n")
    width = max(len(name) for name in KEYS_BY_NAME) + 2
    for key, value, source in describe_sources(policy):
        unused = source != "default" and (
            bool(policy.problems_for(key)) or (key.startswith("escrow_") and not policy.escrow_enabled)
        )
        flag = "  (IT's value not used: see problems)" if unused else ""
        out.write(f"  {key:<{width}}{_format_value(value):<40} {SOURCE_LABELS.get(source, source)}{flag}\n")
    out.write(f"\n  Escrow: {'on, pinned ' + str(policy.escrow_fingerprint) if policy.escrow_enabled else 'off'}\n")
    if policy.problems:
        out.write(f"\nProblems ({len(policy.problems)}): the safe default is used for each of these.\n")
        for problem in policy.problems:
            out.write(f"  - {problem}\n")
    else:
        out.write("\nNo problems.\n")
    if policy.notices:
        out.write(f"\nNotices ({len(policy.notices)}):\n")
        for notice in policy.notices:
            out.write(f"  - {notice}\n")


def _format_value(value: object) -> str:
    if value is None:
        return "(not set)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) if value else "(none)"
    text = str(value)
    return text if len(text) <= 40 else text[:18] + "…" + text[-18:]


# ---------------------------------------------------------------------------------------
# recover: an information-governance lead opens a vault with the organisation's escrow
# identity (when a member of staff has left or forgotten everything) and sets a new
# passphrase. The identity file is the age secret key; it is read from a file because
# that is how age keys are kept (offline, on removable media), never from argv.
# ---------------------------------------------------------------------------------------
def _register_recover_commands(sub: Any) -> None:
    p = sub.add_parser(
        "recover",
        help="open a vault with the organisation escrow key and set a new passphrase (read from stdin)",
    )
    add_vault_options(p, passphrase=False)
    p.add_argument("--escrow-identity", metavar="FILE", required=True, type=Path, help="the organisation's age identity file")
    p.set_defaults(func=cmd_recover)


def cmd_recover(args: argparse.Namespace) -> int:
    from desktop_app.commands.vault_admin import require_acceptable
    from desktop_app.store.vault import VaultFolder

    try:
        identity = args.escrow_identity.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"The escrow identity file {args.escrow_identity} could not be read.") from exc
    (new_passphrase,) = read_stdin_lines(1, "the new passphrase")
    require_acceptable(new_passphrase)
    folder = VaultFolder.attach(args.vault)
    try:
        vault = folder.unlock_with_escrow(identity)
        try:
            vault.set_passphrase(new_passphrase)
            with vault.transaction() as conn:
                audit.append_event(conn, "vault.recovered_with_escrow", actor="information governance (escrow)")
        finally:
            vault.close()
    finally:
        folder.release()
    print("The vault was opened with the organisation escrow key and has a new passphrase.")
    print("Give the new passphrase to its new holder in person; the recovery key is unchanged.")
    return EXIT_OK
