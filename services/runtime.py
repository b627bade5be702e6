"""The process runtime shared by every request of one worker: parsed versions and a case cache.

Parsed specs are cached by version id. Live workflows of running cases are cached by case id together with
the case's state token; a command takes its workflow out of the cache, and puts it back only once its
transaction has committed, so a rolled-back command can never leak its half-changed workflow to the next one.
"""
from __future__ import annotations

import threading
from collections import OrderedDict

from sqlalchemy import event
from sqlalchemy.orm import Session

from services.models import ProcessInstance
from services.models import ProcessVersion
from services.status import InstanceStatus
from workflows.calendar import WorkingCalendar
from workflows.engine import Case
from workflows.engine import Engine
from workflows.registry import ProcessDefinition
from workflows.registry import load_sources
from workflows.settings import Settings

CACHED_CASES = 2000
_STAGED = "reentry_staged_cases"


class Runtime:
    """Engine, settings, calendar and caches for one worker process."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings.from_environment()
        self.calendar = WorkingCalendar(self.settings["extra_holidays"], self.settings["extra_working_days"])
        self.engine = Engine(self.settings, self.calendar)
        self._definitions: dict[int, ProcessDefinition] = {}
        self._cases: OrderedDict[int, tuple[str, Case]] = OrderedDict()
        self._lock = threading.Lock()

    def definition(self, session: Session, version_id: int) -> ProcessDefinition:
        """The parsed definition of a stored version (read and parsed once per worker)."""
        with self._lock:
            found = self._definitions.get(version_id)
        if found is None:
            version = session.get_one(ProcessVersion, version_id)
            found = load_sources(version.sources)[version.process_key]
            with self._lock:
                self._definitions[version_id] = found
        return found

    def checkout(self, session: Session, instance: ProcessInstance) -> Case:
        """The case's live workflow, taken out of the cache (or restored from its saved state)."""
        with self._lock:
            cached = self._cases.pop(instance.id, None)
        if cached is not None and cached[0] == instance.state_token:
            return cached[1]
        return self.engine.load(self.definition(session, instance.process_version_id), instance.state)

    def checkin(self, session: Session, instance: ProcessInstance, case: Case) -> None:
        """Offer ``case`` back to the cache once ``session`` commits with ``instance``'s new token.

        A case that has ended takes no more commands, so its workflow (~40 KB) is let go rather than kept
        until running cases push it out.
        """
        if instance.status != InstanceStatus.RUNNING:
            return
        session.info.setdefault(_STAGED, []).append((self, instance, case))

    def _keep(self, instance: ProcessInstance, case: Case) -> None:
        with self._lock:
            self._cases[instance.id] = (instance.state_token, case)
            self._cases.move_to_end(instance.id)
            while len(self._cases) > CACHED_CASES:
                self._cases.popitem(last=False)

    def forget(self) -> None:
        """Drop every cached workflow (tests that edit the database behind the runtime's back use it)."""
        with self._lock:
            self._cases.clear()


# Listened to on the Session class, once: a listener added per session costs more than the rest of checkin.
@event.listens_for(Session, "after_commit")
def _publish(session: Session) -> None:
    for runtime, instance, case in session.info.pop(_STAGED, ()):
        runtime._keep(instance, case)


@event.listens_for(Session, "after_rollback")
def _discard(session: Session) -> None:
    session.info.pop(_STAGED, None)
