"""Helpers for scenarios: the clock, references to cases, attempts, and running commands."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any
from typing import TypeVar

from sqlalchemy.orm import Session

from services import tasks
from services import users
from services.backend import Backend
from services.db import utcnow
from services.errors import ServiceError
from services.models import HumanTask

T = TypeVar("T")
PASSWORD = "mat-khau-thu-nghiem"


@dataclass
class Clock:
    """The time commands run at: real time until a step moves it."""

    fixed: dt.datetime | None = None

    def now(self) -> dt.datetime:
        return self.fixed or utcnow()


@dataclass
class CaseRef:
    """The case a scenario is about."""

    id: int
    business_key: str


@dataclass
class Attempt:
    """What happened when someone tried something they may not be allowed to do."""

    error: ServiceError | None = None
    results: list[Any] = field(default_factory=list)


def run(backend: Backend, command: Callable[[Session], T]) -> T:
    """One command in one transaction, as the web layer and the CLI run them."""
    with backend.transaction() as session:
        return command(session)


def read(backend: Backend, query: Callable[[Session], T]) -> T:
    """A read-only look at the database."""
    with backend.sessions() as session:
        return query(session)


def attempt(command: Callable[[], Any]) -> Attempt:
    """Run ``command`` and keep the service error it raises, if any."""
    try:
        return Attempt(results=[command()])
    except ServiceError as exc:
        return Attempt(error=exc)


def inbox(backend: Backend, username: str, scope: str) -> list[HumanTask]:
    """The open tasks ``username`` sees in ``scope``."""
    return read(backend, lambda s: tasks.list_tasks(s, users.get_user(s, username), scope))


def reentry_cli(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the real ``reentry`` command against the scenario's database."""
    env = {**os.environ, "REENTRY_DATABASE_URL": db_url}
    code = "from web.cli import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True,
                          timeout=120, check=False, cwd=Path(__file__).resolve().parent.parent)


