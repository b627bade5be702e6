"""Demo data: a user for every group in two communes and the bank, and cases in different states."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services import cases
from services import demo_awards
from services import users
from services.models import HumanTask
from services.models import User
from services.runtime import Runtime

DEMO_PASSWORD = "reentry-demo-2026"  # noqa: S105 - printed by `reentry demo` for the demo accounts only


@dataclass(frozen=True)
class DemoUser:
    """One demo account."""

    username: str
    full_name: str
    groups: tuple[str, ...]
    unit: str | None
    audit_units: tuple[str, ...] = ()


DEMO_USERS = (
    DemoUser("police.an", "Nguyễn Văn An", ("police",), "10001"),
    DemoUser("police.hoa", "Bùi Thị Hoa", ("police",), "10002"),
    DemoUser("commune.binh", "Lê Thị Bình", ("commune",), "10001"),
    DemoUser("commune.cuong", "Phạm Văn Cường", ("commune",), "10002"),
    DemoUser("bank.dung", "Hoàng Thị Dung", ("bank_appraiser",), None),
    DemoUser("bank.em", "Võ Văn Em", ("bank_teller",), None),
    DemoUser("unit.giang", "Đỗ Thị Giang", ("unit_head",), None),
    DemoUser("noivu.hai", "Trịnh Văn Hải", ("home_affairs",), None),
    DemoUser("thiduaca.khanh", "Mai Thị Khánh", ("police_emulation",), None),
    DemoUser("hoidong.lam", "Đặng Văn Lâm", ("provincial_council",), None),
    DemoUser("hoidongca.minh", "Lý Thị Minh", ("police_council",), None),
    DemoUser("chutich.nam", "Trương Văn Nam", ("chairman",), None),
    DemoUser("giamdoc.phuc", "Hồ Văn Phúc", ("police_director",), None),
    DemoUser("thanhtra.quynh", "Chu Thị Quỳnh", ("auditor",), None),
    DemoUser("thanhtra.son", "Lương Văn Sơn", ("auditor",), None, ("10002",)),
    DemoUser("admin", "Quản trị hệ thống", ("admin",), None),
)


def dossier(name: str, id_number: str, born: str, sex: str, commune: str, amount: int,
            today: dt.date) -> dict[str, Any]:
    """A complete compile form for a demo borrower."""
    return {
        "full_name": name, "date_of_birth": born, "sex": sex, "national_id_number": id_number,
        "residence_commune_code": commune, "residence_detail": "Thôn 3", "phone": "0912345678",
        "release_certificate_type": "sentence_completed", "release_certificate_number": "112/GCN-TG",
        "sentence_completed_on": (today - dt.timedelta(days=400)).isoformat(), "form01_list_ref": "01/DS-2026",
        "loan_purpose": "production_business", "requested_amount_vnd": amount, "loan_term_months": 36,
        "use_of_funds_plan": "Chăn nuôi bò sinh sản", "has_same_purpose_debt": False, "action": "submit",
    }


def seed(session: Session, runtime: Runtime, today: dt.date) -> list[str]:
    """Create the demo users (if missing) and a handful of loan cases; returns what was created."""
    created = [_ensure_user(session, u) for u in DEMO_USERS]
    if session.scalar(select(HumanTask.id).limit(1)) is not None:
        return [c for c in created if c]
    people = {u.username: users.get_user(session, u.username) for u in DEMO_USERS}
    borrowers = [
        ("Trần Văn Bình", "001088004321", "1988-03-04", "male", "10001", 60_000_000, "compiled"),
        ("Nguyễn Thị Lan", "001190012345", "1990-07-12", "female", "10001", 40_000_000, "confirmed"),
        ("Phạm Văn Tuấn", "001085098765", "1985-01-20", "male", "10002", 100_000_000, "approved"),
        ("Lê Văn Hùng", "001092045678", "1992-11-02", "male", "10001", 80_000_000, "disbursed"),
        ("Vũ Thị Mai", "001195067890", "1995-05-15", "female", "10002", 150_000_000, "ineligible"),
        ("Đinh Văn Sơn", "001087011223", "1987-09-09", "male", "10001", 50_000_000, "draft"),
        ("Hà Văn Phong", "001089033445", "1989-06-18", "male", "10001", 70_000_000, "returned, then disbursed"),
    ]
    for name, number, born, sex, commune, amount, stage in borrowers:
        officer = people["police.an" if commune == "10001" else "police.hoa"]
        _advance(session, runtime, people, officer, dossier(name, number, born, sex, commune, amount, today), stage)
        created.append(f"hồ sơ {name}: {stage}")
    created += demo_awards.seed_awards(session, runtime, people, today)
    return [c for c in created if c]


def _ensure_user(session: Session, demo: DemoUser) -> str:
    if session.scalar(select(User.id).where(User.username == demo.username)) is not None:
        return ""
    users.add_user(session, demo.username, DEMO_PASSWORD, demo.groups, unit=demo.unit, full_name=demo.full_name,
                   audit_units=demo.audit_units)
    return f"người dùng {demo.username}"


STAGES = ("draft", "compiled", "confirmed", "approved", "disbursed")


def _advance(session: Session, runtime: Runtime, people: dict[str, User], officer: User, form: dict[str, Any],
             stage: str) -> None:
    instance = cases.start_case(session, runtime, officer, "loan_dossier")
    if stage == "draft":
        return
    cases.complete_waiting_task(session, runtime, officer, instance.id, "compile_dossier", form)
    if stage == "ineligible":
        return
    commune = people["commune.binh" if form["residence_commune_code"] == "10001" else "commune.cuong"]
    if stage == "returned, then disbursed":  # the auditor's replay example: two returns, then the whole way
        _return_twice(session, runtime, officer, commune, instance.id, form)
        stage = "disbursed"
    today = dt.date.today().isoformat()
    steps = [
        (commune, "confirm_at_commune", {"decision": "confirm", "comment": "Đã xác minh tại địa phương"}),
        (people["bank.dung"], "appraise_loan", {
            "decision": "approve", "approved_amount_vnd": form["requested_amount_vnd"], "approved_term_months": 36,
            "approval_notice_ref": "04/TD-2026", "approved_on": today}),
        (people["bank.em"], "disburse_loan", {
            "disbursed_amount_vnd": form["requested_amount_vnd"], "disbursed_on": today,
            "loan_account_number": "76001" + form["national_id_number"][-6:]}),
    ]
    for user, task_name, data in steps[:STAGES.index(stage) - 1]:
        cases.complete_waiting_task(session, runtime, user, instance.id, task_name, data)


RETURNS = (("Thiếu xác nhận của Ban Công an xã về nơi cư trú", {"residence_detail": "Thôn 3, xóm Đông"}),
           ("Số điện thoại không liên lạc được", {"phone": "0987001122"}))


def _return_twice(session: Session, runtime: Runtime, officer: User, commune: User, instance_id: int,
                  form: dict[str, Any]) -> None:
    for reason, correction in RETURNS:
        cases.complete_waiting_task(session, runtime, commune, instance_id, "confirm_at_commune",
                                    {"decision": "return", "comment": reason})
        form = form | correction
        cases.complete_waiting_task(session, runtime, officer, instance_id, "compile_dossier", form)
