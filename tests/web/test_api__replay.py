"""GET /api/v1/instances/{id}/replay?step=N: a case as it was at step N, re-executed and checked."""
from __future__ import annotations

from services.backend import Backend
from tests.web.conftest import Api
from tests.web.conftest import assert_error
from tests.web.conftest import loan_at


def test_replay_shows_the_case_at_each_step_with_its_hashes(api: Api, backend: Backend) -> None:
    instance_id = loan_at(backend, "disburse_loan")
    last = api.get(f"/instances/{instance_id}/replay", "auditor").json or {}
    assert (last["step"], last["steps"], last["first_mismatch"], last["matches"]) == (4, 4, None, True)
    assert last["recorded_state_hash"] == last["replayed_state_hash"]
    assert last["waiting"] == ["disburse_loan"] and "appraise_loan" in last["passed"]
    second = api.get(f"/instances/{instance_id}/replay?step=2", "auditor").json or {}
    assert second["event"]["task"] == "compile_dossier" and second["waiting"] == ["confirm_at_commune"]
    assert {"field": "requested_amount_vnd", "before": None, "after": 60_000_000} in second["changes"]
    assert second["data"]["full_name"] == "Trần Văn Bình"


def test_replay_refuses_a_step_outside_the_case_and_hides_cases_from_strangers(api: Api, backend: Backend) -> None:
    instance_id = loan_at(backend, "confirm_at_commune")
    body = assert_error(api.get(f"/instances/{instance_id}/replay?step=9", "auditor"), 400, "bad_request")
    assert body["errors"][0]["field"] == "step"
    assert_error(api.get(f"/instances/{instance_id}/replay?step=0", "auditor"), 400, "bad_request")
    assert_error(api.get(f"/instances/{instance_id}/replay", "police.b"), 404, "not_found")
