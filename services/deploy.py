"""Deploying process versions: validate everything first, then register what changed."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.errors import DeployRejected
from services.models import ProcessVersion
from workflows.errors import DiagramRejected
from workflows.registry import ProcessDefinition
from workflows.registry import load_sources


@dataclass(frozen=True)
class Deployed:
    """One process of a deployment and whether it produced a new version."""

    key: str
    version: int
    version_hash: str
    created: bool


def deploy_sources(session: Session, sources: Mapping[str, str], actor: str | None = None) -> list[Deployed]:
    """Register every process in ``sources``; an unchanged process keeps its version.

    A broken file refuses the whole deployment and leaves the running versions as they were.
    """
    try:
        definitions = load_sources(sources)
    except DiagramRejected as exc:
        raise DeployRejected([str(p) for p in exc.problems]) from exc
    return [_register(session, d, actor) for d in definitions.values()]


def _register(session: Session, definition: ProcessDefinition, actor: str | None) -> Deployed:
    existing = session.scalar(select(ProcessVersion).where(ProcessVersion.process_key == definition.key,
                                                           ProcessVersion.version_hash == definition.version_hash))
    if existing is not None:
        return Deployed(definition.key, existing.version, existing.version_hash, created=False)
    latest = session.scalar(select(func.max(ProcessVersion.version))
                            .where(ProcessVersion.process_key == definition.key))
    version = ProcessVersion(process_key=definition.key, version=(latest or 0) + 1,
                             version_hash=definition.version_hash, name=definition.name,
                             start_group=definition.start_lane, sources=dict(definition.sources),
                             spec=definition.serializer.spec_dict(), deployed_by=actor)
    session.add(version)
    session.flush()
    return Deployed(definition.key, version.version, version.version_hash, created=True)
