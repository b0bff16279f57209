"""The chronology: every dated event of a case in one time line, newest first, from
every registered source, paged by cursor or offset without gaps or repeats."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from desktop_app.domain.records import Case, CaseDetails, ChronologyEntry, NoteInput
from desktop_app.services import case_records as records
from desktop_app.store import chronology
from desktop_app.store.chronology import ChronologySource
from desktop_app.store.vault import OpenVault


@pytest.fixture
def case(open_vault: OpenVault) -> Case:
    return records.create_case(open_vault, CaseDetails("C-001", "Jamie Example"), opened_on=date(2023, 1, 2))


def add(vault: OpenVault, case: Case, when: str, text: str = "A note.") -> int:
    return records.record_note(vault, case.id, NoteInput(occurred_at=when, text=text)).id


def every_entry(vault: OpenVault, case_id: int, size: int) -> Iterator[ChronologyEntry]:
    page = records.chronology_page(vault, case_id, limit=size)
    yield from page.entries
    while page.next_cursor is not None:
        page = records.chronology_page(vault, case_id, limit=size, after=page.next_cursor)
        yield from page.entries


def test_every_kind_in_one_time_line_newest_first(open_vault: OpenVault, case: Case) -> None:
    first = add(open_vault, case, "2024-01-05T10:00:00+00:00", "First visit.")
    latest = add(open_vault, case, "2024-03-01T10:00:00+00:00", "Latest visit.")
    letter = records.add_attachment(open_vault, case.id, filename="letter.pdf", data=b"%PDF-1.4 fictional")
    page = records.chronology_page(open_vault, case.id)
    kinds = [(e.kind, e.item_id) for e in page.entries]
    assert kinds == [("attachment", letter.id), ("note", latest), ("note", first), ("case_status", 1)]
    assert page.total == 4 and page.next_cursor is None
    times = [e.occurred_at for e in page.entries]
    assert times == sorted(times, reverse=True)
    note_entry = page.entries[1]
    assert (note_entry.title, note_entry.summary) == ("General welfare", "Latest visit.")
    assert page.entries[0].title == "letter.pdf"


def test_another_case_is_never_mixed_in(open_vault: OpenVault, case: Case) -> None:
    other = records.create_case(open_vault, CaseDetails("C-002", "Robin Sample"))
    add(open_vault, other, "2024-01-05T10:00:00+00:00")
    assert {e.case_id for e in records.chronology_page(open_vault, case.id).entries} == {case.id}


def test_paging_by_cursor_gives_each_entry_once_even_with_equal_times(open_vault: OpenVault, case: Case) -> None:
    ids = [add(open_vault, case, f"2024-02-{day:02d}T09:00:00+00:00") for day in range(1, 8) for _ in range(3)]
    seen = [(e.kind, e.item_id) for e in every_entry(open_vault, case.id, size=4)]
    assert len(seen) == len(set(seen)) == len(ids) + 1  # plus the case opening
    assert {i for k, i in seen if k == "note"} == set(ids)
    by_offset = [
        (e.kind, e.item_id)
        for offset in range(0, 22, 5)
        for e in records.chronology_page(open_vault, case.id, limit=5, offset=offset).entries
    ]
    assert by_offset == seen


def test_previews_not_bodies(open_vault: OpenVault, case: Case) -> None:
    add(open_vault, case, "2024-01-05T10:00:00+00:00", "word " * 10_000)
    [entry] = records.chronology_page(open_vault, case.id, kinds=["note"]).entries
    assert len(entry.summary) <= 160 and entry.summary.endswith("…")


def test_choosing_kinds_and_counting(open_vault: OpenVault, case: Case) -> None:
    add(open_vault, case, "2024-01-05T10:00:00+00:00")
    page = records.chronology_page(open_vault, case.id, kinds=["note"])
    assert [e.kind for e in page.entries] == ["note"] and page.total == 1
    assert chronology.count(open_vault.conn, case.id) == 2
    with pytest.raises(ValueError):
        records.chronology_page(open_vault, case.id, kinds=["gossip"])


def test_flags_show_amended_marked_and_attachments(open_vault: OpenVault, case: Case) -> None:
    note_id = add(open_vault, case, "2024-01-05T10:00:00+00:00", "Original.")
    records.amend_note(open_vault, note_id, NoteInput("2024-01-05T10:00:00+00:00", "Amended."), reason="Clarity")
    records.add_attachment(open_vault, case.id, filename="photo.jpg", data=b"\xff\xd8fake", note_id=note_id)
    records.mark_note_in_error(open_vault, note_id, reason="Wrong visit")
    [entry] = records.chronology_page(open_vault, case.id, kinds=["note"]).entries
    assert set(entry.flags) == {"amended", "in_error", "attachments"}
    assert entry.summary == "Amended."
    # An attachment on a note shows through the note's flag, not as an entry of its own.
    assert records.chronology_page(open_vault, case.id, kinds=["attachment"]).entries == []


def test_every_registered_source_yields_the_agreed_columns(open_vault: OpenVault) -> None:
    registered = chronology.sources()
    assert {"note", "attachment", "case_status"} <= set(registered)
    for source in registered.values():
        assert chronology.check_source(open_vault.conn, source) == [], source.kind


def test_a_new_kind_of_record_joins_by_registering_a_source(open_vault: OpenVault, case: Case) -> None:
    """How decisions and emergency shares join: one SELECT with the eight columns."""
    open_vault.conn.execute(
        "CREATE TEMP TABLE visits (id INTEGER PRIMARY KEY, case_id INTEGER, at TEXT, recorded_at TEXT, place TEXT)"
    )
    open_vault.conn.execute(
        "INSERT INTO temp.visits VALUES (7, ?, '2024-02-01T12:00:00+00:00', '2024-02-01T13:00:00+00:00', 'home')",
        (case.id,),
    )
    source = ChronologySource(
        kind="visit",
        sql="SELECT case_id, at AS occurred_at, recorded_at, 'visit' AS kind, id AS item_id, place AS title, "
        "'' AS summary, '' AS flags FROM temp.visits",
        format_title=lambda place: f"Visit at {place}",
    )
    chronology.register_source(source)
    try:
        assert chronology.check_source(open_vault.conn, source) == []
        with pytest.raises(ValueError):
            chronology.register_source(ChronologySource(kind="visit", sql="SELECT 1"))
        add(open_vault, case, "2024-01-05T10:00:00+00:00")
        entries = records.chronology_page(open_vault, case.id).entries
        assert [(e.kind, e.title) for e in entries][:2] == [("visit", "Visit at home"), ("note", "General welfare")]
        bad = ChronologySource(kind="bad", sql="SELECT 1 AS case_id")
        assert chronology.check_source(open_vault.conn, bad) != []
    finally:
        chronology._SOURCES.pop("visit", None)


def test_a_page_needs_a_sensible_size(open_vault: OpenVault, case: Case) -> None:
    with pytest.raises(Exception, match="positive size"):
        records.chronology_page(open_vault, case.id, limit=0)
