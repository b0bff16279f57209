"""logging_setup: personal data never reaches the log; crashes are logged without their
messages; files are private."""

from __future__ import annotations

import enum
import io
import logging
import os
import stat
import subprocess
import sys
import textwrap
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop_app import logging_setup as ls
from desktop_app.logging_setup import (
    WITHHELD,
    PersonalDataFilter,
    configure_logging,
    describe_exception,
    install_crash_hooks,
    is_safe_arg,
)

NAME = "Jane Smith"
POSIX_ONLY = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")


class Reason(enum.Enum):
    IDLE = "idle"


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[ls.LoggingSetup]:
    configured = configure_logging(tmp_path / "logs", enable_faulthandler=False)
    yield configured
    configured.close()


def log_text(setup: ls.LoggingSetup) -> str:
    setup.handler.flush()
    return setup.log_file.read_text(encoding="utf-8")


# -- which arguments pass --------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        0,
        42,
        -7,
        3.5,
        True,
        None,
        "note-123",
        "case_42",
        "idle",
        "session-lock",
        "WTS_SESSION_LOCK",
        "0b0f7c4e-2f5a-4f7e-9d61-3c1d9a4b8e21",
        "0B0F7C4E-2F5A-4F7E-9D61-3C1D9A4B8E21",
        Reason.IDLE,
        "a" * 40,
    ],
)
def test_safe_values_pass(value: object) -> None:
    assert is_safe_arg(value)


@pytest.mark.parametrize(
    "value",
    [
        NAME,
        "Jane",  # capitalised: how names are written
        "McDonald",
        "jane.smith@example.org",
        "07700 900123",
        "07700900123",  # digits only: phone and NHS numbers
        "9434765919",
        "correct horse battery staple",
        "hunter2!",
        "a" * 41,
        "",
        "note-",
        "/home/jane/vault",
        b"note-1",
        ["note-1"],
        {"id": 1},
        ValueError("x"),
        Path("/tmp"),
        object(),
    ],
)
def test_unsafe_values_are_refused(value: object) -> None:
    assert not is_safe_arg(value)


@given(
    st.text(alphabet=st.characters(whitelist_categories=("Zs",)), min_size=1).flatmap(
        lambda space: st.tuples(st.text(min_size=0, max_size=20), st.just(space), st.text(max_size=20))
    )
)
def test_no_string_with_a_space_passes(parts: tuple[str, str, str]) -> None:
    assert not is_safe_arg("".join(parts))


@given(st.text(max_size=80))
def test_safe_strings_are_short_and_identifier_shaped(text: str) -> None:
    if is_safe_arg(text):
        assert len(text) <= 40 or len(text) == 36
        assert text.isascii() and text.replace("-", "").replace("_", "").isalnum()


# -- the filter on real records --------------------------------------------------------


def test_personal_text_in_args_is_withheld_and_ids_pass(setup: ls.LoggingSetup) -> None:
    log = logging.getLogger("desktop_app.test")
    log.info("note %s saved for case %s by %s", "note-123", 42, NAME)
    text = log_text(setup)
    assert "note note-123 saved for case 42 by [withheld]" in text
    assert "Jane" not in text


def test_mapping_args_are_sanitised(setup: ls.LoggingSetup) -> None:
    logging.getLogger("desktop_app.test").warning("opened %(note)s for %(who)s", {"note": "note-9", "who": NAME})
    text = log_text(setup)
    assert "opened note-9 for [withheld]" in text
    assert NAME not in text


def test_format_mismatch_after_withholding_keeps_the_template(setup: ls.LoggingSetup) -> None:
    logging.getLogger("desktop_app.test").info("count %d", "Jane's 3 notes")
    text = log_text(setup)
    assert "count %d [withheld]" in text
    assert "Jane" not in text


def test_non_string_message_is_withheld(setup: ls.LoggingSetup) -> None:
    class Note:
        def __str__(self) -> str:
            return NAME

    logging.getLogger("desktop_app.test").error(Note())
    text = log_text(setup)
    assert WITHHELD in text and NAME not in text


def test_every_handler_sees_sanitised_records(setup: ls.LoggingSetup) -> None:
    """The record factory sanitises at creation, so a handler added later (by a library,
    or a developer's console handler) cannot write the raw values either."""
    stream = io.StringIO()
    extra = logging.StreamHandler(stream)
    logging.getLogger().addHandler(extra)
    try:
        logging.getLogger("desktop_app.test").warning("search for %s", NAME)
    finally:
        logging.getLogger().removeHandler(extra)
    assert NAME not in stream.getvalue()
    assert "search for [withheld]" in stream.getvalue()


def test_close_restores_the_record_factory(tmp_path: Path) -> None:
    before = logging.getLogRecordFactory()
    configured = configure_logging(tmp_path, enable_faulthandler=False)
    assert logging.getLogRecordFactory() is not before
    configured.close()
    assert logging.getLogRecordFactory() is before


def test_filter_alone_on_a_handler() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello %s %s", (NAME, "id-1"), None)
    assert PersonalDataFilter().filter(record) is True
    assert record.getMessage() == "hello [withheld] id-1"
    # a second pass (another handler) changes nothing
    assert PersonalDataFilter().filter(record) is True
    assert record.getMessage() == "hello [withheld] id-1"


def test_a_broken_argument_cannot_break_logging() -> None:
    class Hostile(dict):  # type: ignore[type-arg]
        def items(self):  # type: ignore[no-untyped-def]
            raise RuntimeError(NAME)

    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%(a)s", None, None)
    record.args = Hostile(a=1)
    assert PersonalDataFilter().filter(record) is True
    assert record.getMessage() == WITHHELD


# -- exceptions ------------------------------------------------------------------------


def raise_with_name() -> None:
    raise ValueError(f"no guardian recorded for {NAME}")


def test_logged_exception_keeps_type_and_frames_not_message(setup: ls.LoggingSetup) -> None:
    try:
        raise_with_name()
    except ValueError:
        logging.getLogger("desktop_app.test").exception("saving failed for note %s", "note-7")
    text = log_text(setup)
    assert "saving failed for note note-7" in text
    assert "ValueError (message withheld)" in text
    assert "in raise_with_name" in text
    assert "test_logging_setup.py" in text
    assert NAME not in text and "guardian" not in text


def test_chained_exceptions_are_described_without_messages() -> None:
    try:
        try:
            raise_with_name()
        except ValueError as inner:
            raise RuntimeError(f"wrapper mentioning {NAME}") from inner
    except RuntimeError as exc:
        text = describe_exception(type(exc), exc, exc.__traceback__)
    assert text.startswith("RuntimeError (message withheld)")
    assert "ValueError (message withheld)" in text
    assert "in raise_with_name" in text
    assert NAME not in text


def test_describe_exception_names_the_module_of_project_exceptions() -> None:
    class VaultDamaged(Exception):
        pass

    text = describe_exception(VaultDamaged, VaultDamaged(NAME), None)
    assert text.startswith(f"{__name__}.")
    assert "VaultDamaged (message withheld)" in text
    assert describe_exception(None, None, None) == "Traceback: (none)"


def test_excepthook_logs_type_and_frames_and_prints_no_message(setup: ls.LoggingSetup) -> None:
    stderr = io.StringIO()
    crashed: list[str] = []
    restore = install_crash_hooks(on_crash=crashed.append, stderr=stderr)
    try:
        try:
            raise_with_name()
        except ValueError:
            sys.excepthook(*sys.exc_info())  # type: ignore[arg-type]
    finally:
        restore()
    text = log_text(setup)
    assert "unhandled exception" in text and "ValueError (message withheld)" in text
    assert NAME not in text
    assert "ValueError" in stderr.getvalue() and NAME not in stderr.getvalue()
    assert crashed == ["ValueError"]


def test_thread_excepthook_logs_without_message(setup: ls.LoggingSetup) -> None:
    stderr = io.StringIO()
    restore = install_crash_hooks(stderr=stderr)
    try:
        thread = threading.Thread(target=raise_with_name, name="worker")
        thread.start()
        thread.join()
    finally:
        restore()
    text = log_text(setup)
    assert "unhandled exception in a thread" in text
    assert "ValueError (message withheld)" in text
    assert NAME not in text and NAME not in stderr.getvalue()


def test_restore_puts_the_previous_hooks_back() -> None:
    before = (sys.excepthook, threading.excepthook, sys.unraisablehook)
    restore = install_crash_hooks(stderr=io.StringIO())
    assert sys.excepthook is not before[0]
    restore()
    assert (sys.excepthook, threading.excepthook, sys.unraisablehook) == before


def test_a_real_crash_in_a_fresh_interpreter(tmp_path: Path) -> None:
    """End to end: an uncaught exception in a process set up like the app leaves only
    type and frames in the log, and nothing personal on stderr."""
    script = textwrap.dedent(
        f"""
        from pathlib import Path
        from desktop_app.logging_setup import configure_logging, install_crash_hooks
        configure_logging(Path({str(tmp_path)!r}))
        install_crash_hooks()
        def save_note():
            raise KeyError({NAME!r})
        save_note()
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 1
    assert NAME not in result.stderr and NAME not in result.stdout
    assert "KeyError" in result.stderr
    log = (tmp_path / ls.LOG_FILE_NAME).read_text(encoding="utf-8")
    assert "KeyError (message withheld)" in log and "in save_note" in log
    assert NAME not in log


@pytest.mark.skipif(sys.platform == "win32", reason="a deliberate segfault is POSIX-only here")
def test_hard_crash_goes_to_the_fault_file(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import ctypes
        from pathlib import Path
        from desktop_app.logging_setup import configure_logging
        configure_logging(Path({str(tmp_path)!r}))
        def open_case():
            ctypes.string_at(0)
        open_case()
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60, check=False)
    assert result.returncode != 0
    faults = (tmp_path / ls.FAULT_FILE_NAME).read_text(encoding="utf-8")
    assert "Fatal Python error" in faults and "open_case" in faults


# -- files -----------------------------------------------------------------------------


@POSIX_ONLY
def test_log_file_is_0600_and_folder_0700(setup: ls.LoggingSetup) -> None:
    logging.getLogger("desktop_app.test").info("started")
    setup.handler.flush()
    assert stat.S_IMODE(setup.log_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(setup.log_dir.stat().st_mode) == 0o700


@POSIX_ONLY
def test_rotated_files_stay_0600(tmp_path: Path) -> None:
    configured = configure_logging(tmp_path, max_bytes=200, backup_count=2, enable_faulthandler=False)
    try:
        for number in range(50):
            logging.getLogger("desktop_app.test").info("event %s", f"note-{number}")
        configured.handler.flush()
    finally:
        configured.close()
    files = sorted(tmp_path.glob(ls.LOG_FILE_NAME + "*"))
    assert len(files) == 3  # current + 2 backups
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


@POSIX_ONLY
def test_an_existing_world_readable_log_is_made_private(tmp_path: Path) -> None:
    existing = tmp_path / ls.LOG_FILE_NAME
    existing.write_text("old\n")
    existing.chmod(0o644)
    configured = configure_logging(tmp_path, enable_faulthandler=False)
    try:
        logging.getLogger("desktop_app.test").info("started")
        configured.handler.flush()
    finally:
        configured.close()
    assert stat.S_IMODE(existing.stat().st_mode) == 0o600


@POSIX_ONLY
def test_fault_file_is_0600(tmp_path: Path) -> None:
    import faulthandler

    configured = configure_logging(tmp_path)
    try:
        assert configured.fault_file is not None
        assert faulthandler.is_enabled()
        assert stat.S_IMODE(configured.fault_file.stat().st_mode) == 0o600
    finally:
        configured.close()
        faulthandler.enable(file=sys.__stderr__)  # put back what pytest had


def test_default_log_dir_is_the_per_user_log_folder() -> None:
    import platformdirs

    assert ls.default_log_dir() == Path(platformdirs.user_log_dir("CaseNotes", "SafeguardingCaseNotes"))


def test_configuring_twice_replaces_the_handler(tmp_path: Path) -> None:
    first = configure_logging(tmp_path / "a", enable_faulthandler=False)
    second = configure_logging(tmp_path / "b", enable_faulthandler=False)
    try:
        assert first.handler not in logging.getLogger().handlers
        assert second.handler in logging.getLogger().handlers
        logging.getLogger("desktop_app.test").info("only in b %s", uuid.uuid4().hex[:8])
        second.handler.flush()
        assert "only in b" in second.log_file.read_text(encoding="utf-8")
    finally:
        second.close()
        first.close()
