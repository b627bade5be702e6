"""Files attached to cases through task forms: checked by their content, kept by sha256 outside the database.

The bytes live in a folder (``<instance>/attachments`` by default) at ``<first two hex digits>/<sha256>``, so
a file is stored once however often it is attached. The ``attachment`` row says which case, task and field
it came with, who uploaded it and under what name. A form's file field holds a list of attachment refs
(``{"id", "name", "sha256", "size", "content_type"}``): submitted data like any other, so they enter the case
data and the audit event, and each file's sha256 is hashed into the chain.

Files sent with a form are stored in the transaction that completes the task: a refused submission leaves
no row behind. Its bytes may stay in the folder; such blobs are harmless (content-addressed, never served
without a row) and a sweep may delete blobs no row names.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import tempfile
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import IO
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import joinedload

from services import authz
from services import cases
from services import progress
from services import tasks
from services.db import utcnow
from services.errors import Conflict
from services.errors import InvalidInput
from services.errors import NotAllowed
from services.errors import NotFound
from services.errors import TaskAlreadyCompleted
from services.models import Attachment
from services.models import HumanTask
from services.models import ProcessInstance
from services.models import User
from services.runtime import Runtime
from services.status import TaskStatus
from workflows.forms import FormSpec
from workflows.messages import FieldError

ATTACHMENT_REF = "#/$defs/attachment_ref"
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
MAX_NAME = 255
# The first bytes of each accepted kind; the name a file arrives with proves nothing.
SIGNATURES = ((b"%PDF-", "application/pdf"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"))
EXTENSIONS = {"application/pdf": (".pdf",), "image/png": (".png",), "image/jpeg": (".jpg", ".jpeg")}
STORAGE_KEY = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{64}$")
WRONG_TYPE = ("Chỉ nhận tệp PDF, JPEG hoặc PNG ({name})", "Only PDF, JPEG or PNG files are accepted ({name})")
TOO_LARGE = ("Tệp vượt quá dung lượng cho phép {limit} ({name})", "The file is larger than the {limit} limit ({name})")
TOO_MANY = ("Tối đa {limit} tệp", "At most {limit} files")
NOT_OF_CASE = ("Tệp đính kèm không thuộc hồ sơ này", "This attachment does not belong to this case")
NOT_KEPT = ("Tệp vừa chọn chưa được lưu; vui lòng chọn lại", "The files you chose were not saved; please choose again")


class StoredFileUnavailable(NotFound):
    """The row exists, but its bytes are missing from storage or no longer match their sha256."""

    def __init__(self) -> None:
        super().__init__("attachment")
        self.vi = "Tệp lưu trữ bị thiếu hoặc đã bị thay đổi"
        self.en = "The stored file is missing or has been altered"


@dataclass(frozen=True)
class Storage:
    """The folder the bytes are kept in, and the largest file accepted."""

    folder: Path
    max_bytes: int = DEFAULT_MAX_BYTES

    def write(self, sha256: str, content: bytes) -> str:
        """Keep ``content`` under its sha256 (once) and return its storage key."""
        key = f"{sha256[:2]}/{sha256}"
        path = self.folder / key
        if path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == sha256:
            return key
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed, so a reader never sees half a file.
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".upload-", delete=False) as temporary:
            try:
                temporary.write(content)
                temporary.flush()
                os.fsync(temporary.fileno())
            except OSError:
                Path(temporary.name).unlink(missing_ok=True)
                raise
        Path(temporary.name).replace(path)
        return key

    def read(self, key: str, sha256: str) -> bytes:
        """The bytes stored under ``key``, checked against ``sha256``."""
        if not STORAGE_KEY.fullmatch(key):
            raise StoredFileUnavailable()
        try:
            content = (self.folder / key).read_bytes()
        except OSError:
            raise StoredFileUnavailable() from None
        if hashlib.sha256(content).hexdigest() != sha256:
            raise StoredFileUnavailable()
        return content


@dataclass(frozen=True)
class Upload:
    """One file as a request carries it: the form field, the name it had on the uploader's computer, the bytes."""

    field: str
    file_name: str
    stream: IO[bytes]


@dataclass(frozen=True)
class FormFiles:
    """What a form post carries for its file fields: new uploads, and attached files ticked for removal."""

    storage: Storage
    uploads: tuple[Upload, ...] = ()
    removed: Mapping[str, frozenset[int]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Checked:
    field: str
    name: str
    content: bytes
    sha256: str
    content_type: str


def file_fields(form: FormSpec | None) -> dict[str, dict[str, Any]]:
    """The form's file fields (arrays of attachment refs), by name, in display order."""
    if form is None:
        return {}
    return {name: prop for name, prop in form.fields.items()
            if prop.get("type") == "array" and (prop.get("items") or {}).get("$ref") == ATTACHMENT_REF}


def sniff(content: bytes) -> str | None:
    """The content type the first bytes tell (PDF, PNG or JPEG), or None for anything else."""
    return next((kind for magic, kind in SIGNATURES if content.startswith(magic)), None)


def display_name(raw: str, content_type: str, sha256: str) -> str:
    """The uploader's file name, fit to show and to offer on download; never used as a path.

    Vietnamese letters are kept (NFC); folders, control and formatting characters (such as right-to-left
    overrides) are dropped; the extension is made to match the content.
    """
    name = _clean(raw) or f"tep-dinh-kem-{sha256[:8]}"
    suffix = next((s for s in EXTENSIONS[content_type] if name.lower().endswith(s)), None)
    if suffix is None:
        suffix = EXTENSIONS[content_type][0]
        name += suffix
    if len(name) > MAX_NAME:
        name = name[:MAX_NAME - len(suffix)] + suffix
    return name


def _clean(raw: str) -> str:
    name = unicodedata.normalize("NFC", raw).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if not unicodedata.category(c).startswith("C"))
    return " ".join(name.split()).strip(". ")


def size_label(size: int) -> str:
    """1,5 MB · 240 KB · 900 B."""
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f}".rstrip("0").rstrip(".").replace(".", ",") + f" {unit}"
    return f"{size} B"


def ref(row: Attachment) -> dict[str, Any]:
    """The attachment ref a form field holds."""
    return {"id": row.id, "name": row.file_name, "sha256": row.sha256, "size": row.size,
            "content_type": row.content_type}


def _check(upload: Upload, max_bytes: int) -> _Checked:
    content = upload.stream.read(max_bytes + 1)
    shown = _clean(upload.file_name)
    if len(content) > max_bytes:
        raise InvalidInput([FieldError(upload.field, "too_large", {"limit": size_label(max_bytes), "name": shown},
                                       TOO_LARGE)])
    kind = sniff(content)
    if kind is None:
        raise InvalidInput([FieldError(upload.field, "file_type", {"name": shown}, WRONG_TYPE)])
    sha256 = hashlib.sha256(content).hexdigest()
    return _Checked(upload.field, display_name(upload.file_name, kind, sha256), content, sha256, kind)


def _check_all(uploads: tuple[Upload, ...], max_bytes: int) -> list[_Checked]:
    checked, errors = [], []
    for upload in uploads:
        try:
            checked.append(_check(upload, max_bytes))
        except InvalidInput as exc:
            errors.extend(exc.errors)
    if errors:
        raise InvalidInput(errors)
    return checked


def _save(session: Session, storage: Storage, actor: User, task: HumanTask, checked: _Checked,
          at: dt.datetime) -> Attachment:
    row = Attachment(instance_id=task.instance_id, task_id=task.id, field=checked.field, file_name=checked.name,
                     content_type=checked.content_type, size=len(checked.content), sha256=checked.sha256,
                     storage_key=storage.write(checked.sha256, checked.content), uploaded_by_id=actor.id,
                     uploaded_at=at)
    session.add(row)
    session.flush()
    return row


def _workable_task(session: Session, actor: User, task_id: str) -> HumanTask:
    """The task, its case locked, if ``actor`` may work it now: bytes are written for no one else."""
    if actor.groups & authz.WRITE_FORBIDDEN_GROUPS:
        raise NotAllowed()
    found = progress.lock_task(session, task_id)
    if found is None:
        raise NotFound("task")
    task = found[1]
    if task.status == TaskStatus.COMPLETED and task.completed_by is not None and task.completed_at is not None:
        raise TaskAlreadyCompleted(task.completed_by.full_name, task.completed_at)
    if task.status != TaskStatus.OPEN:
        raise Conflict("Công việc này không còn chờ xử lý", "This task is no longer waiting")
    authz.require_can_work(actor, task)
    return task


def _form_of(session: Session, runtime: Runtime, task: HumanTask) -> FormSpec | None:
    instance = session.get_one(ProcessInstance, task.instance_id)
    return runtime.definition(session, instance.process_version_id).form(task.task_name)


def _task_and_form(session: Session, runtime: Runtime, task_id: str) -> tuple[HumanTask, FormSpec | None]:
    """The task and its form, read the way the completion will read them (its case locked, its state unread)."""
    found = progress.lock_task(session, task_id)
    if found is None:
        raise NotFound("task")
    return found[1], _form_of(session, runtime, found[1])  # the case is in the session now: no second read


def complete_with_files(session: Session, runtime: Runtime, actor: User, task_id: str, data: dict[str, Any],
                        files: FormFiles | None = None, idempotency_key: str | None = None) -> ProcessInstance:
    """Complete a task whose form may take files, in one transaction (see ``tasks.complete_task``).

    Each file field becomes the files already attached, less those ticked for removal, plus the new
    uploads, stored first. Every attachment ref in ``data`` must be a file of this case as recorded, so
    API clients, which send refs from the upload endpoint, go through here too (with ``files`` None).
    """
    at = utcnow()
    task, form = _task_and_form(session, runtime, task_id)
    fields = file_fields(form)
    if files is not None and fields and (files.uploads or files.removed):
        data = {**data, **_attach(session, runtime, actor, task_id, fields, files, at)}
    errors = check_refs(session, task.instance_id, form, data)
    if errors:
        raise InvalidInput(errors)
    return tasks.complete_task(session, runtime, actor, task_id, data, idempotency_key, at)


def _attach(session: Session, runtime: Runtime, actor: User, task_id: str, fields: dict[str, dict[str, Any]],
            files: FormFiles, at: dt.datetime) -> dict[str, list[dict[str, Any]]]:
    task = _workable_task(session, actor, task_id)
    checked = _check_all(tuple(u for u in files.uploads if u.field in fields), files.storage.max_bytes)
    current = cases.case_data(session, runtime, session.get_one(ProcessInstance, task.instance_id))
    planned: dict[str, tuple[list[dict[str, Any]], list[_Checked]]] = {}
    for name in fields:
        new = [c for c in checked if c.field == name]
        removed = files.removed.get(name, frozenset())
        if new or removed:
            planned[name] = ([r for r in _refs(current.get(name)) if r.get("id") not in removed], new)
    errors = [FieldError(name, "max_items", {"limit": fields[name]["maxItems"]}, TOO_MANY)
              for name, (kept, new) in planned.items()
              if "maxItems" in fields[name] and len(kept) + len(new) > fields[name]["maxItems"]]
    if errors:
        raise InvalidInput(errors)
    return {name: kept + [ref(_save(session, files.storage, actor, task, c, at)) for c in new]
            for name, (kept, new) in planned.items()}


def _refs(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def check_refs(session: Session, instance_id: int, form: FormSpec | None, data: Mapping[str, Any]) -> list[FieldError]:
    """An error for each attachment ref in ``data`` that is not a stored file of this case exactly as recorded."""
    return [FieldError(f"{name}.{index}", "invalid", text=NOT_OF_CASE)
            for name in file_fields(form) for index, item in enumerate(_refs(data.get(name)))
            if not _is_case_file(session, instance_id, item)]


def _is_case_file(session: Session, instance_id: int, item: dict[str, Any]) -> bool:
    ident = item.get("id")
    if not isinstance(ident, int) or isinstance(ident, bool):
        return False
    row = session.get(Attachment, ident)
    return row is not None and row.instance_id == instance_id and ref(row) == item


def not_kept(files: FormFiles | None) -> list[FieldError]:
    """After a refused submission: a note on each file field whose new files were not saved (choose again)."""
    fields = dict.fromkeys(u.field for u in files.uploads) if files else {}
    return [FieldError(name, "not_kept", text=NOT_KEPT) for name in fields]


def start_with_files(session: Session, runtime: Runtime, actor: User, process_key: str, data: dict[str, Any],
                     files: FormFiles) -> ProcessInstance:
    """Open a case and submit its first form with its files, in one transaction (``cases.start_and_submit``)."""
    instance = cases.start_case(session, runtime, actor, process_key)
    first = next((r for r in cases.ready_rows(session, instance.id) if r.assignee_id == actor.id), None)
    if first is None:
        return instance
    return complete_with_files(session, runtime, actor, first.id, data, files)


def upload_for_task(session: Session, runtime: Runtime, actor: User, instance_id: int, task_id: str,
                    upload: Upload, storage: Storage) -> Attachment:
    """Store one file for a file field of a waiting task of case ``instance_id`` (the API's upload).

    The ref it answers goes into the task's completion data; until then the file is recorded on the case
    but in no field of it.
    """
    cases.get_case(session, actor, instance_id)
    found = session.get(HumanTask, task_id)
    if found is None or found.instance_id != instance_id:
        raise NotFound("task")
    task = _workable_task(session, actor, task_id)
    if upload.field not in file_fields(_form_of(session, runtime, task)):
        raise InvalidInput([FieldError("field", "choice")])
    return _save(session, storage, actor, task, _check(upload, storage.max_bytes), utcnow())


def for_case(session: Session, instance_id: int) -> list[Attachment]:
    """Every file attached to the case, oldest first, with its uploader."""
    return list(session.scalars(select(Attachment).where(Attachment.instance_id == instance_id)
                                .options(joinedload(Attachment.uploaded_by))
                                .order_by(Attachment.uploaded_at, Attachment.id)))


def referenced_ids(data: Mapping[str, Any]) -> set[int]:
    """The ids of the attachment refs in case data (the files the case currently holds)."""
    return {item["id"] for value in data.values() for item in _refs(value)
            if "sha256" in item and isinstance(item.get("id"), int)}


def open_for(session: Session, user: User, attachment_id: int, storage: Storage) -> tuple[Attachment, bytes]:
    """Attachment ``attachment_id`` and its checked bytes, if ``user`` may see its case (else not found)."""
    row = session.get(Attachment, attachment_id)
    if row is None:
        raise NotFound("attachment")
    cases.get_case(session, user, row.instance_id)
    return row, storage.read(row.storage_key, row.sha256)
