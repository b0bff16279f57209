"""The case workspace: the case list on the left, the chosen case on the right.

Built by the main window at every unlock and destroyed at every lock, so nothing that
shows a record survives a lock: every model, dialog, menu and action here is a child of
the workspace. ``prepare_lock`` runs first and queues a save of any note being typed.

Other parts of the application (decisions, the emergency path, export, settings) plug
in through the contract in ``desktop_app/ui/extensions.py``; the methods they may use
are grouped under "extension API" below.

All vault access goes through ``runner.submit`` to the store thread; results come back
as callbacks. A result meant for a case that is no longer shown is dropped (each case
load carries a generation number).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app import APP_NAME
from desktop_app.domain.records import Attachment, Case, ChronologyEntry, Draft, Note, Person, SearchHit
from desktop_app.errors import CaseNotesError
from desktop_app.services import case_records
from desktop_app.ui import extensions, presentation
from desktop_app.ui.attachment_viewer import AttachmentViewer
from desktop_app.ui.case_details_dialog import CaseDetailsDialog
from desktop_app.ui.case_list_panel import CaseListPanel
from desktop_app.ui.case_status_dialog import CaseStatusDialog
from desktop_app.ui.case_view import CaseView
from desktop_app.ui.drafts_dialog import DraftsDialog
from desktop_app.ui.mark_in_error_dialog import MarkInErrorDialog
from desktop_app.ui.models.chronology_model import ChronologyModel
from desktop_app.ui.new_case_dialog import NewCaseDialog
from desktop_app.ui.note_detail import NoteDetailDialog
from desktop_app.ui.note_editor import NoteEditor
from desktop_app.ui.person_dialog import PersonDialog
from desktop_app.ui.search_panel import SearchPanel
from desktop_app.ui.widgets import icons
from desktop_app.ui.widgets.message_area import MessageArea

NO_CASES_YET = (
    "This vault has no cases yet.\n\nCreate the first with Case ▸ New case (Ctrl+Shift+N). Each case is "
    "about one child or young person; you then add the people around them, notes and attachments."
)

if TYPE_CHECKING:
    from desktop_app.ui.main_window import MainWindow

NO_CASE = (
    "Choose a case from the list to see its chronology, people and attachments "
    "(Ctrl+1 moves to the list; Enter opens the case).\n\n"
    "New case: Case ▸ New case (Ctrl+Shift+N). Search every note: Ctrl+F."
)


class CaseWorkspace(QWidget):
    case_changed = Signal(object)  # case id or None
    locking = Signal()  # emitted by prepare_lock, before the connection closes

    def __init__(self, window: MainWindow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        if window.vault is None:
            raise CaseNotesError("The vault is locked.", "Unlock it and try again.")
        self.window = window  # type: ignore[assignment,method-assign] - the contract's name
        self.runner = window.runner
        self.vault = window.vault
        self.case: Case | None = None
        self._case_id: int | None = None
        self._generation = 0
        self._openers: dict[str, Callable[[int], None]] = {}
        self._case_actions: list[QAction] = []
        self._menus: list[QMenu] = []
        self._toolbar_actions: list[QAction] = []
        self._editors: list[NoteEditor] = []
        self._note_dialogs: dict[int, NoteDetailDialog] = {}
        self._torn_down = False
        self._shown_once = False
        self._title = window.windowTitle()
        self.is_demo = False
        self.demo_banner: QWidget | None = None

        self.message = MessageArea()
        self.cases = CaseListPanel(self.runner, self.vault)
        self.search = SearchPanel(self.runner, self.vault)
        self.left = QTabWidget()
        self.left.addTab(self.cases, "Cases")
        self.left.addTab(self.search, "Search")
        self.case_view = CaseView()
        self.no_case = QLabel(NO_CASE)
        self.no_case.setWordWrap(True)
        self.no_case.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.no_case.setMargin(24)
        self.right = QStackedWidget()
        self.right.addWidget(self.no_case)
        self.right.addWidget(self.case_view)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.left)
        splitter.addWidget(self.right)
        splitter.setStretchFactor(1, 1)
        # The case is where the work is: at 1366x768 the chronology needs room for its
        # Summary column (what the note says), so the list takes about a third. The
        # list's Child column stretches, and each row's tooltip has the full name.
        splitter.setSizes([440, 920])
        splitter.setChildrenCollapsible(False)
        self.splitter = splitter
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.message)
        layout.addWidget(splitter, 1)

        self._build_actions()
        self._connect()
        # Left to right, top to bottom: the list's tabs and filters, the list, then the case.
        chain = [
            self.left.tabBar(),
            self.cases.status,
            self.cases.text,
            self.cases.key_worker,
            self.cases.view,
            self.cases.new_button,
            self.cases.demo_button,
            self.case_view.tabs.tabBar(),
        ]
        for first, second in zip(chain, chain[1:], strict=False):
            QWidget.setTabOrder(first, second)
        self.register_chronology_opener("note", lambda note_id: self.open_note(None, note_id))
        self.register_chronology_opener("attachment", self.open_attachment)
        self.register_chronology_opener("case_details", lambda _change_id: self.edit_case_details())
        self._label_demo()
        extensions.install_all(self)
        self._update_case_actions()
        self._offer_drafts()

    # -- building ----------------------------------------------------------------------------
    def _action(self, text: str, slot: Callable[[], Any], shortcut: str = "", tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(f"{tip} ({shortcut})" if shortcut else tip)
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def _build_actions(self) -> None:
        self.new_case_action = self._action("&New case…", self.new_case, "Ctrl+Shift+N", "Open a new case")
        self.new_note_action = self._action("New &note…", self.new_note, "Ctrl+N", "Write a note on this case")
        self.new_note_action.setIcon(icons.note())
        self.add_person_action = self._action(
            "Add &person…", self.add_person, tip="Add someone around the child to this case"
        )
        self.add_attachment_action = self._action(
            "Add &attachment…", self.add_attachment, tip="Keep a photo, letter or document, encrypted, on this case"
        )
        self.add_attachment_action.setIcon(icons.paperclip())
        self.case_status_action = self._action(
            "C&lose or reopen case…", self.change_case_status, tip="Close this case with the reason, or reopen it"
        )
        self.edit_case_action = self._action(
            "&Edit case details…",
            self.edit_case_details,
            tip="Correct the reference, the child's details or the key worker, with the reason",
        )
        self.drafts_action = self._action(
            "Unsaved &drafts…", self.show_drafts, tip="Notes you started but did not save"
        )
        self.search_action = self._action("&Search notes…", self.focus_search, "Ctrl+F", "Search every note")
        self.go_cases_action = self._action("Case &list", self.focus_cases, "Ctrl+1")
        self.go_chronology_action = self._action("&Chronology", lambda: self._go_tab(CaseView.CHRONOLOGY), "Ctrl+2")
        self.go_people_action = self._action("&People", lambda: self._go_tab(CaseView.PEOPLE), "Ctrl+3")
        self.go_attachments_action = self._action("&Attachments", lambda: self._go_tab(CaseView.ATTACHMENTS), "Ctrl+4")

        self.case_menu = QMenu("&Case", self)
        self.case_menu.addAction(self.new_case_action)
        self.case_menu.addSeparator()
        self.note_menu = QMenu("&Note", self)
        self.note_menu.addAction(self.new_note_action)
        self.note_menu.addAction(self.drafts_action)
        self.go_menu = QMenu("&Go", self)
        for action in (self.search_action, self.go_cases_action):
            self.go_menu.addAction(action)
        self.go_menu.addSeparator()
        for action in (self.go_chronology_action, self.go_people_action, self.go_attachments_action):
            self.go_menu.addAction(action)
        for menu in (self.case_menu, self.note_menu, self.go_menu):
            self.add_menu(menu)
        # New note is the case toolbar's first button; adding people and attachments
        # lives in their tabs (and the Case menu), leaving the toolbar room for the
        # actions other parts add.
        self.add_case_action(self.new_note_action)
        for action in (
            self.edit_case_action,
            self.add_person_action,
            self.add_attachment_action,
            self.case_status_action,
        ):
            self._case_actions.append(action)
            self.case_menu.addAction(action)
            action.setEnabled(False)

    def _connect(self) -> None:
        self.cases.case_selected.connect(self.show_case)
        self.cases.case_activated.connect(self._case_activated)
        self.cases.new_case_requested.connect(self.new_case)
        self.cases.demo_requested.connect(self._explore_demo)
        self.cases.failed.connect(self.show_error)
        self.cases.model.loading_changed.connect(lambda _loading: self._update_no_case())
        self.search.hit_activated.connect(self._hit_activated)
        self.search.failed.connect(self.show_error)
        self.case_view.chronology.entry_activated.connect(self._entry_activated)
        self.case_view.chronology.failed.connect(self.show_error)
        self.case_view.people.add_requested.connect(self.add_person)
        self.case_view.people.edit_requested.connect(self.edit_person)
        self.case_view.attachments.add_requested.connect(self.add_attachment)
        self.case_view.attachments.open_requested.connect(lambda a: self.open_attachment(a.id))

    def _label_demo(self) -> None:
        from desktop_app.ui.demo_vault import DEMO_PASSPHRASE, demo_vault_dir, is_demo_vault
        from desktop_app.ui.demo_vault import same_folder as _same_folder

        self.is_demo = is_demo_vault(self.vault)
        if not self.is_demo:
            return
        self.window.setWindowTitle(f"{APP_NAME} — DEMO — fictional data")
        banner = QFrame()
        banner.setObjectName("demo-banner")
        banner.setStyleSheet(
            "QFrame#demo-banner { background: #fff4c2; border: 2px solid #5b3a00; border-radius: 4px; }"
            " QLabel { color: #3b2600; }"
        )
        icon = QLabel()
        icon.setPixmap(icons.demo().pixmap(28, 28))
        # The fixed passphrase is only true of the application's own demo folder; a vault
        # filled with `casenotes demo` has whatever passphrase its maker chose.
        own_demo = _same_folder(self.vault.folder.path, demo_vault_dir())
        passphrase = (
            f"Its passphrase is <b>{html.escape(DEMO_PASSPHRASE)}</b> (shown because nothing in it is real). "
            if own_demo
            else ""
        )
        text = QLabel(
            "<b>DEMO — fictional data.</b> This is a practice vault of invented cases: never "
            f"record a real child here. {passphrase}Lock (Ctrl+L) to leave it."
        )
        text.setWordWrap(True)
        row = QHBoxLayout(banner)
        row.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(text, 1)
        banner.setAccessibleName("Demo vault: fictional data only")
        self.window.banner_layout.addWidget(banner)
        self.demo_banner = banner

    def _explore_demo(self) -> None:
        from desktop_app.ui.demo_vault import explore_demo_vault

        explore_demo_vault(self.window)

    def own_dialog(self, dialog: QWidget) -> QWidget:
        """Make a dialog (a child of this workspace) be deleted when closed, and carry
        the Lock action, so Ctrl+L locks from it whatever the action's shortcut context."""
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        lock_action = getattr(self.window, "lock_action", None)
        if isinstance(lock_action, QAction):
            dialog.addAction(lock_action)
        return dialog

    # -- extension API -------------------------------------------------------------------------
    def current_case_id(self) -> int | None:
        return self._case_id

    def add_case_action(self, action: QAction) -> None:
        """An action about the shown case: in the case toolbar and the Case menu, enabled
        only while a case is shown."""
        self._case_actions.append(action)
        self.case_view.add_action(action)
        self.case_menu.addAction(action)
        action.setEnabled(self._case_id is not None)

    def add_menu(self, menu: QMenu) -> None:
        """A menu in the menu bar (before Help), removed when the workspace goes."""
        bar = self.window.menuBar()
        help_menu = getattr(self.window, "help_menu", None)
        if isinstance(help_menu, QMenu):
            bar.insertMenu(help_menu.menuAction(), menu)
        else:
            bar.addMenu(menu)
        self._menus.append(menu)

    def add_toolbar_action(self, action: QAction) -> None:
        """An action on the main toolbar, removed when the workspace goes."""
        self.window.toolbar.addAction(action)
        self._toolbar_actions.append(action)

    def register_chronology_opener(self, kind: str, callback: Callable[[int], None]) -> None:
        """Enter or double-click on a chronology entry of ``kind`` calls ``callback(item_id)``."""
        self._openers[kind] = callback

    def refresh_case(self, case_id: int | None = None) -> None:
        """Reload what the case view shows (and the list's counts) after a change."""
        if case_id is not None and case_id != self._case_id:
            self.cases.reload(select=self._case_id)
            return
        if self._case_id is not None:
            self._load_case(self._case_id, reload_chronology=True)
        self.cases.reload(select=self._case_id)
        for dialog in list(self._note_dialogs.values()):
            if shiboken6.isValid(dialog):
                dialog.reload()

    def show_error(self, exc: BaseException) -> None:
        self.message.show_error(exc)

    def show_message(self, kind: str, text: str) -> None:
        self.message.show_message(kind, text)

    # -- the case shown ----------------------------------------------------------------------------
    def show_case(self, case_id: int | None) -> None:
        if case_id == self._case_id:
            return
        self._case_id = case_id
        self.case = None
        self._generation += 1
        self.message.clear()  # a message was about what was on screen before
        if case_id is None:
            self.right.setCurrentWidget(self.no_case)
            self.case_view.chronology.set_model(None)
        else:
            self.right.setCurrentWidget(self.case_view)
            self.case_view.heading.setText("<h2>Loading the case…</h2>")
            self.case_view.details.clear()
            self.case_view.people.set_people([])
            self.case_view.attachments.set_attachments([])
            self._load_case(case_id, reload_chronology=True)
        self._update_case_actions()
        self.search.set_current_case(case_id, "")
        self.case_changed.emit(case_id)

    def _load_case(self, case_id: int, *, reload_chronology: bool) -> None:
        generation, vault = self._generation, self.vault
        if reload_chronology:
            model = ChronologyModel(self.runner, vault, case_id, parent=self)
            self.case_view.chronology.set_model(model)
            model.fetchMore()

        def work() -> tuple[Case, list[Person], list[Attachment]]:
            return (
                case_records.get_case(vault, case_id),
                case_records.list_people(vault, case_id),
                case_records.list_attachments(vault, case_id),
            )

        self.runner.submit(work, lambda result: self._case_loaded(generation, result), self.show_error)

    def _case_loaded(self, generation: int, result: tuple[Case, list[Person], list[Attachment]]) -> None:
        if generation != self._generation:
            return
        case, people, attachments = result
        self.case = case
        self.case_view.show_case(case)
        self.case_view.people.set_people(people)
        self.case_view.attachments.set_attachments(attachments)
        self.search.set_current_case(case.id, case.reference)

    def _update_no_case(self) -> None:
        model = self.cases.model
        empty = model.exhausted and not model.loading and model.rowCount() == 0 and not model.filtered
        self.no_case.setText(NO_CASES_YET if empty else NO_CASE)

    def _update_case_actions(self) -> None:
        has_case = self._case_id is not None
        for action in self._case_actions:
            if shiboken6.isValid(action):
                action.setEnabled(has_case)
        for action in (self.go_chronology_action, self.go_people_action, self.go_attachments_action):
            action.setEnabled(has_case)

    def _case_activated(self, case_id: int) -> None:
        self.show_case(case_id)
        self.case_view.show_tab(self.case_view.tabs.currentIndex())

    # -- navigation ------------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if not self._shown_once:
            self._shown_once = True
            # Focus where work starts: the case list (or "New case" when there is none),
            # not whatever happened to follow the unlock page's passphrase field.
            QTimer.singleShot(0, self, self._initial_focus)

    def _initial_focus(self) -> None:
        focus = QApplication.focusWidget()
        if focus is not None and focus is not self.left.tabBar() and self.isAncestorOf(focus):
            return
        model = self.cases.model
        if model.rowCount() == 0 and not model.exhausted:
            # The first page is still on its way from the store thread: whether the list
            # or "New case" gets the focus depends on what it holds, so decide then.
            model.loading_changed.connect(self._focus_when_listed)
            return
        if self.cases.view.isVisible():
            # The find box, not the list: focusing the list would open its first case
            # before anyone chose one.
            self.cases.text.setFocus()
        else:
            self.cases.new_button.setFocus()

    def _focus_when_listed(self, loading: bool) -> None:
        if loading:
            return
        self.cases.model.loading_changed.disconnect(self._focus_when_listed)
        self._initial_focus()

    def focus_cases(self) -> None:
        self.left.setCurrentWidget(self.cases)
        self.cases.focus_list()

    def focus_search(self) -> None:
        self.left.setCurrentWidget(self.search)
        self.search.focus_query()

    def _go_tab(self, index: int) -> None:
        if self._case_id is not None:
            self.case_view.show_tab(index)

    # -- cases -------------------------------------------------------------------------------------
    def new_case(self) -> None:
        dialog = NewCaseDialog(self.runner, self.vault, parent=self)
        self.own_dialog(dialog)
        dialog.saved.connect(self._case_created)
        dialog.open()

    def _case_created(self, case: Case) -> None:
        self.left.setCurrentWidget(self.cases)
        if self.cases.model.filtered or self.cases.key_worker.text():
            self.cases.clear_filters()
        self.cases.reload(select=case.id)
        self.show_case(case.id)
        self.show_message("info", f"Case {case.reference} opened. Add the people around the child, then notes.")
        self.case_view.show_tab(CaseView.CHRONOLOGY)

    def change_case_status(self) -> None:
        if self.case is None:
            return
        dialog = CaseStatusDialog(self.runner, self.vault, self.case, parent=self)
        self.own_dialog(dialog)
        dialog.saved.connect(self._case_status_changed)
        dialog.open()

    def edit_case_details(self) -> None:
        if self.case is None:
            return
        dialog = CaseDetailsDialog(self.runner, self.vault, self.case, parent=self)
        self.own_dialog(dialog)
        dialog.saved.connect(self._case_details_saved)
        dialog.open()

    def _case_details_saved(self, case: Case) -> None:
        self.refresh_case(case.id)
        self.show_message(
            "info",
            f"Case {case.reference}: details saved. The earlier details and your reason are kept in the "
            "case's history and chronology.",
        )

    def _case_status_changed(self, case: Case) -> None:
        self.refresh_case(case.id)
        self.show_message("info", f"Case {case.reference} {'reopened' if case.is_open else 'closed'}.")

    # -- people ------------------------------------------------------------------------------------
    def add_person(self) -> None:
        if self._case_id is None:
            return
        dialog = PersonDialog(self.runner, self.vault, self._case_id, parent=self)
        self.own_dialog(dialog)
        dialog.saved.connect(lambda person: self._person_saved(person, added=True))
        dialog.open()

    def edit_person(self, person: Person) -> None:
        dialog = PersonDialog(self.runner, self.vault, person.case_id, person=person, parent=self)
        self.own_dialog(dialog)
        dialog.saved.connect(lambda saved: self._person_saved(saved, added=False))
        dialog.open()

    def _person_saved(self, person: Person, *, added: bool) -> None:
        self.refresh_case(person.case_id)
        protected = f" {presentation.PROTECTED_IDENTITY}." if person.protect_identity else ""
        self.show_message("info", f"{person.name} {'added' if added else 'updated'}.{protected}")
        self.case_view.show_tab(CaseView.PEOPLE)

    # -- notes -------------------------------------------------------------------------------------
    def new_note(self) -> None:
        if self._case_id is not None:
            self._open_editor(self._case_id)

    def _open_editor(self, case_id: int, *, note_id: int | None = None, draft: Draft | None = None) -> None:
        vault = self.vault

        def work() -> tuple[Case, list[Person], Note | None]:
            note = case_records.get_note(vault, note_id) if note_id is not None else None
            return case_records.get_case(vault, case_id), case_records.list_people(vault, case_id), note

        self.runner.submit(work, lambda result: self._show_editor(*result, draft=draft), self.show_error)

    def _show_editor(self, case: Case, people: list[Person], note: Note | None, *, draft: Draft | None) -> None:
        if self._torn_down:
            return
        editor = NoteEditor(self.runner, self.vault, case, people, note=note, draft=draft, parent=self)
        self.own_dialog(editor)
        editor.saved.connect(self._note_saved)
        editor.destroyed.connect(lambda *_: self._forget_editor(editor))
        self._editors.append(editor)
        editor.show()
        editor.raise_()
        editor.activateWindow()

    def _forget_editor(self, editor: NoteEditor) -> None:
        if editor in self._editors:
            self._editors.remove(editor)

    def open_editors(self) -> list[NoteEditor]:
        return [e for e in self._editors if shiboken6.isValid(e)]

    def _note_saved(self, note: Note) -> None:
        self.refresh_case(note.case_id)
        what = "Amendment saved" if note.is_amended else "Note saved"
        self.show_message(
            "info", f"{what}: {presentation.category(note.category)}, {presentation.local_time(note.occurred_at)}."
        )

    def open_note(self, case_id: int | None, note_id: int) -> NoteDetailDialog:
        """Open a note's detail view (and show its case, if given)."""
        if case_id is not None and case_id != self._case_id:
            self.show_case(case_id)
            self.cases.select_case(case_id)
        existing = self._note_dialogs.get(note_id)
        if existing is not None and shiboken6.isValid(existing):
            existing.show()
            existing.raise_()
            existing.activateWindow()
            return existing
        dialog = NoteDetailDialog(self.runner, self.vault, note_id, parent=self)
        self.own_dialog(dialog)
        dialog.amend_requested.connect(lambda note: self._open_editor(note.case_id, note_id=note.id))
        dialog.mark_requested.connect(self.mark_note)
        dialog.destroyed.connect(lambda *_: self._note_dialogs.pop(note_id, None))
        self._note_dialogs[note_id] = dialog
        dialog.show()
        return dialog

    def note_dialog(self, note_id: int) -> NoteDetailDialog | None:
        dialog = self._note_dialogs.get(note_id)
        return dialog if dialog is not None and shiboken6.isValid(dialog) else None

    def mark_note(self, note: Note) -> None:
        dialog = MarkInErrorDialog(self.runner, self.vault, note, parent=self)
        self.own_dialog(dialog)
        dialog.saved.connect(self._note_marked)
        dialog.open()

    def _note_marked(self, note: Note) -> None:
        self.refresh_case(note.case_id)
        self.show_message("info", "The note is marked as recorded in error. It stays in the chronology, marked.")

    def _hit_activated(self, hit: SearchHit) -> None:
        self.open_note(hit.case_id, hit.note_id)

    # -- chronology --------------------------------------------------------------------------------
    def _entry_activated(self, entry: ChronologyEntry) -> None:
        opener = self._openers.get(entry.kind)
        if opener is not None:
            opener(entry.item_id)
            return
        when = presentation.local_time(entry.occurred_at)
        if entry.kind == "case_status":
            reason = f" Reason: {entry.summary}" if entry.summary else ""
            self.show_message("info", f"{entry.title} on {when}.{reason}")
        else:
            self.show_message(
                "info",
                f"{presentation.kind_label(entry.kind)} of {when}: {entry.title}. There is nothing more to open "
                "for this kind of entry in this version.",
            )

    # -- attachments -------------------------------------------------------------------------------
    def ask_attachment_path(self) -> str:
        """The file to attach ('' if cancelled). Tests replace this method."""
        chosen, _ = QFileDialog.getOpenFileName(self, "Add an attachment", str(Path.home()))
        return chosen

    def add_attachment(self) -> None:
        case_id = self._case_id
        if case_id is None:
            return
        chosen = self.ask_attachment_path()
        if not chosen:
            return
        vault, path = self.vault, Path(chosen)
        self.message.show_message("info", f"Adding {path.name}…")
        self.runner.submit(
            lambda: case_records.add_attachment_file(vault, case_id, path),
            self._attachment_added,
            self.show_error,
        )

    def _attachment_added(self, attachment: Attachment) -> None:
        self.refresh_case(attachment.case_id)
        self.show_message(
            "info",
            f"{attachment.filename} ({presentation.size_text(attachment.size)}) added, encrypted in the vault. "
            "The file you chose is unchanged; delete it if it should not stay on this computer.",
        )
        self.case_view.show_tab(CaseView.ATTACHMENTS)

    def open_attachment(self, attachment_id: int) -> None:
        vault = self.vault
        self.runner.submit(
            lambda: case_records.read_attachment(vault, attachment_id), self._show_attachment, self.show_error
        )

    def _show_attachment(self, result: tuple[Attachment, bytes]) -> None:
        if self._torn_down:
            return
        attachment, data = result
        viewer = AttachmentViewer(attachment, data, parent=self)
        self.own_dialog(viewer)
        viewer.setObjectName("attachment-viewer")
        viewer.show()

    # -- drafts ------------------------------------------------------------------------------------
    def _offer_drafts(self, *, always: bool = False) -> None:
        vault = self.vault

        def work() -> tuple[list[Draft], dict[int, Case]]:
            drafts = case_records.list_drafts(vault)
            cases: dict[int, Case] = {}
            for draft in drafts:
                if draft.case_id is not None and draft.case_id not in cases:
                    cases[draft.case_id] = case_records.get_case(vault, draft.case_id)
            return drafts, cases

        self.runner.submit(work, lambda result: self._drafts_found(*result, always=always), self.show_error)

    def _drafts_found(self, drafts: list[Draft], cases: dict[int, Case], *, always: bool) -> None:
        if self._torn_down:
            return
        if not drafts:
            if always:
                self.show_message("info", "There are no unsaved drafts.")
            return
        dialog = DraftsDialog(self.runner, self.vault, drafts, cases, parent=self)
        self.own_dialog(dialog)
        dialog.setObjectName("drafts-dialog")
        dialog.resume_requested.connect(self.resume_draft)
        self.drafts_dialog = dialog
        dialog.show()

    def show_drafts(self) -> None:
        self._offer_drafts(always=True)

    def resume_draft(self, draft: Draft) -> None:
        if draft.case_id is None:
            self.show_message("warning", "This draft is not linked to a case, so it cannot be continued here.")
            return
        self.show_case(draft.case_id)
        self.cases.select_case(draft.case_id)
        self._open_editor(draft.case_id, note_id=draft.note_id, draft=draft)

    # -- locking -----------------------------------------------------------------------------------
    def prepare_lock(self) -> None:
        """Called by the main window before it locks: keep what is being typed as drafts
        (queued on the store thread, so they are saved before the connection closes),
        then take this workspace's menus, toolbar actions and title away."""
        for editor in self.open_editors():
            editor.prepare_lock()
        self.locking.emit()
        self._teardown()

    def _teardown(self) -> None:
        if self._torn_down:
            return
        self._torn_down = True
        bar = self.window.menuBar()
        for menu in self._menus:
            if shiboken6.isValid(menu):
                bar.removeAction(menu.menuAction())
        for action in self._toolbar_actions:
            if shiboken6.isValid(action):
                self.window.toolbar.removeAction(action)
        self._menus.clear()
        self._toolbar_actions.clear()
        if self.is_demo:
            self.window.setWindowTitle(self._title)
