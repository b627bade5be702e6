"""Who may open which page: every group of services.users.GROUPS, in the dossier's commune and in another one.

The case under test is Trần Văn Bình's loan dossier of commune 10001, compiled by Nguyễn Văn An (police, 10001)
and waiting for the commune's confirmation. Each group has one member whose unit is 10001 ("own") and one
whose unit is 10002 ("other"). Pages:

    inbox       GET  /                           the inbox
    start       GET  /cases/new                  the processes one may start
    start_post  POST /cases/new/loan_dossier     a full valid first form
    case        GET  /cases/<id>                 the case page
    task        GET  /tasks/<id>                 the commune task's page
    task_post   POST /tasks/<id>                 decision "confirm" on the commune task
    claim       POST /tasks/<id>/claim           the commune task, unclaimed
    claim_held  POST /tasks/<id>/claim           the commune task while Lê Thị Hoa (commune, 10001) holds it

Refusals on pages follow one rule: someone who may not see the case gets 404 (it does not exist for them);
someone who sees it but may not act gets 403; a task someone else holds is 409. Claims are the exception:
``services.tasks.claim_task`` answers 403 to every non-candidate, whether or not they could see the case.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

import web
from services.backend import Backend
from services.models import ProcessInstance
from services.users import GROUPS
from tests.web.pages_support import AN
from tests.web.pages_support import HOA
from tests.web.pages_support import LOAN
from tests.web.pages_support import OTHER
from tests.web.pages_support import OWN
from tests.web.pages_support import Person
from tests.web.pages_support import add_staff
from tests.web.pages_support import as_form
from tests.web.pages_support import case_at
from tests.web.pages_support import claim
from tests.web.pages_support import count
from tests.web.pages_support import dossier
from tests.web.pages_support import error_message
from tests.web.pages_support import location
from tests.web.pages_support import open_task
from tests.web.pages_support import signed_in
from tests.web.pages_support import task_row
from tests.web.pages_support import user

PAGES = ("inbox", "start", "start_post", "case", "task", "task_post", "claim", "claim_held")
ANONYMOUS = "anonymous"
SIDES = {"own": OWN, "other": OTHER}
# A group with no part in a loan dossier waiting at the commune: the case and its task do not exist for them.
OUTSIDER = (200, 200, 403, 404, 404, 404, 403, 403)
# An auditor or administrator reads every case but works none.
READER = (200, 200, 403, 200, 200, 403, 403, 403)

#                              inbox start start_post case task task_post claim claim_held
EXPECTED: dict[tuple[str, str], tuple[int, ...]] = {
    (ANONYMOUS, "-"):             (302, 302, 302, 302, 302, 302, 302, 302),
    # A colleague of the compiling officer sees the dossier (their unit compiled it) but cannot work the commune's
    # task; an officer of another commune does not see it at all. Any police officer may start a dossier.
    ("police", "own"):            (200, 200, 302, 200, 200, 403, 403, 403),
    ("police", "other"):          (200, 200, 302, 404, 404, 404, 403, 403),
    # The borrower's commune works the task; another commune does not see it.
    ("commune", "own"):           (200, 200, 403, 200, 200, 302, 302, 409),
    ("commune", "other"):         OUTSIDER,
    ("bank_appraiser", "own"):    OUTSIDER,
    ("bank_appraiser", "other"):  OUTSIDER,
    ("bank_teller", "own"):       OUTSIDER,
    ("bank_teller", "other"):     OUTSIDER,
    ("unit_head", "own"):         OUTSIDER,
    ("unit_head", "other"):       OUTSIDER,
    ("home_affairs", "own"):      OUTSIDER,
    ("home_affairs", "other"):    OUTSIDER,
    ("police_emulation", "own"):  OUTSIDER,
    ("police_emulation", "other"): OUTSIDER,
    ("provincial_council", "own"): OUTSIDER,
    ("provincial_council", "other"): OUTSIDER,
    ("police_council", "own"):    OUTSIDER,
    ("police_council", "other"):  OUTSIDER,
    ("chairman", "own"):          OUTSIDER,
    ("chairman", "other"):        OUTSIDER,
    ("police_director", "own"):   OUTSIDER,
    ("police_director", "other"): OUTSIDER,
    ("auditor", "own"):           READER,
    ("auditor", "other"):         READER,
    ("admin", "own"):             READER,
    ("admin", "other"):           READER,
}
CELLS = [pytest.param(group, side, page, EXPECTED[group, side][index], id=f"{group}-{side}-{page}")
         for group, side in EXPECTED for index, page in enumerate(PAGES)]


def test_the_table_covers_every_group_and_both_units() -> None:
    assert {g for g, _ in EXPECTED} - {ANONYMOUS} == set(GROUPS)
    assert all((g, s) in EXPECTED for g in GROUPS for s in SIDES)
    assert all(len(row) == len(PAGES) for row in EXPECTED.values())


def member(group: str, side: str) -> Person:
    """The member of ``group`` whose unit is the dossier's commune ("own") or another one ("other")."""
    return Person(f"mt.{group}.{side}", group, SIDES[side], f"Thành viên nhóm {group}, đơn vị {SIDES[side]}")


@dataclass
class World:
    """The module's app, its people, one shared case and signed-in browsers."""

    app: Flask
    backend: Backend
    case_id: int
    task_id: str
    held_task_id: str
    browsers: dict[str, FlaskClient] = field(default_factory=dict)

    def browser(self, group: str, side: str) -> FlaskClient:
        """A browser signed in as the member (a fresh anonymous one for ``anonymous``)."""
        if group == ANONYMOUS:
            return self.app.test_client()
        who = member(group, side)
        if who.username not in self.browsers:
            self.browsers[who.username] = signed_in(self.app, who)
        return self.browsers[who.username]


@pytest.fixture(scope="module")
def world(module_backend: Backend) -> Iterator[World]:
    """The cast, a member of every group on each side, and a dossier waiting at commune 10001 (twice: one held)."""
    add_staff(module_backend)
    add_staff(module_backend, tuple(member(g, s) for g in GROUPS for s in SIDES))
    case_id = case_at(module_backend, "confirm_at_commune")
    held = open_task(module_backend, case_at(module_backend, "confirm_at_commune"), "confirm_at_commune")
    claim(module_backend, HOA, held)
    app = web.create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, backend=module_backend)
    yield World(app, module_backend, case_id, open_task(module_backend, case_id, "confirm_at_commune"), held)


def changes_the_task(page: str, expected: int) -> bool:
    """True for a request expected to work the commune task: it gets a case of its own."""
    return page in ("task_post", "claim") and expected == 302


def request(world: World, browser: FlaskClient, page: str, task_id: str) -> TestResponse:
    """Open ``page`` (``task_id`` is the commune task to work on)."""
    paths = {"inbox": ("GET", "/"), "start": ("GET", "/cases/new"), "start_post": ("POST", f"/cases/new/{LOAN}"),
             "case": ("GET", f"/cases/{world.case_id}"), "task": ("GET", f"/tasks/{task_id}"),
             "task_post": ("POST", f"/tasks/{task_id}"), "claim": ("POST", f"/tasks/{task_id}/claim"),
             "claim_held": ("POST", f"/tasks/{world.held_task_id}/claim")}
    method, path = paths[page]
    data = {"task_post": {"decision": "confirm"}, "start_post": as_form(dossier())}.get(page)
    return browser.open(path, method=method, data=data)


@pytest.mark.parametrize(("group", "side", "page", "expected"), CELLS)
def test_page_access(world: World, group: str, side: str, page: str, expected: int) -> None:
    browser = world.browser(group, side)
    task_id = world.task_id
    if changes_the_task(page, expected):
        task_id = open_task(world.backend, case_at(world.backend, "confirm_at_commune"), "confirm_at_commune")
    cases_before = count(world.backend, ProcessInstance)
    response = request(world, browser, page, task_id)
    if expected == 302:
        target = location(response)
        if group == ANONYMOUS:
            assert target.startswith("/login?next=")
        elif page == "start_post":
            assert target.startswith("/cases/") and count(world.backend, ProcessInstance) == cases_before + 1
        else:
            assert target == "/" if page == "claim" else target.startswith("/cases/")
    elif expected in (403, 404, 409):
        error_message(response, expected)
    else:
        assert response.status_code == expected, response.get_data(as_text=True)[:2000]

    # Nothing a refusal or a look touches has changed.
    shared, held = task_row(world.backend, world.task_id), task_row(world.backend, world.held_task_id)
    assert (shared.status, shared.assignee_id) == ("open", None)
    assert (held.status, held.assignee_id) == ("open", user(world.backend, HOA.username).id)
    if page != "start_post" or expected != 302:
        assert count(world.backend, ProcessInstance) == cases_before


def test_the_starter_works_the_compile_form_and_nobody_else(world: World) -> None:
    draft = open_task(world.backend, case_at(world.backend, "compile_dossier"), "compile_dossier")
    starter = signed_in(world.app, AN)
    assert starter.get(f"/tasks/{draft}").status_code == 200
    colleague = world.browser("police", "own")
    assert colleague.get(f"/tasks/{draft}").status_code == 200
    assert error_message(colleague.post(f"/tasks/{draft}", data=as_form(dossier())), 409) == (
        "Công việc đang do Nguyễn Văn An xử lý")
    error_message(world.browser("police", "other").get(f"/tasks/{draft}"), 404)
    error_message(world.browser("commune", "own").get(f"/tasks/{draft}"), 404)

