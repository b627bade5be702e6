"""Helpers for scenarios: the clock, references to cases, attempts, and running commands."""
from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any
from typing import TypeVar

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from services import tasks
from services import users
from services.backend import Backend
from services.db import make_engine
from services.db import utcnow
from services.errors import ServiceError
from services.models import HumanTask
from workflows.calendar import VIETNAM_TZ

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




def loan_dossier(borrower: str = "Trần Văn Bình", today: dt.date | None = None, **changes: Any) -> dict[str, Any]:
    """The compile form as an officer fills it: a man born 1988, amnestied 300 days before ``today``, asking
    60,000,000 đồng over 24 months for a motorbike repair shop in commune 10001."""
    released = (today or dt.datetime.now(VIETNAM_TZ).date()) - dt.timedelta(days=300)
    data: dict[str, Any] = {
        "full_name": borrower, "date_of_birth": "1988-03-04", "sex": "male", "national_id_number": "001088004321",
        "residence_commune_code": "10001", "residence_detail": "Thôn 2", "phone": "0987654321",
        "release_certificate_type": "amnesty", "release_certificate_number": "45/GCN",
        "sentence_completed_on": released.isoformat(), "form01_list_ref": "01/DS-2026",
        "loan_purpose": "production_business", "requested_amount_vnd": 60_000_000, "loan_term_months": 24,
        "use_of_funds_plan": "Mở tiệm sửa xe máy", "has_same_purpose_debt": False, "action": "submit",
    }
    return data | changes


def fresh_database_url(request: pytest.FixtureRequest, kind: str, folder: Path) -> str:
    """A clean migrated database: a copy of the migrated SQLite template, or the worker's PostgreSQL schema
    emptied (``kind`` is ``sqlite`` or ``postgresql``)."""
    if kind == "sqlite":
        path = folder / "reentry.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_schema")
    engine = make_engine(url)
    with engine.begin() as conn:
        tables = [t for t in sa.inspect(conn).get_table_names() if t != "alembic_version"]
        conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url
