"""``reentry worker``: Celery on Redis (or RabbitMQ) when a broker is configured, a plain loop otherwise."""
from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable

from celery import Celery

from services.backend import Backend
from services.sweeper import sweep_due_timers

SWEEP_SECONDS = float(os.environ.get("REENTRY_SWEEP_SECONDS", "60"))


def make_celery(broker_url: str, connect: Callable[[], Backend] = Backend.connect,
                result_backend: str | None = None) -> Celery:
    """The Celery app: one periodic task that sweeps due timers (``now`` may be given as ISO text)."""
    app = Celery("reentry", broker=broker_url, backend=result_backend)
    app.conf.beat_schedule = {"sweep-timers": {"task": "reentry.sweep_timers", "schedule": SWEEP_SECONDS}}
    app.conf.task_acks_late = True
    backend: list[Backend] = []

    @app.task(name="reentry.sweep_timers", shared=False)
    def sweep_timers(now: str | None = None) -> int:
        if not backend:
            backend.append(connect())
        return sweep_due_timers(backend[0], dt.datetime.fromisoformat(now) if now else None)

    return app


def run_worker() -> None:
    """Run until interrupted."""
    broker = os.environ.get("REENTRY_BROKER_URL")
    if broker:
        make_celery(broker).worker_main(["worker", "--beat", "--loglevel=INFO", "--concurrency=2"])
        return
    backend = Backend.connect()
    while True:
        sweep_due_timers(backend)
        time.sleep(SWEEP_SECONDS)
