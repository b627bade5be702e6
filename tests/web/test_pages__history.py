"""The history page (Lịch sử và phát lại): timeline, field-by-field changes, routing reasons, replay by step."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from services.backend import Backend
from services.models import AuditEvent
from tests.support import run
from tests.web.pages_support import AN
from tests.web.pages_support import CUONG
from tests.web.pages_support import HOA
from tests.web.pages_support import KHANH
from tests.web.pages_support import add_staff
from tests.web.pages_support import case_at
from tests.web.pages_support import complete
from tests.web.pages_support import dossier
from tests.web.pages_support import error_page
from tests.web.pages_support import open_task
from tests.web.pages_support import parse
from tests.web.pages_support import signed_in


@pytest.fixture
def staff(backend: Backend, cheap_passwords: None) -> None:
    """The loan's cast, an inspector among them."""
    add_staff(backend)


def returned_once(backend: Backend) -> int:
    """A dossier the commune returned once for a wrong phone number, corrected and then confirmed."""
    instance_id = case_at(backend, "confirm_at_commune")
    complete(backend, HOA, open_task(backend, instance_id, "confirm_at_commune"),
             {"decision": "return", "comment": "Số điện thoại không liên lạc được"})
    complete(backend, AN, open_task(backend, instance_id, "compile_dossier"), dossier(phone="0987001122"))
    complete(backend, HOA, open_task(backend, instance_id, "confirm_at_commune"), {"decision": "confirm"})
    return instance_id


@pytest.mark.usefixtures("staff")
def test_the_inspector_steps_through_a_returned_dossier(app: Flask, backend: Backend) -> None:
    instance_id = returned_once(backend)
    inspector = signed_in(app, KHANH)
    page = parse(inspector.get(f"/cases/{instance_id}/history"))
    assert "Phát lại khớp với nhật ký ở cả 5 bước" in page.find("p", cls="flash").text()
    assert len(page.find("ol", cls="timeline").find_all("li", id="step-4")) == 1
    correction = page.find("li", id="step-4").find("table", cls="changes").text()
    assert "Số điện thoại" in correction and "0987001122" in correction
    submitted = page.find("li", id="step-3").find("details", cls="submitted").text()
    assert "Số điện thoại không liên lạc được" in submitted
    reasons = page.find("li", id="step-3").find("ul", cls="reasons").text()
    assert "Ý kiến của UBND xã?" in reasons and "Đếm số lần trả lại" in reasons
    at_three = parse(inspector.get(f"/cases/{instance_id}/history?step=3"))
    diagram = at_three.find("div", cls="diagram")
    assert diagram.attrs["data-waiting"] == "compile_dossier"
    assert "count_return" in diagram.attrs["data-completed"].split(",")
    assert at_three.find("h2").text() == "Hồ sơ tại bước 3 / 5"


@pytest.mark.usefixtures("staff")
def test_an_altered_event_shows_where_replay_stops_matching(app: Flask, backend: Backend) -> None:
    instance_id = returned_once(backend)
    events = AuditEvent.__table__
    run(backend, lambda s: s.execute(sa.update(events).where(events.c.instance_id == instance_id, events.c.seq == 3)
                                     .values(data={"decision": "confirm"})))
    page = parse(signed_in(app, KHANH).get(f"/cases/{instance_id}/history"))
    assert "Phát lại không khớp với nhật ký từ bước 3" in page.find("p", cls="flash").text()
    assert "mismatch" in page.find("li", id="step-3").classes


@pytest.mark.usefixtures("staff")
def test_steps_outside_the_case_and_strangers_are_refused(app: Flask, backend: Backend) -> None:
    instance_id = case_at(backend, "confirm_at_commune")
    refused = error_page(signed_in(app, KHANH).get(f"/cases/{instance_id}/history?step=99"), 400)
    assert refused.find("ul", cls="error-details").text().startswith("step: ")
    too_early = error_page(signed_in(app, KHANH).get(f"/cases/{instance_id}/history?step=0"), 400)
    assert "step: Giá trị phải từ 1 trở lên" in too_early.find("ul", cls="error-details").text()
    for not_a_step in ("abc", "-1", "2.5"):
        refused = error_page(signed_in(app, KHANH).get(f"/cases/{instance_id}/history?step={not_a_step}"), 400)
        assert "step: Phải là số nguyên" in refused.find("ul", cls="error-details").text()
    error_page(signed_in(app, CUONG).get(f"/cases/{instance_id}/history"), 404)


@pytest.mark.usefixtures("staff")
def test_the_case_page_leads_to_the_history(app: Flask, backend: Backend) -> None:
    instance_id = case_at(backend, "confirm_at_commune")
    page = parse(signed_in(app, KHANH).get(f"/cases/{instance_id}"))
    links = [a.attrs["href"] for a in page.find_all("a") if a.text() == "Xem lịch sử chi tiết và phát lại từng bước"]
    assert links == [f"/cases/{instance_id}/history"]
