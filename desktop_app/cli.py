"""The ``casenotes`` command: with no sub-command it opens the application; sub-commands
are the admin and automation command line over the same services the UI uses.

Each capability registers its own sub-commands from a module in ``desktop_app.commands``
(``register(subparsers)``), so the command line grows without one file owning it all.
Passphrases are only ever read from standard input, never from argv (argv is visible to
every user on the machine through the process list).

Exit codes (docs/cli.md): 0 success, 1 usage or other error, 2 wrong passphrase or
recovery key, 3 vault damaged, 4 vault in use by another instance.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from desktop_app import __version__
from desktop_app.errors import EXIT_ERROR, EXIT_OK, CaseNotesError

# One module per capability; a module that is not there yet is simply skipped.
COMMAND_MODULES = (
    "desktop_app.commands.vault_admin",  # init, check, passwd, self-test
    "desktop_app.commands.records",  # import, search, demo
    "desktop_app.commands.decide",  # decide
    "desktop_app.commands.emergency",  # emergency, pending
    "desktop_app.commands.exporting",  # export, verify-bundle, backup, restore
    "desktop_app.commands.recover",  # recover, policy
)


class _Parser(argparse.ArgumentParser):
    """argparse exits with 2 on a usage error; our contract reserves 2 for a wrong secret."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_ERROR, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="casenotes",
        description="Safeguarding Case Notes. With no command, opens the application.",
    )
    parser.add_argument("--version", action="version", version=f"casenotes {__version__}")
    parser.add_argument("--vault", metavar="DIR", help="vault folder to open (default: per-user local data folder)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        from desktop_app.app import run_application

        return run_application(vault_dir=args.vault)
    try:
        result: int = args.func(args)
        return result
    except CaseNotesError as exc:
        print(f"casenotes: {exc.message}", file=sys.stderr)
        if exc.advice:
            print(f"  {exc.advice}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("casenotes: interrupted; nothing was half-written.", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        # Output piped into `head` and closed early: not an error of ours.
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
