"""REST API refusals: 400, 401, 403, 404 and 405 always come as JSON {error, message[, errors]}.

None of these requests changes anything, so the module shares one database per backend.
"""
from __future__ import annotations

import uuid
from typing import Any

import pytest

from services.backend import Backend
from tests.support import PASSWORD
from tests.web.conftest import ENGLISH
from tests.web.conftest import LOAN
from tests.web.conftest import Api
from tests.web.conftest import assert_error
from tests.web.conftest import loan_at
from tests.web.conftest import open_task_id
from tests.web.conftest import step_data

# Every operation that needs a token, with a path that would otherwise be answered.
OPERATIONS = [("GET", "/processes"), ("POST", f"/processes/{LOAN}/instances"), ("GET", "/instances"),
              ("GET", "/instances/1"), ("GET", "/instances/1/history"), ("GET", "/tasks"), ("GET", "/tasks/{task}"),
              ("POST", "/tasks/{task}/claim"), ("POST", "/tasks/{task}/unclaim"), ("POST", "/tasks/{task}/complete"),
              ("GET", "/audit/verify")]


@pytest.fixture
def api(module_api: Api) -> Api:
    """The module's shared client."""
    return module_api


@pytest.fixture(scope="module")
def at_commune(module_api: Api) -> tuple[int, str]:
    """A case waiting at commune 10001: its id and the commune task's id."""
    backend: Backend = module_api.backend
    case_id = loan_at(backend, "confirm_at_commune")
    return case_id, open_task_id(backend, case_id, "confirm_at_commune")


# --- 401 -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("username", "password"), [("auditor", "not-the-password"), ("nobody", PASSWORD)])
def test_wrong_credentials_are_401(api: Api, username: str, password: str) -> None:
    body = assert_error(api.post("/auth/token", body={"username": username, "password": password}), 401,
                        "unauthorized")
    assert body["message"] == "Tên đăng nhập hoặc mật khẩu không đúng"


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token"])
def test_every_operation_needs_a_valid_token(api: Api, at_commune: tuple[int, str], method: str, path: str,
                                            authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = api.call(method, path.format(task=at_commune[1]), body={"data": {}}, headers=headers)
    body = assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Bearer" in body["message"]


@pytest.mark.parametrize("authorization", ["Basic Y29tbXVuZTpwdw==", "Bearer ", "Bearer", "bearer x y", "Token abc"])
def test_malformed_authorization_headers_are_401(api: Api, authorization: str) -> None:
    assert_error(api.get("/tasks", headers={"Authorization": authorization}), 401, "unauthorized")


# --- 400 -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("body", "fields"), [
    ({}, ["username", "password"]),
    ({"username": "police.a", "password": 12345}, ["password"]),
    ({"username": ["police.a"], "password": ""}, ["username", "password"]),
])
def test_token_request_names_its_missing_fields(api: Api, body: dict[str, Any], fields: list[str]) -> None:
    answer = assert_error(api.post("/auth/token", body=body), 400, "bad_request")
    assert [e["field"] for e in answer["errors"]] == fields


@pytest.mark.parametrize(("payload", "field"), [
    ({"data": {"not_a_field": 1}}, "not_a_field"),
    ({"data": ["full_name"]}, "data"),
    ({"data": "x"}, "data"),
    (["data"], "body"),
    ("data", "body"),
])
def test_start_refuses_bad_data_with_field_errors(api: Api, payload: Any, field: str) -> None:
    body = assert_error(api.post(f"/processes/{LOAN}/instances", "police.a", payload), 400, "bad_request")
    assert [e["field"] for e in body["errors"]] == [field]


@pytest.mark.parametrize("raw", [b"{not json", b'{"data": NaN}', b'{"data": {"x": 1e999}}',
                                 b'{"data": {"x": "a\\u0000"}}', b'{"data": {"\\u0000": 1}}',
                                 b'{"data": {"x": "\\ud800"}}', b"\xff\xfe", b"[" * 100_000])
@pytest.mark.parametrize("path", [f"/processes/{LOAN}/instances", "/tasks/{task}/complete", "/auth/token"])
def test_malformed_bodies_are_400_json(api: Api, at_commune: tuple[int, str], raw: bytes, path: str) -> None:
    response = api.client.post(f"/api/v1{path.format(task=at_commune[1])}", data=raw,
                               content_type="application/json",
                               headers={"Authorization": f"Bearer {api.token('commune.a')}"})
    body = assert_error(response, 400, "bad_request")
    assert [e["field"] for e in body["errors"]] == ["body"]


@pytest.mark.parametrize(("query", "field"), [
    ("status=finished", "status"), ("limit=0", "limit"), ("limit=501", "limit"), ("limit=ten", "limit"),
    ("limit=%D9%A3", "limit"), ("offset=-1", "offset"), ("offset=2147483648", "offset"),
    ("process=bad%20key", "process"), ("process=%00", "process"), ("process=loan%0A", "process"),
])
def test_instances_refuse_bad_parameters(api: Api, query: str, field: str) -> None:
    body = assert_error(api.get(f"/instances?{query}", "police.a"), 400, "bad_request")
    assert [e["field"] for e in body["errors"]] == [field]


def test_inbox_scope_must_be_mine_or_group(api: Api) -> None:
    body = assert_error(api.get("/tasks?scope=all", "commune.a", headers=ENGLISH), 400, "bad_request")
    assert body["errors"] == [{"field": "scope", "message": "The scope must be 'mine' or 'group'"}]


@pytest.mark.parametrize(("payload", "field"), [
    ({}, "data"), ({"data": None}, "data"), ({"data": [1]}, "data"), ({"data": {}, "idempotency_key": 7},
                                                                       "idempotency_key"),
    ({"data": {}, "idempotency_key": "k" * 101}, "idempotency_key"),
    ({"data": {}, "idempotency_key": ""}, "idempotency_key"),
])
def test_complete_needs_a_data_object(api: Api, at_commune: tuple[int, str], payload: dict[str, Any],
                                      field: str) -> None:
    body = assert_error(api.post(f"/tasks/{at_commune[1]}/complete", "commune.a", payload), 400, "bad_request")
    assert [e["field"] for e in body["errors"]] == [field]


# --- 403 -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("user", "key"), [("commune.a", LOAN), ("auditor", LOAN), ("admin", LOAN),
                                           ("unit.head", LOAN)])
def test_only_officers_start_loan_cases(api: Api, user: str, key: str) -> None:
    assert_error(api.post(f"/processes/{key}/instances", user, {"data": {}}), 403, "forbidden")


@pytest.mark.parametrize(("user", "action"), [("commune.b", "claim"), ("commune.b", "complete"), ("teller", "claim"),
                                              ("police.a", "complete"), ("auditor", "claim"), ("auditor", "complete"),
                                              ("admin", "unclaim")])
def test_working_a_task_outside_ones_group_or_commune_is_403(api: Api, at_commune: tuple[int, str], user: str,
                                                             action: str) -> None:
    response = api.post(f"/tasks/{at_commune[1]}/{action}", user, {"data": step_data("confirm_at_commune")})
    assert_error(response, 403, "forbidden")


@pytest.mark.parametrize("user", ["police.a", "commune.a", "appraiser", "teller", "unit.head"])
def test_audit_verify_is_for_auditors_and_admins_only(api: Api, user: str) -> None:
    assert_error(api.get("/audit/verify", user), 403, "forbidden")


# --- 404 and 405 -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/instances/999999"), ("GET", "/instances/999999/history"), ("GET", "/instances/0"),
    ("GET", "/instances/-1"), ("GET", "/instances/abc"), ("GET", "/instances/99999999999"),
    ("GET", "/tasks/{uuid}"), ("POST", "/tasks/{uuid}/claim"), ("POST", "/tasks/{uuid}/unclaim"),
    ("POST", "/tasks/{uuid}/complete"), ("GET", "/tasks/not-a-uuid"), ("POST", "/processes/no_such_process/instances"),
    ("POST", "/processes/bad%20key!/instances"), ("POST", "/processes/%00/instances"), ("GET", "/no/such/route"),
])
def test_unknown_ids_and_routes_are_404_json(api: Api, method: str, path: str) -> None:
    response = api.call(method, path.replace("{uuid}", str(uuid.uuid4())), "police.a", {"data": {}})
    assert_error(response, 404, "not_found")


def test_cases_and_tasks_out_of_scope_look_unknown(api: Api, at_commune: tuple[int, str]) -> None:
    case_id, task_id = at_commune
    for path in (f"/instances/{case_id}", f"/instances/{case_id}/history", f"/tasks/{task_id}"):
        assert_error(api.get(path, "commune.b"), 404, "not_found")
        assert api.get(path, "commune.a").status_code == 200


@pytest.mark.parametrize(("method", "path"), [("DELETE", "/processes"), ("PUT", "/tasks/{uuid}"),
                                              ("GET", "/auth/token"), ("POST", "/openapi.json")])
def test_wrong_method_is_405_json(api: Api, method: str, path: str) -> None:
    response = api.call(method, path.replace("{uuid}", str(uuid.uuid4())), "police.a")
    assert_error(response, 405, "method_not_allowed")
