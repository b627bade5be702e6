"""Administration pages: users and their groups, process versions, deployment by upload."""
from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import select
from werkzeug.test import TestResponse

from services import cases
from services import users
from services.backend import Backend
from services.models import ProcessVersion
from services.models import User
from tests.support import PASSWORD
from tests.support import read
from tests.support import run

pytestmark = pytest.mark.usefixtures("cheap_passwords")

BPMN = Path(__file__).resolve().parents[2] / "bpmn"
ADMIN = "quantri"
NEW_PASSWORD = "mat-khau-moi-da-doi"

ROUTES = [
    ("GET", "/admin/"),
    ("GET", "/admin/users"),
    ("GET", "/admin/users/new"),
    ("POST", "/admin/users/new"),
    ("GET", "/admin/users/{user}"),
    ("POST", "/admin/users/{user}"),
    ("POST", "/admin/users/{user}/password"),
    ("POST", "/admin/users/{user}/active"),
    ("GET", "/admin/processes"),
    ("GET", "/admin/processes/{version}"),
    ("GET", "/admin/processes/{version}/diagram.xml"),
    ("GET", "/admin/processes/deploy"),
    ("POST", "/admin/processes/deploy"),
]


# --- helpers -------------------------------------------------------------------------------------------------


def add_user(backend: Backend, username: str, groups: list[str], **extra: str) -> int:
    """A user with the shared test password; returns their id."""
    return run(backend, lambda s: users.add_user(s, username, PASSWORD, groups, **extra).id)


def login(client: FlaskClient, username: str, password: str = PASSWORD) -> TestResponse:
    """Sign in through the login form; lands on the admin users page when it works."""
    return client.post("/login?next=/admin/users", data={"username": username, "password": password})


def get_user(backend: Backend, username: str) -> User:
    """The stored user row."""
    return read(backend, lambda s: users.get_user(s, username))


def version_count(backend: Backend) -> int:
    """How many versions of the loan process are deployed (these tests change the loan diagram)."""
    return read(backend, lambda s: s.scalar(select(func.count()).select_from(ProcessVersion).where(
        ProcessVersion.process_key == "loan_dossier")) or 0)


def latest(backend: Backend) -> ProcessVersion:
    """The newest deployed version of the loan process."""
    version = read(backend, lambda s: s.scalars(select(ProcessVersion).where(
        ProcessVersion.process_key == "loan_dossier").order_by(ProcessVersion.id.desc())).first())
    assert version is not None
    return version


def field_block(html: str, name: str) -> str:
    """The markup of the form field whose input is named ``name`` (label, input, help, messages)."""
    blocks = re.split(r'(?=<(?:div|fieldset) class="field)', html)
    found = [b for b in blocks[1:] if f'name="{name}"' in b]
    assert found, f"no field {name!r} on the page"
    return found[0].split("</div>", 1)[0] if found[0].startswith("<div") else found[0].split("</fieldset>", 1)[0]


def bpmn_files() -> dict[str, bytes]:
    """The real diagrams, decision tables and forms, keyed by their path under bpmn/."""
    return {p.relative_to(BPMN).as_posix(): p.read_bytes() for p in sorted(BPMN.rglob("*")) if p.is_file()}


def upload(client: FlaskClient, files: dict[str, bytes]) -> TestResponse:
    """POST files to the deploy form as a browser does (base names only)."""
    data = {"files": [(io.BytesIO(content), name.rsplit("/", 1)[-1]) for name, content in files.items()]}
    return client.post("/admin/processes/deploy", data=data, content_type="multipart/form-data")


def zipped(files: dict[str, bytes]) -> bytes:
    """A zip archive holding ``files`` under the given paths."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def text(response: TestResponse) -> str:
    """The response body as text."""
    return response.get_data(as_text=True)


# --- fixtures ------------------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(backend: Backend, client: FlaskClient) -> FlaskClient:
    """A client signed in as an administrator."""
    add_user(backend, ADMIN, ["admin"], full_name="Quản Trị Viên")
    assert login(client, ADMIN).status_code == 302
    return client


@pytest.fixture
def officer(backend: Backend) -> int:
    """A police officer's user id."""
    return add_user(backend, "canbo.xa", ["police"], unit="26734", full_name="Nguyễn Văn Bình")


@pytest.fixture
def empty_registry(backend: Backend) -> None:
    """No process deployed yet (the backend fixture deploys bpmn/; no case pins those versions)."""
    run(backend, lambda s: s.execute(delete(ProcessVersion)))


# --- access --------------------------------------------------------------------------------------------------


def _paths(backend: Backend, user_id: int) -> list[tuple[str, str]]:
    version_id = latest(backend).id
    return [(method, path.format(user=user_id, version=version_id)) for method, path in ROUTES]


def test_non_admin_gets_403_on_every_admin_route(backend: Backend, client: FlaskClient, officer: int) -> None:
    """Signed-in users outside the admin group are refused everywhere under /admin."""
    assert login(client, "canbo.xa").status_code == 302
    for method, path in _paths(backend, officer):
        response = client.open(path, method=method, data={"active": "0", "confirm": "1", "password": NEW_PASSWORD})
        assert response.status_code == 403, (method, path)
    assert get_user(backend, "canbo.xa").is_active


def test_anonymous_is_sent_to_login(backend: Backend, client: FlaskClient, officer: int) -> None:
    """Without a session every admin route redirects to the sign-in page."""
    for method, path in _paths(backend, officer):
        response = client.open(path, method=method)
        assert response.status_code == 302, (method, path)
        assert response.headers["Location"].startswith("/login"), (method, path)


# --- users ---------------------------------------------------------------------------------------------------


def test_create_user(backend: Backend, admin_client: FlaskClient) -> None:
    """A valid form creates an active user with the chosen groups and unit."""
    response = admin_client.post("/admin/users/new", data={
        "username": "thamdinh.nh", "full_name": "Trần Thị Hoa", "password": PASSWORD,
        "groups": ["bank_appraiser", "auditor"], "unit": "PGD-01"})
    assert response.status_code == 302
    user = get_user(backend, "thamdinh.nh")
    assert (user.full_name, user.groups, user.unit, user.is_active) == (
        "Trần Thị Hoa", frozenset({"bank_appraiser", "auditor"}), "PGD-01", True)
    listing = text(admin_client.get(response.headers["Location"], follow_redirects=True))
    assert "Đã thêm người dùng thamdinh.nh" in listing
    assert login(admin_client.application.test_client(), "thamdinh.nh").status_code == 302


def test_new_user_form_offers_every_group_with_its_vietnamese_label(admin_client: FlaskClient) -> None:
    """The groups are checkboxes labelled as DESIGN §1 names them."""
    page = text(admin_client.get("/admin/users/new"))
    for group in users.GROUPS:
        assert f'name="groups" value="{group}"' in page
    assert "NHCSXH — cán bộ thẩm định" in page
    assert 'name="csrf_token"' in page


VALID_FORM = {"username": "giaodich.vien", "full_name": "Lê Văn Cường", "password": PASSWORD,
              "groups": ["bank_teller"], "unit": "PGD-02"}


@pytest.mark.parametrize(("field", "value", "message"), [
    ("username", "AB", "Tên đăng nhập gồm 3–64 ký tự"),
    ("password", "ngan", "Phải có ít nhất 10 ký tự"),
    ("groups", [], "Chọn ít nhất một nhóm"),
    ("groups", ["police", "wizard"], "Giá trị không nằm trong danh sách cho phép"),
    ("unit", "X" * 33, "Không được quá 32 ký tự"),
    ("full_name", "Y" * 201, "Không được quá 200 ký tự"),
])
def test_create_user_shows_each_error_next_to_its_field(backend: Backend, admin_client: FlaskClient, field: str,
                                                        value: str | list[str], message: str) -> None:
    """A refused form comes back with the message beside the field at fault, and nothing is written."""
    response = admin_client.post("/admin/users/new", data={**VALID_FORM, field: value})
    assert response.status_code == 400
    block = field_block(text(response), field)
    assert message in block
    assert "has-error" in block
    assert read(backend, lambda s: s.scalar(select(User).where(User.username == "giaodich.vien"))) is None


def test_create_user_errors_follow_the_interface_language(admin_client: FlaskClient) -> None:
    """In English the same error reads in English."""
    admin_client.post("/lang/en", data={"next": "/admin/users"})
    response = admin_client.post("/admin/users/new", data={**VALID_FORM, "password": "short"})
    assert "Must have at least 10 characters" in field_block(text(response), "password")


def test_duplicate_username_is_refused(admin_client: FlaskClient, officer: int) -> None:
    """A username already taken is named next to the username field."""
    response = admin_client.post("/admin/users/new", data={**VALID_FORM, "username": "canbo.xa"})
    assert response.status_code == 400
    assert "Giá trị bị trùng: canbo.xa" in field_block(text(response), "username")


def test_edit_groups_unit_and_full_name(backend: Backend, admin_client: FlaskClient, officer: int) -> None:
    """The edit form replaces the full name, the groups and the unit."""
    response = admin_client.post(f"/admin/users/{officer}", data={
        "full_name": "Nguyễn Văn Bính", "groups": ["police", "auditor"], "unit": "26737"})
    assert response.status_code == 302
    user = get_user(backend, "canbo.xa")
    assert (user.full_name, user.groups, user.unit) == ("Nguyễn Văn Bính", frozenset({"police", "auditor"}), "26737")


def test_edit_without_groups_is_refused(backend: Backend, admin_client: FlaskClient, officer: int) -> None:
    """Every user keeps at least one group."""
    response = admin_client.post(f"/admin/users/{officer}", data={"full_name": "X", "unit": ""})
    assert response.status_code == 400
    assert "Chọn ít nhất một nhóm" in field_block(text(response), "groups")
    assert get_user(backend, "canbo.xa").groups == {"police"}


def test_admin_cannot_leave_the_admin_group(backend: Backend, admin_client: FlaskClient) -> None:
    """Removing one's own admin group would lock the administrator out."""
    me = get_user(backend, ADMIN).id
    response = admin_client.post(f"/admin/users/{me}", data={"full_name": "Q", "groups": ["auditor"], "unit": ""})
    assert response.status_code == 400
    assert get_user(backend, ADMIN).groups == {"admin"}


def test_disable_asks_for_confirmation_then_blocks_sign_in(backend: Backend, app: Flask,
                                                            admin_client: FlaskClient, officer: int) -> None:
    """A POST without confirm=1 only asks; the confirmed one disables, and the user can no longer sign in."""
    asked = admin_client.post(f"/admin/users/{officer}/active", data={"active": "0"})
    assert asked.status_code == 200
    assert 'name="confirm" value="1"' in text(asked)
    assert get_user(backend, "canbo.xa").is_active
    done = admin_client.post(f"/admin/users/{officer}/active", data={"active": "0", "confirm": "1"})
    assert done.status_code == 302
    assert not get_user(backend, "canbo.xa").is_active
    assert login(app.test_client(), "canbo.xa").status_code == 401
    admin_client.post(f"/admin/users/{officer}/active", data={"active": "1", "confirm": "1"})
    assert login(app.test_client(), "canbo.xa").status_code == 302


def test_disabled_user_loses_their_open_session(app: Flask, admin_client: FlaskClient, officer: int) -> None:
    """Someone signed in when disabled is signed out on their next request."""
    other = app.test_client()
    assert login(other, "canbo.xa").status_code == 302
    admin_client.post(f"/admin/users/{officer}/active", data={"active": "0", "confirm": "1"})
    assert other.get("/admin/users").headers["Location"].startswith("/login")


def test_admin_cannot_disable_themselves(backend: Backend, admin_client: FlaskClient) -> None:
    """Refused with 403, before and after the confirmation step."""
    me = get_user(backend, ADMIN).id
    for data in ({"active": "0"}, {"active": "0", "confirm": "1"}):
        response = admin_client.post(f"/admin/users/{me}/active", data=data)
        assert response.status_code == 403
        assert "Bạn không thể tự vô hiệu hóa tài khoản của mình" in text(response)
    assert get_user(backend, ADMIN).is_active


def test_reset_password(app: Flask, admin_client: FlaskClient, officer: int) -> None:
    """The new password works and the old one no longer does; a short one is refused beside its field."""
    short = admin_client.post(f"/admin/users/{officer}/password", data={"password": "ngan"})
    assert short.status_code == 400
    assert "Phải có ít nhất 10 ký tự" in field_block(text(short), "password")
    assert admin_client.post(f"/admin/users/{officer}/password", data={"password": NEW_PASSWORD}).status_code == 302
    assert login(app.test_client(), "canbo.xa").status_code == 401
    assert login(app.test_client(), "canbo.xa", NEW_PASSWORD).status_code == 302


def test_unknown_user_is_404(admin_client: FlaskClient) -> None:
    """Pages of a user that does not exist answer 404."""
    assert admin_client.get("/admin/users/999999").status_code == 404
    assert admin_client.post("/admin/users/999999/password", data={"password": NEW_PASSWORD}).status_code == 404


def test_user_list_searches_without_diacritics_and_pages_by_20(backend: Backend, admin_client: FlaskClient) -> None:
    """'nguyen' finds 'Nguyễn'; 26 users make two pages; a search without matches says so."""
    run(backend, lambda s: s.add_all(
        User(username=f"nguoi{n:02d}", full_name="Nguyễn Thị Lan" if n == 7 else f"Người thử {n}",
             password_hash="-", group_list=",police,") for n in range(25)))
    first = text(admin_client.get("/admin/users"))
    assert "nguoi19" in first and "nguoi20" not in first
    second = text(admin_client.get("/admin/users?page=2"))
    assert "nguoi20" in second and "nguoi24" in second and "nguoi00" not in second
    found = text(admin_client.get("/admin/users?q=nguyen+thi"))
    assert "nguoi07" in found and "nguoi08" not in found
    assert "Không có người dùng nào" in text(admin_client.get("/admin/users?q=khong-co-ai"))


# --- processes -----------------------------------------------------------------------------------------------


def test_process_list_shows_every_version(backend: Backend, admin_client: FlaskClient, officer: int) -> None:
    """Key, version, short hash, deployer and the number of cases pinned to each version."""
    run(backend, lambda s: cases.start_case(s, backend.runtime, users.get_user(s, "canbo.xa"), "loan_dossier"))
    version = latest(backend)
    page = text(admin_client.get("/admin/processes"))
    row = page.split(f'href="/admin/processes/{version.id}"', 1)[1].split("</tr>", 1)[0]
    assert version.process_key in page
    assert version.version_hash[:12] in row
    assert "<td>tests</td>" in row
    assert row.rstrip().endswith("<td>1</td>")


def test_version_page_shows_files_and_diagram(backend: Backend, admin_client: FlaskClient) -> None:
    """The version page lists its files and mounts the bpmn-js viewer on the diagram's XML."""
    version = latest(backend)
    response = admin_client.get(f"/admin/processes/{version.id}")
    assert response.status_code == 200
    page = text(response)
    assert "loan_dossier.bpmn" in page
    assert "forms/compile_dossier.schema.json" in page
    assert f'data-xml-url="/admin/processes/{version.id}/diagram.xml"' in page
    for asset in ("diagram-js.css", "bpmn-js.css", "bpmn-font/css/bpmn.css",
                  "bpmn-navigated-viewer.production.min.js", "js/diagram.js"):
        assert asset in page


def test_diagram_xml_is_served(backend: Backend, admin_client: FlaskClient) -> None:
    """The version's BPMN file, as XML."""
    version = latest(backend)
    response = admin_client.get(f"/admin/processes/{version.id}/diagram.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response.get_data() == (BPMN / "loan_dossier.bpmn").read_bytes()
    assert admin_client.get("/admin/processes/999999/diagram.xml").status_code == 404


@pytest.mark.usefixtures("empty_registry")
def test_deploy_upload_creates_a_version_once(backend: Backend, admin_client: FlaskClient) -> None:
    """The real bpmn/ files make version 1; the same upload again changes nothing."""
    first = upload(admin_client, bpmn_files())
    assert first.status_code == 200
    assert "phiên bản mới" in text(first)
    created = latest(backend)
    assert (created.process_key, created.version, created.deployed_by) == ("loan_dossier", 1, ADMIN)
    again = upload(admin_client, bpmn_files())
    assert again.status_code == 200
    assert "không thay đổi" in text(again) and "phiên bản mới" not in text(again)
    assert version_count(backend) == 1


def _without_default(xml: str) -> str:
    return xml.replace(' default="flow_eligible_no"', "", 1)


def _syntax_error(xml: str) -> str:
    return xml.replace("</bpmn:exclusiveGateway>", "</bpmn:exclusiveGatewa>", 1)


@pytest.mark.parametrize(("breakage", "expected"), [
    (_without_default, ["loan_dossier.bpmn", "dòng", "gw_eligible", "cổng rẽ nhánh thiếu luồng mặc định"]),
    (_syntax_error, ["loan_dossier.bpmn", "dòng", "XML không hợp lệ"]),
])
def test_broken_diagram_is_refused_with_every_problem(backend: Backend, admin_client: FlaskClient,
                                                      breakage: Callable[[str], str], expected: list[str]) -> None:
    """A broken upload answers 400 naming file, line and element; the running version stays."""
    before = latest(backend)
    files = bpmn_files()
    files["loan_dossier.bpmn"] = breakage(files["loan_dossier.bpmn"].decode()).encode()
    response = upload(admin_client, files)
    assert response.status_code == 400
    page = text(response)
    for part in expected:
        assert part in page
    assert (latest(backend).id, version_count(backend)) == (before.id, 1)


@pytest.mark.parametrize("folder", ["bpmn/", ""])
def test_zip_upload_matches_the_cli_deployment(backend: Backend, admin_client: FlaskClient, folder: str) -> None:
    """A zipped bpmn/ folder (or its contents) has the version hash of `reentry deploy`; a change makes version 2."""
    files = {f"{folder}{name}": content for name, content in bpmn_files().items()}
    same = upload(admin_client, {"bpmn.zip": zipped(files)})
    assert same.status_code == 200
    assert "không thay đổi" in text(same)
    diagram = f"{folder}loan_dossier.bpmn"
    files[diagram] = files[diagram].replace(b'exporterVersion="1"', b'exporterVersion="2"')
    changed = upload(admin_client, {"bpmn.zip": zipped(files)})
    assert "phiên bản mới" in text(changed)
    assert (latest(backend).version, version_count(backend)) == (2, 2)


@pytest.mark.parametrize("entry", ["../evil.bpmn", "/etc/evil.bpmn", "forms/../../evil.json"])
def test_zip_with_escaping_paths_is_refused(backend: Backend, admin_client: FlaskClient, entry: str) -> None:
    """Absolute paths and '..' in a zip are refused by name."""
    files = {**bpmn_files(), entry: b"<x/>"}
    response = upload(admin_client, {"bpmn.zip": zipped(files)})
    assert response.status_code == 400
    assert entry in text(response)
    assert version_count(backend) == 1


def test_upload_of_other_file_types_is_refused(admin_client: FlaskClient) -> None:
    """Only .bpmn, .dmn, .json or a single .zip are accepted."""
    response = upload(admin_client, {"notes.txt": b"hello", **bpmn_files()})
    assert response.status_code == 400
    assert "notes.txt" in text(response)


def test_upload_over_the_size_limit_is_refused(app: Flask, admin_client: FlaskClient) -> None:
    """MAX_CONTENT_LENGTH bounds an upload."""
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = upload(admin_client, bpmn_files())
    assert response.status_code == 413
