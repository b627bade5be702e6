"""REST API (DESIGN §6): every endpoint's answer, and every refusal as JSON in the caller's language."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from services import cases
from services import users
from services.backend import Backend
from services.models import AuditEvent
from tests.support import PASSWORD
from tests.support import run
from tests.web.conftest import ENGLISH
from tests.web.conftest import LOAN
from tests.web.conftest import TASK_FIELDS
from tests.web.conftest import Api
from tests.web.conftest import assert_conforms
from tests.web.conftest import assert_error
from tests.web.conftest import dossier
from tests.web.conftest import loan_at
from tests.web.conftest import open_task_id
from tests.web.conftest import step_data
from workflows.engine import Engine
from workflows.errors import EngineStepFailed


def start(api: Api, user: str = "police.a", data: dict[str, Any] | None = None) -> dict[str, Any]:
    """``user`` opens a loan case over HTTP."""
    response = api.post(f"/processes/{LOAN}/instances", user, {"data": data or {}})
    assert response.status_code == 201, response.json
    body: dict[str, Any] = response.json or {}
    return body


def complete(api: Api, user: str, task_id: str, data: dict[str, Any], **extra: Any) -> tuple[int, Any]:
    """``user`` submits ``data`` for ``task_id`` over HTTP."""
    response = api.post(f"/tasks/{task_id}/complete", user, {"data": data, **extra})
    return response.status_code, response.json


def inbox(api: Api, user: str) -> list[dict[str, Any]]:
    """Both tabs of ``user``'s inbox."""
    return [t for scope in ("mine", "group") for t in api.get(f"/tasks?scope={scope}", user).json or []]


# --- POST /auth/token -------------------------------------------------------------------------------------------

def test_token_is_issued_for_good_credentials_and_opens_the_api(api: Api) -> None:
    response = api.post("/auth/token", body={"username": "commune.a", "password": PASSWORD})
    assert response.status_code == 200
    assert_conforms(response.json, "Token")
    token = (response.json or {})["token"]
    listed = api.get("/processes", headers={"Authorization": f"Bearer {token}"})
    assert listed.status_code == 200


def test_repeated_failures_lock_the_account_with_429(api: Api) -> None:
    wrong = {"username": "commune.a", "password": "not-the-password"}
    statuses = [api.post("/auth/token", body=wrong).status_code for _ in range(5)]
    assert statuses == [401, 401, 401, 401, 429]
    locked = api.post("/auth/token", body={"username": "commune.a", "password": PASSWORD}, headers=ENGLISH)
    body = assert_error(locked, 429, "too_many_requests")
    assert body["message"].startswith("The account is locked")
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60


# --- bearer tokens ---------------------------------------------------------------------------------------------

def test_expired_token_is_401(api: Api, backend: Backend) -> None:
    token, _ = run(backend, lambda s: users.issue_token(s, users.get_user(s, "police.a"), timedelta(seconds=-1)))
    assert_error(api.get("/tasks", headers={"Authorization": f"Bearer {token}"}), 401, "unauthorized")


# --- processes and cases ---------------------------------------------------------------------------------------

def test_processes_lists_the_newest_loan_version(api: Api) -> None:
    response = api.get("/processes", "commune.a")
    assert response.status_code == 200
    for process in response.json or []:
        assert_conforms(process, "Process")
    [loan] = [p for p in response.json or [] if p["key"] == LOAN]
    assert set(loan) == {"key", "name", "version", "deployed_at"}
    assert loan["version"] == 1


def test_start_answers_201_with_the_first_task_in_the_officers_hands(api: Api) -> None:
    response = api.post(f"/processes/{LOAN}/instances", "police.a", {"data": {}})
    assert response.status_code == 201
    body = response.json or {}
    assert_conforms(body, "StartedInstance")
    assert set(body) == {"id", "key", "version", "status", "business_key", "ready_tasks"}
    assert (body["key"], body["version"], body["status"]) == (LOAN, 1, "running")
    assert response.headers["Location"] == f"/api/v1/instances/{body['id']}"
    [task] = body["ready_tasks"]
    assert (task["name"], task["assignee"], task["candidate_group"], task["unit"]) == (
        "compile_dossier", "police.a", "police", "10001")


def test_start_data_prefills_the_first_form(api: Api) -> None:
    body = start(api, data={"full_name": "Lê Thị Hoa", "phone": "0912345678"})
    task = api.get(f"/tasks/{body['ready_tasks'][0]['id']}", "police.a").json or {}
    assert (task["data"]["full_name"], task["data"]["phone"]) == ("Lê Thị Hoa", "0912345678")


def test_a_loan_runs_to_disbursement_over_http(api: Api) -> None:
    case = start(api)
    for user, step in [("police.a", "compile_dossier"), ("commune.a", "confirm_at_commune"),
                       ("appraiser", "appraise_loan"), ("teller", "disburse_loan")]:
        task = next(t for t in inbox(api, user) if t["instance_id"] == case["id"])
        assert task["name"] == step
        status, body = complete(api, user, task["id"], step_data(step))
        assert status == 200, body
        assert_conforms(body["instance"], "CaseState")
    assert (body["instance"]["status"], body["instance"]["outcome"], body["instance"]["ready_tasks"]) == (
        "completed", "disbursed", [])

    detail = api.get(f"/instances/{case['id']}", "appraiser").json or {}
    assert_conforms(detail, "InstanceDetail")
    assert (detail["status"], detail["outcome"], detail["version"], detail["business_key"]) == (
        "completed", "disbursed", 1, case["business_key"])
    assert [(t["name"], t["completed_by"]) for t in detail["completed_tasks"]] == [
        ("compile_dossier", "police.a"), ("confirm_at_commune", "commune.a"), ("appraise_loan", "appraiser"),
        ("disburse_loan", "teller")]
    assert detail["data"]["loan_account_number"] == "7600112233"

    history = api.get(f"/instances/{case['id']}/history", "appraiser").json or []
    assert_conforms(history[0], "HistoryEvent")
    assert [e["seq"] for e in history] == list(range(1, len(history) + 1))
    assert [(e["type"], e["task"]) for e in history if e["type"] == "task_completed"] == [
        ("task_completed", s) for s in ("compile_dossier", "confirm_at_commune", "appraise_loan", "disburse_loan")]

    verified = api.get("/audit/verify", "auditor").json
    assert verified == {"ok": True, "events_checked": len(history), "first_bad": None}


# --- GET /instances --------------------------------------------------------------------------------------------

def test_instances_list_only_the_callers_cases_newest_first(api: Api, backend: Backend) -> None:
    first, second = start(api)["id"], start(api)["id"]
    other = start(api, "police.b")["id"]
    at_commune = loan_at(backend, "confirm_at_commune")
    listed = api.get("/instances", "police.a").json or []
    assert [i["id"] for i in listed] == [at_commune, second, first]
    for instance in listed:
        assert_conforms(instance, "Instance")
    assert [i["id"] for i in api.get("/instances", "commune.a").json or []] == [at_commune]
    assert [i["id"] for i in api.get("/instances", "commune.b").json or []] == []
    assert {i["id"] for i in api.get("/instances", "auditor").json or []} == {first, second, other, at_commune}


def test_instances_filter_by_process_and_status_and_page(api: Api, backend: Backend) -> None:
    ids = [start(api)["id"] for _ in range(3)]
    done = loan_at(backend, "disburse_loan")
    complete(api, "teller", open_task_id(backend, done, "disburse_loan"), step_data("disburse_loan"))
    assert [i["id"] for i in api.get("/instances?status=completed", "police.a").json or []] == [done]
    assert [i["id"] for i in api.get("/instances?status=running&limit=2", "police.a").json or []] == ids[:0:-1]
    assert [i["id"] for i in api.get("/instances?status=running&limit=2&offset=2", "police.a").json or []] == ids[:1]
    assert api.get("/instances?process=award_nomination", "police.a").json == []
    assert len(api.get(f"/instances?process={LOAN}", "police.a").json or []) == 4


def test_instance_detail_waiting_case(api: Api, backend: Backend) -> None:
    case_id = loan_at(backend, "confirm_at_commune")
    detail = api.get(f"/instances/{case_id}", "commune.a").json or {}
    assert set(detail) == {"id", "key", "version", "status", "outcome", "business_key", "started_at",
                           "completed_at", "data", "ready_tasks", "completed_tasks"}
    assert (detail["status"], detail["outcome"]) == ("running", None)
    [waiting] = detail["ready_tasks"]
    assert set(waiting) == TASK_FIELDS
    assert (waiting["name"], waiting["unit"], waiting["assignee"], waiting["overdue"]) == (
        "confirm_at_commune", "10001", None, False)
    assert waiting["due_at"] is not None
    assert [t["name"] for t in detail["completed_tasks"]] == ["compile_dossier"]


# --- tasks -----------------------------------------------------------------------------------------------------

def test_inbox_scopes(api: Api, backend: Backend) -> None:
    case_id = loan_at(backend, "confirm_at_commune")
    group = api.get("/tasks?scope=group", "commune.a").json or []
    assert [(t["instance_id"], t["name"]) for t in group] == [(case_id, "confirm_at_commune")]
    assert_conforms(group[0], "Task")
    assert api.get("/tasks?scope=mine", "commune.a").json == []
    assert api.get("/tasks", "commune.b").json == []
    assert api.get("/tasks?scope=group", "commune.b").json == []
    started = start(api)
    assert [t["id"] for t in api.get("/tasks", "police.a").json or []] == [started["ready_tasks"][0]["id"]]


def test_task_detail_has_its_form_and_the_case_data(api: Api, backend: Backend) -> None:
    case_id = loan_at(backend, "confirm_at_commune")
    task_id = open_task_id(backend, case_id, "confirm_at_commune")
    detail = api.get(f"/tasks/{task_id}", "commune.a").json or {}
    assert_conforms(detail, "TaskDetail")
    assert set(detail) == TASK_FIELDS | {"form", "data"}
    assert detail["title"] == "UBND xã xác nhận"
    assert {"decision", "comment"} <= set(detail["form"]["schema"]["properties"])
    assert isinstance(detail["form"]["ui_schema"], dict)
    assert detail["data"]["full_name"] == "Trần Văn Bình"
    english = api.get(f"/tasks/{task_id}", "commune.a", headers=ENGLISH).json or {}
    assert english["title"] != detail["title"] and english["title"]


def test_claim_then_unclaim(api: Api, backend: Backend) -> None:
    task_id = open_task_id(backend, loan_at(backend, "confirm_at_commune"), "confirm_at_commune")
    claimed = api.post(f"/tasks/{task_id}/claim", "commune.a")
    assert claimed.status_code == 200
    assert_conforms(claimed.json, "Task")
    assert (claimed.json or {})["assignee"] == "commune.a"
    assert [t["id"] for t in api.get("/tasks?scope=mine", "commune.a").json or []] == [task_id]
    assert api.post(f"/tasks/{task_id}/claim", "commune.a").status_code == 200  # claiming again changes nothing

    held = assert_error(api.post(f"/tasks/{task_id}/claim", "commune.a2"), 409, "conflict")
    assert "Commune A" in held["message"]
    assert_error(api.post(f"/tasks/{task_id}/unclaim", "commune.a2"), 409, "conflict")
    assert_error(api.post(f"/tasks/{task_id}/complete", "commune.a2", {"data": step_data("confirm_at_commune")}),
                 409, "conflict")

    released = api.post(f"/tasks/{task_id}/unclaim", "commune.a")
    assert released.status_code == 200 and (released.json or {})["assignee"] is None
    assert_error(api.post(f"/tasks/{task_id}/unclaim", "commune.a"), 409, "conflict")
    assert (api.post(f"/tasks/{task_id}/claim", "commune.a2").json or {})["assignee"] == "commune.a2"


def test_completing_an_unclaimed_group_task_claims_it(api: Api, backend: Backend) -> None:
    case_id = loan_at(backend, "confirm_at_commune")
    status, body = complete(api, "commune.a2", open_task_id(backend, case_id, "confirm_at_commune"),
                            step_data("confirm_at_commune"))
    assert status == 200
    assert [t["name"] for t in body["instance"]["ready_tasks"]] == ["appraise_loan"]
    detail = api.get(f"/instances/{case_id}", "commune.a2").json or {}
    assert detail["completed_tasks"][-1]["completed_by"] == "commune.a2"


def test_field_errors_are_400_in_the_callers_language(api: Api) -> None:
    task_id = start(api)["ready_tasks"][0]["id"]
    bad = dossier(national_id_number="12345", phone="12")
    vi = assert_error(api.post(f"/tasks/{task_id}/complete", "police.a", {"data": bad}), 400, "bad_request")
    assert vi["errors"] == [{"field": "national_id_number", "message": "Số định danh cá nhân phải gồm 12 chữ số"},
                            {"field": "phone", "message": "Số điện thoại gồm 10 chữ số, bắt đầu bằng số 0"}]
    en = assert_error(api.post(f"/tasks/{task_id}/complete", "police.a", {"data": bad}, headers=ENGLISH), 400,
                      "bad_request")
    assert en["message"] == "Some fields are not valid; please check the marked fields"
    assert [e["message"] for e in en["errors"]] == ["The citizen id must have 12 digits",
                                                    "The phone number has 10 digits and starts with 0"]


def test_second_completion_is_409_naming_who_and_when(api: Api, backend: Backend) -> None:
    task_id = open_task_id(backend, loan_at(backend, "confirm_at_commune"), "confirm_at_commune")
    assert complete(api, "commune.a", task_id, step_data("confirm_at_commune"))[0] == 200
    again = api.post(f"/tasks/{task_id}/complete", "commune.a2", {"data": step_data("confirm_at_commune")})
    body = assert_error(again, 409, "conflict")
    assert_conforms(body, "ConflictError")
    assert body["completed_by"] == "commune.a"
    assert "Commune A" in body["message"]
    assert body["completed_at"].endswith("+00:00")
    assert_error(api.post(f"/tasks/{task_id}/claim", "commune.a2"), 409, "conflict")


def test_a_repeated_idempotency_key_completes_once(api: Api, backend: Backend) -> None:
    case_id = loan_at(backend, "confirm_at_commune")
    task_id = open_task_id(backend, case_id, "confirm_at_commune")
    first = complete(api, "commune.a", task_id, step_data("confirm_at_commune"), idempotency_key="req-1")
    second = complete(api, "commune.a", task_id, step_data("confirm_at_commune"), idempotency_key="req-1")
    assert first[0] == second[0] == 200
    assert first[1]["instance"]["id"] == second[1]["instance"]["id"] == case_id
    history = api.get(f"/instances/{case_id}/history", "commune.a").json or []
    assert [e["task"] for e in history if e["type"] == "task_completed"] == ["compile_dossier", "confirm_at_commune"]


def test_a_failed_process_step_is_422_json(api: Api, backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise EngineStepFailed("division by zero", "check_eligibility")

    task_id = start(api)["ready_tasks"][0]["id"]
    monkeypatch.setattr(Engine, "complete", broken)
    body = assert_error(api.post(f"/tasks/{task_id}/complete", "police.a", {"data": dossier()}), 422,
                        "process_failed")
    assert "check_eligibility" in body["message"]


# --- unknown and hidden things are 404 ---------------------------------------------------------------------------

def test_unexpected_errors_are_500_json_without_a_trace(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: Any) -> Any:
        raise RuntimeError("secret detail")

    monkeypatch.setattr(cases, "latest_versions", broken)
    body = assert_error(api.get("/processes", "police.a"), 500, "server_error")
    assert "secret" not in body["message"]


# --- GET /audit/verify -----------------------------------------------------------------------------------------

def test_audit_verify_names_the_first_tampered_event(api: Api, backend: Backend) -> None:
    case_id = loan_at(backend, "appraise_loan")
    assert (api.get("/audit/verify", "admin").json or {})["ok"] is True
    run(backend, lambda s: s.execute(sa.update(AuditEvent).where(AuditEvent.instance_id == case_id,
                                                                 AuditEvent.seq == 2).values(actor="someone.else")))
    result = api.get("/audit/verify", "auditor").json or {}
    assert_conforms(result, "Verification")
    assert result["ok"] is False
    assert (result["first_bad"]["instance_id"], result["first_bad"]["seq"]) == (case_id, 2)


def test_an_auditor_scoped_to_other_units_verifies_only_their_cases(api: Api, backend: Backend) -> None:
    """The tampered case is in commune 10001; an inspector of 10002 neither sees it nor hears of it."""
    case_id = loan_at(backend, "appraise_loan")
    run(backend, lambda s: users.add_user(s, "auditor.b", PASSWORD, ["auditor"], audit_units=["10002"]))
    run(backend, lambda s: s.execute(sa.update(AuditEvent).where(AuditEvent.instance_id == case_id,
                                                                 AuditEvent.seq == 2).values(actor="someone.else")))
    assert (api.get("/audit/verify", "auditor.b").json or {}) == {"ok": True, "events_checked": 0, "first_bad": None}
    assert (api.get("/audit/verify", "auditor").json or {})["ok"] is False


# --- messages --------------------------------------------------------------------------------------------------

def test_messages_are_vietnamese_unless_english_is_asked_for(api: Api) -> None:
    vi = api.get("/instances/999", "police.a").json or {}
    en = api.get("/instances/999", "police.a", headers=ENGLISH).json or {}
    assert (vi["message"], en["message"]) == ("Không tìm thấy dữ liệu yêu cầu", "Not found")
    assert (api.get("/tasks", headers=ENGLISH).json or {})["message"].startswith("Missing or invalid bearer token")
