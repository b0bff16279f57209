"""A recorded information-sharing decision, read-only and printable, with its citations.

The HTML is built by plain functions (``decision_html``, ``outcome_html``) so that the
wizard's recommendation page, this view and the printout say the same thing in the same
words. Everything shown is escaped: records hold whatever people typed.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QKeySequence, QShortcut, QTextDocument
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop_app.domain import decision_record as dr
from desktop_app.domain.decision_record import Decision, Feedback
from desktop_app.domain.wizard_flow import QUESTIONS
from desktop_app.services import decisions as decision_service
from desktop_app.store.vault import OpenVault
from desktop_app.ui.background import BackgroundRunner
from desktop_app.ui.widgets.message_area import MessageArea

QUOTE_STYLE = "margin: 2px 0 8px 16px; color: #333333;"


def local_time(text: str | None) -> str:
    """A stored UTC time as local time for people, e.g. ``2 Mar 2024, 10:00``."""
    if not text:
        return ""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone()
    return f"{local.day} {local.strftime('%b %Y, %H:%M')}"


def esc(text: object) -> str:
    return html.escape(str(text)).replace("\n", "<br>")


def citation_html(citation: Mapping[str, str] | Any) -> str:
    """One quotation: the words, then where they come from."""
    if not isinstance(citation, Mapping):
        citation = citation.to_json()
    return (
        f"<p style='{QUOTE_STYLE}'><i>“{esc(citation['text'])}”</i><br>"
        f"<small>{esc(citation['rule'])}, {esc(citation['document'])}</small></p>"
    )


def _labels(values: Iterable[str], labels: Mapping[str, str]) -> str:
    return ", ".join(labels.get(v, v) for v in values)


def outcome_html(outcome: Mapping[str, Any], *, heading: str = "h2") -> str:
    """The rules' outcome (``Outcome.to_json()``): the recommendation, then each reason
    with the passages behind it."""
    rec = str(outcome["recommendation"])
    parts = [f"<{heading}>Recommendation: {esc(dr.RECOMMENDATION_LABELS.get(rec, rec))}</{heading}>"]
    if outcome.get("advice_recommended"):
        parts.append(
            "<p><b>Seek advice.</b> The guidance suggests talking this through with your manager, designated "
            "safeguarding lead or data protection lead. In an emergency, do not let that delay sharing.</p>"
        )
    article9 = outcome.get("article9_condition")
    confidentiality = outcome.get("confidentiality")
    rows = [
        ("Level of concern used", dr.CONCERN_LABELS.get(outcome.get("concern_assessed", ""), "")),
        ("Lawful basis, most appropriate first", _labels(outcome.get("lawful_basis", []), dr.LAWFUL_BASIS_LABELS)),
        ("Article 9 condition", dr.ARTICLE9_LABELS.get(article9, "Not needed") if article9 else "Not needed"),
        (
            "Ground for sharing confidential information",
            dr.CONFIDENTIALITY_LABELS.get(confidentiality, "") if confidentiality else "None identified",
        ),
        ("Telling the child or family", dr.INFORM_LABELS.get(outcome.get("inform", ""), "")),
    ]
    parts.append(_table(rows))
    parts.append("<h3>Why</h3>")
    for explanation in outcome.get("explanations", []):
        topic = dr.FINDING_TOPIC_LABELS.get(explanation["topic"], explanation["topic"])
        parts.append(f"<p><b>{esc(topic)}.</b> {esc(explanation['text'])}</p>")
        parts.extend(citation_html(c) for c in explanation.get("citations", []))
    parts.append(f"<p><small>Rules version {esc(outcome.get('rules_version', ''))}.</small></p>")
    return "".join(parts)


def _table(rows: Sequence[tuple[str, str]]) -> str:
    cells = "".join(
        f"<tr><td style='padding: 2px 12px 2px 0; vertical-align: top;'><b>{esc(k)}</b></td>"
        f"<td style='padding: 2px 0;'>{esc(v) if v else '<i>not recorded</i>'}</td></tr>"
        for k, v in rows
    )
    return f"<table cellspacing='0'>{cells}</table>"


def answer_label(question_id: str, answers: Mapping[str, Any]) -> str:
    """An answer in the words the wizard showed it (or that it was not asked)."""
    for question in QUESTIONS:
        if question.id != question_id:
            continue
        if not question.asked_when(answers):
            return "Not asked (it did not apply)"
        value = answers.get(question_id)
        if question.kind == "text":
            return str(value or "")
        if value is None or isinstance(value, str | bool):
            try:
                return question.option(value).label
            except KeyError:
                pass
        return str(value)
    return ""


def decision_html(
    decision: Decision,
    *,
    case_reference: str = "",
    history: Sequence[Decision] = (),
    feedback: Sequence[Feedback] = (),
    link_notes: bool = False,
) -> str:
    """The whole record of one decision, as shown and printed."""
    f = decision.fields
    title = f"Information-sharing decision {decision.id}"
    if case_reference:
        title += f" — case {case_reference}"
    parts = [f"<h1>{esc(title)}</h1>"]
    parts.append(
        "<p><small>The guidance quoted here supports professional judgement. The practitioner decided, and "
        "recorded why.</small></p>"
    )
    if decision.superseded_by_id is not None:
        parts.append(
            f"<p><b>This version has been corrected</b> by decision {decision.superseded_by_id}. It is kept as "
            "it was recorded.</p>"
        )
    if decision.supersedes_id is not None:
        parts.append(
            f"<p><b>Correction of decision {decision.supersedes_id}.</b> Reason: {esc(decision.supersede_reason)}</p>"
        )
    parts.append("<h2>Decision</h2>")
    rows = [
        ("Decision", decision.label),
        ("Recommendation", dr.RECOMMENDATION_LABELS.get(decision.recommendation, decision.recommendation)),
        ("In line with the recommendation", "Yes" if decision.follows_recommendation else "No"),
    ]
    if f.reason_differs_from_recommendation:
        rows.append(("Why the decision differs", f.reason_differs_from_recommendation))
    rows += [
        ("Decided by", f.decided_by),
        ("Date and time", local_time(f.decided_at)),
        ("Perceived level of risk at the time", f.risk_level),
    ]
    parts.append(_table(rows))
    parts.append(f"<h3>Rationale</h3><p>{esc(f.rationale) or '<i>not recorded</i>'}</p>")
    if f.follow_up_rationale:
        parts.append(f"<h3>After the emergency</h3><p>{esc(f.follow_up_rationale)}</p>")
    parts.append(f"<h2>Purpose</h2><p>{esc(f.purpose)}</p>")
    parts.append("<h2>What was asked for and what is shared</h2>")
    parts.append(f"<p>{esc(f.what_shared) or '<i>No description</i>'}</p>")
    if decision.linked_note_ids:
        notes = ", ".join(
            f"<a href='note:{n}'>note {n}</a>" if link_notes else f"note {n}" for n in decision.linked_note_ids
        )
        parts.append(f"<p>Linked notes: {notes}</p>")
    parts.append("<h2>Recipient</h2>")
    parts.append(
        _table(
            [
                ("Organisation", f.recipient_organisation),
                ("Person", f.recipient_person),
                ("Role in safeguarding", f.recipient_role),
                ("Contact", f.recipient_contact),
                ("Secure route", f.recipient_secure_route),
            ]
        )
    )
    parts.append("<h2>Legal basis</h2>")
    parts.append(
        _table(
            [
                ("Lawful basis", _labels(f.lawful_basis, dr.LAWFUL_BASIS_LABELS)),
                ("Article 9 condition", dr.ARTICLE9_LABELS.get(f.article9_condition or "", "")),
                ("Confidentiality", dr.CONFIDENTIALITY_LABELS.get(f.confidentiality or "", "")),
            ]
        )
    )
    consent_rows = [
        ("Consent (answer)", dr.CONSENT_ANSWER_LABELS.get(str(decision.answers.get("consent", "")), "")),
        ("Who gave consent, and when", f.consent_given_by_and_when),
        ("Why consent was not sought", f.reasons_consent_not_sought),
        ("Why shared despite an objection", f.reasons_for_overriding_objection),
    ]
    parts.append("<h2>Consent</h2>" + _table([r for r in consent_rows if r[1] or r[0] == "Consent (answer)"]))
    parts.append("<h2>Telling the child or family</h2>")
    parts.append(
        _table(
            [
                ("Told", dr.INFORMED_LABELS.get(f.informed, "")),
                ("When", f.informed_when),
                ("Why not", f.reason_not_informed),
            ]
        )
    )
    if f.advice_sought_from or f.advice_given:
        parts.append("<h2>Advice</h2>")
        parts.append(
            _table([("Sought from", f.advice_sought_from), ("When", f.advice_sought_at), ("Advised", f.advice_given)])
        )
    elif f.advice_not_sought_reason:
        parts.append("<h2>Advice</h2>")
        parts.append(_table([("Not sought, because", f.advice_not_sought_reason)]))
    if decision.required:
        parts.append("<h2>What this record had to contain, and why</h2>")
        for requirement in decision.required:
            parts.append(f"<p><b>{esc(requirement['label'])}</b></p>")
            parts.append(citation_html(requirement["citation"]))
    parts.append("<h2>The wizard's recommendation</h2>")
    parts.append(outcome_html(decision.outcome, heading="h3"))
    parts.append("<h2>The answers given</h2>")
    parts.append(_table([(q.title, answer_label(q.id, decision.answers)) for q in QUESTIONS]))
    if feedback:
        parts.append("<h2>Feedback from the recipient</h2>")
        for item in feedback:
            who = f" from {item.from_whom}" if item.from_whom else ""
            parts.append(f"<p><b>{esc(local_time(item.received_at))}{esc(who)}:</b> {esc(item.outcome)}</p>")
            if item.notes:
                parts.append(f"<p>{esc(item.notes)}</p>")
    earlier = [d for d in history if d.id != decision.id]
    if earlier:
        parts.append("<h2>Versions of this record</h2>")
        for version in history:
            note = f" — corrected: {version.supersede_reason}" if version.supersede_reason else ""
            parts.append(
                f"<p>Decision {version.id}, recorded {esc(local_time(version.recorded_at))} by "
                f"{esc(version.recorded_by)}: {esc(version.label)}{esc(note)}</p>"
            )
    source = f" Started from: {decision.prefill_source}." if decision.prefill_source else ""
    parts.append(
        f"<p><small>Recorded {esc(local_time(decision.recorded_at))} by {esc(decision.recorded_by)}. "
        f"Rules version {esc(decision.rules_version)}.{esc(source)}</small></p>"
    )
    return "".join(parts)


class DecisionView(QDialog):
    """Read-only view of a recorded decision, with Print… and, for the current version,
    Correct… and Record feedback… (the callbacks are given by whoever opens it)."""

    def __init__(
        self,
        parent: QWidget,
        runner: BackgroundRunner,
        vault: OpenVault,
        decision_id: int,
        *,
        on_correct: Callable[[Decision], object] | None = None,
        on_feedback: Callable[[Decision], object] | None = None,
        on_open_note: Callable[[int, int], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.on_open_note = on_open_note
        self.runner = runner
        self.vault = vault
        self.decision_id = decision_id
        self.decision: Decision | None = None
        self.on_correct = on_correct
        self.on_feedback = on_feedback
        self.setWindowTitle(f"Sharing decision {decision_id}")
        self.resize(900, 660)
        self.message = MessageArea()
        self.browser = QTextBrowser()
        self.browser.setOpenLinks(False)
        self.browser.anchorClicked.connect(self._link)
        self.browser.setAccessibleName("The decision record")
        self.browser.setPlainText("Loading the decision…")
        self.buttons = QDialogButtonBox()
        self.print_button = QPushButton("&Print…")
        self.correct_button = QPushButton("&Correct this decision…")
        self.feedback_button = QPushButton("Record &feedback…")
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        for button in (self.print_button, self.correct_button, self.feedback_button):
            self.buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
            button.setEnabled(False)
        self.correct_button.setVisible(on_correct is not None)
        self.feedback_button.setVisible(on_feedback is not None)
        self.print_button.clicked.connect(self.print_record)
        self.correct_button.clicked.connect(self._correct)
        self.feedback_button.clicked.connect(self._feedback)
        self.buttons.rejected.connect(self.reject)
        QShortcut(QKeySequence.StandardKey.Print, self, self.print_record)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addWidget(self.browser, 1)
        layout.addWidget(self.buttons)
        self.browser.setFocus(Qt.FocusReason.OtherFocusReason)
        self.reload()

    def reload(self) -> None:
        vault, decision_id = self.vault, self.decision_id

        def load() -> tuple[Decision, list[Decision], list[Feedback], str]:
            from desktop_app.services import case_records

            decision = decision_service.get_decision(vault, decision_id)
            history = decision_service.decision_history(vault, decision_id)
            feedback = decision_service.list_feedback(vault, decision_id)
            reference = case_records.get_case(vault, decision.case_id).reference
            return decision, history, feedback, reference

        self.runner.submit(load, self._loaded, self._failed)

    def _loaded(self, result: tuple[Decision, list[Decision], list[Feedback], str]) -> None:
        decision, history, feedback, reference = result
        self.decision = decision
        self.browser.setHtml(
            decision_html(
                decision,
                case_reference=reference,
                history=history,
                feedback=feedback,
                link_notes=self.on_open_note is not None,
            )
        )
        self.print_button.setEnabled(True)
        self.correct_button.setEnabled(decision.is_current)
        self.feedback_button.setEnabled(decision.is_current and decision.is_sharing)
        if not decision.is_current:
            self.correct_button.setToolTip("Only the latest version of a decision can be corrected.")

    def _link(self, url: QUrl) -> None:
        target = url.toString()
        if target.startswith("note:") and self.decision is not None and self.on_open_note is not None:
            self.on_open_note(self.decision.case_id, int(target.removeprefix("note:")))

    def _failed(self, exc: BaseException) -> None:
        self.browser.setPlainText("")
        self.message.show_error(exc)

    def document(self) -> QTextDocument:
        doc = QTextDocument()
        doc.setHtml(self.browser.toHtml())
        return doc

    def print_to(self, printer: QPrinter) -> None:
        self.document().print_(printer)

    def print_record(self) -> None:
        if self.decision is None:
            return
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self)
        dialog.setWindowTitle("Print the decision record")
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.print_to(printer)

    def _correct(self) -> None:
        if self.decision is not None and self.on_correct is not None:
            self.on_correct(self.decision)
            self.accept()

    def _feedback(self) -> None:
        if self.decision is not None and self.on_feedback is not None:
            self.on_feedback(self.decision)
