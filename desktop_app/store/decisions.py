"""Decisions, requests, the consent register, feedback and unfinished decisions: rows in,
domain dataclasses out.

Like the other store modules, these functions run inside the caller's transaction and
neither validate nor audit (``services/decisions.py`` does both). The triggers of
migration 4 keep the records unchangeable. Importing this module registers the
chronology sources for the kinds ``decision``, ``request``, ``consent`` and ``feedback``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from desktop_app.domain.decision_record import (
    CONSENT_KIND_LABELS,
    FINAL_DECISION_LABELS,
    AwaitingFeedback,
    ConsentEntry,
    ConsentInput,
    Decision,
    DecisionFields,
    Feedback,
    FeedbackInput,
    InformationRequest,
    RequestDecision,
    RequestDecisionInput,
    RequestInput,
    ValidDecision,
    WizardState,
    answers_json,
    requirements_json,
)
from desktop_app.domain.decision_rules import RULES_VERSION
from desktop_app.domain.records import FLAG_AMENDED, FLAG_PROTECTED
from desktop_app.store.chronology import ChronologySource, register_source

Connection = Any  # a sqlcipher3 connection

# -- decisions ---------------------------------------------------------------------------

_FIELD_COLUMNS = (
    "purpose",
    "what_shared",
    "recipient_organisation",
    "recipient_person",
    "recipient_role",
    "recipient_contact",
    "recipient_secure_route",
    "lawful_basis",
    "article9_condition",
    "confidentiality",
    "consent_given_by_and_when",
    "reasons_consent_not_sought",
    "reasons_for_overriding_objection",
    "informed",
    "informed_when",
    "reason_not_informed",
    "advice_sought_from",
    "advice_sought_at",
    "advice_given",
    "advice_not_sought_reason",
    "risk_level",
    "decided_by",
    "decided_at",
    "rationale",
    "follow_up_rationale",
    "reason_differs_from_recommendation",
)
_DECISION_COLUMNS = (
    "d.id, d.case_id, d.recorded_at, d.recorded_by, d.final_decision, d.recommendation, "
    "d.follows_recommendation, d.answers, d.outcome, d.rules_version, d.required_fields, d.request_id, "
    "d.prefill_source, d.supersedes_id, d.supersede_reason, d.summary, "
    "(SELECT s.id FROM decisions s WHERE s.supersedes_id = d.id), "
    "(SELECT group_concat(dn.note_id) FROM decision_notes dn WHERE dn.decision_id = d.id), "
    "(SELECT count(*) FROM decision_feedback f WHERE f.decision_id = d.id), "
    + ", ".join(f"d.{c}" for c in _FIELD_COLUMNS)
)
_FIXED = 19  # columns before the record fields


def _ids(text: str | None) -> tuple[int, ...]:
    return tuple(sorted(int(part) for part in (text or "").split(",") if part))


def _decision(row: Sequence[Any]) -> Decision:
    values = dict(zip(_FIELD_COLUMNS, row[_FIXED:], strict=True))
    values["lawful_basis"] = tuple(json.loads(values["lawful_basis"]))
    return Decision(
        id=row[0],
        case_id=row[1],
        decided_at=values["decided_at"],
        recorded_at=row[2],
        recorded_by=row[3],
        final_decision=row[4],
        recommendation=row[5],
        follows_recommendation=bool(row[6]),
        fields=DecisionFields(**values),
        answers=json.loads(row[7]),
        outcome=json.loads(row[8]),
        rules_version=row[9],
        required=json.loads(row[10]),
        request_id=row[11],
        prefill_source=row[12],
        supersedes_id=row[13],
        supersede_reason=row[14],
        summary=row[15],
        superseded_by_id=row[16],
        linked_note_ids=_ids(row[17]),
        feedback_count=row[18],
    )


def insert_decision(
    conn: Connection,
    case_id: int,
    valid: ValidDecision,
    *,
    now: str,
    by: str,
    supersedes_id: int | None = None,
    supersede_reason: str = "",
    request_id: int | None = None,
    prefill_source: str = "",
) -> int:
    f = valid.fields
    record: dict[str, Any] = {name: getattr(f, name) for name in _FIELD_COLUMNS}
    record["lawful_basis"] = json.dumps(list(f.lawful_basis))
    record |= {
        "case_id": case_id,
        "recorded_at": now,
        "recorded_by": by,
        "final_decision": valid.final_decision.value,
        "recommendation": valid.outcome.recommendation.value,
        "follows_recommendation": int(valid.follows_recommendation),
        "answers": json.dumps(answers_json(valid.answers), ensure_ascii=False, sort_keys=True),
        "outcome": json.dumps(valid.outcome.to_json(), ensure_ascii=False, sort_keys=True),
        "rules_version": RULES_VERSION,
        "required_fields": json.dumps(requirements_json(valid.required), ensure_ascii=False),
        "request_id": request_id,
        "prefill_source": prefill_source,
        "supersedes_id": supersedes_id,
        "supersede_reason": supersede_reason,
        "summary": valid.summary,
    }
    names = list(record)
    cursor = conn.execute(
        f"INSERT INTO decisions ({', '.join(names)}) VALUES ({', '.join(':' + n for n in names)})", record
    )
    decision_id: int = cursor.lastrowid
    conn.executemany(
        "INSERT INTO decision_notes (decision_id, note_id) VALUES (?, ?)",
        [(decision_id, note_id) for note_id in valid.linked_note_ids],
    )
    return decision_id


def get_decision(conn: Connection, decision_id: int) -> Decision | None:
    row = conn.execute(f"SELECT {_DECISION_COLUMNS} FROM decisions d WHERE d.id = ?", (decision_id,)).fetchone()
    return _decision(row) if row else None


def list_decisions(conn: Connection, case_id: int, *, include_superseded: bool = False) -> list[Decision]:
    """A case's decisions, newest first; by default only those not corrected since."""
    where = "" if include_superseded else " AND NOT EXISTS (SELECT 1 FROM decisions s WHERE s.supersedes_id = d.id)"
    rows = conn.execute(
        f"SELECT {_DECISION_COLUMNS} FROM decisions d WHERE d.case_id = ?{where} ORDER BY d.decided_at DESC, d.id DESC",
        (case_id,),
    ).fetchall()
    return [_decision(row) for row in rows]


def decision_history(conn: Connection, decision_id: int) -> list[Decision]:
    """The decision with every earlier version it corrects, the original first."""
    chain: list[Decision] = []
    current = get_decision(conn, decision_id)
    while current is not None:
        chain.append(current)
        current = get_decision(conn, current.supersedes_id) if current.supersedes_id is not None else None
    chain.reverse()
    return chain


def notes_of_case(conn: Connection, case_id: int, note_ids: Sequence[int]) -> set[int]:
    """Which of these notes belong to the case."""
    if not note_ids:
        return set()
    marks = ", ".join("?" for _ in note_ids)
    rows = conn.execute(f"SELECT id FROM notes WHERE case_id = ? AND id IN ({marks})", (case_id, *note_ids))
    return {row[0] for row in rows}


# -- unfinished decisions (wizard state) ---------------------------------------------------

_DRAFT_COLUMNS = "id, case_id, state, supersedes_id, request_id, created_at, updated_at"


def _draft(row: Sequence[Any]) -> WizardState:
    state = json.loads(row[2])
    return WizardState(
        id=row[0],
        case_id=row[1],
        step=state.get("step", "purpose"),
        answers=dict(state.get("answers", {})),
        fields=dict(state.get("fields", {})),
        linked_note_ids=tuple(state.get("linked_note_ids", ())),
        final_decision=state.get("final_decision", ""),
        prefill_source=state.get("prefill_source", ""),
        supersedes_id=row[3],
        request_id=row[4],
        created_at=row[5],
        updated_at=row[6],
    )


def _state_json(state: Mapping[str, Any]) -> str:
    text = json.dumps(dict(state), ensure_ascii=False, sort_keys=True)
    return text.encode("utf-8", "replace").decode("utf-8")  # lone surrogates cannot be stored


def insert_draft(
    conn: Connection,
    case_id: int,
    state: Mapping[str, Any],
    *,
    now: str,
    supersedes_id: int | None = None,
    request_id: int | None = None,
) -> int:
    cursor = conn.execute(
        "INSERT INTO decision_drafts (case_id, state, supersedes_id, request_id, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (case_id, _state_json(state), supersedes_id, request_id, now, now),
    )
    draft_id: int = cursor.lastrowid
    return draft_id


def update_draft(conn: Connection, draft_id: int, state: Mapping[str, Any], *, now: str) -> bool:
    cursor = conn.execute(
        "UPDATE decision_drafts SET state = ?, updated_at = ? WHERE id = ?", (_state_json(state), now, draft_id)
    )
    return bool(cursor.rowcount)


def get_draft(conn: Connection, draft_id: int) -> WizardState | None:
    row = conn.execute(f"SELECT {_DRAFT_COLUMNS} FROM decision_drafts WHERE id = ?", (draft_id,)).fetchone()
    return _draft(row) if row else None


def list_drafts(conn: Connection, case_id: int | None = None) -> list[WizardState]:
    if case_id is None:
        rows = conn.execute(f"SELECT {_DRAFT_COLUMNS} FROM decision_drafts ORDER BY updated_at DESC, id DESC")
    else:
        rows = conn.execute(
            f"SELECT {_DRAFT_COLUMNS} FROM decision_drafts WHERE case_id = ? ORDER BY updated_at DESC, id DESC",
            (case_id,),
        )
    return [_draft(row) for row in rows]


def delete_draft(conn: Connection, draft_id: int) -> bool:
    return bool(conn.execute("DELETE FROM decision_drafts WHERE id = ?", (draft_id,)).rowcount)


# -- requests received ---------------------------------------------------------------------

_REQUEST_COLUMNS = (
    "r.id, r.case_id, r.received_at, r.recorded_at, r.recorded_by, r.requester_organisation, "
    "r.requester_person, r.requester_role, r.requester_contact, r.identity_check, r.what_requested, "
    "r.why_requested, r.reconsiders_id, r.new_information, "
    "x.response, x.reasons, x.decision_id, x.decided_at, x.decided_by, x.recorded_at, "
    "(SELECT group_concat(o.id) FROM information_requests o WHERE o.reconsiders_id = r.id)"
)
_REQUEST_FROM = "information_requests r LEFT JOIN request_responses x ON x.request_id = r.id"


def _request(row: Sequence[Any]) -> InformationRequest:
    response = RequestDecision(row[14], row[15], row[16], row[17], row[18], row[19]) if row[14] else None
    return InformationRequest(*row[:14], response=response, reconsidered_by_ids=_ids(row[20]))  # type: ignore[misc]


def insert_request(
    conn: Connection,
    case_id: int,
    valid: RequestInput,
    *,
    summary: str,
    now: str,
    by: str,
    reconsiders_id: int | None = None,
    new_information: str = "",
) -> int:
    cursor = conn.execute(
        "INSERT INTO information_requests (case_id, received_at, recorded_at, recorded_by, requester_organisation, "
        "requester_person, requester_role, requester_contact, identity_check, what_requested, why_requested, "
        "reconsiders_id, new_information, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            case_id,
            valid.received_at,
            now,
            by,
            valid.requester_organisation,
            valid.requester_person,
            valid.requester_role,
            valid.requester_contact,
            valid.identity_check,
            valid.what_requested,
            valid.why_requested,
            reconsiders_id,
            new_information,
            summary,
        ),
    )
    request_id: int = cursor.lastrowid
    return request_id


def insert_request_response(
    conn: Connection, request_id: int, valid: RequestDecisionInput, *, decided_at: str, decided_by: str, now: str
) -> int:
    cursor = conn.execute(
        "INSERT INTO request_responses (request_id, response, reasons, decision_id, decided_at, decided_by, "
        "recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (request_id, valid.response, valid.reasons, valid.decision_id, decided_at, decided_by, now),
    )
    response_id: int = cursor.lastrowid
    return response_id


def get_request(conn: Connection, request_id: int) -> InformationRequest | None:
    row = conn.execute(f"SELECT {_REQUEST_COLUMNS} FROM {_REQUEST_FROM} WHERE r.id = ?", (request_id,)).fetchone()
    return _request(row) if row else None


def list_requests(conn: Connection, case_id: int) -> list[InformationRequest]:
    rows = conn.execute(
        f"SELECT {_REQUEST_COLUMNS} FROM {_REQUEST_FROM} WHERE r.case_id = ? ORDER BY r.received_at DESC, r.id DESC",
        (case_id,),
    ).fetchall()
    return [_request(row) for row in rows]


# -- consent register ------------------------------------------------------------------------

_CONSENT_COLUMNS = (
    "c.id, c.case_id, c.person_id, c.kind, c.occurred_at, c.recorded_at, c.recorded_by, c.scope, "
    "c.given_by, c.capacity_note, c.how, c.notes"
)


def insert_consent(
    conn: Connection, case_id: int, person_id: int, valid: ConsentInput, *, summary: str, now: str, by: str
) -> int:
    cursor = conn.execute(
        "INSERT INTO consent_entries (case_id, person_id, kind, occurred_at, recorded_at, recorded_by, scope, "
        "given_by, capacity_note, how, notes, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            case_id,
            person_id,
            valid.kind,
            valid.occurred_at,
            now,
            by,
            valid.scope,
            valid.given_by,
            valid.capacity_note,
            valid.how,
            valid.notes,
            summary,
        ),
    )
    entry_id: int = cursor.lastrowid
    return entry_id


def get_consent_entry(conn: Connection, entry_id: int) -> ConsentEntry | None:
    row = conn.execute(f"SELECT {_CONSENT_COLUMNS} FROM consent_entries c WHERE c.id = ?", (entry_id,)).fetchone()
    return ConsentEntry(*row) if row else None


def consent_entries(
    conn: Connection, *, person_id: int | None = None, case_id: int | None = None
) -> list[ConsentEntry]:
    """Consent entries of one person or one case, newest first."""
    if person_id is not None:
        where, value = "c.person_id = ?", person_id
    elif case_id is not None:
        where, value = "c.case_id = ?", case_id
    else:
        raise ValueError("a person or a case is needed")
    rows = conn.execute(
        f"SELECT {_CONSENT_COLUMNS} FROM consent_entries c WHERE {where} "
        "ORDER BY c.occurred_at DESC, c.recorded_at DESC, c.id DESC",
        (value,),
    ).fetchall()
    return [ConsentEntry(*row) for row in rows]


# -- feedback -----------------------------------------------------------------------------------

_FEEDBACK_COLUMNS = (
    "f.id, f.decision_id, f.case_id, f.received_at, f.recorded_at, f.recorded_by, f.from_whom, f.outcome, f.notes"
)


def insert_feedback(
    conn: Connection, decision_id: int, case_id: int, valid: FeedbackInput, *, summary: str, now: str, by: str
) -> int:
    cursor = conn.execute(
        "INSERT INTO decision_feedback (decision_id, case_id, received_at, recorded_at, recorded_by, from_whom, "
        "outcome, notes, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (decision_id, case_id, valid.received_at, now, by, valid.from_whom, valid.outcome, valid.notes, summary),
    )
    feedback_id: int = cursor.lastrowid
    return feedback_id


def get_feedback(conn: Connection, feedback_id: int) -> Feedback | None:
    row = conn.execute(f"SELECT {_FEEDBACK_COLUMNS} FROM decision_feedback f WHERE f.id = ?", (feedback_id,)).fetchone()
    return Feedback(*row) if row else None


def list_feedback(conn: Connection, decision_id: int) -> list[Feedback]:
    """Feedback on a decision and on the earlier versions it corrects, newest first."""
    rows = conn.execute(
        f"""
        WITH RECURSIVE chain(id, prev) AS (
            SELECT id, supersedes_id FROM decisions WHERE id = ?
            UNION ALL SELECT d.id, d.supersedes_id FROM decisions d JOIN chain c ON d.id = c.prev
        )
        SELECT {_FEEDBACK_COLUMNS} FROM decision_feedback f WHERE f.decision_id IN (SELECT id FROM chain)
        ORDER BY f.received_at DESC, f.id DESC
        """,
        (decision_id,),
    ).fetchall()
    return [Feedback(*row) for row in rows]


def awaiting_feedback(conn: Connection, *, case_id: int | None = None) -> list[AwaitingFeedback]:
    """Current decisions to share (in whole or part) with no feedback on them, or on the
    versions they correct: oldest first, since those have waited longest."""
    case_filter = "AND d.case_id = :case_id" if case_id is not None else ""
    rows = conn.execute(
        f"""
        WITH RECURSIVE chain(head, id, prev) AS (
            SELECT d.id, d.id, d.supersedes_id FROM decisions d
            WHERE NOT EXISTS (SELECT 1 FROM decisions s WHERE s.supersedes_id = d.id)
            UNION ALL SELECT c.head, d.id, d.supersedes_id FROM decisions d JOIN chain c ON d.id = c.prev
        )
        SELECT d.id, d.case_id, c.reference, d.decided_at, d.final_decision,
               trim(d.recipient_person || CASE WHEN d.recipient_person <> '' AND d.recipient_organisation <> ''
                    THEN ', ' ELSE '' END || d.recipient_organisation),
               d.summary
        FROM decisions d JOIN cases c ON c.id = d.case_id
        WHERE d.final_decision IN ('share', 'share_part') {case_filter}
          AND NOT EXISTS (SELECT 1 FROM decisions s WHERE s.supersedes_id = d.id)
          AND NOT EXISTS (
              SELECT 1 FROM decision_feedback f JOIN chain ch ON f.decision_id = ch.id WHERE ch.head = d.id)
        ORDER BY d.decided_at, d.id
        """,
        {"case_id": case_id},
    ).fetchall()
    return [AwaitingFeedback(*row) for row in rows]


# -- chronology sources --------------------------------------------------------------------------


_REQUEST_OUTCOMES = {
    "share": "shared",
    "share_part": "part shared",
    "decline": "declined",
    "pending": "not decided yet",
}


def _decision_title(code: str) -> str:
    return FINAL_DECISION_LABELS.get(code, code)


def _request_title(code: str) -> str:
    reconsideration, _, response = code.rpartition(":")
    what = "Reconsideration" if reconsideration else "Received"
    return f"{what}, {_REQUEST_OUTCOMES.get(response, response)}"


def _consent_title(code: str) -> str:
    return CONSENT_KIND_LABELS.get(code, code)


def _feedback_title(_code: str) -> str:
    return "From the recipient"


register_source(
    ChronologySource(
        kind="decision",
        sql=f"""
            SELECT d.case_id AS case_id, d.decided_at AS occurred_at, d.recorded_at AS recorded_at,
                   'decision' AS kind, d.id AS item_id, d.final_decision AS title, d.summary AS summary,
                   concat_ws(',', CASE WHEN d.supersedes_id IS NOT NULL THEN '{FLAG_AMENDED}' END) AS flags
            FROM decisions d
            WHERE NOT EXISTS (SELECT 1 FROM decisions s WHERE s.supersedes_id = d.id)
        """,
        format_title=_decision_title,
    )
)
register_source(
    ChronologySource(
        kind="request",
        sql="""
            SELECT r.case_id AS case_id, r.received_at AS occurred_at, r.recorded_at AS recorded_at,
                   'request' AS kind, r.id AS item_id,
                   CASE WHEN r.reconsiders_id IS NOT NULL THEN 'reconsideration:' ELSE '' END
                       || coalesce((SELECT x.response FROM request_responses x WHERE x.request_id = r.id), 'pending')
                       AS title,
                   r.summary AS summary, '' AS flags
            FROM information_requests r
        """,
        format_title=_request_title,
    )
)
register_source(
    ChronologySource(
        kind="consent",
        sql=f"""
            SELECT c.case_id AS case_id, c.occurred_at AS occurred_at, c.recorded_at AS recorded_at,
                   'consent' AS kind, c.id AS item_id, c.kind AS title, c.summary AS summary,
                   concat_ws(',', CASE WHEN p.protect_identity = 1 THEN '{FLAG_PROTECTED}' END) AS flags
            FROM consent_entries c JOIN people p ON p.id = c.person_id
        """,
        format_title=_consent_title,
    )
)
register_source(
    ChronologySource(
        kind="feedback",
        sql="""
            SELECT f.case_id AS case_id, f.received_at AS occurred_at, f.recorded_at AS recorded_at,
                   'feedback' AS kind, f.id AS item_id, 'feedback' AS title, f.summary AS summary, '' AS flags
            FROM decision_feedback f
        """,
        format_title=_feedback_title,
    )
)
