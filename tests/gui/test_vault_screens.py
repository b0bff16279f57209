"""The vault screens, driven as a person would: keyboard first, offscreen, real vaults.

Every test closes its windows at the end (the fixture does it), so the store thread
stops and the vault folder's lock is released.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import QTimer
from PySide6.QtGui import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QTableWidget,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from desktop_app.store import audit
from desktop_app.store.vault import VaultFolder
from desktop_app.ui.main_window import MainWindow

from ..conftest import PASSPHRASE

OWNER = "Morgan Leakcheck"
ORGANISATION = "Larkspur Primary"
RECORD_TEXT = "Child disclosed ZQX-RECORD-4471 at break time"
NEW_PASSPHRASE = "purple elephant quietly dancing"
WAIT_MS = 15_000


# -- helpers --------------------------------------------------------------------------------
def focused() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None, "nothing has keyboard focus"
    return widget


def type_text(text: str) -> None:
    QTest.keyClicks(focused(), text)


def press(key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    QTest.keyClick(focused(), key, modifier)


def tab_to(target: QWidget, limit: int = 20) -> None:
    """Press Tab until ``target`` has focus (the keyboard route a person would take)."""
    for _ in range(limit):
        if focused() is target:
            return
        press(Qt.Key.Key_Tab)
    assert focused() is target, f"Tab never reached {target.accessibleName() or target}"


def widget_texts(widget: QWidget) -> list[str]:
    """Everything a widget shows or would read out."""
    texts = [widget.windowTitle(), widget.accessibleName(), widget.toolTip(), widget.statusTip()]
    if isinstance(widget, (QLabel, QLineEdit, QAbstractButton)):
        texts.append(widget.text())
    if isinstance(widget, QLineEdit):
        texts.append(widget.placeholderText())
    if isinstance(widget, (QTextEdit, QPlainTextEdit)):
        texts.append(widget.toPlainText())
    if isinstance(widget, QListWidget):
        texts.extend(widget.item(i).text() for i in range(widget.count()))
    if isinstance(widget, QComboBox):
        texts.extend(widget.itemText(i) for i in range(widget.count()))
        texts.append(widget.currentText())
    if isinstance(widget, QTableWidget):
        for row in range(widget.rowCount()):
            for column in range(widget.columnCount()):
                item = widget.item(row, column)
                if item is not None:
                    texts.append(item.text())
    return [t for t in texts if t]


def widgets_showing(*needles: str) -> list[str]:
    found = []
    for widget in QApplication.allWidgets():
        if not shiboken6.isValid(widget):
            continue
        for text in widget_texts(widget):
            if any(needle in text for needle in needles):
                found.append(f"{type(widget).__name__}: {text[:80]}")
    return found


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("template") / "vault"
    created = VaultFolder.create(path, PASSPHRASE, owner_name=OWNER, organisation_name=ORGANISATION)
    with created.vault.transaction() as conn:
        audit.append_event(conn, "test.record", actor=OWNER, details={"text": RECORD_TEXT})
    created.vault.close()
    created.folder.release()
    return path, created.recovery_key


@pytest.fixture
def existing_vault(template: tuple[Path, str], vault_dir: Path) -> Path:
    shutil.copytree(template[0], vault_dir)
    return vault_dir


@pytest.fixture
def recovery(template: tuple[Path, str]) -> str:
    return template[1]


@pytest.fixture
def open_window(qtbot: Any) -> Iterator[Callable[..., MainWindow]]:
    windows: list[MainWindow] = []

    def make(path: Path, **kwargs: Any) -> MainWindow:
        kwargs.setdefault("workspace_factory", home_workspace)
        window = MainWindow(path, **kwargs)
        windows.append(window)
        window.show()
        window.start()
        qtbot.waitExposed(window)
        window.activateWindow()
        qtbot.waitUntil(lambda: QApplication.focusWidget() is not None, timeout=WAIT_MS)
        return window

    yield make
    for window in windows:
        if shiboken6.isValid(window):
            qtbot.waitUntil(lambda w=window: not w.runner.busy, timeout=WAIT_MS)
            window.close()
            shiboken6.delete(window)  # so no later test sees this window's widgets


def assert_nothing_shows(qtbot: Any, *needles: str, timeout: int = 3000) -> None:
    """Wait for deferred deletions, then require that no live widget shows any needle."""
    try:
        qtbot.waitUntil(lambda: not widgets_showing(*needles), timeout=timeout)
    except Exception:  # noqa: BLE001 - re-raised below with what was found
        pass
    assert widgets_showing(*needles) == []


def wait_idle(qtbot: Any, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=WAIT_MS)


def unlock_with_keyboard(qtbot: Any, window: MainWindow, passphrase: str) -> None:
    assert window.stack.currentWidget() is window.unlock_page
    if QApplication.activeWindow() is not window:  # e.g. just after a modal dialog closed offscreen
        window.activateWindow()
        qtbot.waitUntil(lambda: QApplication.focusWidget() is not None, timeout=WAIT_MS)
    tab_to(window.unlock_page.secret)
    type_text(passphrase)
    press(Qt.Key.Key_Return)
    wait_idle(qtbot, window)


def home_workspace(window: MainWindow) -> QWidget:
    """The plain vault home (owner, organisation, recent activity): the vault screens are
    tested against it, independently of the case workspace built on top."""
    from desktop_app.ui.vault_home import VaultHome

    assert window.vault is not None
    return VaultHome(window.runner, window.vault)


def record_workspace(window: MainWindow, *, show_dialog: bool = False) -> QWidget:
    """A workspace that shows the owner and a record in every kind of text widget, with a
    child dialog: what the lock must leave nothing of."""
    workspace = QWidget()
    layout = QVBoxLayout(workspace)
    layout.addWidget(QLabel(f"Signed in as {window.vault.info.owner_name}"))  # type: ignore[union-attr]
    layout.addWidget(QLineEdit(RECORD_TEXT))
    editor = QPlainTextEdit()
    editor.setPlainText(RECORD_TEXT)
    layout.addWidget(editor)
    items = QListWidget()
    items.addItem(RECORD_TEXT)
    layout.addWidget(items)
    dialog = QDialog(workspace)
    dialog.setWindowTitle(f"Case note: {RECORD_TEXT}")
    QVBoxLayout(dialog).addWidget(QLabel(RECORD_TEXT))
    if show_dialog:
        dialog.show()  # non-modal, and now the active window
    return workspace


# -- first run and creating a vault -----------------------------------------------------------
def test_first_run_shows_the_welcome_page(open_window: Callable[..., MainWindow], vault_dir: Path) -> None:
    window = open_window(vault_dir)
    assert window.stack.currentWidget() is window.welcome
    assert focused() is window.welcome.create_button
    assert not window.lock_action.isEnabled()
    assert not window.toolbar.isVisible()


def test_create_a_vault_with_the_keyboard_alone(
    qtbot: Any, open_window: Callable[..., MainWindow], vault_dir: Path
) -> None:
    window = open_window(vault_dir)
    press(Qt.Key.Key_Return)  # "Create a new vault" has focus
    page = window.create_page
    assert window.stack.currentWidget() is page
    assert focused() is page.name
    type_text(OWNER)
    tab_to(page.organisation)
    type_text(ORGANISATION)
    assert page.folder.text() == str(vault_dir)
    tab_to(page.passphrase)
    type_text(PASSPHRASE)
    tab_to(page.confirm)
    type_text(PASSPHRASE)
    assert page.create_button.isEnabled()
    press(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.recovery_page, timeout=WAIT_MS)
    assert page.passphrase.text() == "" and page.confirm.text() == ""  # secrets cleared

    recovery = window.recovery_page
    key_text = recovery.key_label.text()
    groups = key_text.split()
    assert len(groups) == 14
    last_group = groups[-1]

    # Continue stays disabled until the box is ticked AND the last group typed
    assert not recovery.continue_button.isEnabled()
    assert focused() is recovery.kept
    press(Qt.Key.Key_Space)
    assert recovery.kept.isChecked()
    assert not recovery.continue_button.isEnabled()
    tab_to(recovery.last_group)
    type_text(last_group[:3])
    assert not recovery.continue_button.isEnabled()
    wrong = "0000" if last_group != "0000" else "1111"
    recovery.last_group.clear()
    type_text(wrong)
    assert recovery.continue_button.isEnabled()
    press(Qt.Key.Key_Return)
    assert window.stack.currentWidget() is recovery  # still here
    assert recovery.message.isVisible()
    assert "do not match" in recovery.message.text.text()

    recovery.last_group.selectAll()
    type_text(last_group.lower())  # forgiving, like the unlock screen
    press(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.workspace is not None, timeout=WAIT_MS)
    assert window.stack.currentWidget() is window.workspace
    assert window.lock_action.isEnabled()
    assert recovery.key_label.text() == ""  # the key is no longer on screen
    wait_idle(qtbot, window)
    assert (vault_dir / "vault.db").exists()


@pytest.mark.parametrize(
    ("passphrase", "confirm"),
    [
        pytest.param("password", "password", id="common"),
        pytest.param("short", "short", id="too short"),
        pytest.param("aaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaa", id="repetitive"),
        pytest.param("", "", id="empty"),
        pytest.param(PASSPHRASE, PASSPHRASE + "x", id="not the same twice"),
    ],
)
def test_weak_or_mismatched_passphrases_keep_create_disabled(
    open_window: Callable[..., MainWindow], vault_dir: Path, passphrase: str, confirm: str
) -> None:
    window = open_window(vault_dir)
    window.show_create()
    page = window.create_page
    type_text(OWNER)
    tab_to(page.passphrase)
    type_text(passphrase)
    tab_to(page.confirm)
    type_text(confirm)
    assert not page.create_button.isEnabled()
    press(Qt.Key.Key_Return)  # Enter does nothing either
    assert window.stack.currentWidget() is page
    assert not vault_dir.exists()
    # ...and a good passphrase enables it
    page.passphrase.setText(PASSPHRASE)
    page.confirm.setText(PASSPHRASE)
    assert page.create_button.isEnabled()


# -- lock ------------------------------------------------------------------------------------
def test_ctrl_l_locks_and_nothing_personal_survives_in_any_widget(
    qtbot: Any, open_window: Callable[..., MainWindow], existing_vault: Path
) -> None:
    window = open_window(existing_vault, workspace_factory=record_workspace)
    unlock_with_keyboard(qtbot, window, PASSPHRASE)
    assert window.workspace is not None
    assert widgets_showing(OWNER, RECORD_TEXT)  # the check can see them while unlocked

    QTest.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.vault is None
    assert window.stack.currentWidget() is window.unlock_page
    assert_nothing_shows(qtbot, OWNER, RECORD_TEXT, ORGANISATION)
    assert not window.lock_action.isEnabled()
    assert focused() is window.unlock_page.secret


def test_ctrl_l_locks_from_a_non_modal_record_dialog(
    qtbot: Any, open_window: Callable[..., MainWindow], existing_vault: Path
) -> None:
    window = open_window(existing_vault, workspace_factory=lambda w: record_workspace(w, show_dialog=True))
    unlock_with_keyboard(qtbot, window, PASSPHRASE)
    qtbot.waitUntil(lambda: isinstance(QApplication.activeWindow(), QDialog), timeout=WAIT_MS)
    QTest.keyClick(QApplication.activeWindow(), Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.vault is None


def test_lock_action_after_creating_leaves_nothing_personal(
    qtbot: Any, open_window: Callable[..., MainWindow], vault_dir: Path
) -> None:
    """The whole first-run path, then Lock: the create form must not keep the owner's name."""
    window = open_window(vault_dir)
    window.show_create()
    page = window.create_page
    type_text(OWNER)
    tab_to(page.organisation)
    type_text(ORGANISATION)
    tab_to(page.passphrase)
    type_text(PASSPHRASE)
    tab_to(page.confirm)
    type_text(PASSPHRASE)
    press(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.recovery_page, timeout=WAIT_MS)
    recovery = window.recovery_page
    groups = recovery.key_label.text().split()
    key_needles = ("  ".join(groups[5:7]), "-".join(groups[5:7]), "".join(groups[5:7]))
    assert widgets_showing(*key_needles)
    recovery.kept.setChecked(True)
    recovery.last_group.setText(groups[-1])
    recovery.continue_button.click()
    qtbot.waitUntil(lambda: window.workspace is not None, timeout=WAIT_MS)
    wait_idle(qtbot, window)
    assert_nothing_shows(qtbot, *key_needles)  # the recovery key is shown once, then gone

    window.lock_action.trigger()
    assert window.stack.currentWidget() is window.unlock_page
    assert_nothing_shows(qtbot, OWNER, ORGANISATION)


def test_lock_action_with_the_default_workspace(
    qtbot: Any, open_window: Callable[..., MainWindow], existing_vault: Path
) -> None:
    """Whatever the default workspace is (it grows with the product), Lock clears it."""
    window = open_window(existing_vault, workspace_factory=None)
    unlock_with_keyboard(qtbot, window, PASSPHRASE)
    assert window.workspace is not None
    wait_idle(qtbot, window)
    qtbot.wait(100)  # let the workspace fill itself in
    window.lock_action.trigger()
    assert window.stack.currentWidget() is window.unlock_page
    assert_nothing_shows(qtbot, OWNER, ORGANISATION, RECORD_TEXT)
    assert window.status.text() == "Locked (manual)"


# -- unlock ----------------------------------------------------------------------------------
def test_wrong_passphrase_shows_the_message_then_the_right_one_opens(
    qtbot: Any, open_window: Callable[..., MainWindow], existing_vault: Path
) -> None:
    window = open_window(existing_vault)
    page = window.unlock_page
    assert window.stack.currentWidget() is page
    unlock_with_keyboard(qtbot, window, "not my passphrase at all")
    assert window.stack.currentWidget() is page
    assert page.message.isVisible()
    assert "does not open this vault" in page.message.text.text()
    assert "Caps Lock" in page.message.text.text()
    assert page.secret.text() == ""  # a passphrase is never left in the field
    assert focused() is page.secret

    type_text(PASSPHRASE)
    press(Qt.Key.Key_Return)
    wait_idle(qtbot, window)
    assert window.workspace is not None
    assert window.stack.currentWidget() is window.workspace
    assert not page.message.isVisible()


def test_mistyped_recovery_key_says_so_and_keeps_the_text(
    qtbot: Any, open_window: Callable[..., MainWindow], existing_vault: Path, recovery: str
) -> None:
    window = open_window(existing_vault)
    page = window.unlock_page
    page.mode_button.click()
    assert page.secret.echoMode() == QLineEdit.EchoMode.Normal
    assert focused() is page.secret
    slip = recovery[:20] + ("A" if recovery[20] != "A" else "B") + recovery[21:]
    type_text(slip)
    press(Qt.Key.Key_Return)
    wait_idle(qtbot, window)
    assert window.stack.currentWidget() is page
    assert "mistyped" in page.message.text.text()
    assert page.secret.text() == slip  # kept, to be corrected in place

    page.secret.setText(recovery.lower())
    press(Qt.Key.Key_Return)
    wait_idle(qtbot, window)
    assert window.workspace is not None


def test_vault_in_use_shows_the_in_use_message(
    qtbot: Any, open_window: Callable[..., MainWindow], existing_vault: Path
) -> None:
    other = VaultFolder.attach(existing_vault)
    try:
        window = open_window(existing_vault)
        page = window.unlock_page
        assert window.stack.currentWidget() is page
        assert page.message.isVisible()
        assert "already open" in page.message.text.text()
        assert not page.secret.isEnabled() and not page.unlock_button.isEnabled()
    finally:
        other.release()


def test_closing_the_window_releases_the_vault(
    qtbot: Any, open_window: Callable[..., MainWindow], existing_vault: Path
) -> None:
    window = open_window(existing_vault)
    unlock_with_keyboard(qtbot, window, PASSPHRASE)
    assert window.workspace is not None
    window.close()
    folder = VaultFolder.attach(existing_vault)
    folder.release()


# -- change passphrase --------------------------------------------------------------------------
def _when_dialog_opens(window: MainWindow, act: Callable[[Any], None]) -> None:
    """Run ``act(dialog)`` once the modal dialog is up (``exec`` blocks the test)."""

    def poll() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            QTimer.singleShot(20, poll)
        else:
            act(dialog)

    QTimer.singleShot(0, poll)


def _when_idle(window: MainWindow, then: Callable[[], None]) -> None:
    def poll() -> None:
        if window.runner.busy:
            QTimer.singleShot(20, poll)
        else:
            then()

    QTimer.singleShot(20, poll)


def test_change_passphrase_dialog(qtbot: Any, open_window: Callable[..., MainWindow], existing_vault: Path) -> None:
    window = open_window(existing_vault)
    unlock_with_keyboard(qtbot, window, PASSPHRASE)
    assert window.change_passphrase_action.isEnabled()
    seen: dict[str, Any] = {}

    def wrong_current_then_cancel(dialog: Any) -> None:
        seen["asks_current"] = dialog.current.isVisible()
        QTest.keyClicks(dialog.current, "wrong current passphrase")
        QTest.keyClicks(dialog.new, NEW_PASSPHRASE)
        QTest.keyClicks(dialog.confirm, NEW_PASSPHRASE)
        seen["enabled"] = dialog.ok.isEnabled()
        dialog.ok.click()

        def after() -> None:
            seen["error"] = dialog.message.text.text() if dialog.message.isVisible() else ""
            seen["still_open"] = dialog.isVisible()
            dialog.reject()

        _when_idle(window, after)

    _when_dialog_opens(window, wrong_current_then_cancel)
    window.change_passphrase_action.trigger()  # modal: returns when the dialog closes
    assert seen["asks_current"] is True
    assert seen["enabled"] is True
    assert seen["still_open"] is True
    assert "does not open this vault" in seen["error"] or "not right" in seen["error"]
    assert "Passphrase changed" not in window.notice.text.text()

    def weak_is_refused_then_good(dialog: Any) -> None:
        QTest.keyClicks(dialog.current, PASSPHRASE)
        QTest.keyClicks(dialog.new, "password")
        QTest.keyClicks(dialog.confirm, "password")
        seen["weak_enabled"] = dialog.ok.isEnabled()
        dialog.new.clear()
        dialog.confirm.clear()
        QTest.keyClicks(dialog.new, NEW_PASSPHRASE)
        QTest.keyClicks(dialog.confirm, NEW_PASSPHRASE)
        dialog.confirm.setFocus()
        QTest.keyClick(dialog.confirm, Qt.Key.Key_Return)  # Enter accepts, like the button

    _when_dialog_opens(window, weak_is_refused_then_good)
    window.change_passphrase_action.trigger()
    assert seen["weak_enabled"] is False
    assert "Passphrase changed" in window.notice.text.text()

    window.lock_action.trigger()
    unlock_with_keyboard(qtbot, window, PASSPHRASE)  # the old one no longer works
    assert window.workspace is None
    assert "does not open this vault" in window.unlock_page.message.text.text()
    unlock_with_keyboard(qtbot, window, NEW_PASSPHRASE)
    assert window.workspace is not None
