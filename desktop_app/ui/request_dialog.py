"""Requests for information received from other agencies, their answers, and
reconsiderations when the requester shares new information.

Modes: ``new`` (record a request, and answer it now or later), ``decide`` (answer a
recorded request), ``reconsider`` (the requester has shared new information: a new
request linked to the original, answered afresh) and ``view`` (a request and its answer,
read-only, with "Reconsider…" once answered). Golden rule 7 is quoted where it applies:
a request declined needs its reasons, and a decision can be reconsidered.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDateTimeEdit,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.domain import decision_record as dr
from desktop_app.domain import guidance as g
from desktop_app.domain.decision_record import (
    Decision,
    InformationRequest,
    RequestDecisionInput,
    RequestInput,
    WizardPrefill,
)
from desktop_app.services import decisions as decision_service
from desktop_app.store.vault import OpenVault
from desktop_app.ui.background import BackgroundRunner
from desktop_app.ui.decision_view import esc, local_time
from desktop_app.ui.widgets.form_dialog import FormDialog

NOT_DECIDED = ""
# Opens the decision wizard: (parent, prefill, request id or None, on_saved).
WizardOpener = Callable[[QWidget, WizardPrefill, int | None, Callable[[Decision], None]], None]


def quote(citation: g.Citation) -> QLabel:
    label = QLabel(f"<small><i>“{esc(citation.text)}”</i> — {esc(citation.rule)}, {esc(citation.document)}</small>")
    label.setWordWrap(True)
    label.setStyleSheet("color: #444444;")
    return label


def text_box(height: int = 64) -> QPlainTextEdit:
    box = QPlainTextEdit()
    box.setTabChangesFocus(True)
    box.setFixedHeight(height)
    return box


def when_box() -> QDateTimeEdit:
    box = QDateTimeEdit(QDateTime.currentDateTime())
    box.setCalendarPopup(True)
    box.setDisplayFormat("d MMM yyyy  HH:mm")
    return box


def moment(box: QDateTimeEdit) -> datetime:
    value = box.dateTime().toPython()
    assert isinstance(value, datetime)
    return value.replace(second=0, microsecond=0).astimezone()


def request_html(request: InformationRequest) -> str:
    """A recorded request and its answer, for reading."""
    rows = [
        ("Received", local_time(request.received_at)),
        ("From", request.requester),
        ("Their role", request.requester_role),
        ("Contact", request.requester_contact),
        ("How their identity was checked", request.identity_check),
        ("What they asked for", request.what_requested),
        ("Why", request.why_requested),
    ]
    if request.reconsiders_id is not None:
        rows.insert(0, ("Reconsideration of request", str(request.reconsiders_id)))
        rows.append(("New information", request.new_information))
    if request.response is not None:
        answer = request.response
        rows += [
            ("Answer", answer.label),
            ("Reasons", answer.reasons),
            ("Decided", f"{local_time(answer.decided_at)} by {answer.decided_by}"),
        ]
        if answer.decision_id is not None:
            rows.append(("Shared under", f"sharing decision {answer.decision_id}"))
    else:
        rows.append(("Answer", "Not decided yet"))
    if request.reconsidered_by_ids:
        rows.append(("Reconsidered in", ", ".join(f"request {i}" for i in request.reconsidered_by_ids)))
    cells = "".join(
        f"<tr><td style='padding: 2px 12px 2px 0; vertical-align: top;'><b>{esc(k)}</b></td><td>{esc(v)}</td></tr>"
        for k, v in rows
        if v
    )
    return f"<table cellspacing='0'>{cells}</table>"


class RequestDialog(FormDialog):
    """Emits ``saved(InformationRequest)``. In ``view`` mode, ``reconsider_requested(request)``
    is handled by opening the same dialog in ``reconsider`` mode."""

    def __init__(
        self,
        runner: BackgroundRunner,
        vault: OpenVault,
        case_id: int,
        *,
        request: InformationRequest | None = None,
        mode: str = "new",
        open_wizard: WizardOpener | None = None,
        parent: QWidget | None = None,
    ) -> None:
        titles = {
            "new": "Record a request received",
            "decide": "Answer a request",
            "reconsider": "Reconsider a request with new information",
            "view": "Request received",
        }
        super().__init__(runner, titles[mode], parent)
        if mode != "new" and request is None:
            raise ValueError(f"mode {mode!r} needs a request")
        self.vault = vault
        self.case_id = case_id
        self.request = request
        self.mode = mode
        self.open_wizard = open_wizard
        self.on_reconsider: Callable[[InformationRequest], object] | None = None
        self.resize(980, 640)
        columns = QHBoxLayout()
        left = QVBoxLayout()
        right = QVBoxLayout()
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)
        self.layout_.addLayout(columns)
        if mode == "new":
            left.addWidget(self._request_box())
        else:
            assert request is not None
            original = QGroupBox("The request" if mode != "reconsider" else f"The original request ({request.id})")
            original.setMinimumWidth(400)
            column = QVBoxLayout(original)
            self.summary = QLabel(request_html(request))
            self.summary.setWordWrap(True)
            self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            column.addWidget(self.summary)
            column.addStretch(1)
            left.addWidget(original)
        if mode == "reconsider":
            right.addWidget(self._new_information_box())
        if mode in ("new", "decide", "reconsider"):
            right.addWidget(self._answer_box(optional=mode != "decide"))
        right.addStretch(1)
        self._buttons()
        self.finish_layout()
        if mode in ("new", "decide", "reconsider"):
            self._load_decisions()

    # -- parts --------------------------------------------------------------------------------
    def _request_box(self) -> QGroupBox:
        box = QGroupBox("The request")
        form = QFormLayout(box)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.organisation = QLineEdit()
        self.person = QLineEdit()
        self.role = QLineEdit()
        self.contact = QLineEdit()
        self.identity_check = text_box(52)
        self.identity_check.setPlaceholderText("For example: rang back on the force switchboard number")
        self.what = text_box()
        self.why = text_box()
        self.received = when_box()
        for name, label, widget in (
            ("requester_organisation", "&Organisation:", self.organisation),
            ("requester_person", "&Person:", self.person),
            ("requester_role", "Their &role:", self.role),
            ("requester_contact", "&Contact:", self.contact),
            ("identity_check", "How their &identity was checked:", self.identity_check),
            ("what_requested", "&What they asked for:", self.what),
            ("why_requested", "W&hy they asked:", self.why),
            ("received_at", "Received &at:", self.received),
        ):
            form.addRow(label, widget)
            widget.setAccessibleName(label.replace("&", "").rstrip(":"))
            self.fields[name] = widget
        form.addRow(quote(dr.BUCKS_SECURE_REQUESTS))
        return box

    def _new_information_box(self) -> QGroupBox:
        box = QGroupBox("What is new")
        form = QFormLayout(box)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.new_information = text_box(80)
        self.new_information.setAccessibleName("The new information")
        self.reconsider_received = when_box()
        form.addRow("The &new information:", self.new_information)
        form.addRow("Received a&t:", self.reconsider_received)
        form.addRow(quote(g.GOLDEN_RULE_7_RECONSIDER))
        self.fields["new_information"] = self.new_information
        self.fields["received_at"] = self.reconsider_received
        return box

    def _answer_box(self, *, optional: bool) -> QGroupBox:
        box = QGroupBox("Your answer")
        column = QVBoxLayout(box)
        self.answer_group = QButtonGroup(self)
        self.answer_buttons: dict[str, QRadioButton] = {}
        choices = [(NOT_DECIDED, "Not decided yet")] if optional else []
        choices += list(dr.REQUEST_RESPONSE_LABELS.items())
        for value, label in choices:
            button = QRadioButton(label)
            button.setObjectName(f"response-{value or 'pending'}")
            self.answer_group.addButton(button)
            self.answer_buttons[value] = button
            column.addWidget(button)
        self.answer_buttons[NOT_DECIDED if optional else dr.RequestResponse.DECLINE].setChecked(optional)
        self.fields["response"] = next(iter(self.answer_buttons.values()))
        self.reasons = text_box(70)
        self.reasons.setAccessibleName("The reasons for your answer")
        reasons_label = QLabel("The &reasons for your answer:")
        reasons_label.setBuddy(self.reasons)
        column.addWidget(reasons_label)
        column.addWidget(self.reasons)
        self.fields["reasons"] = self.reasons
        self.decision_label = QLabel("Shared under the &sharing decision:")
        self.decisions = QComboBox()
        self.decisions.setAccessibleName("Shared under the sharing decision")
        self.decisions.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.decisions.setMinimumContentsLength(24)
        self.decision_label.setBuddy(self.decisions)
        self.fields["decision_id"] = self.decisions
        self.decide_button = QPushButton("&Decide whether to share…")
        self.decide_button.setToolTip("Record the sharing decision in the wizard, then it is chosen here")
        self.decide_button.clicked.connect(self._decide_in_wizard)
        self.decision_state = QLabel()
        self.decision_state.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.decisions, 1)
        row.addWidget(self.decide_button)
        column.addWidget(self.decision_label)
        column.addLayout(row)
        column.addWidget(self.decision_state)
        column.addWidget(quote(g.GOLDEN_RULE_7_REQUESTS))
        self.answer_group.buttonToggled.connect(lambda _b, _on: self._answer_changed())
        self._answer_changed()
        return box

    def _buttons(self) -> None:
        if self.mode == "view":
            assert self.request is not None
            self.reconsider_button = self.buttons.addButton(
                "&Reconsider with new information…", QDialogButtonBox.ButtonRole.ActionRole
            )
            self.reconsider_button.setEnabled(self.request.response is not None)
            if self.request.response is None:
                self.reconsider_button.setToolTip("Answer the request first.")
            self.reconsider_button.clicked.connect(self._reconsider)
            self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
            return
        label = {"new": "&Save the request", "decide": "&Save the answer", "reconsider": "&Save the reconsideration"}
        self.save_button = self.buttons.addButton(label[self.mode], QDialogButtonBox.ButtonRole.AcceptRole)
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self._save)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)

    # -- behaviour -------------------------------------------------------------------------------
    def response(self) -> str:
        for value, button in self.answer_buttons.items():
            if button.isChecked():
                return value
        return NOT_DECIDED

    def _answer_changed(self) -> None:
        sharing = self.response() in (dr.RequestResponse.SHARE, dr.RequestResponse.SHARE_PART)
        for widget in (self.decision_label, self.decisions, self.decide_button, self.decision_state):
            widget.setVisible(sharing)
        self.reasons.setEnabled(self.response() != NOT_DECIDED)

    def _load_decisions(self, select: int | None = None) -> None:
        vault, case_id = self.vault, self.case_id

        def work() -> list[Decision]:
            return [d for d in decision_service.list_decisions(vault, case_id) if d.is_sharing]

        self.runner.submit(work, lambda found: self._decisions_loaded(found, select), self.show_error)

    def _decisions_loaded(self, decisions: list[Decision], select: int | None) -> None:
        self.decisions.clear()
        for decision in decisions:
            self.decisions.addItem(
                f"{decision.id}: {local_time(decision.fields.decided_at)} — {decision.summary}", decision.id
            )
        if select is not None:
            self.decisions.setCurrentIndex(max(self.decisions.findData(select), 0))
        self.decisions.setEnabled(bool(decisions))
        self.decision_state.setText(
            ""
            if decisions
            else "No decision to share is recorded on this case yet. Record it first with “Decide whether to "
            "share…”: it is chosen here when saved."
        )

    def _decide_in_wizard(self) -> None:
        if self.open_wizard is None:
            return
        if self.mode == "new":
            who, what, why = self.organisation.text(), self.what.toPlainText(), self.why.toPlainText()
            person, contact = self.person.text(), self.contact.text()
            request_id = None
        else:
            assert self.request is not None
            r = self.request
            who, what, why, person, contact = (
                r.requester_organisation,
                r.what_requested,
                r.why_requested,
                r.requester_person,
                r.requester_contact,
            )
            request_id = r.id if self.mode == "decide" else None
        prefill = WizardPrefill(
            answers={"purpose": why} if why.strip() else {},
            fields={
                "purpose": why,
                "what_shared": what,
                "recipient_organisation": who,
                "recipient_person": person,
                "recipient_contact": contact,
            },
        )
        self.open_wizard(self, prefill, request_id, lambda decision: self._load_decisions(decision.id))

    def _answer(self) -> RequestDecisionInput | None:
        response = self.response()
        if response == NOT_DECIDED:
            return None
        decision_id = self.decisions.currentData() if response != dr.RequestResponse.DECLINE else None
        return RequestDecisionInput(
            response=response,
            reasons=self.reasons.toPlainText(),
            decision_id=decision_id if isinstance(decision_id, int) else None,
        )

    def _save(self) -> None:
        vault, case_id, answer = self.vault, self.case_id, self._answer()
        if self.mode == "new":
            request = RequestInput(
                requester_organisation=self.organisation.text(),
                requester_person=self.person.text(),
                requester_role=self.role.text(),
                requester_contact=self.contact.text(),
                identity_check=self.identity_check.toPlainText(),
                what_requested=self.what.toPlainText(),
                why_requested=self.why.toPlainText(),
                received_at=moment(self.received),
            )
            self.submit(lambda: decision_service.record_request(vault, case_id, request, answer))
            return
        assert self.request is not None
        request_id = self.request.id
        if self.mode == "decide":
            if answer is None:
                self.message.show_message("error", "Choose your answer: share, share part of it, or decline.")
                return
            self.submit(lambda: decision_service.decide_request(vault, request_id, answer))
        else:
            info, received = self.new_information.toPlainText(), moment(self.reconsider_received)
            self.submit(
                lambda: decision_service.reconsider_request(
                    vault, request_id, new_information=info, received_at=received, decision=answer
                )
            )

    def _reconsider(self) -> None:
        if self.request is not None and self.on_reconsider is not None:
            self.on_reconsider(self.request)
            self.accept()
