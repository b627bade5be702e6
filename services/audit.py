"""The append-only, hash-chained audit log (DESIGN §5).

Each case has its own chain: event N stores the hash of event N-1, and the case row keeps the head hash
and count, so an edit, a deletion, an insertion, a reorder or a cut tail all break verification.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.models import AuditEvent
from services.models import ProcessInstance
from workflows.engine import canonical_json

GENESIS = "0" * 64


_HASHED = ("seq", "at", "actor", "type", "task_name", "task_id", "data", "routing", "state_hash", "prev_hash")


def event_document(event: AuditEvent, business_key: str) -> dict[str, Any]:
    """The fields an event's hash covers, as plain JSON values."""
    return row_document({name: getattr(event, name) for name in _HASHED}, business_key)


def row_document(row: Mapping[str, Any], business_key: str) -> dict[str, Any]:
    """``event_document`` of an event given as its column values."""
    return {"case": business_key, **{name: row[name] for name in _HASHED},
            "at": row["at"].astimezone(dt.UTC).isoformat(timespec="microseconds")}


def chain_hash(document: dict[str, Any]) -> str:
    """sha256 over the previous hash and the canonical JSON of the event."""
    return hashlib.sha256((document["prev_hash"] + canonical_json(document)).encode()).hexdigest()


@dataclass(frozen=True)
class AuditEntry:
    """What a command records; the chain fields are filled by ``append``."""

    type: str
    actor: str
    at: dt.datetime
    state_hash: str = ""
    task_name: str | None = None
    task_id: str | None = None
    data: dict[str, Any] | None = None
    routing: list[dict[str, Any]] | None = None
    idempotency_key: str | None = None


def append(session: Session, instance: ProcessInstance, entry: AuditEntry) -> AuditEvent:
    """Add the next link of ``instance``'s chain and move the case's head to it (the caller flushes)."""
    event = AuditEvent(**link(instance, entry))
    instance.audit_seq = event.seq
    instance.audit_head = event.hash
    session.add(event)
    return event


def link(instance: ProcessInstance, entry: AuditEntry) -> dict[str, Any]:
    """The next event of ``instance``'s chain as column values, hashed, not yet written anywhere."""
    row = {"instance_id": instance.id, "seq": instance.audit_seq + 1, "at": entry.at, "actor": entry.actor,
           "type": entry.type, "task_name": entry.task_name, "task_id": entry.task_id, "data": entry.data or {},
           "routing": entry.routing or [], "state_hash": entry.state_hash, "prev_hash": instance.audit_head or GENESIS,
           "idempotency_key": entry.idempotency_key}
    row["hash"] = chain_hash(row_document(row, instance.business_key))
    return row


@dataclass(frozen=True)
class Verification:
    """The result of checking chains: ``first_bad`` names the first broken event, if any."""

    ok: bool
    events_checked: int
    first_bad: dict[str, Any] | None

    def as_dict(self) -> dict[str, Any]:
        """The API shape {ok, events_checked, first_bad}."""
        return {"ok": self.ok, "events_checked": self.events_checked, "first_bad": self.first_bad}


def verify(session: Session, instance_id: int | None = None) -> Verification:
    """Check every chain (or one case's) from its first event to the head stored on the case."""
    cases = select(ProcessInstance.id, ProcessInstance.business_key, ProcessInstance.audit_seq,
                   ProcessInstance.audit_head).order_by(ProcessInstance.id)
    if instance_id is not None:
        cases = cases.where(ProcessInstance.id == instance_id)
    checked = 0
    for case_id, business_key, head_seq, head_hash in session.execute(cases).all():
        events = session.scalars(select(AuditEvent).where(AuditEvent.instance_id == case_id)
                                 .order_by(AuditEvent.seq, AuditEvent.id).execution_options(yield_per=1000))
        try:
            count, bad = _verify_chain(events, business_key, head_seq, head_hash)
        finally:
            events.close()  # stopping at a bad event must not leave a server-side cursor open
        checked += count
        if bad:
            return Verification(False, checked, {"instance_id": case_id, **bad})
    orphans = session.scalar(select(AuditEvent.id).where(AuditEvent.instance_id.not_in(select(ProcessInstance.id))))
    if orphans is not None:
        return Verification(False, checked, {"event_id": orphans, "reason": "sự kiện không thuộc hồ sơ nào"})
    return Verification(True, checked, None)


def _verify_chain(events: Iterator[AuditEvent], business_key: str, head_seq: int,
                  head_hash: str) -> tuple[int, dict[str, Any] | None]:
    prev, expected_seq, count = GENESIS, 1, 0
    for event in events:
        count += 1
        where = {"business_key": business_key, "seq": event.seq, "event_id": event.id}
        if event.seq != expected_seq:
            return count, {**where, "reason": f"thứ tự bị thay đổi: mong đợi sự kiện số {expected_seq}"}
        if event.prev_hash != prev:
            return count, {**where, "reason": "liên kết với sự kiện trước bị sai (bị xóa, chèn hoặc đảo thứ tự)"}
        if chain_hash(event_document(event, business_key)) != event.hash:
            return count, {**where, "reason": "nội dung sự kiện đã bị sửa"}
        prev, expected_seq = event.hash, expected_seq + 1
    if expected_seq - 1 != head_seq or prev != (head_hash or GENESIS):
        return count, {"business_key": business_key, "seq": expected_seq, "event_id": None,
                       "reason": f"thiếu sự kiện cuối: hồ sơ ghi nhận {head_seq} sự kiện, "
                                 f"chuỗi chỉ có {expected_seq - 1}"}
    return count, None
