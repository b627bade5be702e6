"""The records: users, process versions, cases, inbox rows, the audit chain, counters, notifications."""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated
from typing import Any

from sqlalchemy import JSON
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from services.db import Base
from services.db import utcnow

intpk = Annotated[int, mapped_column(primary_key=True)]
created_at = Annotated[dt.datetime, mapped_column(default=utcnow)]
name64 = Annotated[str, mapped_column(String(64))]
json_doc = Annotated[Any, mapped_column(JSON)]


class User(Base):
    """A person who signs in; groups say what they may do, the unit where."""

    __tablename__ = "app_user"

    id: Mapped[intpk]
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    unit: Mapped[str | None] = mapped_column(String(32))
    is_active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[dt.datetime | None]
    created_at: Mapped[created_at]
    # The user's groups as ",police,commune,": one row read per request, and one LIKE finds a group's members.
    group_list: Mapped[str] = mapped_column(String(500), default="")

    @property
    def groups(self) -> frozenset[str]:
        """The names of the user's groups."""
        return frozenset(g for g in self.group_list.split(",") if g)

    @groups.setter
    def groups(self, names: frozenset[str] | set[str] | list[str] | tuple[str, ...]) -> None:
        self.group_list = "," + ",".join(sorted(set(names))) + "," if names else ""

    # An auditor's scope as ",10001,10002," (the units whose cases they read); NULL reads the whole province.
    audit_unit_list: Mapped[str | None] = mapped_column(String(2000))

    @property
    def audit_units(self) -> frozenset[str]:
        """The units an auditor reads; empty means the whole province."""
        return frozenset(u for u in (self.audit_unit_list or "").split(",") if u)

    @audit_units.setter
    def audit_units(self, codes: frozenset[str] | set[str] | list[str] | tuple[str, ...]) -> None:
        self.audit_unit_list = "," + ",".join(sorted(set(codes))) + "," if codes else None

    # Part of every sign-in session's id: changing it on sign-out ends every copy of the session cookie.
    session_nonce: Mapped[str] = mapped_column(String(32), default=lambda: uuid.uuid4().hex, server_default="")

    # The session-user protocol web sign-in expects (Flask-Login's), spelled out so this module needs no Flask.
    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        """The id a sign-in session remembers: the user and their current session nonce."""
        return f"{self.id}:{self.session_nonce}"

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class ApiToken(Base):
    """A bearer token for the REST API; only its sha256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[created_at]
    expires_at: Mapped[dt.datetime]
    user: Mapped[User] = relationship(lazy="joined")


class ProcessVersion(Base):
    """One deployed version of a process: its files and its spec, stored once."""

    __tablename__ = "process_version"
    __table_args__ = (UniqueConstraint("process_key", "version"), UniqueConstraint("process_key", "version_hash"))

    id: Mapped[intpk]
    process_key: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int]
    version_hash: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    start_group: Mapped[str | None] = mapped_column(String(64))
    # Large documents, read only when a worker first parses this version.
    sources: Mapped[Any] = mapped_column(JSON, deferred=True)
    spec: Mapped[Any] = mapped_column(JSON, deferred=True)
    deployed_at: Mapped[created_at]
    deployed_by: Mapped[str | None] = mapped_column(String(64))


class ProcessInstance(Base):
    """A case: its pinned version, its serialized state and what the inbox and search need to know."""

    __tablename__ = "process_instance"

    id: Mapped[intpk]
    business_key: Mapped[str] = mapped_column(String(32), unique=True)
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"), index=True)
    process_key: Mapped[str] = mapped_column(String(100), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    outcome: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(Text)
    state_token: Mapped[str] = mapped_column(String(32))
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    started_at: Mapped[created_at]
    updated_at: Mapped[created_at]
    completed_at: Mapped[dt.datetime | None]
    unit: Mapped[str | None] = mapped_column(String(32), index=True)
    subject_name: Mapped[str | None] = mapped_column(String(200))
    subject_id_number: Mapped[str | None] = mapped_column(String(32))
    search_text: Mapped[str] = mapped_column(String(600), default="")
    next_timer_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    audit_seq: Mapped[int] = mapped_column(default=0)
    audit_head: Mapped[str] = mapped_column(String(64), default="")
    error_message: Mapped[str | None] = mapped_column(Text)

    version: Mapped[ProcessVersion] = relationship()
    started_by: Mapped[User | None] = relationship()

    __mapper_args__ = {"version_id_col": state_token, "version_id_generator": False}


class HumanTask(Base):
    """An inbox row: written when a human task becomes ready, closed when it completes."""

    __tablename__ = "human_task"
    __table_args__ = (
        Index("ix_human_task_queue", "status", "candidate_group", "unit"),
        Index("ix_human_task_assignee", "assignee_id", "status"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    process_key: Mapped[str] = mapped_column(String(100))
    task_name: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(255))
    title_en: Mapped[str] = mapped_column(String(255))
    lane: Mapped[str | None] = mapped_column(String(64))
    candidate_group: Mapped[str] = mapped_column(String(64))
    unit: Mapped[str | None] = mapped_column(String(32))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    # Users barred by separation of duties, as ",12,40," so one LIKE filters them on every backend.
    excluded_users: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(16), default="open")
    form_name: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[created_at]
    due_at: Mapped[dt.datetime | None]
    escalated_at: Mapped[dt.datetime | None]
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    completed_at: Mapped[dt.datetime | None]
    business_key: Mapped[str] = mapped_column(String(32))
    subject_name: Mapped[str | None] = mapped_column(String(200))
    search_text: Mapped[str] = mapped_column(String(600), default="")

    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    completed_by: Mapped[User | None] = relationship(foreign_keys=[completed_by_id])


class AuditEvent(Base):
    """One link of a case's append-only hash chain."""

    __tablename__ = "audit_event"
    # The unique (instance_id, seq) index also serves every lookup by case: no index on instance_id alone.
    __table_args__ = (UniqueConstraint("instance_id", "seq"),)

    id: Mapped[intpk]
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    seq: Mapped[int]
    at: Mapped[dt.datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(64), index=True)
    type: Mapped[str] = mapped_column(String(32))
    task_name: Mapped[str | None] = mapped_column(String(100))
    task_id: Mapped[str | None] = mapped_column(String(36))
    data: Mapped[json_doc]
    routing: Mapped[json_doc]
    state_hash: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str | None] = mapped_column(String(100), unique=True)


class Counter(Base):
    """A gapless yearly counter (case numbers, decision numbers)."""

    __tablename__ = "counter"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


class Notification(Base):
    """A message for a group (and unit) or a person, such as an SLA escalation."""

    __tablename__ = "notification"

    id: Mapped[intpk]
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[str | None] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(32))
    candidate_group: Mapped[str | None] = mapped_column(String(64), index=True)
    unit: Mapped[str | None] = mapped_column(String(32))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    message: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[created_at]
    read_at: Mapped[dt.datetime | None]


class Attachment(Base):
    """A file attached to a case through a task form; the bytes live in content-addressed storage, not here."""

    __tablename__ = "attachment"

    id: Mapped[intpk]
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[str | None] = mapped_column(String(36))
    field: Mapped[str] = mapped_column(String(100))
    # The name as the uploader's computer had it (Vietnamese kept), for display only: never part of a path.
    file_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    uploaded_at: Mapped[created_at]

    uploaded_by: Mapped[User] = relationship()


class Claim(Base):
    """One row of a submitted form held by a case, so no other case of the same scope and year repeats it.

    An award nominee's achievement is claimed under ``<process>:<award form>:<year>``: the same achievement
    cannot be nominated twice for the same award in the same year (Law on Emulation and Commendation, Art. 5).
    """

    __tablename__ = "claim"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    id: Mapped[intpk]
    scope: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(300))
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[created_at]
