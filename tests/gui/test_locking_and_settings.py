"""Managed-desktop behaviour in the real main window (issue 7): idle lock closes the
connection and clears every record widget; the settings screen shows what the
organisation set, read-only, and cannot loosen it; every copy made inside the
application is marked sensitive and cleared, or refused when policy forbids copying."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QVBoxLayout, QWidget

from desktop_app.domain.policy import UserSettings, parse_policy
from desktop_app.services.settings import effective, load_user_settings, save_user_settings
from desktop_app.store.vault import VaultFolder
from desktop_app.ui.clipboard import TOKEN_FORMAT
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.settings_dialog import SET_BY_ORGANISATION, SettingsDialog

PASSPHRASE = "correct horse battery staple"
OWNER = "Robin Idlecheck"


@pytest.fixture
def vault_path(tmp_path: Path) -> Path:
    created = VaultFolder.create(tmp_path / "vault", PASSPHRASE, owner_name=OWNER, organisation_name="Oak Lane School")
    created.vault.close()
    created.folder.release()
    return tmp_path / "vault"


def record_workspace(window: MainWindow) -> QWidget:
    """A stand-in workspace that shows a record, so the tests do not depend on the
    case screens: what matters here is that locking destroys whatever shows records."""
    workspace = QWidget()
    layout = QVBoxLayout(workspace)
    layout.addWidget(QLabel(f"Case note recorded by {OWNER}"))
    return workspace


@pytest.fixture
def window_factory(qtbot: Any) -> Iterator[Any]:
    windows: list[MainWindow] = []

    def make(path: Path, policy_json: dict[str, Any] | None = None) -> MainWindow:
        policy = parse_policy(json.dumps(policy_json).encode() if policy_json is not None else None)
        window = MainWindow(path, policy=policy, workspace_factory=record_workspace)
        qtbot.addWidget(window)
        window.show()
        window.start()
        window.unlock_page.secret.setText(PASSPHRASE)
        QTest.keyClick(window.unlock_page.secret, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: window.workspace is not None and not window.runner.busy, timeout=15_000)
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.close()


def visible_texts() -> str:
    texts = []
    for widget in QApplication.allWidgets():
        for getter in ("text", "toPlainText", "windowTitle"):
            method = getattr(widget, getter, None)
            if callable(method):
                try:
                    texts.append(str(method()))
                except (RuntimeError, TypeError):
                    pass
    return "\n".join(texts)


def test_idle_lock_closes_the_connection_and_clears_the_screen(
    qtbot: Any, window_factory: Any, vault_path: Path
) -> None:
    window = window_factory(vault_path)
    vault = window.vault
    assert OWNER in visible_texts()
    window.idle_watcher.set_timeout_ms(200)
    window.idle_watcher.start()
    qtbot.waitUntil(lambda: window.vault is None, timeout=5_000)
    assert vault.closed
    assert window.stack.currentWidget() is window.unlock_page
    assert "idle" in window.status.text()
    QApplication.processEvents()
    qtbot.wait(50)
    assert OWNER not in visible_texts()


def test_policy_caps_the_idle_lock_and_user_settings_cannot_loosen_it(window_factory: Any, vault_path: Path) -> None:
    window = window_factory(vault_path, {"schema_version": 1, "idle_lock_minutes": 3, "clipboard_allow_copy": False})
    assert window.settings.idle_lock_minutes == 3
    assert window.idle_watcher.remaining_ms() <= 3 * 60_000
    seen: dict[str, Any] = {}

    def save(user: Any, done: Any, failed: Any) -> None:
        seen["user"] = user
        done(None)

    dialog = SettingsDialog(window.policy, window.settings, window.vault.info, save, parent=window)
    assert dialog.idle.maximum() == 3  # the control cannot go past the policy
    dialog.idle.setValue(60)
    assert dialog.idle.value() == 3
    assert not dialog.allow_copy.isEnabled() and not dialog.allow_copy.isChecked()
    labels = [w.text() for w in dialog.findChildren(QLabel)]
    assert any("Copying is turned off" in t and SET_BY_ORGANISATION in t for t in labels)
    assert any("at most 3 minutes" in t for t in labels)
    dialog.close()


def test_settings_are_saved_in_the_vault_and_clamped_by_policy(
    qtbot: Any, window_factory: Any, vault_path: Path
) -> None:
    window = window_factory(vault_path, {"schema_version": 1, "idle_lock_minutes": 10})
    window.runner.run_now(lambda: save_user_settings(window.vault, UserSettings(idle_lock_minutes=45)))
    stored = window.runner.run_now(lambda: load_user_settings(window.vault))
    assert stored.idle_lock_minutes == 45  # what the person asked for is kept...
    assert (
        window.runner.run_now(lambda: effective(window.vault, window.policy)).idle_lock_minutes == 10
    )  # ...but policy wins


def test_any_copy_inside_the_app_is_marked_sensitive_and_cleared(
    qtbot: Any, window_factory: Any, vault_path: Path
) -> None:
    window = window_factory(vault_path, {"schema_version": 1, "clipboard_clear_seconds": 5})
    window.clipboard.set_policy(True, 5)
    window.clipboard._timer.setInterval(150)  # noqa: SLF001 - shorten the 5 s wait for the test
    field = QLineEdit("Child said ZQX-COPY-7 at lunch")
    window.workspace.layout().addWidget(field)
    field.setFocus()
    field.selectAll()
    QTest.keyClick(field, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    board = QGuiApplication.clipboard()
    qtbot.waitUntil(lambda: board.mimeData().hasFormat(TOKEN_FORMAT), timeout=2_000)
    assert board.text() == "Child said ZQX-COPY-7 at lunch"
    window.clipboard._timer.start(150)  # noqa: SLF001
    qtbot.waitUntil(lambda: board.text() == "", timeout=3_000)


def test_copy_is_refused_when_policy_forbids_it(qtbot: Any, window_factory: Any, vault_path: Path) -> None:
    window = window_factory(vault_path, {"schema_version": 1, "clipboard_allow_copy": False})
    field = QLineEdit("Child said ZQX-COPY-8 at lunch")
    window.workspace.layout().addWidget(field)
    field.setFocus()
    field.selectAll()
    QTest.keyClick(field, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    board = QGuiApplication.clipboard()
    qtbot.waitUntil(lambda: "Copying is turned off" in window.notice.text.text(), timeout=2_000)
    assert "ZQX-COPY-8" not in board.text()


def test_lock_clears_our_copy_from_the_clipboard(qtbot: Any, window_factory: Any, vault_path: Path) -> None:
    window = window_factory(vault_path)
    assert window.clipboard.copy("Note text ZQX-COPY-9")
    window.lock("manual")
    assert "ZQX-COPY-9" not in QGuiApplication.clipboard().text()


def test_a_broken_policy_file_never_stops_the_application_starting(
    qtbot: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, vault_path: Path
) -> None:
    """The real start-up path with a policy file that is not JSON: the window opens, says
    in words that some settings could not be used, and copying fails closed."""
    import desktop_app.logging_setup as logging_setup
    from desktop_app.app import run_application

    policy_file = tmp_path / "policy.json"
    policy_file.write_text("{not json", encoding="utf-8")
    monkeypatch.setenv("CASENOTES_POLICY_FILE", str(policy_file))
    monkeypatch.setattr(logging_setup, "default_log_dir", lambda: tmp_path / "logs")
    monkeypatch.setattr(logging_setup, "install_crash_hooks", lambda: None)
    monkeypatch.setattr(QApplication, "exec", lambda self: 0)  # return at once instead of running

    assert run_application(str(vault_path)) == 0
    windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.vault_dir == vault_path]
    assert len(windows) == 1
    window = windows[0]
    qtbot.addWidget(window)
    assert window.stack.currentWidget() is window.unlock_page
    assert window.notice.isVisibleTo(window)
    notice = window.notice.text.text()
    assert "could not be used" in notice and "the policy as a whole" in notice
    assert "stricter choice where the default is less strict" in notice
    assert window.settings.copy_forbidden and window.settings.minimise_lock_required
    log_text = "".join(p.read_text() for p in (tmp_path / "logs").glob("*.log"))
    assert "policy problem for key: whole-source" in log_text
    window.close()


def test_settings_name_the_settings_a_broken_policy_could_not_set(window_factory: Any, vault_path: Path) -> None:
    window = window_factory(
        vault_path,
        {"schema_version": 1, "idle_lock_minutes": "soon", "lock_on_minimise": "yes", "protective_marking": 12},
    )
    dialog = SettingsDialog(window.policy, window.settings, window.vault.info, lambda *a: None, parent=window)
    message = dialog.message.text.text()
    assert "Lock after idle" in message and "Lock when minimised" in message
    assert not dialog.minimise.isEnabled() and dialog.minimise.isChecked()  # failed closed
    labels = [w.text() for w in dialog.findChildren(QLabel)]
    assert any("value could not be used" in t for t in labels)  # not "set by your organisation"
    dialog.close()
