"""A case's history exported: the JSON document carries the case, its recorded head and every event as hashed;
the CSV is the same events for a spreadsheet, in Vietnamese, with a BOM for Excel. SQLite and PostgreSQL."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
import sqlalchemy as sa

from services import audit
from services import audit_export
from services.backend import Backend
from services.errors import InvalidInput
from services.errors import NotFound
from services.models import AuditEvent
from services.models import ProcessInstance
from tests.support import read
from tests.web.conftest import CAST
from tests.web.conftest import add_people
from tests.web.conftest import loan_at
from workflows.calendar import VIETNAM_TZ


@pytest.fixture
def instance_id(backend: Backend) -> int:
    """A loan case waiting for appraisal: started, compiled, confirmed (three events)."""
    add_people(backend, CAST)
    return loan_at(backend, "appraise_loan")


def test_the_json_export_is_self_contained(backend: Backend, instance_id: int) -> None:
    document = read(backend, lambda s: audit_export.export_case(s, instance_id))
    case = read(backend, lambda s: s.get_one(ProcessInstance, instance_id))
    stored = read(backend, lambda s: s.scalar(sa.select(sa.func.count()).where(AuditEvent.instance_id == instance_id)))
    assert (document["format"], document["version"]) == ("reentry-audit-export", 1)
    assert "sha256" in document["hash_rule"] and document["exported_at"]
    assert document["case"] == {"id": instance_id, "business_key": case.business_key, "process_key": "loan_dossier",
                                "process_version": 1, "status": "running", "outcome": None}
    assert document["head"] == {"audit_seq": 3, "audit_head": case.audit_head}
    assert [e["seq"] for e in document["events"]] == [1, 2, 3] and stored == 3
    second = document["events"][1]
    assert set(second) == {"id", "seq", "at", "actor", "type", "task_name", "task_id", "data", "routing",
                           "state_hash", "prev_hash", "hash"}
    assert (second["actor"], second["type"], second["task_name"]) == ("police.a", "task_completed", "compile_dossier")
    assert second["data"]["full_name"] == "Trần Văn Bình" and second["prev_hash"] == document["events"][0]["hash"]
    assert document["events"][-1]["hash"] == case.audit_head
    assert audit.verify_document(json.loads(json.dumps(document))).ok


def test_the_csv_reads_in_vietnamese_with_times_in_vietnam(backend: Backend, instance_id: int) -> None:
    text = read(backend, lambda s: audit_export.export_csv(s, instance_id))
    document = read(backend, lambda s: audit_export.export_case(s, instance_id))
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows[0] == ["Số TT", "Thời điểm (giờ Việt Nam)", "Người thực hiện", "Loại sự kiện", "Công việc",
                       "Dữ liệu (JSON)", "Mã băm trạng thái", "Mã băm trước", "Mã băm"]
    assert [r[0] for r in rows[1:]] == ["1", "2", "3"]
    first, second = document["events"][0], rows[2]
    assert rows[1][3] == "Tạo hồ sơ" and second[3] == "Hoàn thành công việc" and second[4] == "compile_dossier"
    at = dt.datetime.fromisoformat(document["events"][1]["at"]).astimezone(VIETNAM_TZ)
    assert second[1] == at.strftime("%d/%m/%Y %H:%M")
    assert json.loads(second[5])["use_of_funds_plan"] == "Mở tiệm sửa xe máy" and "Mở tiệm" in second[5]
    assert second[6:] == [document["events"][1]["state_hash"], first["hash"], document["events"][1]["hash"]]


def test_files_are_named_after_the_case_and_bytes_are_utf8(backend: Backend, instance_id: int) -> None:
    key = read(backend, lambda s: s.get_one(ProcessInstance, instance_id).business_key)
    as_json = read(backend, lambda s: audit_export.export_by_business_key(s, key, "json"))
    as_csv = read(backend, lambda s: audit_export.export_by_business_key(s, key, "csv"))
    assert as_json.file_name == f"{key}-lich-su.json" and as_json.content_type == "application/json"
    assert audit.verify_document(json.loads(as_json.content)).ok
    assert as_csv.file_name == f"{key}-lich-su.csv" and as_csv.content.startswith(b"\xef\xbb\xbf")
    assert "Người thực hiện".encode() in as_csv.content


def test_unknown_cases_and_formats_are_refused(backend: Backend, instance_id: int) -> None:
    with pytest.raises(NotFound):
        read(backend, lambda s: audit_export.export_case(s, instance_id + 100))
    with pytest.raises(NotFound):
        read(backend, lambda s: audit_export.export_by_business_key(s, "HS-2026-999999", "json"))
    with pytest.raises(InvalidInput):
        read(backend, lambda s: audit_export.export_by_business_key(s, "HS-2026-999999", "xml"))
