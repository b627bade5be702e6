"""The inbox page (Hộp công việc): tabs and counts, due dates, overdue rows, filters, search, paging, claim."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from flask import Flask

from services.backend import Backend
from services.db import utcnow
from tests.web.pages_support import AN
from tests.web.pages_support import CUONG
from tests.web.pages_support import DUNG
from tests.web.pages_support import HOA
from tests.web.pages_support import MAI
from tests.web.pages_support import OTHER
from tests.web.pages_support import add_staff
from tests.web.pages_support import case_at
from tests.web.pages_support import claim
from tests.web.pages_support import dossier
from tests.web.pages_support import error_message
from tests.web.pages_support import flashes
from tests.web.pages_support import inbox_rows
from tests.web.pages_support import instance
from tests.web.pages_support import lan_dossier
from tests.web.pages_support import location
from tests.web.pages_support import open_task
from tests.web.pages_support import parse
from tests.web.pages_support import row_keys
from tests.web.pages_support import set_due
from tests.web.pages_support import signed_in
from tests.web.pages_support import start_draft
from tests.web.pages_support import tab_counts
from tests.web.pages_support import task_row
from tests.web.pages_support import user
from tests.web.pages_support import vn_date
from tests.web.pages_support import vn_today
from workflows.calendar import VIETNAM_TZ

MINE, GROUP = "Việc của tôi", "Việc của nhóm"
EMPTY = "Không có công việc nào"



@dataclass(frozen=True)
class Dossiers:
    """Two dossiers waiting at commune 10001 (Trần Văn Bình, then Nguyễn Thị Lan) and one at 10002."""

    binh: int
    lan: int
    other: int
    binh_key: str
    lan_key: str

    @property
    def year(self) -> str:
        """The year in the case numbers."""
        return self.binh_key.split("-")[1]


@pytest.fixture
def dossiers(backend: Backend, cheap_passwords: None) -> Dossiers:
    """The cast, and three dossiers compiled by the police and waiting for their communes."""
    add_staff(backend)
    binh = case_at(backend, "confirm_at_commune")
    lan = case_at(backend, "confirm_at_commune", first=lan_dossier())
    other = case_at(backend, "confirm_at_commune", starter=CUONG,
                    first=dossier("Hà Văn Tâm", residence_commune_code=OTHER, national_id_number="001088007777"))
    return Dossiers(binh, lan, other, instance(backend, binh).business_key, instance(backend, lan).business_key)


def test_anonymous_is_sent_to_sign_in(app: Flask) -> None:
    response = app.test_client().get("/")
    assert location(response) == "/login?next=%2F"


def test_tabs_show_counts_per_person(app: Flask, backend: Backend, dossiers: Dossiers) -> None:
    hoa = signed_in(app, HOA)
    doc = parse(hoa.get("/"))
    assert doc.find("h1").text() == "Hộp công việc"
    assert tab_counts(doc) == {MINE: 0, GROUP: 2}
    assert EMPTY in doc.text()  # "mine" is the default tab, and Hoa holds nothing yet

    claim(backend, HOA, open_task(backend, dossiers.binh, "confirm_at_commune"))
    assert tab_counts(parse(hoa.get("/"))) == {MINE: 1, GROUP: 1}
    assert tab_counts(parse(signed_in(app, DUNG).get("/?tab=group"))) == {MINE: 0, GROUP: 1}
    mai = parse(signed_in(app, MAI).get("/?tab=group"))
    assert tab_counts(mai) == {MINE: 0, GROUP: 1}
    assert [r.find_all("td")[2].text() for r in inbox_rows(mai)] == ["Hà Văn Tâm"]


def test_rows_show_case_task_person_and_due_date(app: Flask, backend: Backend, dossiers: Dossiers) -> None:
    doc = parse(signed_in(app, HOA).get("/?tab=group"))
    assert row_keys(doc) == [dossiers.binh_key, dossiers.lan_key]
    first = inbox_rows(doc)[0]
    cells = first.find_all("td")
    assert cells[0].find("a").attrs["href"] == f"/cases/{dossiers.binh}"
    task_id = open_task(backend, dossiers.binh, "confirm_at_commune")
    assert cells[1].find("a").attrs["href"] == f"/tasks/{task_id}"
    assert cells[1].text() == "UBND xã xác nhận"
    assert cells[2].text() == "Trần Văn Bình"
    due_at = task_row(backend, task_id).due_at
    assert due_at is not None
    assert cells[3].text() == f"{vn_date(due_at)} Còn 5 ngày làm việc"
    assert "overdue" not in first.classes
    assert first.find("button").text() == "Nhận xử lý"


def test_overdue_rows_come_first_and_are_highlighted(app: Flask, backend: Backend, dossiers: Dossiers) -> None:
    late = open_task(backend, dossiers.lan, "confirm_at_commune")
    due_at = utcnow() - dt.timedelta(days=9)
    set_due(backend, late, due_at)
    doc = parse(signed_in(app, HOA).get("/?tab=group"))
    first, second = inbox_rows(doc)
    assert first.find("td").text() == dossiers.lan_key
    assert "overdue" in first.classes and "overdue" not in second.classes
    late_days = backend.runtime.calendar.working_days_between(due_at.astimezone(VIETNAM_TZ).date(), vn_today())
    badge = first.find_all("td")[3].find("span", cls="badge")
    assert "bad" in badge.classes
    assert badge.text() == f"Quá hạn {late_days} ngày làm việc"
    assert first.find_all("td")[3].text().startswith(vn_date(due_at))


def test_filter_by_task_and_overdue(app: Flask, backend: Backend, dossiers: Dossiers) -> None:
    set_due(backend, open_task(backend, dossiers.lan, "confirm_at_commune"), utcnow() - dt.timedelta(hours=1))
    hoa = signed_in(app, HOA)
    options = parse(hoa.get("/")).find("select", name="task").find_all("option")
    assert [(o.attrs["value"], o.text()) for o in options] == [("", "Tất cả"),
                                                               ("confirm_at_commune", "UBND xã xác nhận")]

    assert row_keys(parse(hoa.get("/?tab=group&task=confirm_at_commune"))) == [dossiers.lan_key, dossiers.binh_key]
    nothing = parse(hoa.get("/?tab=group&task=appraise_loan"))
    assert inbox_rows(nothing) == [] and EMPTY in nothing.text()
    assert tab_counts(nothing) == {MINE: 0, GROUP: 0}

    overdue = parse(hoa.get("/?tab=group&overdue=1"))
    assert row_keys(overdue) == [dossiers.lan_key]
    assert tab_counts(overdue) == {MINE: 0, GROUP: 1}
    assert "checked" in overdue.find("input", name="overdue").attrs
    tab_link = overdue.find("nav", cls="tabs").find_all("a")[0].attrs["href"]
    assert "overdue=1" in tab_link and "tab=mine" in tab_link


SEARCHES = [("nguyen", ["lan"]), ("NGUYỄN thị lan", ["lan"]), ("tran van binh", ["binh"]), ("001190012345", ["lan"]),
            ("hs-{year}", ["binh", "lan"]), ("HS-{year}-000002", ["lan"]), ("hs-{year}-000001", ["binh"]),
            ("le thi", []), ("%", []), ("", ["binh", "lan"])]


def test_search_ignores_case_and_diacritics(app: Flask, dossiers: Dossiers, subtests: pytest.Subtests) -> None:
    keys = {"binh": dossiers.binh_key, "lan": dossiers.lan_key}
    hoa = signed_in(app, HOA)
    for query, who in SEARCHES:
        typed = query.format(year=dossiers.year)
        with subtests.test(q=typed):
            doc = parse(hoa.get("/", query_string={"tab": "group", "q": typed}))
            assert row_keys(doc) == [keys[w] for w in who]
            assert doc.find("input", name="q").attrs["value"] == typed


def test_pages_of_twenty(app: Flask, backend: Backend, cheap_passwords: None) -> None:
    add_staff(backend)
    for number in range(1, 26):
        start_draft(backend, AN, {"full_name": f"Người vay số {number:02d}"})
    an = signed_in(app, AN)
    first = parse(an.get("/"))
    assert tab_counts(first) == {MINE: 25, GROUP: 0}
    assert len(inbox_rows(first)) == 20
    pager = first.find("nav", cls="pager")
    assert "Trang 1 / 2 · 25 kết quả" in pager.text()
    [next_link] = pager.find_all("a")
    assert next_link.text() == "Trang sau →"

    second = parse(an.get(next_link.attrs["href"]))
    assert len(inbox_rows(second)) == 5
    assert "Trang 2 / 2" in second.find("nav", cls="pager").text()
    assert [a.text() for a in second.find("nav", cls="pager").find_all("a")] == ["← Trang trước"]
    everyone = set(row_keys(first)) | set(row_keys(second))
    assert len(everyone) == 25
    assert {r.find_all("td")[2].text() for r in inbox_rows(second)} <= {f"Người vay số {n:02d}" for n in range(1, 26)}

    beyond = parse(an.get("/?page=99"))
    assert row_keys(beyond) == row_keys(second)


def test_empty_inbox_says_so(app: Flask, backend: Backend, cheap_passwords: None) -> None:
    add_staff(backend)
    for tab in ("mine", "group"):
        doc = parse(signed_in(app, MAI).get(f"/?tab={tab}"))
        assert inbox_rows(doc) == []
        assert doc.find("p", cls="empty").text() == EMPTY
        assert tab_counts(doc) == {MINE: 0, GROUP: 0}
        assert doc.find_all("nav", cls="pager") == []


def test_claim_moves_a_task_to_my_tasks_and_unclaim_returns_it(app: Flask, backend: Backend,
                                                               dossiers: Dossiers) -> None:
    task_id = open_task(backend, dossiers.binh, "confirm_at_commune")
    hoa = signed_in(app, HOA)
    group = parse(hoa.get("/?tab=group"))
    form = next(f for f in group.find_all("form") if f.attrs.get("action") == f"/tasks/{task_id}/claim")
    back = form.find("input", name="next").attrs["value"]
    assert back == "/?tab=group"

    claimed = hoa.post(f"/tasks/{task_id}/claim", data={"next": back})
    assert location(claimed) == "/?tab=group"
    after = parse(hoa.get("/?tab=group"))
    assert "Đã nhận xử lý công việc" in flashes(after)
    assert row_keys(after) == [dossiers.lan_key]
    assert tab_counts(after) == {MINE: 1, GROUP: 1}
    assert task_row(backend, task_id).assignee_id is not None

    mine = parse(hoa.get("/?tab=mine"))
    [row] = inbox_rows(mine)
    assert row.find("td").text() == dossiers.binh_key
    assert row.find_all("td")[4].text() == "Lê Thị Hoa"
    assert row.find("button").text() == "Trả về nhóm"

    returned = hoa.post(f"/tasks/{task_id}/unclaim", data={"next": "/?tab=mine"})
    assert location(returned) == "/?tab=mine"
    again = parse(hoa.get("/?tab=mine"))
    assert "Đã trả công việc về nhóm" in flashes(again)
    assert tab_counts(again) == {MINE: 0, GROUP: 2}
    assert task_row(backend, task_id).assignee_id is None


def test_claim_of_a_task_held_by_someone_else_is_409_naming_the_holder(app: Flask, backend: Backend,
                                                                      dossiers: Dossiers) -> None:
    task_id = open_task(backend, dossiers.binh, "confirm_at_commune")
    claim(backend, HOA, task_id)
    response = signed_in(app, DUNG).post(f"/tasks/{task_id}/claim", data={"next": "/?tab=group"})
    assert error_message(response, 409) == "Công việc đang do Lê Thị Hoa xử lý"
    assert task_row(backend, task_id).assignee_id == user(backend, HOA.username).id


def test_claim_never_sends_back_to_another_site(app: Flask, backend: Backend, dossiers: Dossiers,
                                                subtests: pytest.Subtests) -> None:
    task_id = open_task(backend, dossiers.binh, "confirm_at_commune")
    hoa = signed_in(app, HOA)
    for target in ("https://lua-dao.example/", "//lua-dao.example/", "javascript:alert(1)"):
        with subtests.test(next=target):
            assert location(hoa.post(f"/tasks/{task_id}/claim", data={"next": target})) == "/"
