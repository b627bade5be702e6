"""Demo award cases: a nomination at every stage, for both award forms (Bằng khen and Giấy khen)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from services import cases
from services import tasks
from services.models import User
from services.runtime import Runtime
from workflows.calendar import VIETNAM_TZ

CHAIRMAN_AWARD = "provincial_chairman_certificate_of_merit"
DIRECTOR_AWARD = "police_director_certificate"
# (award form, stage reached, nominees as (kind, name, position, work unit, achievement))
BATCHES: list[tuple[str, str, list[tuple[str, str, str, str, str]]]] = [
    (CHAIRMAN_AWARD, "awarded", [
        ("collective", "Công an xã Hòa An", "", "Công an tỉnh", "Giúp 12 người chấp hành xong án có việc làm"),
        ("collective", "Hợp tác xã Dệt may Phú Thịnh", "", "xã Phú Thịnh", "Nhận 9 người chấp hành xong án vào làm"),
        ("individual", "Nguyễn Văn Tâm", "Trưởng Công an xã", "Công an xã Hòa An", "Giúp đỡ 5 người tái hòa nhập"),
    ]),
    (DIRECTOR_AWARD, "awarded", [
        ("individual", "Trần Thị Hạnh", "Chủ tịch Hội Phụ nữ xã", "xã Bình Minh", "Vận động vốn vay cho 7 người"),
        ("collective", "Đoàn Thanh niên xã Bình Minh", "", "xã Bình Minh", "Mô hình Thắp sáng ước mơ hoàn lương"),
    ]),
    (CHAIRMAN_AWARD, "signing", [
        ("individual", "Lê Văn Quang", "Phó Trưởng Công an xã", "Công an xã Tân Lập", "Lập 14 hồ sơ vay vốn đúng hạn"),
    ]),
    (DIRECTOR_AWARD, "council", [
        ("individual", "Phạm Thị Thu", "Cán bộ Công an xã", "Công an xã Đông Hòa", "Giúp đỡ 6 người sau đặc xá"),
        ("collective", "Tổ tự quản thôn 4", "", "xã Đông Hòa", "Không có người tái phạm trong 3 năm"),
    ]),
    (CHAIRMAN_AWARD, "appraisal", [
        ("collective", "Hội Cựu chiến binh xã Yên Sơn", "", "xã Yên Sơn", "Nhận đỡ đầu 4 người chấp hành xong án"),
    ]),
    (DIRECTOR_AWARD, "not_approved", [
        ("individual", "Hoàng Văn Khải", "Cán bộ Công an xã", "Công an xã Tây Sơn", "Vận động 2 người vay vốn"),
    ]),
    (CHAIRMAN_AWARD, "rejected", [
        ("individual", "Vũ Văn Lộc", "Trưởng thôn", "xã Nam Hải", "Hỗ trợ một người tìm việc làm"),
    ]),
    (DIRECTOR_AWARD, "draft", []),
]
STAGES = ("draft", "appraisal", "council", "signing", "awarded")
OFFICES = {CHAIRMAN_AWARD: ("noivu.hai", "hoidong.lam", "chutich.nam"),
           DIRECTOR_AWARD: ("thiduaca.khanh", "hoidongca.minh", "giamdoc.phuc")}


def seed_awards(session: Session, runtime: Runtime, people: dict[str, User], today: dt.date) -> list[str]:
    """Start and advance the demo nominations; returns what was created."""
    created = []
    for number, (award_form, stage, nominees) in enumerate(BATCHES, start=1):
        instance = cases.start_case(session, runtime, people["unit.giang"], "award_nomination")
        if stage != "draft":
            _advance(session, runtime, people, instance.id, _nomination(number, award_form, nominees, today), stage)
        created.append(f"đề nghị khen thưởng {number}: {stage}")
    return created


def _nomination(number: int, award_form: str, nominees: list[tuple[str, str, str, str, str]],
                today: dt.date) -> dict[str, Any]:
    return {
        "award_form": award_form, "award_type": "topic", "proposal_number": f"{number}/TTr-CAX",
        "proposal_date": (today - dt.timedelta(days=10)).isoformat(), "council_minutes_ref": f"{number}/BB-HĐTĐKT",
        "nominees": [{"recipient_kind": kind, "name": name, "position": position, "work_unit": unit,
                      "achievement_summary": achievement, "under_discipline_or_investigation": False}
                     for kind, name, position, unit, achievement in nominees],
    }


def _advance(session: Session, runtime: Runtime, people: dict[str, User], instance_id: int,
             nomination: dict[str, Any], stage: str) -> None:
    today = dt.datetime.now(VIETNAM_TZ).date()  # the day the numbering book dates the decision
    office, council, authority = (people[u] for u in OFFICES[nomination["award_form"]])
    cases.complete_waiting_task(session, runtime, people["unit.giang"], instance_id, "nominate", nomination)
    if stage == "appraisal":
        return
    data = cases.case_data(session, runtime, tasks.running_instance(session, instance_id))
    verdict = "reject" if stage == "rejected" else "accept"
    cases.complete_waiting_task(session, runtime, office, instance_id, "appraise_dossier", {
        "decision": verdict, "comment": "Hồ sơ chưa đủ thành tích tiêu biểu" if verdict == "reject" else "Đủ hồ sơ",
        "appraisal_results": data["appraisal_results"]})
    if stage in ("rejected", "council"):
        return
    data = cases.case_data(session, runtime, tasks.running_instance(session, instance_id))
    votes = 3 if stage == "not_approved" else 8
    cases.complete_waiting_task(session, runtime, council, instance_id, "council_vote", {
        "meeting_date": today.isoformat(), "members_total": 9, "members_present": 8,
        "minutes_ref": "15/BB-HĐ", "council_votes": [dict(c, votes_for=votes) for c in data["council_candidates"]]})
    if stage in ("not_approved", "signing"):
        return
    cases.complete_waiting_task(session, runtime, authority, instance_id, "sign_decision", {
        "decision": "approve", "signing_capacity": "ky_thay", "signer_title": "Phó Chủ tịch"
        if nomination["award_form"] == CHAIRMAN_AWARD else "Phó Giám đốc"})
    cases.complete_waiting_task(session, runtime, office, instance_id, "issue_certificates", {
        "handover_date": today.isoformat(), "certificate_register_ref": "Sổ 01/2026"})
