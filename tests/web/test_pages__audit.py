"""The audit log page (Nhật ký kiểm toán): who reaches it, its filters as a link, its table, pager and CSV."""
from __future__ import annotations

import csv
import io

import pytest
from flask import Flask

from services import users
from services.backend import Backend
from tests.support import PASSWORD
from tests.support import run
from tests.web.pages_support import AN
from tests.web.pages_support import CUONG
from tests.web.pages_support import HOA
from tests.web.pages_support import KHANH
from tests.web.pages_support import TRANG
from tests.web.pages_support import add_staff
from tests.web.pages_support import case_at
from tests.web.pages_support import dossier
from tests.web.pages_support import error_message
from tests.web.pages_support import instance
from tests.web.pages_support import parse
from tests.web.pages_support import signed_in
from tests.web.pages_support import vn_datetime
from tests.web.pages_support import vn_today

pytestmark = pytest.mark.usefixtures("cheap_passwords")
HEADERS = ["Thời điểm", "Người thực hiện", "Mã hồ sơ", "Quy trình", "Công việc", "Nội dung"]


@pytest.fixture
def cases(backend: Backend) -> tuple[int, int]:
    """The cast, an auditor of commune 10002, a dossier of 10001 confirmed by the commune and one of 10002."""
    add_staff(backend)
    run(backend, lambda s: users.add_user(s, "thanhtra.xa2", PASSWORD, ["auditor"], full_name="Vũ Văn Hải",
                                          audit_units=["10002"]))
    other = case_at(backend, "confirm_at_commune", starter=CUONG, first=dossier(residence_commune_code="10002"))
    own = case_at(backend, "appraise_loan")
    return own, other


def table(page: str | bytes) -> list[list[str]]:
    """The results table's rows as cell texts."""
    doc = parse(page if isinstance(page, str) else page.decode())
    return [[td.text() for td in tr.find_all("td")] for tr in doc.find("table").find("tbody").find_all("tr")]


def test_auditors_and_administrators_find_it_in_the_top_bar(app: Flask, cases: tuple[int, int]) -> None:
    for who in (KHANH, TRANG):
        nav = parse(signed_in(app, who).get("/")).find("nav", cls="mainnav")
        assert {a.attrs["href"]: a.text() for a in nav.find_all("a")}["/audit"] == "Nhật ký kiểm toán"
    nav = parse(signed_in(app, AN).get("/")).find("nav", cls="mainnav")
    assert "/audit" not in {a.attrs["href"] for a in nav.find_all("a")}


def test_others_are_refused(app: Flask, cases: tuple[int, int]) -> None:
    for who in (AN, HOA):
        browser = signed_in(app, who)
        assert error_message(browser.get("/audit"), 403) == "Bạn không có quyền thực hiện thao tác này"
        error_message(browser.get("/audit/events.csv"), 403)
    assert app.test_client().get("/audit").status_code == 302


def test_the_log_lists_every_event_newest_first(app: Flask, backend: Backend, cases: tuple[int, int]) -> None:
    own, other = cases
    page = signed_in(app, KHANH).get("/audit")
    doc = parse(page)
    assert [th.text() for th in doc.find("table").find_all("th")] == HEADERS
    rows = table(page.data)
    assert len(rows) == 5  # two starts, two compilations, one confirmation
    newest = rows[0]
    assert newest[1:] == [f"{HOA.full_name} ({HOA.username})", instance(backend, own).business_key,
                          "Hồ sơ vay vốn người chấp hành xong án phạt tù", newest[4], "Hoàn thành công việc"]
    assert newest[4] and newest[0].endswith(vn_today().strftime("%d/%m/%Y"))
    link = doc.find("table").find("a")
    assert link.attrs["href"] == f"/cases/{own}"
    assert {r[2] for r in rows} == {instance(backend, own).business_key, instance(backend, other).business_key}
    assert "Tạo hồ sơ" in {r[5] for r in rows}


def test_the_filters_are_a_link_that_keeps_them(app: Flask, cases: tuple[int, int]) -> None:
    today = vn_today().strftime("%d/%m/%Y")
    response = signed_in(app, KHANH).get(f"/audit?actor=hoa.le&from={today}&to={today}&process=loan_dossier")
    doc = parse(response)
    assert [r[1] for r in table(response.data)] == [f"{HOA.full_name} ({HOA.username})"]
    assert doc.find("input", name="actor").attrs["value"] == "hoa.le"
    assert doc.find("input", name="from").attrs["value"] == today
    download = next(a for a in doc.find_all("a") if a.text() == "Tải CSV")
    assert download.attrs["href"].startswith("/audit/events.csv?")
    assert "actor=hoa.le" in download.attrs["href"] and "page=" not in download.attrs["href"]


def test_nothing_found_says_so(app: Flask, cases: tuple[int, int]) -> None:
    doc = parse(signed_in(app, KHANH).get("/audit?case=HS-1999-000001"))
    assert doc.find("p", cls="empty").text() == "Không có sự kiện nào phù hợp"
    assert doc.find_all("table") == []


def test_a_bad_date_is_explained_and_nothing_is_searched(app: Flask, cases: tuple[int, int]) -> None:
    response = signed_in(app, KHANH).get("/audit?from=31/02/2026")
    assert response.status_code == 400
    doc = parse(response)
    assert doc.find("p", cls="field-error").text() == "Ngày không hợp lệ (định dạng dd/mm/yyyy)"
    assert doc.find("input", name="from").attrs["value"] == "31/02/2026"
    assert doc.find_all("table") == []


def test_a_scoped_auditor_sees_their_units_only(app: Flask, backend: Backend, cases: tuple[int, int]) -> None:
    _own, other = cases
    rows = table(signed_in(app, "thanhtra.xa2").get("/audit").data)
    assert {r[2] for r in rows} == {instance(backend, other).business_key} and len(rows) == 2


def test_fifty_a_page_with_a_pager(app: Flask, backend: Backend, cases: tuple[int, int]) -> None:
    for _ in range(12):  # 5 + 12 × 4 events: 53
        case_at(backend, "disburse_loan")
    browser = signed_in(app, KHANH)
    first = parse(browser.get("/audit?process=loan_dossier"))
    pager = first.find("nav", cls="pager")
    assert "Trang 1 / 2 · 53 kết quả" in pager.text()
    following = next(a for a in pager.find_all("a") if "Trang sau" in a.text()).attrs["href"]
    assert "process=loan_dossier" in following and "page=2" in following
    assert len(table(browser.get(following).data)) == 3


def test_the_csv_has_every_matching_event_with_vietnamese_headers(app: Flask, backend: Backend,
                                                                  cases: tuple[int, int]) -> None:
    own, _other = cases
    response = signed_in(app, KHANH).get("/audit/events.csv?actor=an.nguyen")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="nhat-ky-kiem-toan.csv"'
    body = response.data.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))
    assert rows[0] == ["Thời điểm", "Mã hồ sơ", "Quy trình", "Công việc", "Mã công việc", "Nội dung",
                       "Người thực hiện", "Tên đăng nhập", "Số thứ tự sự kiện"]
    key = instance(backend, own).business_key
    assert [(r[1], r[4], r[5], r[6], r[8]) for r in rows[1:]] == [
        (key, "compile_dossier", "Hoàn thành công việc", AN.full_name, "2"),
        (key, "", "Tạo hồ sơ", AN.full_name, "1")]
    assert rows[1][0].startswith(vn_today().strftime("%d/%m/%Y "))


def test_the_csv_labels_stay_vietnamese_for_an_english_reader(app: Flask, cases: tuple[int, int]) -> None:
    browser = signed_in(app, KHANH)
    browser.post("/lang/en", data={"next": "/audit"})
    page = parse(browser.get("/audit"))
    assert page.find("h1").text() == "Audit log"
    body = browser.get("/audit/events.csv").data.decode("utf-8")
    assert "Tạo hồ sơ" in body and "Thời điểm" in body


def test_the_time_is_shown_as_people_read_it(app: Flask, backend: Backend, cases: tuple[int, int]) -> None:
    own, _other = cases
    started = instance(backend, own).started_at
    rows = table(signed_in(app, KHANH).get(f"/audit?case={instance(backend, own).business_key}").data)
    assert rows[-1][0] == vn_datetime(started)
