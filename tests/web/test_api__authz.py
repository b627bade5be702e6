"""REST API authorization matrix: every group, in the dossier's own commune and in another, on every endpoint.

Each loan step has its workers: the officer who opened the case (police, own commune), the residence
commune's staff, any bank appraiser, any bank teller. Auditors and administrators read everything and
work nothing. Anyone else sees nothing of the case. Hidden cases and tasks answer 404; tasks that may be
seen but not worked answer 403.

The module shares one database per backend. Reads use cases prepared once per step; a request that is
allowed to change a case gets a fresh case of its own, so no test depends on another.
"""
from __future__ import annotations

from typing import Any

import pytest

from services.users import GROUPS
from tests.web.conftest import LOAN
from tests.web.conftest import OTHER
from tests.web.conftest import OWN
from tests.web.conftest import Api
from tests.web.conftest import add_people
from tests.web.conftest import assert_error
from tests.web.conftest import loan_at
from tests.web.conftest import open_task_id
from tests.web.conftest import step_data

STEP_OF = {"police": "compile_dossier", "commune": "confirm_at_commune", "bank_appraiser": "appraise_loan",
           "bank_teller": "disburse_loan"}
UNIT_BOUND = {"police", "commune"}
READ_ALL = {"auditor", "admin"}
UNITS = {"own": OWN, "other": OTHER}
PEOPLE = [pytest.param(group, where, id=f"{group}-{where}") for group in GROUPS for where in UNITS]
# Who moves the prepared cases forward; the officer "police.own" opens every case.
DRIVERS = {"compile_dossier": "police.own", "confirm_at_commune": "commune.own", "appraise_loan": "bank_appraiser.own"}

Prepared = dict[str, tuple[int, str]]


def username(group: str, where: str) -> str:
    """The matrix person of ``group`` in the dossier's commune (``own``) or another (``other``)."""
    return f"{group}.{where}"


def target_step(group: str) -> str:
    """The loan step a group works; groups with none are tested against the commune's step."""
    return STEP_OF.get(group, "confirm_at_commune")


def may_work(group: str, where: str) -> bool:
    """True when this person may claim and complete their group's step of a 10001 dossier."""
    return group in STEP_OF and (group not in UNIT_BOUND or where == "own")


def may_read(group: str, where: str) -> bool:
    """True when this person may see the case and the task of their group's step."""
    return may_work(group, where) or group in READ_ALL


@pytest.fixture(scope="module")
def world(module_api: Api) -> Api:
    """The module's client, with one person per group and commune."""
    add_people(module_api.backend, [(username(g, w), g, unit) for g in GROUPS for w, unit in UNITS.items()])
    return module_api


@pytest.fixture(scope="module")
def prepared(world: Api) -> Prepared:
    """One case waiting at each loan step: step → (case id, task id)."""
    found = {}
    for step in STEP_OF.values():
        case_id = loan_at(world.backend, step, starter="police.own", workers=DRIVERS)
        found[step] = (case_id, open_task_id(world.backend, case_id, step))
    return found


def task_to_change(world: Api, prepared: Prepared, group: str, where: str) -> str:
    """A task of the person's step: a fresh case's when the request may change it, else the prepared one."""
    step = target_step(group)
    if not may_work(group, where):
        return prepared[step][1]
    case_id = loan_at(world.backend, step, starter="police.own", workers=DRIVERS)
    return open_task_id(world.backend, case_id, step)


def ids(response: Any) -> list[Any]:
    """The ids in a list answer."""
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["id"] for item in response.json]


# --- everyone --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("group", "where"), PEOPLE)
def test_processes_are_listed_for_everyone(world: Api, group: str, where: str) -> None:
    response = world.get("/processes", username(group, where))
    assert response.status_code == 200
    assert LOAN in [p["key"] for p in response.json or []]


@pytest.mark.parametrize(("group", "where"), PEOPLE)
def test_openapi_is_open_to_everyone(world: Api, group: str, where: str) -> None:
    assert world.get("/openapi.json", username(group, where)).status_code == 200


# --- starting --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("group", "where"), PEOPLE)
def test_only_officers_start_loan_cases(world: Api, group: str, where: str) -> None:
    response = world.post(f"/processes/{LOAN}/instances", username(group, where), {"data": {}})
    if group == "police":
        assert response.status_code == 201
        assert (response.json or {})["ready_tasks"][0]["assignee"] == username(group, where)
    else:
        assert_error(response, 403, "forbidden")


# --- reading cases ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("group", "where"), PEOPLE)
def test_case_list_shows_the_case_only_in_scope(world: Api, prepared: Prepared, group: str, where: str) -> None:
    case_id = prepared[target_step(group)][0]
    listed = ids(world.get("/instances?limit=500", username(group, where)))
    assert (case_id in listed) == may_read(group, where)


@pytest.mark.parametrize(("group", "where"), PEOPLE)
def test_case_detail_only_in_scope(world: Api, prepared: Prepared, group: str, where: str) -> None:
    case_id = prepared[target_step(group)][0]
    response = world.get(f"/instances/{case_id}", username(group, where))
    if may_read(group, where):
        assert response.status_code == 200 and (response.json or {})["id"] == case_id
    else:
        assert_error(response, 404, "not_found")


@pytest.mark.parametrize(("group", "where"), PEOPLE)
def test_case_history_only_in_scope(world: Api, prepared: Prepared, group: str, where: str) -> None:
    case_id = prepared[target_step(group)][0]
    response = world.get(f"/instances/{case_id}/history", username(group, where))
    if may_read(group, where):
        assert response.status_code == 200 and (response.json or [])[0]["type"] == "case_started"
    else:
        assert_error(response, 404, "not_found")


# --- reading tasks ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("group", "where"), PEOPLE)
def test_task_detail_only_in_scope(world: Api, prepared: Prepared, group: str, where: str) -> None:
    task_id = prepared[target_step(group)][1]
    response = world.get(f"/tasks/{task_id}", username(group, where))
    if may_read(group, where):
        assert response.status_code == 200 and (response.json or {})["form"] is not None
    else:
        assert_error(response, 404, "not_found")


@pytest.mark.parametrize(("group", "where"), PEOPLE)
def test_group_queue_offers_the_task_to_its_candidates(world: Api, prepared: Prepared, group: str,
                                                       where: str) -> None:
    task_id = prepared[target_step(group)][1]
    queued = ids(world.get("/tasks?scope=group", username(group, where)))
    # The officer's own step is in their hands from the start, never in a queue.
    assert (task_id in queued) == (may_work(group, where) and group != "police")


@pytest.mark.parametrize(("group", "where"), PEOPLE)
def test_own_inbox_holds_only_the_officers_step(world: Api, prepared: Prepared, group: str, where: str) -> None:
    task_id = prepared[target_step(group)][1]
    mine = ids(world.get("/tasks?scope=mine", username(group, where)))
    assert (task_id in mine) == (group == "police" and where == "own")


# --- working tasks ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("group", "where"), PEOPLE)
def test_claim_only_by_workers_of_the_step(world: Api, prepared: Prepared, group: str, where: str) -> None:
    person = username(group, where)
    response = world.post(f"/tasks/{task_to_change(world, prepared, group, where)}/claim", person)
    if may_work(group, where):
        assert response.status_code == 200 and (response.json or {})["assignee"] == person
    else:
        assert_error(response, 403, "forbidden")


@pytest.mark.parametrize(("group", "where"), PEOPLE)
def test_unclaim_only_by_workers_of_the_step(world: Api, prepared: Prepared, group: str, where: str) -> None:
    person, task_id = username(group, where), task_to_change(world, prepared, group, where)
    if may_work(group, where):
        assert world.post(f"/tasks/{task_id}/claim", person).status_code == 200
    response = world.post(f"/tasks/{task_id}/unclaim", person)
    if may_work(group, where):
        assert response.status_code == 200 and (response.json or {})["assignee"] is None
    else:
        assert_error(response, 403, "forbidden")


@pytest.mark.parametrize(("group", "where"), PEOPLE)
def test_complete_only_by_workers_of_the_step(world: Api, prepared: Prepared, group: str, where: str) -> None:
    step = target_step(group)
    task_id = task_to_change(world, prepared, group, where)
    response = world.post(f"/tasks/{task_id}/complete", username(group, where), {"data": step_data(step)})
    if may_work(group, where):
        assert response.status_code == 200, response.json
        assert step not in [t["name"] for t in (response.json or {})["instance"]["ready_tasks"]]
    else:
        assert_error(response, 403, "forbidden")


# --- audit -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("group", "where"), PEOPLE)
def test_audit_verify_only_for_auditors_and_admins(world: Api, group: str, where: str) -> None:
    response = world.get("/audit/verify", username(group, where))
    if group in READ_ALL:
        assert response.status_code == 200 and (response.json or {})["ok"] is True
    else:
        assert_error(response, 403, "forbidden")
