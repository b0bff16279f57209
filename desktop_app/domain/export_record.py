"""Exports and information received, as plain data: what the record says left the vault
(or arrived in it), and the words used to show it.

An export record holds ids, hashes and counts, never record text: which notes, which
people, which case fields, how many passages were redacted by hand, for whom, in what
form, and the SHA-256 of the bytes written. The records themselves say what was written;
this says which of them went where (golden rule 7: record what was shared, with whom).

Ids in packets are written ``N-12`` (note 12) and ``D-17`` (decision 17), so a recipient
reading a PDF can quote them back and the sender finds the record.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any, Literal

from desktop_app.errors import ValidationError

ExportKind = Literal["share_packet", "subject_access"]
Protection = Literal["pdf-password", "age-key", "age-passphrase"]

KIND_SHARE_PACKET: ExportKind = "share_packet"
KIND_SUBJECT_ACCESS: ExportKind = "subject_access"
EXPORT_KIND_LABELS: dict[str, str] = {
    KIND_SHARE_PACKET: "Share packet",
    KIND_SUBJECT_ACCESS: "Subject access export",
}
PROTECTIONS: tuple[Protection, ...] = ("pdf-password", "age-key", "age-passphrase")
PROTECTION_LABELS: dict[str, str] = {
    "pdf-password": "password-protected PDF",
    "age-key": "age bundle for the recipient's key",
    "age-passphrase": "age bundle with a passphrase",
}
# A chronology flag this module adds: the recipient has said what they did with it.
FLAG_FEEDBACK_RECEIVED = "feedback_received"
MAX_DESTINATION_CHARS = 255

_REF = re.compile(r"^\s*([DN])-(\d{1,18})\s*$")


def decision_ref(decision_id: int) -> str:
    return f"D-{decision_id}"


def note_ref(note_id: int) -> str:
    return f"N-{note_id}"


def parse_ref(text: str | None, prefix: str) -> int | None:
    """``D-17`` → 17 (for ``prefix`` "D"); anything else → None."""
    if not text:
        return None
    found = _REF.match(text)
    if found is None or found.group(1) != prefix:
        return None
    return int(found.group(2))


def protection_format(protection: str) -> str:
    """``pdf`` or ``age``: the policy's name for the form of the output."""
    if protection == "pdf-password":
        return "pdf"
    if protection in ("age-key", "age-passphrase"):
        return "age"
    raise ValidationError(f"Unknown protection {protection!r}.", field="protection")


def destination_name(text: str) -> str:
    """Only the file name of where an export was saved: a path says things about the
    computer (user names, folder names) that the record does not need."""
    name = PureWindowsPath(PurePosixPath(str(text).strip()).name).name.strip()
    name = "".join(ch for ch in name if ch.isprintable())
    return name[:MAX_DESTINATION_CHARS]


def _ids(values: Iterable[Any], what: str) -> tuple[int, ...]:
    out: list[int] = []
    for value in values:
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValidationError(f"The {what} of an export must be record ids.", field=what)
        if value not in out:
            out.append(value)
    return tuple(out)


@dataclass(frozen=True)
class ExportItems:
    """Which records went (ids and keys only, never their text)."""

    note_ids: tuple[int, ...] = ()
    person_ids: tuple[int, ...] = ()
    fields: tuple[str, ...] = ()
    revealed_person_ids: tuple[int, ...] = ()  # protected people named on purpose
    protected_people: int = 0  # how many protected people were redacted to labels
    manual_redactions: int = 0  # passages marked by hand
    redacted_phrases: int = 0  # phrases redacted wherever they appear
    entries: int = 0  # subject access: decisions, consent entries and the like listed

    def __post_init__(self) -> None:
        object.__setattr__(self, "note_ids", _ids(self.note_ids, "note_ids"))
        object.__setattr__(self, "person_ids", _ids(self.person_ids, "person_ids"))
        object.__setattr__(self, "revealed_person_ids", _ids(self.revealed_person_ids, "revealed_person_ids"))
        object.__setattr__(self, "fields", tuple(str(f) for f in self.fields))

    def to_json(self) -> dict[str, Any]:
        return {
            "note_ids": list(self.note_ids),
            "person_ids": list(self.person_ids),
            "fields": list(self.fields),
            "revealed_person_ids": list(self.revealed_person_ids),
            "protected_people": self.protected_people,
            "manual_redactions": self.manual_redactions,
            "redacted_phrases": self.redacted_phrases,
            "entries": self.entries,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ExportItems:
        def number(key: str) -> int:
            value = data.get(key, 0)
            return value if isinstance(value, int) and not isinstance(value, bool) else 0

        return cls(
            note_ids=tuple(data.get("note_ids", ())),
            person_ids=tuple(data.get("person_ids", ())),
            fields=tuple(data.get("fields", ())),
            revealed_person_ids=tuple(data.get("revealed_person_ids", ())),
            protected_people=number("protected_people"),
            manual_redactions=number("manual_redactions"),
            redacted_phrases=number("redacted_phrases"),
            entries=number("entries"),
        )


@dataclass(frozen=True)
class ExportEntry:
    """One recorded export."""

    id: int
    case_id: int
    decision_id: int | None
    person_id: int | None
    kind: str
    packet_id: str
    items: ExportItems
    recipient_organisation: str
    recipient_person: str
    recipient_secure_route: str
    format: str
    protection: str
    output_sha256: str
    output_size: int
    manifest_sha256: str | None
    signer_fingerprint: str | None
    destination: str
    protective_marking: str
    exported_at: str
    recorded_at: str
    exported_by: str
    audit_event_id: int
    summary: str
    feedback_count: int = 0

    @property
    def feedback_received(self) -> bool:
        return self.feedback_count > 0

    @property
    def title(self) -> str:
        return export_title(self.kind, self.protection)

    @property
    def recipient(self) -> str:
        return ", ".join(p for p in (self.recipient_person, self.recipient_organisation) if p)


@dataclass(frozen=True)
class ReceivedBundle:
    """A verified bundle someone sent, kept on a case as information received."""

    id: int
    case_id: int
    request_id: int | None
    packet_id: str
    source_vault_id: str
    sender_name: str
    sender_organisation: str
    sender_decision_ref: str | None
    signer_fingerprint: str
    protected_by: str
    bundle_sha256: str
    manifest_sha256: str
    sent_at: str
    imported_at: str
    recorded_at: str
    imported_by: str
    note_count: int
    audit_event_id: int
    summary: str

    @property
    def sender(self) -> str:
        return ", ".join(p for p in (self.sender_name, self.sender_organisation) if p)


def export_title(kind: str, protection: str) -> str:
    """``Share packet, password-protected PDF``: what the chronology shows as the title."""
    return f"{EXPORT_KIND_LABELS.get(kind, kind)}, {PROTECTION_LABELS.get(protection, protection)}"


def _count(number: int, one: str, many: str | None = None) -> str:
    return f"{number} {one if number == 1 else (many or one + 's')}"


def export_summary(
    items: ExportItems, *, recipient: str, destination: str, kind: str = KIND_SHARE_PACKET, subject: str = ""
) -> str:
    """A one-line preview for the chronology: counts, recipient and file name; no record text."""
    if kind == KIND_SUBJECT_ACCESS:
        about = f"About {subject}: " if subject else ""
        what = [_count(len(items.note_ids), "note"), _count(items.entries, "other entry", "other entries")]
        text = about + ", ".join(what)
    else:
        what = [_count(len(items.note_ids), "note")]
        if items.person_ids:
            what.append(_count(len(items.person_ids), "person", "people"))
        if items.fields:
            what.append(_count(len(items.fields), "case detail", "case details"))
        text = ", ".join(what)
        if recipient:
            text += f" to {recipient}"
    redacted = items.protected_people + items.manual_redactions + items.redacted_phrases
    if redacted:
        text += f"; {_count(redacted, 'redaction')}"
    if destination:
        text += f"; saved as {destination}"
    return text + "."


def received_summary(sender: str, note_count: int, request_id: int | None) -> str:
    text = f"From {sender or 'an unnamed sender'}: {_count(note_count, 'note')}, verified"
    if request_id is not None:
        text += f"; answers request {request_id}"
    return text + "."


__all__ = [
    "EXPORT_KIND_LABELS",
    "FLAG_FEEDBACK_RECEIVED",
    "KIND_SHARE_PACKET",
    "KIND_SUBJECT_ACCESS",
    "PROTECTIONS",
    "PROTECTION_LABELS",
    "ExportEntry",
    "ExportItems",
    "ExportKind",
    "NoteChoice",
    "Protection",
    "ReceivedBundle",
    "decision_ref",
    "destination_name",
    "export_summary",
    "export_title",
    "note_ref",
    "parse_ref",
    "protection_format",
    "received_summary",
]


@dataclass(frozen=True)
class NoteChoice:
    """A note as the export dialog lists it: enough to choose, never the whole body."""

    id: int
    occurred_at: str
    recorded_at: str
    category: str  # the stored code
    preview: str
    author: str
    revision: int
    marked_kind: str | None  # "in_error" or "wrong_case" when marked
    flags: tuple[str, ...]
