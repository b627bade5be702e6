"""The administrator sets an auditor's scope on the user pages: codes typed in one box, refusals under it."""
from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from services import users
from services.backend import Backend
from services.models import User
from tests.support import PASSWORD
from tests.support import read
from tests.support import run
from tests.web.pages_support import field_errors
from tests.web.pages_support import field_value
from tests.web.pages_support import location
from tests.web.pages_support import parse
from tests.web.pages_support import signed_in

pytestmark = pytest.mark.usefixtures("cheap_passwords")
ADMIN = "quantri"


@pytest.fixture
def admin(app: Flask, backend: Backend) -> FlaskClient:
    """A browser of the administrator."""
    run(backend, lambda s: users.add_user(s, ADMIN, PASSWORD, ["admin"], full_name="Đặng Thu Trang"))
    return signed_in(app, ADMIN)


def audit_units(backend: Backend, username: str) -> frozenset[str]:
    """The scope stored for ``username``."""
    return read(backend, lambda s: users.get_user(s, username).audit_units)


def test_a_new_auditor_gets_the_units_typed_and_the_edit_page_shows_them(admin: FlaskClient,
                                                                        backend: Backend) -> None:
    response = admin.post("/admin/users/new", data={
        "username": "thanhtra.son", "password": PASSWORD, "groups": "auditor", "full_name": "Ngô Văn Sơn",
        "audit_units": "10002, 10001;10002\n10003"})
    page = parse(admin.get(location(response)))
    assert audit_units(backend, "thanhtra.son") == {"10001", "10002", "10003"}
    assert field_value(page, "audit_units") == "10001, 10002, 10003"


def test_clearing_the_box_makes_the_auditor_province_wide(admin: FlaskClient, backend: Backend) -> None:
    user_id = run(backend, lambda s: users.add_user(s, "thanhtra.son", PASSWORD, ["auditor"],
                                                    audit_units=["10001"]).id)
    response = admin.post(f"/admin/users/{user_id}", data={"full_name": "Ngô Văn Sơn", "groups": "auditor",
                                                          "audit_units": " "})
    assert response.status_code == 302
    assert audit_units(backend, "thanhtra.son") == frozenset()


@pytest.mark.parametrize(("groups", "typed", "message"), [
    ("police", "10001", "Chỉ người dùng nhóm Thanh tra / kiểm toán mới có phạm vi kiểm toán; hãy để trống hoặc "
                        "chọn nhóm đó"),
    ("auditor", "10001, xã#2", "Mã đơn vị không hợp lệ: xã#2; mỗi mã gồm 1–32 chữ cái, chữ số, dấu chấm, gạch "
                               "dưới hoặc gạch ngang"),
])
def test_a_bad_scope_is_shown_under_its_box_and_nothing_is_saved(admin: FlaskClient, backend: Backend, groups: str,
                                                                 typed: str, message: str) -> None:
    created = admin.post("/admin/users/new", data={"username": "thanhtra.son", "password": PASSWORD,
                                                   "groups": groups, "audit_units": typed})
    assert created.status_code == 400
    page = parse(created)
    assert field_errors(page, "audit_units") == [message]
    assert field_value(page, "audit_units") == typed
    assert read(backend, lambda s: s.scalar(select(User.id).where(User.username == "thanhtra.son"))) is None

    user_id = run(backend, lambda s: users.add_user(s, "thanhtra.son", PASSWORD, ["auditor"]).id)
    edited = admin.post(f"/admin/users/{user_id}", data={"full_name": "S", "groups": groups, "audit_units": typed})
    assert edited.status_code == 400 and field_errors(parse(edited), "audit_units") == [message]
    assert read(backend, lambda s: users.get_user(s, "thanhtra.son").groups) == {"auditor"}


def test_the_scope_box_is_in_english_too(admin: FlaskClient) -> None:
    admin.post("/lang/en", data={"next": "/admin/users/new"})
    page = parse(admin.get("/admin/users/new"))
    label = page.find("label", **{"for": "audit_units"}).text()
    assert label == "Audit scope"
