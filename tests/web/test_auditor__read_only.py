"""Auditors read and never write: every write route of the app refuses them, pages and API alike, and a scoped
auditor does not even see the cases outside their units.

The world: Trần Văn Bình's dossier of commune 10001 waits for the commune (its task unclaimed), a draft of
10001 waits for its officer, and a dossier of commune 10002 waits for its commune. Three auditors: Bùi Quang
Khánh reads the whole province, "thanhtra.xa1" reads commune 10001 and "thanhtra.xa2" commune 10002.
"""
from __future__ import annotations

import io
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

import web
from services import users
from services.backend import Backend
from services.models import Attachment
from services.models import AuditEvent
from services.models import HumanTask
from services.models import ProcessInstance
from services.models import ProcessVersion
from services.models import User
from tests.support import PASSWORD
from tests.support import read
from tests.support import run
from tests.web.conftest import assert_error
from tests.web.pages_support import AN
from tests.web.pages_support import CUONG
from tests.web.pages_support import KHANH
from tests.web.pages_support import LOAN
from tests.web.pages_support import add_staff
from tests.web.pages_support import as_form
from tests.web.pages_support import case_at
from tests.web.pages_support import dossier
from tests.web.pages_support import error_message
from tests.web.pages_support import open_task
from tests.web.pages_support import parse
from tests.web.pages_support import signed_in
from tests.web.pages_support import start_draft
from tests.web.pages_support import step_data

FORBIDDEN = "Bạn không có quyền thực hiện thao tác này"
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n" + b"0" * 2000 + b"\n%%EOF\n"
# A person's own session and sign-in: allowed to everyone, auditors included.
OWN_SESSION = {"auth.login", "auth.logout", "auth.set_language", "api.issue_token"}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
SCOPED = {"thanhtra.xa1": "10001", "thanhtra.xa2": "10002"}


@dataclass
class World:
    """The module's app and the records the attempts aim at."""

    app: Flask
    backend: Backend
    case_id: int
    task_id: str
    draft_id: int
    draft_task_id: str
    other_case_id: int
    other_task_id: str
    user_id: int
    tokens: dict[str, str]

    def browser(self, username: str) -> FlaskClient:
        """A browser signed in as ``username``."""
        return signed_in(self.app, username)

    def token(self, username: str) -> str:
        """A bearer token of ``username``."""
        if username not in self.tokens:
            self.tokens[username] = run(self.backend, lambda s: users.issue_token(s, users.get_user(s, username)))[0]
        return self.tokens[username]

    def api(self, username: str, method: str, path: str, **kwargs: Any) -> TestResponse:
        """``method /api/v1<path>`` with ``username``'s token."""
        headers = {"Authorization": f"Bearer {self.token(username)}"}
        return self.app.test_client().open(f"/api/v1{path}", method=method, headers=headers, **kwargs)


@pytest.fixture(scope="module")
def world(module_backend: Backend, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The cast, the scoped auditors and the three cases."""
    add_staff(module_backend)
    run(module_backend, lambda s: [users.add_user(s, name, PASSWORD, ["auditor"], audit_units=[unit])
                                   for name, unit in SCOPED.items()])
    case_id = case_at(module_backend, "confirm_at_commune")
    draft_id = start_draft(module_backend)
    other_id = case_at(module_backend, "confirm_at_commune", starter=CUONG, first=dossier(
        residence_commune_code="10002"))
    user_id = read(module_backend, lambda s: users.get_user(s, AN.username).id)
    config = {"TESTING": True, "WTF_CSRF_ENABLED": False, "ATTACHMENTS_DIR": tmp_path_factory.mktemp("files")}
    app = web.create_app(config, backend=module_backend)
    yield World(app, module_backend, case_id, open_task(module_backend, case_id, "confirm_at_commune"), draft_id,
                open_task(module_backend, draft_id, "compile_dossier"), other_id,
                open_task(module_backend, other_id, "confirm_at_commune"), user_id, {})


def snapshot(backend: Backend) -> tuple[int, ...]:
    """What any write would change: events, cases, files, users, versions and claimed or closed tasks."""
    def counts(s: Any) -> tuple[int, ...]:
        moved = sa.or_(HumanTask.assignee_id.is_not(None), HumanTask.status != "open")
        return tuple(s.scalar(sa.select(sa.func.count()).select_from(model)) or 0
                     for model in (AuditEvent, ProcessInstance, Attachment, User, ProcessVersion)) + (
            s.scalar(sa.select(sa.func.count()).select_from(HumanTask).where(moved)) or 0,)
    return read(backend, counts)


Attempt = Callable[[World, str], TestResponse]


def page_post(path: Callable[[World], str], data: Callable[[World], dict[str, str]]) -> Attempt:
    """A form post by a signed-in browser."""
    return lambda w, who: w.browser(who).post(path(w), data=data(w))


def api_call(method: str, path: Callable[[World], str], **kwargs: Callable[[World], Any]) -> Attempt:
    """An API request with a bearer token."""
    return lambda w, who: w.api(who, method, path(w), **{k: make(w) for k, make in kwargs.items()})


def upload(w: World) -> dict[str, Any]:
    return {"file": (io.BytesIO(PDF), "giay-chung-nhan.pdf"), "task_id": w.draft_task_id,
            "field": "release_certificate_scan"}


# endpoint → the attempts on it; every write route of the app (outside one's own session) must be here.
WRITES: dict[str, dict[str, Attempt]] = {
    "cases.start": {
        "submit": page_post(lambda w: f"/cases/new/{LOAN}", lambda w: as_form(dossier())),
        "draft": page_post(lambda w: f"/cases/new/{LOAN}", lambda w: {**as_form(dossier()), "_draft": "1"}),
        "add-row": page_post(lambda w: f"/cases/new/{LOAN}", lambda w: {"_add_row": "citizen_id_card_scan"}),
    },
    "cases.withdraw": {
        "ask": page_post(lambda w: f"/cases/{w.case_id}/withdraw", lambda w: {"reason": "Kiểm tra"}),
        "confirmed": page_post(lambda w: f"/cases/{w.case_id}/withdraw",
                               lambda w: {"reason": "Kiểm tra", "_confirmed": "1"}),
    },
    "tasks.submit": {
        "confirm": page_post(lambda w: f"/tasks/{w.task_id}", lambda w: as_form(step_data("confirm_at_commune"))),
        "reject-unconfirmed": page_post(lambda w: f"/tasks/{w.task_id}",
                                        lambda w: {"decision": "reject", "comment": "Không đủ điều kiện"}),
        "draft-form": page_post(lambda w: f"/tasks/{w.draft_task_id}", lambda w: as_form(dossier())),
    },
    "inbox.claim": {"claim": page_post(lambda w: f"/tasks/{w.task_id}/claim", lambda w: {})},
    "inbox.unclaim": {"unclaim": page_post(lambda w: f"/tasks/{w.task_id}/unclaim", lambda w: {})},
    "admin.user_new": {"add": page_post(lambda w: "/admin/users/new", lambda w: {
        "username": "ke.gian", "password": PASSWORD, "groups": "admin"})},
    "admin.user_edit": {"edit": page_post(lambda w: f"/admin/users/{w.user_id}", lambda w: {
        "full_name": "Nguyễn Văn An", "groups": "admin"})},
    "admin.user_password": {"reset": page_post(lambda w: f"/admin/users/{w.user_id}/password",
                                               lambda w: {"password": "mat-khau-moi-123"})},
    "admin.user_active": {"disable": page_post(lambda w: f"/admin/users/{w.user_id}/active",
                                               lambda w: {"active": "0", "confirm": "1"})},
    "admin.deploy": {"deploy": page_post(lambda w: "/admin/processes/deploy", lambda w: {})},
    "api.start_instance": {"start": api_call("POST", lambda w: f"/processes/{LOAN}/instances",
                                             json=lambda w: {"data": {}})},
    "api.claim_task": {"claim": api_call("POST", lambda w: f"/tasks/{w.task_id}/claim")},
    "api.unclaim_task": {"unclaim": api_call("POST", lambda w: f"/tasks/{w.task_id}/unclaim")},
    "api.complete_task": {"complete": api_call("POST", lambda w: f"/tasks/{w.task_id}/complete",
                                               json=lambda w: {"data": step_data("confirm_at_commune")})},
    "api.upload_attachment": {"upload": api_call("POST", lambda w: f"/instances/{w.draft_id}/attachments",
                                                 data=upload)},
}
ATTEMPTS = [pytest.param(auditor, endpoint, name, id=f"{auditor}-{endpoint}-{name}")
            for auditor in (KHANH.username, "thanhtra.xa1") for endpoint, named in WRITES.items() for name in named]


def test_every_write_route_is_walked(world: World) -> None:
    """A new write route fails this test until it is added to WRITES (and refuses auditors)."""
    routed = {rule.endpoint for rule in world.app.url_map.iter_rules() if WRITE_METHODS & (rule.methods or set())}
    assert routed - OWN_SESSION == set(WRITES)


@pytest.mark.parametrize(("auditor", "endpoint", "attempt"), ATTEMPTS)
def test_an_auditor_is_refused_every_write(world: World, auditor: str, endpoint: str, attempt: str) -> None:
    before = snapshot(world.backend)
    response = WRITES[endpoint][attempt](world, auditor)
    if endpoint.startswith("api."):
        assert assert_error(response, 403, "forbidden")["message"] == FORBIDDEN
    else:
        assert error_message(response, 403) == FORBIDDEN
    assert snapshot(world.backend) == before


def test_an_auditor_sees_no_way_to_write(world: World) -> None:
    """No "Tạo hồ sơ mới" link, no task form, no withdraw form, nothing to claim."""
    browser = world.browser(KHANH.username)
    nav = parse(browser.get("/")).find("nav", cls="mainnav")
    assert "/cases/new" not in {a.attrs["href"] for a in nav.find_all("a")}
    task = parse(browser.get(f"/tasks/{world.task_id}"))
    assert task.find_all("form", action=f"/tasks/{world.task_id}") == []
    assert "Bạn chỉ được xem công việc này." in task.text()
    case = parse(browser.get(f"/cases/{world.case_id}"))
    assert case.find_all("form", action=f"/cases/{world.case_id}/withdraw") == []
    group = parse(browser.get("/?tab=group"))
    assert group.find_all("form", action=f"/tasks/{world.task_id}/claim") == []
    assert parse(browser.get("/cases/new")).find_all("a", href=f"/cases/new/{LOAN}") == []


def test_others_keep_the_new_case_link(world: World) -> None:
    nav = parse(world.browser(AN.username).get("/")).find("nav", cls="mainnav")
    assert "/cases/new" in {a.attrs["href"] for a in nav.find_all("a")}


@pytest.mark.parametrize("auditor", [KHANH.username, "thanhtra.xa1"])
def test_an_auditor_in_scope_reads_the_case_and_its_task(world: World, auditor: str) -> None:
    browser = world.browser(auditor)
    assert browser.get(f"/cases/{world.case_id}").status_code == 200
    assert browser.get(f"/tasks/{world.task_id}").status_code == 200
    assert world.api(auditor, "GET", f"/instances/{world.case_id}").status_code == 200


def test_cases_outside_a_scoped_auditors_units_do_not_exist_for_them(world: World,
                                                                    subtests: pytest.Subtests) -> None:
    """Auditor of commune 10002: the 10001 dossier is missing everywhere; their own commune's is there."""
    who, hidden, task = "thanhtra.xa2", world.case_id, world.task_id
    browser = world.browser(who)
    listed = {a.text() for a in parse(browser.get("/cases")).find("table").find_all("a")}
    keys = read(world.backend, lambda s: {i: s.get_one(ProcessInstance, i).business_key
                                          for i in (hidden, world.other_case_id)})
    assert keys[world.other_case_id] in listed and keys[hidden] not in listed
    for path in (f"/cases/{hidden}", f"/cases/{hidden}/diagram.xml", f"/tasks/{task}"):
        with subtests.test(page=path):
            assert error_message(browser.get(path), 404) == "Không tìm thấy dữ liệu yêu cầu"
    with subtests.test(page="withdraw"):
        error_message(browser.post(f"/cases/{hidden}/withdraw", data={"reason": "Kiểm tra"}), 404)
    for path in (f"/instances/{hidden}", f"/instances/{hidden}/history", f"/tasks/{task}"):
        with subtests.test(api=path):
            assert_error(world.api(who, "GET", path), 404, "not_found")
    listed_ids = {i["id"] for i in world.api(who, "GET", "/instances").json or []}
    assert world.other_case_id in listed_ids and hidden not in listed_ids
    assert browser.get(f"/cases/{world.other_case_id}").status_code == 200
    assert browser.get(f"/tasks/{world.other_task_id}").status_code == 200
    history = world.api(who, "GET", f"/instances/{world.other_case_id}/history")
    assert history.status_code == 200 and history.json


def test_the_attachment_folder_is_untouched_by_refused_uploads(world: World) -> None:
    folder = Path(world.app.config["ATTACHMENTS_DIR"])
    world.api(KHANH.username, "POST", f"/instances/{world.draft_id}/attachments", data=upload(world))
    assert not folder.exists() or not any(folder.rglob("*.pdf"))
