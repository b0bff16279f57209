"""How other parts of the application plug into the case workspace.

Decision records, the emergency path, export and settings each live in their own module
and add themselves to the workspace when it is built, the same way ``cli.py`` gathers
command modules. A listed module that does not exist yet is skipped.

The contract
============

Each module named in ``WORKSPACE_EXTENSIONS`` exposes::

    def install(workspace: CaseWorkspace) -> None: ...

``install`` is called **once per workspace**, right after it is built. A workspace is
built at every unlock and destroyed at every lock, so ``install`` runs again after each
unlock, on a fresh workspace: keep no state in the module between calls.

What ``CaseWorkspace`` (``desktop_app/ui/workspace.py``) offers:

``workspace.window``
    The ``MainWindow`` (its ``banner_layout`` takes banners, cleared on lock).
``workspace.runner``
    The ``BackgroundRunner``. **All** vault access goes through
    ``runner.submit(fn, on_done, on_error)``: ``fn`` runs on the single store thread,
    the callbacks on the UI thread. Never touch the vault on the UI thread.
``workspace.vault``
    The ``OpenVault`` to pass to the services.
``workspace.current_case_id() -> int | None``
    The case shown on the right, if any.
``workspace.case_changed``
    Signal(object): the case id, or None, whenever the shown case changes.
``workspace.add_case_action(action: QAction)``
    Shown in the case view's toolbar and the "Case" menu; enabled only while a case
    is shown (the workspace enables and disables it; do not fight it).
``workspace.add_menu(menu: QMenu)``
    Added to the menu bar (before Help) and removed when the workspace is destroyed.
    Parent the menu to the workspace.
``workspace.add_toolbar_action(action: QAction)``
    Added to the main toolbar (for example a prominent "Share now"); removed on lock.
``workspace.register_chronology_opener(kind: str, callback: Callable[[int], None])``
    Enter or double-click on a chronology entry of that ``kind`` calls
    ``callback(item_id)``. Entries of a kind with no opener are still listed (with a
    generic label and icon); opening one just says there is nothing more to show.
``workspace.refresh_case(case_id: int | None = None)``
    Reload the chronology, people and attachments (and the case list's counts) after
    recording something. ``None`` means the case shown now.
``workspace.show_error(exc)`` / ``workspace.show_message(kind, text)``
    The workspace's message area (``kind``: "error", "warning" or "info").
``workspace.open_note(case_id, note_id)``
    Show a case and open one of its notes (for links from decisions to notes).
``workspace.own_dialog(dialog)``
    For a dialog parented to the workspace: deletes it when closed and adds the Lock
    action to it, so Ctrl+L works while it is the active window. Returns the dialog.
``workspace.locking``
    Signal emitted by ``prepare_lock``, just before the lock closes the connection.

Rules for extensions:

* Parent every dialog, menu and action to the workspace (``parent=workspace``), so a
  lock destroys them with every other widget that shows a record. Open dialogs with
  ``open()`` or ``show()``, not ``exec()``: a lock can come at any moment.
* If the workspace has a ``prepare_lock`` hook you need (to save something before the
  connection closes), connect to ``workspace.locking`` (a signal emitted by
  ``prepare_lock``) and only *queue* work with ``runner.submit`` there.
* An extension that raises while installing is reported in the workspace's message area
  and skipped; the rest of the workspace still works.

Example (``desktop_app/ui/decisions_ext.py``)::

    from PySide6.QtGui import QAction

    def install(workspace):
        action = QAction("Record a &decision…", workspace)
        action.triggered.connect(lambda: DecisionWizard(workspace, workspace.current_case_id()).open())
        workspace.add_case_action(action)
        workspace.register_chronology_opener("decision", lambda item_id: open_decision(workspace, item_id))
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING

from desktop_app.errors import CaseNotesError

if TYPE_CHECKING:
    from desktop_app.ui.workspace import CaseWorkspace

log = logging.getLogger(__name__)

WORKSPACE_EXTENSIONS = (
    "desktop_app.ui.decisions_ext",
    "desktop_app.ui.emergency_ext",
    "desktop_app.ui.export_ext",
    "desktop_app.ui.settings_ext",
)


def install_all(workspace: CaseWorkspace) -> list[str]:
    """Install every extension that exists into ``workspace``; the names installed."""
    installed: list[str] = []
    for name in WORKSPACE_EXTENSIONS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue  # not written yet
            _failed(workspace, name, exc)
            continue
        except Exception as exc:  # noqa: BLE001 - one broken part must not stop the unlock
            _failed(workspace, name, exc)
            continue
        try:
            module.install(workspace)
        except Exception as exc:  # noqa: BLE001 - as above; reported, not hidden
            _failed(workspace, name, exc)
            continue
        installed.append(name)
    return installed


def _failed(workspace: CaseWorkspace, name: str, exc: BaseException) -> None:
    # Only the module and the error's type are logged: an extension's message could
    # quote a record, and logs are plaintext.
    log.error("workspace extension %s failed to install: %s", name, type(exc).__name__)
    part = name.rsplit(".", 1)[-1].removesuffix("_ext").replace("_", " ")
    if isinstance(exc, CaseNotesError):
        workspace.show_error(exc)
    else:
        workspace.show_message(
            "warning",
            f"The {part} part of the application could not be loaded, so its menus are missing. "
            "Your records are not affected. Please tell your IT support.",
        )
