"""Share now, document later: the use cases the screens and the command line call.

* ``record_emergency_share`` stores the capture (and, if asked, a minimal new case) and
  its follow-up in **one transaction** with their audit events. When it returns, the
  record is committed (``synchronous=FULL``): a crash a moment later loses nothing.
* ``outstanding_follow_ups`` lists the open follow-ups, overdue first.
* ``complete_follow_up`` links the full decision record (saved by the decision service,
  which refuses a record with a required field missing) to the emergency share.
* ``mark_in_error`` is the only other way a follow-up stops being outstanding: with a
  reason, audited, and still listed. There is no way to dismiss or delete one.
* ``oversight`` is the safeguarding lead's view of every emergency share.
* ``keep_unfinished_capture`` / ``unfinished_captures`` / ``discard_unfinished_capture``:
  what is typed in the form before it is recorded, kept encrypted in the vault so a lock
  or a crash loses nothing. Like note drafts, these are not records and not audited (they
  change every few seconds); recording the share deletes its kept capture in the same
  transaction.

Audit details hold ids, codes, times and SHA-256 fingerprints, never the text or names.
All of these run on the UI's background thread and never touch Qt.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, tzinfo
from typing import Any

from sqlcipher3.dbapi2 import IntegrityError

from desktop_app.domain import follow_up
from desktop_app.domain.emergency import (
    DecisionPrefill,
    EmergencyCapture,
    EmergencyShare,
    NewCase,
    OversightFilters,
    UnfinishedCapture,
    check_unfinished,
    decision_prefill,
    make_summary,
    order_open,
    prefill_source,
    validate_capture,
    validate_in_error_reason,
    validate_new_case,
)
from desktop_app.domain.follow_up import FollowUpStatus
from desktop_app.domain.records import CaseDetails
from desktop_app.errors import CaseNotesError, UsageError, ValidationError
from desktop_app.store import audit
from desktop_app.store import cases as case_store
from desktop_app.store import emergency as emergency_store
from desktop_app.store.connection import DatabaseError, classify
from desktop_app.store.vault import OpenVault

Connection = Any  # a sqlcipher3 connection

__all__ = [
    "complete_follow_up",
    "decision_prefill_for",
    "discard_unfinished_capture",
    "get_share",
    "keep_unfinished_capture",
    "link_saved_write_ups",
    "mark_in_error",
    "next_escalation",
    "oversight",
    "outstanding_follow_ups",
    "policy_deadline_hours",
    "record_emergency_share",
    "shares_for_case",
    "unfinished_captures",
]


def _now(now: datetime | None) -> datetime:
    return follow_up.utc(now) if now is not None else datetime.now(UTC)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@contextmanager
def _reading(vault: OpenVault, doing: str = "reading the vault") -> Iterator[Connection]:
    if vault.closed:
        raise CaseNotesError("The vault is locked.", "Unlock it and try again.")
    try:
        yield vault.conn
    except DatabaseError as exc:
        raise classify(exc, doing) from exc


@contextmanager
def _writing(vault: OpenVault, doing: str = "saving") -> Iterator[Connection]:
    """A transaction whose trigger refusals (migration 5) become plain errors."""
    try:
        with vault.transaction(doing) as conn:
            yield conn
    except IntegrityError as exc:
        message = str(exc)
        if "constraint failed" in message.lower() or not message.endswith("."):
            message = "That change could not be saved because it would break a rule of the record."
        raise UsageError(message, "Nothing was changed.") from exc


def _require_share(conn: Connection, share_id: int) -> EmergencyShare:
    share = emergency_store.get_share(conn, share_id)
    if share is None:
        raise UsageError("That emergency share is not in this vault.")
    return share


def policy_deadline_hours() -> int:
    """The organisation's follow-up deadline from policy, or the default (24 hours).

    Never raises: a damaged policy must not stop an emergency being recorded.
    """
    try:
        from desktop_app.services.policy_loader import load_policy

        hours = getattr(load_policy(), "follow_up_deadline_hours", None)
    except Exception:  # noqa: BLE001 - any policy problem means the safe default
        hours = None
    return follow_up.deadline_hours(hours if isinstance(hours, int) else None)


# -- capture ---------------------------------------------------------------------------------


def record_emergency_share(
    vault: OpenVault,
    capture: EmergencyCapture,
    *,
    create_case: NewCase | None = None,
    deadline_hours: int | None = follow_up.DEFAULT_DEADLINE_HOURS,
    now: datetime | None = None,
    unfinished_token: str | None = None,
) -> EmergencyShare:
    """Record an emergency share and its follow-up, due ``deadline_hours`` after it was
    shared (elapsed hours, bounded to 1–168). Either ``capture.case_id`` names an existing
    case, or ``create_case`` opens a minimal one (reference and child's name) in the same
    transaction. ``unfinished_token`` names the form's kept capture, deleted in the same
    transaction: never both the record and the draft, never neither."""
    current = _now(now)
    valid = validate_capture(capture, now=current)
    new_case = validate_new_case(create_case) if create_case is not None else None
    if new_case is None and capture.case_id is None:
        raise ValidationError("Choose the child's case, or open a new one with a reference and name.", field="case")
    if new_case is not None and capture.case_id is not None:
        raise ValidationError("Choose an existing case or a new one, not both.", field="case")
    hours = follow_up.deadline_hours(deadline_hours)
    due = follow_up.due_at(valid.shared_at, hours)
    actor = vault.info.owner_name
    with _writing(vault) as conn:
        if new_case is not None:
            from desktop_app.services.case_records import create_case_in

            case_id = create_case_in(
                conn, CaseDetails(new_case.reference, new_case.child_name), actor=actor, opened_on=None
            )
        else:
            assert capture.case_id is not None
            if case_store.get_case(conn, capture.case_id) is None:
                raise UsageError("That case is not in this vault.", "Choose the case again, or open a new one.")
            case_id = capture.case_id
        share_id = emergency_store.insert_share(
            conn,
            case_id,
            valid,
            summary=make_summary(valid.what, valid.why),
            due_at=due,
            deadline_hours=hours,
            recorded_at=current,
            recorded_by=actor,
        )
        audit.append_event(
            conn,
            "emergency.shared",
            actor=actor,
            subject_type="emergency_share",
            subject_id=share_id,
            details={
                "case_id": case_id,
                "case_created": new_case is not None,
                "how": valid.how,
                "shared_at": emergency_store.time_text(valid.shared_at),
                "due_at": emergency_store.time_text(due),
                "deadline_hours": hours,
                "what_sha256": _sha256(valid.what),
                "why_sha256": _sha256(valid.why),
            },
            at=current.isoformat(timespec="microseconds"),
        )
        if unfinished_token:
            emergency_store.drop_unfinished(conn, unfinished_token)
        return _require_share(conn, share_id)


# -- what is typed before it is recorded ---------------------------------------------------------


def keep_unfinished_capture(
    vault: OpenVault, capture: UnfinishedCapture, *, now: datetime | None = None
) -> UnfinishedCapture:
    """Keep what is typed in the emergency form (overwriting this form's earlier copy,
    named by ``capture.token``; a new token when it is ""). Returns it as kept, with its
    token and ``kept_at``. Refuses only a field far too long to be a brief capture."""
    kept = replace(
        check_unfinished(capture),
        token=capture.token or secrets.token_hex(8),
        kept_at=_now(now).replace(microsecond=0),
    )
    with _writing(vault, "keeping what you typed in the emergency form") as conn:
        emergency_store.keep_unfinished(conn, kept.token, kept.to_json())
    return kept


def unfinished_captures(vault: OpenVault) -> list[UnfinishedCapture]:
    """Captures typed but not recorded (left by a lock or a crash), most recent first.
    One that cannot be read is skipped (SQLCipher's page checks make that unlikely)."""
    with _reading(vault) as conn:
        rows = emergency_store.list_unfinished(conn)
    found = []
    for token, text in rows:
        capture = UnfinishedCapture.from_json(text)
        if capture is not None:
            found.append(replace(capture, token=token))
    oldest = datetime.min.replace(tzinfo=UTC)
    return sorted(found, key=lambda c: (c.kept_at or oldest, c.token), reverse=True)


def discard_unfinished_capture(vault: OpenVault, token: str) -> None:
    """Throw a kept capture away (the practitioner chose to lose it)."""
    with _writing(vault, "discarding what was typed in the emergency form") as conn:
        emergency_store.drop_unfinished(conn, token)


# -- reading ---------------------------------------------------------------------------------


def get_share(vault: OpenVault, share_id: int) -> EmergencyShare:
    with _reading(vault) as conn:
        return _require_share(conn, share_id)


def shares_for_case(vault: OpenVault, case_id: int) -> list[EmergencyShare]:
    """A case's emergency shares, newest first, whatever their status."""
    with _reading(vault) as conn:
        return emergency_store.list_for_case(conn, case_id)


def outstanding_follow_ups(vault: OpenVault, now: datetime | None = None) -> list[EmergencyShare]:
    """Every open follow-up (outstanding or overdue): overdue first, most overdue first,
    then the soonest due."""
    current = _now(now)
    with _reading(vault) as conn:
        return order_open(emergency_store.list_open(conn), current)


def next_escalation(vault: OpenVault, now: datetime | None = None) -> datetime | None:
    """When an open follow-up next becomes due soon, overdue or long overdue."""
    from desktop_app.domain.emergency import next_escalation as compute

    current = _now(now)
    with _reading(vault) as conn:
        return compute(emergency_store.list_open(conn), current)


def oversight(
    vault: OpenVault, filters: OversightFilters | None = None, *, now: datetime | None = None, tz: tzinfo | None = None
) -> list[EmergencyShare]:
    """Every emergency share matching the filters, newest first. Date filters are local
    calendar dates (``tz``, default this computer's zone), inclusive at both ends."""
    current = _now(now)
    chosen = filters or OversightFilters()
    start, end = chosen.utc_bounds(tz)
    with _reading(vault) as conn:
        return emergency_store.list_shares(
            conn,
            statuses=chosen.statuses,
            now=current,
            shared_from=start,
            shared_before=end,
            case_id=chosen.case_id,
        )


def decision_prefill_for(vault: OpenVault, share_id: int) -> DecisionPrefill:
    """What the decision wizard starts from when this share is written up."""
    with _reading(vault) as conn:
        share = _require_share(conn, share_id)
    return decision_prefill(share, organisation_sector=vault.info.organisation_sector or None)


# -- closing a follow-up ------------------------------------------------------------------------


def _require_open(share: EmergencyShare) -> None:
    if share.in_error:
        raise UsageError("This emergency share was marked as recorded in error; it needs no write-up.")
    if share.is_completed:
        raise UsageError(
            "This emergency share has already been written up.",
            f"Its decision record is number {share.completed_decision_id}.",
        )


def _complete_in(conn: Connection, share: EmergencyShare, decision_id: int, *, at: datetime, actor: str) -> None:
    emergency_store.set_completed(conn, share.id, decision_id, at=at, by=actor)
    audit.append_event(
        conn,
        "emergency.follow_up_completed",
        actor=actor,
        subject_type="emergency_share",
        subject_id=share.id,
        details={"decision_id": decision_id, "case_id": share.case_id, "on_time": at <= share.due_at},
    )


def complete_follow_up(
    vault: OpenVault, share_id: int, decision_id: int, *, now: datetime | None = None
) -> EmergencyShare:
    """Link the saved decision record that writes up this emergency share.

    The decision service refuses to save a record while a required field is empty, so a
    decision that exists is a complete write-up. This checks that it exists, is on the
    same case and does not already complete another emergency share.
    """
    current = _now(now)
    actor = vault.info.owner_name
    with _writing(vault) as conn:
        share = _require_share(conn, share_id)
        _require_open(share)
        decision_case = emergency_store.decision_case_id(conn, decision_id)
        if decision_case is None:
            raise UsageError(
                "That decision record is not in this vault.",
                "Save the write-up in the decision wizard first; the follow-up is still outstanding.",
            )
        if decision_case != share.case_id:
            raise UsageError(
                "That decision record belongs to a different case.",
                "Write up the emergency share from its own case; the follow-up is still outstanding.",
            )
        if emergency_store.share_for_decision(conn, decision_id) is not None:
            raise UsageError("That decision record already completes another emergency share.")
        _complete_in(conn, share, decision_id, at=current, actor=actor)
        return _require_share(conn, share_id)


def link_saved_write_ups(vault: OpenVault, now: datetime | None = None) -> list[EmergencyShare]:
    """Complete open follow-ups whose write-up was saved but never linked.

    The decision wizard saves the decision record (one transaction) and then links it
    (another). If the application stops in between, the decision carries
    ``prefill_source = "emergency:<id>"``; this finds it and links it, completed at the
    time the decision was recorded. Returns the shares it completed. Cheap when there is
    nothing to do; the screens call it before listing follow-ups.
    """
    current = _now(now)
    actor = vault.info.owner_name
    linked: list[EmergencyShare] = []
    with _reading(vault) as conn:
        open_shares = emergency_store.list_open(conn)
    if not open_shares:
        return linked
    with _writing(vault) as conn:
        for share in open_shares:
            found = emergency_store.unlinked_write_up(conn, share.id, share.case_id, prefill_source(share.id))
            if found is None:
                continue
            decision_id, recorded_at = found
            try:
                at = follow_up.utc(datetime.fromisoformat(recorded_at))
            except ValueError:
                at = current
            _complete_in(conn, share, decision_id, at=max(at, share.recorded_at), actor=actor)
            linked.append(_require_share(conn, share.id))
    return linked


def mark_in_error(vault: OpenVault, share_id: int, reason: str, *, now: datetime | None = None) -> EmergencyShare:
    """Mark an emergency share as recorded in error (say, the wrong child, or a test), with
    a reason. Its follow-up is then closed but the share stays in every list."""
    clean = validate_in_error_reason(reason)
    current = _now(now)
    actor = vault.info.owner_name
    with _writing(vault) as conn:
        share = _require_share(conn, share_id)
        _require_open(share)
        emergency_store.set_in_error(conn, share_id, clean, at=current, by=actor)
        audit.append_event(
            conn,
            "emergency.marked_in_error",
            actor=actor,
            subject_type="emergency_share",
            subject_id=share_id,
            details={
                "case_id": share.case_id,
                "status_before": share.status(current).value,
                "reason_sha256": _sha256(clean),
            },
            at=current.isoformat(timespec="microseconds"),
        )
        return _require_share(conn, share_id)


def status_of(share: EmergencyShare, now: datetime | None = None) -> FollowUpStatus:
    return share.status(_now(now))
