"""The standard ``age`` command-line tool, for the interoperability tests.

The issue asks that bundles open with the standard tool, and CI installs Debian's ``age``
to prove it. A test that quietly skips when the tool is missing would let CI pass without
ever checking that, so ``.ci/run`` sets ``CASENOTES_REQUIRE_AGE=1`` and then a missing
tool is a failure. On a developer's machine without ``age`` the tests are skipped, with a
reason saying how to run them.

``age -d`` reads a passphrase only from a terminal (``/dev/tty``), never from standard
input, so ``decrypt_with_passphrase`` gives it a real pseudo-terminal as its controlling
terminal and types the passphrase at the prompt, as a person would.
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

REQUIRE_AGE = "CASENOTES_REQUIRE_AGE"
PROMPT_SECONDS = 30


def require_age() -> str:
    """The path of ``age``; skips the test when it is missing, or fails it when
    ``CASENOTES_REQUIRE_AGE=1`` (as in CI)."""
    found = shutil.which("age")
    if found is not None:
        return found
    if os.environ.get(REQUIRE_AGE) == "1":
        pytest.fail(
            f"{REQUIRE_AGE}=1 but the age command-line tool is not installed, so bundles cannot be shown to open "
            "with it. Install it (Debian: apt-get install age)."
        )
    pytest.skip(f"the age command-line tool is not installed (apt-get install age; {REQUIRE_AGE}=1 makes this fail)")


def decrypt_with_passphrase(bundle: Path, passphrase: str, *, timeout: float = 60) -> bytes:
    """``age -d bundle`` with ``passphrase`` typed at its terminal prompt; the decrypted
    bytes come back through a pipe (never a file)."""
    age = require_age()
    if sys.platform == "win32":  # pragma: no cover - the CI and the developers' machines are Linux
        pytest.skip("age reads a passphrase from a terminal; pseudo-terminals need a POSIX system")
    import fcntl
    import pty
    import termios

    controller, terminal = pty.openpty()

    def take_terminal() -> None:
        # Runs in the child after setsid (start_new_session): standard input is the
        # pseudo-terminal, which becomes the controlling terminal age opens as /dev/tty.
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    try:
        process = subprocess.Popen(
            [age, "-d", str(bundle)],
            stdin=terminal,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            preexec_fn=take_terminal,  # noqa: PLW1509 - nothing else runs in the child before exec
        )
    finally:
        os.close(terminal)
    try:
        shown = b""
        deadline = time.monotonic() + PROMPT_SECONDS
        while b"passphrase" not in shown.lower():
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                _, err = process.communicate(timeout=10)
                pytest.fail(f"age never asked for the passphrase (terminal: {shown!r}; errors: {err!r})")
            ready, _, _ = select.select([controller], [], [], 0.2)
            if ready:
                try:
                    shown += os.read(controller, 1024)
                except OSError:  # the terminal closed: age has exited
                    continue
        os.write(controller, passphrase.encode("utf-8") + b"\n")
        out, err = process.communicate(timeout=timeout)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        os.close(controller)
    if process.returncode != 0:
        raise subprocess.CalledProcessError(process.returncode, [age, "-d", str(bundle)], out, err)
    return out
