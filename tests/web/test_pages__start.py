"""Starting a case (Tạo hồ sơ mới): who may, the first form, Lưu tạm, and what a refused form leaves behind.

Every test here gets an empty database: case numbers start at HS-<year>-000001 and row counts start at 0.
"""
from __future__ import annotations

import pytest
from flask import Flask

from services.backend import Backend
from services.models import AuditEvent
from services.models import HumanTask
from services.models import ProcessInstance
from tests.web.pages_support import AN
from tests.web.pages_support import HANH
from tests.web.pages_support import HOA
from tests.web.pages_support import KHANH
from tests.web.pages_support import LOAN
from tests.web.pages_support import MAI
from tests.web.pages_support import TRANG
from tests.web.pages_support import TUAN
from tests.web.pages_support import add_staff
from tests.web.pages_support import as_form
from tests.web.pages_support import case_at
from tests.web.pages_support import case_badges
from tests.web.pages_support import case_path
from tests.web.pages_support import case_steps
from tests.web.pages_support import case_waiting
from tests.web.pages_support import count
from tests.web.pages_support import dossier
from tests.web.pages_support import error_message
from tests.web.pages_support import error_page
from tests.web.pages_support import field_errors
from tests.web.pages_support import field_value
from tests.web.pages_support import flashes
from tests.web.pages_support import inbox_rows
from tests.web.pages_support import instance
from tests.web.pages_support import location
from tests.web.pages_support import open_task
from tests.web.pages_support import parse
from tests.web.pages_support import readonly_data
from tests.web.pages_support import signed_in
from tests.web.pages_support import vn_today

NO_PROCESS = "Bạn không có quy trình nào để tạo hồ sơ."



@pytest.fixture
def staff(backend: Backend, cheap_passwords: None) -> None:
    """The loan's cast: police, commune officials of 10001 and 10002, the bank, an auditor, an administrator."""
    add_staff(backend)


# --- the start page and the first form -------------------------------------------------------------------------------

@pytest.mark.usefixtures("staff")
def test_police_may_start_the_loan_process(app: Flask) -> None:
    doc = parse(signed_in(app, AN).get("/cases/new"))
    assert doc.find("h1").text() == "Tạo hồ sơ mới"
    [link] = doc.find("ul", cls="card").find_all("a")
    assert link.attrs["href"] == f"/cases/new/{LOAN}"
    assert NO_PROCESS not in doc.text()


@pytest.mark.usefixtures("staff")
def test_others_have_no_process_to_start(app: Flask, subtests: pytest.Subtests) -> None:
    for who in (HOA, HANH, TUAN, KHANH, TRANG):
        with subtests.test(group=who.group):
            client = signed_in(app, who)
            doc = parse(client.get("/cases/new"))
            assert doc.find("p", cls="empty").text() == NO_PROCESS
            assert doc.find_all("a", href=f"/cases/new/{LOAN}") == []
            error_message(client.get(f"/cases/new/{LOAN}"), 403)


@pytest.mark.usefixtures("staff")
def test_start_form_offers_submit_and_save_draft_only(app: Flask) -> None:
    doc = parse(signed_in(app, AN).get(f"/cases/new/{LOAN}"))
    form = doc.find("form", action=f"/cases/new/{LOAN}")
    assert [(b.attrs.get("name"), b.attrs.get("value"), b.text()) for b in form.find_all("button")] == [
        ("action", "submit", "Gửi"), ("_draft", "1", "Lưu tạm")]
    assert form.find("input", name="full_name").attrs["value"] == ""
    error_page(signed_in(app, AN).get("/cases/new/khong_co_quy_trinh"), 404)


@pytest.mark.usefixtures("staff")
def test_a_full_valid_first_form_creates_the_case_and_the_commune_task(app: Flask, backend: Backend) -> None:
    an = signed_in(app, AN)
    response = an.post(f"/cases/new/{LOAN}", data=as_form(dossier()))
    instance_id = case_path(response)
    key = f"HS-{vn_today().year}-000001"
    assert instance(backend, instance_id).business_key == key
    doc = parse(an.get(location(response)))
    assert f"Đã tạo hồ sơ {key}" in flashes(doc)
    assert doc.find("h1").text() == f"Hồ sơ {key} Trần Văn Bình"
    assert case_badges(doc) == ["Đang xử lý"]
    [item] = case_waiting(doc).find_all("li")
    assert item.find("a").text() == "UBND xã xác nhận"
    assert item.find("a").attrs["href"] == f"/tasks/{open_task(backend, instance_id, 'confirm_at_commune')}"
    assert "commune · 10001" in item.text()
    assert case_steps(doc) == [("Lập hồ sơ vay vốn", "Nguyễn Văn An")]
    assert [r.find("td").text() for r in inbox_rows(parse(signed_in(app, HOA).get("/?tab=group")))] == [key]


@pytest.mark.usefixtures("staff")
def test_an_invalid_first_form_creates_nothing(app: Flask, backend: Backend) -> None:
    an = signed_in(app, AN)
    posted = as_form(dossier(national_id_number="0010880043", phone="123"))
    response = an.post(f"/cases/new/{LOAN}", data=posted)
    assert response.status_code == 400
    doc = parse(response)
    assert field_errors(doc, "national_id_number") == ["Số định danh cá nhân phải gồm 12 chữ số"]
    assert field_errors(doc, "phone") == ["Số điện thoại gồm 10 chữ số, bắt đầu bằng số 0"]
    assert field_value(doc, "full_name") == "Trần Văn Bình"
    assert field_value(doc, "requested_amount_vnd") == "60.000.000 đ"
    assert [count(backend, m) for m in (ProcessInstance, HumanTask, AuditEvent)] == [0, 0, 0]

    # The refused attempt used no case number.
    assert instance(backend, case_path(an.post(f"/cases/new/{LOAN}", data=as_form(dossier())))).business_key == (
        f"HS-{vn_today().year}-000001")


@pytest.mark.usefixtures("staff")
def test_an_ineligible_first_form_opens_the_case_back_at_the_officer(app: Flask, backend: Backend) -> None:
    an = signed_in(app, AN)
    instance_id = case_path(an.post(f"/cases/new/{LOAN}", data=as_form(dossier(requested_amount_vnd=150_000_000))))
    task_id = open_task(backend, instance_id, "compile_dossier")
    shown = readonly_data(parse(an.get(f"/tasks/{task_id}")))
    assert any(v.startswith("R6:") for v in shown.values()), shown


@pytest.mark.usefixtures("staff")
def test_save_draft_keeps_the_values_for_the_officer(app: Flask, backend: Backend) -> None:
    an = signed_in(app, AN)
    partial = {"full_name": "Phạm Thị Hồng", "phone": "0905123456", "requested_amount_vnd": "45.000.000",
               "date_of_birth": "12/10/1992", "sex": "female", "_draft": "1"}
    response = an.post(f"/cases/new/{LOAN}", data=partial)
    instance_id = case_path(response)
    assert instance(backend, instance_id).status == "running"
    doc = parse(an.get(f"/cases/{instance_id}"))
    assert [a.text() for a in case_waiting(doc).find_all("a")] == ["Lập hồ sơ vay vốn"]
    assert case_steps(doc) == []
    form = parse(an.get(f"/tasks/{open_task(backend, instance_id, 'compile_dossier')}"))
    assert field_value(form, "full_name") == "Phạm Thị Hồng"
    assert field_value(form, "phone") == "0905123456"
    assert field_value(form, "requested_amount_vnd") == "45.000.000 đ"
    assert field_value(form, "date_of_birth") == "1992-10-12"
    assert field_value(form, "sex") == "female"
    assert field_value(form, "national_id_number") == ""


@pytest.mark.usefixtures("staff")
def test_others_cannot_start_by_posting(app: Flask, backend: Backend) -> None:
    for who in (HOA, KHANH, TRANG):
        error_message(signed_in(app, who).post(f"/cases/new/{LOAN}", data=as_form(dossier())), 403)
    assert count(backend, ProcessInstance) == 0


@pytest.mark.usefixtures("staff")
def test_case_list_shows_only_cases_in_scope(app: Flask, backend: Backend) -> None:
    mine = case_at(backend, "confirm_at_commune")
    key = instance(backend, mine).business_key
    for who in (AN, HOA, KHANH):
        [row] = parse(signed_in(app, who).get("/cases")).find("tbody").find_all("tr")
        assert [td.text() for td in row.find_all("td")][:4] == [key, LOAN, "Trần Văn Bình", "Đang xử lý"]
    assert parse(signed_in(app, MAI).get("/cases")).find("p", cls="empty").text() == "Không có hồ sơ nào"
