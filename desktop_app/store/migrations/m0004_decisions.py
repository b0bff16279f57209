"""Information-sharing decisions and the records around them (job 3).

* ``decisions``: every decision, to share or not (golden rule 7), with the answers, the
  rules' cited outcome and rules version, the recommendation and the practitioner's own
  decision, and the record fields. Never changed or deleted: a correction is a new row
  that ``supersedes_id`` the old one, with the reason; each decision can be superseded
  once (so corrections form a chain, newest last). ``decision_notes`` links the notes
  shared or relied on.
* ``information_requests`` and ``request_responses``: requests received from other
  agencies, and the answer to each (share, share part, decline) with reasons and, when
  shared, the decision it was shared under. A reconsideration is a new request linked
  to the original (``reconsiders_id``) with the new information.
* ``consent_entries``: the consent register, per person: dated entries given, refused,
  withdrawn. The current state is derived from them, never stored.
* ``decision_feedback``: what the recipient told us afterwards ("close the loop").
* ``decision_drafts``: a decision being made (the wizard's state), kept encrypted so it
  can be resumed after a lock or a crash. Not a record: updated and deleted freely.

Like migration 3, the record-keeping rules are triggers, with messages for people.
"""

from typing import Any

VERSION = 4
DESCRIPTION = "information-sharing decisions, requests, consent register, feedback"

_FINAL = "('share', 'share_part', 'do_not_share', 'seek_consent_first', 'seek_advice_first')"

_SCHEMA = [
    """
    CREATE TABLE information_requests (
        id INTEGER PRIMARY KEY,
        case_id INTEGER NOT NULL REFERENCES cases(id),
        received_at TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        recorded_by TEXT NOT NULL,
        requester_organisation TEXT NOT NULL DEFAULT '',
        requester_person TEXT NOT NULL DEFAULT '',
        requester_role TEXT NOT NULL DEFAULT '',
        requester_contact TEXT NOT NULL DEFAULT '',
        identity_check TEXT NOT NULL CHECK (trim(identity_check) <> ''),
        what_requested TEXT NOT NULL CHECK (trim(what_requested) <> ''),
        why_requested TEXT NOT NULL CHECK (trim(why_requested) <> ''),
        reconsiders_id INTEGER REFERENCES information_requests(id),
        new_information TEXT NOT NULL DEFAULT '',
        summary TEXT NOT NULL,
        CHECK (trim(requester_organisation) <> '' OR trim(requester_person) <> ''),
        CHECK (reconsiders_id IS NULL OR trim(new_information) <> '')
    ) STRICT
    """,
    "CREATE INDEX information_requests_by_case ON information_requests (case_id, received_at, id)",
    "CREATE INDEX information_requests_reconsiders ON information_requests (reconsiders_id)",
    """
    CREATE TABLE decisions (
        id INTEGER PRIMARY KEY,
        case_id INTEGER NOT NULL REFERENCES cases(id),
        decided_at TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        recorded_by TEXT NOT NULL,
        final_decision TEXT NOT NULL CHECK (final_decision IN """
    + _FINAL
    + """),
        recommendation TEXT NOT NULL
            CHECK (recommendation IN ('share', 'share_anonymised', 'seek_consent', 'do_not_share')),
        follows_recommendation INTEGER NOT NULL CHECK (follows_recommendation IN (0, 1)),
        purpose TEXT NOT NULL CHECK (trim(purpose) <> ''),
        what_shared TEXT NOT NULL DEFAULT '',
        recipient_organisation TEXT NOT NULL DEFAULT '',
        recipient_person TEXT NOT NULL DEFAULT '',
        recipient_role TEXT NOT NULL DEFAULT '',
        recipient_contact TEXT NOT NULL DEFAULT '',
        recipient_secure_route TEXT NOT NULL DEFAULT '',
        lawful_basis TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(lawful_basis)),
        article9_condition TEXT,
        confidentiality TEXT,
        consent_given_by_and_when TEXT NOT NULL DEFAULT '',
        reasons_consent_not_sought TEXT NOT NULL DEFAULT '',
        reasons_for_overriding_objection TEXT NOT NULL DEFAULT '',
        informed TEXT NOT NULL DEFAULT ''
            CHECK (informed IN ('', 'told_before', 'told_after', 'not_yet', 'not_told')),
        informed_when TEXT NOT NULL DEFAULT '',
        reason_not_informed TEXT NOT NULL DEFAULT '',
        advice_sought_from TEXT NOT NULL DEFAULT '',
        advice_sought_at TEXT NOT NULL DEFAULT '',
        advice_given TEXT NOT NULL DEFAULT '',
        risk_level TEXT NOT NULL CHECK (trim(risk_level) <> ''),
        decided_by TEXT NOT NULL CHECK (trim(decided_by) <> ''),
        rationale TEXT NOT NULL CHECK (trim(rationale) <> ''),
        follow_up_rationale TEXT NOT NULL DEFAULT '',
        reason_differs_from_recommendation TEXT NOT NULL DEFAULT '',
        answers TEXT NOT NULL CHECK (json_valid(answers)),
        outcome TEXT NOT NULL CHECK (json_valid(outcome)),
        rules_version TEXT NOT NULL,
        required_fields TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(required_fields)),
        request_id INTEGER REFERENCES information_requests(id),
        prefill_source TEXT NOT NULL DEFAULT '',
        supersedes_id INTEGER REFERENCES decisions(id),
        supersede_reason TEXT NOT NULL DEFAULT '',
        summary TEXT NOT NULL,
        CHECK (follows_recommendation = 1 OR trim(reason_differs_from_recommendation) <> ''),
        CHECK (supersedes_id IS NULL OR trim(supersede_reason) <> '')
    ) STRICT
    """,
    "CREATE INDEX decisions_by_case ON decisions (case_id, decided_at, id)",
    # A decision is corrected at most once: the corrections form one chain.
    "CREATE UNIQUE INDEX decisions_supersedes ON decisions (supersedes_id)",
    "CREATE INDEX decisions_by_request ON decisions (request_id)",
    """
    CREATE TABLE decision_notes (
        decision_id INTEGER NOT NULL REFERENCES decisions(id),
        note_id INTEGER NOT NULL REFERENCES notes(id),
        PRIMARY KEY (decision_id, note_id)
    ) STRICT, WITHOUT ROWID
    """,
    "CREATE INDEX decision_notes_by_note ON decision_notes (note_id)",
    """
    CREATE TABLE request_responses (
        id INTEGER PRIMARY KEY,
        request_id INTEGER NOT NULL UNIQUE REFERENCES information_requests(id),
        response TEXT NOT NULL CHECK (response IN ('share', 'share_part', 'decline')),
        reasons TEXT NOT NULL CHECK (trim(reasons) <> ''),
        decision_id INTEGER REFERENCES decisions(id),
        decided_at TEXT NOT NULL,
        decided_by TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        CHECK ((response = 'decline') = (decision_id IS NULL))
    ) STRICT
    """,
    "CREATE INDEX request_responses_by_decision ON request_responses (decision_id)",
    """
    CREATE TABLE consent_entries (
        id INTEGER PRIMARY KEY,
        case_id INTEGER NOT NULL REFERENCES cases(id),
        person_id INTEGER NOT NULL REFERENCES people(id),
        kind TEXT NOT NULL CHECK (kind IN ('given', 'refused', 'withdrawn')),
        occurred_at TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        recorded_by TEXT NOT NULL,
        scope TEXT NOT NULL DEFAULT '',
        given_by TEXT NOT NULL DEFAULT '',
        capacity_note TEXT NOT NULL DEFAULT '',
        how TEXT NOT NULL DEFAULT '',
        notes TEXT NOT NULL DEFAULT '',
        summary TEXT NOT NULL,
        CHECK (kind <> 'given' OR (trim(scope) <> '' AND trim(given_by) <> ''))
    ) STRICT
    """,
    "CREATE INDEX consent_entries_by_case ON consent_entries (case_id, occurred_at, id)",
    "CREATE INDEX consent_entries_by_person ON consent_entries (person_id, occurred_at, id)",
    """
    CREATE TABLE decision_feedback (
        id INTEGER PRIMARY KEY,
        decision_id INTEGER NOT NULL REFERENCES decisions(id),
        case_id INTEGER NOT NULL REFERENCES cases(id),
        received_at TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        recorded_by TEXT NOT NULL,
        from_whom TEXT NOT NULL DEFAULT '',
        outcome TEXT NOT NULL CHECK (trim(outcome) <> ''),
        notes TEXT NOT NULL DEFAULT '',
        summary TEXT NOT NULL
    ) STRICT
    """,
    "CREATE INDEX decision_feedback_by_case ON decision_feedback (case_id, received_at, id)",
    "CREATE INDEX decision_feedback_by_decision ON decision_feedback (decision_id)",
    """
    CREATE TABLE decision_drafts (
        id INTEGER PRIMARY KEY,
        case_id INTEGER NOT NULL REFERENCES cases(id),
        state TEXT NOT NULL CHECK (json_valid(state)),
        supersedes_id INTEGER REFERENCES decisions(id),
        request_id INTEGER REFERENCES information_requests(id),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    ) STRICT
    """,
    "CREATE INDEX decision_drafts_by_case ON decision_drafts (case_id, updated_at)",
    "CREATE INDEX decision_drafts_supersedes ON decision_drafts (supersedes_id)",
    "CREATE INDEX decision_drafts_request ON decision_drafts (request_id)",
]

_NEVER_CHANGED = {
    "decisions": (
        "A recorded decision cannot be changed. Record a correction instead, with the reason.",
        "A recorded decision cannot be deleted. Record a correction instead, with the reason.",
    ),
    "decision_notes": (
        "The notes linked to a recorded decision cannot be changed. Record a correction instead.",
        "The notes linked to a recorded decision cannot be changed. Record a correction instead.",
    ),
    "information_requests": (
        "A recorded request cannot be changed. Record a reconsideration instead.",
        "A recorded request cannot be deleted.",
    ),
    "request_responses": (
        "The answer to a request cannot be changed. Record a reconsideration instead, with the new information.",
        "The answer to a request cannot be deleted.",
    ),
    "consent_entries": (
        "A consent entry cannot be changed. Record a new, dated entry instead.",
        "A consent entry cannot be deleted. Record a new, dated entry instead.",
    ),
    "decision_feedback": (
        "Recorded feedback cannot be changed. Record further feedback instead.",
        "Recorded feedback cannot be deleted.",
    ),
}

_TRIGGERS = [
    # A correction stays on the case of the decision it corrects.
    """
    CREATE TRIGGER decisions_supersede_same_case BEFORE INSERT ON decisions
    WHEN NEW.supersedes_id IS NOT NULL
    BEGIN
        SELECT RAISE(ABORT, 'A correction must be on the same case as the decision it corrects.')
        WHERE NOT EXISTS (SELECT 1 FROM decisions d WHERE d.id = NEW.supersedes_id AND d.case_id = NEW.case_id);
    END
    """,
    # The notes of a decision are those of its case.
    """
    CREATE TRIGGER decision_notes_same_case BEFORE INSERT ON decision_notes
    BEGIN
        SELECT RAISE(ABORT, 'A decision can only link notes of its own case.')
        WHERE NOT EXISTS (
            SELECT 1 FROM decisions d JOIN notes n ON n.case_id = d.case_id
            WHERE d.id = NEW.decision_id AND n.id = NEW.note_id);
    END
    """,
    """
    CREATE TRIGGER decisions_request_same_case BEFORE INSERT ON decisions
    WHEN NEW.request_id IS NOT NULL
    BEGIN
        SELECT RAISE(ABORT, 'A decision can only answer a request on its own case.')
        WHERE NOT EXISTS (
            SELECT 1 FROM information_requests r WHERE r.id = NEW.request_id AND r.case_id = NEW.case_id);
    END
    """,
    """
    CREATE TRIGGER request_responses_same_case BEFORE INSERT ON request_responses
    WHEN NEW.decision_id IS NOT NULL
    BEGIN
        SELECT RAISE(ABORT, 'A request can only be answered under a decision on its own case.')
        WHERE NOT EXISTS (
            SELECT 1 FROM information_requests r JOIN decisions d ON d.case_id = r.case_id
            WHERE r.id = NEW.request_id AND d.id = NEW.decision_id);
    END
    """,
    """
    CREATE TRIGGER consent_entries_same_case BEFORE INSERT ON consent_entries
    BEGIN
        SELECT RAISE(ABORT, 'A consent entry must be for a person on the same case.')
        WHERE NOT EXISTS (SELECT 1 FROM people p WHERE p.id = NEW.person_id AND p.case_id = NEW.case_id);
    END
    """,
    """
    CREATE TRIGGER decision_feedback_same_case BEFORE INSERT ON decision_feedback
    BEGIN
        SELECT RAISE(ABORT, 'Feedback must be on the case of its decision.')
        WHERE NOT EXISTS (SELECT 1 FROM decisions d WHERE d.id = NEW.decision_id AND d.case_id = NEW.case_id);
    END
    """,
]


def _sql_text(message: str) -> str:
    return "'" + message.replace("'", "''") + "'"


def apply(conn: Any) -> None:
    for statement in _SCHEMA:
        conn.execute(statement)
    for table, (no_update, no_delete) in _NEVER_CHANGED.items():
        conn.execute(
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, {_sql_text(no_update)}); END"
        )
        conn.execute(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, {_sql_text(no_delete)}); END"
        )
    for statement in _TRIGGERS:
        conn.execute(statement)
