"""Lock the vault when the operating system session is locked, suspended or switched.

Walking away from a school desktop usually means pressing Win+L or closing a laptop lid,
not waiting five minutes for the idle timer. :class:`SessionMonitor` listens for the
operating system's own notifications and emits ``lock_requested(reason)`` so the main
window can lock at once. Reasons are the constants below (``"session-lock"``,
``"suspend"``, ``"user-switch"``, ...). One event may be reported by more than one source
(GNOME sends both a screensaver and a logind notification), so locking must be
idempotent, which it is anyway.

What is listened to, per platform:

Linux (QtDBus ships in the PySide6-Essentials wheel; it loads ``libdbus-1`` at run time)
    * system bus, ``org.freedesktop.login1``: ``Manager.PrepareForSleep(true)`` (suspend
      or hibernate, delivered *before* the machine sleeps), and on this process's own
      session object the ``Lock`` signal plus ``PropertiesChanged`` for
      ``LockedHint = true`` (screen locked) and ``Active = false`` (user switch);
    * session bus: ``ActiveChanged(true)`` of the screensaver interfaces of
      freedesktop/KDE, GNOME, Cinnamon, MATE and Xfce.

Windows (ctypes, no extra packages)
    ``WTSRegisterSessionNotification`` on a hidden Qt window plus a
    ``QAbstractNativeEventFilter``: ``WM_WTSSESSION_CHANGE`` with ``WTS_SESSION_LOCK``,
    ``WTS_CONSOLE_DISCONNECT`` (fast user switching), ``WTS_REMOTE_DISCONNECT`` and
    ``WTS_SESSION_LOGOFF``; ``WM_POWERBROADCAST`` with ``PBT_APMSUSPEND`` and, in case the
    suspend message was missed (Modern Standby does not always send it), resume.

macOS
    The ``com.apple.screenIsLocked`` distributed notification needs an
    ``NSDistributedNotificationCenter`` observer, which PySide6 cannot create without
    pyobjc. Instead the monitor polls ``CGSessionCopyCurrentDictionary`` (CoreGraphics,
    through ctypes) every :data:`MACOS_POLL_INTERVAL_MS`: ``CGSSessionScreenIsLocked``
    means the screen is locked, ``kCGSSessionOnConsoleKey = false`` means another user
    has the console. Sleep normally locks the screen, which this then sees on wake,
    before anyone can unlock the Mac. There is no notification *before* sleep.

Everywhere, the idle watcher's suspend-aware clock is the second line of defence.

It must never crash, least of all where no D-Bus exists (CI, containers, minimal
desktops): every source is optional, and :meth:`SessionMonitor.start` returns the names
of the sources that are really active so the caller can log them (and tests can check).
The parsing of every notification is a small pure function so it can be tested without
a bus, a Windows machine or a Mac.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import SLOT, QAbstractNativeEventFilter, QCoreApplication, QObject, QTimer, Signal, Slot

log = logging.getLogger(__name__)

# Reasons emitted with lock_requested.
SESSION_LOCK = "session-lock"
SCREENSAVER = "screensaver"
SUSPEND = "suspend"
RESUME = "resume"
USER_SWITCH = "user-switch"
REMOTE_DISCONNECT = "remote-disconnect"
LOGOFF = "logoff"

# Source names returned by start().
SOURCE_LOGIND_SLEEP = "logind-sleep"
SOURCE_LOGIND_SESSION = "logind-session"
SOURCE_WTS_SESSION = "wts-session"
SOURCE_POWER_BROADCAST = "power-broadcast"
SOURCE_MACOS_CGSESSION = "macos-cgsession-poll"


def screensaver_source(service: str) -> str:
    return f"screensaver:{service}"


# -- D-Bus names -----------------------------------------------------------------------

LOGIN1_SERVICE = "org.freedesktop.login1"
LOGIN1_PATH = "/org/freedesktop/login1"
LOGIN1_MANAGER = "org.freedesktop.login1.Manager"
LOGIN1_SESSION = "org.freedesktop.login1.Session"
DBUS_PROPERTIES = "org.freedesktop.DBus.Properties"


@dataclass(frozen=True)
class ScreenSaverEndpoint:
    service: str
    path: str
    interface: str


SCREENSAVER_ENDPOINTS: tuple[ScreenSaverEndpoint, ...] = (
    ScreenSaverEndpoint("org.freedesktop.ScreenSaver", "/org/freedesktop/ScreenSaver", "org.freedesktop.ScreenSaver"),
    # KDE's kscreenlocker also emits on the short path.
    ScreenSaverEndpoint("org.freedesktop.ScreenSaver", "/ScreenSaver", "org.freedesktop.ScreenSaver"),
    ScreenSaverEndpoint("org.gnome.ScreenSaver", "/org/gnome/ScreenSaver", "org.gnome.ScreenSaver"),
    ScreenSaverEndpoint("org.cinnamon.ScreenSaver", "/org/cinnamon/ScreenSaver", "org.cinnamon.ScreenSaver"),
    ScreenSaverEndpoint("org.mate.ScreenSaver", "/org/mate/ScreenSaver", "org.mate.ScreenSaver"),
    ScreenSaverEndpoint("org.xfce.ScreenSaver", "/org/xfce/ScreenSaver", "org.xfce.ScreenSaver"),
)

# A slow or wedged bus must not hold up start-up for long.
DBUS_CALL_TIMEOUT_MS = 1000

# -- Windows constants (WinUser.h, WtsApi32.h) -----------------------------------------

WM_WTSSESSION_CHANGE = 0x02B1
WM_POWERBROADCAST = 0x0218
WTS_CONSOLE_CONNECT = 0x1
WTS_CONSOLE_DISCONNECT = 0x2
WTS_REMOTE_CONNECT = 0x3
WTS_REMOTE_DISCONNECT = 0x4
WTS_SESSION_LOGON = 0x5
WTS_SESSION_LOGOFF = 0x6
WTS_SESSION_LOCK = 0x7
WTS_SESSION_UNLOCK = 0x8
PBT_APMSUSPEND = 0x4
PBT_APMRESUMESUSPEND = 0x7
PBT_APMRESUMEAUTOMATIC = 0x12
NOTIFY_FOR_THIS_SESSION = 0

# -- macOS -----------------------------------------------------------------------------

MACOS_SCREEN_LOCKED_KEY = "CGSSessionScreenIsLocked"
MACOS_ON_CONSOLE_KEY = "kCGSSessionOnConsoleKey"
MACOS_POLL_INTERVAL_MS = 2000


# -- pure parsing ----------------------------------------------------------------------


def reason_for_prepare_for_sleep(starting: object) -> str | None:
    """logind ``PrepareForSleep(b)``: True just before sleeping, False after waking."""
    return SUSPEND if starting is True else None


def reason_for_session_lock_signal() -> str:
    """logind ``Session.Lock``: asked to lock (``loginctl lock-session``, some desktops on
    lid close). It carries no arguments, so any occurrence is a lock."""
    return SESSION_LOCK


def reason_for_session_properties(interface: str, changed: Mapping[str, Any]) -> str | None:
    """logind ``PropertiesChanged(s interface, a{sv} changed, as invalidated)`` on our
    session: ``LockedHint`` true means the screen locker is up, ``Active`` false means
    another session (fast user switching, a VT switch) took the seat."""
    if interface != LOGIN1_SESSION:
        return None
    if changed.get("LockedHint") is True:
        return SESSION_LOCK
    if changed.get("Active") is False:
        return USER_SWITCH
    return None


def reason_for_screensaver_active(active: object) -> str | None:
    """``ActiveChanged(b)`` of a screensaver interface: True when it starts (locked or
    about to lock). Deactivation needs no action."""
    return SCREENSAVER if active is True else None


_WTS_REASONS: dict[int, str] = {
    WTS_SESSION_LOCK: SESSION_LOCK,
    WTS_CONSOLE_DISCONNECT: USER_SWITCH,
    WTS_REMOTE_DISCONNECT: REMOTE_DISCONNECT,
    WTS_SESSION_LOGOFF: LOGOFF,
}
_POWER_REASONS: dict[int, str] = {
    PBT_APMSUSPEND: SUSPEND,
    PBT_APMRESUMESUSPEND: RESUME,
    PBT_APMRESUMEAUTOMATIC: RESUME,
}


def reason_for_windows_message(message: int, wparam: int) -> str | None:
    """A Windows window message (``MSG.message``, ``MSG.wParam``) that means "lock"."""
    if message == WM_WTSSESSION_CHANGE:
        return _WTS_REASONS.get(wparam)
    if message == WM_POWERBROADCAST:
        return _POWER_REASONS.get(wparam)
    return None


def reason_for_macos_session(info: Mapping[str, object] | None) -> str | None:
    """The interesting part of ``CGSessionCopyCurrentDictionary()``. ``None`` (no window
    server session) is not a reason to lock: it is what a headless run looks like."""
    if info is None:
        return None
    if info.get(MACOS_SCREEN_LOCKED_KEY) is True:
        return SESSION_LOCK
    if info.get(MACOS_ON_CONSOLE_KEY) is False:
        return USER_SWITCH
    return None


def object_path_text(value: object) -> str | None:
    """A D-Bus object path from a reply argument (QDBusObjectPath or plain str)."""
    path = value.path() if hasattr(value, "path") else value
    if isinstance(path, str) and path.startswith("/"):
        return path
    return None


def logind_session_ids(environ: Mapping[str, str]) -> tuple[str, ...]:
    """Which session ids to ask logind about, best first: the id the login manager gave
    this process, then logind's "auto" (the caller's session, or the user's display
    session when the process was started outside one, e.g. by a systemd user unit)."""
    ids = []
    own = environ.get("XDG_SESSION_ID", "").strip()
    if own:
        ids.append(own)
    ids.append("auto")
    return tuple(ids)


# -- the monitor -----------------------------------------------------------------------


class SessionMonitor(QObject):
    """Emit ``lock_requested(reason)`` when the operating system session is locked,
    suspended or switched away from.

    Wiring (main window)::

        monitor = SessionMonitor(parent=self)
        monitor.lock_requested.connect(self.lock)
        sources = monitor.start()      # once, at start-up; safe to call when locked
        log.info("session lock sources: %s", ",".join(sources) or "none")
        # at quit: monitor.stop()

    Tests and unusual set-ups may pass their own D-Bus connections (``system_bus``,
    ``session_bus``) and logind session object path (``session_path``).
    """

    lock_requested = Signal(str)

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        platform: str = sys.platform,
        system_bus: Any = None,
        session_bus: Any = None,
        session_path: str | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(parent)
        self._platform = platform
        self._system_bus = system_bus
        self._session_bus = session_bus
        self._session_path = session_path
        self._environ = environ if environ is not None else os.environ
        self._sources: tuple[str, ...] = ()
        self._stoppers: list[Callable[[], None]] = []
        self._started = False

    def sources(self) -> tuple[str, ...]:
        """The sources active since the last :meth:`start`."""
        return self._sources

    def start(self) -> tuple[str, ...]:
        """Subscribe to every notification this platform offers; return the names of the
        active sources (possibly none). Never raises: a missing bus, library or service
        only means fewer sources. Idempotent."""
        if self._started:
            return self._sources
        self._started = True
        sources: list[str] = []
        starters: list[Callable[[], list[str]]] = []
        if self._platform.startswith("linux") or "bsd" in self._platform:
            starters += [self._start_logind, self._start_screensavers]
        elif self._platform == "win32":
            starters.append(self._start_windows)
        elif self._platform == "darwin":
            starters.append(self._start_macos)
        for starter in starters:
            try:
                sources += starter()
            except Exception:  # noqa: BLE001 - an optional source must never stop the app
                log.warning("session lock source failed to start", exc_info=True)
        self._sources = tuple(sources)
        return self._sources

    def stop(self) -> None:
        """Unsubscribe from everything. Safe to call more than once."""
        stoppers, self._stoppers = self._stoppers, []
        for stop in reversed(stoppers):
            try:
                stop()
            except Exception:  # noqa: BLE001 - shutting down: keep going
                log.debug("session lock source failed to stop", exc_info=True)
        self._sources = ()
        self._started = False

    def _request(self, reason: str | None) -> None:
        if reason is not None:
            self.lock_requested.emit(reason)

    # -- D-Bus (Linux) -----------------------------------------------------------------

    @Slot(bool)
    def _on_prepare_for_sleep(self, starting: bool) -> None:
        self._request(reason_for_prepare_for_sleep(starting))

    @Slot()
    def _on_session_lock(self) -> None:
        self._request(reason_for_session_lock_signal())

    @Slot(str, "QVariantMap", "QStringList")
    def _on_session_properties(self, interface: str, changed: dict[str, Any], invalidated: list[str]) -> None:
        self._request(reason_for_session_properties(interface, changed))

    @Slot(bool)
    def _on_screensaver_active(self, active: bool) -> None:
        self._request(reason_for_screensaver_active(active))

    def _bus(self, which: str) -> Any:
        """The injected connection, or Qt's shared system/session bus connection. None
        when QtDBus cannot be imported (it can in the Essentials wheel, but a trimmed
        frozen build might leave it out)."""
        injected = self._system_bus if which == "system" else self._session_bus
        if injected is not None:
            return injected
        try:
            from PySide6.QtDBus import QDBusConnection
        except ImportError:
            log.info("QtDBus is not available: no D-Bus session lock sources")
            return None
        return QDBusConnection.systemBus() if which == "system" else QDBusConnection.sessionBus()

    def _subscribe(self, bus: Any, service: str, path: str, interface: str, name: str, slot: str) -> bool:
        if not bus.connect(service, path, interface, name, self, slot):
            return False

        def unsubscribe() -> None:
            bus.disconnect(service, path, interface, name, self, slot)

        self._stoppers.append(unsubscribe)
        return True

    def _start_logind(self) -> list[str]:
        bus = self._bus("system")
        if bus is None or not bus.isConnected():
            return []
        if not _name_has_owner(bus, LOGIN1_SERVICE):
            return []
        sources = []
        if self._subscribe(
            bus,
            LOGIN1_SERVICE,
            LOGIN1_PATH,
            LOGIN1_MANAGER,
            "PrepareForSleep",
            _slot("_on_prepare_for_sleep(bool)"),
        ):
            sources.append(SOURCE_LOGIND_SLEEP)
        path = self._session_path or _logind_session_path(bus, logind_session_ids(self._environ))
        if path is None:
            log.info("logind knows no session for this process: screen lock not watched there")
            return sources
        lock_ok = self._subscribe(bus, LOGIN1_SERVICE, path, LOGIN1_SESSION, "Lock", _slot("_on_session_lock()"))
        props_ok = self._subscribe(
            bus,
            LOGIN1_SERVICE,
            path,
            DBUS_PROPERTIES,
            "PropertiesChanged",
            _slot("_on_session_properties(QString,QVariantMap,QStringList)"),
        )
        if lock_ok or props_ok:
            sources.append(SOURCE_LOGIND_SESSION)
        return sources

    def _start_screensavers(self) -> list[str]:
        bus = self._bus("session")
        if bus is None or not bus.isConnected():
            return []
        sources: list[str] = []
        for endpoint in SCREENSAVER_ENDPOINTS:
            # Subscribe even when nobody owns the name yet (a screensaver started later
            # still reaches us); report only what can deliver now.
            subscribed = self._subscribe(
                bus,
                endpoint.service,
                endpoint.path,
                endpoint.interface,
                "ActiveChanged",
                _slot("_on_screensaver_active(bool)"),
            )
            source = screensaver_source(endpoint.service)
            if subscribed and source not in sources and _name_has_owner(bus, endpoint.service):
                sources.append(source)
        return sources

    # -- Windows -----------------------------------------------------------------------

    def _start_windows(self) -> list[str]:
        if sys.platform != "win32":  # also tells type checkers the rest is Windows-only
            return []
        import ctypes
        from ctypes import wintypes

        from PySide6.QtGui import QWindow

        app = QCoreApplication.instance()
        if app is None:
            return []
        # A hidden window of our own gives the notifications an HWND to arrive at, so
        # the monitor does not depend on the main window being created first.
        window = QWindow()
        window.create()
        hwnd = int(window.winId())
        native_filter = _WindowsMessageFilter(self._request)
        app.installNativeEventFilter(native_filter)
        wtsapi32 = ctypes.WinDLL("wtsapi32", use_last_error=True)
        register = wtsapi32.WTSRegisterSessionNotification
        register.argtypes = [wintypes.HWND, wintypes.DWORD]
        register.restype = wintypes.BOOL
        unregister = wtsapi32.WTSUnRegisterSessionNotification
        unregister.argtypes = [wintypes.HWND]
        unregister.restype = wintypes.BOOL
        registered = bool(register(hwnd, NOTIFY_FOR_THIS_SESSION))
        if not registered:
            # Happens when the Terminal Services service is not up yet (very early in
            # a log-on); power notifications still work.
            log.warning("WTSRegisterSessionNotification failed (error %d)", ctypes.get_last_error())

        def stop() -> None:
            if registered:
                unregister(hwnd)
            app.removeNativeEventFilter(native_filter)
            window.destroy()

        # The closure keeps the filter and window alive as long as they are installed.
        self._stoppers.append(stop)
        return [SOURCE_WTS_SESSION, SOURCE_POWER_BROADCAST] if registered else [SOURCE_POWER_BROADCAST]

    # -- macOS -------------------------------------------------------------------------

    def _start_macos(self) -> list[str]:
        reader = _MacSessionReader.load()
        if reader is None:
            return []
        timer = QTimer(self)
        timer.setInterval(MACOS_POLL_INTERVAL_MS)
        last: list[str | None] = [None]

        def poll() -> None:
            reason = reason_for_macos_session(reader.read())
            # Ask once per change, not every two seconds while the screen stays locked.
            if reason != last[0]:
                last[0] = reason
                self._request(reason)

        timer.timeout.connect(poll)
        timer.start()
        self._stoppers.append(timer.stop)
        return [SOURCE_MACOS_CGSESSION]


def _slot(signature: str) -> str:
    """Qt's SLOT() encoding. PySide6's stub types the argument as bytes, but 6.12 only
    accepts the str that ``QtCore.SLOT`` returns ("wrong argument values" otherwise)."""
    return str(SLOT(signature))


def _dbus_call(bus: Any, service: str, path: str, interface: str, method: str, *args: Any) -> list[Any] | None:
    """A blocking method call with a short timeout; the reply's arguments, or None."""
    from PySide6.QtDBus import QDBus, QDBusMessage

    message = QDBusMessage.createMethodCall(service, path, interface, method)
    if args:
        message.setArguments(list(args))
    reply = bus.call(message, QDBus.CallMode.Block, DBUS_CALL_TIMEOUT_MS)
    if reply.type() != QDBusMessage.MessageType.ReplyMessage:
        return None
    return list(reply.arguments())


def _name_has_owner(bus: Any, name: str) -> bool:
    reply = _dbus_call(
        bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "NameHasOwner", name
    )
    return reply is not None and len(reply) > 0 and reply[0] is True


def _logind_session_path(bus: Any, session_ids: tuple[str, ...]) -> str | None:
    for session_id in session_ids:
        reply = _dbus_call(bus, LOGIN1_SERVICE, LOGIN1_PATH, LOGIN1_MANAGER, "GetSession", session_id)
        if reply:
            path = object_path_text(reply[0])
            if path is not None:
                return path
    return None


class _WindowsMessageFilter(QAbstractNativeEventFilter):
    """Sees every native message Qt's windows receive; reacts to the session ones."""

    def __init__(self, on_reason: Callable[[str | None], None]) -> None:
        super().__init__()
        self._on_reason = on_reason

    def nativeEventFilter(self, eventType: Any, message: Any) -> tuple[bool, int]:  # noqa: N802,N803
        from ctypes import wintypes

        if bytes(eventType) in (b"windows_generic_MSG", b"windows_dispatcher_MSG"):
            msg = wintypes.MSG.from_address(int(message))
            reason = reason_for_windows_message(int(msg.message), int(msg.wParam or 0))
            if reason is not None:
                # Queue the emission: locking (closing the database, deleting widgets)
                # must not run inside the window procedure.
                QTimer.singleShot(0, lambda: self._on_reason(reason))
        # Never consume: Qt and other filters must see the message too.
        return False, 0


class _MacSessionReader:
    """``CGSessionCopyCurrentDictionary`` through ctypes, reading two boolean keys.

    Every function gets an explicit ``restype``: a pointer truncated to a C int is how
    ctypes code crashes on 64-bit macOS."""

    _UTF8 = 0x08000100  # kCFStringEncodingUTF8

    def __init__(self, cg: Any, cf: Any) -> None:
        import ctypes

        self._cg = cg
        self._cf = cf
        cg.CGSessionCopyCurrentDictionary.restype = ctypes.c_void_p
        cg.CGSessionCopyCurrentDictionary.argtypes = []
        cf.CFStringCreateWithCString.restype = ctypes.c_void_p
        cf.CFStringCreateWithCString.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_uint32]
        cf.CFDictionaryGetValue.restype = ctypes.c_void_p
        cf.CFDictionaryGetValue.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        cf.CFGetTypeID.restype = ctypes.c_ulong
        cf.CFGetTypeID.argtypes = [ctypes.c_void_p]
        cf.CFBooleanGetTypeID.restype = ctypes.c_ulong
        cf.CFBooleanGetTypeID.argtypes = []
        cf.CFBooleanGetValue.restype = ctypes.c_bool
        cf.CFBooleanGetValue.argtypes = [ctypes.c_void_p]
        cf.CFRelease.restype = None
        cf.CFRelease.argtypes = [ctypes.c_void_p]
        self._boolean_type = cf.CFBooleanGetTypeID()
        self._keys = {
            name: cf.CFStringCreateWithCString(None, name.encode("ascii"), self._UTF8)
            for name in (MACOS_SCREEN_LOCKED_KEY, MACOS_ON_CONSOLE_KEY)
        }

    @classmethod
    def load(cls) -> _MacSessionReader | None:
        import ctypes

        try:
            cg = ctypes.CDLL("/System/Library/Frameworks/CoreGraphics.framework/CoreGraphics")
            cf = ctypes.CDLL("/System/Library/Frameworks/CoreFoundation.framework/CoreFoundation")
            return cls(cg, cf)
        except (OSError, AttributeError):
            log.info("CoreGraphics session dictionary unavailable: no macOS lock source")
            return None

    def read(self) -> dict[str, bool] | None:
        info = self._cg.CGSessionCopyCurrentDictionary()
        if not info:
            return None
        try:
            values: dict[str, bool] = {}
            for name, key in self._keys.items():
                value = self._cf.CFDictionaryGetValue(info, key)
                if value and self._cf.CFGetTypeID(value) == self._boolean_type:
                    values[name] = bool(self._cf.CFBooleanGetValue(value))
            return values
        finally:
            self._cf.CFRelease(info)
