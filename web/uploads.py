"""Uploaded files in the web layer: where they are kept, and what a form post carries for its file fields.

Settings: ``ATTACHMENTS_DIR`` (default ``<instance>/attachments``) and ``ATTACHMENT_MAX_BYTES`` (default
10 MB a file); ``MAX_CONTENT_LENGTH`` still bounds the whole request.
"""
from __future__ import annotations

from pathlib import Path

from flask import current_app
from flask import request

from services import attachments
from workflows.forms import FormSpec


def storage() -> attachments.Storage:
    """The app's attachment folder and per-file size limit."""
    folder = current_app.config.get("ATTACHMENTS_DIR") or Path(current_app.instance_path) / "attachments"
    limit = current_app.config.get("ATTACHMENT_MAX_BYTES") or attachments.DEFAULT_MAX_BYTES
    return attachments.Storage(Path(folder), int(limit))


def form_files(form: FormSpec | None) -> attachments.FormFiles:
    """The request's new files per file field of ``form``, and the attached files ticked ``<field>-remove``."""
    uploads: list[attachments.Upload] = []
    removed: dict[str, frozenset[int]] = {}
    for name in attachments.file_fields(form):
        uploads += [attachments.Upload(name, sent.filename, sent.stream)
                    for sent in request.files.getlist(name) if sent.filename]
        ticked = frozenset(int(v) for v in request.form.getlist(f"{name}-remove")
                           if v.isascii() and v.isdigit() and len(v) < 19)
        if ticked:
            removed[name] = ticked
    return attachments.FormFiles(storage(), tuple(uploads), removed)
