"""The append-only, hash-chained audit log (DESIGN §5).

Each case has its own chain: event N stores the hash of event N-1, and the case row keeps the head hash
and count, so an edit, a deletion, an insertion, a reorder or a cut tail all break verification.
``verify`` checks the chains in the database; ``verify_document`` checks an export of one case
(``services.audit_export``) with no database at all, by the same rules and with the same reasons.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import groupby
from operator import itemgetter
from typing import Any
from typing import NamedTuple

from sqlalchemy import ColumnElement
from sqlalchemy import Row
from sqlalchemy import RowMapping
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.models import AuditEvent
from services.models import ProcessInstance
from workflows.engine import canonical_json

GENESIS = "0" * 64
EXPORT_FORMAT = "reentry-audit-export"
EXPORT_VERSION = 1
HASH_RULE = ("hash = sha256(prev_hash + canonical JSON of {case, seq, at, actor, type, task_name, task_id, data, "
             "routing, state_hash, prev_hash}), where case is the business key and at the UTC time in ISO 8601 with "
             "microseconds; canonical JSON has sorted keys, ',' and ':' as separators and unescaped UTF-8; "
             "event 1 has prev_hash 64 zeros and the case's head is the last event's seq and hash")
# Rows read per round trip while verifying: large enough to amortise fetching, small enough to stay flat in memory.
VERIFY_BATCH = 5000

_HASHED = ("seq", "at", "actor", "type", "task_name", "task_id", "data", "routing", "state_hash", "prev_hash")
_HEAD = itemgetter(0, 1, 2, 3)
_HASHED_COLUMNS = slice(5, 5 + len(_HASHED))


def event_document(event: AuditEvent, business_key: str) -> dict[str, Any]:
    """The fields an event's hash covers, as plain JSON values."""
    return row_document({name: getattr(event, name) for name in _HASHED}, business_key)


def row_document(row: Mapping[str, Any] | RowMapping, business_key: str) -> dict[str, Any]:
    """``event_document`` of an event given as its column values."""
    return {"case": business_key, **{name: row[name] for name in _HASHED}, "at": hashed_time(row["at"])}


def hashed_time(at: dt.datetime) -> str:
    """An event's time as its hash covers it: UTC, ISO 8601 with microseconds."""
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")


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


class _Link(NamedTuple):
    """One event as the chain check needs it: where it is kept, what its hash covers, the hash it claims."""

    event_id: int | None
    document: dict[str, Any]
    hash: str


def verify(session: Session, instance_id: int | None = None,
           cases_where: ColumnElement[bool] | None = None) -> Verification:
    """Check every chain (or one case's, or those ``cases_where`` selects) from its first event to its head.

    Events that belong to no case are looked for only when every case is checked.

    One query streams the cases in id order, each with its events in seq order (a case without events still
    comes as one row, so a chain deleted whole is seen), and only plain column values are read: a million
    events take seconds and memory stays flat.
    """
    query = (select(ProcessInstance.id.label("case_id"), ProcessInstance.business_key.label("case_key"),
                    ProcessInstance.audit_seq.label("head_seq"), ProcessInstance.audit_head.label("head_hash"),
                    AuditEvent.id, *(getattr(AuditEvent, name) for name in _HASHED), AuditEvent.hash)
             .outerjoin(AuditEvent, AuditEvent.instance_id == ProcessInstance.id)
             .order_by(ProcessInstance.id, AuditEvent.seq, AuditEvent.id))
    if instance_id is not None:
        query = query.where(ProcessInstance.id == instance_id)
    if cases_where is not None:
        query = query.where(cases_where)
    rows = session.connection().execute(query, execution_options={"yield_per": VERIFY_BATCH})
    checked = 0
    try:
        for (case_id, business_key, head_seq, head_hash), case_rows in groupby(rows, _HEAD):
            links = (_row_link(row, business_key) for row in case_rows if row.id is not None)
            count, bad = _check_chain(links, business_key, head_seq, head_hash)
            checked += count
            if bad:
                return Verification(False, checked, {"instance_id": case_id, **bad})
    finally:
        rows.close()  # stopping at a bad event must not leave a server-side cursor open
    if cases_where is not None:
        return Verification(True, checked, None)
    orphans = session.scalar(select(AuditEvent.id).where(AuditEvent.instance_id.not_in(select(ProcessInstance.id))))
    if orphans is not None:
        return Verification(False, checked, {"event_id": orphans, "reason": "sự kiện không thuộc hồ sơ nào"})
    return Verification(True, checked, None)


def verify_document(document: Any) -> Verification:
    """Check an export of one case's history (``services.audit_export.export_case``) without any database.

    Every event's hash is recomputed from the fields in the file and its link to the previous event checked,
    and the chain must end at the head the case recorded (``head``): an edited field, a deleted, inserted,
    swapped or renumbered event and a tail cut off behind the recorded head each name the first bad event,
    as ``verify`` does for the database. A file that is not such an export names what is missing.

    What the file alone cannot show: a tail cut off together with a matching edit of ``head`` (count and hash
    of the new last event) reads as a shorter, intact history. Compare ``head`` with the case in the database
    or with an earlier export of the same case to rule that out.
    """
    problem = _document_problem(document)
    if problem is not None:
        return Verification(False, 0, problem)
    business_key, head = document["case"]["business_key"], document["head"]
    links = (_Link(event.get("id"), {"case": business_key, **{name: event[name] for name in _HASHED}}, event["hash"])
             for event in document["events"])
    count, bad = _check_chain(links, business_key, head["audit_seq"], head["audit_head"])
    return Verification(bad is None, count, bad)


def _document_problem(document: Any) -> dict[str, Any] | None:
    """What makes ``document`` unreadable as an export, naming the event when one event is at fault."""
    def problem(reason: str, event: Mapping[str, Any] | None = None) -> dict[str, Any]:
        case = document.get("case") if isinstance(document, dict) else None
        return {"business_key": case.get("business_key") if isinstance(case, dict) else None,
                "seq": event.get("seq") if event else None, "event_id": event.get("id") if event else None,
                "reason": reason}

    if not isinstance(document, dict) or document.get("format") != EXPORT_FORMAT:
        return problem("tệp không phải bản xuất lịch sử hồ sơ của reentry")
    if document.get("version") != EXPORT_VERSION:
        return problem(f"phiên bản định dạng {document.get('version')!r} không được hỗ trợ")
    case, head, events = document.get("case"), document.get("head"), document.get("events")
    if not (isinstance(case, dict) and isinstance(case.get("business_key"), str) and isinstance(head, dict)
            and isinstance(head.get("audit_seq"), int) and isinstance(head.get("audit_head"), str)
            and isinstance(events, list)):
        return problem("tệp thiếu thông tin hồ sơ, đầu chuỗi (head) hoặc danh sách sự kiện")
    for position, event in enumerate(events, start=1):
        if not isinstance(event, dict):
            return problem(f"phần tử thứ {position} của danh sách sự kiện không phải một sự kiện")
        missing = [name for name in (*_HASHED, "hash") if name not in event]
        if missing:
            return problem(f"sự kiện thứ {position} trong tệp thiếu trường {', '.join(missing)}", event)
    return None


def _row_link(row: Row[Any], business_key: str) -> _Link:
    # row_document's dict built from positions (those of ``verify``'s query): a million events make the
    # name lookups of a row mapping cost seconds.
    document = dict(zip(_HASHED, row[_HASHED_COLUMNS], strict=True))
    document["case"], document["at"] = business_key, hashed_time(document["at"])
    return _Link(row.id, document, row.hash)


def _check_chain(links: Iterable[_Link], business_key: str, head_seq: int,
                 head_hash: str) -> tuple[int, dict[str, Any] | None]:
    """Walk one case's events in order; the count checked and the first bad event, if any."""
    prev, count = GENESIS, 0
    for event_id, document, stored_hash in links:
        count += 1
        reason = _link_problem(document, stored_hash, count, prev, head_seq)
        if reason is not None:
            return count, {"business_key": business_key, "seq": document["seq"], "event_id": event_id,
                           "reason": reason}
        prev = stored_hash
    if count != head_seq:
        return count, {"business_key": business_key, "seq": count + 1, "event_id": None,
                       "reason": f"thiếu sự kiện cuối: hồ sơ ghi nhận {head_seq} sự kiện, chuỗi chỉ có {count}"}
    if prev != (head_hash or GENESIS):
        return count, {"business_key": business_key, "seq": head_seq, "event_id": None,
                       "reason": "sự kiện cuối không khớp với mã băm hồ sơ ghi nhận"}
    return count, None


def _link_problem(document: dict[str, Any], stored_hash: str, expected_seq: int, prev: str,
                  head_seq: int) -> str | None:
    seq = document["seq"]
    if seq != expected_seq:
        return f"thứ tự bị thay đổi: mong đợi sự kiện số {expected_seq}"
    if seq > head_seq:
        return f"sự kiện nằm ngoài chuỗi hồ sơ ghi nhận ({head_seq} sự kiện)"
    if document["prev_hash"] != prev:
        return "liên kết với sự kiện trước bị sai (bị xóa, chèn hoặc đảo thứ tự)"
    if chain_hash(document) != stored_hash:
        return "nội dung sự kiện đã bị sửa"
    return None
