"""SensitiveClipboard: hints, timed clear, never wiping the user's own copy, policy."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
from PySide6.QtGui import QClipboard, QGuiApplication
from pytestqt.qtbot import QtBot

from desktop_app.ui.clipboard import (
    COPY_FORBIDDEN_MESSAGE,
    KDE_PASSWORD_HINT,
    MACOS_CONCEALED_TYPE,
    TOKEN_FORMAT,
    SensitiveClipboard,
    history_hint_formats,
    windows_clipboard_format,
)

SECRET = "Child disclosed at 10:40 to Ms Example"


@pytest.fixture
def board(qapp: object) -> Iterator[QClipboard]:
    clipboard = QGuiApplication.clipboard()
    clipboard.clear()
    yield clipboard
    clipboard.clear()


def text_on(board: QClipboard) -> str:
    mime = board.mimeData()
    return mime.text() if mime is not None else ""


def test_copy_puts_text_and_history_hints_on_the_clipboard(board: QClipboard) -> None:
    clip = SensitiveClipboard()
    assert clip.copy(SECRET) is True
    mime = board.mimeData()
    assert mime is not None
    assert mime.text() == SECRET
    for mime_format, data in history_hint_formats(sys.platform).items():
        assert mime.hasFormat(mime_format), mime_format
        assert bytes(mime.data(mime_format).data()) == data
    assert mime.hasFormat(TOKEN_FORMAT)
    assert clip.holds_our_copy()
    clip.clear_now()


def test_linux_hint_is_the_kde_password_manager_hint() -> None:
    assert history_hint_formats("linux") == {KDE_PASSWORD_HINT: b"secret"}


def test_windows_hints_use_qt_windows_format_names_and_dword_zero() -> None:
    hints = history_hint_formats("win32")
    zero = b"\x00\x00\x00\x00"
    assert hints == {
        'application/x-qt-windows-mime;value="ExcludeClipboardContentFromMonitorProcessing"': zero,
        'application/x-qt-windows-mime;value="CanIncludeInClipboardHistory"': zero,
        'application/x-qt-windows-mime;value="CanUploadToCloudClipboard"': zero,
    }
    assert windows_clipboard_format("X") == 'application/x-qt-windows-mime;value="X"'


def test_macos_hint_is_the_concealed_type() -> None:
    assert MACOS_CONCEALED_TYPE in history_hint_formats("darwin")


@pytest.mark.parametrize("platform", ["win32", "darwin", "linux"])
def test_each_platforms_hints_reach_the_clipboard(board: QClipboard, platform: str) -> None:
    """Qt keeps arbitrary formats in process; this checks the hints survive the trip
    through QClipboard whatever platform's set is chosen."""
    clip = SensitiveClipboard(platform=platform)
    clip.copy(SECRET)
    mime = board.mimeData()
    assert mime is not None
    assert set(history_hint_formats(platform)) <= set(mime.formats())
    clip.clear_now()


def test_cleared_after_the_timeout(qtbot: QtBot, board: QClipboard) -> None:
    clip = SensitiveClipboard(clear_after_seconds=1)
    clip.copy(SECRET)
    pending = clip.pending_clear_ms()
    assert pending is not None and 0 < pending <= 1000
    with qtbot.waitSignal(clip.cleared, timeout=3000):
        pass
    assert text_on(board) == ""
    assert not clip.holds_our_copy()
    assert clip.pending_clear_ms() is None


def test_not_cleared_when_the_user_copied_something_else(qtbot: QtBot, board: QClipboard) -> None:
    clip = SensitiveClipboard(clear_after_seconds=1)
    cleared: list[bool] = []
    clip.cleared.connect(lambda: cleared.append(True))
    clip.copy(SECRET)
    board.setText("the user's own shopping list")  # as another application would
    assert not clip.holds_our_copy()
    qtbot.wait(1500)
    assert cleared == []
    assert text_on(board) == "the user's own shopping list"


def test_not_cleared_when_the_same_text_was_copied_again_elsewhere(qtbot: QtBot, board: QClipboard) -> None:
    """Identity is the token, not the text: the user copying the same words from another
    application made that copy theirs."""
    clip = SensitiveClipboard()
    clip.copy(SECRET)
    board.setText(SECRET)
    assert clip.clear_now() is False
    assert text_on(board) == SECRET


def test_a_second_copy_replaces_the_first_and_resets_the_timer(qtbot: QtBot, board: QClipboard) -> None:
    clip = SensitiveClipboard(clear_after_seconds=1)
    clip.copy("first")
    qtbot.wait(600)
    clip.copy("second")
    qtbot.wait(600)  # 1.2 s after the first copy: the first timer must not have fired
    assert text_on(board) == "second"
    qtbot.waitUntil(lambda: text_on(board) == "", timeout=3000)


def test_forbidden_copy_does_nothing(board: QClipboard) -> None:
    board.setText("already there")
    clip = SensitiveClipboard(allow_copy=False)
    assert clip.copy(SECRET) is False
    assert text_on(board) == "already there"
    assert clip.pending_clear_ms() is None
    assert COPY_FORBIDDEN_MESSAGE == "Copying is turned off by your organisation"


def test_set_policy_forbidding_copy_removes_our_copy(board: QClipboard) -> None:
    clip = SensitiveClipboard()
    clip.copy(SECRET)
    clip.set_policy(allow_copy=False, clear_after_seconds=30)
    assert text_on(board) == ""
    assert not clip.allow_copy()
    assert clip.copy(SECRET) is False
    clip.set_policy(allow_copy=True, clear_after_seconds=30)
    assert clip.copy(SECRET) is True
    clip.clear_now()


def test_set_policy_shortens_a_pending_clear_but_never_extends_it(board: QClipboard) -> None:
    clip = SensitiveClipboard(clear_after_seconds=60)
    clip.copy(SECRET)
    clip.set_policy(True, 5)
    pending = clip.pending_clear_ms()
    assert pending is not None and pending <= 5000
    clip.set_policy(True, 600)
    pending = clip.pending_clear_ms()
    assert pending is not None and pending <= 5000
    assert clip.clear_after_seconds() == 600
    clip.clear_now()


@pytest.mark.parametrize("seconds", [0, -5, 3601])
def test_never_clearing_cannot_be_configured(seconds: int) -> None:
    with pytest.raises(ValueError):
        SensitiveClipboard(clear_after_seconds=seconds)


def test_clear_now_removes_our_copy(board: QClipboard, qtbot: QtBot) -> None:
    clip = SensitiveClipboard()
    clip.copy(SECRET)
    with qtbot.waitSignal(clip.cleared, timeout=1000):
        assert clip.clear_now() is True
    assert text_on(board) == ""
    assert clip.pending_clear_ms() is None
    assert clip.clear_now() is False  # nothing of ours left


def test_clear_now_leaves_the_users_copy_alone(board: QClipboard) -> None:
    clip = SensitiveClipboard()
    clip.copy(SECRET)
    board.setText("mine")
    assert clip.clear_now() is False
    assert text_on(board) == "mine"


def test_clear_now_without_any_copy_is_harmless(board: QClipboard) -> None:
    board.setText("mine")
    assert SensitiveClipboard().clear_now() is False
    assert text_on(board) == "mine"


def test_two_instances_do_not_clear_each_others_copies(board: QClipboard) -> None:
    first, second = SensitiveClipboard(), SensitiveClipboard()
    first.copy("one")
    second.copy("two")
    assert first.clear_now() is False
    assert text_on(board) == "two"
    assert second.clear_now() is True
