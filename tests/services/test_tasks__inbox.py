"""Inbox commands: claim, unclaim, idempotent completion, auditors' read-only access, tokens."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

from services import audit
from services import cases
from services import inbox
from services import progress
from services import tasks
from services import users
from services.backend import Backend
from services.errors import Conflict
from services.errors import InvalidInput
from services.errors import NotAllowed
from services.errors import TaskHeldByOther
from services.models import AuditEvent
from services.models import HumanTask
from services.models import ProcessInstance
from tests.support import PASSWORD
from tests.support import loan_dossier
from tests.support import read
from tests.support import run

DOSSIER = loan_dossier()


def complete(backend: Backend, username: str, task_id: str, data: dict[str, Any], key: str | None = None) -> Any:
    """``username`` submits ``data`` for ``task_id`` in one transaction."""
    return run(backend, lambda s: tasks.complete_task(s, backend.runtime, users.get_user(s, username), task_id, data,
                                                      idempotency_key=key))


def inbox_ids(backend: Backend, username: str, scope: str) -> list[str]:
    """Ids of the tasks in ``username``'s inbox tab."""
    return [t.id for t in read(backend, lambda s: tasks.list_tasks(s, users.get_user(s, username), scope))]


def withdraw(backend: Backend, task_id: str, reason: str) -> None:
    """The officer who opened the case withdraws it."""
    instance_id = read(backend, lambda s: s.get_one(HumanTask, task_id).instance_id)
    run(backend, lambda s: cases.withdraw_case(s, backend.runtime, users.get_user(s, "an.police"), instance_id, reason))


@pytest.fixture
def at_commune(backend: Backend) -> str:
    """A dossier waiting at commune 10001; returns the commune task id."""
    cast = [("an.police", "police", "10001"), ("binh.ubnd", "commune", "10001"), ("chi.ubnd", "commune", "10001"),
            ("quynh.tt", "auditor", None)]
    for name, group, unit in cast:
        run(backend, lambda s, n=name, g=group, u=unit: users.add_user(s, n, PASSWORD, [g], unit=u))
    officer = read(backend, lambda s: users.get_user(s, "an.police"))
    instance = run(backend, lambda s: cases.start_case(s, backend.runtime, officer, "loan_dossier"))
    compile_id = read(backend, lambda s: cases.ready_rows(s, instance.id)[0].id)
    complete(backend, "an.police", compile_id, DOSSIER)
    return read(backend, lambda s: cases.ready_rows(s, instance.id)[0].id)


def test_claim_moves_task_from_group_queue_to_my_inbox(backend: Backend, at_commune: str) -> None:
    """Claiming takes the task out of colleagues' group queue and into the claimer's own inbox."""
    run(backend, lambda s: tasks.claim_task(s, users.get_user(s, "binh.ubnd"), at_commune))
    assert inbox_ids(backend, "binh.ubnd", "mine") == [at_commune]
    assert inbox_ids(backend, "chi.ubnd", "group") == []
    with pytest.raises(TaskHeldByOther):
        run(backend, lambda s: tasks.claim_task(s, users.get_user(s, "chi.ubnd"), at_commune))


def test_unclaim_returns_task_to_group(backend: Backend, at_commune: str) -> None:
    """Giving a task back puts it in the group queue again, and only its holder may do so."""
    run(backend, lambda s: tasks.claim_task(s, users.get_user(s, "binh.ubnd"), at_commune))
    with pytest.raises(TaskHeldByOther):
        run(backend, lambda s: tasks.unclaim_task(s, users.get_user(s, "chi.ubnd"), at_commune))
    run(backend, lambda s: tasks.unclaim_task(s, users.get_user(s, "binh.ubnd"), at_commune))
    assert inbox_ids(backend, "chi.ubnd", "group") == [at_commune]
    types = read(backend, lambda s: s.scalars(sa.select(AuditEvent.type).order_by(AuditEvent.id)).all())
    assert list(types)[-2:] == ["task_claimed", "task_unclaimed"]


def test_repeated_completion_with_same_idempotency_key_does_nothing_twice(backend: Backend, at_commune: str) -> None:
    """A client retrying with the same idempotency key gets the case back without a second event."""
    data = {"decision": "confirm"}
    first = complete(backend, "binh.ubnd", at_commune, data, key="bank-retry-1")
    again = complete(backend, "binh.ubnd", at_commune, data, key="bank-retry-1")
    assert first.id == again.id
    count = read(backend, lambda s: s.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                                             .where(AuditEvent.task_id == at_commune)))
    assert count == 1


def test_return_without_comment_is_refused(backend: Backend, at_commune: str) -> None:
    """Returning a dossier needs a comment; the task stays open."""
    with pytest.raises(InvalidInput) as info:
        complete(backend, "binh.ubnd", at_commune, {"decision": "return"})
    assert [(e.field, e.message("en")) for e in info.value.errors] == [("comment", "This field is required")]
    assert read(backend, lambda s: s.get_one(HumanTask, at_commune).status) == "open"


def test_auditor_reads_every_case_but_never_writes(backend: Backend, at_commune: str) -> None:
    """An auditor sees the case, but claiming, completing or starting is refused."""
    auditor = read(backend, lambda s: users.get_user(s, "quynh.tt"))
    assert len(read(backend, lambda s: cases.list_cases(s, users.get_user(s, "quynh.tt")))) == 1
    with pytest.raises(NotAllowed):
        run(backend, lambda s: tasks.claim_task(s, users.get_user(s, "quynh.tt"), at_commune))
    with pytest.raises(NotAllowed):
        run(backend, lambda s: cases.start_case(s, backend.runtime, users.get_user(s, "quynh.tt"), "loan_dossier"))
    assert auditor.groups == frozenset({"auditor"})


def test_tokens_expire_and_only_their_hash_is_stored(backend: Backend, at_commune: str) -> None:
    """A token identifies its user until it expires; the database holds only its sha256."""
    token, _ = run(backend, lambda s: users.issue_token(s, users.get_user(s, "binh.ubnd")))
    expired, _ = run(backend, lambda s: users.issue_token(s, users.get_user(s, "binh.ubnd"), dt.timedelta(seconds=-1)))
    assert read(backend, lambda s: users.user_for_token(s, token)).username == "binh.ubnd"  # type: ignore[union-attr]
    assert read(backend, lambda s: users.user_for_token(s, expired)) is None
    stored = read(backend, lambda s: s.scalars(sa.text("select token_hash from api_token")).all())
    assert token not in stored and len(stored) == 2


def test_completed_case_refuses_withdrawal(backend: Backend, at_commune: str) -> None:
    """A case that has ended cannot be withdrawn."""
    withdraw(backend, at_commune, "Đổi ý")
    with pytest.raises(InvalidInput):
        withdraw(backend, at_commune, "Lần 2")
    assert read(backend, audit.verify).ok


def test_completing_a_cancelled_task_is_a_conflict(backend: Backend, at_commune: str) -> None:
    """Once the case is withdrawn its open task is cancelled and cannot be completed."""
    withdraw(backend, at_commune, "Đổi ý")
    with pytest.raises(Conflict):
        complete(backend, "binh.ubnd", at_commune, {"decision": "confirm"})


def _found(backend: Backend, username: str, words: str) -> list[str]:
    """Ids of the group tasks ``username`` finds by typing ``words`` in the inbox search box."""
    filters = inbox.InboxFilter(search=words)
    now = dt.datetime.now(dt.UTC)
    return [t.id for t in read(backend, lambda s: inbox.inbox_page(
        s, users.get_user(s, username), "group", filters, 1, 20, now).items)]


def test_search_finds_the_corrected_name_after_a_return(backend: Backend, at_commune: str) -> None:
    """The commune returns a dossier with the wrong name; once corrected, the inbox finds it by the new name only."""
    assert _found(backend, "binh.ubnd", "tran van binh") == [at_commune]
    complete(backend, "binh.ubnd", at_commune, {"decision": "return", "comment": "Sai họ tên"})
    instance_id = read(backend, lambda s: s.get_one(HumanTask, at_commune).instance_id)
    fix_id = read(backend, lambda s: cases.ready_rows(s, instance_id)[0].id)
    complete(backend, "an.police", fix_id, {**DOSSIER, "full_name": "Trần Văn Bảo"})
    again = read(backend, lambda s: cases.ready_rows(s, instance_id)[0].id)
    assert _found(backend, "binh.ubnd", "Trần Văn Bảo") == [again] == _found(backend, "binh.ubnd", "van bao")
    assert _found(backend, "binh.ubnd", "binh") == []
    case = read(backend, lambda s: s.get_one(ProcessInstance, instance_id))
    assert case.subject_name == "Trần Văn Bảo" and "tran van bao" in case.search_text


def test_search_text_of_names_of_any_json_type() -> None:
    """A name sent as a number or a list still gives a search text, and 1, 1.0 and true are told apart."""
    texts = [progress._case_search_text("HS-2026-000001", name, None) for name in (1, 1.0, True, ["An", "Bình"])]
    assert texts[0] != texts[1] != texts[2] and texts[0].endswith("1") and "binh" in texts[3]
