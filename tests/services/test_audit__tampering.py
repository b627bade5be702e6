"""Tampering with a case's history is caught and the first bad event named: in the database (``audit.verify``)
and in an export checked without any database (``audit.verify_document``).

Each test runs on SQLite and PostgreSQL with two loan cases: a disbursed one (five events) whose history is
tampered with, and an earlier one that stays intact, so the report must also name the right case.
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

from services import audit
from services import audit_export
from services.backend import Backend
from services.models import AuditEvent
from services.models import ProcessInstance
from tests.support import read
from tests.web.conftest import CAST
from tests.web.conftest import add_people
from tests.web.conftest import complete
from tests.web.conftest import loan_at
from tests.web.conftest import open_task_id
from tests.web.conftest import step_data

EDITED = "nội dung sự kiện đã bị sửa"
RELINKED = "liên kết với sự kiện trước bị sai (bị xóa, chèn hoặc đảo thứ tự)"


@dataclass(frozen=True)
class Chain:
    """The tampered case: its id, number and event ids by seq."""

    instance_id: int
    business_key: str
    event_ids: dict[int, int]


@pytest.fixture
def chain(backend: Backend) -> Chain:
    """An intact case at the commune step, then a disbursed loan case of five events."""
    add_people(backend, CAST)
    loan_at(backend, "confirm_at_commune")
    instance_id = loan_at(backend, "disburse_loan")
    complete(backend, "teller", open_task_id(backend, instance_id, "disburse_loan"), step_data("disburse_loan"))
    key = read(backend, lambda s: s.get_one(ProcessInstance, instance_id).business_key)
    ids = read(backend, lambda s: dict(s.execute(sa.select(AuditEvent.seq, AuditEvent.id).where(
        AuditEvent.instance_id == instance_id)).all()))
    assert sorted(ids) == [1, 2, 3, 4, 5]
    return Chain(instance_id, key, ids)


def _where(chain: Chain, seq: int) -> sa.ColumnElement[bool]:
    return (AuditEvent.instance_id == chain.instance_id) & (AuditEvent.seq == seq)


def _verify(backend: Backend, instance_id: int | None = None) -> audit.Verification:
    return read(backend, lambda s: audit.verify(s, instance_id))


def _export(backend: Backend, chain: Chain) -> dict[str, Any]:
    """The case's export as an inspector receives it: written as JSON text and read back."""
    document = read(backend, lambda s: audit_export.export_case(s, chain.instance_id))
    parsed: dict[str, Any] = json.loads(json.dumps(document, ensure_ascii=False))
    return parsed


def _named(result: audit.Verification, chain: Chain, seq: int, event_id: int | None, reason: str) -> None:
    assert not result.ok
    bad = result.first_bad or {}
    assert (bad["business_key"], bad["seq"], bad["event_id"]) == (chain.business_key, seq, event_id)
    assert bad["reason"] == reason


def test_intact_chains_verify_and_so_does_their_export(backend: Backend, chain: Chain) -> None:
    everything = _verify(backend)
    assert everything.ok and everything.events_checked == 5 + 2 and everything.first_bad is None
    assert _verify(backend, chain.instance_id).events_checked == 5
    exported = audit.verify_document(_export(backend, chain))
    assert exported.ok and exported.events_checked == 5


def test_an_edited_field_names_that_event(backend: Backend, chain: Chain) -> None:
    document = _export(backend, chain)
    with backend.engine.begin() as conn:
        data = dict(conn.execute(sa.select(AuditEvent.data).where(_where(chain, 3))).scalar_one())
        conn.execute(sa.update(AuditEvent).where(_where(chain, 3)).values(data={**data, "comment": "Đã sửa"}))
    result = _verify(backend)
    _named(result, chain, 3, chain.event_ids[3], EDITED)
    assert result.first_bad and result.first_bad["instance_id"] == chain.instance_id

    document["events"][2]["data"]["comment"] = "Đã sửa"
    _named(audit.verify_document(document), chain, 3, chain.event_ids[3], EDITED)


def test_a_changed_actor_or_time_in_an_export_names_that_event(backend: Backend, chain: Chain) -> None:
    for field, value in (("actor", "someone.else"), ("at", "2020-01-01T00:00:00.000000+00:00")):
        document = _export(backend, chain)
        document["events"][1][field] = value
        _named(audit.verify_document(document), chain, 2, chain.event_ids[2], EDITED)


def test_a_deleted_event_is_named_by_the_one_found_in_its_place(backend: Backend, chain: Chain) -> None:
    document = _export(backend, chain)
    with backend.engine.begin() as conn:
        conn.execute(sa.delete(AuditEvent).where(_where(chain, 3)))
    missing = "thứ tự bị thay đổi: mong đợi sự kiện số 3"
    _named(_verify(backend), chain, 4, chain.event_ids[4], missing)

    del document["events"][2]
    _named(audit.verify_document(document), chain, 4, chain.event_ids[4], missing)


def test_a_deleted_event_with_the_rest_renumbered_breaks_the_link(backend: Backend, chain: Chain) -> None:
    document = _export(backend, chain)
    with backend.engine.begin() as conn:
        conn.execute(sa.delete(AuditEvent).where(_where(chain, 3)))
        for seq in (4, 5):
            conn.execute(sa.update(AuditEvent).where(_where(chain, seq)).values(seq=seq - 1))
        conn.execute(sa.update(ProcessInstance).where(ProcessInstance.id == chain.instance_id).values(audit_seq=4))
    _named(_verify(backend), chain, 3, chain.event_ids[4], RELINKED)

    del document["events"][2]
    for event in document["events"][2:]:
        event["seq"] -= 1
    document["head"]["audit_seq"] = 4
    _named(audit.verify_document(document), chain, 3, chain.event_ids[4], RELINKED)


def test_two_swapped_events_name_the_first_out_of_place(backend: Backend, chain: Chain) -> None:
    document = _export(backend, chain)
    with backend.engine.begin() as conn:  # seq is unique per case, so the swap goes through a free number
        conn.execute(sa.update(AuditEvent).where(_where(chain, 2)).values(seq=99))
        conn.execute(sa.update(AuditEvent).where(_where(chain, 3)).values(seq=2))
        conn.execute(sa.update(AuditEvent).where(_where(chain, 99)).values(seq=3))
    _named(_verify(backend), chain, 2, chain.event_ids[3], RELINKED)

    events = document["events"]
    events[1], events[2] = events[2], events[1]
    _named(audit.verify_document(document), chain, 3, chain.event_ids[3],
           "thứ tự bị thay đổi: mong đợi sự kiện số 2")
    events[1]["seq"], events[2]["seq"] = 2, 3
    _named(audit.verify_document(document), chain, 2, chain.event_ids[3], RELINKED)


def test_a_truncated_tail_names_the_missing_event(backend: Backend, chain: Chain) -> None:
    document = _export(backend, chain)
    with backend.engine.begin() as conn:
        conn.execute(sa.delete(AuditEvent).where(_where(chain, 5)))
    cut = "thiếu sự kiện cuối: hồ sơ ghi nhận 5 sự kiện, chuỗi chỉ có 4"
    _named(_verify(backend), chain, 5, None, cut)

    document["events"].pop()
    _named(audit.verify_document(document), chain, 5, None, cut)


def test_a_truncated_export_with_a_matching_head_cannot_be_told_from_the_file_alone(backend: Backend,
                                                                                    chain: Chain) -> None:
    """The limit verify_document's docstring states: only the database (or an earlier export) shows it."""
    document = _export(backend, chain)
    document["events"].pop()
    document["head"] = {"audit_seq": 4, "audit_head": document["events"][-1]["hash"]}
    assert audit.verify_document(document).ok
    document["head"]["audit_head"] = "f" * 64
    _named(audit.verify_document(document), chain, 4, None, "sự kiện cuối không khớp với mã băm hồ sơ ghi nhận")


def test_an_event_appended_behind_the_head_is_named(backend: Backend, chain: Chain) -> None:
    document = _export(backend, chain)
    forged = {**document["events"][-1], "id": None, "seq": 6, "prev_hash": document["events"][-1]["hash"]}
    forged["hash"] = audit.chain_hash({"case": chain.business_key,
                                       **{k: v for k, v in forged.items() if k not in ("id", "hash")}})
    document["events"].append(forged)
    _named(audit.verify_document(document), chain, 6, None,
           "sự kiện nằm ngoài chuỗi hồ sơ ghi nhận (5 sự kiện)")


def test_a_whole_chain_deleted_is_seen_from_the_case(backend: Backend, chain: Chain) -> None:
    with backend.engine.begin() as conn:
        conn.execute(sa.delete(AuditEvent).where(AuditEvent.instance_id == chain.instance_id))
    _named(_verify(backend, chain.instance_id), chain, 1, None,
           "thiếu sự kiện cuối: hồ sơ ghi nhận 5 sự kiện, chuỗi chỉ có 0")


def test_a_renamed_case_in_an_export_breaks_its_first_event(backend: Backend, chain: Chain) -> None:
    document = _export(backend, chain)
    document["case"]["business_key"] = "HS-2026-999999"
    bad = audit.verify_document(document).first_bad or {}
    assert (bad["business_key"], bad["seq"], bad["reason"]) == ("HS-2026-999999", 1, EDITED)


@pytest.mark.parametrize("damage", ["not_export", "version", "no_head", "missing_field", "not_event"])
def test_a_file_that_is_not_an_export_says_what_is_wrong(backend: Backend, chain: Chain, damage: str) -> None:
    document = _export(backend, chain)
    broken: Any = copy.deepcopy(document)
    if damage == "not_export":
        broken = [document]
    elif damage == "version":
        broken["version"] = 99
    elif damage == "no_head":
        del broken["head"]
    elif damage == "missing_field":
        del broken["events"][1]["prev_hash"]
    else:
        broken["events"][1] = "sự kiện"
    result = audit.verify_document(broken)
    assert not result.ok and result.first_bad and result.first_bad["reason"]
    if damage == "missing_field":
        assert result.first_bad["seq"] == 2 and "prev_hash" in result.first_bad["reason"]
