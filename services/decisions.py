"""The award decision (Quyết định) of a signed award case, as the printable page and the PDF show it.

Everything comes from the case data the process recorded (numbers, recipients, bonuses) and from the
inbox row of the signing task (who signed): nothing is recomputed here, so the document always says
what the audit chain says.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import joinedload

from services import cases
from services.errors import NotFound
from services.models import HumanTask
from services.models import ProcessInstance
from services.models import User
from services.runtime import Runtime
from services.status import TaskStatus

SIGNING_TASK = "sign_decision"
# How the signature block opens for each signing capacity (Decree 30/2020/NĐ-CP, Appendix I).
CAPACITY_PREFIX = {"self": "", "ky_thay": "KT. ", "thua_lenh": "TL. "}
# The issuing body's name in the header, and the office whose authority the signature carries.
ISSUERS = {"QĐ-UBND": ("ỦY BAN NHÂN DÂN TỈNH", "CHỦ TỊCH"), "QĐ-CAT": ("CÔNG AN TỈNH", "GIÁM ĐỐC")}
AWARD_NAMES = {"provincial_chairman_certificate_of_merit": "Bằng khen", "police_director_certificate": "Giấy khen"}


@dataclass(frozen=True)
class Recipient:
    """One person or collective on the decision."""

    kind: str
    name: str
    position: str
    work_unit: str
    achievement: str
    bonus_vnd: int


@dataclass(frozen=True)
class Decision:
    """A signed award decision."""

    instance_id: int
    business_key: str
    number: str
    day: dt.date
    issuing_body: str
    office: str
    issuer_title: str
    award_name: str
    award_type: str
    proposal_number: str
    proposal_date: str
    signer_name: str
    signer_title: str
    signing_capacity: str
    individuals: list[Recipient]
    collectives: list[Recipient]
    base_salary_vnd: int
    total_bonus_vnd: int

    @property
    def signature_heading(self) -> str:
        """``KT. CHỦ TỊCH`` / ``TL. GIÁM ĐỐC`` / ``CHỦ TỊCH``: whose authority the signature carries."""
        return CAPACITY_PREFIX.get(self.signing_capacity, "") + self.office

    @property
    def recipient_count(self) -> int:
        """Individuals and collectives together."""
        return len(self.individuals) + len(self.collectives)


def decision_for(session: Session, runtime: Runtime, user: User, instance_id: int) -> Decision:
    """The decision of case ``instance_id`` if ``user`` may see the case and the decision has been signed."""
    instance = cases.get_case(session, user, instance_id)
    data = cases.case_data(session, runtime, instance)
    if not data.get("decision_number") or not data.get("recipients"):
        raise NotFound("decision")
    return build(instance, data, _signer(session, instance))


def build(instance: ProcessInstance, data: dict[str, Any], signer: User | None) -> Decision:
    """Assemble the decision from the case data and the user who completed the signing task."""
    recipients = [_recipient(r) for r in data["recipients"]]
    body, office = ISSUERS.get(str(data.get("decision_book")), ("", ""))
    return Decision(
        instance_id=instance.id, business_key=instance.business_key, number=str(data["decision_number"]),
        day=dt.date.fromisoformat(str(data["decision_date"])),
        issuing_body=body, office=office,
        issuer_title=str(data.get("issuer_title", "")), award_name=AWARD_NAMES.get(str(data.get("award_form")), ""),
        award_type=str(data.get("award_type", "")), proposal_number=str(data.get("proposal_number", "")),
        proposal_date=str(data.get("proposal_date", "")), signer_name=signer.full_name if signer else "",
        signer_title=str(data.get("signer_title") or ""), signing_capacity=str(data.get("signing_capacity", "self")),
        individuals=[r for r in recipients if r.kind != "collective"],
        collectives=[r for r in recipients if r.kind == "collective"],
        base_salary_vnd=int(data.get("base_salary_vnd") or 0), total_bonus_vnd=int(data.get("total_bonus_vnd") or 0))


def _recipient(row: dict[str, Any]) -> Recipient:
    return Recipient(kind=str(row.get("recipient_kind", "individual")), name=str(row.get("name", "")),
                     position=str(row.get("position") or ""), work_unit=str(row.get("work_unit") or ""),
                     achievement=str(row.get("achievement_summary") or ""), bonus_vnd=int(row.get("bonus_vnd") or 0))


def _signer(session: Session, instance: ProcessInstance) -> User | None:
    row = session.scalar(select(HumanTask).options(joinedload(HumanTask.completed_by)).where(
        HumanTask.instance_id == instance.id, HumanTask.task_name == SIGNING_TASK,
        HumanTask.status == TaskStatus.COMPLETED).order_by(HumanTask.completed_at.desc()).limit(1))
    return row.completed_by if row is not None else None
