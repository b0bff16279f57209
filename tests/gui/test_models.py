"""The three item models over real vaults: Qt's model checks, and lazy fetching."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtTest import QAbstractItemModelTester

from desktop_app.domain.records import (
    SNIPPET_END,
    SNIPPET_START,
    CaseDetails,
    NoteInput,
    PersonDetails,
)
from desktop_app.services import case_records, demo_data
from desktop_app.ui.background import BackgroundRunner
from desktop_app.ui.models.case_list_model import CASE_ID_ROLE, CHILD, KEY_WORKER, LAST, REFERENCE, CaseListModel
from desktop_app.ui.models.chronology_model import FLAGS, KIND, TITLE, WHEN, ChronologyModel
from desktop_app.ui.models.search_results_model import (
    HIT_ROLE,
    SNIPPET_HTML_ROLE,
    SearchRequest,
    SearchResultsModel,
)

WAIT_MS = 15_000


@pytest.fixture
def runner() -> Iterator[BackgroundRunner]:
    runner = BackgroundRunner()
    yield runner
    runner.shutdown()


def check(qtmodeltester: Any, qtlog: Any, model: Any) -> QAbstractItemModelTester:
    """Both testers: pytest-qt's Python one (assertions) and Qt's own (warnings)."""
    qtmodeltester.check(model, force_py=True)
    return QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Warning)


def fetch_all(qtbot: Any, model: Any) -> None:
    """Ask for pages until the last has arrived (a view does this while scrolling)."""
    while model.canFetchMore(QModelIndex()) or model.loading:
        model.fetchMore()
        qtbot.waitUntil(lambda: not model.loading, timeout=WAIT_MS)


def no_model_failures(qtlog: Any) -> None:
    failures = [r.message for r in qtlog.records if "FAIL" in r.message]
    assert not failures, failures


def seed(vault: Any) -> dict[str, int]:
    first = case_records.create_case(vault, CaseDetails("REF-1", "Sam Example", key_worker="Alex"))
    second = case_records.create_case(vault, CaseDetails("REF-2", "Jo Sample", key_worker="Bea"))
    case_records.create_case(vault, CaseDetails("REF-3", "Kim Other", key_worker="Alex"))
    neighbour = case_records.add_person(
        vault,
        first.id,
        PersonDetails("Pat Neighbour", "Neighbour", protect_identity=True, protect_reason="Fears reprisal"),
    )
    now = datetime.now() - timedelta(hours=1)
    note = case_records.record_note(
        vault, first.id, NoteInput(now - timedelta(days=2), "Bruise on the left arm, seen at school.", "physical_abuse")
    )
    case_records.record_note(
        vault,
        first.id,
        NoteInput(now, "Pat said there was shouting; bruise again.", "domestic_abuse", "reported", neighbour.id),
    )
    case_records.amend_note(
        vault,
        note.id,
        NoteInput(now - timedelta(days=2), "Bruise on the right arm, seen at school.", "physical_abuse"),
        reason="Wrong arm",
    )
    wrong = case_records.record_note(
        vault, second.id, NoteInput(now, "Recorded on the wrong child: bruise.", "neglect")
    )
    case_records.mark_note_in_error(vault, wrong.id, reason="Wrong child")
    case_records.add_attachment(vault, first.id, filename="letter.txt", data=b"A letter")
    return {"first": first.id, "second": second.id}


def test_case_list_model_passes_the_model_checks(
    qtbot: Any, qtmodeltester: Any, qtlog: Any, open_vault: Any, runner: BackgroundRunner
) -> None:
    seed(open_vault)
    model = CaseListModel(runner, open_vault, page_size=2)
    tester = check(qtmodeltester, qtlog, model)
    fetch_all(qtbot, model)
    assert model.rowCount() == 3
    assert {model.data(model.index(r, 0), CASE_ID_ROLE) for r in range(3)}
    assert model.data(model.index(0, 0)) in {"REF-1", "REF-2", "REF-3"}
    # Filtering starts again from the first page, and only matching cases come back.
    model.set_filter(None, "jo kim")
    fetch_all(qtbot, model)
    assert [model.data(model.index(r, 0)) for r in range(model.rowCount())] == []
    model.set_filter(None, "Sample")
    fetch_all(qtbot, model)
    assert [model.data(model.index(r, 0)) for r in range(model.rowCount())] == ["REF-2"]
    model.set_filter("closed", "")
    fetch_all(qtbot, model)
    assert model.rowCount() == 0
    del tester
    no_model_failures(qtlog)


def test_chronology_model_passes_the_model_checks_and_shows_every_kind(
    qtbot: Any, qtmodeltester: Any, qtlog: Any, open_vault: Any, runner: BackgroundRunner
) -> None:
    ids = seed(open_vault)
    model = ChronologyModel(runner, open_vault, ids["first"], page_size=2)
    tester = check(qtmodeltester, qtlog, model)
    fetch_all(qtbot, model)
    kinds = [model.entry(r).kind for r in range(model.rowCount())]
    assert sorted(kinds) == ["attachment", "case_status", "note", "note"]
    rows = {model.entry(r).kind + str(model.entry(r).flags): r for r in range(model.rowCount())}
    amended = next(r for r in range(model.rowCount()) if "amended" in model.entry(r).flags)
    assert model.data(model.index(amended, FLAGS)) == "Amended"
    assert not model.data(model.index(amended, FLAGS), Qt.ItemDataRole.DecorationRole).isNull()
    protected = next(r for r in range(model.rowCount()) if "protected" in model.entry(r).flags)
    assert "Involves a protected person" in model.data(model.index(protected, FLAGS))
    assert model.data(model.index(protected, TITLE)) == "Domestic abuse, including controlling or coercive behaviour"
    assert rows
    # Times are shown in local time, as "Thu 07 Mar 2024 14:30".
    assert len(model.data(model.index(0, WHEN)).split()) == 5
    del tester
    no_model_failures(qtlog)


def test_chronology_marks_in_error_in_words(qtbot: Any, open_vault: Any, runner: BackgroundRunner) -> None:
    ids = seed(open_vault)
    model = ChronologyModel(runner, open_vault, ids["second"])
    fetch_all(qtbot, model)
    note_row = next(r for r in range(model.rowCount()) if model.entry(r).kind == "note")
    assert model.data(model.index(note_row, FLAGS)) == "Recorded in error"
    assert model.data(model.index(note_row, TITLE), Qt.ItemDataRole.FontRole).strikeOut()


def test_unknown_kinds_and_flags_render_generically(open_vault: Any, runner: BackgroundRunner) -> None:
    from desktop_app.domain.records import ChronologyEntry
    from desktop_app.store.chronology import ChronologyPage

    model = ChronologyModel(runner, open_vault, 1)
    entry = ChronologyEntry(
        1,
        "2024-03-07T14:30:00+00:00",
        "2024-03-07T14:31:00+00:00",
        "consent_withdrawn",
        9,
        "Consent withdrawn by mum",
        "Said by phone",
        ("needs_review",),
    )
    model._arrived(model._generation, ChronologyPage([entry], 1, None))  # noqa: SLF001 - a page from a future kind
    assert model.data(model.index(0, KIND)) == "Consent withdrawn"
    assert model.data(model.index(0, FLAGS)) == "Needs review"
    assert not model.data(model.index(0, KIND), Qt.ItemDataRole.DecorationRole).isNull()


def test_a_1000_note_case_loads_one_page_at_a_time(qtbot: Any, open_vault: Any, runner: BackgroundRunner) -> None:
    summary = demo_data.build_demo(open_vault, cases=1, notes=1000)
    assert summary.largest_case_id is not None
    model = ChronologyModel(runner, open_vault, summary.largest_case_id, page_size=50)
    assert model.rowCount() == 0 and model.canFetchMore()
    model.fetchMore()
    qtbot.waitUntil(lambda: model.rowCount() > 0 and not model.loading, timeout=WAIT_MS)
    assert model.rowCount() == 50
    assert model.total == 1001  # 1,000 notes and the case opening
    assert model.canFetchMore()
    qtbot.wait(100)
    assert model.rowCount() == 50  # nothing more arrives unasked
    model.fetchMore()
    model.fetchMore()  # a second request while one is on its way is ignored
    qtbot.waitUntil(lambda: model.rowCount() > 50 and not model.loading, timeout=WAIT_MS)
    assert model.rowCount() == 100
    times = [model.entry(r).occurred_at for r in range(100)]
    assert times == sorted(times, reverse=True)  # newest first, across the page boundary
    assert len({(model.entry(r).kind, model.entry(r).item_id) for r in range(100)}) == 100


def test_case_list_fetches_lazily_too(qtbot: Any, open_vault: Any, runner: BackgroundRunner) -> None:
    demo_data.build_demo(open_vault, cases=30, notes=30)
    model = CaseListModel(runner, open_vault, page_size=10)
    model.fetchMore()
    qtbot.waitUntil(lambda: model.rowCount() > 0 and not model.loading, timeout=WAIT_MS)
    assert model.rowCount() == 10 and model.canFetchMore()
    model.fetchMore()
    qtbot.waitUntil(lambda: model.rowCount() == 20 and not model.loading, timeout=WAIT_MS)


def references(model: CaseListModel) -> list[str]:
    return [model.data(model.index(r, REFERENCE)) for r in range(model.rowCount())]


def test_case_list_sorts_and_filters_in_the_store_not_in_the_fetched_rows(
    qtbot: Any, qtmodeltester: Any, qtlog: Any, open_vault: Any, runner: BackgroundRunner
) -> None:
    """25 cases, pages of 10: the first page of each order is already the true first ten
    (a sort of only the fetched rows would show ten of the most active cases instead)."""
    workers = ("Alex Lead", "bea worker", "Sam Lead", "", "Kim Other")
    with open_vault.transaction() as conn:
        for i in range(25):
            case_records.create_case_in(
                conn,
                CaseDetails(f"R-{(i * 11) % 25:02d}", f"Child {(i * 7) % 25:02d}", key_worker=workers[i % 5]),
                actor="Alex",
            )
    everything = case_records.list_cases(open_vault, limit=100)
    by_reference = sorted((s.case.reference for s in everything), reverse=True)
    model = CaseListModel(runner, open_vault, page_size=10)
    tester = check(qtmodeltester, qtlog, model)

    model.sort(REFERENCE, Qt.SortOrder.DescendingOrder)  # what a click on the header does
    assert model.sort_order == ("reference", True)
    model.fetchMore()
    qtbot.waitUntil(lambda: model.rowCount() == 10 and not model.loading, timeout=WAIT_MS)
    assert references(model) == by_reference[:10] and model.canFetchMore()
    fetch_all(qtbot, model)
    assert references(model) == by_reference

    model.sort(CHILD, Qt.SortOrder.AscendingOrder)  # starts again, in the new order
    assert model.rowCount() == 0
    model.fetchMore()
    qtbot.waitUntil(lambda: model.rowCount() == 10 and not model.loading, timeout=WAIT_MS)
    names = [model.data(model.index(r, CHILD)) for r in range(10)]
    assert names == [f"Child {n:02d}" for n in range(10)]

    # The key-worker filter goes to the store too, so the first page is full of matches.
    model.set_filter(None, "", "LEAD")
    assert model.filtered
    fetch_all(qtbot, model)
    leads = sorted(s.case.subject_name for s in everything if "lead" in s.case.key_worker.lower())
    assert len(leads) == 10
    assert [model.data(model.index(r, CHILD)) for r in range(model.rowCount())] == leads
    assert {model.data(model.index(r, KEY_WORKER)) for r in range(model.rowCount())} == {"Alex Lead", "Sam Lead"}

    model.set_filter(None, "", "")
    model.sort(-1)  # no sort indicator: most recently active first, as the store lists them
    assert model.sort_order == ("activity", True)
    model.sort(LAST, Qt.SortOrder.DescendingOrder)  # the same order: nothing to fetch again
    model.fetchMore()
    qtbot.waitUntil(lambda: model.rowCount() == 10 and not model.loading, timeout=WAIT_MS)
    assert references(model) == [s.case.reference for s in everything[:10]]
    del tester
    no_model_failures(qtlog)


def test_search_results_model_passes_the_model_checks_and_highlights(
    qtbot: Any, qtmodeltester: Any, qtlog: Any, open_vault: Any, runner: BackgroundRunner
) -> None:
    ids = seed(open_vault)
    case_records.record_note(
        open_vault, ids["second"], NoteInput(datetime.now() - timedelta(hours=2), "<b>bruise</b> & <script>", "neglect")
    )
    model = SearchResultsModel(runner, open_vault, page_size=2)
    tester = check(qtmodeltester, qtlog, model)
    model.search(SearchRequest("bruise"))
    qtbot.waitUntil(lambda: not model.loading and model.rowCount() > 0, timeout=WAIT_MS)
    fetch_all(qtbot, model)
    assert model.rowCount() == 4
    html_texts = [model.data(model.index(r, 0), SNIPPET_HTML_ROLE) for r in range(model.rowCount())]
    assert all('<b style="background-color:#ffe58f; color:#000000">' in h for h in html_texts)
    escaped = next(h for h in html_texts if "script" in h)
    assert "&lt;script&gt;" in escaped and "<script>" not in escaped and "&amp;" in escaped
    plain = [model.data(model.index(r, 0)) for r in range(model.rowCount())]
    assert not any(SNIPPET_START in p or SNIPPET_END in p for p in plain)
    # Filters: one case, one category.
    model.search(SearchRequest("bruise", case_id=ids["first"], categories=("physical_abuse",)))
    qtbot.waitUntil(lambda: not model.loading and model.request is not None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: model.rowCount() == 1, timeout=WAIT_MS)
    assert model.data(model.index(0, 0), HIT_ROLE).case_id == ids["first"]
    model.clear()
    assert model.rowCount() == 0
    del tester
    no_model_failures(qtlog)


def test_results_never_come_back_inside_submit_even_when_the_work_is_already_done(
    qtbot: Any, runner: BackgroundRunner
) -> None:
    """A store job can finish before ``submit`` attaches its callback, which then runs at
    once on the UI thread. The result must still arrive later, from the event loop: called
    back inside ``submit``, a model once inserted rows while a reset it had begun was still
    being announced (the model testers caught it now and then)."""
    from concurrent.futures import Future

    class AlreadyDone:
        """Runs the job during ``submit``: the future is done before any callback."""

        def submit(self, fn: Any) -> Future[Any]:
            future: Future[Any] = Future()
            future.set_result(fn())
            return future

        def shutdown(self, wait: bool = True) -> None:
            pass

    real, runner._executor = runner._executor, AlreadyDone()  # type: ignore[assignment]
    try:
        delivered: list[str] = []
        runner.submit(lambda: "first", delivered.append)
        runner.submit(lambda: "second", delivered.append)
        assert delivered == []  # not inside submit
        qtbot.waitUntil(lambda: delivered == ["first", "second"], timeout=WAIT_MS)  # in order, later
    finally:
        runner._executor = real
