"""Printable documents: the signed award decision as a page, a PDF (pages, API, command line) and a link on the
case page; 404 before signing, for an unknown document, and for people who may not see the case.

A real nomination is run through the services up to the signed decision, once per database, and every test
reads it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask

import web
from services import cases
from services import users
from services.backend import Backend
from services.models import ProcessInstance
from tests.support import read
from tests.support import reentry_cli
from tests.support import run
from tests.web.conftest import Api
from tests.web.pages_support import KHANH
from tests.web.pages_support import Person
from tests.web.pages_support import add_staff
from tests.web.pages_support import complete
from tests.web.pages_support import error_page
from tests.web.pages_support import open_task
from tests.web.pages_support import parse
from tests.web.pages_support import signed_in

AWARD = "award_nomination"
GIANG = Person("giang.do", "unit_head", "10001", "Đỗ Thị Giang")
HIEU = Person("hieu.tran", "unit_head", "10002", "Trần Minh Hiếu")
HAI = Person("hai.trinh", "home_affairs", None, "Trịnh Văn Hải")
LAM = Person("lam.ngo", "provincial_council", None, "Ngô Thanh Lâm")
NAM = Person("nam.truong", "chairman", None, "Trương Văn Nam")
CAST = (GIANG, HIEU, HAI, LAM, NAM, KHANH)
# The same nominee may be nominated once a year, so each case names its own people.
NOMINEES = {"signed": ("Công an xã Hòa An", "Nguyễn Văn Tâm"), "sign_decision": ("Công an xã Tân Lập", "Lê Văn Quang")}


def _nomination(collective: str, individual: str) -> dict[str, Any]:
    """The nominate form as the unit head fills it: one collective and one individual."""
    nominee = {"achievement_summary": "Giúp 12 người chấp hành xong án có việc làm",
               "under_discipline_or_investigation": False}
    return {"award_form": "provincial_chairman_certificate_of_merit", "award_type": "topic",
            "proposal_number": "12/TTr-CAX", "proposal_date": "2026-11-20", "council_minutes_ref": "05/BB-HĐTĐKT",
            "nominees": [
                {**nominee, "recipient_kind": "collective", "name": collective, "position": "",
                 "work_unit": "Công an tỉnh"},
                {**nominee, "recipient_kind": "individual", "name": individual, "position": "Trưởng Công an xã",
                 "work_unit": "Công an xã Hòa An"}]}


def _data(backend: Backend, instance_id: int) -> dict[str, Any]:
    return read(backend, lambda s: cases.case_data(s, backend.runtime, s.get_one(ProcessInstance, instance_id)))


def _nomination_at(backend: Backend, step: str) -> int:
    """A nomination by Giang worked through the services until ``step`` waits (``signed``: past signing)."""
    instance_id = run(backend, lambda s: cases.start_case(s, backend.runtime, users.get_user(s, GIANG.username),
                                                          AWARD).id)
    complete(backend, GIANG, open_task(backend, instance_id, "nominate"), _nomination(*NOMINEES[step]))
    if step == "appraise_dossier":
        return instance_id
    results = _data(backend, instance_id)["appraisal_results"]
    complete(backend, HAI, open_task(backend, instance_id, "appraise_dossier"), {
        "decision": "accept", "comment": "Đủ hồ sơ", "appraisal_results": results})
    votes = [dict(row, votes_for=7) for row in _data(backend, instance_id)["council_candidates"]]
    complete(backend, LAM, open_task(backend, instance_id, "council_vote"), {
        "meeting_date": "2026-11-30", "members_total": 9, "members_present": 7, "minutes_ref": "07/BB-HĐ",
        "council_votes": votes})
    if step == "sign_decision":
        return instance_id
    complete(backend, NAM, open_task(backend, instance_id, "sign_decision"), {
        "decision": "approve", "signing_capacity": "ky_thay", "signer_title": "Phó Chủ tịch"})
    return instance_id


@pytest.fixture(scope="module")
def world(module_backend: Backend) -> dict[str, int]:
    """One database per backend: the cast, a signed nomination and one still waiting for its signature."""
    add_staff(module_backend, CAST)
    return {"signed": _nomination_at(module_backend, "signed"),
            "unsigned": _nomination_at(module_backend, "sign_decision")}


@pytest.fixture(scope="module")
def app(module_backend: Backend) -> Flask:
    """The app on the module's database."""
    return web.create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, backend=module_backend)


@pytest.fixture
def backend(module_backend: Backend) -> Backend:
    """The module's database (never the conftest's per-test one, which would empty the shared schema)."""
    return module_backend


def _number(backend: Backend, instance_id: int) -> str:
    return str(_data(backend, instance_id)["decision_number"])


@pytest.mark.parametrize("who", [KHANH, NAM, GIANG], ids=["auditor", "signer", "nominator"])
def test_the_decision_page_shows_number_signature_and_recipients(app: Flask, backend: Backend,
                                                                world: dict[str, int], who: Person) -> None:
    """Those who may see the case read the decision: its number, who signed in what capacity, each recipient."""
    response = signed_in(app, who).get(f"/cases/{world['signed']}/documents/decision")
    assert response.status_code == 200
    paper = parse(response).find("article", cls="paper")
    text = paper.text()
    assert f"Số: {_number(backend, world['signed'])}" in text
    assert "Về việc tặng Bằng khen" in text and "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH" in text
    assert [p.text() for p in paper.find("div", cls="signer").find_all("p")] == [
        "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", NAM.full_name]
    rows = [[td.text() for td in tr.find_all("td")] for tr in paper.find_all("tr") if tr.find_all("td", cls="n")]
    assert rows == [["1", "Công an xã Hòa An", "Công an tỉnh", "7.020.000"],
                    ["1", "Nguyễn Văn Tâm", "Trưởng Công an xã, Công an xã Hòa An", "3.510.000"]]
    assert "tổng cộng 10.530.000 đồng" in text


def test_the_pdf_is_shown_inline_under_the_decision_number(app: Flask, backend: Backend,
                                                           world: dict[str, int]) -> None:
    """The PDF opens in the browser; its file name is the number with the slash replaced."""
    number = _number(backend, world["signed"])
    response = signed_in(app, KHANH).get(f"/cases/{world['signed']}/documents/decision.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    plain, exact = number.replace("/", "-").replace("Đ", "D"), number.replace("/", "-").replace("Đ", "%C4%90")
    assert response.headers["Content-Disposition"] == (f'inline; filename="{plain}.pdf"; '
                                                       f"filename*=UTF-8''{exact}.pdf")


def test_the_case_page_lists_the_decision_once_signed(app: Flask, world: dict[str, int]) -> None:
    """The "Văn bản" section links the page and the PDF of a signed case, and is absent before signing."""
    browser = signed_in(app, KHANH)
    section = parse(browser.get(f"/cases/{world['signed']}")).find("section", cls="documents")
    assert section.find("h2").text() == "Văn bản"
    assert [a.attrs["href"] for a in section.find_all("a")] == [
        f"/cases/{world['signed']}/documents/decision", f"/cases/{world['signed']}/documents/decision.pdf"]
    assert not parse(browser.get(f"/cases/{world['unsigned']}")).find_all("section", cls="documents")


@pytest.mark.parametrize(("who", "case", "name"), [
    (KHANH, "unsigned", "decision"), (KHANH, "signed", "certificate"), (HIEU, "signed", "decision"),
], ids=["not-signed-yet", "unknown-document", "not-in-scope"])
@pytest.mark.parametrize("suffix", ["", ".pdf"])
def test_no_document_is_a_404(app: Flask, world: dict[str, int], who: Person, case: str, name: str,
                              suffix: str) -> None:
    """Before signing, for an unknown name, or for a unit head who did not nominate: nothing to show."""
    error_page(signed_in(app, who).get(f"/cases/{world[case]}/documents/{name}{suffix}"), 404)


def test_the_api_serves_the_pdf_to_those_who_see_the_case(backend: Backend, world: dict[str, int]) -> None:
    """Bearer clients get the PDF; others get the API's JSON 404, and no token a 401."""
    api = Api(web.create_app({"TESTING": True}, backend=backend).test_client(), backend)
    path = f"/instances/{world['signed']}/documents/decision.pdf"
    found = api.get(path, GIANG.username)
    assert found.status_code == 200 and found.mimetype == "application/pdf" and found.data.startswith(b"%PDF-")
    for response, status in ((api.get(path, HIEU.username), 404), (api.get(path), 401),
                             (api.get(f"/instances/{world['unsigned']}/documents/decision.pdf", KHANH.username), 404),
                             (api.get(f"/instances/{world['signed']}/documents/Bad%20Name.pdf", KHANH.username), 404)):
        assert response.status_code == status and response.mimetype == "application/json"


def test_the_command_line_writes_the_pdf(backend: Backend, world: dict[str, int], tmp_path: Path) -> None:
    """`reentry documents pdf KEY --out FILE` writes the decision and says where; an unknown key fails."""
    url = backend.engine.url.render_as_string(hide_password=False)
    key = read(backend, lambda s: s.get_one(ProcessInstance, world["signed"]).business_key)
    out = tmp_path / "qd.pdf"
    result = reentry_cli(url, "documents", "pdf", key, "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(b"%PDF-") and str(out) in result.stdout
    missing = reentry_cli(url, "documents", "pdf", "HS-1999-000001", "--out", str(tmp_path / "x.pdf"))
    assert missing.returncode == 1 and "Không tìm thấy" in missing.stderr and not (tmp_path / "x.pdf").exists()
