"""The case page: status and outcome, completed steps with their actors, the waiting task, the diagram, the
withdrawal with its confirmation, scope, and error pages.

The tests share one database per backend (each makes its own cases), so none may count rows globally.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
import sqlalchemy as sa
from flask import Flask

from services.backend import Backend
from services.models import ProcessInstance
from tests.support import run
from tests.web.pages_support import AN
from tests.web.pages_support import CUONG
from tests.web.pages_support import HANH
from tests.web.pages_support import HOA
from tests.web.pages_support import KHANH
from tests.web.pages_support import LOAN
from tests.web.pages_support import MAI
from tests.web.pages_support import TUAN
from tests.web.pages_support import add_staff
from tests.web.pages_support import audit_count
from tests.web.pages_support import case_at
from tests.web.pages_support import case_badges
from tests.web.pages_support import case_path
from tests.web.pages_support import case_steps
from tests.web.pages_support import case_waiting
from tests.web.pages_support import error_message
from tests.web.pages_support import error_page
from tests.web.pages_support import field_value
from tests.web.pages_support import flashes
from tests.web.pages_support import hidden_fields
from tests.web.pages_support import inbox_rows
from tests.web.pages_support import instance
from tests.web.pages_support import location
from tests.web.pages_support import parse
from tests.web.pages_support import readonly_data
from tests.web.pages_support import signed_in
from tests.web.pages_support import start_draft
from tests.web.pages_support import vn_today

BPMN_NS = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"


@pytest.fixture(scope="module")
def staffed(module_backend: Backend) -> Backend:
    """One database per backend for the module, with the loan's cast."""
    add_staff(module_backend)
    return module_backend


@pytest.fixture
def backend(staffed: Backend) -> Backend:
    """Overrides the conftest's empty database per test: these tests only read the cases they make.

    Every test of this module must use it: a conftest ``backend`` here would TRUNCATE the shared PostgreSQL
    schema under the module's feet.
    """
    return staffed



# --- the case page -----------------------------------------------------------------------------------------------

def test_case_page_of_a_running_case(app: Flask, backend: Backend) -> None:
    instance_id = case_at(backend, "confirm_at_commune")
    doc = parse(signed_in(app, AN).get(f"/cases/{instance_id}"))
    assert case_badges(doc) == ["Đang xử lý"]
    assert "warn" in doc.find("span", cls="badge").classes
    assert case_steps(doc) == [("Lập hồ sơ vay vốn", "Nguyễn Văn An")]
    item = case_waiting(doc).find("li")
    assert "Còn 5 ngày làm việc" in item.text()
    diagram = doc.find("div", cls="diagram")
    assert diagram.attrs["data-completed"] == "compile_dossier"
    assert diagram.attrs["data-waiting"] == "confirm_at_commune"
    assert diagram.attrs["data-xml-url"] == f"/cases/{instance_id}/diagram.xml"
    assert readonly_data(doc)["Họ và tên"] == "Trần Văn Bình"
    history = next(s for s in doc.find_all("section") if s.find("h2").text() == "Lịch sử xử lý")
    rows = [[td.text() for td in r.find_all("td")] for r in history.find("tbody").find_all("tr")]
    assert [(r[0], r[2], r[3]) for r in rows] == [("1", "an.nguyen", "Tạo hồ sơ"),
                                                  ("2", "an.nguyen", "Hoàn thành công việc · Lập hồ sơ vay vốn")]
    assert doc.find("form", action=f"/cases/{instance_id}/withdraw")


def test_case_page_after_disbursement(app: Flask, backend: Backend) -> None:
    instance_id = case_at(backend, "end")
    doc = parse(signed_in(app, TUAN).get(f"/cases/{instance_id}"))
    assert case_badges(doc) == ["Đã hoàn thành", "Đã giải ngân"]
    assert "ok" in doc.find("span", cls="badge").classes
    assert case_steps(doc) == [("Lập hồ sơ vay vốn", "Nguyễn Văn An"), ("UBND xã xác nhận", "Lê Thị Hoa"),
                          ("NHCSXH thẩm định, phê duyệt", "Đỗ Thị Hạnh"), ("Giải ngân", "Hoàng Minh Tuấn")]
    assert case_waiting(doc).find("p", cls="empty").text() == "Không có công việc nào"
    diagram = doc.find("div", cls="diagram")
    assert diagram.attrs["data-completed"] == "appraise_loan,compile_dossier,confirm_at_commune,disburse_loan"
    assert diagram.attrs["data-waiting"] == ""
    shown = readonly_data(doc)
    assert shown["Số tiền giải ngân (đồng)"] == "60.000.000 đ"
    assert shown["Ngày giải ngân"] == vn_today().strftime("%d/%m/%Y")
    assert doc.find_all("form", action=f"/cases/{instance_id}/withdraw") == []


def test_diagram_xml_is_the_pinned_bpmn(app: Flask, backend: Backend) -> None:
    instance_id = case_at(backend, "confirm_at_commune")
    response = signed_in(app, HOA).get(f"/cases/{instance_id}/diagram.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    root = ET.fromstring(response.get_data())  # noqa: S314 — our own diagram, served by the app under test
    ids = {e.get("id") for e in root.iter(f"{BPMN_NS}userTask")}
    assert ids == {"compile_dossier", "confirm_at_commune", "appraise_loan", "disburse_loan"}
    error_message(signed_in(app, MAI).get(f"/cases/{instance_id}/diagram.xml"), 404)


def test_withdraw_needs_confirmation_then_cancels_the_case(app: Flask, backend: Backend) -> None:
    instance_id = case_at(backend, "confirm_at_commune")
    key = instance(backend, instance_id).business_key
    an = signed_in(app, AN)
    before = audit_count(backend)
    reason = "Người vay đã tìm được việc làm ổn định"
    asked = an.post(f"/cases/{instance_id}/withdraw", data={"reason": reason})
    assert asked.status_code == 200
    doc = parse(asked)
    assert doc.find("h1").text() == f"Xác nhận rút hồ sơ {key}"
    assert (audit_count(backend), instance(backend, instance_id).status) == (before, "running")

    assert field_value(doc, "reason") == reason
    form = doc.find("form", action=f"/cases/{instance_id}/withdraw")
    confirmed = {"reason": field_value(form, "reason"), **hidden_fields(form).to_dict()}
    response = an.post(f"/cases/{instance_id}/withdraw", data=confirmed)
    assert case_path(response) == instance_id
    page = parse(an.get(location(response)))
    assert f"Đã rút hồ sơ {key}" in flashes(page)
    assert case_badges(page) == ["Đã hủy", "Đã rút"]
    assert case_waiting(page).find("p", cls="empty").text() == "Không có công việc nào"
    assert audit_count(backend) == before + 1
    assert key not in [r.find("td").text() for r in inbox_rows(parse(signed_in(app, HOA).get("/?tab=group")))]


def test_withdraw_of_a_draft_ends_it_through_the_diagram(app: Flask, backend: Backend) -> None:
    instance_id = start_draft(backend)
    an = signed_in(app, AN)
    response = an.post(f"/cases/{instance_id}/withdraw", data={"reason": "Người vay không đề nghị vay nữa",
                                                               "_confirmed": "1"})
    assert case_path(response) == instance_id
    assert case_badges(parse(an.get(f"/cases/{instance_id}"))) == ["Đã hoàn thành", "Đã rút"]


def test_withdraw_is_refused_without_reason_or_by_someone_else(app: Flask, backend: Backend) -> None:
    instance_id = case_at(backend, "confirm_at_commune")
    before = audit_count(backend)
    assert error_page(signed_in(app, AN).post(f"/cases/{instance_id}/withdraw", data={"reason": " ",
                                                                                      "_confirmed": "1"}), 400)
    for who in (HOA, KHANH):
        error_message(signed_in(app, who).post(f"/cases/{instance_id}/withdraw",
                                               data={"reason": "Không phải hồ sơ của tôi", "_confirmed": "1"}), 403)
    assert (audit_count(backend), instance(backend, instance_id).status) == (before, "running")


def test_a_user_outside_the_case_scope_gets_404(app: Flask, backend: Backend, subtests: pytest.Subtests) -> None:
    instance_id = case_at(backend, "confirm_at_commune")
    for who in (CUONG, MAI, HANH, TUAN):
        with subtests.test(user=who.username):
            client = signed_in(app, who)
            assert error_message(client.get(f"/cases/{instance_id}"), 404) == "Không tìm thấy dữ liệu yêu cầu"
            error_message(client.get(f"/cases/{instance_id}/diagram.xml"), 404)
            error_message(client.post(f"/cases/{instance_id}/withdraw", data={"reason": "Nhầm hồ sơ"}), 404)


def test_a_confirmed_withdrawal_by_an_outsider_is_404_like_the_case_page(app: Flask, backend: Backend) -> None:
    instance_id = case_at(backend, "confirm_at_commune")
    client = signed_in(app, CUONG)
    response = client.post(f"/cases/{instance_id}/withdraw", data={"reason": "Nhầm hồ sơ", "_confirmed": "1"})
    missing = client.post("/cases/999999/withdraw", data={"reason": "Nhầm hồ sơ", "_confirmed": "1"})
    assert instance(backend, instance_id).status == "running"
    assert (response.status_code, missing.status_code) == (404, 404)


# --- error pages -------------------------------------------------------------------------------------------------

def test_an_unexpected_error_is_a_plain_500_page(app: Flask, backend: Backend) -> None:
    instance_id = case_at(backend, "confirm_at_commune")
    run(backend, lambda s: s.execute(sa.update(ProcessInstance).where(ProcessInstance.id == instance_id)
                                     .values(state='{"khong": "hop le"')))
    response = signed_in(app, AN).get(f"/cases/{instance_id}")
    doc = error_page(response, 500)
    assert doc.find("h1").text() == "Lỗi hệ thống (500)"
    assert doc.find("section", cls="error-page").find("p").text() == (
        "Hệ thống gặp lỗi ngoài dự kiến; thao tác chưa được ghi nhận. Vui lòng thử lại sau.")
    body = response.get_data(as_text=True)
    assert "khong" not in body and "JSONDecodeError" not in body and "Exception" not in body


ERRORS = [("/khong-co-trang-nay", 404, "Không tìm thấy"), ("/cases/999999", 404, "Không tìm thấy"),
          ("/tasks/khong-co", 404, "Không tìm thấy"), ("/logout", 405, "Thao tác không được hỗ trợ"),
          (f"/cases/new/{LOAN}", 403, "Không có quyền")]


def test_error_pages_use_the_error_template(app: Flask, subtests: pytest.Subtests) -> None:
    hoa = signed_in(app, HOA)
    for path, status, title in ERRORS:
        with subtests.test(path=path):
            doc = error_page(hoa.get(path), status)
            assert doc.find("h1").text() == f"{title} ({status})"
            assert doc.find("section", cls="error-page").find("a", href="/").text() == "Về Hộp công việc"
