"""The timer sweep: fire every due timer, one case per transaction, and keep going past a failing case."""
from __future__ import annotations

import datetime as dt
import logging
import threading

from services import timers
from services.backend import Backend
from services.db import utcnow
from services.errors import ServiceError

log = logging.getLogger(__name__)


def sweep_due_timers(backend: Backend, now: dt.datetime | None = None) -> int:
    """Fire the timers due at ``now``; returns how many cases moved."""
    now = now or utcnow()
    with backend.sessions() as session:
        due = timers.due_cases(session, now)
    moved = 0
    for instance_id in due:
        try:
            with backend.transaction() as session:
                moved += timers.fire_timers(session, backend.runtime, instance_id, now)
        except ServiceError as exc:
            log.warning("timer of case %s not fired: %s", instance_id, exc.message("en"))
    return moved


class SweeperThread(threading.Thread):
    """Sweeps timers every ``interval`` seconds in the embedded (single-host) deployment."""

    def __init__(self, backend: Backend, interval: float = 60.0) -> None:
        super().__init__(name="reentry-timer-sweeper", daemon=True)
        self.backend = backend
        self.interval = interval
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(self.interval):
            try:
                sweep_due_timers(self.backend)
            except Exception:  # a database hiccup must not end the sweeper for the life of the server
                log.exception("timer sweep failed")
