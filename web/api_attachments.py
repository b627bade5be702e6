"""The REST API's upload: ``POST /api/v1/instances/{id}/attachments`` (multipart: ``file``, ``task_id``, ``field``).

The route joins the API blueprint of ``web.api``: importing this module adds it, so it must be imported
before that blueprint is registered on an app. The ref it answers goes into the task's completion data.
"""
from __future__ import annotations

from flask import jsonify
from flask import request
from flask.typing import ResponseReturnValue

from services import attachments
from services.errors import InvalidInput
from services.models import User
from web import uploads
from web.api import MAX_ID
from web.api import bearer_required
from web.api import bp
from web.db import command
from web.db import runtime
from workflows.messages import FieldError


@bp.post(f"/instances/<int(min=1, max={MAX_ID}):instance_id>/attachments")
@bearer_required
def upload_attachment(user: User, instance_id: int) -> ResponseReturnValue:
    """Store one PDF, JPEG or PNG for a file field of a waiting task; answers its attachment ref (201)."""
    sent = request.files.get("file")
    task_id, field = request.form.get("task_id", "").strip(), request.form.get("field", "").strip()
    missing = [name for name, value in (("file", sent.filename if sent else ""), ("task_id", task_id),
                                        ("field", field)) if not value]
    if sent is None or missing:
        raise InvalidInput([FieldError(name, "required") for name in missing])
    upload = attachments.Upload(field, sent.filename or "", sent.stream)
    with command() as s:
        row = attachments.upload_for_task(s, runtime(), user, instance_id, task_id, upload, uploads.storage())
        body = attachments.ref(row)
    return jsonify(body), 201
