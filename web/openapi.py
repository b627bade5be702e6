"""The OpenAPI 3.1 document of the REST API in ``web.api``, built as a plain dict.

The limits below are shared with the views, so the document and the code cannot drift apart on them.
"""
from __future__ import annotations

from enum import StrEnum
from typing import Any

from services.audit import EXPORT_FORMAT
from services.audit import EXPORT_VERSION
from services.status import AuditType
from services.status import InstanceStatus
from services.status import TaskStatus

MAX_ID = 2_147_483_647  # ids are 32-bit integers on PostgreSQL
MAX_LIMIT = 500
MAX_IDEMPOTENCY_KEY = 100
PROCESS_KEY_PATTERN = r"^[A-Za-z_][A-Za-z0-9_.-]{0,99}$"
DOCUMENT_NAME_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"
AUDIT_FORMATS = ("json", "csv")

Schema = dict[str, Any]

DESCRIPTION = """\
Loan dossiers (Decision 22/2023/QĐ-TTg) and award nominations as BPMN cases.

Every operation except `POST /auth/token` and `GET /openapi.json` needs `Authorization: Bearer <token>`.
Errors always come as JSON `{error, message}`; messages are Vietnamese unless `Accept-Language` prefers
English (`en`). Cases and tasks a caller may not see answer 404, as unknown ones do; a task the caller
may see but not work on answers 403."""


def document() -> dict[str, Any]:
    """The whole document, served at /api/v1/openapi.json."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "reentry REST API", "version": "1.0.0", "description": DESCRIPTION},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "paths": {**_auth_paths(), **_case_paths(), **_attachment_paths(), **_document_paths(),
                  **_task_paths(), **_audit_paths(), **_history_export_paths()},
        "components": {
            "securitySchemes": {"bearerAuth": {
                "type": "http", "scheme": "bearer", "description": "From POST /auth/token or `reentry users token`"}},
            "parameters": _parameters(),
            "schemas": _schemas(),
            "responses": _responses(),
        },
    }


# --- small builders ----------------------------------------------------------------------------------------

def ref(kind: str, name: str) -> Schema:
    """A ``$ref`` to ``#/components/<kind>/<name>``."""
    return {"$ref": f"#/components/{kind}/{name}"}


def obj(required: dict[str, Schema], optional: dict[str, Schema] | None = None) -> Schema:
    """An object with exactly these properties: all of ``required``, any of ``optional``."""
    return {"type": "object", "required": list(required), "properties": {**required, **(optional or {})},
            "additionalProperties": False}


def enum(values: type[StrEnum]) -> Schema:
    """A string out of a closed vocabulary."""
    return {"type": "string", "enum": [v.value for v in values]}


def nullable(schema: Schema) -> Schema:
    """``schema`` or null."""
    return {"oneOf": [schema, {"type": "null"}]}


def json_body(schema: Schema, description: str) -> Schema:
    """A response with a JSON body."""
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def errors(*codes: str) -> dict[str, Schema]:
    """The shared error responses for ``codes``."""
    return {code: ref("responses", _ERROR_RESPONSES[code]) for code in codes}


def operation(op_id: str, summary: str, ok: tuple[str, Schema], *error_codes: str, **extra: Any) -> Schema:
    """One operation: its success response and its error responses."""
    return {"operationId": op_id, "summary": summary, "responses": {ok[0]: ok[1], **errors(*error_codes)}, **extra}


STRING: Schema = {"type": "string"}
TEXT: Schema = {"type": "string", "minLength": 1}
INTEGER: Schema = {"type": "integer"}
DATE_TIME: Schema = {"type": "string", "format": "date-time"}
ANY_OBJECT: Schema = {"type": "object"}
_ERROR_RESPONSES = {"400": "BadRequest", "401": "Unauthorized", "403": "Forbidden", "404": "NotFound",
                    "409": "Conflict", "413": "TooLarge", "422": "ProcessFailed"}


# --- paths -------------------------------------------------------------------------------------------------

def _auth_paths() -> dict[str, Schema]:
    locked = json_body(ref("schemas", "Error"), "Too many failed sign-ins: the account is locked for a while")
    locked["headers"] = {"Retry-After": {"description": "Seconds until the lock ends", "schema": INTEGER}}
    token = operation("issueToken", "Exchange a username and password for a bearer token",
                      ("200", json_body(ref("schemas", "Token"), "A new token")), "400", "413", security=[],
                      requestBody={"required": True, "content": {"application/json": {
                          "schema": ref("schemas", "TokenRequest")}}})
    token["responses"]["401"] = json_body(ref("schemas", "Error"), "Wrong username or password")
    token["responses"]["429"] = locked
    spec = operation("openapi", "This document", ("200", json_body(ANY_OBJECT, "The OpenAPI document")),
                     security=[])
    return {"/auth/token": {"post": token}, "/openapi.json": {"get": spec}}


def _case_paths() -> dict[str, Schema]:
    started = json_body(ref("schemas", "StartedInstance"), "The new case and its first tasks")
    started["headers"] = {"Location": {"description": "The new case's URL", "schema": STRING}}
    key = {"name": "key", "in": "path", "required": True, "examples": {"loan": {"value": "loan_dossier"}},
           "schema": {"type": "string", "pattern": PROCESS_KEY_PATTERN}}
    listing = [
        {"name": "process", "in": "query", "schema": {"type": "string", "pattern": PROCESS_KEY_PATTERN}},
        {"name": "status", "in": "query", "schema": {"type": "string", "enum": list(InstanceStatus)}},
        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                                                    "default": 100}},
        {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": MAX_ID,
                                                     "default": 0}},
    ]
    one = [ref("parameters", "InstanceId")]
    return {
        "/processes": {"get": operation(
            "listProcesses", "The newest version of every deployed process",
            ("200", json_body({"type": "array", "items": ref("schemas", "Process")}, "Processes")), "401")},
        "/processes/{key}/instances": {"post": operation(
            "startInstance", "Start a case; `data` pre-fills its first form", ("201", started),
            "400", "401", "403", "404", "409", "413", "422", parameters=[key],
            requestBody={"required": False, "content": {"application/json": {
                "schema": ref("schemas", "StartRequest")}}})},
        "/instances": {"get": operation(
            "listInstances", "Cases in the caller's scope, newest first",
            ("200", json_body({"type": "array", "items": ref("schemas", "Instance")}, "Cases")),
            "400", "401", parameters=listing)},
        "/instances/{instance_id}": {"get": operation(
            "getInstance", "A case with its data and its waiting and completed tasks",
            ("200", json_body(ref("schemas", "InstanceDetail"), "The case")), "401", "404", parameters=one)},
        "/instances/{instance_id}/history": {"get": operation(
            "getInstanceHistory", "The case's audit events, oldest first",
            ("200", json_body({"type": "array", "items": ref("schemas", "HistoryEvent")}, "Events")),
            "401", "404", parameters=one)},
        "/instances/{instance_id}/replay": {"get": operation(
            "replayInstance", "The case as it was after audit event `step` (default: the last), re-executed from "
            "the recorded inputs on its pinned version; every step's state hash is checked against the log",
            ("200", json_body(ref("schemas", "Replay"), "The replayed step")), "400", "401", "404",
            parameters=[*one, {"name": "step", "in": "query", "description": "Audit event number, from 1",
                               "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}])},
    }


def _attachment_paths() -> dict[str, Schema]:
    form = {"type": "object", "required": ["file", "task_id", "field"], "properties": {
        "file": {"type": "string", "contentMediaType": "application/octet-stream",
                 "description": "A PDF, JPEG or PNG file, checked by its content"},
        "task_id": {"type": "string", "format": "uuid", "description": "A waiting task of this case"},
        "field": {**STRING, "description": "A file field of that task's form"}}}
    stored = json_body(ref("schemas", "AttachmentRef"), "The stored file; put this ref in the field's data")
    return {"/instances/{instance_id}/attachments": {"post": operation(
        "uploadAttachment", "Store one file for a file field of a task the caller may work", ("201", stored),
        "400", "401", "403", "404", "409", "413", parameters=[ref("parameters", "InstanceId")],
        requestBody={"required": True, "content": {"multipart/form-data": {"schema": form}}})}}


def _document_paths() -> dict[str, Schema]:
    name = {"name": "name", "in": "path", "required": True, "examples": {"decision": {"value": "decision"}},
            "description": "The document: `decision` (the signed award decision of an award case)",
            "schema": {"type": "string", "pattern": DOCUMENT_NAME_PATTERN}}
    found = {"description": "The document, shown inline; Content-Disposition names it after its number",
             "headers": {"Content-Disposition": {"schema": STRING}},
             "content": {"application/pdf": {"schema": {"type": "string", "contentMediaType": "application/pdf"}}}}
    return {"/instances/{instance_id}/documents/{name}.pdf": {"get": operation(
        "getDocumentPdf", "A printable document of the case as PDF (404 until the case offers it)", ("200", found),
        "401", "404", parameters=[ref("parameters", "InstanceId"), name])}}


def _task_paths() -> dict[str, Schema]:
    one = [ref("parameters", "TaskId")]
    scope = {"name": "scope", "in": "query", "description": "`mine`: tasks the caller holds; `group`: unclaimed "
             "tasks offered to the caller's groups and unit", "schema": {"type": "string", "enum": ["mine", "group"],
                                                                       "default": "mine"}}
    task = json_body(ref("schemas", "Task"), "The task")
    done = json_body(obj({"instance": ref("schemas", "CaseState")}), "The case after the step")
    return {
        "/tasks": {"get": operation(
            "listTasks", "The caller's inbox, oldest due first",
            ("200", json_body({"type": "array", "items": ref("schemas", "Task")}, "Tasks")), "400", "401",
            parameters=[scope])},
        "/tasks/{task_id}": {"get": operation(
            "getTask", "A task with its form and the case data so far",
            ("200", json_body(ref("schemas", "TaskDetail"), "The task")), "401", "404", parameters=one)},
        "/tasks/{task_id}/claim": {"post": operation(
            "claimTask", "Take a group task into the caller's own inbox", ("200", task),
            "401", "403", "404", "409", parameters=one)},
        "/tasks/{task_id}/unclaim": {"post": operation(
            "unclaimTask", "Give a claimed task back to its group", ("200", task),
            "401", "403", "404", "409", parameters=one)},
        "/tasks/{task_id}/complete": {"post": operation(
            "completeTask", "Submit the task's form; an unclaimed group task is claimed in the same step",
            ("200", done), "400", "401", "403", "404", "409", "413", "422", parameters=one,
            requestBody={"required": True, "content": {"application/json": {
                "schema": ref("schemas", "CompleteRequest")}}})},
    }


def _audit_paths() -> dict[str, Schema]:
    one_case = {"name": "instance_id", "in": "query", "description": "Check only this case's chain",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}
    return {"/audit/verify": {"get": operation(
        "verifyAudit", "Check every case's audit chain, or one case's (groups auditor and admin only)",
        ("200", json_body(ref("schemas", "Verification"), "The result")), "400", "401", "403", "404",
        parameters=[one_case])},
            "/audit/events": {"get": _audit_search()}}


def _history_export_paths() -> dict[str, Schema]:
    file_format = {"name": "format", "in": "query", "description": "`json`: every hashed field and hash, checkable "
                   "offline with `reentry audit verify --file`; `csv`: one row per event for reading (UTF-8 with BOM)",
                   "schema": {"type": "string", "enum": ["json", "csv"], "default": "json"}}
    exported = {"description": "The case's history as a file (Content-Disposition: attachment)",
                "headers": {"Content-Disposition": {"schema": STRING}},
                "content": {"application/json": {"schema": ref("schemas", "AuditExport")},
                            "text/csv": {"schema": STRING}}}
    return {"/instances/{instance_id}/audit/export": {"get": operation(
        "exportInstanceHistory", "The case's audit history with its hashes, as JSON or CSV", ("200", exported),
        "400", "401", "404", parameters=[ref("parameters", "InstanceId"), file_format])}}


def _history_export_schemas() -> dict[str, Schema]:
    event = obj({"id": INTEGER, "seq": INTEGER, "at": {**DATE_TIME, "description": "UTC, exactly as hashed"},
                 "actor": STRING, "type": enum(AuditType), "task_name": nullable(STRING), "task_id": nullable(STRING),
                 "data": ANY_OBJECT, "routing": {"type": "array", "items": ANY_OBJECT}, "state_hash": STRING,
                 "prev_hash": STRING, "hash": STRING})
    case = obj({"id": INTEGER, "business_key": STRING, "process_key": STRING, "process_version": INTEGER,
                "status": enum(InstanceStatus), "outcome": nullable(STRING)})
    return {"AuditExport": obj({
        "format": {"type": "string", "enum": [EXPORT_FORMAT]}, "version": {"type": "integer", "enum": [EXPORT_VERSION]},
        "hash_rule": {**STRING, "description": "How each event's hash is made"}, "exported_at": DATE_TIME,
        "case": case, "head": obj({"audit_seq": INTEGER, "audit_head": STRING}),
        "events": {"type": "array", "items": event, "description": "In chain order"}})}


def _audit_search() -> Schema:
    def text(name: str, limit: int, description: str) -> Schema:
        return {"name": name, "in": "query", "description": description,
                "schema": {"type": "string", "maxLength": limit}}

    def day(name: str, description: str) -> Schema:
        return {"name": name, "in": "query", "description": description, "schema": {"type": "string", "format": "date"}}

    parameters = [
        text("actor", 64, "Username of whoever caused the event (`system` for timers)"),
        text("process", 100, "Process key, such as `loan_dossier`"),
        text("task", 100, "BPMN id of the task, such as `confirm_at_commune`"),
        day("from", "First day, in Vietnam time (yyyy-mm-dd)"), day("to", "Last day, inclusive (yyyy-mm-dd)"),
        text("case", 32, "Case number, such as `HS-2026-000001`"),
        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID, "default": 1}},
        {"name": "format", "in": "query", "description": "`csv`: every matching event as CSV (UTF-8 with BOM, "
         "Vietnamese headers), not paged",
         "schema": {"type": "string", "enum": list(AUDIT_FORMATS), "default": "json"}},
    ]
    found = json_body(ref("schemas", "AuditEventPage"), "One page of events, newest first (50 a page)")
    found["content"]["text/csv"] = {"schema": {"type": "string"}}
    return operation("searchAuditEvents", "Audit events of the cases in the caller's scope (auditor and admin only)",
                     ("200", found), "400", "401", "403", parameters=parameters)


def _parameters() -> dict[str, Schema]:
    return {
        "InstanceId": {"name": "instance_id", "in": "path", "required": True,
                       "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}},
        "TaskId": {"name": "task_id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}},
    }


# --- schemas -----------------------------------------------------------------------------------------------

def _schemas() -> dict[str, Schema]:
    return {**_request_schemas(), **_case_schemas(), **_task_schemas(), **_error_schemas(),
            **_history_export_schemas()}


def _request_schemas() -> dict[str, Schema]:
    return {
        "TokenRequest": {"type": "object", "required": ["username", "password"],
                         "properties": {"username": TEXT, "password": TEXT}},
        "StartRequest": {"type": "object", "properties": {"data": {
            **ANY_OBJECT, "description": "Values for the first form; only its fields are accepted"}}},
        "CompleteRequest": {"type": "object", "required": ["data"], "properties": {
            "data": {**ANY_OBJECT, "description": "The form's fields; a submit replaces top-level keys"},
            "idempotency_key": {"type": "string", "minLength": 1, "maxLength": MAX_IDEMPOTENCY_KEY,
                                "description": "Repeating a completion with the same key does it once"}}},
        "Token": obj({"token": STRING, "expires_at": DATE_TIME}),
        "Process": obj({"key": STRING, "name": STRING, "version": INTEGER, "deployed_at": DATE_TIME}),
        "AttachmentRef": obj({"id": INTEGER, "name": STRING, "sha256": STRING, "size": INTEGER,
                              "content_type": STRING}),
        "Verification": obj({"ok": {"type": "boolean"}, "events_checked": INTEGER,
                             "first_bad": nullable({**ANY_OBJECT, "description": "The first broken event"})}),
    }


def _case_schemas() -> dict[str, Schema]:
    head: dict[str, Schema] = {"id": INTEGER, "key": STRING, "version": INTEGER, "status": enum(InstanceStatus),
                               "business_key": STRING}
    ready = {"type": "array", "items": ref("schemas", "Task")}
    instance = {**head, "outcome": nullable({**STRING, "description": "The end event reached"}),
                "started_at": DATE_TIME, "completed_at": nullable(DATE_TIME)}
    return {
        "Instance": obj(instance),
        "InstanceDetail": obj({**instance, "data": ANY_OBJECT, "ready_tasks": ready, "completed_tasks": {
            "type": "array", "items": ref("schemas", "CompletedTask")}}),
        "StartedInstance": obj({**head, "ready_tasks": ready}),
        "CaseState": obj({**head, "outcome": nullable(STRING), "ready_tasks": ready}),
        "AuditEvent": obj({
            "id": INTEGER, "instance_id": INTEGER, "business_key": STRING, "process_key": STRING, "seq": INTEGER,
            "at": DATE_TIME, "actor": STRING,
            "actor_name": nullable({**STRING, "description": "The actor's full name"}),
            "type": enum(AuditType), "task": nullable({**STRING, "description": "The BPMN id of the task, if any"}),
            "task_title": nullable({**STRING, "description": "In the caller's language"})}),
        "AuditEventPage": obj({"events": {"type": "array", "items": ref("schemas", "AuditEvent")}, "page": INTEGER,
                               "per_page": INTEGER, "total": INTEGER, "pages": INTEGER}),
        "HistoryEvent": obj({"seq": INTEGER, "at": DATE_TIME, "actor": STRING, "type": enum(AuditType),
                             "task": nullable({**STRING, "description": "The BPMN id of the task, if any"}),
                             "data": ANY_OBJECT, "hash": STRING}),
        "Replay": obj({
            "instance_id": INTEGER, "step": INTEGER, "steps": INTEGER, "first_mismatch": nullable(INTEGER),
            "matches": {"type": "boolean"}, "problem": nullable(STRING),
            "event": obj({"seq": INTEGER, "at": DATE_TIME, "actor": STRING, "type": enum(AuditType),
                          "task": nullable(STRING)}),
            "recorded_state_hash": STRING, "replayed_state_hash": STRING, "data": ANY_OBJECT,
            "passed": {"type": "array", "items": STRING}, "waiting": {"type": "array", "items": STRING},
            "changes": {"type": "array", "items": {"type": "object", "required": ["field", "before", "after"],
                                                   "properties": {"field": STRING, "before": {}, "after": {}}}}}),
    }


def _task_schemas() -> dict[str, Schema]:
    task: dict[str, Schema] = {
        "id": {"type": "string", "format": "uuid"}, "instance_id": INTEGER, "process_key": STRING,
        "name": {**STRING, "description": "The BPMN id of the user task"},
        "title": {**STRING, "description": "In the caller's language"}, "lane": nullable(STRING),
        "candidate_group": STRING, "unit": nullable(STRING),
        "assignee": nullable({**STRING, "description": "Username of the holder"}), "status": enum(TaskStatus),
        "due_at": nullable(DATE_TIME), "overdue": {"type": "boolean"}}
    form = obj({"schema": ANY_OBJECT, "ui_schema": ANY_OBJECT})
    return {
        "Task": obj(task),
        "TaskDetail": obj({**task, "form": nullable(form),
                           "data": {**ANY_OBJECT, "description": "The case data so far"}}),
        "CompletedTask": obj({**task, "completed_by": nullable({**STRING, "description": "Username"}),
                              "completed_at": nullable(DATE_TIME)}),
    }


def _error_schemas() -> dict[str, Schema]:
    field_error = obj({"field": {**STRING, "description": "Dotted path, such as nominees.2.name"}, "message": STRING})
    error: dict[str, Schema] = {"error": {**STRING, "description": "A stable code, such as not_found"},
                                "message": {**STRING, "description": "For people, in the caller's language"}}
    return {
        "Error": obj(error),
        "ValidationError": obj(error, {"errors": {"type": "array", "items": field_error,
                                                  "description": "One entry per field that failed"}}),
        "ConflictError": obj(error, {
            "completed_by": {**STRING, "description": "Who completed the task (a second completion only)"},
            "completed_at": DATE_TIME}),
    }


def _responses() -> dict[str, Schema]:
    error = ref("schemas", "Error")
    unauthorized = json_body(error, "No token, or a token that is unknown or expired")
    unauthorized["headers"] = {"WWW-Authenticate": {"schema": STRING}}
    return {
        "BadRequest": json_body(ref("schemas", "ValidationError"), "The request or a field is not valid"),
        "Unauthorized": unauthorized,
        "Forbidden": json_body(error, "The caller may not do this"),
        "NotFound": json_body(error, "No such record, or not one the caller may see"),
        "Conflict": json_body(ref("schemas", "ConflictError"),
                              "Someone else holds, changed or already completed it"),
        "TooLarge": json_body(error, "The body is larger than the server accepts"),
        "ProcessFailed": json_body(error, "The process could not advance (a script or decision failed)"),
    }
