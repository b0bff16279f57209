"""IdleLockWatcher: idle time, input resets, minimise, pause, stop."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from desktop_app.ui.idle_lock import (
    IDLE,
    MAX_CHECK_INTERVAL_MS,
    MINIMISED,
    IdleLockWatcher,
    suspend_aware_clock,
)


class FakeClock:
    """Seconds that only move when told to: lets tests jump hours (a suspend) at once."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def window(qtbot: QtBot) -> QWidget:
    widget = QWidget()
    layout = QVBoxLayout(widget)
    widget.edit = QLineEdit()  # type: ignore[attr-defined]
    layout.addWidget(widget.edit)  # type: ignore[attr-defined]
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.fixture
def watchers() -> Iterator[list[IdleLockWatcher]]:
    """Stops every watcher a test made, so no app-wide event filter outlives it."""
    made: list[IdleLockWatcher] = []
    yield made
    for watcher in made:
        watcher.stop()


def make(watchers: list[IdleLockWatcher], *args: object, **kwargs: object) -> IdleLockWatcher:
    watcher = IdleLockWatcher(*args, **kwargs)  # type: ignore[arg-type]
    watchers.append(watcher)
    return watcher


def test_short_timeout_requests_an_idle_lock(qtbot: QtBot, watchers: list[IdleLockWatcher]) -> None:
    watcher = make(watchers, 200)
    watcher.start()
    with qtbot.waitSignal(watcher.lock_requested, timeout=3000) as blocker:
        pass
    assert blocker.args == [IDLE]
    assert watcher.remaining_ms() is None  # expired: no second request queued


def test_request_is_emitted_once_per_idle_period(qtbot: QtBot, watchers: list[IdleLockWatcher]) -> None:
    watcher = make(watchers, 100)
    reasons: list[str] = []
    watcher.lock_requested.connect(reasons.append)
    watcher.start()
    qtbot.waitUntil(lambda: reasons == [IDLE], timeout=3000)
    qtbot.wait(400)
    assert reasons == [IDLE]


def test_key_press_restarts_the_countdown(qtbot: QtBot, window: QWidget, watchers: list[IdleLockWatcher]) -> None:
    watcher = make(watchers, 10_000)
    watcher.start()
    qtbot.wait(300)
    before = watcher.remaining_ms()
    assert before is not None and before <= 9_800
    qtbot.keyClick(window.edit, Qt.Key.Key_A)  # type: ignore[attr-defined]
    after = watcher.remaining_ms()
    assert after is not None and after > before + 200
    assert watcher.idle_ms() < 200


def test_mouse_move_restarts_the_countdown(qtbot: QtBot, window: QWidget, watchers: list[IdleLockWatcher]) -> None:
    clock = FakeClock()
    watcher = make(watchers, 60_000, clock=clock)
    watcher.start()
    clock.advance(50)
    assert watcher.remaining_ms() == 10_000
    QTest.mouseMove(window, QPoint(10, 10))
    QTest.mouseMove(window, QPoint(20, 20))
    assert watcher.remaining_ms() == 60_000


def test_click_and_wheel_count_as_activity(qtbot: QtBot, window: QWidget, watchers: list[IdleLockWatcher]) -> None:
    clock = FakeClock()
    watcher = make(watchers, 60_000, clock=clock)
    watcher.start()
    clock.advance(30)
    qtbot.mouseClick(window.edit, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
    assert watcher.idle_ms() == 0
    clock.advance(30)
    QTest.keyClick(window.edit, Qt.Key.Key_Space)  # type: ignore[attr-defined]
    assert watcher.idle_ms() == 0


def test_synthetic_events_do_not_hold_the_vault_open(
    qtbot: QtBot, window: QWidget, watchers: list[IdleLockWatcher]
) -> None:
    """An event the application posts itself (not from the window system) is not a
    person at the keyboard."""
    clock = FakeClock()
    watcher = make(watchers, 60_000, clock=clock)
    watcher.start()
    clock.advance(30)
    fake = QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_A, Qt.KeyboardModifier.NoModifier, "a")
    QApplication.sendEvent(window.edit, fake)  # type: ignore[attr-defined]
    assert watcher.idle_ms() == 30_000


def test_input_keeps_a_short_timeout_from_firing(
    qtbot: QtBot, window: QWidget, watchers: list[IdleLockWatcher]
) -> None:
    watcher = make(watchers, 400)
    reasons: list[str] = []
    watcher.lock_requested.connect(reasons.append)
    watcher.start()
    for _ in range(6):  # 6 x 150 ms: well past 400 ms in total, never 400 ms idle
        qtbot.wait(150)
        qtbot.keyClick(window.edit, Qt.Key.Key_B)  # type: ignore[attr-defined]
    assert reasons == []
    qtbot.waitUntil(lambda: reasons == [IDLE], timeout=3000)


def test_input_after_expiry_starts_a_new_idle_period(
    qtbot: QtBot, window: QWidget, watchers: list[IdleLockWatcher]
) -> None:
    watcher = make(watchers, 150)
    reasons: list[str] = []
    watcher.lock_requested.connect(reasons.append)
    watcher.start()
    qtbot.waitUntil(lambda: reasons == [IDLE], timeout=3000)
    qtbot.keyClick(window.edit, Qt.Key.Key_C)  # type: ignore[attr-defined]
    assert watcher.remaining_ms() is not None
    qtbot.waitUntil(lambda: reasons == [IDLE, IDLE], timeout=3000)


def test_stop_prevents_the_request(qtbot: QtBot, watchers: list[IdleLockWatcher]) -> None:
    watcher = make(watchers, 150)
    reasons: list[str] = []
    watcher.lock_requested.connect(reasons.append)
    watcher.start()
    watcher.stop()
    qtbot.wait(500)
    assert reasons == []
    assert not watcher.is_running()
    assert watcher.remaining_ms() is None


def test_stop_removes_the_event_filter(qtbot: QtBot, window: QWidget, watchers: list[IdleLockWatcher]) -> None:
    clock = FakeClock()
    watcher = make(watchers, 60_000, clock=clock)
    watcher.start()
    watcher.stop()
    clock.advance(10)
    qtbot.keyClick(window.edit, Qt.Key.Key_D)  # type: ignore[attr-defined]
    assert watcher.idle_ms() == 10_000  # input no longer observed


def test_sleep_counts_as_idle_time(qtbot: QtBot, watchers: list[IdleLockWatcher]) -> None:
    """Qt timers stop while the machine sleeps; the idle clock must not. After a long
    suspend the next check (at most MAX_CHECK_INTERVAL_MS away) requests the lock."""
    clock = FakeClock()
    watcher = make(watchers, 5 * 60_000, clock=clock)
    reasons: list[str] = []
    watcher.lock_requested.connect(reasons.append)
    watcher.start()
    assert watcher._timer.interval() <= MAX_CHECK_INTERVAL_MS
    clock.advance(8 * 3600)  # a night with the lid closed
    watcher._on_timer()  # what the (at most 5 s) timer does on waking
    assert reasons == [IDLE]


def test_suspend_aware_clock_moves_forward() -> None:
    clock = suspend_aware_clock()
    first = clock()
    assert clock() >= first


def test_set_timeout_applies_to_time_already_idle(qtbot: QtBot, watchers: list[IdleLockWatcher]) -> None:
    clock = FakeClock()
    watcher = make(watchers, 10 * 60_000, clock=clock)
    watcher.start()
    clock.advance(120)
    watcher.set_timeout_ms(60_000)  # policy shortened to one minute
    assert watcher.timeout_ms() == 60_000
    assert watcher.remaining_ms() == 0
    with qtbot.waitSignal(watcher.lock_requested, timeout=2000):
        pass


@pytest.mark.parametrize("bad", [0, -1])
def test_non_positive_timeout_is_refused(bad: int) -> None:
    with pytest.raises(ValueError):
        IdleLockWatcher(bad)
    with pytest.raises(ValueError):
        IdleLockWatcher(1000).set_timeout_ms(bad)


def test_pause_holds_the_countdown_and_resume_restarts_it(qtbot: QtBot, watchers: list[IdleLockWatcher]) -> None:
    watcher = make(watchers, 150)
    reasons: list[str] = []
    watcher.lock_requested.connect(reasons.append)
    watcher.start()
    watcher.pause()
    watcher.pause()  # nested (e.g. a dialog inside a long operation)
    assert watcher.is_paused() and watcher.remaining_ms() is None
    qtbot.wait(400)
    assert reasons == []
    watcher.resume()
    qtbot.wait(300)
    assert reasons == []  # still one pause outstanding
    watcher.resume()
    remaining = watcher.remaining_ms()
    assert remaining is not None and remaining > 100  # full period again
    qtbot.waitUntil(lambda: reasons == [IDLE], timeout=3000)
    watcher.resume()  # unmatched resume is ignored
    assert not watcher.is_paused()


def test_minimising_a_watched_window_requests_a_lock_when_enabled(
    qtbot: QtBot, window: QWidget, watchers: list[IdleLockWatcher]
) -> None:
    watcher = make(watchers, 60_000, lock_on_minimise=True)
    watcher.watch_window(window)
    watcher.start()
    with qtbot.waitSignal(watcher.lock_requested, timeout=2000) as blocker:
        window.showMinimized()
    assert blocker.args == [MINIMISED]


def test_minimising_does_nothing_when_disabled(qtbot: QtBot, window: QWidget, watchers: list[IdleLockWatcher]) -> None:
    watcher = make(watchers, 60_000)
    assert not watcher.lock_on_minimise()
    reasons: list[str] = []
    watcher.lock_requested.connect(reasons.append)
    watcher.watch_window(window)
    watcher.start()
    window.showMinimized()
    qtbot.wait(100)
    assert reasons == []
    window.showNormal()
    watcher.set_lock_on_minimise(True)
    window.showMinimized()
    qtbot.waitUntil(lambda: reasons == [MINIMISED], timeout=2000)


def test_minimising_an_unwatched_window_or_while_stopped_does_nothing(
    qtbot: QtBot, window: QWidget, watchers: list[IdleLockWatcher]
) -> None:
    other = QWidget()
    qtbot.addWidget(other)
    other.show()
    watcher = make(watchers, 60_000, lock_on_minimise=True)
    reasons: list[str] = []
    watcher.lock_requested.connect(reasons.append)
    watcher.watch_window(window)
    watcher.start()
    other.showMinimized()
    qtbot.wait(50)
    assert reasons == []
    watcher.stop()
    window.showMinimized()
    qtbot.wait(50)
    assert reasons == []


def test_watch_window_is_idempotent_and_unwatch_works(
    qtbot: QtBot, window: QWidget, watchers: list[IdleLockWatcher]
) -> None:
    watcher = make(watchers, 60_000, lock_on_minimise=True)
    watcher.watch_window(window)
    watcher.watch_window(window)
    assert watcher.watched_windows() == (window,)
    watcher.unwatch_window(window)
    assert watcher.watched_windows() == ()


def test_deleted_watched_window_is_forgotten(qtbot: QtBot, watchers: list[IdleLockWatcher]) -> None:
    doomed = QWidget()
    watcher = make(watchers, 60_000, lock_on_minimise=True)
    watcher.watch_window(doomed)
    watcher.start()
    import shiboken6

    shiboken6.delete(doomed)
    assert watcher.watched_windows() == ()


def test_event_filter_never_consumes_input(qtbot: QtBot, window: QWidget, watchers: list[IdleLockWatcher]) -> None:
    watcher = make(watchers, 60_000)
    watcher.start()
    qtbot.keyClicks(window.edit, "abc")  # type: ignore[attr-defined]
    assert window.edit.text() == "abc"  # type: ignore[attr-defined]


def test_start_is_idempotent_and_stop_then_start_works(qtbot: QtBot, watchers: list[IdleLockWatcher]) -> None:
    watcher = make(watchers, 150)
    watcher.start()
    watcher.start()
    watcher.stop()
    watcher.stop()
    watcher.start()
    assert watcher.is_running()
    with qtbot.waitSignal(watcher.lock_requested, timeout=3000):
        pass
