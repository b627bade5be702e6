"""GET /api/v1/audit/events: the audit log for other systems, paged JSON or CSV, ISO dates, caller's scope."""
from __future__ import annotations

import csv
import datetime as dt
import io

from services import users
from tests.support import PASSWORD
from tests.support import run
from tests.web.conftest import ENGLISH
from tests.web.conftest import Api
from tests.web.conftest import assert_conforms
from tests.web.conftest import assert_error
from tests.web.conftest import loan_at
from tests.web.conftest import today


def test_an_auditor_pages_through_every_event_newest_first(api: Api) -> None:
    first, second = loan_at(api.backend, "appraise_loan"), loan_at(api.backend, "confirm_at_commune")
    response = api.get("/audit/events", "auditor")
    assert response.status_code == 200
    body = response.json or {}
    assert_conforms(body, "AuditEventPage")
    assert (body["page"], body["per_page"], body["total"], body["pages"]) == (1, 50, 5, 1)
    events = body["events"]
    assert [(e["instance_id"], e["type"], e["task"]) for e in events] == [
        (second, "task_completed", "compile_dossier"), (second, "case_started", None),
        (first, "task_completed", "confirm_at_commune"), (first, "task_completed", "compile_dossier"),
        (first, "case_started", None)]
    assert events[2]["actor"] == "commune.a" and events[2]["actor_name"] == "Commune A"
    assert events[2]["task_title"] and events[1]["task_title"] is None
    ats = [dt.datetime.fromisoformat(e["at"]) for e in events]
    assert ats == sorted(ats, reverse=True)
    empty = api.get("/audit/events?page=2", "admin").json or {}
    assert (empty["events"], empty["total"], empty["page"]) == ([], 5, 2)


def test_filters_take_iso_dates_and_the_other_fields(api: Api) -> None:
    case_id = loan_at(api.backend, "appraise_loan")
    key = (api.get(f"/instances/{case_id}", "admin").json or {})["business_key"]
    day = today()
    found = api.get(f"/audit/events?actor=commune.a&process=loan_dossier&task=confirm_at_commune&from={day}"
                    f"&to={day}&case={key}", "admin").json or {}
    assert [e["task"] for e in found["events"]] == ["confirm_at_commune"]
    yesterday = (dt.date.fromisoformat(day) - dt.timedelta(days=1)).isoformat()
    assert (api.get(f"/audit/events?to={yesterday}", "admin").json or {})["total"] == 0


def test_a_scoped_auditor_gets_their_units_only(api: Api) -> None:
    run(api.backend, lambda s: users.add_user(s, "auditor.b", PASSWORD, ["auditor"], audit_units=["10002"]))
    loan_at(api.backend, "confirm_at_commune")
    other = loan_at(api.backend, "confirm_at_commune", starter="police.b")
    body = api.get("/audit/events", "auditor.b").json or {}
    assert {e["instance_id"] for e in body["events"]} == {other} and body["total"] == 2


def test_only_auditors_and_administrators_may_ask(api: Api) -> None:
    for who in ("police.a", "commune.a", "teller"):
        assert_error(api.get("/audit/events", who), 403, "forbidden")
        assert_error(api.get("/audit/events?format=csv", who), 403, "forbidden")
    assert_error(api.get("/audit/events"), 401, "unauthorized")


def test_a_bad_date_or_format_is_a_400_in_the_callers_language(api: Api) -> None:
    body = assert_error(api.get("/audit/events?from=29/11/2026&format=xml&page=0", "auditor"), 400, "bad_request")
    assert {e["field"]: e["message"] for e in body["errors"]} == {
        "from": "Ngày không hợp lệ (định dạng yyyy-mm-dd)", "format": "Giá trị không nằm trong danh sách cho phép",
        "page": "Giá trị phải từ 1 trở lên"}
    english = assert_error(api.get("/audit/events?from=2026-12-01&to=2026-11-01", "auditor", headers=ENGLISH), 400,
                           "bad_request")
    assert english["errors"] == [{"field": "to", "message": "The end date must not be before the start date"}]


def test_csv_holds_every_match_with_a_bom_and_vietnamese_headers(api: Api) -> None:
    loan_at(api.backend, "appraise_loan")
    response = api.get("/audit/events?format=csv&actor=police.a", "auditor")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows[0][:3] == ["Thời điểm", "Mã hồ sơ", "Quy trình"]
    assert [(r[5], r[7]) for r in rows[1:]] == [("Hoàn thành công việc", "police.a"), ("Tạo hồ sơ", "police.a")]
