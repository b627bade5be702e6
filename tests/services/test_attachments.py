"""Attachments: checked by content and size, stored by sha256 with the completion, hashed into the audit chain."""
from __future__ import annotations

import hashlib
import io
import unicodedata
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from services import attachments
from services import audit
from services import cases
from services import users
from services.attachments import FormFiles
from services.attachments import Storage
from services.attachments import Upload
from services.backend import Backend
from services.errors import InvalidInput
from services.errors import NotAllowed
from services.errors import NotFound
from services.errors import TaskAlreadyCompleted
from services.models import Attachment
from services.models import AuditEvent
from services.models import HumanTask
from services.models import ProcessInstance
from tests.support import PASSWORD
from tests.support import loan_dossier
from tests.support import read
from tests.support import reentry_cli
from tests.support import run

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n" + b"0" * 2000 + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"1" * 500
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"2" * 700
OWN, OTHER = "10001", "10002"
CAST = [("an.police", "police", OWN), ("cuong.police", "police", OTHER), ("hoa.ubnd", "commune", OWN),
        ("mai.ubnd", "commune", OTHER), ("khanh.tt", "auditor", None)]
CERTIFICATE = "release_certificate_scan"
ID_CARD = "citizen_id_card_scan"


def dossier(**changes: Any) -> dict[str, Any]:
    """The compile form of Trần Văn Bình, amnestied 300 days ago."""
    return loan_dossier(**({"residence_commune_code": OWN} | changes))


def upload(field: str, name: str, content: bytes) -> Upload:
    """A file as a form post carries it."""
    return Upload(field, name, io.BytesIO(content))


@pytest.fixture
def storage(tmp_path: Path) -> Storage:
    """An empty attachment folder with the default 10 MB limit."""
    return Storage(tmp_path / "attachments")


@pytest.fixture
def people(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    """Police and commune officials of communes 10001 and 10002, and an inspector (cheaply hashed passwords)."""
    monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))

    def create(session: Session) -> None:
        for name, group, unit in CAST:
            users.add_user(session, name, PASSWORD, [group], unit=unit, full_name=name.title())

    run(backend, create)


def new_case(backend: Backend, starter: str = "an.police") -> tuple[int, str]:
    """A loan case whose compile form waits for ``starter``: (case id, task id)."""
    instance = run(backend, lambda s: cases.start_case(s, backend.runtime, users.get_user(s, starter), "loan_dossier"))
    return instance.id, read(backend, lambda s: cases.ready_rows(s, instance.id)[0].id)


def submit(backend: Backend, username: str, task_id: str, data: dict[str, Any], files: FormFiles | None = None) -> int:
    """``username`` submits the form of ``task_id`` with ``files``; returns the case id."""
    return run(backend, lambda s: attachments.complete_with_files(
        s, backend.runtime, users.get_user(s, username), task_id, data, files)).id


def rows(backend: Backend) -> list[Attachment]:
    """Every attachment row, oldest first."""
    return read(backend, lambda s: list(s.scalars(sa.select(Attachment).order_by(Attachment.id))))


def case_data(backend: Backend, instance_id: int) -> dict[str, Any]:
    """The case data as it stands."""
    return read(backend, lambda s: cases.case_data(s, backend.runtime, s.get_one(ProcessInstance, instance_id)))


def blobs(storage: Storage) -> list[Path]:
    """The files in the attachment folder."""
    return sorted(p for p in storage.folder.rglob("*") if p.is_file()) if storage.folder.exists() else []


@pytest.mark.usefixtures("people")
def test_files_sent_with_the_form_are_stored_by_sha256_and_hashed_into_the_audit_chain(
        backend: Backend, db_url: str, storage: Storage) -> None:
    """The bytes go to <folder>/<2 hex>/<sha256>, a row per file, and the completion's audit event names each sha256."""
    instance_id, task_id = new_case(backend)
    files = FormFiles(storage, (upload(CERTIFICATE, "Giấy chứng nhận đặc xá.pdf", PDF),
                                upload(ID_CARD, "CCCD mặt trước.png", PNG), upload(ID_CARD, "mặt sau.jpg", JPEG)))
    submit(backend, "an.police", task_id, dossier(), files)

    stored = rows(backend)  # in the form's field order
    assert [(r.field, r.file_name, r.content_type, r.size) for r in stored] == [
        (ID_CARD, "CCCD mặt trước.png", "image/png", len(PNG)), (ID_CARD, "mặt sau.jpg", "image/jpeg", len(JPEG)),
        (CERTIFICATE, "Giấy chứng nhận đặc xá.pdf", "application/pdf", len(PDF))]
    certificate = stored[2]
    assert (certificate.instance_id, certificate.task_id) == (instance_id, task_id)
    assert (storage.folder / certificate.sha256[:2] / certificate.sha256).read_bytes() == PDF
    assert certificate.storage_key == f"{certificate.sha256[:2]}/{certificate.sha256}"
    data = case_data(backend, instance_id)
    assert data[CERTIFICATE] == [attachments.ref(certificate)]
    assert [r["sha256"] for r in data[ID_CARD]] == [r.sha256 for r in stored[:2]]

    event = read(backend, lambda s: s.scalars(sa.select(AuditEvent).where(AuditEvent.task_id == task_id)).one())
    submitted = {ref["sha256"] for field in (CERTIFICATE, ID_CARD) for ref in event.data[field]}
    assert submitted == {r.sha256 for r in stored}
    assert read(backend, audit.verify).ok
    verified = reentry_cli(db_url, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr


@pytest.mark.usefixtures("people")
def test_a_refused_submission_leaves_no_row_behind(backend: Backend, storage: Storage) -> None:
    """A form that fails validation stores no attachment row; only its content-addressed blob may stay."""
    _instance_id, task_id = new_case(backend)
    with pytest.raises(InvalidInput) as refused:
        submit(backend, "an.police", task_id, dossier(phone="12345"),
               FormFiles(storage, (upload(CERTIFICATE, "gcn.pdf", PDF),)))
    assert [e.field for e in refused.value.errors] == ["phone"]
    assert rows(backend) == []
    assert read(backend, lambda s: s.get_one(HumanTask, task_id).status) == "open"
    assert [p.name for p in blobs(storage)] == [hashlib.sha256(PDF).hexdigest()]


@pytest.mark.usefixtures("people")
def test_the_content_decides_the_type_not_the_name(backend: Backend, storage: Storage) -> None:
    """A text file named .pdf is refused next to its field; a PNG named .pdf is taken as a PNG."""
    _instance_id, task_id = new_case(backend)
    with pytest.raises(InvalidInput) as refused:
        submit(backend, "an.police", task_id, dossier(),
               FormFiles(storage, (upload(CERTIFICATE, "giấy chứng nhận.pdf", b"Day la van ban, khong phai PDF"),)))
    error = refused.value.errors[0]
    assert error.field == CERTIFICATE
    assert error.message("vi") == "Chỉ nhận tệp PDF, JPEG hoặc PNG (giấy chứng nhận.pdf)"
    assert error.message("en") == "Only PDF, JPEG or PNG files are accepted (giấy chứng nhận.pdf)"
    assert blobs(storage) == []

    submit(backend, "an.police", task_id, dossier(), FormFiles(storage, (upload(CERTIFICATE, "scan.pdf", PNG),)))
    assert [(r.file_name, r.content_type) for r in rows(backend)] == [("scan.pdf.png", "image/png")]


@pytest.mark.usefixtures("people")
def test_a_file_over_the_limit_is_refused(backend: Backend, storage: Storage) -> None:
    """The default limit is 10 MB a file: one byte more is refused, and nothing is written."""
    _instance_id, task_id = new_case(backend)
    too_big = PDF + b"0" * (attachments.DEFAULT_MAX_BYTES + 1 - len(PDF))
    with pytest.raises(InvalidInput) as refused:
        submit(backend, "an.police", task_id, dossier(), FormFiles(storage, (upload(CERTIFICATE, "lon.pdf", too_big),)))
    assert [(e.field, e.message("vi")) for e in refused.value.errors] == [
        (CERTIFICATE, "Tệp vượt quá dung lượng cho phép 10 MB (lon.pdf)")]
    assert rows(backend) == [] and blobs(storage) == []
    just_fits = FormFiles(storage, (upload(CERTIFICATE, "vua.pdf", too_big[:-1]),))
    submit(backend, "an.police", task_id, dossier(), just_fits)
    assert [r.size for r in rows(backend)] == [attachments.DEFAULT_MAX_BYTES]


@pytest.mark.usefixtures("people")
def test_a_field_takes_at_most_three_files(backend: Backend, storage: Storage) -> None:
    """A fourth file in one field is refused before anything is stored."""
    _instance_id, task_id = new_case(backend)
    four = tuple(upload(CERTIFICATE, f"trang {n}.pdf", PDF + bytes([n])) for n in range(4))
    with pytest.raises(InvalidInput) as refused:
        submit(backend, "an.police", task_id, dossier(), FormFiles(storage, four))
    assert [(e.field, e.message("en")) for e in refused.value.errors] == [(CERTIFICATE, "At most 3 files")]
    assert blobs(storage) == []


@pytest.mark.usefixtures("people")
def test_a_ticked_file_leaves_the_dossier_but_keeps_its_row(backend: Backend, storage: Storage) -> None:
    """After a return, the officer removes one scan and adds another; the removed one stays on record."""
    instance_id, task_id = new_case(backend)
    submit(backend, "an.police", task_id, dossier(), FormFiles(storage, (
        upload(CERTIFICATE, "mờ.pdf", PDF), upload(CERTIFICATE, "trang 2.pdf", PDF + b"2"))))
    commune_task = read(backend, lambda s: cases.ready_rows(s, instance_id)[0].id)
    submit(backend, "hoa.ubnd", commune_task, {"decision": "return", "comment": "Bản chụp trang 1 bị mờ"})
    again = read(backend, lambda s: cases.ready_rows(s, instance_id)[0].id)
    blurred, page_two = rows(backend)

    submit(backend, "an.police", again, dossier(),
           FormFiles(storage, (upload(CERTIFICATE, "rõ.pdf", PDF + b"clear"),), {CERTIFICATE: frozenset({blurred.id})}))
    clear = rows(backend)[-1]
    data = case_data(backend, instance_id)
    assert data[CERTIFICATE] == [attachments.ref(page_two), attachments.ref(clear)]
    assert attachments.referenced_ids(data) == {page_two.id, clear.id}
    assert len(rows(backend)) == 3


@pytest.mark.usefixtures("people")
def test_refs_must_be_files_of_the_case_as_recorded(backend: Backend, storage: Storage) -> None:
    """A ref to another case's file, or one whose sha256 was changed, is refused."""
    _first, first_task = new_case(backend)
    submit(backend, "an.police", first_task, dossier(), FormFiles(storage, (upload(CERTIFICATE, "gcn.pdf", PDF),)))
    foreign = attachments.ref(rows(backend)[0])
    _second, second_task = new_case(backend)
    for forged in (foreign, foreign | {"sha256": "0" * 64}):
        with pytest.raises(InvalidInput) as refused:
            submit(backend, "an.police", second_task, dossier(**{CERTIFICATE: [forged]}))
        assert [(e.field, e.message("vi")) for e in refused.value.errors] == [
            (f"{CERTIFICATE}.0", "Tệp đính kèm không thuộc hồ sơ này")]


@pytest.mark.usefixtures("people")
def test_only_people_who_see_the_case_open_its_files(backend: Backend, storage: Storage) -> None:
    """The commune of the dossier and the inspector read the file; another commune is told it does not exist."""
    _instance_id, task_id = new_case(backend)
    submit(backend, "an.police", task_id, dossier(), FormFiles(storage, (upload(CERTIFICATE, "gcn.pdf", PDF),)))
    row = rows(backend)[0]

    def open_as(username: str) -> bytes:
        return read(backend, lambda s: attachments.open_for(s, users.get_user(s, username), row.id, storage))[1]

    assert open_as("hoa.ubnd") == PDF and open_as("khanh.tt") == PDF
    for outsider in ("mai.ubnd", "cuong.police"):
        with pytest.raises(NotFound):
            open_as(outsider)
    (storage.folder / row.storage_key).write_bytes(PDF + b"sua doi")
    with pytest.raises(attachments.StoredFileUnavailable) as damaged:
        open_as("hoa.ubnd")
    assert damaged.value.message("en") == "The stored file is missing or has been altered"


@pytest.mark.usefixtures("people")
def test_only_the_worker_of_the_task_stores_files(backend: Backend, storage: Storage) -> None:
    """An officer of another commune cannot send files for this task, and none are written."""
    _instance_id, task_id = new_case(backend)
    with pytest.raises(NotAllowed):
        submit(backend, "cuong.police", task_id, dossier(), FormFiles(storage, (upload(CERTIFICATE, "x.pdf", PDF),)))
    assert blobs(storage) == [] and rows(backend) == []


@pytest.mark.usefixtures("people")
def test_the_api_upload_checks_case_task_and_field(backend: Backend, storage: Storage) -> None:
    """One file for a file field of a waiting task of the case; anything else is refused."""
    instance_id, task_id = new_case(backend)
    other_case, _other_task = new_case(backend)

    def send(username: str, case_id: int, field: str) -> Attachment:
        return run(backend, lambda s: attachments.upload_for_task(
            s, backend.runtime, users.get_user(s, username), case_id, task_id, upload(field, "gcn.pdf", PDF), storage))

    row = send("an.police", instance_id, CERTIFICATE)
    assert (row.instance_id, row.task_id, row.field) == (instance_id, task_id, CERTIFICATE)
    with pytest.raises(InvalidInput) as refused:
        send("an.police", instance_id, "full_name")
    assert [e.field for e in refused.value.errors] == ["field"]
    with pytest.raises(NotFound):
        send("an.police", other_case, CERTIFICATE)
    with pytest.raises(NotFound):
        send("cuong.police", instance_id, CERTIFICATE)


@pytest.mark.parametrize(("raw", "kind", "shown"), [
    ("C:\\Users\\an\\Giấy chứng nhận.pdf", "application/pdf", "Giấy chứng nhận.pdf"),
    ("../../etc/passwd", "application/pdf", "passwd.pdf"),
    (unicodedata.normalize("NFD", "Căn cước.JPG"), "image/jpeg", "Căn cước.JPG"),
    ("\u202egnp.exe", "image/png", "gnp.exe.png"),
    ("  ..  ", "application/pdf", "tep-dinh-kem-abcdef01.pdf"),
    ("a" * 300 + ".pdf", "application/pdf", "a" * 251 + ".pdf"),
])
def test_display_names_keep_vietnamese_and_never_a_path(raw: str, kind: str, shown: str) -> None:
    """The name is shown and offered on download, never used as a path."""
    assert attachments.display_name(raw, kind, "abcdef01" + "0" * 56) == shown


def test_sniffing_and_size_labels() -> None:
    """The first bytes tell PDF, PNG and JPEG apart; sizes read in KB and MB with a decimal comma."""
    assert [attachments.sniff(c) for c in (PDF, PNG, JPEG, b"GIF89a", b"")] == [
        "application/pdf", "image/png", "image/jpeg", None, None]
    assert [attachments.size_label(n) for n in (900, 2048, 1536 * 1024, 10 * 1024 * 1024)] == [
        "900 B", "2 KB", "1,5 MB", "10 MB"]


@pytest.mark.usefixtures("people")
def test_an_api_client_uploads_then_completes_with_the_ref(backend: Backend, storage: Storage) -> None:
    """The upload answers a ref; the completion carrying it is checked, recorded once per idempotency key."""
    instance_id, task_id = new_case(backend)
    row = run(backend, lambda s: attachments.upload_for_task(
        s, backend.runtime, users.get_user(s, "an.police"), instance_id, task_id,
        upload(ID_CARD, "cccd.jpg", JPEG), storage))
    data = dossier(**{ID_CARD: [attachments.ref(row)]})

    def send() -> int:
        return run(backend, lambda s: attachments.complete_with_files(
            s, backend.runtime, users.get_user(s, "an.police"), task_id, data, idempotency_key="may-cham-1")).id

    assert send() == send() == instance_id
    events = read(backend, lambda s: s.scalars(sa.select(AuditEvent).where(AuditEvent.task_id == task_id)).all())
    assert [e.data[ID_CARD][0]["sha256"] for e in events] == [row.sha256]
    assert case_data(backend, instance_id)[ID_CARD] == [attachments.ref(row)]


@pytest.mark.usefixtures("people")
def test_a_form_for_a_task_that_does_not_exist_or_is_done_is_refused(backend: Backend) -> None:
    """A made-up task id is not found; a second submission of the same form meets the first one's completion."""
    _case_id, task_id = new_case(backend)
    with pytest.raises(NotFound):
        submit(backend, "an.police", "00000000-0000-4000-8000-000000000000", dossier())
    submit(backend, "an.police", task_id, dossier())
    with pytest.raises(TaskAlreadyCompleted):
        submit(backend, "an.police", task_id, dossier())
