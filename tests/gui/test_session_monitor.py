"""SessionMonitor: the pure signal parsers, graceful start without a bus, and the real
QtDBus wiring against a private dbus-daemon (skipped where dbus-daemon is missing)."""

from __future__ import annotations

import ctypes
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from ctypes import wintypes

import pytest
from PySide6.QtCore import QByteArray
from pytestqt.qtbot import QtBot

from desktop_app.ui import session_monitor as sm
from desktop_app.ui.session_monitor import (
    LOGIN1_MANAGER,
    LOGIN1_PATH,
    LOGIN1_SERVICE,
    LOGIN1_SESSION,
    SessionMonitor,
    logind_session_ids,
    object_path_text,
    reason_for_macos_session,
    reason_for_prepare_for_sleep,
    reason_for_screensaver_active,
    reason_for_session_lock_signal,
    reason_for_session_properties,
    reason_for_windows_message,
)

QtDBus = pytest.importorskip("PySide6.QtDBus")

# -- pure parsers ----------------------------------------------------------------------


def test_prepare_for_sleep_locks_before_sleeping_only() -> None:
    assert reason_for_prepare_for_sleep(True) == sm.SUSPEND
    assert reason_for_prepare_for_sleep(False) is None
    assert reason_for_prepare_for_sleep(1) is None  # only a real D-Bus boolean counts


def test_session_lock_signal_always_locks() -> None:
    assert reason_for_session_lock_signal() == sm.SESSION_LOCK


@pytest.mark.parametrize(
    ("interface", "changed", "expected"),
    [
        (LOGIN1_SESSION, {"LockedHint": True}, sm.SESSION_LOCK),
        (LOGIN1_SESSION, {"LockedHint": False}, None),
        (LOGIN1_SESSION, {"Active": False}, sm.USER_SWITCH),
        (LOGIN1_SESSION, {"Active": True}, None),
        (LOGIN1_SESSION, {"Active": False, "LockedHint": True}, sm.SESSION_LOCK),
        (LOGIN1_SESSION, {"IdleHint": True}, None),
        (LOGIN1_SESSION, {}, None),
        ("org.freedesktop.login1.User", {"LockedHint": True}, None),
    ],
)
def test_session_properties(interface: str, changed: dict[str, object], expected: str | None) -> None:
    assert reason_for_session_properties(interface, changed) == expected


def test_screensaver_active_changed() -> None:
    assert reason_for_screensaver_active(True) == sm.SCREENSAVER
    assert reason_for_screensaver_active(False) is None


@pytest.mark.parametrize(
    ("message", "wparam", "expected"),
    [
        (sm.WM_WTSSESSION_CHANGE, sm.WTS_SESSION_LOCK, sm.SESSION_LOCK),
        (sm.WM_WTSSESSION_CHANGE, sm.WTS_CONSOLE_DISCONNECT, sm.USER_SWITCH),
        (sm.WM_WTSSESSION_CHANGE, sm.WTS_REMOTE_DISCONNECT, sm.REMOTE_DISCONNECT),
        (sm.WM_WTSSESSION_CHANGE, sm.WTS_SESSION_LOGOFF, sm.LOGOFF),
        (sm.WM_WTSSESSION_CHANGE, sm.WTS_SESSION_UNLOCK, None),
        (sm.WM_WTSSESSION_CHANGE, sm.WTS_CONSOLE_CONNECT, None),
        (sm.WM_WTSSESSION_CHANGE, sm.WTS_REMOTE_CONNECT, None),
        (sm.WM_WTSSESSION_CHANGE, sm.WTS_SESSION_LOGON, None),
        (sm.WM_POWERBROADCAST, sm.PBT_APMSUSPEND, sm.SUSPEND),
        (sm.WM_POWERBROADCAST, sm.PBT_APMRESUMESUSPEND, sm.RESUME),
        (sm.WM_POWERBROADCAST, sm.PBT_APMRESUMEAUTOMATIC, sm.RESUME),
        (sm.WM_POWERBROADCAST, 0xA, None),  # PBT_APMPOWERSTATUSCHANGE
        (0x0010, sm.WTS_SESSION_LOCK, None),  # WM_CLOSE with a coincidental wParam
    ],
)
def test_windows_messages(message: int, wparam: int, expected: str | None) -> None:
    assert reason_for_windows_message(message, wparam) == expected


def test_windows_constants_match_the_sdk() -> None:
    assert (sm.WM_WTSSESSION_CHANGE, sm.WM_POWERBROADCAST) == (0x02B1, 0x0218)
    assert (sm.WTS_CONSOLE_DISCONNECT, sm.WTS_REMOTE_DISCONNECT, sm.WTS_SESSION_LOCK) == (2, 4, 7)
    assert sm.PBT_APMSUSPEND == 4


@pytest.mark.parametrize(
    ("info", "expected"),
    [
        (None, None),
        ({}, None),
        ({sm.MACOS_SCREEN_LOCKED_KEY: True}, sm.SESSION_LOCK),
        ({sm.MACOS_SCREEN_LOCKED_KEY: False, sm.MACOS_ON_CONSOLE_KEY: True}, None),
        ({sm.MACOS_ON_CONSOLE_KEY: False}, sm.USER_SWITCH),
        ({sm.MACOS_SCREEN_LOCKED_KEY: True, sm.MACOS_ON_CONSOLE_KEY: False}, sm.SESSION_LOCK),
    ],
)
def test_macos_session_dictionary(info: dict[str, object] | None, expected: str | None) -> None:
    assert reason_for_macos_session(info) == expected


def test_object_path_text() -> None:
    assert object_path_text(QtDBus.QDBusObjectPath("/org/freedesktop/login1/session/_32")) == (
        "/org/freedesktop/login1/session/_32"
    )
    assert object_path_text("/x") == "/x"
    assert object_path_text("not a path") is None
    assert object_path_text(None) is None


def test_logind_session_ids_prefer_the_processes_own_session() -> None:
    assert logind_session_ids({"XDG_SESSION_ID": "c2"}) == ("c2", "auto")
    assert logind_session_ids({}) == ("auto",)
    assert logind_session_ids({"XDG_SESSION_ID": "  "}) == ("auto",)


# -- Windows native filter, fed a real MSG structure -----------------------------------


def test_windows_filter_reads_msg_and_queues_the_request(qtbot: QtBot) -> None:
    reasons: list[str | None] = []
    native_filter = sm._WindowsMessageFilter(reasons.append)
    msg = wintypes.MSG()
    msg.message, msg.wParam = sm.WM_WTSSESSION_CHANGE, sm.WTS_SESSION_LOCK
    result = native_filter.nativeEventFilter(QByteArray(b"windows_generic_MSG"), ctypes.addressof(msg))
    assert result == (False, 0)  # never consumes the message
    assert reasons == []  # queued, not run inside the window procedure
    qtbot.waitUntil(lambda: reasons == [sm.SESSION_LOCK], timeout=1000)

    msg.message, msg.wParam = sm.WM_POWERBROADCAST, 0xA
    native_filter.nativeEventFilter(QByteArray(b"windows_generic_MSG"), ctypes.addressof(msg))
    native_filter.nativeEventFilter(QByteArray(b"xcb_generic_event_t"), 0)
    qtbot.wait(50)
    assert reasons == [sm.SESSION_LOCK]


# -- start() without a bus -------------------------------------------------------------


def unconnected_bus(name: str) -> object:
    bus = QtDBus.QDBusConnection.connectToBus(f"unix:path=/nonexistent/{name}", name)
    assert not bus.isConnected()
    return bus


def test_start_with_no_bus_reports_no_sources(qapp: object) -> None:
    name = f"casenotes-nobus-{uuid.uuid4().hex}"
    monitor = SessionMonitor(
        platform="linux", system_bus=unconnected_bus(name), session_bus=unconnected_bus(name + "s")
    )
    try:
        assert monitor.start() == ()
        assert monitor.sources() == ()
    finally:
        monitor.stop()
        QtDBus.QDBusConnection.disconnectFromBus(name)
        QtDBus.QDBusConnection.disconnectFromBus(name + "s")


def test_start_with_the_default_buses_never_raises(qapp: object) -> None:
    """Whatever this machine offers (CI: nothing), start() returns known source names."""
    monitor = SessionMonitor()
    try:
        sources = monitor.start()
        assert isinstance(sources, tuple)
        known = {sm.SOURCE_LOGIND_SLEEP, sm.SOURCE_LOGIND_SESSION, sm.SOURCE_WTS_SESSION}
        known |= {sm.SOURCE_POWER_BROADCAST, sm.SOURCE_MACOS_CGSESSION}
        known |= {sm.screensaver_source(e.service) for e in sm.SCREENSAVER_ENDPOINTS}
        assert set(sources) <= known
        assert monitor.start() == sources  # idempotent
    finally:
        monitor.stop()
    assert monitor.sources() == ()


def test_unknown_platform_has_no_sources(qapp: object) -> None:
    monitor = SessionMonitor(platform="plan9")
    assert monitor.start() == ()
    monitor.stop()


def test_a_failing_source_is_logged_not_raised(
    qapp: object, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(self: SessionMonitor) -> list[str]:
        raise OSError("no such library")

    monkeypatch.setattr(SessionMonitor, "_start_logind", broken)
    monitor = SessionMonitor(platform="linux", session_bus=unconnected_bus(f"casenotes-x-{uuid.uuid4().hex}"))
    assert monitor.start() == ()
    assert "failed to start" in caplog.text
    monitor.stop()


def test_macos_source_degrades_when_frameworks_are_missing(qapp: object) -> None:
    monitor = SessionMonitor(platform="darwin")
    assert monitor.start() == ()  # no CoreGraphics here; on a Mac: ("macos-cgsession-poll",)
    monitor.stop()


# -- real QtDBus wiring against a private bus ------------------------------------------


@pytest.fixture
def private_bus() -> Iterator[str]:
    daemon = shutil.which("dbus-daemon")
    if daemon is None:
        pytest.skip("dbus-daemon is not installed")
    process = subprocess.Popen(
        [daemon, "--session", "--nofork", "--nopidfile", "--print-address=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        address = process.stdout.readline().strip()
        if not address:
            pytest.skip("dbus-daemon did not start")
        yield address
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


class FakeDesktop:
    """A second connection that owns logind's and GNOME's names and sends their
    signals, as the real services would."""

    SESSION_PATH = "/org/freedesktop/login1/session/_3"

    def __init__(self, address: str) -> None:
        self.name = f"casenotes-fake-{uuid.uuid4().hex}"
        self.bus = QtDBus.QDBusConnection.connectToBus(address, self.name)
        assert self.bus.isConnected()
        assert self.bus.registerService(LOGIN1_SERVICE)
        assert self.bus.registerService("org.gnome.ScreenSaver")

    def signal(self, path: str, interface: str, name: str, *args: object) -> None:
        message = QtDBus.QDBusMessage.createSignal(path, interface, name)
        if args:
            message.setArguments(list(args))
        assert self.bus.send(message)

    def close(self) -> None:
        QtDBus.QDBusConnection.disconnectFromBus(self.name)


@pytest.fixture
def desktop_and_monitor(private_bus: str, qapp: object) -> Iterator[tuple[FakeDesktop, SessionMonitor]]:
    desktop = FakeDesktop(private_bus)
    name = f"casenotes-app-{uuid.uuid4().hex}"
    bus = QtDBus.QDBusConnection.connectToBus(private_bus, name)
    monitor = SessionMonitor(
        platform="linux",
        system_bus=bus,
        session_bus=bus,
        session_path=FakeDesktop.SESSION_PATH,
    )
    try:
        yield desktop, monitor
    finally:
        monitor.stop()
        QtDBus.QDBusConnection.disconnectFromBus(name)
        desktop.close()


def test_sources_reported_on_a_bus_with_logind_and_gnome(
    desktop_and_monitor: tuple[FakeDesktop, SessionMonitor],
) -> None:
    _, monitor = desktop_and_monitor
    assert monitor.start() == (
        sm.SOURCE_LOGIND_SLEEP,
        sm.SOURCE_LOGIND_SESSION,
        sm.screensaver_source("org.gnome.ScreenSaver"),
    )


def test_prepare_for_sleep_over_dbus(qtbot: QtBot, desktop_and_monitor: tuple[FakeDesktop, SessionMonitor]) -> None:
    desktop, monitor = desktop_and_monitor
    monitor.start()
    reasons: list[str] = []
    monitor.lock_requested.connect(reasons.append)
    desktop.signal(LOGIN1_PATH, LOGIN1_MANAGER, "PrepareForSleep", False)  # waking: no lock
    desktop.signal(LOGIN1_PATH, LOGIN1_MANAGER, "PrepareForSleep", True)
    qtbot.waitUntil(lambda: reasons == [sm.SUSPEND], timeout=3000)


def test_session_lock_and_properties_over_dbus(
    qtbot: QtBot, desktop_and_monitor: tuple[FakeDesktop, SessionMonitor]
) -> None:
    desktop, monitor = desktop_and_monitor
    monitor.start()
    reasons: list[str] = []
    monitor.lock_requested.connect(reasons.append)
    desktop.signal(FakeDesktop.SESSION_PATH, LOGIN1_SESSION, "Lock")
    qtbot.waitUntil(lambda: reasons == [sm.SESSION_LOCK], timeout=3000)
    properties = "org.freedesktop.DBus.Properties"
    desktop.signal(
        FakeDesktop.SESSION_PATH, properties, "PropertiesChanged",
        LOGIN1_SESSION, {"LockedHint": True}, ["IdleSinceHint"],
    )  # fmt: skip
    qtbot.waitUntil(lambda: reasons == [sm.SESSION_LOCK] * 2, timeout=3000)
    desktop.signal(
        FakeDesktop.SESSION_PATH, properties, "PropertiesChanged",
        LOGIN1_SESSION, {"Active": False}, ["IdleSinceHint"],
    )  # fmt: skip
    qtbot.waitUntil(lambda: reasons[-1:] == [sm.USER_SWITCH], timeout=3000)


def test_another_sessions_lock_is_ignored(
    qtbot: QtBot, desktop_and_monitor: tuple[FakeDesktop, SessionMonitor]
) -> None:
    desktop, monitor = desktop_and_monitor
    monitor.start()
    reasons: list[str] = []
    monitor.lock_requested.connect(reasons.append)
    desktop.signal("/org/freedesktop/login1/session/_9", LOGIN1_SESSION, "Lock")
    desktop.signal(LOGIN1_PATH, LOGIN1_MANAGER, "PrepareForSleep", True)  # a marker
    qtbot.waitUntil(lambda: reasons != [], timeout=3000)
    assert reasons == [sm.SUSPEND]


def test_screensaver_over_dbus(qtbot: QtBot, desktop_and_monitor: tuple[FakeDesktop, SessionMonitor]) -> None:
    desktop, monitor = desktop_and_monitor
    monitor.start()
    reasons: list[str] = []
    monitor.lock_requested.connect(reasons.append)
    desktop.signal("/org/gnome/ScreenSaver", "org.gnome.ScreenSaver", "ActiveChanged", False)
    desktop.signal("/org/gnome/ScreenSaver", "org.gnome.ScreenSaver", "ActiveChanged", True)
    qtbot.waitUntil(lambda: reasons == [sm.SCREENSAVER], timeout=3000)


def test_signals_from_a_process_not_owning_the_name_are_ignored(
    qtbot: QtBot, private_bus: str, desktop_and_monitor: tuple[FakeDesktop, SessionMonitor]
) -> None:
    """Subscriptions name the service, so another program on the bus cannot pose as
    logind (here it could only cause a lock, but the match should still be exact)."""
    desktop, monitor = desktop_and_monitor
    monitor.start()
    reasons: list[str] = []
    monitor.lock_requested.connect(reasons.append)
    impostor = FakeDesktop.__new__(FakeDesktop)
    impostor.name = f"casenotes-impostor-{uuid.uuid4().hex}"
    impostor.bus = QtDBus.QDBusConnection.connectToBus(private_bus, impostor.name)
    try:
        impostor.signal(LOGIN1_PATH, LOGIN1_MANAGER, "PrepareForSleep", True)
        desktop.signal("/org/gnome/ScreenSaver", "org.gnome.ScreenSaver", "ActiveChanged", True)
        qtbot.waitUntil(lambda: reasons != [], timeout=3000)
        qtbot.wait(100)
        assert reasons == [sm.SCREENSAVER]
    finally:
        impostor.close()


def test_stop_unsubscribes(qtbot: QtBot, desktop_and_monitor: tuple[FakeDesktop, SessionMonitor]) -> None:
    desktop, monitor = desktop_and_monitor
    monitor.start()
    reasons: list[str] = []
    monitor.lock_requested.connect(reasons.append)
    monitor.stop()
    desktop.signal(LOGIN1_PATH, LOGIN1_MANAGER, "PrepareForSleep", True)
    desktop.signal(FakeDesktop.SESSION_PATH, LOGIN1_SESSION, "Lock")
    qtbot.wait(300)
    assert reasons == []


def test_no_logind_on_the_bus_means_no_logind_sources(private_bus: str, qapp: object) -> None:
    name = f"casenotes-bare-{uuid.uuid4().hex}"
    bus = QtDBus.QDBusConnection.connectToBus(private_bus, name)
    monitor = SessionMonitor(platform="linux", system_bus=bus, session_bus=bus, environ={})
    try:
        assert monitor.start() == ()
    finally:
        monitor.stop()
        QtDBus.QDBusConnection.disconnectFromBus(name)


def test_session_path_is_looked_up_when_not_given(
    private_bus: str, qapp: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a session object logind answers GetSession with an error; the monitor then
    keeps the sleep source and reports no session source, rather than failing."""
    desktop = FakeDesktop(private_bus)
    name = f"casenotes-lookup-{uuid.uuid4().hex}"
    bus = QtDBus.QDBusConnection.connectToBus(private_bus, name)
    asked: list[tuple[str, ...]] = []
    real_lookup = sm._logind_session_path

    def spy(bus_: object, ids: tuple[str, ...]) -> str | None:
        asked.append(ids)
        return real_lookup(bus_, ids)

    monkeypatch.setattr(sm, "_logind_session_path", spy)
    monitor = SessionMonitor(platform="linux", system_bus=bus, session_bus=bus, environ={"XDG_SESSION_ID": "4"})
    try:
        sources = monitor.start()
        assert asked == [("4", "auto")]
        assert sm.SOURCE_LOGIND_SLEEP in sources
        assert sm.SOURCE_LOGIND_SESSION not in sources
    finally:
        monitor.stop()
        QtDBus.QDBusConnection.disconnectFromBus(name)
        desktop.close()
