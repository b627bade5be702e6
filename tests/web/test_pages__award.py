"""The award process through the same generic pages and API as the loan: no award-specific web code.

A unit head fills the nomination with repeating nominee rows, the appraising office sees the nominees it
must decide on as fixed rows, the council votes on exactly those rows, and the chairman signs over the API.
"""
from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func
from sqlalchemy import select

from services.backend import Backend
from services.models import ProcessInstance
from tests.support import read
from tests.web.conftest import Api
from tests.web.conftest import open_task_id
from tests.web.pages_support import Person
from tests.web.pages_support import add_staff
from tests.web.pages_support import case_path
from tests.web.pages_support import field_errors
from tests.web.pages_support import inbox_rows
from tests.web.pages_support import parse
from tests.web.pages_support import signed_in
from tests.web.pages_support import vn_today

AWARD = "award_nomination"
GIANG = Person("giang.do", "unit_head", None, "Đỗ Thị Giang")
HAI = Person("hai.trinh", "home_affairs", None, "Trịnh Văn Hải")
LAM = Person("lam.dang", "provincial_council", None, "Đặng Văn Lâm")
NAM = Person("nam.truong", "chairman", None, "Trương Văn Nam")
CAST = (GIANG, HAI, LAM, NAM)


@pytest.fixture
def award_staff(backend: Backend, cheap_passwords: None) -> None:
    """The unit head, Sở Nội vụ, the provincial council and the chairman."""
    add_staff(backend, CAST)


def nomination_form(second_under_discipline: bool = False) -> dict[str, str]:
    """The nomination as the browser posts it: two nominee rows."""
    form = {"award_form": "provincial_chairman_certificate_of_merit", "award_type": "topic",
            "proposal_number": "12/TTr-CAX", "proposal_date": vn_today().strftime("%d/%m/%Y"),
            "council_minutes_ref": "05/BB-HĐTĐKT",
            "nominees-0-recipient_kind": "collective", "nominees-0-name": "Công an xã Hòa An",
            "nominees-0-work_unit": "Công an tỉnh", "nominees-0-achievement_summary": "Giúp 12 người có việc làm",
            "nominees-1-recipient_kind": "individual", "nominees-1-name": "Vũ Văn Lộc",
            "nominees-1-position": "Trưởng thôn", "nominees-1-work_unit": "xã Nam Hải",
            "nominees-1-achievement_summary": "Hỗ trợ một người tìm việc làm"}
    if second_under_discipline:
        form["nominees-1-under_discipline_or_investigation"] = "1"
    return form


def rows_posted(prefix: str, rows: list[dict[str, Any]], **extra: str) -> dict[str, str]:
    posted = dict(extra)
    for index, row in enumerate(rows):
        for key, value in row.items():
            if value not in (None, False, ""):
                posted[f"{prefix}-{index}-{key}"] = "1" if value is True else str(value)
    return posted


@pytest.mark.usefixtures("award_staff")
def test_a_nominee_under_discipline_is_refused_next_to_their_row(app: Flask) -> None:
    response = signed_in(app, GIANG).post(f"/cases/new/{AWARD}", data=nomination_form(second_under_discipline=True))
    assert response.status_code == 400
    errors = field_errors(parse(response), "nominees-1-under_discipline_or_investigation")
    assert len(errors) == 1 and errors[0].startswith("Vũ Văn Lộc đang bị xem xét kỷ luật")


@pytest.mark.usefixtures("award_staff")
def test_nomination_appraisal_and_vote_on_the_pages_then_signature_over_the_api(app: Flask, backend: Backend) -> None:
    giang = signed_in(app, GIANG)
    start = parse(giang.get(f"/cases/new/{AWARD}"))
    assert start.find("input", name="nominees-0-name") is not None
    instance_id = case_path(giang.post(f"/cases/new/{AWARD}", data=nomination_form()))

    hai = signed_in(app, HAI)
    assert ["12/TTr-CAX" in r.text() for r in inbox_rows(parse(hai.get("/?tab=group")))] == [True]
    task_id = open_task_id(backend, instance_id, "appraise_dossier")
    page = parse(hai.get(f"/tasks/{task_id}"))
    assert [s.text() for s in page.find_all("span", cls="readonly-value")] == [
        "1", "Công an xã Hòa An", "2", "Vũ Văn Lộc"]
    assert not [b for b in page.find_all("button") if b.attrs.get("name") == "_add_row"]
    rows = [{"nominee_no": 1, "name": "Công an xã Hòa An", "accepted": True},
            {"nominee_no": 2, "name": "Vũ Văn Lộc", "accepted": False, "exclusion_reason": "Chưa có xác nhận"}]
    response = hai.post(f"/tasks/{task_id}", data=rows_posted("appraisal_results", rows, decision="accept"))
    assert response.status_code == 302, response.get_data(as_text=True)

    lam = signed_in(app, LAM)
    vote_id = open_task_id(backend, instance_id, "council_vote")
    assert [s.text() for s in parse(lam.get(f"/tasks/{vote_id}")).find_all("span", cls="readonly-value")] == [
        "1", "Công an xã Hòa An"]
    votes = rows_posted("council_votes", [{"nominee_no": 1, "name": "Công an xã Hòa An", "votes_for": 8}],
                        meeting_date=vn_today().strftime("%d/%m/%Y"), members_total="9", members_present="8")
    assert lam.post(f"/tasks/{vote_id}", data=votes).status_code == 302

    api = Api(app.test_client(), backend)
    sign_id = open_task_id(backend, instance_id, "sign_decision")
    response = api.post(f"/tasks/{sign_id}/complete", NAM.username,
                        {"data": {"decision": "approve", "signing_capacity": "self"}})
    assert response.status_code == 200, response.json
    data = api.get(f"/instances/{instance_id}", NAM.username).json["data"]
    assert data["decision_number"] == "1/QĐ-UBND"
    assert [(r["name"], r["bonus_vnd"]) for r in data["recipients"]] == [("Công an xã Hòa An", 7_020_000)]


@pytest.mark.usefixtures("award_staff")
def test_adding_rows_on_the_first_form_grows_the_list_and_starts_nothing(app: Flask, backend: Backend) -> None:
    giang = signed_in(app, GIANG)
    one_more = parse(giang.post(f"/cases/new/{AWARD}", data=nomination_form() | {"_add_row": "nominees"}))
    assert one_more.find("input", name="nominees-2-name").attrs.get("value", "") == ""
    assert one_more.find("input", name="nominees-1-name").attrs["value"] == "Vũ Văn Lộc"
    ten_more = parse(giang.post(f"/cases/new/{AWARD}", data=nomination_form() | {"_add_rows": "nominees"}))
    names = [n.attrs["name"] for n in ten_more.find_all("input") if n.attrs.get("name", "").endswith("-name")]
    assert names[-1] == "nominees-11-name" and len(names) == 12
    assert read(backend, lambda s: s.scalar(select(func.count()).select_from(ProcessInstance))) == 0
