"""Shared fixtures: a migrated database per test on SQLite and on the machine's PostgreSQL, the backend.

PostgreSQL tests use one schema per test worker, truncated between tests. Outside CI a missing server
skips them; under CI=true a missing server fails the run, because nothing may be skipped there.
"""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from services.backend import Backend
from services.db import make_engine
from services.deploy import deploy_sources
from services.schema import upgrade
from tests.support import fresh_database_url
from workflows.registry import read_folder
from workflows.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
BPMN = ROOT / "bpmn"
PG_URL = os.environ.get("REENTRY_TEST_PG_URL", "postgresql+psycopg://root@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"
DATABASES = ["sqlite", "postgresql"]


def _postgres_reachable() -> bool:
    engine = make_engine(PG_URL)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        return True
    except sa.exc.OperationalError:
        return False
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test copies (migrating once is faster)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_schema(worker_id: str) -> Iterator[str]:
    """A migrated PostgreSQL schema for this test worker; its URL selects it through search_path."""
    if not _postgres_reachable():
        if IN_CI:
            pytest.fail(f"PostgreSQL is required under CI and is not reachable at {PG_URL}")
        pytest.skip("PostgreSQL not reachable (outside CI only; under CI=true this fails)")
    schema = f"reentry_test_{worker_id}_{uuid.uuid4().hex[:8]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=DATABASES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A clean, migrated database: a fresh SQLite file, or the worker's truncated PostgreSQL schema."""
    return fresh_database_url(request, str(request.param), tmp_path)


@pytest.fixture
def backend(db_url: str) -> Iterator[Backend]:
    """The database and runtime, with the diagrams in bpmn/ deployed."""
    backend = Backend.connect(db_url, Settings())
    with backend.transaction() as session:
        deploy_sources(session, read_folder(BPMN), actor="tests")
    yield backend
    backend.engine.dispose()
