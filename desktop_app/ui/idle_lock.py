"""Lock the vault when nobody is using the application.

A laptop left open in a staff room, or a shared school desktop someone walked away from,
must not keep showing a child's record. :class:`IdleLockWatcher` watches every input
event the application receives and asks for a lock (``lock_requested("idle")``) once
nothing has been typed, clicked, scrolled or touched for the timeout (5 minutes by
default; organisation policy can shorten it). Optionally it also asks for a lock as soon
as a watched window is minimised (``lock_requested("minimised")``).

The watcher only *asks*: the main window owns the vault and does the locking, so a lock
request arriving while already locked is harmless.

Design notes, each with its reason:

* Only *spontaneous* input counts (events that came from the window system). Events the
  application synthesises itself (hover, shortcut overrides, animations, a test harness
  posting fake input) must never hold the vault open.
* Input does not restart a timer on every mouse move. It only records "last activity";
  the single-shot timer, when it fires, works out how long the user has really been away
  and re-arms itself for the remainder. A 1000 Hz mouse therefore costs one clock read
  per event rather than one timer restart.
* Idle time is measured on a clock that keeps counting while the machine sleeps
  (``CLOCK_BOOTTIME`` on Linux, ``CLOCK_MONOTONIC`` on macOS, ``GetTickCount64`` on
  Windows). Qt's own timers stop during suspend, so a laptop closed with two minutes
  left would otherwise show the record for two more minutes after waking. The timer
  never sleeps longer than :data:`MAX_CHECK_INTERVAL_MS`, so after a long suspend the
  lock request arrives within a few seconds of waking (the session monitor normally
  locks *before* the suspend; this is the second line of defence).
* :meth:`IdleLockWatcher.pause` exists because some long operations (a key derivation,
  an export) legitimately run with no input; pauses nest.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QWidget

IDLE = "idle"
MINIMISED = "minimised"

DEFAULT_TIMEOUT_MS = 5 * 60 * 1000
# The longest the timer sleeps before re-checking the (suspend-aware) idle clock.
MAX_CHECK_INTERVAL_MS = 5_000

# Input that shows a person is at the keyboard. Deliberately excludes hover, enter/leave,
# focus and paint events: those also happen with nobody there (a window appearing under a
# still cursor, a tooltip timer), and counting them would keep the vault open.
INPUT_EVENT_TYPES: frozenset[QEvent.Type] = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.KeyRelease,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseButtonRelease,
        QEvent.Type.MouseButtonDblClick,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
        QEvent.Type.TouchUpdate,
        QEvent.Type.TouchEnd,
        QEvent.Type.TabletPress,
        QEvent.Type.TabletMove,
        QEvent.Type.TabletRelease,
        QEvent.Type.NativeGesture,
        QEvent.Type.InputMethod,
    }
)

Clock = Callable[[], float]


def suspend_aware_clock() -> Clock:
    """Return a monotonic clock in seconds that keeps running while the machine sleeps.

    Why not ``time.monotonic``: on Linux it stops during suspend, and idle time must
    include the hours a closed laptop spent asleep.
    """
    if sys.platform.startswith("linux") and hasattr(time, "CLOCK_BOOTTIME"):
        boottime = time.CLOCK_BOOTTIME
        return lambda: time.clock_gettime(boottime)
    if sys.platform == "darwin":
        # On macOS CLOCK_MONOTONIC (unlike mach_absolute_time) includes sleep.
        return lambda: time.clock_gettime(time.CLOCK_MONOTONIC)
    if sys.platform == "win32":
        import ctypes

        # Documented to include time spent in sleep and hibernation.
        tick = ctypes.windll.kernel32.GetTickCount64
        tick.restype = ctypes.c_uint64
        tick.argtypes = []
        return lambda: tick() / 1000.0
    return time.monotonic


class IdleLockWatcher(QObject):
    """Emit ``lock_requested(reason)`` after a period without user input.

    Typical wiring (by the main window)::

        watcher = IdleLockWatcher(timeout_ms=policy.idle_lock_minutes * 60_000, parent=self)
        watcher.watch_window(self)
        watcher.set_lock_on_minimise(policy.lock_on_minimise)
        watcher.lock_requested.connect(self.lock)
        # on unlock: watcher.start()      on lock: watcher.stop()

    The request is emitted once per idle period; input after it re-arms the watcher.
    """

    lock_requested = Signal(str)

    def __init__(
        self,
        timeout_ms: int = DEFAULT_TIMEOUT_MS,
        parent: QObject | None = None,
        *,
        lock_on_minimise: bool = False,
        clock: Clock | None = None,
        app: QCoreApplication | None = None,
    ) -> None:
        super().__init__(parent)
        self._timeout_ms = _checked_timeout(timeout_ms)
        self._lock_on_minimise = lock_on_minimise
        self._clock: Clock = clock or suspend_aware_clock()
        self._app = app
        self._running = False
        self._filter_installed = False
        self._pause_depth = 0
        self._expired = False
        self._last_activity = self._clock()
        self._watched: list[QWidget] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_timer)

    # -- configuration -----------------------------------------------------------------

    def timeout_ms(self) -> int:
        return self._timeout_ms

    def set_timeout_ms(self, timeout_ms: int) -> None:
        """Change the timeout. Time already spent idle counts against the new value, so a
        policy that shortens the timeout takes effect at once rather than after the next
        key press."""
        self._timeout_ms = _checked_timeout(timeout_ms)
        if self._running and not self._expired:
            self._schedule()

    def lock_on_minimise(self) -> bool:
        return self._lock_on_minimise

    def set_lock_on_minimise(self, enabled: bool) -> None:
        self._lock_on_minimise = bool(enabled)

    def watch_window(self, window: QWidget) -> None:
        """Treat ``window`` being minimised as a reason to lock (when enabled)."""
        if any(existing is window for existing in self._watched):
            return
        self._prune_deleted_windows()
        self._watched.append(window)

    def unwatch_window(self, window: QWidget) -> None:
        self._watched = [existing for existing in self._watched if existing is not window]

    def watched_windows(self) -> tuple[QWidget, ...]:
        self._prune_deleted_windows()
        return tuple(self._watched)

    # -- life cycle --------------------------------------------------------------------

    def is_running(self) -> bool:
        return self._running

    def is_paused(self) -> bool:
        return self._pause_depth > 0

    def start(self) -> None:
        """Start watching (call on unlock). Restarts the idle period; idempotent."""
        app = self._application()
        if not self._filter_installed:
            app.installEventFilter(self)
            self._filter_installed = True
        self._running = True
        self._expired = False
        self._pause_depth = 0
        self._last_activity = self._clock()
        self._schedule()

    def stop(self) -> None:
        """Stop watching (call on lock and on quit): no request is emitted afterwards."""
        self._running = False
        self._timer.stop()
        self._pause_depth = 0
        if self._filter_installed:
            self._application().removeEventFilter(self)
            self._filter_installed = False

    def pause(self) -> None:
        """Suspend the idle countdown, e.g. while a long key derivation runs with no
        input. Pauses nest: the countdown resumes after as many :meth:`resume` calls.
        Minimising still locks while paused.

        Pause only for work the user started and is waiting for. Do not tie this to a
        generic "background busy" signal: a periodic job would then keep restarting the
        idle period and the vault would never lock."""
        self._pause_depth += 1
        self._timer.stop()

    def resume(self) -> None:
        """Undo one :meth:`pause`. The idle period restarts in full, because the time
        spent waiting for the operation was not the user walking away."""
        if self._pause_depth == 0:
            return
        self._pause_depth -= 1
        if self._pause_depth == 0 and self._running:
            self._expired = False
            self._last_activity = self._clock()
            self._schedule()

    def idle_ms(self) -> int:
        """Milliseconds since the last counted input (or since start/resume)."""
        return max(0, int((self._clock() - self._last_activity) * 1000))

    def remaining_ms(self) -> int | None:
        """Milliseconds until a lock request, or ``None`` when not counting down (stopped,
        paused or already expired). Useful for a status-bar countdown and for tests."""
        if not self._running or self._pause_depth or self._expired:
            return None
        return max(0, self._timeout_ms - self.idle_ms())

    # -- event handling ----------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        """Observe, never consume: always returns False so input reaches its widget."""
        event_type = event.type()
        if event_type in INPUT_EVENT_TYPES:
            if event.spontaneous():
                self._note_activity()
        elif event_type == QEvent.Type.WindowStateChange:
            self._check_minimised(watched, event)
        return False

    def _note_activity(self) -> None:
        self._last_activity = self._clock()
        if self._running and self._expired and not self._pause_depth:
            # The request was already sent (perhaps ignored); start a new idle period.
            self._expired = False
            self._schedule()

    def _check_minimised(self, watched: QObject, event: QEvent) -> None:
        if not (self._running and self._lock_on_minimise):
            return
        if not isinstance(watched, QWidget) or not any(window is watched for window in self._watched):
            return
        minimised = Qt.WindowState.WindowMinimized
        if not watched.windowState() & minimised:
            return
        old_state = getattr(event, "oldState", None)
        if callable(old_state) and old_state() & minimised:
            return  # already minimised: some other state bit changed
        self.lock_requested.emit(MINIMISED)

    def _on_timer(self) -> None:
        if not self._running or self._pause_depth or self._expired:
            return
        if self.idle_ms() >= self._timeout_ms:
            self._expired = True
            self.lock_requested.emit(IDLE)
        else:
            self._schedule()

    def _schedule(self) -> None:
        if self._pause_depth:
            return
        remaining = max(0, self._timeout_ms - self.idle_ms())
        self._timer.start(min(remaining, MAX_CHECK_INTERVAL_MS))

    def _prune_deleted_windows(self) -> None:
        # Comparing by identity in eventFilter is safe even for a deleted window, so
        # deleted ones are only pruned here, to keep the list from growing.
        self._watched = [window for window in self._watched if shiboken6.isValid(window)]

    def _application(self) -> QCoreApplication:
        app = self._app or QCoreApplication.instance()
        if app is None:
            raise RuntimeError("IdleLockWatcher needs a QApplication")
        return app


def _checked_timeout(timeout_ms: int) -> int:
    """A zero or negative timeout would lock continuously (or, if ignored, never): refuse
    it here, because the policy layer is where out-of-range values are handled."""
    value = int(timeout_ms)
    if value <= 0:
        raise ValueError("the idle timeout must be a positive number of milliseconds")
    return value
