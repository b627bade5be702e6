"""Downloading a case's history: links on the case page, the page route and the API export, for those who may
see the case (404 for others, as an unknown case); GET /api/v1/audit/verify for one case."""
from __future__ import annotations

import json

from flask import Flask

from services import audit
from tests.web.conftest import Api
from tests.web.conftest import assert_conforms
from tests.web.conftest import assert_error
from tests.web.conftest import loan_at
from tests.web.pages_support import parse
from tests.web.pages_support import signed_in


def test_the_api_exports_json_that_verifies_offline(api: Api) -> None:
    instance_id = loan_at(api.backend, "appraise_loan")
    response = api.get(f"/instances/{instance_id}/audit/export", "police.a")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="HS-')
    document = json.loads(response.get_data())
    assert_conforms(document, "AuditExport")
    assert audit.verify_document(document).ok and len(document["events"]) == 3


def test_the_api_exports_csv_for_reading(api: Api) -> None:
    instance_id = loan_at(api.backend, "appraise_loan")
    response = api.get(f"/instances/{instance_id}/audit/export?format=csv", "auditor")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data().decode()
    assert text.startswith("\ufeffSố TT,") and len(text.strip().splitlines()) == 4


def test_the_api_export_is_hidden_from_who_may_not_see_the_case(api: Api) -> None:
    instance_id = loan_at(api.backend, "appraise_loan")
    assert_error(api.get(f"/instances/{instance_id}/audit/export", "police.b"), 404, "not_found")
    assert_error(api.get(f"/instances/{instance_id + 50}/audit/export", "auditor"), 404, "not_found")
    assert_error(api.get(f"/instances/{instance_id}/audit/export?format=xml", "police.a"), 400, "bad_request")
    assert api.get(f"/instances/{instance_id}/audit/export").status_code == 401


def test_verify_one_case_through_the_api(api: Api) -> None:
    first = loan_at(api.backend, "confirm_at_commune")
    loan_at(api.backend, "appraise_loan")
    one = api.get(f"/audit/verify?instance_id={first}", "auditor")
    assert one.status_code == 200 and one.json == {"ok": True, "events_checked": 2, "first_bad": None}
    assert api.get("/audit/verify", "admin").json == {"ok": True, "events_checked": 5, "first_bad": None}
    assert_error(api.get(f"/audit/verify?instance_id={first + 50}", "auditor"), 404, "not_found")
    assert_error(api.get("/audit/verify?instance_id=0", "auditor"), 400, "bad_request")
    assert_error(api.get(f"/audit/verify?instance_id={first}", "police.a"), 403, "forbidden")


def test_the_case_page_offers_both_downloads(api: Api, app: Flask) -> None:
    instance_id = loan_at(api.backend, "appraise_loan")
    browser = signed_in(app, "police.a")
    page = parse(browser.get(f"/cases/{instance_id}"))
    links = {a.text().strip(): a.attrs["href"] for a in page.iter() if a.tag == "a" and "Tải lịch sử" in a.text()}
    assert links == {"Tải lịch sử (JSON)": f"/cases/{instance_id}/history.json",
                     "Tải lịch sử (CSV)": f"/cases/{instance_id}/history.csv"}
    as_json = browser.get(links["Tải lịch sử (JSON)"])
    assert as_json.status_code == 200 and as_json.headers["Cache-Control"] == "private, no-store"
    assert audit.verify_document(json.loads(as_json.get_data())).ok
    as_csv = browser.get(links["Tải lịch sử (CSV)"])
    assert as_csv.mimetype == "text/csv" and as_csv.get_data().startswith(b"\xef\xbb\xbf")


def test_the_page_downloads_are_404_for_who_may_not_see_the_case(api: Api, app: Flask) -> None:
    instance_id = loan_at(api.backend, "appraise_loan")
    outsider = signed_in(app, "police.b")
    assert outsider.get(f"/cases/{instance_id}/history.json").status_code == 404
    assert outsider.get(f"/cases/{instance_id}/history.csv").status_code == 404
    assert signed_in(app, "police.a").get(f"/cases/{instance_id}/history.xml").status_code == 404
