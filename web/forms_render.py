"""Task forms as plain HTML: fields described from the JSON schema and UI schema, posted values coerced back.

The page must work without JavaScript, so everything a widget needs is decided here on the server.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from werkzeug.datastructures import MultiDict

from web.formatting import date_vn
from web.formatting import localized
from web.formatting import money
from web.formatting import percent
from workflows.forms import FormSpec
from workflows.messages import FieldError

ROW_FIELD = re.compile(r"^(?P<array>[a-z_][a-z0-9_]*)-(?P<index>\d+)-(?P<name>[a-z_][a-z0-9_]*)$")
DECISION_WIDGET = "decision"
FILE_WIDGET = "file"  # an array of attachment refs: a file input plus the files already attached
READONLY_WIDGET = "readonly"  # a value the process laid out (a nominee's name in a vote): shown, posted back as is
MAX_ROWS = 100


@dataclass
class Choice:
    """One option of an enum field."""

    value: str
    label: str


@dataclass
class Field:
    """One input as the template draws it."""

    name: str
    label: str
    widget: str
    required: bool
    value: Any
    help: str = ""
    choices: list[Choice] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    rows: list[list[Field]] = field(default_factory=list)
    html_name: str = ""
    fixed_rows: bool = False  # rows the process laid out: no "add a row"


def _widget(prop: Mapping[str, Any], ui: Mapping[str, Any]) -> str:
    if ui.get("ui:readonly") or "ui:widget" in ui:
        return READONLY_WIDGET if ui.get("ui:readonly") else str(ui["ui:widget"])
    kind = prop.get("type")
    if kind == "boolean":
        return "checkbox"
    if kind == "array":
        return "rows"
    if prop.get("format") == "date":
        return "date"
    if "oneOf" in prop or "enum" in prop:
        return "select"
    return "number" if kind in ("integer", "number") else "text"


def _choices(prop: Mapping[str, Any]) -> list[Choice]:
    if "oneOf" in prop:
        return [Choice(str(c.get("const")), localized(c) or str(c.get("const"))) for c in prop["oneOf"]]
    return [Choice(str(v), str(v)) for v in prop.get("enum", [])]


def describe(form: FormSpec, values: Mapping[str, Any], errors: list[FieldError], locale: str,
             extra_rows: Mapping[str, int] | None = None) -> list[Field]:
    """The form's fields in display order, with current values and their errors."""
    messages: dict[str, list[str]] = {}
    for error in errors:
        messages.setdefault(error.field, []).append(error.message(locale))
    required = set(form.schema.get("required", []))
    return [_field(name, prop, form.ui_schema.get(name, {}), name in required, values.get(name),
                   _Context(messages, (extra_rows or {}).get(name, 0))) for name, prop in form.fields.items()]


@dataclass(frozen=True)
class _Context:
    messages: dict[str, list[str]]
    extra_rows: int = 0
    prefix: str = ""


def _field(name: str, prop: Mapping[str, Any], ui: Mapping[str, Any], required: bool, value: Any,
           context: _Context) -> Field:
    widget, messages, prefix = _widget(prop, ui), context.messages, context.prefix
    described = Field(name=name, label=localized(dict(prop)) or name, widget=widget, required=required, value=value,
                      help=localized(dict(ui), "ui:help") if "ui:help" in ui else "", choices=_choices(prop),
                      errors=messages.get(f"{prefix}{name}", []), html_name=f"{prefix.replace('.', '-')}{name}")
    if widget == "rows":
        described.fixed_rows = any(isinstance(sub, dict) and sub.get("ui:readonly")
                                   for sub in ui.get("items", {}).values())
        described.rows = _rows(name, prop, ui, value, messages, 0 if described.fixed_rows else context.extra_rows)
        described.errors += [m for k, v in messages.items() if k.startswith(f"{name}.") and k.count(".") == 1
                             for m in v]
    if widget == FILE_WIDGET:
        described.errors += [m for k, v in messages.items() if k.startswith(f"{name}.") for m in v]
    return described


def _rows(name: str, prop: Mapping[str, Any], ui: Mapping[str, Any], value: Any, messages: dict[str, list[str]],
          extra_rows: int) -> list[list[Field]]:
    items = prop.get("items", {})
    item_ui = ui.get("items", {})
    present = list(value) if isinstance(value, list) else []
    count = min(MAX_ROWS, max(len(present) + extra_rows, 1))
    required = set(items.get("required", []))
    rows = []
    for index in range(count):
        row = present[index] if index < len(present) and isinstance(present[index], dict) else {}
        context = _Context(messages, 0, f"{name}.{index}.")
        rows.append([_field(sub, sub_prop, item_ui.get(sub, {}), sub in required, row.get(sub), context)
                     for sub, sub_prop in items.get("properties", {}).items()])
    return rows


ROWS_PER_CLICK = {"_add_row": 1, "_add_rows": 10}


def rows_to_add(posted: MultiDict[str, str]) -> dict[str, int]:
    """Which repeating field the user asked to grow ("+ Thêm dòng", "+ 10 dòng"), and by how many rows."""
    return {posted[button]: count for button, count in ROWS_PER_CLICK.items() if posted.get(button)}


def coerce(form: FormSpec, posted: MultiDict[str, str]) -> dict[str, Any]:
    """Posted text back into JSON values: integers from '100.000.000', booleans from checkboxes, rows.

    A value that cannot be read is passed on as text, so the schema reports it next to its field.
    """
    data: dict[str, Any] = {}
    for name, prop in form.fields.items():
        ui = form.ui_schema.get(name, {})
        if _widget(prop, ui) == "rows":
            data[name] = _coerce_rows(name, prop, posted)
            continue
        if _widget(prop, ui) == FILE_WIDGET:  # the files come with the request's files (web.uploads)
            continue
        value = _coerce_value(prop, posted.get(name), name in posted)
        if value is not None:
            data[name] = value
    return data


def _coerce_rows(name: str, prop: Mapping[str, Any], posted: MultiDict[str, str]) -> list[dict[str, Any]]:
    items = prop.get("items", {}).get("properties", {})
    rows: dict[int, dict[str, Any]] = {}
    for key in posted:
        match = ROW_FIELD.match(key)
        if match and match["array"] == name and match["name"] in items and int(match["index"]) < MAX_ROWS:
            rows.setdefault(int(match["index"]), {})
    result = []
    for index in sorted(rows):
        row = {}
        for sub, sub_prop in items.items():
            key = f"{name}-{index}-{sub}"
            value = _coerce_value(sub_prop, posted.get(key), key in posted)
            if value is not None:
                row[sub] = value
        if any(v not in ("", None, False) for v in row.values()):
            result.append(row)
    return result


def _coerce_value(prop: Mapping[str, Any], raw: str | None, present: bool) -> Any:
    kind = prop.get("type")
    if kind == "boolean":
        return present and raw not in ("", "0", "false", None)
    if raw is None or raw.strip() == "":
        return None
    text = raw.strip()
    if kind in ("integer", "number"):
        return _number(kind, text)
    if prop.get("format") == "date":
        return _iso_date(text)
    return text


def _number(kind: str, text: str) -> int | float | str:
    if kind == "integer":
        digits = text.replace(".", "").replace(" ", "").replace("đ", "").replace(",", "")
        return int(digits) if re.fullmatch(r"-?\d+", digits) else text
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        return text
    # "nan" and "inf" parse as floats but are no amount; left as text they fail the form's number check.
    return value if math.isfinite(value) else text


def _iso_date(text: str) -> str:
    try:
        return dt.datetime.strptime(text, "%d/%m/%Y").date().isoformat()
    except ValueError:
        return text


def readonly_items(form: FormSpec | None, data: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The case data a task shows above its form (the UI schema's ``ui:readonlyData``, else everything)."""
    keys = (form.ui_schema.get("ui:readonlyData") if form else None) or [k for k in data if not k.startswith("_")]
    return [(k, data[k]) for k in keys if k in data and data[k] not in (None, "", [])]


@dataclass(frozen=True)
class DataTable:
    """Rows of case data (nominees, votes, recipients) as a small table: column titles and display texts."""

    headers: list[str]
    rows: list[list[str]]


FieldSchemas = Mapping[str, tuple[dict[str, Any], dict[str, Any]]]


def shown(fields: FieldSchemas, key: str, value: Any, yes: str, no: str) -> str | DataTable:
    """A case data value for reading: a table for a list of rows, else ``display_value``'s text."""
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value) and not _listed_items(value):
        columns = [c for c in dict.fromkeys(k for row in value for k in row)
                   if any(row.get(c) not in (None, "") for row in value)]
        return DataTable([localized(dict(fields[c][0])) or c if c in fields else c for c in columns],
                         [[_cell(fields, c, row.get(c), yes, no) for c in columns] for row in value])
    return "—" if value is None else display_value(fields.get(key), value, yes, no)


def _listed_items(rows: list[dict[str, Any]]) -> bool:
    # Reason codes and attachment refs read better as a plain list than as a table.
    return all(("code" in r and "text" in r) or ("sha256" in r and "name" in r) for r in rows)


def _cell(fields: FieldSchemas, column: str, value: Any, yes: str, no: str) -> str:
    return "" if value in (None, "") else display_value(fields.get(column), value, yes, no)


def display_value(spec: tuple[dict[str, Any], dict[str, Any]] | None, value: Any, yes: str, no: str) -> str:
    """A stored value as a person reads it: money, dd/mm/yyyy, the choice's label, Có/Không, list items."""
    prop, ui = spec if spec else ({}, {})
    if isinstance(value, bool):
        return yes if value else no
    if isinstance(value, list):
        return "; ".join(_list_item(v) for v in value)
    choice = next((c for c in _choices(prop) if c.value == str(value)), None)
    if choice is not None:
        return choice.label
    return _formatted(prop, ui, value)


def _formatted(prop: dict[str, Any], ui: dict[str, Any], value: Any) -> str:
    if ui.get("ui:widget") == "money" or (isinstance(value, int) and "vnd" in str(prop.get("x-title-en", "")).lower()):
        return money(value)
    if prop.get("format") == "date":
        return date_vn(value)
    if prop.get("x-format") == "percent":
        return percent(value)
    return str(value)


def _list_item(value: Any) -> str:
    if isinstance(value, dict):
        if "code" in value and "text" in value:
            return f"{value['code']}: {value['text']}"
        if "sha256" in value and "name" in value:
            return str(value["name"])
        return ", ".join(str(v) for v in value.values() if v not in (None, ""))
    return str(value)
