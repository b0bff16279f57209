"""Feedback from the recipients of shared information ("close the loop"), and the list of
decisions to share still awaiting it, across the vault.

"A lack of feedback can contribute to a hesitancy to share information in the future"
(HM Government, 2024): the awaiting list keeps every decision to share in view until
the recipient has said what happened.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.domain import decision_record as dr
from desktop_app.domain.decision_record import AwaitingFeedback, Decision, FeedbackInput
from desktop_app.services import decisions as decision_service
from desktop_app.store.vault import OpenVault
from desktop_app.ui.background import BackgroundRunner
from desktop_app.ui.decision_view import local_time
from desktop_app.ui.request_dialog import moment, quote, text_box, when_box
from desktop_app.ui.widgets.form_dialog import FormDialog
from desktop_app.ui.widgets.message_area import MessageArea


def waiting_text(decided_at: str, now: datetime | None = None) -> str:
    """How long a decision has waited for feedback, in days."""
    try:
        then = datetime.fromisoformat(decided_at)
    except ValueError:
        return ""
    days = ((now or datetime.now(UTC)) - then).days
    if days < 1:
        return "Less than a day"
    return "1 day" if days == 1 else f"{days} days"


class FeedbackDialog(FormDialog):
    """Record what the recipient said. Emits ``saved(Feedback)``. With ``decision_id`` the
    decision is fixed; otherwise the case's decisions to share are offered, those still
    awaiting feedback first."""

    def __init__(
        self,
        runner: BackgroundRunner,
        vault: OpenVault,
        *,
        case_id: int | None = None,
        decision_id: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(runner, "Record feedback from the recipient", parent)
        if case_id is None and decision_id is None:
            raise ValueError("a case or a decision is needed")
        self.vault = vault
        self.case_id = case_id
        self.decision_id = decision_id
        self.resize(720, 520)
        self.decisions = QComboBox()
        self.decisions.setAccessibleName("The decision to share the feedback is about")
        self.decisions.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.decisions.setMinimumContentsLength(30)
        self.state = QLabel("Loading the decisions to share…")
        self.state.setWordWrap(True)
        self.received = when_box()
        self.from_whom = QLineEdit()
        self.from_whom.setPlaceholderText("For example: the duty social worker")
        self.outcome = text_box(90)
        self.outcome.setPlaceholderText("What they did, or decided, with the information")
        self.notes = text_box(52)
        self.add_field("decision_id", "&Decision:", self.decisions)
        self.form.addRow(self.state)
        self.add_field("received_at", "&Received:", self.received)
        self.add_field("from_whom", "&From:", self.from_whom)
        self.add_field("outcome", "&What happened:", self.outcome)
        self.add_field("notes", "&Notes:", self.notes)
        self.form.addRow(quote(dr.HM_FEEDBACK))
        self.save_button = self.buttons.addButton("&Save feedback", QDialogButtonBox.ButtonRole.AcceptRole)
        self.save_button.setDefault(True)
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self._save)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.finish_layout(
            "Feedback closes the loop: record what the recipient did with what you shared, or what they decided."
        )
        self._load()

    def _load(self) -> None:
        vault, case_id, decision_id = self.vault, self.case_id, self.decision_id

        def work() -> tuple[list[Decision], set[int]]:
            if decision_id is not None:
                decision = decision_service.get_decision(vault, decision_id)
                return [decision], set()
            assert case_id is not None
            sharing = [d for d in decision_service.list_decisions(vault, case_id) if d.is_sharing]
            awaiting = {a.decision_id for a in decision_service.awaiting_feedback(vault, case_id)}
            return sharing, awaiting

        self.runner.submit(work, self._loaded, self.show_error)

    def _loaded(self, result: tuple[list[Decision], set[int]]) -> None:
        decisions, awaiting = result
        decisions.sort(key=lambda d: (d.id not in awaiting, d.fields.decided_at))
        self.decisions.clear()
        for decision in decisions:
            waiting = "  (awaiting feedback)" if decision.id in awaiting else ""
            self.decisions.addItem(
                f"{decision.id}: {local_time(decision.fields.decided_at)} — {decision.summary}{waiting}", decision.id
            )
        self.decisions.setEnabled(bool(decisions))
        self.save_button.setEnabled(bool(decisions))
        if decisions:
            self.state.setText("")
            self.state.hide()
        else:
            self.state.setText(
                "There is no decision to share on this case, so there is no feedback to record. Feedback is "
                "recorded against a decision to share."
            )
        self.outcome.setFocus()

    def _save(self) -> None:
        decision_id = self.decisions.currentData()
        if not isinstance(decision_id, int):
            return
        feedback = FeedbackInput(
            received_at=moment(self.received),
            outcome=self.outcome.toPlainText(),
            from_whom=self.from_whom.text(),
            notes=self.notes.toPlainText(),
        )
        vault = self.vault
        self.submit(lambda: decision_service.record_feedback(vault, decision_id, feedback))


class AwaitingFeedbackDialog(QDialog):
    """Every current decision to share with no feedback yet, longest waiting first.

    ``on_record(decision_id)`` and ``on_open(decision_id)`` are given by whoever opens it
    (the workspace extension), so this list knows nothing of the other dialogs."""

    COLUMNS = ("Case", "Decided", "Waiting", "Decision", "Shared with")

    def __init__(
        self,
        runner: BackgroundRunner,
        vault: OpenVault,
        *,
        on_record: Callable[[int], object] | None = None,
        on_open: Callable[[int], object] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        self.vault = vault
        self.on_record = on_record
        self.on_open = on_open
        self.items: list[AwaitingFeedback] = []
        self.setWindowTitle("Awaiting feedback")
        self.resize(980, 520)
        intro = QLabel(
            "Decisions to share that have had no feedback from the recipient yet, longest waiting first. "
            "When feedback arrives, record it: it closes the loop."
        )
        intro.setWordWrap(True)
        self.message = MessageArea()
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels(list(self.COLUMNS))
        self.table.setAccessibleName("Decisions to share awaiting feedback")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        for column in range(len(self.COLUMNS) - 1):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(self.COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(lambda _i: self._record())
        self.empty = QLabel("Loading…")
        self.empty.setWordWrap(True)
        self.record_button = QPushButton("&Record feedback…")
        self.open_button = QPushButton("&Open the decision")
        self.record_button.clicked.connect(self._record)
        self.open_button.clicked.connect(self._open)
        buttons = QDialogButtonBox()
        buttons.addButton(self.record_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.open_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        layout.addWidget(buttons)
        self._set_enabled()
        self.reload()

    def reload(self) -> None:
        vault = self.vault
        self.runner.submit(lambda: decision_service.awaiting_feedback(vault), self._loaded, self.message.show_error)

    def _loaded(self, items: list[AwaitingFeedback]) -> None:
        self.items = items
        self.table.setRowCount(len(items))
        now = datetime.now(UTC)
        for row, item in enumerate(items):
            values = (
                item.case_reference,
                local_time(item.decided_at),
                waiting_text(item.decided_at, now),
                dr.FINAL_DECISION_LABELS.get(item.final_decision, item.final_decision),
                item.recipient or item.summary,
            )
            for column, text in enumerate(values):
                cell = QTableWidgetItem(text)
                cell.setToolTip(item.summary)
                self.table.setItem(row, column, cell)
        self.table.setVisible(bool(items))
        self.empty.setText(
            ""
            if items
            else "Nothing is awaiting feedback: every decision to share has had feedback from its recipient, "
            "or none has been recorded yet."
        )
        self.empty.setVisible(not items)
        if items:
            self.table.selectRow(0)
            self.table.setFocus(Qt.FocusReason.OtherFocusReason)
        self._set_enabled()

    def _set_enabled(self) -> None:
        has = bool(self.items)
        self.record_button.setEnabled(has and self.on_record is not None)
        self.open_button.setEnabled(has and self.on_open is not None)

    def selected(self) -> AwaitingFeedback | None:
        rows = self.table.selectionModel().selectedRows()
        return self.items[rows[0].row()] if rows and self.items else None

    def _record(self) -> None:
        item = self.selected()
        if item is not None and self.on_record is not None:
            self.on_record(item.decision_id)

    def _open(self) -> None:
        item = self.selected()
        if item is not None and self.on_open is not None:
            self.on_open(item.decision_id)
