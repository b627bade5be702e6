"""Timers swept by a real Celery worker over the machine's Redis, and by the embedded sweep."""
from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from typing import Any

import pytest
import redis
import sqlalchemy as sa
from celery.contrib.testing.worker import start_worker

from services import cases
from services import inbox
from services import tasks
from services import users
from services.backend import Backend
from services.models import HumanTask
from services.models import Notification
from services.sweeper import sweep_due_timers
from tests.support import PASSWORD
from tests.support import loan_dossier
from tests.support import read
from tests.support import run
from web.worker import make_celery

REDIS_URL = os.environ.get("REENTRY_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
DOSSIER = loan_dossier()


@pytest.fixture
def redis_url() -> Iterator[str]:
    """The machine's Redis (database 15, emptied); required under CI."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Redis is required under CI and is not reachable at {REDIS_URL}")
        pytest.skip("Redis not reachable (outside CI only; under CI=true this fails)")
    client.flushdb()
    yield REDIS_URL
    client.flushdb()
    client.close()


def waiting_at_commune(backend: Backend) -> tuple[int, dt.datetime]:
    """A dossier waiting for the commune; returns the case id and the task's due time."""
    run(backend, lambda s: users.add_user(s, "an.police", PASSWORD, ["police"], unit="10001"))
    officer = read(backend, lambda s: users.get_user(s, "an.police"))
    instance = run(backend, lambda s: cases.start_case(s, backend.runtime, officer, "loan_dossier"))
    task_id = read(backend, lambda s: cases.ready_rows(s, instance.id)[0].id)
    run(backend, lambda s: tasks.complete_task(s, backend.runtime, officer, task_id, DOSSIER))
    due = read(backend, lambda s: cases.ready_rows(s, instance.id)[0].due_at)
    assert due is not None
    return instance.id, due


def escalations(backend: Backend) -> list[Any]:
    """(task, escalated?) and the notifications written."""
    rows = read(backend, lambda s: s.execute(sa.select(HumanTask.task_name, HumanTask.escalated_at.is_not(None))
                                             .where(HumanTask.status == "open")).all())
    notes = read(backend, lambda s: s.scalars(sa.select(Notification.kind)).all())
    return [[tuple(r) for r in rows], list(notes)]


def test_celery_worker_on_redis_fires_the_commune_sla(backend: Backend, redis_url: str) -> None:
    """The periodic sweep task, run by a real worker through Redis, escalates the overdue commune task."""
    _case_id, due = waiting_at_commune(backend)
    app = make_celery(redis_url, connect=lambda: backend, result_backend=redis_url)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
        early = app.tasks["reentry.sweep_timers"].delay((due - dt.timedelta(hours=1)).isoformat()).get(timeout=60)
        late = app.tasks["reentry.sweep_timers"].delay((due + dt.timedelta(minutes=5)).isoformat()).get(timeout=60)
    assert (early, late) == (0, 1)
    assert escalations(backend) == [[("confirm_at_commune", True)], ["sla_overdue"]]


def test_embedded_sweep_fires_each_timer_once(backend: Backend) -> None:
    """The sweep of `reentry serve` fires a due timer once; a second sweep finds nothing more to do."""
    _case_id, due = waiting_at_commune(backend)
    after = due + dt.timedelta(minutes=1)
    assert sweep_due_timers(backend, due - dt.timedelta(seconds=1)) == 0
    assert sweep_due_timers(backend, after) == 1
    assert sweep_due_timers(backend, after) == 0
    assert escalations(backend) == [[("confirm_at_commune", True)], ["sla_overdue"]]


def test_the_commune_sees_the_escalation_in_its_inbox(backend: Backend) -> None:
    """After the sweep, the commune officer's inbox lists the overdue notice; another commune's does not."""
    _case_id, due = waiting_at_commune(backend)
    sweep_due_timers(backend, due + dt.timedelta(minutes=1))
    run(backend, lambda s: users.add_user(s, "binh.ubnd", PASSWORD, ["commune"], unit="10001"))
    run(backend, lambda s: users.add_user(s, "cuong.ubnd", PASSWORD, ["commune"], unit="10002"))
    own = read(backend, lambda s: inbox.notifications(s, users.get_user(s, "binh.ubnd")))
    other = read(backend, lambda s: inbox.notifications(s, users.get_user(s, "cuong.ubnd")))
    assert [n.kind for n in own] == ["sla_overdue"] and "đã quá hạn xử lý" in own[0].message
    assert other == []
