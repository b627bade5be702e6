"""The task page: the form drawn from its JSON schema, errors beside their fields, Vietnamese number and date
input, the commune's three decisions, confirmation of irreversible ones, conflicts and the English interface.

The tests share one database per backend and each works on tasks of its own.
"""
from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from services import cases
from services.backend import Backend
from services.models import ProcessInstance
from tests.support import read
from tests.web.pages_support import AN
from tests.web.pages_support import DUNG
from tests.web.pages_support import HOA
from tests.web.pages_support import KHANH
from tests.web.pages_support import MAI
from tests.web.pages_support import add_staff
from tests.web.pages_support import as_form
from tests.web.pages_support import audit_count
from tests.web.pages_support import buttons
from tests.web.pages_support import case_at
from tests.web.pages_support import case_path
from tests.web.pages_support import claim
from tests.web.pages_support import dossier
from tests.web.pages_support import error_message
from tests.web.pages_support import field_box
from tests.web.pages_support import field_errors
from tests.web.pages_support import field_value
from tests.web.pages_support import flashes
from tests.web.pages_support import hidden_fields
from tests.web.pages_support import instance
from tests.web.pages_support import label_of
from tests.web.pages_support import location
from tests.web.pages_support import open_task
from tests.web.pages_support import parse
from tests.web.pages_support import readonly_data
from tests.web.pages_support import signed_in
from tests.web.pages_support import start_draft
from tests.web.pages_support import task_row
from tests.web.pages_support import vn_datetime
from tests.web.pages_support import vn_today

INVALID = "Dữ liệu chưa hợp lệ, vui lòng kiểm tra các trường được đánh dấu"
DECISIONS = {"confirm": "Xác nhận", "return": "Trả lại để bổ sung", "reject": "Từ chối"}



@pytest.fixture(scope="module")
def staffed(module_backend: Backend) -> Backend:
    """One database per backend for the module, with Nguyễn Văn An (police, 10001), Lê Thị Hoa and Phạm Văn Dũng
    (commune 10001), Võ Thị Mai (10002) and the rest of the cast."""
    add_staff(module_backend)
    return module_backend


@pytest.fixture
def backend(staffed: Backend) -> Backend:
    """Overrides the conftest's empty database per test: each test works on tasks of its own.

    Every test of this module must use it: a conftest ``backend`` here would TRUNCATE the shared PostgreSQL
    schema under the module's feet.
    """
    return staffed


@pytest.fixture
def draft(backend: Backend) -> str:
    """The compile form of a new case, waiting for Nguyễn Văn An."""
    return open_task(backend, start_draft(backend), "compile_dossier")


@pytest.fixture
def commune_task(backend: Backend) -> str:
    """Trần Văn Bình's dossier, compiled by An and waiting for commune 10001."""
    return open_task(backend, case_at(backend, "confirm_at_commune"), "confirm_at_commune")


def case_data(backend: Backend, instance_id: int) -> dict[str, Any]:
    """The case data as the engine holds it."""
    return read(backend, lambda s: cases.case_data(s, backend.runtime, s.get_one(ProcessInstance, instance_id)))


# --- the form ---------------------------------------------------------------------------------------------------

def test_compile_form_is_drawn_from_the_schema(app: Flask, draft: str) -> None:
    doc = parse(signed_in(app, AN).get(f"/tasks/{draft}"))
    assert doc.find("h1").text().startswith("Lập hồ sơ vay vốn")
    assert label_of(doc, "full_name") == "Họ và tên"
    assert label_of(doc, "national_id_number") == "Số định danh cá nhân (số thẻ căn cước)"
    assert label_of(doc, "requested_amount_vnd") == "Số tiền đề nghị vay (đồng)"
    assert label_of(doc, "has_same_purpose_debt") == "Còn dư nợ tại NHCSXH ở chương trình khác có cùng mục đích"
    assert "12 chữ số" in field_box(doc, "national_id_number").find("p", cls="help").text()
    assert doc.find("input", name="date_of_birth").attrs["type"] == "date"
    assert doc.find("input", name="has_same_purpose_debt").attrs["type"] == "checkbox"
    assert [(r.attrs["value"], r.parent.text() if r.parent else "") for r in doc.find_all("input", name="sex")] == [
        ("male", "Nam"), ("female", "Nữ")]
    assert doc.find("input", name="requested_amount_vnd").attrs["inputmode"] == "numeric"
    assert buttons(doc, "action") == {"submit": "Gửi", "withdraw": "Rút hồ sơ"}
    assert doc.find("form", action=f"/tasks/{draft}").find_all("input", name="csrf_token")


def test_errors_come_back_next_to_their_field_with_the_values_kept(app: Flask, backend: Backend, draft: str) -> None:
    before = audit_count(backend)
    posted = as_form(dossier(national_id_number="12345", requested_amount_vnd="100.000.000"))
    response = signed_in(app, AN).post(f"/tasks/{draft}", data=posted)
    assert response.status_code == 400
    doc = parse(response)
    assert INVALID in flashes(doc)
    assert field_errors(doc, "national_id_number") == ["Số định danh cá nhân phải gồm 12 chữ số"]
    assert doc.find("input", name="national_id_number").attrs["aria-invalid"] == "true"
    assert field_errors(doc, "full_name") == []
    assert field_value(doc, "national_id_number") == "12345"
    assert field_value(doc, "requested_amount_vnd") == "100.000.000 đ"
    assert field_value(doc, "full_name") == "Trần Văn Bình"
    assert field_value(doc, "sex") == "male"
    assert field_value(doc, "release_certificate_type") == "amnesty"
    assert field_value(doc, "use_of_funds_plan") == "Mở tiệm sửa xe máy"
    assert field_value(doc, "date_of_birth") == "1988-03-04"
    assert (audit_count(backend), task_row(backend, draft).status) == (before, "open")


def test_citizen_id_must_match_sex_and_birth_year(app: Flask, draft: str) -> None:
    posted = as_form(dossier(national_id_number="001190004321"))
    doc = parse(signed_in(app, AN).post(f"/tasks/{draft}", data=posted))
    assert field_errors(doc, "national_id_number") == [
        "Chữ số thứ 4 của số định danh không khớp với giới tính và thế kỷ sinh"]


def test_money_text_and_dd_mm_yyyy_dates_are_accepted(app: Flask, backend: Backend, draft: str) -> None:
    released = vn_today().replace(day=1)
    posted = as_form(dossier(requested_amount_vnd="100.000.000", date_of_birth="04/03/1988",
                             sentence_completed_on=released.strftime("%d/%m/%Y"), loan_term_months="36"))
    response = signed_in(app, AN).post(f"/tasks/{draft}", data=posted)
    instance_id = case_path(response)
    data = case_data(backend, instance_id)
    assert (data["requested_amount_vnd"], data["date_of_birth"], data["sentence_completed_on"]) == (
        100_000_000, "1988-03-04", released.isoformat())
    assert data["loan_term_months"] == 36
    page = parse(signed_in(app, AN).get(f"/cases/{instance_id}"))
    shown = readonly_data(page)
    assert shown["Số tiền đề nghị vay (đồng)"] == "100.000.000 đ"
    assert shown["Ngày sinh"] == "04/03/1988"
    assert open_task(backend, instance_id, "confirm_at_commune")


UNREADABLE = [
    ("requested_amount_vnd", "một trăm triệu", None),
    ("date_of_birth", "31/02/1988", None),
    ("phone", "987654321", "Số điện thoại gồm 10 chữ số, bắt đầu bằng số 0"),
    ("residence_commune_code", "1001", "Mã xã, phường gồm 5 chữ số"),
]


def test_unreadable_values_are_refused_beside_their_field(app: Flask, backend: Backend, draft: str,
                                                          subtests: pytest.Subtests) -> None:
    an = signed_in(app, AN)
    for field, value, message in UNREADABLE:
        with subtests.test(field=field, value=value):
            response = an.post(f"/tasks/{draft}", data=as_form(dossier(**{field: value})))
            assert response.status_code == 400
            doc = parse(response)
            errors = field_errors(doc, field)
            assert len(errors) == 1 and (message is None or errors == [message])
            assert field_value(doc, field) == value
    assert task_row(backend, draft).status == "open"


# --- the commune's decision -------------------------------------------------------------------------------------

def test_commune_sees_the_dossier_read_only_and_three_decisions(app: Flask, commune_task: str) -> None:
    doc = parse(signed_in(app, HOA).get(f"/tasks/{commune_task}"))
    assert doc.find("h1").text().startswith("UBND xã xác nhận")
    shown = readonly_data(doc)
    assert shown["Họ và tên"] == "Trần Văn Bình"
    assert shown["Ngày sinh"] == "04/03/1988"
    assert shown["Giới tính"] == "Nam"
    assert shown["Số định danh cá nhân (số thẻ căn cước)"] == "001088004321"
    assert shown["Loại giấy chứng nhận"] == "Giấy chứng nhận đặc xá"
    assert shown["Mục đích vay"] == "Sản xuất, kinh doanh, tạo việc làm"
    assert shown["Số tiền đề nghị vay (đồng)"] == "60.000.000 đ"
    assert shown["Còn dư nợ tại NHCSXH ở chương trình khác có cùng mục đích"] == "Không"
    assert doc.find_all("input", name="full_name") == []
    assert buttons(doc, "decision") == DECISIONS
    assert label_of(doc, "comment") == "Ý kiến / Lý do"
    assert field_box(doc, "comment").find("p", cls="help").text() == "Bắt buộc khi trả lại hoặc từ chối."
    assert "Còn 5 ngày làm việc" in doc.text()


def test_return_without_a_comment_is_refused(app: Flask, backend: Backend, commune_task: str) -> None:
    before = audit_count(backend)
    response = signed_in(app, HOA).post(f"/tasks/{commune_task}", data={"decision": "return", "comment": "  "})
    assert response.status_code == 400
    doc = parse(response)
    assert field_errors(doc, "comment") == ["Trường này là bắt buộc"]
    assert (audit_count(backend), task_row(backend, commune_task).status) == (before, "open")


def test_return_with_a_comment_sends_the_dossier_back_to_the_officer(app: Flask, backend: Backend,
                                                                     commune_task: str) -> None:
    comment = "Bổ sung bản sao giấy chứng nhận đặc xá có chứng thực"
    response = signed_in(app, HOA).post(f"/tasks/{commune_task}", data={"decision": "return", "comment": comment,
                                                                        "reason_code": "R1"})
    instance_id = case_path(response)
    again = open_task(backend, instance_id, "compile_dossier")
    doc = parse(signed_in(app, AN).get(f"/tasks/{again}"))
    shown = readonly_data(doc)
    assert shown["Ý kiến / Lý do"] == comment
    assert shown["Mã lý do"].startswith("R1 — Không có giấy chứng nhận")
    assert field_value(doc, "full_name") == "Trần Văn Bình"
    assert field_value(doc, "requested_amount_vnd") == "60.000.000 đ"


def test_reject_asks_for_confirmation_before_anything_is_written(app: Flask, backend: Backend,
                                                                 commune_task: str) -> None:
    hoa = signed_in(app, HOA)
    instance_id = task_row(backend, commune_task).instance_id
    key = instance(backend, instance_id).business_key
    before = audit_count(backend)
    comment = "Không cư trú tại xã"
    asked = hoa.post(f"/tasks/{commune_task}", data={"decision": "reject", "comment": comment})
    assert asked.status_code == 200
    doc = parse(asked)
    assert doc.find("h1").text() == "Xác nhận thao tác không thể hoàn tác"
    assert f"Bạn sắp từ chối hồ sơ {key}." in doc.text()
    assert (audit_count(backend), task_row(backend, commune_task).status) == (before, "open")
    assert instance(backend, instance_id).status == "running"

    form = doc.find("form", action=f"/tasks/{commune_task}")
    confirmed = hoa.post(f"/tasks/{commune_task}", data=hidden_fields(form))
    assert case_path(confirmed) == instance_id
    assert audit_count(backend) == before + 1
    done = instance(backend, instance_id)
    assert (done.status, done.outcome) == ("completed", "rejected")
    badges = [b.text() for b in parse(hoa.get(f"/cases/{instance_id}")).find_all("span", cls="badge")]
    assert badges[:2] == ["Đã hoàn thành", "Không đủ điều kiện"]


def test_withdraw_from_the_compile_form_asks_for_confirmation_too(app: Flask, backend: Backend, draft: str) -> None:
    an = signed_in(app, AN)
    before = audit_count(backend)
    asked = an.post(f"/tasks/{draft}", data={"action": "withdraw", "withdraw_reason": "Người vay chuyển đi nơi khác"})
    assert "Bạn sắp rút hồ sơ" in parse(asked).text()
    assert audit_count(backend) == before
    form = parse(asked).find("form", action=f"/tasks/{draft}")
    instance_id = case_path(an.post(f"/tasks/{draft}", data=hidden_fields(form)))
    done = instance(backend, instance_id)
    assert (done.status, done.outcome) == ("completed", "withdrawn")


def test_confirm_moves_the_dossier_to_the_bank(app: Flask, backend: Backend, commune_task: str) -> None:
    hoa = signed_in(app, HOA)
    response = hoa.post(f"/tasks/{commune_task}", data={"decision": "confirm"})
    instance_id = case_path(response)
    key = instance(backend, instance_id).business_key
    assert f"Đã gửi: UBND xã xác nhận — hồ sơ {key}" in flashes(parse(hoa.get(location(response))))
    assert open_task(backend, instance_id, "appraise_loan")


def test_a_second_submit_is_409_naming_who_completed_it_and_when(app: Flask, backend: Backend,
                                                                 commune_task: str) -> None:
    hoa = signed_in(app, HOA)
    assert hoa.post(f"/tasks/{commune_task}", data={"decision": "confirm"}).status_code == 302
    completed_at = task_row(backend, commune_task).completed_at
    assert completed_at is not None
    expected = f"Công việc đã được Lê Thị Hoa hoàn thành lúc {vn_datetime(completed_at)}"
    before = audit_count(backend)
    assert error_message(hoa.post(f"/tasks/{commune_task}", data={"decision": "confirm"}), 409) == expected
    dung = signed_in(app, DUNG)
    assert error_message(dung.post(f"/tasks/{commune_task}", data={"decision": "return", "comment": "x"}),
                         409) == expected
    assert audit_count(backend) == before
    page = parse(hoa.get(f"/tasks/{commune_task}"))
    assert expected in flashes(page)
    assert page.find_all("button", name="decision") == []


def test_an_officer_of_another_commune_gets_404(app: Flask, backend: Backend, commune_task: str) -> None:
    mai = signed_in(app, MAI)
    assert error_message(mai.get(f"/tasks/{commune_task}"), 404) == "Không tìm thấy dữ liệu yêu cầu"
    before = audit_count(backend)
    error_message(mai.post(f"/tasks/{commune_task}", data={"decision": "confirm"}), 404)
    assert audit_count(backend) == before
    error_message(mai.get("/tasks/00000000-0000-0000-0000-000000000000"), 404)


def test_colleague_and_auditor_may_only_look(app: Flask, backend: Backend, commune_task: str) -> None:
    claim(backend, HOA, commune_task)
    for who in (DUNG, KHANH):
        client = signed_in(app, who)
        doc = parse(client.get(f"/tasks/{commune_task}"))
        assert "Bạn chỉ được xem công việc này." in flashes(doc)
        assert doc.find_all("form", action=f"/tasks/{commune_task}") == []
    assert error_message(signed_in(app, KHANH).post(f"/tasks/{commune_task}", data={"decision": "confirm"}),
                         403) == "Bạn không có quyền thực hiện thao tác này"
    assert error_message(signed_in(app, DUNG).post(f"/tasks/{commune_task}", data={"decision": "confirm"}),
                         409) == "Công việc đang do Lê Thị Hoa xử lý"


def test_english_interface_shows_the_schema_english_titles(app: Flask, commune_task: str) -> None:
    hoa = signed_in(app, HOA)
    switched = hoa.post("/lang/en", data={"next": f"/tasks/{commune_task}"})
    assert location(switched) == f"/tasks/{commune_task}"
    doc = parse(hoa.get(f"/tasks/{commune_task}"))
    assert doc.find("html").attrs["lang"] == "en"
    assert doc.find("h1").text().startswith("Commune confirmation")
    assert buttons(doc, "decision") == {"confirm": "Confirm", "return": "Return for supplement", "reject": "Reject"}
    assert label_of(doc, "comment") == "Comment / Reason"
    assert label_of(doc, "reason_code") == "Reason code"
    shown = readonly_data(doc)
    assert (shown["Full name"], shown["Sex"], shown["Requested amount (VND)"]) == ("Trần Văn Bình", "Male",
                                                                                  "60.000.000 đ")
    refused = parse(hoa.post(f"/tasks/{commune_task}", data={"decision": "return"}))
    assert field_errors(refused, "comment") == ["This field is required"]
    assert "Some fields are not valid; please check the marked fields" in flashes(refused)

    hoa.post("/lang/vi", data={"next": "/"})
    assert parse(hoa.get(f"/tasks/{commune_task}")).find("html").attrs["lang"] == "vi"


def test_a_forged_decision_is_refused_next_to_the_buttons(app: Flask, backend: Backend, commune_task: str) -> None:
    hoa = signed_in(app, HOA)
    for posted in ({"decision": "approve", "comment": "Giá trị không có trong biểu mẫu"}, {"comment": "Thiếu ý kiến"}):
        response = hoa.post(f"/tasks/{commune_task}", data=posted)
        assert response.status_code == 400
        decision_area = parse(response).find("div", cls="decision-buttons")
        errors = [p.text() for p in decision_area.find_all("p", cls="field-error")]
        assert len(errors) == 1, errors
    assert task_row(backend, commune_task).status == "open"


def test_names_are_shown_as_text_never_as_markup(app: Flask, backend: Backend) -> None:
    name = '<b onmouseover="alert(1)">Bình</b> & Cộng sự'
    instance_id = case_at(backend, "confirm_at_commune", first=dossier(name))
    task_id = open_task(backend, instance_id, "confirm_at_commune")
    hoa = signed_in(app, HOA)
    key = instance(backend, instance_id).business_key
    for path in (f"/tasks/{task_id}", f"/cases/{instance_id}", f"/?tab=group&q={key}"):
        doc = parse(hoa.get(path))
        assert doc.find("main").find_all("b") == []
        assert name in doc.text()
