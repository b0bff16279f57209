"""Decisions in the case workspace: the sharing wizard, requests received, the consent
register, feedback from recipients, and the chronology openers for those kinds.

``install(workspace)`` is called once per workspace (see ``ui/extensions.py``). It adds a
"Decisions" menu and case actions ("Decide whether to share…" is Ctrl+D and on the main
toolbar), the "Awaiting feedback" list for the whole vault, "Resume unfinished
decision…", and opens decisions, requests, consent entries and feedback from the
chronology. Everything is parented to the workspace, so a lock destroys it; all vault
access goes through ``workspace.runner``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.domain.decision_record import (
    ConsentEntry,
    Decision,
    Feedback,
    InformationRequest,
    WizardPrefill,
    WizardState,
)
from desktop_app.services import decisions as decision_service
from desktop_app.ui.consent_dialog import ConsentDialog
from desktop_app.ui.decision_view import DecisionView, local_time
from desktop_app.ui.decision_wizard import POST_STEP_TITLES, DecisionWizard, open_decision_wizard
from desktop_app.ui.feedback_dialog import AwaitingFeedbackDialog, FeedbackDialog
from desktop_app.ui.request_dialog import RequestDialog
from desktop_app.ui.widgets.message_area import MessageArea

KINDS = ("decision", "request", "consent", "feedback")


def install(workspace: Any) -> None:
    """Add decisions to a freshly built workspace."""
    workspace.decisions = DecisionsExtension(workspace)


def _step_title(step: str) -> str:
    from desktop_app.domain import wizard_flow as wf

    if step in POST_STEP_TITLES:
        return POST_STEP_TITLES[step]
    try:
        return wf.question(step).step
    except KeyError:
        return step


class UnfinishedDecisionsDialog(QDialog):
    """The unfinished decisions of a case, to resume or discard."""

    def __init__(self, states: list[WizardState], parent: QWidget) -> None:
        super().__init__(parent)
        self.setWindowTitle("Unfinished sharing decisions")
        self.resize(720, 420)
        self.states = states
        self.chosen: WizardState | None = None
        self.discard_requested: Callable[[WizardState], None] | None = None
        intro = QLabel(
            "These decisions were started on this case and not finished. Your answers were kept, encrypted in "
            "the vault. Resume one to carry on where you left off."
        )
        intro.setWordWrap(True)
        self.message = MessageArea()
        self.list = QListWidget()
        self.list.setAccessibleName("Unfinished decisions")
        self.list.setWordWrap(True)
        self.list.itemActivated.connect(lambda _i: self._resume())
        self.resume_button = QPushButton("&Resume")
        self.discard_button = QPushButton("&Discard…")
        buttons = QDialogButtonBox()
        buttons.addButton(self.resume_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.discard_button, QDialogButtonBox.ButtonRole.DestructiveRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self.resume_button.clicked.connect(self._resume)
        self.discard_button.clicked.connect(self._discard)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.message)
        layout.addWidget(self.list, 1)
        layout.addWidget(buttons)
        self.show_states(states)

    def show_states(self, states: list[WizardState]) -> None:
        self.states = states
        self.list.clear()
        for state in states:
            kind = "Correction" if state.supersedes_id is not None else "Decision"
            item = QListWidgetItem(
                f"{kind} started {local_time(state.created_at)}, last saved {local_time(state.updated_at)} — at "
                f"“{_step_title(state.step)}”. Purpose: {state.title}"
            )
            self.list.addItem(item)
        if states:
            self.list.setCurrentRow(0)
            self.list.setFocus()
        else:
            self.list.addItem("No unfinished decisions on this case.")
        self.resume_button.setEnabled(bool(states))
        self.discard_button.setEnabled(bool(states))

    def selected(self) -> WizardState | None:
        row = self.list.currentRow()
        return self.states[row] if 0 <= row < len(self.states) else None

    def _resume(self) -> None:
        self.chosen = self.selected()
        if self.chosen is not None:
            self.accept()

    def _discard(self) -> None:
        state = self.selected()
        if state is None:
            return
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Discard the unfinished decision?",
            "Its answers will be deleted from the vault. Nothing has been recorded from it, so no record is lost.",
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)

        def answered(result: int) -> None:
            if result == QMessageBox.StandardButton.Discard and self.discard_requested is not None:
                self.discard_requested(state)

        box.finished.connect(answered)
        box.open()
        self.confirm_box = box


class DecisionsExtension(QObject):
    """The actions, menu and chronology openers; one per workspace."""

    def __init__(self, workspace: Any) -> None:
        parent = workspace if isinstance(workspace, QWidget) else workspace.window
        super().__init__(parent)
        self.workspace = workspace
        self.parent_widget: QWidget = parent
        self.runner = workspace.runner
        self.vault = workspace.vault

        self.decide_action = self._action(
            "&Decide whether to share…", self.decide, "Ctrl+D", "Walk through the guidance and record your decision"
        )
        self.resume_action = self._action("Res&ume unfinished decision…", self.resume)
        self.request_action = self._action(
            "Record a &request received…", self.record_request, tip="Another agency asked for information"
        )
        self.consent_action = self._action("Record &consent…", self.record_consent, tip="The consent register")
        self.feedback_action = self._action(
            "Record &feedback…", self.record_feedback, tip="What the recipient did with what was shared"
        )
        self.awaiting_action = self._action(
            "&Awaiting feedback…", self.show_awaiting, tip="Decisions to share with no feedback yet, in every case"
        )
        for action in (
            self.decide_action,
            self.resume_action,
            self.request_action,
            self.consent_action,
            self.feedback_action,
        ):
            workspace.add_case_action(action)
        self.menu = QMenu("D&ecisions", self.parent_widget)
        for action in (self.decide_action, self.resume_action):
            self.menu.addAction(action)
        self.menu.addSeparator()
        for action in (self.request_action, self.consent_action, self.feedback_action):
            self.menu.addAction(action)
        self.menu.addSeparator()
        self.menu.addAction(self.awaiting_action)
        workspace.add_menu(self.menu)
        workspace.add_toolbar_action(self.decide_action)
        workspace.register_chronology_opener("decision", self.open_decision)
        workspace.register_chronology_opener("request", self.open_request)
        workspace.register_chronology_opener("consent", self.open_consent_entry)
        workspace.register_chronology_opener("feedback", self.open_feedback)
        workspace.case_changed.connect(self._case_changed)
        self.dialogs: list[QWidget] = []

    def _action(self, text: str, slot: Callable[[], Any], shortcut: str = "", tip: str = "") -> QAction:
        action = QAction(text, self.parent_widget)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(f"{tip} ({shortcut})" if shortcut else tip)
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def _case(self) -> int | None:
        case_id = self.workspace.current_case_id()
        if case_id is None:
            self.workspace.show_message("info", "Choose a case first.")
        return case_id  # type: ignore[no-any-return]

    def _keep(self, dialog: QWidget) -> QWidget:
        """Hold a reference while the dialog is open (it is parented to the workspace)."""
        self.dialogs = [d for d in self.dialogs if shiboken6.isValid(d) and d.isVisible()]
        self.dialogs.append(dialog)
        return dialog

    # -- the wizard -----------------------------------------------------------------------------
    def decide(self, prefill: WizardPrefill | None = None, *, request_id: int | None = None) -> DecisionWizard | None:
        case_id = self._case()
        if case_id is None:
            return None
        wizard = open_decision_wizard(
            self.workspace, case_id, self._decision_saved, prefill=prefill, request_id=request_id
        )
        self._keep(wizard)
        return wizard

    def _decision_saved(self, decision: Decision) -> None:
        self.workspace.refresh_case(decision.case_id)
        follow = (
            "" if decision.follows_recommendation else " It differs from the recommendation; your reason is recorded."
        )
        self.workspace.show_message(
            "info", f"Decision recorded: {decision.label}.{follow} It is in the case's chronology."
        )

    def resume(self) -> None:
        case_id = self._case()
        if case_id is None:
            return
        vault = self.vault
        self.runner.submit(
            lambda: decision_service.list_unfinished(vault, case_id), self._show_unfinished, self.workspace.show_error
        )

    def _show_unfinished(self, states: list[WizardState]) -> None:
        if not states:
            self.workspace.show_message("info", "There are no unfinished decisions on this case.")
            return
        dialog = UnfinishedDecisionsDialog(states, self.parent_widget)
        dialog.discard_requested = lambda state: self._discard(dialog, state)
        dialog.accepted.connect(lambda: self.resume_state(dialog.chosen) if dialog.chosen else None)
        self._keep(dialog)
        dialog.open()
        self.unfinished_dialog = dialog

    def resume_state(self, state: WizardState) -> DecisionWizard:
        wizard = open_decision_wizard(self.workspace, state.case_id, self._decision_saved, resume=state)
        self._keep(wizard)
        return wizard

    def _discard(self, dialog: UnfinishedDecisionsDialog, state: WizardState) -> None:
        vault, case_id = self.vault, state.case_id

        def work() -> list[WizardState]:
            decision_service.discard_unfinished(vault, state.id)
            return decision_service.list_unfinished(vault, case_id)

        self.runner.submit(work, dialog.show_states, dialog.message.show_error)

    def _case_changed(self, case_id: object) -> None:
        if not isinstance(case_id, int):
            return
        vault = self.vault

        def found(states: list[WizardState]) -> None:
            if states and self.workspace.current_case_id() == case_id:
                noun = "decision" if len(states) == 1 else "decisions"
                self.workspace.show_message(
                    "info",
                    f"{len(states)} unfinished sharing {noun} on this case: choose Decisions ▸ Resume unfinished "
                    "decision… to carry on.",
                )

        self.runner.submit(lambda: decision_service.list_unfinished(vault, case_id), found, lambda _e: None)

    # -- decisions ----------------------------------------------------------------------------------
    def open_decision(self, decision_id: int) -> DecisionView:
        view = DecisionView(
            self.parent_widget,
            self.runner,
            self.vault,
            decision_id,
            on_correct=self.correct,
            on_feedback=lambda decision: self.record_feedback(decision_id=decision.id),
            on_open_note=self._open_note,
        )
        self._keep(view)
        view.show()
        return view

    def _open_note(self, case_id: int, note_id: int) -> None:
        opener = getattr(self.workspace, "open_note", None)
        if callable(opener):
            opener(case_id, note_id)

    def correct(self, decision: Decision) -> DecisionWizard:
        wizard = open_decision_wizard(self.workspace, decision.case_id, self._decision_saved, supersedes=decision)
        self._keep(wizard)
        return wizard

    # -- requests -----------------------------------------------------------------------------------
    def record_request(self) -> RequestDialog | None:
        case_id = self._case()
        if case_id is None:
            return None
        return self._request_dialog(case_id, "new", None)

    def _request_dialog(self, case_id: int, mode: str, request: InformationRequest | None) -> RequestDialog:
        dialog = RequestDialog(
            self.runner,
            self.vault,
            case_id,
            request=request,
            mode=mode,
            open_wizard=self._wizard_for_request,
            parent=self.parent_widget,
        )
        dialog.saved.connect(self._request_saved)
        dialog.on_reconsider = lambda original: self._request_dialog(original.case_id, "reconsider", original)
        self._keep(dialog)
        dialog.open()
        return dialog

    def _wizard_for_request(
        self, parent: QWidget, prefill: WizardPrefill, request_id: int | None, on_saved: Callable[[Decision], None]
    ) -> None:
        dialog = parent if isinstance(parent, RequestDialog) else None
        case_id = dialog.case_id if dialog is not None else self.workspace.current_case_id()
        if case_id is None:
            return

        def saved(decision: Decision) -> None:
            on_saved(decision)
            self._decision_saved(decision)

        wizard = DecisionWizard(
            parent, self.runner, self.vault, case_id, prefill=prefill, request_id=request_id, on_saved=saved
        )
        locking = getattr(self.workspace, "locking", None)
        if locking is not None:
            locking.connect(wizard.keep_now)
        self._keep(wizard)
        wizard.show()

    def _request_saved(self, request: InformationRequest) -> None:
        self.workspace.refresh_case(request.case_id)
        answers = {"share": "shared", "share_part": "part shared", "decline": "declined"}
        answer = answers.get(request.response.response, "") if request.response else "not decided yet"
        what = "Reconsideration" if request.reconsiders_id is not None else "Request"
        self.workspace.show_message("info", f"{what} recorded: {answer}. It is in the chronology.")

    def open_request(self, request_id: int) -> None:
        vault = self.vault
        self.runner.submit(
            lambda: decision_service.get_request(vault, request_id), self._show_request, self.workspace.show_error
        )

    def _show_request(self, request: InformationRequest) -> None:
        self._request_dialog(request.case_id, "view" if request.is_decided else "decide", request)

    # -- consent ---------------------------------------------------------------------------------------
    def record_consent(self, person_id: int | None = None, case_id: int | None = None) -> ConsentDialog | None:
        case_id = case_id if case_id is not None else self._case()
        if case_id is None:
            return None
        dialog = ConsentDialog(self.runner, self.vault, case_id, person_id=person_id, parent=self.parent_widget)
        dialog.saved.connect(lambda entry: self.workspace.refresh_case(entry.case_id))
        self._keep(dialog)
        dialog.open()
        return dialog

    def open_consent_entry(self, entry_id: int) -> None:
        vault = self.vault

        def shown(entry: ConsentEntry) -> None:
            self.record_consent(entry.person_id, entry.case_id)

        self.runner.submit(
            lambda: decision_service.get_consent_entry(vault, entry_id), shown, self.workspace.show_error
        )

    # -- feedback -----------------------------------------------------------------------------------------
    def record_feedback(self, decision_id: int | None = None) -> FeedbackDialog | None:
        case_id = None
        if decision_id is None:
            case_id = self._case()
            if case_id is None:
                return None
        dialog = FeedbackDialog(
            self.runner, self.vault, case_id=case_id, decision_id=decision_id, parent=self.parent_widget
        )
        dialog.saved.connect(self._feedback_saved)
        self._keep(dialog)
        dialog.open()
        return dialog

    def _feedback_saved(self, feedback: Feedback) -> None:
        self.workspace.refresh_case(feedback.case_id)
        self.workspace.show_message("info", "Feedback recorded. The loop is closed for that decision.")
        awaiting = getattr(self, "awaiting_dialog", None)
        if awaiting is not None and shiboken6.isValid(awaiting) and awaiting.isVisible():
            awaiting.reload()

    def show_awaiting(self) -> AwaitingFeedbackDialog:
        dialog = AwaitingFeedbackDialog(
            self.runner,
            self.vault,
            on_record=lambda decision_id: self.record_feedback(decision_id=decision_id),
            on_open=self.open_decision,
            parent=self.parent_widget,
        )
        self._keep(dialog)
        dialog.show()
        self.awaiting_dialog = dialog
        return dialog

    def open_feedback(self, feedback_id: int) -> None:
        vault = self.vault

        def shown(feedback: Feedback) -> None:
            self.open_decision(feedback.decision_id)

        self.runner.submit(lambda: decision_service.get_feedback(vault, feedback_id), shown, self.workspace.show_error)


__all__ = ["KINDS", "DecisionsExtension", "UnfinishedDecisionsDialog", "install"]
