"""A clearly fictional vault: for trying the application, training, screenshots and the
store benchmark (``tests/benchmarks/bench_store.py``).

Everything is invented: references start ``DEMO-``, every name ends "(fictional)", and
the vault is marked as a demo vault. Demo data is only ever added to an empty vault or
to one already marked as a demo vault, so it can never mix with real records.

Building goes straight to the store in bulk (one transaction, ``executemany``) rather
than through ``record_note`` one note at a time: 100,000 notes through the service would
also write 100,000 audit events. The record-keeping triggers still apply, as they live in
the database; the search index is rebuilt once at the end from the current text (see
``flush``); one ``demo.created`` audit event records the build.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from desktop_app.domain.records import (
    CATEGORIES,
    SOURCE_DISCLOSED,
    SOURCE_OBSERVED,
    SOURCE_REPORTED,
    date_to_occurred_at,
    make_preview,
)
from desktop_app.errors import UsageError
from desktop_app.store import audit, search
from desktop_app.store.vault import OpenVault

DEMO_META_KEY = "demo_vault"
DEMO_OWNER = "Demo Practitioner (fictional)"
REFERENCE_PREFIX = "DEMO-"
_CHUNK = 5_000

_FIRST = (
    "Ash Bex Cai Dara Eli Fen Gus Hal Ira Jax Kit Lux Mo Nell Oz Pip Quin Rae Sol Tam Uma Vic Wren Xan Yas Zed "
    "Alder Briar Cove Dune Elm Fern Glen Heath Iris Juniper Kestrel Linden Moss Nye Orla Pell Rook Sable Tor Vale"
).split()
_LAST = (
    "Applewood Brightwater Cloudberry Dunmore Eastbrook Fairhollow Greystone Hollins Ivydale Juniper Kettleby "
    "Larkspur Millbrook Northway Oakhurst Pebblecombe Quarrington Rosethorn Saltmarsh Thistlewood Underhill "
    "Vantage Whitmore Yarrowby"
).split()
_ADULTS = ("Mum", "Dad", "Gran", "the step-father", "the aunt", "the older brother", "mum's partner", "the carer")
_PROFESSIONALS = (
    "the class teacher",
    "the health visitor",
    "the school nurse",
    "the GP",
    "the youth worker",
    "the social worker",
    "the police officer",
    "the family support worker",
    "the headteacher",
    "the attendance officer",
)
_PLACES = (
    "school",
    "home",
    "the park",
    "the bus stop",
    "the youth club",
    "the shop",
    "the clinic",
    "the playground",
    "the library",
    "the leisure centre",
)
_BODY = ("left arm", "right arm", "cheek", "forehead", "wrist", "neck", "back", "leg", "shoulder", "hand")
_TIMES = (
    "this morning",
    "after lunch",
    "at the end of the day",
    "last night",
    "over the weekend",
    "during break",
    "on Monday",
    "on Friday afternoon",
    "before registration",
    "during the holidays",
)
_STREETS = tuple(
    f"{name} {kind}"
    for name in "Alder Birch Canal Dove Ember Foundry Garnet Harbour Kiln Lantern Marsh Orchard Quarry Reed".split()
    for kind in ("Road", "Close", "Lane")
)
_ITEMS = ("trainers", "a games console", "cash", "a bike", "vapes", "designer clothes", "a second phone", "jewellery")
_FEELINGS = ("anxious", "angry", "tearful", "quiet", "cheerful", "frightened", "embarrassed", "distracted")
_SENTENCES = (
    "{child} arrived at {place} {time} and seemed tired and withdrawn.",
    "{child} had a bruise on the {body}; {child} said it happened at {place}.",
    "{child} had a scratch on the {body} and would not say how it happened.",
    "{child} had a burn mark on the {body} that {adult} said was from the oven.",
    "{adult} said {child} had not been sleeping well and was worried about money.",
    "{pro} reported that {child} missed an appointment {time}.",
    "{child} appeared hungry and asked for extra food {time}.",
    "{child} told {pro} that there was shouting at home {time}.",
    "School attendance has dropped to below ninety per cent this term.",
    "{adult} did not attend the meeting at {place}; a new date has been offered.",
    "{pro} will follow up with {adult} by phone {time}.",
    "{child} was seen with older young people near {street} {time}.",
    "{child} said an adult online had asked for photos.",
    "{child} had {item} and unexplained money; {adult} could not say where it came from.",
    "{adult} disclosed that the police were called to the house on {street} {time}.",
    "The home visit found little food in the kitchen and the heating off.",
    "{child} was wearing clothes that were dirty and too small.",
    "{pro} shared a concern about {child}'s weight and dental health.",
    "{child} was calm and engaged well in the session at {place}.",
    "{adult} was supportive and agreed to a referral for early help.",
    "{child} said {adult} drinks a lot and sometimes forgets to collect {child} from {place}.",
    "A neighbour on {street} reported hearing a child crying for a long time {time}.",
    "{child} went missing from home {time} and was found at {place} by {pro}.",
    "{child} mentioned a knife being carried by a friend at {place}.",
    "{adult} appeared low in mood and said they were struggling to cope.",
    "{pro} noted that {child} flinched when an adult raised their voice.",
    "Plan agreed: {pro} to visit weekly and review at the next meeting.",
    "{child} was excluded for a fixed period after a fight at {place}.",
    "{child} spoke about being bullied in group chats and not wanting to go to {place}.",
    "The family were offered a food bank voucher and support with the rent arrears.",
    "{child} seemed {feeling} when talking about {adult}.",
    "{child} was {feeling} at drop-off and did not want {adult} to leave.",
    "{adult} said the family may have to move out of the flat on {street}.",
    "{child} has been sharing a bed with two siblings since the move.",
    "{pro} confirmed {child} is not registered with a dentist.",
    "{child} talked about a new boyfriend who is much older and drives a car.",
    "{child} was given a lift home by an unknown adult {time}.",
    "{child} said {adult} locks {child} in the bedroom as a punishment.",
    "{adult} refused to let {pro} into the house and spoke through the window.",
    "{child} drew a picture of the family and left {adult} out of it.",
    "{child} asked {pro} whether what is said in the session stays private.",
    "The immunisations are overdue and two letters have gone unanswered.",
    "{child} has head lice again and the skin on the {body} looks sore.",
    "{adult} smelled strongly of alcohol at collection {time}.",
    "{child} was found asleep in class and said {child} had been up gaming all night.",
    "{child} has been self-harming; cuts were seen on the {body}.",
    "{pro} referred {child} to the school counsellor with consent from {adult}.",
    "{child} is caring for a younger sibling most evenings while {adult} works.",
    "{adult} reported that {child} has been stealing from shops near {street}.",
    "{child} said a cousin showed {child} videos of fighting on a phone.",
    "There is a new adult living at the address on {street}; {adult} would not give a name.",
    "{child} wants to join the football team but cannot afford the kit.",
    "{child} has been using a food parcel from the church on {street}.",
    "{pro} attended the child protection conference and shared this chronology.",
    "{adult} said {child}'s father has been released from prison.",
    "{child} was upset that contact with the father was cancelled again.",
    "{child} arrived without a coat in the rain and was given one from lost property.",
    "{child} said there is no electricity credit on the meter.",
    "{adult} is pregnant and has not attended antenatal appointments.",
    "{child} talked about extremist videos a friend shared and seemed unsure what to think.",
)


@dataclass(frozen=True)
class DemoSummary:
    cases: int
    people: int
    notes: int
    largest_case_id: int | None
    largest_case_notes: int


def _note_text(rng: random.Random, child: str) -> str:
    fills = {
        "child": child,
        "adult": rng.choice(_ADULTS),
        "pro": rng.choice(_PROFESSIONALS),
        "place": rng.choice(_PLACES),
        "time": rng.choice(_TIMES),
        "body": rng.choice(_BODY),
        "street": rng.choice(_STREETS),
        "item": rng.choice(_ITEMS),
        "feeling": rng.choice(_FEELINGS),
    }
    sentences = [rng.choice(_SENTENCES).format(**fills) for _ in range(rng.randint(2, 7))]
    text = " ".join(s[0].upper() + s[1:] for s in sentences)
    return "Fictional demo note. " + text


def _allowed(vault: OpenVault) -> None:
    conn = vault.conn
    has_cases = conn.execute("SELECT EXISTS (SELECT 1 FROM cases)").fetchone()[0]
    is_demo = conn.execute("SELECT value FROM meta WHERE key = ?", (DEMO_META_KEY,)).fetchone()
    if has_cases and not is_demo:
        raise UsageError(
            "This vault already holds case records, so no demo data has been added to it.",
            "Demo data only goes into an empty vault or a demo vault. Choose a new folder for a demo vault.",
        )


def build_demo(
    vault: OpenVault,
    *,
    cases: int = 20,
    notes: int = 400,
    largest_case_notes: int | None = None,
    seed: int = 2024,
    today: date | None = None,
) -> DemoSummary:
    """Add ``cases`` fictional cases holding ``notes`` notes in all. The first case gets
    ``largest_case_notes`` of them (default: its fair share); the rest are spread at
    random. Deterministic for a given seed."""
    if cases < 1 or notes < 0:
        raise UsageError("A demo needs at least one case and cannot have a negative number of notes.")
    largest = min(notes, largest_case_notes if largest_case_notes is not None else notes // cases)
    if cases == 1:
        largest = notes
    _allowed(vault)
    rng = random.Random(seed)
    actor = vault.info.owner_name
    now = audit.utc_now()
    end = datetime.combine(today or date.today(), datetime.min.time(), UTC)
    with vault.transaction("building the demo vault") as conn:
        conn.execute("PRAGMA defer_foreign_keys = ON")
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, 'yes')", (DEMO_META_KEY,))
        first_case = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM cases").fetchone()[0]
        first_person = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM people").fetchone()[0]
        first_note = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM notes").fetchone()[0]
        first_revision = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM note_revisions").fetchone()[0]
        taken = conn.execute("SELECT count(*) FROM cases WHERE reference LIKE ?", (REFERENCE_PREFIX + "%",)).fetchone()[
            0
        ]

        case_rows: list[tuple[Any, ...]] = []
        status_rows: list[tuple[Any, ...]] = []
        person_rows: list[tuple[Any, ...]] = []
        children: dict[int, str] = {}
        reporters: dict[int, list[int]] = {}
        person_id = first_person
        for i in range(cases):
            case_id = first_case + i
            child = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
            children[case_id] = child.split()[0]
            born = date(2008, 1, 1) + timedelta(days=rng.randrange(365 * 14))
            opened = (end - timedelta(days=rng.randrange(365 * 3, 365 * 4))).date()
            case_rows.append(
                (
                    case_id,
                    f"{REFERENCE_PREFIX}{taken + i + 1:05d}",
                    f"{child} (fictional)",
                    born.isoformat(),
                    "{}",
                    DEMO_OWNER,
                    now,
                    now,
                )
            )
            status_rows.append((case_id, "open", opened.isoformat(), date_to_occurred_at(opened), "", now, actor))
            reporters[case_id] = []
            for relationship, protect in (("Parent", False), ("Neighbour", rng.random() < 0.3)):
                name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)} (fictional)"
                reason = "Fictional: fears reprisal if identified." if protect else ""
                person_rows.append((person_id, case_id, name, relationship, "", int(protect), reason, now, now))
                reporters[case_id].append(person_id)
                person_id += 1
        conn.executemany(
            "INSERT INTO cases (id, reference, subject_name, subject_date_of_birth, subject_identifiers, key_worker, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            case_rows,
        )
        conn.executemany(
            "INSERT INTO case_status_changes (case_id, status, effective_on, occurred_at, reason, recorded_at, "
            "recorded_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
            status_rows,
        )
        conn.executemany(
            "INSERT INTO people (id, case_id, name, relationship, contact, protect_identity, protect_reason, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            person_rows,
        )

        categories = [c.code for c in CATEGORIES]
        span = int(timedelta(days=365 * 3).total_seconds())
        note_rows: list[tuple[Any, ...]] = []
        revision_rows: list[tuple[Any, ...]] = []
        people_rows: list[tuple[int, int]] = []

        def flush() -> None:
            # Notes before their revisions (foreign keys are checked at commit): the
            # indexing trigger then finds no text yet and adds nothing, and the index is
            # built once at the end. Indexing row by row from the trigger costs about
            # 0.5 ms a note with cipher_memory_security on, 50 s for 100,000 notes.
            conn.executemany(
                "INSERT INTO notes (id, case_id, author, recorded_at, occurred_at, category, current_revision_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                note_rows,
            )
            conn.executemany(
                "INSERT INTO note_revisions (id, note_id, revision, occurred_at, category, source, source_person_id, "
                "source_name, reason, author, recorded_at, preview, text) "
                "VALUES (?, ?, 1, ?, ?, ?, ?, '', '', ?, ?, ?, ?)",
                revision_rows,
            )
            conn.executemany("INSERT INTO note_people (revision_id, person_id) VALUES (?, ?)", people_rows)
            note_rows.clear()
            revision_rows.clear()
            people_rows.clear()

        for k in range(notes):
            case_id = first_case if k < largest or cases == 1 else first_case + 1 + rng.randrange(cases - 1)
            note_id = first_note + k
            revision_id = first_revision + k
            occurred = (end - timedelta(seconds=rng.randrange(span))).isoformat()
            category = rng.choice(categories)
            roll = rng.random()
            source, person = (
                (SOURCE_REPORTED, rng.choice(reporters[case_id]))
                if roll < 0.3
                else (SOURCE_DISCLOSED, None)
                if roll < 0.45
                else (SOURCE_OBSERVED, None)
            )
            text = _note_text(rng, children[case_id])
            revision_rows.append(
                (revision_id, note_id, occurred, category, source, person, DEMO_OWNER, now, make_preview(text), text)
            )
            note_rows.append((note_id, case_id, DEMO_OWNER, now, occurred, category, revision_id))
            if person is not None:
                people_rows.append((revision_id, person))
            if len(note_rows) >= _CHUNK:
                flush()
        flush()
        search.rebuild(conn)
        audit.append_event(
            conn,
            "demo.created",
            actor=actor,
            details={"cases": cases, "people": len(person_rows), "notes": notes, "seed": seed},
        )
    return DemoSummary(cases, len(person_rows), notes, first_case if notes else None, largest)
