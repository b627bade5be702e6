"""What a task's BPMN properties ask of the records when it is completed, beyond the engine step.

``numberInto`` takes the next number of a yearly numbering book (a decision number such as
``7/QĐ-UBND``) when the submitted data says so; ``claimRows`` holds rows of the form (an award nominee's
achievement) so that no other case of the same scope and year can submit them again. Both run inside the
command's transaction, after validation and before the engine step: a refused or failed command gives its
number back and releases its claims.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import unicodedata
from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services import numbering
from services.errors import Conflict
from services.errors import InvalidInput
from services.models import Claim
from services.models import ProcessInstance
from services.status import InstanceStatus
from workflows.calendar import VIETNAM_TZ
from workflows.messages import FieldError


def before_completion(session: Session, instance: ProcessInstance, properties: Mapping[str, str],
                      submitted: dict[str, Any], case_data: Mapping[str, Any], at: dt.datetime) -> dict[str, Any]:
    """Hold the task's claimed rows and fill its numbers; returns the data to complete the task with."""
    day = at.astimezone(VIETNAM_TZ).date()
    if properties.get("claimRows"):
        hold_claims(session, instance, properties, submitted, day.year)
    return submitted | take_numbers(session, properties, submitted, case_data, day)


def take_numbers(session: Session, properties: Mapping[str, str], submitted: Mapping[str, Any],
                 case_data: Mapping[str, Any], day: dt.date) -> dict[str, Any]:
    """The next number of the case's numbering book, when ``numberWhen`` (``field=value``) holds."""
    target = properties.get("numberInto")
    if not target:
        return {}
    field, _, value = properties["numberWhen"].partition("=")
    if str(submitted.get(field, case_data.get(field))) != value:
        return {}
    book = str(case_data.get(properties["numberBookVariable"]) or "")
    if not book:
        raise Conflict("Hồ sơ chưa xác định sổ đăng ký số văn bản", "The case has no numbering book")
    number = numbering.next_number(session, f"book:{book}", day.year)
    values: dict[str, Any] = {target: f"{number}/{book}"}
    if properties.get("numberDateInto"):
        values[properties["numberDateInto"]] = day.isoformat()
    return values


def hold_claims(session: Session, instance: ProcessInstance, properties: Mapping[str, str],
                submitted: Mapping[str, Any], year: int) -> None:
    """Claim each row for this case, or refuse the rows another live (or kept) case already claimed.

    A resubmission replaces the case's own claims. A claim of a case that ended without one of the
    ``claimKeptOn`` outcomes (a rejected nomination) is released and may be taken again.
    """
    array = properties["claimRows"]
    scope = f"{instance.process_key}:{submitted.get(properties['claimScope'])}:{year}"
    wanted = _claimed_rows(submitted.get(array), properties)
    session.execute(delete(Claim).where(Claim.instance_id == instance.id))
    kept_on = set(properties.get("claimKeptOn", "").split(",")) - {""}
    errors = []
    for claim, owner in session.execute(select(Claim, ProcessInstance).join(ProcessInstance)
                                        .where(Claim.scope == scope, Claim.key.in_(list(wanted)))).all():
        if owner.status == InstanceStatus.RUNNING or owner.outcome in kept_on:
            index, _label = wanted[claim.key]
            errors.append(FieldError(f"{array}.{index}.{properties['claimKeys'].split(',')[0]}", "already_claimed",
                                     {"label": claim.label, "case": owner.business_key, "year": year}))
        else:
            session.delete(claim)
    if errors:
        raise InvalidInput(errors)
    _insert_claims(session, instance, scope, wanted)


def _insert_claims(session: Session, instance: ProcessInstance, scope: str, wanted: dict[str, tuple[int, str]]) -> None:
    if not wanted:
        return
    session.flush()
    try:
        session.execute(insert(Claim), [{"scope": scope, "key": key, "label": label[:300], "instance_id": instance.id}
                                        for key, (_index, label) in wanted.items()])
    except IntegrityError:
        raise Conflict("Một đối tượng vừa được đề nghị trong hồ sơ khác; vui lòng tải lại và thử lại",
                       "A nominee was just nominated in another case; reload and try again") from None


def _claimed_rows(rows: Any, properties: Mapping[str, str]) -> dict[str, tuple[int, str]]:
    keys = properties["claimKeys"].split(",")
    label = properties.get("claimLabel", keys[0])
    found: dict[str, tuple[int, str]] = {}
    for index, row in enumerate(rows if isinstance(rows, list) else []):
        if isinstance(row, dict):
            text = "\x1f".join(_plain(row.get(k)) for k in keys)
            found.setdefault(hashlib.sha256(text.encode()).hexdigest(), (index, str(row.get(label) or index + 1)))
    return found


def _plain(value: Any) -> str:
    # "Nguyễn  Văn A" and "nguyễn văn a" are the same nominee; accents stay, they tell names apart.
    return " ".join(unicodedata.normalize("NFC", str(value or "")).casefold().split())
