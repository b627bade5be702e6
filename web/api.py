"""The REST API (DESIGN §6): JSON under /api/v1, bearer tokens, one service call per view.

Errors are raised as service errors and answered as JSON {error, message[, errors]} by ``web.errors``;
only 401 and 429, which no service raises, are answered here.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from functools import wraps
from typing import Any
from typing import Concatenate
from typing import ParamSpec
from uuid import UUID

from flask import Blueprint
from flask import current_app
from flask import jsonify
from flask import request
from flask.typing import ResponseReturnValue

from services import api_support
from services import audit_export
from services import audit_search
from services import cases
from services import documents
from services import replay
from services import tasks
from services import users
from services import views
from services.db import utcnow
from services.errors import InvalidInput
from services.errors import NotFound
from services.models import AuditEvent
from services.models import HumanTask
from services.models import ProcessInstance
from services.models import ProcessVersion
from services.models import User
from services.status import InstanceStatus
from services.status import TaskStatus
from web import openapi
from web.audit_views import csv_response
from web.cases_views import export_response
from web.cases_views import pdf_response
from web.db import command
from web.db import db
from web.db import runtime
from web.errors import json_error
from web.i18n import current_locale
from workflows.messages import FieldError

bp = Blueprint("api", __name__, url_prefix="/api/v1")

P = ParamSpec("P")
PROCESS_KEY = re.compile(openapi.PROCESS_KEY_PATTERN)
DOCUMENT_NAME = re.compile(openapi.DOCUMENT_NAME_PATTERN)
SCOPES = ("mine", "group")
MAX_ID = openapi.MAX_ID
MAX_LIMIT = openapi.MAX_LIMIT
TEXT = {
    "unauthorized": ("Thiếu hoặc sai mã truy cập (Authorization: Bearer <token>)",
                     "Missing or invalid bearer token (Authorization: Bearer <token>)"),
    "refused": ("Tên đăng nhập hoặc mật khẩu không đúng", "Wrong username or password"),
    "locked": ("Tài khoản tạm khóa do đăng nhập sai nhiều lần; thử lại sau {n} phút",
               "The account is locked after repeated failed sign-ins; try again in {n} minutes"),
    "bad_json": ("Nội dung yêu cầu không phải JSON hợp lệ", "The request body is not valid JSON"),
    "bad_text": ("Chuỗi ký tự chứa ký tự không hợp lệ", "A string contains a character that is not allowed"),
    "scope": ("Phạm vi phải là 'mine' hoặc 'group'", "The scope must be 'mine' or 'group'"),
}


def _say(key: str, **params: object) -> str:
    vi, en = TEXT[key]
    return (en if current_locale() == "en" else vi).format(**params)


# --- authentication -------------------------------------------------------------------------------------------

def bearer_required(view: Callable[Concatenate[User, P], ResponseReturnValue]) -> Callable[P, ResponseReturnValue]:
    """Views for signed-in API clients: the token's user comes first; no or a bad token is a 401."""

    @wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        user = users.user_for_token(db(), token.strip()) if scheme.lower() == "bearer" and token.strip() else None
        if user is None:
            response, status = json_error(401, _say("unauthorized"))
            response.headers["WWW-Authenticate"] = 'Bearer realm="reentry"'
            return response, status
        return view(user, *args, **kwargs)

    return wrapped


@bp.post("/auth/token")
def issue_token() -> ResponseReturnValue:
    """Exchange a username and password for a bearer token; failures count towards a temporary lock."""
    username, password = _strings(_json_body(), "username", "password")
    with command() as s:
        result = api_support.sign_in(s, username.strip(), password, utcnow(),
                                     current_app.config["LOGIN_MAX_FAILURES"],
                                     dt.timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"]))
    if result.token is not None and result.expires_at is not None:
        return jsonify(token=result.token, expires_at=result.expires_at.isoformat())
    if result.attempt.reason == "locked":
        response, status = json_error(429, _say("locked", n=result.attempt.minutes_left))
        response.headers["Retry-After"] = str(result.attempt.minutes_left * 60)
        return response, status
    return json_error(401, _say("refused"))


# --- processes and cases --------------------------------------------------------------------------------------

@bp.get("/processes")
@bearer_required
def list_processes(_user: User) -> ResponseReturnValue:
    """The newest version of every deployed process."""
    return jsonify([_process_json(v) for v in cases.latest_versions(db())])


@bp.post("/processes/<key>/instances")
@bearer_required
def start_instance(user: User, key: str) -> ResponseReturnValue:
    """Start a case of the newest version of ``key``; ``data`` pre-fills its first form."""
    if not PROCESS_KEY.fullmatch(key):
        raise NotFound("process")
    data = _data(_json_body(), required=False)
    with command() as s:
        state = api_support.start(s, runtime(), user, key, data)
        payload = _state_json(state, with_outcome=False)
    response = jsonify(payload)
    response.headers["Location"] = f"{bp.url_prefix}/instances/{payload['id']}"
    return response, 201


@bp.get("/instances")
@bearer_required
def list_instances(user: User) -> ResponseReturnValue:
    """Cases in the caller's scope, newest first, optionally filtered by process and status."""
    process, status = request.args.get("process") or None, request.args.get("status") or None
    errors = []
    if process is not None and not PROCESS_KEY.fullmatch(process):
        errors.append(FieldError("process", "pattern"))
    if status is not None and status not in set(InstanceStatus):
        errors.append(FieldError("status", "choice"))
    limit, offset = _int_arg("limit", 100, 1, MAX_LIMIT, errors), _int_arg("offset", 0, 0, MAX_ID, errors)
    if errors:
        raise InvalidInput(errors)
    found = cases.list_cases(db(), user, process, status, limit, offset)
    return jsonify([_instance_json(i) for i in found])


@bp.get(f"/instances/<int(min=1, max={MAX_ID}):instance_id>")
@bearer_required
def get_instance(user: User, instance_id: int) -> ResponseReturnValue:
    """A case with its data, waiting and completed tasks."""
    detail = views.case_detail(db(), runtime(), user, instance_id)
    now, locale = utcnow(), current_locale()
    return jsonify({**_instance_json(detail.instance), "data": detail.data,
                    "ready_tasks": [_task_json(t, now, locale) for t in detail.waiting],
                    "completed_tasks": [_completed_json(t, now, locale) for t in detail.completed]})


@bp.get(f"/instances/<int(min=1, max={MAX_ID}):instance_id>/history")
@bearer_required
def instance_history(user: User, instance_id: int) -> ResponseReturnValue:
    """The case's audit events, oldest first."""
    return jsonify([_event_json(e) for e in api_support.case_history(db(), user, instance_id)])


@bp.get(f"/instances/<int(min=1, max={MAX_ID}):instance_id>/replay")
@bearer_required
def replay_instance(user: User, instance_id: int) -> ResponseReturnValue:
    """The case as it was after audit event ``step`` (default the last), re-executed and checked."""
    errors: list[FieldError] = []
    step = _int_arg("step", 0, 1, MAX_ID, errors) or None  # absent: the last step
    if errors:
        raise InvalidInput(errors)
    return jsonify(_replay_json(replay.replay_case(db(), runtime(), user, instance_id, step)))


def _replay_json(view: replay.Replay) -> dict[str, Any]:
    step = view.step
    return {"instance_id": view.instance.id, "step": step.seq, "steps": view.total_steps,
            "first_mismatch": view.first_mismatch, "matches": step.matches, "problem": step.problem,
            "event": {"seq": step.seq, "at": _iso(step.at), "actor": step.actor, "type": step.type,
                      "task": step.task_name},
            "recorded_state_hash": step.recorded_hash, "replayed_state_hash": step.replayed_hash,
            "data": step.data, "passed": step.passed, "waiting": step.waiting,
            "changes": [{"field": c.field, "before": c.before, "after": c.after} for c in step.changes]}


@bp.get(f"/instances/<int(min=1, max={MAX_ID}):instance_id>/documents/<name>.pdf")
@bearer_required
def document_pdf(user: User, instance_id: int, name: str) -> ResponseReturnValue:
    """A printable document of the case (``decision``: the signed award decision) as a PDF."""
    if not DOCUMENT_NAME.fullmatch(name):
        raise NotFound("document")
    return pdf_response(documents.pdf(db(), runtime(), user, instance_id, name))


# --- tasks ----------------------------------------------------------------------------------------------------

@bp.get("/tasks")
@bearer_required
def list_tasks(user: User) -> ResponseReturnValue:
    """The caller's inbox: tasks they hold (``mine``) or their group's unclaimed tasks (``group``)."""
    scope = request.args.get("scope", "mine")
    if scope not in SCOPES:
        raise InvalidInput([FieldError("scope", "choice", text=TEXT["scope"])])
    now, locale = utcnow(), current_locale()
    return jsonify([_task_json(t, now, locale) for t in tasks.list_tasks(db(), user, scope)])


@bp.get("/tasks/<uuid:task_id>")
@bearer_required
def get_task(user: User, task_id: UUID) -> ResponseReturnValue:
    """A task with its form and the case data so far."""
    detail = views.task_detail(db(), runtime(), user, str(task_id))
    form = {"schema": detail.form.schema, "ui_schema": detail.form.ui_schema} if detail.form else None
    return jsonify({**_task_json(detail.task, utcnow(), current_locale()), "form": form, "data": detail.data})


@bp.post("/tasks/<uuid:task_id>/claim")
@bearer_required
def claim_task(user: User, task_id: UUID) -> ResponseReturnValue:
    """Take a group task into the caller's own inbox."""
    with command() as s:
        payload = _task_json(tasks.claim_task(s, user, str(task_id)), utcnow(), current_locale())
    return jsonify(payload)


@bp.post("/tasks/<uuid:task_id>/unclaim")
@bearer_required
def unclaim_task(user: User, task_id: UUID) -> ResponseReturnValue:
    """Give a claimed task back to its group."""
    with command() as s:
        payload = _task_json(tasks.unclaim_task(s, user, str(task_id)), utcnow(), current_locale())
    return jsonify(payload)


@bp.post("/tasks/<uuid:task_id>/complete")
@bearer_required
def complete_task(user: User, task_id: UUID) -> ResponseReturnValue:
    """Submit a task's form; an unclaimed group task is claimed for the caller in the same transaction."""
    body = _json_body()
    data = _data(body, required=True)
    key = body.get("idempotency_key")
    if key is not None and not (isinstance(key, str) and 0 < len(key) <= openapi.MAX_IDEMPOTENCY_KEY):
        raise InvalidInput([FieldError("idempotency_key", "max_length", {"limit": openapi.MAX_IDEMPOTENCY_KEY})])
    with command() as s:
        payload = _state_json(api_support.complete(s, runtime(), user, str(task_id), data, key))
    return jsonify(instance=payload)


# --- audit and the contract -----------------------------------------------------------------------------------

@bp.get("/audit/verify")
@bearer_required
def verify_audit(user: User) -> ResponseReturnValue:
    """Check every audit chain, or one case's with ``instance_id`` (auditors and administrators)."""
    errors: list[FieldError] = []
    instance_id = _int_arg("instance_id", 0, 1, MAX_ID, errors)
    if errors:
        raise InvalidInput(errors)
    return jsonify(api_support.verify_audit(db(), user, instance_id or None).as_dict())


@bp.get(f"/instances/<int(min=1, max={MAX_ID}):instance_id>/audit/export")
@bearer_required
def export_history(user: User, instance_id: int) -> ResponseReturnValue:
    """The case's history with every hash (``format=json``, the default) or as CSV for reading."""
    return export_response(audit_export.export_for(db(), user, instance_id, request.args.get("format", "json")))


@bp.get("/audit/events")
@bearer_required
def audit_events(user: User) -> ResponseReturnValue:
    """Audit events of the cases in the caller's scope, newest first, 50 a page, or all of them as CSV."""
    errors: list[FieldError] = []
    page = _int_arg("page", 1, 1, MAX_ID, errors)
    answer = request.args.get("format") or "json"
    if answer not in openapi.AUDIT_FORMATS:
        errors.append(FieldError("format", "choice"))
    try:
        filters = audit_search.parse_filter(request.args, audit_search.ISO_DATES)
    except InvalidInput as exc:
        raise InvalidInput([*exc.errors, *errors]) from None
    if errors:
        raise InvalidInput(errors)
    if answer == "csv":
        return csv_response(lambda session: audit_search.export(session, user, filters))
    found, locale = audit_search.search(db(), user, filters, page), current_locale()
    return jsonify(events=[_audit_row_json(e, locale) for e in found.items], page=found.page,
                   per_page=found.per_page, total=found.total, pages=found.pages)


@bp.get("/openapi.json")
def openapi_document() -> ResponseReturnValue:
    """The OpenAPI 3.1 document of this API."""
    return jsonify(openapi.document())


# --- reading requests -----------------------------------------------------------------------------------------

def _json_body() -> dict[str, Any]:
    """The request's JSON object; no body at all counts as ``{}``.

    :raise InvalidInput: the body is not JSON, not an object, or holds NUL or unpaired surrogate characters
        (neither can be stored).
    """
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw, parse_constant=_no_constant, parse_float=_finite)
    except (ValueError, RecursionError):
        raise InvalidInput([FieldError("body", "invalid", text=TEXT["bad_json"])]) from None
    if not isinstance(body, dict):
        raise InvalidInput([FieldError("body", "type_object")])
    if not _storable(body):
        raise InvalidInput([FieldError("body", "invalid", text=TEXT["bad_text"])])
    return body


def _no_constant(name: str) -> float:
    raise ValueError(name)


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(text)
    return value


def _storable(value: object) -> bool:
    """True when every string (keys included) can go into a PostgreSQL text column."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str) and not _storable_text(item):
            return False
    return True


def _storable_text(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _strings(body: dict[str, Any], *names: str) -> list[str]:
    """The non-empty string fields ``names`` of ``body``.

    :raise InvalidInput: one error per missing or non-string field.
    """
    errors = []
    for name in names:
        value = body.get(name)
        if value is None or value == "":
            errors.append(FieldError(name, "required"))
        elif not isinstance(value, str):
            errors.append(FieldError(name, "type_string"))
    if errors:
        raise InvalidInput(errors)
    return [body[name] for name in names]


def _data(body: dict[str, Any], required: bool) -> dict[str, Any]:
    data = body.get("data")
    if data is None and not required:
        return {}
    if data is None:
        raise InvalidInput([FieldError("data", "required")])
    if not isinstance(data, dict):
        raise InvalidInput([FieldError("data", "type_object")])
    return data


def _int_arg(name: str, default: int, low: int, high: int, errors: list[FieldError]) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isascii() or not raw.isdigit():
        errors.append(FieldError(name, "type_integer"))
        return default
    value = int(raw)
    if value < low:
        errors.append(FieldError(name, "minimum", {"limit": low}))
    elif value > high:
        errors.append(FieldError(name, "maximum", {"limit": high}))
    return value


# --- writing answers ------------------------------------------------------------------------------------------

def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _process_json(version: ProcessVersion) -> dict[str, Any]:
    return {"key": version.process_key, "name": version.name, "version": version.version,
            "deployed_at": _iso(version.deployed_at)}


def _instance_json(instance: ProcessInstance) -> dict[str, Any]:
    return {"id": instance.id, "key": instance.process_key, "version": instance.version.version,
            "status": instance.status, "outcome": instance.outcome, "business_key": instance.business_key,
            "started_at": _iso(instance.started_at), "completed_at": _iso(instance.completed_at)}


def _state_json(state: api_support.CaseState, with_outcome: bool = True) -> dict[str, Any]:
    instance, now, locale = state.instance, utcnow(), current_locale()
    found = {"id": instance.id, "key": instance.process_key, "version": instance.version.version,
             "status": instance.status, "business_key": instance.business_key,
             "ready_tasks": [_task_json(t, now, locale) for t in state.ready]}
    return {**found, "outcome": instance.outcome} if with_outcome else found


def _task_json(task: HumanTask, now: dt.datetime, locale: str) -> dict[str, Any]:
    return {"id": task.id, "instance_id": task.instance_id, "process_key": task.process_key, "name": task.task_name,
            "title": (task.title_en or task.title) if locale == "en" else task.title, "lane": task.lane,
            "candidate_group": task.candidate_group, "unit": task.unit,
            "assignee": task.assignee.username if task.assignee else None, "status": task.status,
            "due_at": _iso(task.due_at),
            "overdue": task.status == TaskStatus.OPEN and task.due_at is not None and task.due_at < now}


def _completed_json(task: HumanTask, now: dt.datetime, locale: str) -> dict[str, Any]:
    return {**_task_json(task, now, locale), "completed_by": task.completed_by.username if task.completed_by else None,
            "completed_at": _iso(task.completed_at)}


def _event_json(event: AuditEvent) -> dict[str, Any]:
    return {"seq": event.seq, "at": _iso(event.at), "actor": event.actor, "type": event.type,
            "task": event.task_name, "data": event.data, "hash": event.hash}


def _audit_row_json(row: audit_search.EventRow, locale: str) -> dict[str, Any]:
    return {"id": row.id, "instance_id": row.instance_id, "business_key": row.business_key,
            "process_key": row.process_key, "seq": row.seq, "at": row.at.isoformat(), "actor": row.actor,
            "actor_name": row.actor_name, "type": row.type, "task": row.task_name,
            "task_title": row.task_label(locale) or None}
