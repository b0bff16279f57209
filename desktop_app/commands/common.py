"""Helpers shared by sub-commands: reading secrets from stdin, adding the usual options."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from desktop_app.errors import UsageError


def add_vault_options(parser: argparse.ArgumentParser, *, passphrase: bool = True) -> None:
    parser.add_argument("--vault", metavar="DIR", required=True, type=Path, help="vault folder")
    if passphrase:
        parser.add_argument(
            "--passphrase-stdin",
            action="store_true",
            required=True,
            help="read the passphrase from the first line of standard input",
        )


def read_stdin_lines(count: int, what: str) -> list[str]:
    """Read ``count`` lines from stdin. The trailing newline is removed, nothing else."""
    lines: list[str] = []
    raw = getattr(sys.stdin, "buffer", None)  # read bytes and decode as UTF-8 on every platform,
    for _ in range(count):  # so "£" or "é" in a passphrase never depends on the code page
        try:
            line = raw.readline().decode("utf-8") if raw is not None else sys.stdin.readline()
        except UnicodeDecodeError as exc:
            raise UsageError("Standard input is not UTF-8 text; passphrases must be sent as UTF-8.") from exc
        if not line:
            raise UsageError(f"Expected {what} on standard input, one per line; got {len(lines)} line(s).")
        lines.append(line.rstrip("\r\n"))
    return lines


def read_passphrase() -> str:
    (passphrase,) = read_stdin_lines(1, "the passphrase")
    if not passphrase:
        raise UsageError("The passphrase on standard input is empty.")
    return passphrase


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")
