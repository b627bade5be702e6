"""Global audit search: filters by actor, process, task, Vietnam days and case number; scope; paging; export.

Two loan dossiers: Trần Văn Bình's of commune 10001 (opened on day 0, compiled on day 1, confirmed by the
commune on day 4) and Lê Thị Cúc's of commune 10002, opened at 23:30 Vietnam time on day 3 (16:30 UTC, still
day 3 for a Vietnamese reader).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from services import audit_search
from services import cases
from services import tasks
from services import users
from services.audit_search import AuditFilter
from services.backend import Backend
from services.errors import InvalidInput
from services.errors import NotAllowed
from services.models import HumanTask
from tests.support import PASSWORD
from tests.support import loan_dossier
from tests.support import read
from tests.support import run
from workflows.calendar import VIETNAM_TZ

LOAN = "loan_dossier"
DAY0 = dt.datetime.now(VIETNAM_TZ).date() - dt.timedelta(days=10)
PEOPLE = [("police.a", ["police"], "10001", ()), ("police.b", ["police"], "10002", ()),
          ("commune.a", ["commune"], "10001", ()), ("thanhtra.tinh", ["auditor"], None, ()),
          ("thanhtra.b", ["auditor"], None, ("10002",)), ("quantri", ["admin"], None, ())]


def at(day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    """Day ``day`` after DAY0 at ``hour:minute`` Vietnam time."""
    return dt.datetime.combine(DAY0 + dt.timedelta(days=day), dt.time(hour, minute), tzinfo=VIETNAM_TZ)


@dataclass(frozen=True)
class Log:
    """The two cases' numbers."""

    binh: str
    cuc: str


def complete(backend: Backend, username: str, instance_id: int, step: str, data: dict[str, object],
             when: dt.datetime) -> None:
    """``username`` completes the open ``step`` of the case at ``when``."""
    def command(s: sa.orm.Session) -> None:
        task_id = s.scalars(sa.select(HumanTask.id).where(HumanTask.instance_id == instance_id,
                                                          HumanTask.task_name == step,
                                                          HumanTask.status == "open")).one()
        tasks.complete_task(s, backend.runtime, users.get_user(s, username), task_id, data, at=when)
    run(backend, command)


def start(backend: Backend, username: str, when: dt.datetime) -> tuple[int, str]:
    """A case opened by ``username`` at ``when``: its id and number."""
    instance = run(backend, lambda s: cases.start_case(s, backend.runtime, users.get_user(s, username), LOAN,
                                                       at=when))
    return instance.id, instance.business_key


@pytest.fixture
def log(backend: Backend) -> Log:
    """The people and the two cases."""
    run(backend, lambda s: [users.add_user(s, name, PASSWORD, groups, unit=unit, audit_units=scope)
                            for name, groups, unit, scope in PEOPLE])
    binh_id, binh = start(backend, "police.a", at(0))
    complete(backend, "police.a", binh_id, "compile_dossier",
             loan_dossier(residence_commune_code="10001", today=DAY0 + dt.timedelta(days=1)), at(1))
    _cuc_id, cuc = start(backend, "police.b", at(3, 23, 30))
    complete(backend, "commune.a", binh_id, "confirm_at_commune", {"decision": "confirm", "comment": "Đủ điều kiện"},
             at(4))
    return Log(binh, cuc)


EVERYTHING = AuditFilter()


def found(backend: Backend, username: str, filters: AuditFilter = EVERYTHING, page: int = 1,
          per_page: int = audit_search.PAGE_SIZE) -> list[tuple[str, str, str, str | None]]:
    """(case, actor, event type, task) of one page of ``username``'s search."""
    result = read(backend, lambda s: audit_search.search(s, users.get_user(s, username), filters, page, per_page))
    return [(e.business_key, e.actor, e.type, e.task_name) for e in result.items]


def test_a_province_wide_reader_sees_every_event_newest_first(backend: Backend, log: Log) -> None:
    everything = [(log.binh, "commune.a", "task_completed", "confirm_at_commune"),
                  (log.cuc, "police.b", "case_started", None),
                  (log.binh, "police.a", "task_completed", "compile_dossier"),
                  (log.binh, "police.a", "case_started", None)]
    assert found(backend, "quantri") == found(backend, "thanhtra.tinh") == everything


def test_a_scoped_auditor_sees_the_events_of_their_units_only(backend: Backend, log: Log) -> None:
    assert found(backend, "thanhtra.b") == [(log.cuc, "police.b", "case_started", None)]
    assert found(backend, "thanhtra.b", AuditFilter(case=log.binh)) == []


def test_only_auditors_and_administrators_search(backend: Backend, log: Log) -> None:
    for name in ("police.a", "commune.a"):
        with pytest.raises(NotAllowed):
            found(backend, name)
        with pytest.raises(NotAllowed):  # refused at the call, before a row is read
            read(backend, lambda s, n=name: audit_search.export(s, users.get_user(s, n), AuditFilter()))


@pytest.mark.parametrize(("args", "expected"), [
    ({"actor": "commune.a"}, [("binh", "commune.a", "confirm_at_commune")]),
    ({"actor": " COMMUNE.A "}, [("binh", "commune.a", "confirm_at_commune")]),
    ({"task": "compile_dossier"}, [("binh", "police.a", "compile_dossier")]),
    ({"process": "award_nomination"}, []),
    ({"process": LOAN, "actor": "police.b"}, [("cuc", "police.b", None)]),
], ids=["actor", "actor-as-typed", "task", "other-process", "process-and-actor"])
def test_filters_by_actor_process_and_task(backend: Backend, log: Log, args: dict[str, str],
                                           expected: list[tuple[str, str, str | None]]) -> None:
    names = {log.binh: "binh", log.cuc: "cuc"}
    filters = audit_search.parse_filter(args, audit_search.VN_DATES)
    assert [(names[k], a, t) for k, a, _type, t in found(backend, "quantri", filters)] == expected


def test_the_case_number_is_matched_as_typed(backend: Backend, log: Log) -> None:
    filters = audit_search.parse_filter({"case": f" {log.cuc.lower()} "}, audit_search.VN_DATES)
    assert found(backend, "quantri", filters) == [(log.cuc, "police.b", "case_started", None)]


def vn(day: int) -> str:
    """Day ``day`` as dd/mm/yyyy."""
    return (DAY0 + dt.timedelta(days=day)).strftime("%d/%m/%Y")


@pytest.mark.parametrize(("date_from", "date_to", "count"), [
    (3, 3, 1),     # 23:30 on day 3 in Vietnam belongs to day 3, though it is 16:30 UTC
    (4, None, 1),
    (None, 0, 1),
    (0, 4, 4),
    (2, 2, 0),
])
def test_dates_are_whole_vietnam_days_both_ends_included(backend: Backend, log: Log, date_from: int | None,
                                                         date_to: int | None, count: int) -> None:
    args = {"from": vn(date_from) if date_from is not None else "", "to": vn(date_to) if date_to is not None else ""}
    filters = audit_search.parse_filter(args, audit_search.VN_DATES)
    assert len(found(backend, "quantri", filters)) == count


def test_pages_of_a_given_size_and_past_the_end_empty(backend: Backend, log: Log) -> None:
    def page(number: int) -> audit_search.Page[audit_search.EventRow]:
        return read(backend, lambda s: audit_search.search(s, users.get_user(s, "quantri"), AuditFilter(), number, 3))

    first, second, third = page(1), page(2), page(3)
    assert (first.total, first.pages, len(first.items), len(second.items), third.items) == (4, 2, 3, 1, [])
    assert second.items[0].type == "case_started" and second.items[0].business_key == log.binh


def test_rows_carry_the_task_title_and_the_actor_name(backend: Backend, log: Log) -> None:
    filters = AuditFilter(task="confirm_at_commune")
    [row] = read(backend, lambda s: audit_search.search(s, users.get_user(s, "quantri"), filters).items)
    assert row.actor_name == "commune.a" and row.process_key == LOAN
    assert row.task_label("vi") == row.task_title and row.task_title and row.task_title_en
    assert row.task_label("en") == row.task_title_en


@pytest.mark.parametrize("batch", [1, 3, 1000])
def test_export_has_every_match_newest_first_across_batches(backend: Backend, log: Log, batch: int,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit_search, "_EXPORT_BATCH", batch)
    rows = read(backend, lambda s: list(audit_search.export(s, users.get_user(s, "thanhtra.tinh"),
                                                            AuditFilter(process=LOAN))))
    page = read(backend, lambda s: audit_search.search(s, users.get_user(s, "thanhtra.tinh"), AuditFilter()).items)
    assert rows == page and len(rows) == 4


@pytest.mark.parametrize(("args", "date_format", "field", "message"), [
    ({"from": "31/02/2026"}, audit_search.VN_DATES, "from", "Ngày không hợp lệ (định dạng dd/mm/yyyy)"),
    ({"to": "2026-11-29"}, audit_search.VN_DATES, "to", "Ngày không hợp lệ (định dạng dd/mm/yyyy)"),
    ({"from": "29/11/2026"}, audit_search.ISO_DATES, "from", "Ngày không hợp lệ (định dạng yyyy-mm-dd)"),
    ({"from": "0001-01-01"}, audit_search.ISO_DATES, "from", "Ngày không hợp lệ (định dạng yyyy-mm-dd)"),
    ({"from": "02/03/2026", "to": "01/03/2026"}, audit_search.VN_DATES, "to",
     "Ngày kết thúc không được trước ngày bắt đầu"),
    ({"actor": "a" * 65}, audit_search.VN_DATES, "actor", "Không được quá 64 ký tự"),
    ({"case": "HS\x00"}, audit_search.VN_DATES, "case", "Giá trị không hợp lệ"),
], ids=["no-such-day", "iso-on-a-page", "vn-in-the-api", "year-one", "end-before-start", "too-long", "nul"])
def test_bad_filters_are_refused_with_a_message_per_field(args: dict[str, str], date_format: str, field: str,
                                                         message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        audit_search.parse_filter(args, date_format)
    assert [(e.field, e.message("vi")) for e in refused.value.errors] == [(field, message)]
    assert refused.value.errors[0].message("en")
