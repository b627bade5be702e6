"""Helpers for the page tests (tests/web/test_pages__*.py): real Vietnamese people, loan cases, parsed HTML.

Pages are read through a small HTML tree (the standard library's parser) so a test can say "the error under
the citizen id field" instead of searching the whole page for a string.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from html.parser import HTMLParser
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict
from werkzeug.test import TestResponse

from services import cases
from services import tasks
from services import users
from services.backend import Backend
from services.models import AuditEvent
from services.models import HumanTask
from services.models import ProcessInstance
from services.models import User
from tests.support import PASSWORD
from tests.support import loan_dossier
from tests.support import read
from tests.support import run
from workflows.calendar import VIETNAM_TZ

OWN, OTHER = "10001", "10002"
LOAN = "loan_dossier"


@dataclass(frozen=True)
class Person:
    """Someone who signs in: username, group, unit and the name the pages show."""

    username: str
    group: str
    unit: str | None
    full_name: str


# The loan's cast: a police officer and two commune officials of commune 10001, their counterparts in 10002,
# the bank's appraiser and teller, an inspector and an administrator.
AN = Person("an.nguyen", "police", OWN, "Nguyễn Văn An")
CUONG = Person("cuong.le", "police", OTHER, "Lê Quốc Cường")
HOA = Person("hoa.le", "commune", OWN, "Lê Thị Hoa")
DUNG = Person("dung.pham", "commune", OWN, "Phạm Văn Dũng")
MAI = Person("mai.vo", "commune", OTHER, "Võ Thị Mai")
HANH = Person("hanh.do", "bank_appraiser", None, "Đỗ Thị Hạnh")
TUAN = Person("tuan.hoang", "bank_teller", None, "Hoàng Minh Tuấn")
KHANH = Person("khanh.bui", "auditor", None, "Bùi Quang Khánh")
TRANG = Person("trang.dang", "admin", None, "Đặng Thu Trang")
STAFF = (AN, CUONG, HOA, DUNG, MAI, HANH, TUAN, KHANH, TRANG)
WORKER = {"compile_dossier": AN, "confirm_at_commune": HOA, "appraise_loan": HANH, "disburse_loan": TUAN}
STEPS = ("compile_dossier", "confirm_at_commune", "appraise_loan", "disburse_loan")


def add_staff(backend: Backend, people: tuple[Person, ...] = STAFF) -> None:
    """Create ``people``, all with the test password."""
    def create(s: Any) -> None:
        for p in people:
            users.add_user(s, p.username, PASSWORD, [p.group], unit=p.unit, full_name=p.full_name)
    run(backend, create)


def vn_today() -> dt.date:
    """Today in Vietnam."""
    return dt.datetime.now(VIETNAM_TZ).date()


def dossier(borrower: str = "Trần Văn Bình", **changes: Any) -> dict[str, Any]:
    """The compile form as the officer fills it (``tests.support.loan_dossier``) in commune ``OWN``."""
    return loan_dossier(borrower, **({"residence_commune_code": OWN} | changes))


def lan_dossier(**changes: Any) -> dict[str, Any]:
    """Nguyễn Thị Lan, born 15/07/1990 (a woman of the 20th century: digit 4 is 1, digits 5–6 are 90)."""
    return dossier("Nguyễn Thị Lan", date_of_birth="1990-07-15", sex="female", national_id_number="001190012345",
                   phone="0912345678", use_of_funds_plan="Nuôi bò sinh sản", **changes)


def as_form(data: dict[str, Any]) -> dict[str, str]:
    """``data`` as a browser posts it: text for everything, a checked box as "1", an unchecked one left out."""
    posted: dict[str, str] = {}
    for key, value in data.items():
        if value is False or value is None:
            continue
        posted[key] = "1" if value is True else str(value)
    return posted


def step_data(step: str) -> dict[str, Any]:
    """Valid data for each step of the happy path."""
    today = vn_today().isoformat()
    return {
        "compile_dossier": dossier(),
        "confirm_at_commune": {"decision": "confirm", "comment": "Đủ điều kiện, có tên trong danh sách Mẫu 01"},
        "appraise_loan": {"decision": "approve", "approved_amount_vnd": 60_000_000, "approved_term_months": 24,
                          "approval_notice_ref": "04/TD-117", "approved_on": today},
        "disburse_loan": {"disbursed_amount_vnd": 60_000_000, "disbursed_on": today,
                          "loan_account_number": "7600112233"},
    }[step]


def user(backend: Backend, username: str) -> User:
    """The user ``username`` as stored now."""
    return read(backend, lambda s: users.get_user(s, username))


def start_draft(backend: Backend, starter: Person = AN, data: dict[str, Any] | None = None) -> int:
    """A new case whose compile form waits for ``starter``, optionally pre-filled with ``data`` (Lưu tạm)."""
    return run(backend, lambda s: cases.start_case(s, backend.runtime, users.get_user(s, starter.username), LOAN,
                                                   data=data).id)


def complete(backend: Backend, who: Person, task_id: str, data: dict[str, Any]) -> None:
    """``who`` completes ``task_id`` through the service layer."""
    run(backend, lambda s: tasks.complete_task(s, backend.runtime, users.get_user(s, who.username), task_id, data))


def case_at(backend: Backend, step: str, starter: Person = AN, first: dict[str, Any] | None = None) -> int:
    """A loan case started by ``starter`` and worked through the services until ``step`` waits ("end": done)."""
    instance_id = start_draft(backend, starter)
    stop = STEPS.index(step) if step in STEPS else len(STEPS)
    for done in STEPS[:stop]:
        who = starter if done == "compile_dossier" else WORKER[done]
        data = first if done == "compile_dossier" and first is not None else step_data(done)
        complete(backend, who, open_task(backend, instance_id, done), data)
    return instance_id


def open_task(backend: Backend, instance_id: int, step: str) -> str:
    """The id of the open inbox row of ``step`` in case ``instance_id``."""
    return read(backend, lambda s: s.scalars(sa.select(HumanTask.id).where(
        HumanTask.instance_id == instance_id, HumanTask.task_name == step, HumanTask.status == "open")).one())


def task_row(backend: Backend, task_id: str) -> HumanTask:
    """The inbox row ``task_id`` as stored now."""
    return read(backend, lambda s: s.get_one(HumanTask, task_id))


def instance(backend: Backend, instance_id: int) -> ProcessInstance:
    """The case ``instance_id`` as stored now."""
    return read(backend, lambda s: s.get_one(ProcessInstance, instance_id))


def count(backend: Backend, model: type[Any]) -> int:
    """How many rows ``model`` has."""
    return read(backend, lambda s: s.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


def audit_count(backend: Backend) -> int:
    """How many audit events there are."""
    return count(backend, AuditEvent)


def set_due(backend: Backend, task_id: str, due_at: dt.datetime) -> None:
    """Move a task's due time (as if its SLA had been set so)."""
    run(backend, lambda s: s.execute(sa.update(HumanTask).where(HumanTask.id == task_id).values(due_at=due_at)))


def claim(backend: Backend, who: Person, task_id: str) -> None:
    """``who`` claims ``task_id`` through the service layer."""
    run(backend, lambda s: tasks.claim_task(s, users.get_user(s, who.username), task_id))


# --- signing in ----------------------------------------------------------------------------------------------

def login(client: FlaskClient, username: str, password: str = PASSWORD, next_url: str | None = None) -> TestResponse:
    """POST the sign-in form."""
    path = "/login" if next_url is None else f"/login?next={next_url}"
    return client.post(path, data={"username": username, "password": password})


def signed_in(app: Flask, who: Person | str) -> FlaskClient:
    """A new browser of ``app`` signed in as ``who``."""
    client = app.test_client()
    name = who if isinstance(who, str) else who.username
    response = login(client, name)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


# --- reading pages -------------------------------------------------------------------------------------------

VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
                  "wbr"})


@dataclass(eq=False)
class Node:
    """One element of a page."""

    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Node | str] = field(default_factory=list)
    parent: Node | None = None

    @property
    def classes(self) -> set[str]:
        """The element's CSS classes."""
        return set(self.attrs.get("class", "").split())

    def text(self) -> str:
        """The element's text with white space collapsed."""
        return " ".join(" ".join(self._texts()).split())

    def _texts(self) -> Iterator[str]:
        for child in self.children:
            if isinstance(child, str):
                yield child
            else:
                yield from child._texts()

    def iter(self) -> Iterator[Node]:
        """Every element below this one, in document order."""
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.iter()

    def find_all(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> list[Node]:
        """Elements below this one with ``tag``, class ``cls`` and ``attrs`` (``data_x`` matches ``data-x``)."""
        wanted = {k.replace("_", "-"): v for k, v in attrs.items()}
        return [n for n in self.iter() if (tag is None or n.tag == tag) and (cls is None or cls in n.classes)
                and all(n.attrs.get(k) == v for k, v in wanted.items())]

    def find(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> Node:
        """The first match of ``find_all``; fails the test when there is none."""
        found = self.find_all(tag, cls, **attrs)
        assert found, f"no <{tag or '*'} class={cls} {attrs}> in:\n{self.text()[:2000]}"
        return found[0]

    def closest(self, tag: str) -> Node:
        """The nearest enclosing ``tag``."""
        node = self.parent
        while node is not None and node.tag != tag:
            node = node.parent
        assert node is not None, f"<{self.tag}> has no enclosing <{tag}>"
        return node


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document")
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v if v is not None else "" for k, v in attrs}, parent=self.stack[-1])
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}, parent=self.stack[-1]))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(response: TestResponse | str) -> Node:
    """The page as a tree."""
    builder = _TreeBuilder()
    builder.feed(response if isinstance(response, str) else response.get_data(as_text=True))
    builder.close()
    return builder.root


def field_box(doc: Node, name: str) -> Node:
    """The block of the form field ``name``: its label, input, help and errors."""
    control = next((n for n in doc.iter() if n.attrs.get("name") == name and n.tag in ("input", "select", "textarea")),
                   None)
    assert control is not None, f"no form field {name!r}"
    return control.closest("div")


def field_errors(doc: Node, name: str) -> list[str]:
    """The error messages shown under the field ``name``."""
    return [p.text() for p in field_box(doc, name).find_all("p", cls="field-error")]


def field_value(doc: Node, name: str) -> str:
    """What the field ``name`` holds as the page draws it (the checked radio, the selected option...)."""
    controls = [n for n in doc.iter() if n.attrs.get("name") == name and n.tag in ("input", "select", "textarea")]
    assert controls, f"no form field {name!r}"
    first = controls[0]
    if first.tag == "textarea":
        return first.text()
    if first.tag == "select":
        return next((o.attrs.get("value", "") for o in first.find_all("option") if "selected" in o.attrs), "")
    if first.attrs.get("type") in ("radio", "checkbox"):
        return next((c.attrs.get("value", "") for c in controls if "checked" in c.attrs), "")
    return first.attrs.get("value", "")


def label_of(doc: Node, name: str) -> str:
    """The label text of the field ``name`` (without the required-field star)."""
    return field_box(doc, name).find("label").text().rstrip(" *")


def buttons(doc: Node, name: str) -> dict[str, str]:
    """The submit buttons named ``name``: value → label."""
    return {b.attrs.get("value", ""): b.text() for b in doc.find_all("button", name=name)}


def readonly_data(doc: Node) -> dict[str, str]:
    """The "Thông tin hồ sơ" / case data list: term → description."""
    terms = doc.find("dl", cls="data").find_all()
    pairs: dict[str, str] = {}
    for index, node in enumerate(terms):
        if node.tag == "dt" and index + 1 < len(terms) and terms[index + 1].tag == "dd":
            pairs[node.text()] = terms[index + 1].text()
    return pairs


def flashes(doc: Node) -> list[str]:
    """The flash messages at the top of the page."""
    return [p.text() for p in doc.find_all("p", cls="flash")]


def hidden_fields(form: Node) -> MultiDict[str, str]:
    """The hidden inputs of ``form``, as the browser would post them."""
    return MultiDict([(i.attrs["name"], i.attrs.get("value", "")) for i in form.find_all("input", type="hidden")])


def inbox_rows(doc: Node) -> list[Node]:
    """The rows of the inbox table (none when the inbox is empty)."""
    tables = doc.find_all("table")
    return tables[0].find("tbody").find_all("tr") if tables else []


def row_keys(doc: Node) -> list[str]:
    """The case numbers (Mã hồ sơ) of the inbox rows, in order."""
    return [row.find("td").text() for row in inbox_rows(doc)]


def tab_counts(doc: Node) -> dict[str, int]:
    """Tab label → the count in its badge."""
    counts: dict[str, int] = {}
    for link in doc.find("nav", cls="tabs").find_all("a"):
        badge = link.find("span", cls="badge")
        label = link.text().removesuffix(badge.text()).strip()
        counts[label] = int(badge.text())
    return counts


def case_badges(doc: Node) -> list[str]:
    """The status and outcome badges under the case title."""
    line = next(p for p in doc.find("main").find_all("p") if p.find_all("span", cls="badge"))
    return [b.text() for b in line.find_all("span", cls="badge")]


def case_steps(doc: Node) -> list[tuple[str, str]]:
    """The completed steps: (task, who did it)."""
    section = next(s for s in doc.find_all("section") if s.find("h2").text() == "Các bước đã hoàn thành")
    rows = [r for body in section.find_all("tbody") for r in body.find_all("tr")]
    return [(r.find_all("td")[0].text(), r.find_all("td")[1].text()) for r in rows]


def case_waiting(doc: Node) -> Node:
    """The "Việc đang chờ" section."""
    return next(s for s in doc.find_all("section") if s.find("h2").text() == "Việc đang chờ")



def error_page(response: TestResponse, status: int) -> Node:
    """The response is the error page for ``status`` (never a trace); its tree."""
    assert response.status_code == status, response.get_data(as_text=True)[:3000]
    body = response.get_data(as_text=True)
    assert "Traceback" not in body and 'File "' not in body
    doc = parse(body)
    section = doc.find("section", cls="error-page")
    assert f"({status})" in section.find("h1").text()
    return doc


def error_message(response: TestResponse, status: int) -> str:
    """The message of the error page for ``status``."""
    return error_page(response, status).find("section", cls="error-page").find("p").text()


def vn_datetime(moment: dt.datetime) -> str:
    """HH:MM dd/mm/yyyy in Vietnam time, as people read it."""
    return moment.astimezone(VIETNAM_TZ).strftime("%H:%M %d/%m/%Y")


def vn_date(moment: dt.datetime) -> str:
    """dd/mm/yyyy of ``moment`` in Vietnam."""
    return moment.astimezone(VIETNAM_TZ).strftime("%d/%m/%Y")


def location(response: TestResponse) -> str:
    """Where a redirect points (path and query)."""
    assert response.status_code in (301, 302, 303), response.status_code
    return response.headers["Location"]


def case_path(response: TestResponse) -> int:
    """The case id a redirect to /cases/<id> points to."""
    match = re.fullmatch(r"/cases/(\d+)", location(response))
    assert match, location(response)
    return int(match[1])
