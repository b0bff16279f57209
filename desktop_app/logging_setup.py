"""Diagnostic logging that cannot leak a child's details to disk.

The vault is encrypted; a log file is not. The project rule is: **log events and ids,
never record text, names or passphrases.** Code review alone does not hold that line
(one ``log.info("saved %s", note.title)`` is enough), so this module enforces it where
records reach the disk:

* :class:`PersonalDataFilter` lets a record's arguments through only when each one is
  plainly not personal: a number, a bool, ``None``, an enum member, or a short string
  shaped like an identifier (``note-123``, a UUID, ``session-lock``, ``WTS_SESSION_LOCK``).
  Anything else is replaced by ``[withheld]``. Exceptions attached to a record are
  rendered as their type and frames (file, line, function) only: exception *messages*
  routinely contain the data that caused them, and locals are never included.
* The crash hooks (``sys.excepthook``, ``threading.excepthook``,
  ``sys.unraisablehook``) log an unhandled exception the same way and print only a
  one-line notice without the message; the default hooks would print the full message
  to stderr, which desktop sessions often keep in a file (``~/.xsession-errors``,
  journald).
* ``faulthandler`` writes hard crashes (segfaults in Qt or SQLCipher) to a separate file
  next to the log. Its output is frames only. It gets its own file because rotating
  the main log would leave faulthandler writing to a closed or renamed descriptor.
* Files are created with mode 0600 inside a 0700 folder on POSIX; on Windows the per-user
  ``%LOCALAPPDATA%`` folder already restricts access to the user.

What the filter cannot see: text baked into the message template itself, as in
``log.info(f"saved {title}")``. Templates must be constant strings with ``%s``
placeholders; ruff's ``G`` rules (flake8-logging-format, G002-G004) catch the f-string
and ``.format`` forms and are recommended for the lint configuration. A lowercase
single-word string (``"smith"``) is indistinguishable from an enum-like word and does
pass; pass record *ids*, never field values.

This module deliberately does not import Qt, so the command-line tools can use it.
"""

from __future__ import annotations

import enum
import faulthandler
import io
import logging
import logging.handlers
import os
import re
import sys
import threading
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any, cast

import platformdirs

LOG_APP_NAME = "CaseNotes"
LOG_APP_AUTHOR = "SafeguardingCaseNotes"
LOG_FILE_NAME = "casenotes.log"
FAULT_FILE_NAME = "casenotes-faults.log"
DEFAULT_MAX_BYTES = 1_000_000
DEFAULT_BACKUP_COUNT = 3
# faulthandler's file is appended to for the whole run; start afresh past this size.
MAX_FAULT_FILE_BYTES = 1_000_000

WITHHELD = "[withheld]"
MAX_SAFE_STRING = 40
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
# Lowercase words joined by - or _ ("note-123", "session-lock", "wal"), or UPPER_SNAKE
# constants ("WTS_SESSION_LOCK"). Capitalised and mixed-case words are refused because
# that is how names are written; digits-only strings are refused because that is how
# phone and NHS numbers are written (ids carry a prefix).
_ENUM_LIKE = re.compile(r"[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*")

# Version numbers ("0.1.0", "6.12.0"): dotted digits cannot be a name or free text.
_VERSION = re.compile(r"\d+(?:\.\d+){1,3}")

_MARK = "_casenotes_sanitised"


def default_log_dir() -> Path:
    """The per-user log folder (local, not roaming, on Windows)."""
    return Path(platformdirs.user_log_dir(LOG_APP_NAME, LOG_APP_AUTHOR))


# -- what may be logged ----------------------------------------------------------------


def is_safe_string(text: str) -> bool:
    """True for identifier-shaped strings that cannot be free text or a name."""
    if len(text) > MAX_SAFE_STRING:  # a UUID is 36
        return False
    return bool(_UUID.fullmatch(text) or _ENUM_LIKE.fullmatch(text) or _VERSION.fullmatch(text))


def is_safe_arg(value: object) -> bool:
    """May ``value`` be written to the log as a message argument?"""
    if value is None or isinstance(value, bool | int | float):
        # Enum members of int/str subclasses are caught here or below; both are fine.
        return True
    if isinstance(value, enum.Enum):
        # Members are defined in code, not typed by users; their str() is what logs.
        return is_safe_string(value.name)
    if isinstance(value, str):
        return is_safe_string(value)
    return False


def sanitise_args(args: Any) -> tuple[Any, bool]:
    """``record.args`` with every unsafe value replaced; and whether any was replaced."""
    if isinstance(args, Mapping):
        mapping = {key: (v if is_safe_arg(v) else WITHHELD) for key, v in args.items()}
        return mapping, any(mapping[key] is WITHHELD for key in mapping)
    if isinstance(args, tuple):
        values = tuple(v if is_safe_arg(v) else WITHHELD for v in args)
        return values, any(v is WITHHELD for v in values)
    return args, False


def describe_exception(
    exc_type: type[BaseException] | None,
    exc: BaseException | None,
    tb: TracebackType | None,
) -> str:
    """An exception as type names and frames (file, line, function): no message, no
    locals, no source lines. Chained causes are included the same way, because "what
    failed underneath" is often what a support engineer needs."""
    if exc_type is None:
        return "Traceback: (none)"
    lines: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    current_type: type[BaseException] | None = exc_type
    current_tb = tb
    while current_type is not None:
        lines.append(f"{_type_name(current_type)} (message withheld)")
        for frame in traceback.extract_tb(current_tb):
            lines.append(f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}')
        if current is None:
            break
        seen.add(id(current))
        following = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
        if following is None or id(following) in seen:
            break
        lines.append("Caused by / while handling:")
        current, current_type, current_tb = following, type(following), following.__traceback__
    return "\n".join(lines)


def _type_name(exc_type: type[BaseException]) -> str:
    module = exc_type.__module__
    name = exc_type.__qualname__
    return name if module in ("builtins", "__main__") else f"{module}.{name}"


class PersonalDataFilter(logging.Filter):
    """Rewrites each record so nothing personal can reach a handler's output.

    Attach it to *handlers* (not loggers): a logger's filters do not see records that
    propagate up from child loggers, a handler's filters see everything it writes. It
    never drops a record, because "something happened" is still worth knowing."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, _MARK, False):
            return True
        try:
            self._sanitise(record)
        except Exception:  # noqa: BLE001 - a logging call must never raise; withhold all
            record.msg, record.args = WITHHELD, ()
            record.exc_info, record.exc_text = None, None
        setattr(record, _MARK, True)
        return True

    @staticmethod
    def _sanitise(record: logging.LogRecord) -> None:
        if not isinstance(record.msg, str):
            # log.info(obj) would format str(obj): arbitrary text.
            record.msg, record.args = WITHHELD, ()
        elif record.args:
            args, _ = sanitise_args(record.args)
            try:
                message = record.msg % args
            except (TypeError, ValueError, KeyError):
                # e.g. "%d" with a withheld value: keep the template, drop the values.
                message = f"{record.msg} {WITHHELD}"
            record.msg, record.args = message, ()
        if record.exc_info:
            exc_type, exc, tb = record.exc_info
            record.exc_text = describe_exception(exc_type, exc, tb)
            record.exc_info = None
        elif record.exc_text:
            # Pre-formatted elsewhere: could hold anything.
            record.exc_text = f"(exception details {WITHHELD})"


def _sanitising_factory(previous: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    """Wrap a LogRecord factory so every record is sanitised as it is created, before any
    handler (including ones added later, or by a library) can write it anywhere."""
    record_filter = PersonalDataFilter()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record_filter.filter(record)
        return record

    factory.__wrapped__ = previous  # type: ignore[attr-defined]
    return factory


# -- files -----------------------------------------------------------------------------


def _open_private(path: Path, mode: str, encoding: str | None, errors: str | None) -> io.TextIOWrapper:
    """Open for appending (``mode`` "w" empties the file first), creating it 0600 and
    fixing an existing file's mode. ``open()`` would create it 0644 under the usual umask."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_CLOEXEC", 0)
    if "w" in mode:
        flags |= os.O_TRUNC
    if sys.platform != "win32":
        flags |= getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, 0o600)
    try:
        if sys.platform != "win32":
            os.fchmod(fd, 0o600)
        return open(fd, "a", encoding=encoding, errors=errors)
    except BaseException:
        os.close(fd)
        raise


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A RotatingFileHandler whose files are created owner-only (0600)."""

    def _open(self) -> io.TextIOWrapper:
        return _open_private(Path(self.baseFilename), self.mode, self.encoding, self.errors)


def _private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    if os.name == "posix":
        try:
            os.chmod(path, 0o700)
        except OSError:
            pass  # not ours to change (e.g. a shared folder given explicitly); files stay 0600
    return path


@dataclass
class LoggingSetup:
    """What :func:`configure_logging` installed; :meth:`close` undoes it (tests, and a
    clean shutdown)."""

    log_dir: Path
    log_file: Path
    fault_file: Path | None
    handler: logging.Handler
    root: logging.Logger
    previous_factory: Callable[..., logging.LogRecord]
    fault_stream: IO[str] | None = None

    def close(self) -> None:
        logging.setLogRecordFactory(self.previous_factory)
        self.root.removeHandler(self.handler)
        self.handler.close()
        if self.fault_stream is not None:
            if faulthandler.is_enabled():
                faulthandler.disable()
            self.fault_stream.close()
            self.fault_stream = None
        global _current
        if _current is self:
            _current = None


_current: LoggingSetup | None = None


def configure_logging(
    log_dir: Path | None = None,
    *,
    level: int = logging.INFO,
    max_bytes: int = DEFAULT_MAX_BYTES,
    backup_count: int = DEFAULT_BACKUP_COUNT,
    enable_faulthandler: bool = True,
) -> LoggingSetup:
    """Send the root logger to a rotating, owner-only file in the per-user log folder.

    Every record is passed through :class:`PersonalDataFilter` as it is created (a
    LogRecord factory), so no handler, whoever added it, sees unsanitised arguments or
    exception messages; the file handler carries the filter as well. Calling this again
    replaces the earlier set-up."""
    global _current
    if _current is not None:
        _current.close()
    folder = _private_dir(Path(log_dir) if log_dir is not None else default_log_dir())
    log_file = folder / LOG_FILE_NAME
    handler = PrivateRotatingFileHandler(log_file, maxBytes=max_bytes, backupCount=backup_count, encoding="utf-8")
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.addFilter(PersonalDataFilter())
    root = logging.getLogger()
    previous_factory = logging.getLogRecordFactory()
    logging.setLogRecordFactory(_sanitising_factory(previous_factory))
    root.addHandler(handler)
    root.setLevel(level)
    setup = LoggingSetup(folder, log_file, None, handler, root, previous_factory)
    if enable_faulthandler:
        fault_file = folder / FAULT_FILE_NAME
        too_big = fault_file.exists() and fault_file.stat().st_size > MAX_FAULT_FILE_BYTES
        stream = _open_private(fault_file, "w" if too_big else "a", "utf-8", "backslashreplace")
        faulthandler.enable(file=stream, all_threads=True)
        setup.fault_file, setup.fault_stream = fault_file, stream
    _current = setup
    return setup


# -- crash hooks -----------------------------------------------------------------------

CrashCallback = Callable[[str], None]
ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def install_crash_hooks(
    logger: logging.Logger | None = None,
    on_crash: CrashCallback | None = None,
    *,
    stderr: IO[str] | None = None,
) -> Callable[[], None]:
    """Replace the interpreter's last-resort exception printers; returns a function that
    puts the previous hooks back (tests, embedding).

    Unhandled exceptions (including those raised in Qt slots, which PySide6 hands to
    ``sys.excepthook``) are logged as type and frames, and a single line without the
    message is printed to stderr. ``on_crash(type_name)`` lets the UI show a generic
    "something went wrong" message; it must not display the exception text either."""
    target = logger or logging.getLogger("desktop_app.crash")

    def notify(exc_type: type[BaseException]) -> None:
        stream = stderr if stderr is not None else sys.stderr
        if stream is not None:
            try:
                stream.write(
                    f"Safeguarding Case Notes: unexpected {_type_name(exc_type)}; "
                    "details (without personal data) are in the log folder.\n"
                )
            except (OSError, ValueError):
                pass  # no usable stderr (windowed build): the log has it
        if on_crash is not None:
            try:
                on_crash(_type_name(exc_type))
            except Exception:  # noqa: BLE001 - a failing callback must not hide the crash
                target.error("crash callback failed", exc_info=True)

    def excepthook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        target.critical("unhandled exception", exc_info=(exc_type, exc, tb))
        notify(exc_type)

    def thread_excepthook(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return  # what the default hook does too
        exc_info = cast(ExcInfo, (args.exc_type, args.exc_value, args.exc_traceback))
        target.critical("unhandled exception in a thread", exc_info=exc_info)
        notify(args.exc_type)

    def unraisablehook(unraisable: Any) -> None:
        # e.g. an exception in __del__ or a finaliser: logged, never printed.
        target.error(
            "unraisable exception",
            exc_info=(unraisable.exc_type, unraisable.exc_value, unraisable.exc_traceback),
        )

    previous = (sys.excepthook, threading.excepthook, sys.unraisablehook)
    sys.excepthook = excepthook
    threading.excepthook = thread_excepthook
    sys.unraisablehook = unraisablehook

    def restore() -> None:
        sys.excepthook, threading.excepthook, sys.unraisablehook = previous

    return restore
