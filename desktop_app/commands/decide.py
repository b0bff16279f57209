"""``casenotes decide --answers FILE.json``: the decision wizard without a window.

Reads the wizard's answers as one JSON object (from a file, or ``-`` for standard input)
and prints the recommendation as JSON, exactly as the wizard would show it. It needs no
vault and records nothing: it is for automation, training and checking the rules. The
contract is in docs/decision-api.md.

Every problem with the input (unreadable file, not JSON, not an object, a missing or
invalid answer) is a ``UsageError`` with a message that names what to fix, so the
dispatcher prints it and exits with 1; a person never sees a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from desktop_app.commands.common import print_json
from desktop_app.domain.decision_rules import ANSWER_KEYS, decide
from desktop_app.errors import EXIT_OK, UsageError

# An answers file is a few hundred bytes; anything this large is the wrong file.
MAX_ANSWERS_BYTES = 1_000_000


def register(sub: Any) -> None:
    p = sub.add_parser(
        "decide",
        help="recommend whether to share, from wizard answers in a JSON file (no vault needed)",
        description="Print the information-sharing recommendation, with its lawful basis, what "
        "to record and the guidance it relies on, for the answers in FILE (a JSON object; "
        "'-' reads standard input). See docs/decision-api.md.",
    )
    p.add_argument(
        "--answers",
        metavar="FILE.json",
        required=True,
        help="JSON object of answers, or - for standard input",
    )
    p.set_defaults(func=cmd_decide)


def _read_source(source: str) -> bytes:
    where = "standard input" if source == "-" else source
    try:
        if source == "-":
            if sys.stdin is None:
                raise UsageError("There is no standard input to read the answers from.")
            data = sys.stdin.buffer.read(MAX_ANSWERS_BYTES + 1)
        else:
            with open(source, "rb") as handle:
                data = handle.read(MAX_ANSWERS_BYTES + 1)
    except FileNotFoundError:
        raise UsageError(
            f"The answers file {where} does not exist.", "Check the path, or use - to read "
            "standard input."
        ) from None
    except IsADirectoryError:
        raise UsageError(f"The answers file {where} is a folder, not a file.") from None
    except OSError as exc:
        raise UsageError(f"Could not read the answers file {where}: {exc.strerror or exc}.") from None
    if len(data) > MAX_ANSWERS_BYTES:
        raise UsageError(
            f"The answers in {where} are larger than {MAX_ANSWERS_BYTES:,} bytes; an answers "
            "file is a small JSON object. Check you chose the right file."
        )
    return data


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Two values for one answer are ambiguous; JSON parsers would silently keep the last."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise UsageError(f"The answer '{key}' appears more than once; give it once.")
        result[key] = value
    return result


def load_answers(source: str) -> dict[str, Any]:
    """Read and decode the answers JSON object; ``UsageError`` says what is wrong with it."""
    where = "standard input" if source == "-" else source
    raw = _read_source(source)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(f"The answers in {where} are not UTF-8 text.") from None
    if not text.strip():
        raise UsageError(
            f"The answers in {where} are empty. Expected a JSON object with the keys: "
            f"{', '.join(ANSWER_KEYS)}."
        )
    try:
        data = json.loads(text, object_pairs_hook=_reject_duplicates)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"The answers in {where} are not valid JSON: {exc.msg} at line {exc.lineno}, "
            f"column {exc.colno}."
        ) from None
    except RecursionError:
        raise UsageError(f"The answers in {where} are nested too deeply to be answers.") from None
    if not isinstance(data, dict):
        kind = {list: "a list", str: "a text", bool: "a boolean", int: "a number", float: "a number"}
        raise UsageError(
            f"The answers in {where} must be a JSON object ({{...}}) with the keys: "
            f"{', '.join(ANSWER_KEYS)}; got {kind.get(type(data), 'null')}."
        )
    return data


def cmd_decide(args: argparse.Namespace) -> int:
    outcome = decide(load_answers(args.answers))
    try:
        print_json(outcome.to_json())
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader (say ``| head``) stopped early: not an error worth a traceback.
        # Point stdout at devnull so the interpreter's final flush does not fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    return EXIT_OK
