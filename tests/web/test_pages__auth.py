"""Sign-in pages: the form, refusals, throttling, sign-out, redirects, cookies, security headers and CSRF."""
from __future__ import annotations

import datetime as dt
import gc

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

import web
from services.backend import Backend
from services.db import utcnow
from services.models import User
from tests.support import PASSWORD
from tests.support import run
from tests.web.pages_support import HOA
from tests.web.pages_support import add_staff
from tests.web.pages_support import error_page
from tests.web.pages_support import flashes
from tests.web.pages_support import hidden_fields
from tests.web.pages_support import location
from tests.web.pages_support import login
from tests.web.pages_support import parse
from tests.web.pages_support import user

WRONG = "khong-phai-mat-khau"
REFUSED = "Tên đăng nhập hoặc mật khẩu không đúng"



@pytest.fixture
def staff(backend: Backend, cheap_passwords: None) -> None:
    """Lê Thị Hoa, commune official of 10001, and the rest of the loan's cast."""
    add_staff(backend)


def test_login_page_renders_the_form(client: FlaskClient) -> None:
    response = client.get("/login")
    assert response.status_code == 200
    doc = parse(response)
    assert doc.find("h1").text() == "Đăng nhập"
    form = doc.find("form", action="/login")
    assert form.attrs["method"] == "post"
    assert form.find("input", name="username").attrs.get("autocomplete") == "username"
    assert form.find("input", name="password").attrs["type"] == "password"
    assert doc.find("html").attrs["lang"] == "vi"


@pytest.mark.usefixtures("staff")
def test_right_password_opens_the_inbox(client: FlaskClient) -> None:
    response = login(client, HOA.username)
    assert location(response) == "/"
    inbox = client.get("/")
    assert inbox.status_code == 200
    assert parse(inbox).find("span", cls="who").text() == "Lê Thị Hoa"


@pytest.mark.usefixtures("staff")
def test_wrong_password_or_unknown_user_is_401_with_one_message(client: FlaskClient, subtests: pytest.Subtests) -> None:
    for username in (HOA.username, "khong.ton.tai"):
        with subtests.test(username=username):
            response = login(client, username, WRONG)
            assert response.status_code == 401
            doc = parse(response)
            assert REFUSED in flashes(doc)
            assert doc.find("input", name="username").attrs["value"] == username
            assert client.get("/").status_code == 302


@pytest.mark.usefixtures("staff")
def test_five_failures_lock_the_account_even_against_the_right_password(backend: Backend,
                                                                        client: FlaskClient) -> None:
    statuses = [login(client, HOA.username, WRONG).status_code for _ in range(5)]
    assert statuses == [401, 401, 401, 401, 429]
    locked = login(client, HOA.username)
    assert locked.status_code == 429
    [message] = flashes(parse(locked))
    assert "tạm khóa" in message and "15 phút" in message
    assert client.get("/").status_code == 302
    stored = user(backend, HOA.username)
    assert stored.locked_until is not None and stored.locked_until > utcnow() + dt.timedelta(minutes=14)

    # Once the lock has passed, the right password works again.
    run(backend, lambda s: s.execute(sa.update(User).where(User.username == HOA.username)
                                     .values(locked_until=utcnow() - dt.timedelta(seconds=1))))
    assert location(login(client, HOA.username)) == "/"
    assert user(backend, HOA.username).failed_logins == 0


@pytest.mark.usefixtures("staff")
def test_a_success_resets_the_failure_count(client: FlaskClient, app: Flask) -> None:
    for _ in range(4):
        assert login(client, HOA.username, WRONG).status_code == 401
    assert login(client, HOA.username).status_code == 302
    other = app.test_client()
    assert [login(other, HOA.username, WRONG).status_code for _ in range(4)] == [401] * 4


@pytest.mark.usefixtures("staff")
def test_logout_is_a_post_that_ends_the_session(client: FlaskClient) -> None:
    login(client, HOA.username)
    assert client.get("/").status_code == 200
    assert client.get("/logout").status_code == 405
    assert client.get("/").status_code == 200
    response = client.post("/logout")
    assert location(response) == "/login"
    assert "Bạn đã đăng xuất" in flashes(parse(client.get("/login")))
    assert location(client.get("/")).startswith("/login")


# Addresses of another site, and ones a browser would read as "//host" ("/\\host", "/<tab>/host").
ELSEWHERE = ["https://lua-dao.example/dang-nhap", "//lua-dao.example/", "http:/lua-dao.example", "javascript:alert(1)"]
READ_AS_ELSEWHERE = ["/\\lua-dao.example/", "%2F%5Clua-dao.example%2F", "/%09/lua-dao.example/"]


@pytest.mark.usefixtures("staff")
def test_next_pointing_to_another_site_is_ignored(client: FlaskClient, subtests: pytest.Subtests) -> None:
    for target in ELSEWHERE + READ_AS_ELSEWHERE:
        with subtests.test(next=target):
            sent_to = location(login(client, HOA.username, next_url=target))
            client.post("/logout")
            if target in ELSEWHERE:
                assert sent_to == "/"
            assert sent_to.startswith("/") and not sent_to.startswith("//")
            assert "\\" not in sent_to and "\t" not in sent_to


@pytest.mark.usefixtures("staff")
def test_next_inside_the_site_is_followed(client: FlaskClient) -> None:
    anonymous = client.get("/cases/new")
    assert location(anonymous) == "/login?next=%2Fcases%2Fnew"
    assert location(login(client, HOA.username, next_url="%2Fcases%2Fnew")) == "/cases/new"


@pytest.mark.usefixtures("staff")
def test_a_session_cookie_copied_before_logout_is_dead_after_it(app: Flask, client: FlaskClient) -> None:
    login(client, HOA.username)
    cookie = client.get_cookie("session")
    assert cookie is not None
    client.post("/logout")
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    assert location(thief.get("/")).startswith("/login")


@pytest.mark.usefixtures("staff")
def test_disabled_user_cannot_sign_in(backend: Backend, client: FlaskClient) -> None:
    run(backend, lambda s: s.execute(sa.update(User).where(User.username == HOA.username).values(is_active=False)))
    response = login(client, HOA.username)
    assert response.status_code == 401
    assert REFUSED in flashes(parse(response))
    assert location(client.get("/")).startswith("/login")


@pytest.mark.usefixtures("staff")
def test_disabled_user_loses_an_open_session(backend: Backend, client: FlaskClient) -> None:
    login(client, HOA.username)
    assert client.get("/").status_code == 200
    run(backend, lambda s: s.execute(sa.update(User).where(User.username == HOA.username).values(is_active=False)))
    assert location(client.get("/")).startswith("/login")


@pytest.mark.usefixtures("staff")
def test_session_cookie_is_http_only_and_same_site_lax(client: FlaskClient) -> None:
    response = login(client, HOA.username)
    cookies = response.headers.getlist("Set-Cookie")
    [session_cookie] = [c for c in cookies if c.startswith("session=")]
    attributes = {part.strip().split("=")[0].lower(): part for part in session_cookie.split(";")}
    assert "httponly" in attributes
    assert attributes["samesite"].strip() == "SameSite=Lax"


@pytest.mark.usefixtures("staff")
def test_security_headers_on_every_answer(client: FlaskClient, subtests: pytest.Subtests) -> None:
    for path in ("/login", "/khong-co-trang-nay", "/static/css/app.css", "/"):
        with subtests.test(path=path):
            response = client.get(path)
            response.close()
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert response.headers["X-Frame-Options"] == "DENY"
            csp = response.headers["Content-Security-Policy"]
            assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp


@pytest.mark.usefixtures("staff")
def test_with_csrf_on_a_post_without_token_is_refused_with_400(backend: Backend) -> None:
    app = web.create_app({"TESTING": True}, backend=backend)
    client = app.test_client()
    refused = login(client, HOA.username)
    doc = error_page(refused, 400)
    assert doc.find("h1").text().startswith("Dữ liệu không hợp lệ")
    assert location(client.get("/")).startswith("/login")

    # The same sign-in with the token the form carries goes through.
    token = (hidden_fields(parse(client.get("/login")).find("form", action="/login")))["csrf_token"]
    accepted = client.post("/login", data={"username": HOA.username, "password": PASSWORD, "csrf_token": token})
    assert location(accepted) == "/"


# --- the request's database connection --------------------------------------------------------------------------

@pytest.mark.usefixtures("staff")
def test_a_page_request_gives_its_connection_back(backend: Backend) -> None:
    app = web.create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, backend=backend)
    hoa = app.test_client()
    assert login(hoa, HOA.username).status_code == 302
    gc.collect()
    try:
        # Signing in runs a command, whose connection the thread keeps on SQLite (Backend.transaction); no other.
        kept = backend.engine.pool.checkedout()  # type: ignore[attr-defined]
        assert kept == (1 if backend.engine.dialect.name == "sqlite" else 0)
        assert hoa.get("/").status_code == 200
        assert backend.engine.pool.checkedout() == kept  # type: ignore[attr-defined]
    finally:
        gc.collect()  # hands the leaked connection back, so the next test's TRUNCATE is not blocked
