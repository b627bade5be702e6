"""Exports of a case's history: a self-contained JSON document with every hash, and a CSV for reading.

The JSON export carries everything ``audit.verify_document`` (``reentry audit verify --file``) needs to check
the chain without a database: every hashed field exactly as it was hashed, each event's hash and previous
hash, and the head the case recorded. The CSV holds the same events for a spreadsheet; it is for reading,
not for verifying.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services import audit
from services import cases
from services.db import utcnow
from services.errors import InvalidInput
from services.errors import NotFound
from services.models import AuditEvent
from services.models import ProcessInstance
from services.models import ProcessVersion
from services.models import User
from services.status import AuditType
from workflows.calendar import VIETNAM_TZ
from workflows.messages import FieldError

FORMATS = ("json", "csv")
CSV_HEADER = ("Số TT", "Thời điểm (giờ Việt Nam)", "Người thực hiện", "Loại sự kiện", "Công việc", "Dữ liệu (JSON)",
              "Mã băm trạng thái", "Mã băm trước", "Mã băm")
EVENT_TYPES = {AuditType.STARTED: "Tạo hồ sơ", AuditType.CLAIMED: "Nhận xử lý", AuditType.UNCLAIMED: "Trả về nhóm",
               AuditType.COMPLETED: "Hoàn thành công việc", AuditType.TIMER_FIRED: "Quá hạn xử lý",
               AuditType.WITHDRAWN: "Rút hồ sơ", AuditType.FAILED: "Lỗi quy trình"}
_EVENT_COLUMNS = ("seq", "at", "actor", "type", "task_name", "task_id", "data", "routing", "state_hash", "prev_hash")


@dataclass(frozen=True)
class ExportFile:
    """An export ready to hand over: its file name, media type and bytes."""

    file_name: str
    content_type: str
    content: bytes


def export_case(session: Session, instance_id: int) -> dict[str, Any]:
    """The history of case ``instance_id`` as one self-contained JSON document, checking no one's scope.

    Keys: ``format`` and ``version`` (what ``audit.verify_document`` accepts), ``hash_rule`` (how each hash is
    made, for an inspector with their own tools), ``exported_at``, ``case`` (id, business key, process key and
    version, status, outcome), ``head`` (``audit_seq`` and ``audit_head`` as stored on the case) and ``events``
    in chain order, each with its id, every hashed field as hashed (``at`` in UTC), ``prev_hash`` and ``hash``.

    :raise NotFound: there is no case ``instance_id``.
    """
    # The case and its events come from one statement, so the head and the events are one snapshot even
    # while commands append to the chain.
    query = (select(ProcessInstance.id.label("case_id"), ProcessInstance.business_key, ProcessInstance.process_key,
                    ProcessVersion.version.label("process_version"), ProcessInstance.status, ProcessInstance.outcome,
                    ProcessInstance.audit_seq, ProcessInstance.audit_head, AuditEvent.id,
                    *(getattr(AuditEvent, name) for name in _EVENT_COLUMNS), AuditEvent.hash)
             .join(ProcessVersion, ProcessVersion.id == ProcessInstance.process_version_id)
             .outerjoin(AuditEvent, AuditEvent.instance_id == ProcessInstance.id)
             .where(ProcessInstance.id == instance_id)
             .order_by(AuditEvent.seq, AuditEvent.id))
    rows = session.connection().execute(query).all()
    if not rows:
        raise NotFound("instance")
    case = rows[0]
    events = [{"id": row.id, **_hashed_fields(row._mapping, case.business_key), "hash": row.hash}
              for row in rows if row.id is not None]
    return {"format": audit.EXPORT_FORMAT, "version": audit.EXPORT_VERSION, "hash_rule": audit.HASH_RULE,
            "exported_at": utcnow().isoformat(timespec="seconds"),
            "case": {"id": case.case_id, "business_key": case.business_key, "process_key": case.process_key,
                     "process_version": case.process_version, "status": case.status, "outcome": case.outcome},
            "head": {"audit_seq": case.audit_seq, "audit_head": case.audit_head},
            "events": events}


def export_csv(session: Session, instance_id: int) -> str:
    """The history of case ``instance_id`` as CSV text: a BOM (so Excel reads Vietnamese), Vietnamese headers,
    one row per event with its time in Vietnam, its data as JSON and its hashes; raises as ``export_case``."""
    return csv_text(export_case(session, instance_id))


def csv_text(document: dict[str, Any]) -> str:
    """An ``export_case`` document as ``export_csv`` writes it."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for event in document["events"]:
        at = dt.datetime.fromisoformat(event["at"]).astimezone(VIETNAM_TZ)
        writer.writerow([event["seq"], at.strftime("%d/%m/%Y %H:%M"), event["actor"],
                         EVENT_TYPES.get(event["type"], event["type"]), event["task_name"] or "",
                         json.dumps(event["data"], ensure_ascii=False, sort_keys=True), event["state_hash"],
                         event["prev_hash"], event["hash"]])
    return out.getvalue()


def export_for(session: Session, user: User, instance_id: int, file_format: str) -> ExportFile:
    """Case ``instance_id``'s history as a ``json`` or ``csv`` file, for ``user`` who may see the case.

    :raise NotFound: the case does not exist or ``user`` may not see it.
    :raise InvalidInput: ``file_format`` is neither ``json`` nor ``csv``.
    """
    _require_format(file_format)
    cases.get_case(session, user, instance_id)
    return _file(export_case(session, instance_id), file_format)


def export_by_business_key(session: Session, business_key: str, file_format: str) -> ExportFile:
    """The history of the case numbered ``business_key`` as a file, without a user's scope.

    For operators on the server (``reentry audit export``), who can read the database anyway; never call it
    on behalf of someone signed in. Raises as ``export_for`` does.
    """
    _require_format(file_format)
    instance_id = session.scalar(select(ProcessInstance.id).where(ProcessInstance.business_key == business_key))
    if instance_id is None:
        raise NotFound("instance")
    return _file(export_case(session, instance_id), file_format)


def _require_format(file_format: str) -> None:
    if file_format not in FORMATS:
        raise InvalidInput([FieldError("format", "choice")])


def _hashed_fields(row: Any, business_key: str) -> dict[str, Any]:
    # The exact values the hash covers (``at`` as hashed); the business key is once, on the case.
    document = audit.row_document(row, business_key)
    del document["case"]
    return document


def _file(document: dict[str, Any], file_format: str) -> ExportFile:
    stem = f"{document['case']['business_key']}-lich-su"
    if file_format == "csv":
        return ExportFile(f"{stem}.csv", "text/csv; charset=utf-8", csv_text(document).encode())
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    return ExportFile(f"{stem}.json", "application/json", text.encode())
