"""Copying record text to the clipboard without leaving it behind.

Clipboard history tools (Windows' Win+V history and cloud clipboard, KDE's Klipper,
CopyQ, GNOME extensions, macOS managers such as Maccy) quietly write everything copied to
disk. Copying a note's text would then leave a child's details in plaintext long after
the vault is locked. :class:`SensitiveClipboard` therefore

* marks every copy with the "do not keep this" hints those tools honour,
* clears the clipboard after a short time (30 seconds by default), on lock and on quit,
* but only if the clipboard *still holds our copy*: something the user copied since
  (from any application) is never wiped, and
* can be switched off entirely by organisation policy.

How "still ours" is checked: each copy carries a random token in a private MIME format.
The text itself is not kept in memory for comparison, and a different application's
clipboard content cannot carry the token.

Platform notes:

* Linux (X11 and Wayland): ``x-kde-passwordManagerHint: secret`` is honoured by Klipper
  and CopyQ. Other managers may ignore it, which is why the timed clear matters.
* Windows: the three registered clipboard formats Windows' own history and cloud
  clipboard honour. Qt exposes a named Windows clipboard format as
  ``application/x-qt-windows-mime;value="<name>"``, which is how they are set here.
* macOS: managers look for the pasteboard type (UTI) ``org.nspasteboard.ConcealedType``.
  Qt has no public way to write an arbitrary UTI from Python: a MIME type it does not
  know is written as ``com.trolltech.anymime.<mime>``. The format is still set (Qt-based
  managers such as CopyQ read it back), but native macOS managers will not see the hint;
  only the timed clear protects there. Writing the real UTI needs pyobjc or a Qt
  ``QUtiMimeConverter`` subclass, which PySide6 does not expose.
"""

from __future__ import annotations

import secrets
import struct
import sys
from collections.abc import Callable

from PySide6.QtCore import QMimeData, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QClipboard, QGuiApplication
from PySide6.QtWidgets import QApplication, QWidget

DEFAULT_CLEAR_AFTER_SECONDS = 30
# Longer than any sensible policy, short enough that "never" cannot be configured.
MAX_CLEAR_AFTER_SECONDS = 3600

COPY_FORBIDDEN_MESSAGE = "Copying is turned off by your organisation"

# Private format holding the per-copy token; it means nothing outside this application.
TOKEN_FORMAT = "application/x-casenotes-copy-token"

KDE_PASSWORD_HINT = "x-kde-passwordManagerHint"
MACOS_CONCEALED_TYPE = "org.nspasteboard.ConcealedType"
# The MIME spelling Qt-based tools (CopyQ, KeePassXC) use for the same macOS hint.
MACOS_CONCEALED_MIME = "application/x-nspasteboard-concealed-type"
_DWORD_ZERO = struct.pack("<I", 0)


def windows_clipboard_format(name: str) -> str:
    """Qt's MIME name for the registered Windows clipboard format ``name``."""
    return f'application/x-qt-windows-mime;value="{name}"'


def history_hint_formats(platform: str = sys.platform) -> dict[str, bytes]:
    """The MIME formats (and their bytes) that ask clipboard history tools on
    ``platform`` not to record a copy. Pure, so tests can check every platform."""
    if platform == "win32":
        return {
            # The data is ignored; its presence is the signal.
            windows_clipboard_format("ExcludeClipboardContentFromMonitorProcessing"): _DWORD_ZERO,
            # DWORD 0 = "no": keep out of Win+V history and out of the cloud clipboard.
            windows_clipboard_format("CanIncludeInClipboardHistory"): _DWORD_ZERO,
            windows_clipboard_format("CanUploadToCloudClipboard"): _DWORD_ZERO,
        }
    if platform == "darwin":
        return {MACOS_CONCEALED_TYPE: b"", MACOS_CONCEALED_MIME: b"secret"}
    # Linux and the BSDs (X11 or Wayland).
    return {KDE_PASSWORD_HINT: b"secret"}


class SensitiveClipboard(QObject):
    """Copy text to the system clipboard as sensitive, and take it back later.

    Wiring (main window)::

        clip = SensitiveClipboard(parent=self)
        clip.set_policy(policy.clipboard_allow_copy, policy.clipboard_clear_seconds)
        if not clip.copy(text):
            show_message(COPY_FORBIDDEN_MESSAGE)
        # on lock and on quit: clip.clear_now()

    ``cleared`` is emitted when this object removed its copy from the clipboard (timer,
    :meth:`clear_now` or a policy change), e.g. for a status-bar note.
    """

    cleared = Signal()

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        allow_copy: bool = True,
        clear_after_seconds: int = DEFAULT_CLEAR_AFTER_SECONDS,
        clipboard: QClipboard | None = None,
        platform: str = sys.platform,
    ) -> None:
        super().__init__(parent)
        self._clipboard = clipboard
        self._platform = platform
        self._allow_copy = True
        self._clear_after_seconds = DEFAULT_CLEAR_AFTER_SECONDS
        self._token: bytes | None = None
        self._forbidden_callback: Callable[[], None] | None = None
        self._owner: QWidget | None = None
        self._guarding = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        # Coarse timers may fire 5% late; "30 seconds" should mean 30 seconds.
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._on_timeout)
        self.set_policy(allow_copy, clear_after_seconds)

    # -- policy ------------------------------------------------------------------------

    def allow_copy(self) -> bool:
        return self._allow_copy

    def clear_after_seconds(self) -> int:
        return self._clear_after_seconds

    def set_policy(self, allow_copy: bool, clear_after_seconds: int) -> None:
        """Apply the organisation's clipboard policy.

        Turning copying off also removes a copy of ours still on the clipboard, since the
        organisation has just said that text should not be there. A zero, negative or
        very long delay is refused rather than quietly meaning "never clear"."""
        seconds = int(clear_after_seconds)
        if not 1 <= seconds <= MAX_CLEAR_AFTER_SECONDS:
            raise ValueError(f"clear_after_seconds must be between 1 and {MAX_CLEAR_AFTER_SECONDS}")
        self._allow_copy = bool(allow_copy)
        self._clear_after_seconds = seconds
        if not self._allow_copy:
            self.clear_now()
        elif self._timer.isActive():
            # A shorter delay applies to the copy already there; never extend it.
            self._timer.start(min(self._timer.remainingTime(), seconds * 1000))

    # -- copying -----------------------------------------------------------------------

    def copy(self, text: str) -> bool:
        """Put ``text`` on the clipboard, marked as sensitive, and schedule its removal.

        Returns False, touching nothing, when policy forbids copying; the caller then
        shows :data:`COPY_FORBIDDEN_MESSAGE`."""
        if not self._allow_copy:
            return False
        token = secrets.token_hex(16).encode("ascii")
        mime = QMimeData()
        mime.setText(text)
        for mime_format, data in history_hint_formats(self._platform).items():
            mime.setData(mime_format, data)
        mime.setData(TOKEN_FORMAT, token)
        # The clipboard takes ownership of ``mime``.
        self._board().setMimeData(mime, QClipboard.Mode.Clipboard)
        self._token = token
        self._timer.start(self._clear_after_seconds * 1000)
        return True

    def holds_our_copy(self) -> bool:
        """True while the clipboard still holds the most recent copy made here."""
        if self._token is None:
            return False
        mime = self._board().mimeData(QClipboard.Mode.Clipboard)
        if mime is None or not mime.hasFormat(TOKEN_FORMAT):
            return False
        return bytes(mime.data(TOKEN_FORMAT).data()) == self._token

    def pending_clear_ms(self) -> int | None:
        """Milliseconds until the scheduled clear, or None if nothing is scheduled."""
        return self._timer.remainingTime() if self._timer.isActive() else None

    def clear_now(self) -> bool:
        """Remove our copy from the clipboard now (on lock, on quit, on policy change).

        Returns True if something of ours was removed. Content the user copied after
        us, from this or any application, is left alone."""
        self._timer.stop()
        if not self.holds_our_copy():
            self._token = None
            return False
        self._board().clear(QClipboard.Mode.Clipboard)
        self._token = None
        self.cleared.emit()
        return True

    def _on_timeout(self) -> None:
        self.clear_now()

    # -- every copy made in this application -----------------------------------------

    def guard_application_copies(self, owner: QWidget, forbidden: Callable[[], None] | None = None) -> None:
        """Treat *any* copy made in ``owner`` or its dialogs (a plain Ctrl+C in a text box,
        a context-menu Copy) like ``copy()``: re-marked as sensitive and cleared on time,
        or removed at once when policy forbids copying (then ``forbidden`` is called to
        tell the person). Copies made while another application is active are not ours."""
        self._owner = owner
        self._forbidden_callback = forbidden
        if not self._guarding:
            self._board().dataChanged.connect(self._on_clipboard_changed)
            self._guarding = True

    def stop_guarding(self) -> None:
        if self._guarding:
            self._board().dataChanged.disconnect(self._on_clipboard_changed)
            self._guarding = False

    def _copy_came_from_owner(self) -> bool:
        widget = QApplication.activeWindow()
        while widget is not None:
            if widget is self._owner:
                return True
            widget = widget.parentWidget()
        return False

    def _on_clipboard_changed(self) -> None:
        if self.holds_our_copy() or not self._copy_came_from_owner():
            return  # the copy we just made, or another application's (or window's) copy
        mime = self._board().mimeData(QClipboard.Mode.Clipboard)
        if mime is None or not mime.hasText() or mime.hasFormat(TOKEN_FORMAT):
            return
        if not self._allow_copy:
            self._board().clear(QClipboard.Mode.Clipboard)
            if self._forbidden_callback is not None:
                self._forbidden_callback()
            return
        self.copy(mime.text())

    def _board(self) -> QClipboard:
        if self._clipboard is None:
            self._clipboard = QGuiApplication.clipboard()
        return self._clipboard
