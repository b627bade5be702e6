"""Attachments on pages and in the API: sent with a task form, listed on the case page, downloaded by its readers."""
from __future__ import annotations

import io
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.test import TestResponse

import web
import web.api_attachments  # noqa: F401  (adds the upload route to the API blueprint before any app exists)
from services import users
from services.backend import Backend
from services.models import Attachment
from services.models import AuditEvent
from services.models import HumanTask
from tests.support import read
from tests.support import reentry_cli
from tests.support import run
from tests.web.pages_support import AN
from tests.web.pages_support import CUONG
from tests.web.pages_support import HOA
from tests.web.pages_support import MAI
from tests.web.pages_support import Node
from tests.web.pages_support import add_staff
from tests.web.pages_support import as_form
from tests.web.pages_support import case_path
from tests.web.pages_support import dossier
from tests.web.pages_support import error_page
from tests.web.pages_support import field_errors
from tests.web.pages_support import field_value
from tests.web.pages_support import open_task
from tests.web.pages_support import parse
from tests.web.pages_support import signed_in
from tests.web.pages_support import start_draft

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n" + b"0" * 2000 + b"\n%%EOF\n"
CERTIFICATE = "release_certificate_scan"
NAME = "Giấy chứng nhận đặc xá.pdf"
LIMIT = 64 * 1024


@pytest.fixture
def app(backend: Backend, tmp_path: Path, cheap_passwords: None) -> Flask:
    """The app with its attachment folder in this test's temporary folder, a 64 KB limit and the loan's cast."""
    add_staff(backend)
    config = {"TESTING": True, "WTF_CSRF_ENABLED": False, "ATTACHMENTS_DIR": tmp_path / "files",
              "ATTACHMENT_MAX_BYTES": LIMIT}
    return web.create_app(config, backend=backend)


def post_form(app: Flask, task_id: str, data: dict[str, Any], files: dict[str, Any]) -> TestResponse:
    """Nguyễn Văn An posts the task form of ``task_id`` with ``files`` (field → (stream, name)), as a browser does."""
    return signed_in(app, AN).post(f"/tasks/{task_id}", data={**as_form(data), **files},
                                   content_type="multipart/form-data")


def pdf(name: str = NAME, content: bytes = PDF) -> tuple[io.BytesIO, str]:
    """A file part of a multipart post."""
    return io.BytesIO(content), name


def stored(backend: Backend) -> list[Attachment]:
    """Every attachment row, oldest first."""
    return read(backend, lambda s: list(s.scalars(sa.select(Attachment).order_by(Attachment.id))))


def files_table(doc: Node) -> list[Node]:
    """The rows of the case page's "Tệp đính kèm" table."""
    heading = next(h for h in doc.find_all("h2") if h.text() == "Tệp đính kèm")
    return heading.closest("section").find("tbody").find_all("tr")


def test_a_pdf_sent_with_the_dossier_is_listed_and_downloaded_by_its_commune(app: Flask, backend: Backend,
                                                                            db_url: str) -> None:
    """The officer attaches the certificate; the commune of the dossier downloads it, another commune gets 404."""
    task_id = open_task(backend, start_draft(backend), "compile_dossier")
    page = parse(signed_in(app, AN).get(f"/tasks/{task_id}"))
    form = page.find("form", action=f"/tasks/{task_id}")
    assert form.attrs["enctype"] == "multipart/form-data"
    assert form.find("input", name=CERTIFICATE).attrs["type"] == "file"

    response = post_form(app, task_id, dossier(), {CERTIFICATE: pdf()})
    instance_id = case_path(response)
    row = stored(backend)[0]
    assert (row.file_name, row.content_type, row.size, row.task_id) == (NAME, "application/pdf", len(PDF), task_id)

    commune = signed_in(app, HOA)
    cells = [td.text() for td in files_table(parse(commune.get(f"/cases/{instance_id}")))[0].find_all("td")]
    assert cells[0] == NAME and cells[2] == "2 KB" and cells[3] == f"{row.sha256[:12]}…"
    assert cells[4] == AN.full_name
    download = commune.get(f"/attachments/{row.id}")
    assert download.status_code == 200 and download.data == PDF
    assert download.mimetype == "application/pdf"
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and f"filename*=UTF-8''{quote(NAME, safe='.')}" in disposition
    for outsider in (MAI, CUONG):
        error_page(signed_in(app, outsider).get(f"/attachments/{row.id}"), 404)

    event = read(backend, lambda s: s.scalars(sa.select(AuditEvent).where(AuditEvent.task_id == task_id)).one())
    assert [ref["sha256"] for ref in event.data[CERTIFICATE]] == [row.sha256]
    verified = reentry_cli(db_url, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_a_text_file_named_pdf_is_refused_next_to_its_field(app: Flask, backend: Backend) -> None:
    """The type is read from the content: the form comes back with the error under the file field, nothing stored."""
    task_id = open_task(backend, start_draft(backend), "compile_dossier")
    response = post_form(app, task_id, dossier(), {CERTIFICATE: pdf("gcn.pdf", b"Khong phai PDF")})
    assert response.status_code == 400
    doc = parse(response)
    assert field_errors(doc, CERTIFICATE) == ["Chỉ nhận tệp PDF, JPEG hoặc PNG (gcn.pdf)",
                                              "Tệp vừa chọn chưa được lưu; vui lòng chọn lại"]
    assert field_value(doc, "full_name") == "Trần Văn Bình"
    assert stored(backend) == []
    assert read(backend, lambda s: s.get_one(HumanTask, task_id).status) == "open"


def test_a_file_over_the_limit_is_refused(app: Flask, backend: Backend) -> None:
    """ATTACHMENT_MAX_BYTES bounds each file."""
    task_id = open_task(backend, start_draft(backend), "compile_dossier")
    big = PDF + b"0" * LIMIT
    response = post_form(app, task_id, dossier(), {CERTIFICATE: pdf("ban chup lon.pdf", big)})
    assert response.status_code == 400
    assert field_errors(parse(response), CERTIFICATE)[0] == "Tệp vượt quá dung lượng cho phép 64 KB (ban chup lon.pdf)"
    assert stored(backend) == []


def test_a_returned_dossier_shows_its_files_and_a_ticked_one_leaves_it(app: Flask, backend: Backend) -> None:
    """After a return the form lists the attached files; the one ticked for removal leaves the dossier."""
    draft = start_draft(backend)
    two = {CERTIFICATE: [pdf(), pdf("2.pdf", PDF + b"2")]}
    post_form(app, open_task(backend, draft, "compile_dossier"), dossier(), two)
    signed_in(app, HOA).post(f"/tasks/{open_task(backend, draft, 'confirm_at_commune')}",
                             data={"decision": "return", "comment": "Bản chụp trang 1 bị mờ"})
    again = open_task(backend, draft, "compile_dossier")
    first, second = stored(backend)
    page = parse(signed_in(app, AN).get(f"/tasks/{again}"))
    ticks = page.find_all("input", name=f"{CERTIFICATE}-remove")
    assert [t.attrs["value"] for t in ticks] == [str(first.id), str(second.id)]

    response = post_form(app, again, dossier(), {f"{CERTIFICATE}-remove": str(first.id)})
    assert response.status_code == 302
    rows = files_table(parse(signed_in(app, AN).get(f"/cases/{draft}")))
    assert [r.find("a").text() for r in rows] == [NAME, "2.pdf"]
    assert "không còn trong hồ sơ" in rows[0].text() and "không còn trong hồ sơ" not in rows[1].text()


def test_files_sent_with_the_start_form_are_kept(app: Flask, backend: Backend) -> None:
    """Creating a case with its first form submitted stores the files in the same transaction."""
    response = signed_in(app, AN).post("/cases/new/loan_dossier", data={**as_form(dossier()), CERTIFICATE: pdf()},
                                       content_type="multipart/form-data")
    instance_id = case_path(response)
    assert [(r.instance_id, r.file_name) for r in stored(backend)] == [(instance_id, NAME)]


def test_the_api_upload_answers_an_attachment_ref(app: Flask, backend: Backend) -> None:
    """POST /api/v1/instances/{id}/attachments stores one file and answers the ref the completion data carries."""
    instance_id = start_draft(backend)
    task_id = open_task(backend, instance_id, "compile_dossier")
    client = app.test_client()

    def send(who: str, body: dict[str, Any], language: str = "vi") -> TestResponse:
        token, _ = run(backend, lambda s: users.issue_token(s, users.get_user(s, who)))
        return client.post(f"/api/v1/instances/{instance_id}/attachments", data=body,
                           content_type="multipart/form-data",
                           headers={"Authorization": f"Bearer {token}", "Accept-Language": language})

    response = send(AN.username, {"file": pdf(), "task_id": task_id, "field": CERTIFICATE})
    assert response.status_code == 201, response.get_json()
    row = stored(backend)[0]
    assert response.get_json() == {"id": row.id, "name": NAME, "sha256": row.sha256, "size": len(PDF),
                                   "content_type": "application/pdf"}
    refused = send(AN.username, {"file": pdf("x.pdf", b"GIF89a"), "task_id": task_id, "field": CERTIFICATE}, "en")
    assert refused.status_code == 400
    assert refused.get_json()["errors"] == [{"field": CERTIFICATE,
                                             "message": "Only PDF, JPEG or PNG files are accepted (x.pdf)"}]
    missing = send(AN.username, {"task_id": task_id})
    assert [e["field"] for e in missing.get_json()["errors"]] == ["file", "field"]
    assert send(CUONG.username, {"file": pdf(), "task_id": task_id, "field": CERTIFICATE}).status_code == 404
