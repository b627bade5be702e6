"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL, and step back cleanly."""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from services.db import Base
from services.db import make_engine
from services.schema import alembic_config
from services.schema import upgrade


def _drift(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))
    finally:
        engine.dispose()


def test_migrated_database_matches_the_models(db_url: str) -> None:
    """What Alembic created (tables, columns, indexes, constraints) is what the models declare: nothing to add."""
    assert _drift(db_url) == []


def _audit_indexes(engine: sa.Engine) -> set[str]:
    return {i["name"] for i in sa.inspect(engine).get_indexes("audit_event") if i["name"]}


def test_last_migration_steps_back_and_forward(tmp_path: Path) -> None:
    """Downgrading one revision restores the index on audit_event.instance_id; upgrading drops it again."""
    url = f"sqlite:///{tmp_path / 'steps.db'}"
    engine = make_engine(url)
    upgrade(engine)
    config = alembic_config(url)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "-1")
    assert "ix_audit_event_instance_id" in _audit_indexes(engine)
    upgrade(engine)
    assert "ix_audit_event_instance_id" not in _audit_indexes(engine)
    engine.dispose()
    assert _drift(url) == []
