"""Task forms: found through the SpiffArena ``formJsonSchemaFilename`` property, validated with jsonschema.

Plain JSON Schema checks one value at a time. Rules that compare fields (a citizen id against the date of
birth, an approved amount against the requested one) are declared in the schema's ``x-checks`` list and
checked here, so every form states all its rules in one file.
"""
from __future__ import annotations

import copy
import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema import FormatChecker
from jsonschema import validators
from jsonschema.exceptions import ValidationError

from workflows.form_fastpath import Check
from workflows.form_fastpath import compile_check
from workflows.messages import FieldError

SCHEMA_PROPERTY = "formJsonSchemaFilename"
UI_SCHEMA_PROPERTY = "formUiSchemaFilename"
CITIZEN_ID = re.compile(r"^\d{12}$")

FORMAT_CHECKER = FormatChecker()


@FORMAT_CHECKER.checks("citizen-id")
def _is_citizen_id(value: object) -> bool:
    return not isinstance(value, str) or bool(CITIZEN_ID.match(value))


ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@FORMAT_CHECKER.checks("date", raises=ValueError)
def _is_iso_date(value: object) -> bool:
    # fromisoformat alone also takes week dates ("1988-W09-5"); a form date is YYYY-MM-DD only.
    return not isinstance(value, str) or bool(ISO_DATE.match(value) and dt.date.fromisoformat(value))


def _is_form_date(value: str) -> bool:
    try:
        return _is_iso_date(value)
    except ValueError:
        return False


# Our formats for the compiled check, with the very functions jsonschema's checker uses.
_FORMATS: dict[str, Callable[[str], bool]] = {"date": _is_form_date, "citizen-id": _is_citizen_id}


def _is_whole_number(checker: object, instance: object) -> bool:
    # JSON Schema counts 60000000.0 as an integer; money and counts must arrive as real integers.
    return isinstance(instance, int) and not isinstance(instance, bool)


FormValidator = validators.extend(  # type: ignore[no-untyped-call]
    Draft202012Validator,
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_whole_number))


@dataclass(frozen=True)
class FormSpec:
    """A task's form: its JSON schema and optional UI schema."""

    name: str
    schema: dict[str, Any]
    ui_schema: dict[str, Any]

    @property
    def fields(self) -> dict[str, dict[str, Any]]:
        """The top-level properties, in the UI schema's order."""
        props: dict[str, dict[str, Any]] = self.schema.get("properties", {})
        order = [k for k in self.ui_schema.get("ui:order", []) if k in props]
        return {k: props[k] for k in order + [k for k in props if k not in order]}


WITHDRAW_ACTION = "withdraw"


def offers_withdrawal(form: FormSpec | None) -> bool:
    """True when the form's ``action`` field lets its user withdraw the case (the officer's own form)."""
    action = form.schema.get("properties", {}).get("action", {}) if form else {}
    choices = [c.get("const") for c in action.get("oneOf", [])] + list(action.get("enum", []))
    return WITHDRAW_ACTION in choices


def form_for(properties: Mapping[str, str], forms: Mapping[str, dict[str, Any]]) -> FormSpec | None:
    """The form named by a task's extension properties, or None for a task without a form."""
    schema_name = properties.get(SCHEMA_PROPERTY)
    if not schema_name:
        return None
    ui_name = properties.get(UI_SCHEMA_PROPERTY)
    ui_schema = forms.get(ui_name, {}) if ui_name else {}
    return FormSpec(schema_name.removesuffix(".schema.json"), forms[schema_name], ui_schema)


def check_form_schema(schema: dict[str, Any]) -> None:
    """Raise jsonschema's SchemaError when ``schema`` is not a valid draft 2020-12 schema."""
    Draft202012Validator.check_schema(schema)


def validate_submission(form: FormSpec, submitted: Mapping[str, Any], case_data: Mapping[str, Any],
                        today: dt.date) -> tuple[dict[str, Any], list[FieldError]]:
    """Normalise ``submitted`` and check it against the form; returns the clean data and every error."""
    data = _normalise(dict(submitted))
    validator, surely_valid = _validators(form.schema)
    if surely_valid is not None and surely_valid(data):
        errors: list[FieldError] = []
    else:
        errors = [_field_error(e, form.schema) for e in validator.iter_errors(data)]
    failed = {e.field.split(".")[0] for e in errors}
    for rule in form.schema.get("x-checks", []):
        if rule.get("each"):
            errors += _check_each_row(rule, data, case_data, form.schema, today, failed)
        elif rule.get("field") not in failed:
            error = _cross_check(rule, data, case_data, form.schema, today)
            if error:
                errors.append(error)
    return data, sorted(errors, key=lambda e: _order(form, e.field))


def _check_each_row(rule: dict[str, Any], data: dict[str, Any], case_data: Mapping[str, Any],
                    schema: dict[str, Any], today: dt.date, failed: set[str]) -> list[FieldError]:
    """A rule with ``each`` applies to every row of that array, its ``other`` found in the row or the form."""
    array = rule["each"]
    rows = data.get(array)
    if array in failed or not isinstance(rows, list):
        return []
    around = {**case_data, **data}
    errors = []
    for index, row in enumerate(rows):
        error = _cross_check(rule, row, around, schema, today) if isinstance(row, dict) else None
        if error:
            errors.append(FieldError(f"{array}.{index}.{error.field}", error.code, error.params, error.text))
    return errors


_VALIDATORS: dict[int, tuple[dict[str, Any], Any, Check | None]] = {}


def _validators(schema: dict[str, Any]) -> tuple[Any, Check | None]:
    """jsonschema's validator of ``schema`` and, where it can be trusted, the compiled check (form_fastpath)."""
    # Building a validator costs more than validating; schemas live as long as their process version.
    cached = _VALIDATORS.get(id(schema))
    if cached is None or cached[0] is not schema:
        plain = choices_as_enum(schema)
        cached = _VALIDATORS[id(schema)] = (schema, FormValidator(plain, format_checker=FORMAT_CHECKER),
                                            compile_check(plain, _FORMATS))
    return cached[1], cached[2]


# Keywords whose values are data, not subschemas: nothing inside them is rewritten.
_DATA_KEYWORDS = frozenset(("const", "enum", "default", "examples"))
_LABEL_KEYWORDS = frozenset(("const", "title", "description"))


def choices_as_enum(schema: Any) -> Any:
    """``schema`` with every ``oneOf`` of labelled constants written as the ``enum`` it is equal to.

    A choice field lists its options as ``oneOf: [{const, title}, ...]`` so that forms can show their
    labels. jsonschema checks such a ``oneOf`` branch by branch and builds an error for every option the
    value is not; ``enum`` is one comparison. The two accept exactly the same values when no two constants
    are equal, and both refusals read "choice" (see ``_code_for``): only the speed changes. The form keeps
    its original schema for labels and messages; this one is only validated against.
    """
    if isinstance(schema, list):
        return [choices_as_enum(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    rewritten = {key: value if key in _DATA_KEYWORDS or key.startswith("x-") else choices_as_enum(value)
                 for key, value in schema.items()}
    constants = _labelled_constants(schema.get("oneOf"))
    if constants is not None and "enum" not in schema:
        del rewritten["oneOf"]
        rewritten["enum"] = constants
    return rewritten


def _labelled_constants(branches: Any) -> list[Any] | None:
    """The constants of a ``oneOf`` whose branches are only a constant and its labels, all different; else None."""
    if not isinstance(branches, list) or not branches:
        return None
    if not all(isinstance(b, dict) and "const" in b and all(k in _LABEL_KEYWORDS or k.startswith("x-") for k in b)
               for b in branches):
        return None
    constants = [b["const"] for b in branches]
    # JSON Schema equality (1 equals 1.0): two equal constants would make a oneOf refuse what an enum accepts.
    if any(Draft202012Validator({"const": a}).is_valid(b) for i, a in enumerate(constants) for b in constants[i + 1:]):
        return None
    return constants


def _order(form: FormSpec, field: str) -> int:
    names = list(form.fields)
    head = field.split(".", maxsplit=1)[0]
    return names.index(head) if head in names else len(names)


def _normalise(value: Any) -> Any:
    """A copy of ``value`` with every text trimmed and in NFC: containers are rebuilt, nothing is shared."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value.strip())
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return copy.deepcopy(value)  # not JSON: the schema refuses it, but the caller's object stays untouched


_TYPE_CODES = {"integer": "type_integer", "number": "type_number", "string": "type_string",
               "boolean": "type_boolean", "array": "type_array", "object": "type_object"}
_LIMIT_CODES = {"minimum": "minimum", "exclusiveMinimum": "minimum", "maximum": "maximum",
                "exclusiveMaximum": "maximum", "minLength": "min_length", "maxLength": "max_length",
                "minItems": "min_items", "maxItems": "max_items"}


def _field_error(error: ValidationError, schema: dict[str, Any]) -> FieldError:
    path = ".".join(str(p) for p in error.absolute_path)
    if error.validator == "required":
        return FieldError(".".join(filter(None, [path, error.message.split("'")[1]])), "required")
    if error.validator == "additionalProperties":
        instance: dict[str, Any] = error.instance if isinstance(error.instance, dict) else {}
        extra = sorted(set(instance) - set(schema_properties(error.schema)))
        return FieldError(".".join(filter(None, [path, extra[0] if extra else ""])), "unknown_field")
    prop = _property_schema(schema, list(error.absolute_path))
    custom = prop.get("x-message") if prop else None
    text = (custom["vi"], custom["en"]) if custom else None
    code, params = _code_for(error)
    return FieldError(path, code, params, text)


def schema_properties(schema: Any) -> dict[str, Any]:
    """The ``properties`` of a (sub)schema, or an empty mapping."""
    props = schema.get("properties", {}) if isinstance(schema, dict) else {}
    return props if isinstance(props, dict) else {}


def _code_for(error: ValidationError) -> tuple[str, dict[str, Any]]:
    kind, value = str(error.validator), error.validator_value
    if kind == "type":
        expected = value if isinstance(value, str) else list(value)[0] if isinstance(value, list) else ""
        return _TYPE_CODES.get(expected, "invalid"), {}
    if kind == "format":
        return {"date": "date", "citizen-id": "citizen_id"}.get(str(value), "invalid"), {}
    if kind in _LIMIT_CODES:
        return _LIMIT_CODES[kind], {"limit": value}
    if kind in {"enum", "oneOf", "const", "anyOf"}:
        return "choice", {}
    return ("pattern" if kind == "pattern" else "invalid"), {}


def _property_schema(schema: dict[str, Any], path: list[Any]) -> dict[str, Any] | None:
    node: dict[str, Any] | None = schema
    for part in path:
        if node is None:
            return None
        node = node.get("items") if isinstance(part, int) else node.get("properties", {}).get(part)
    return node


def _label(schema: dict[str, Any], name: str) -> str:
    title: str = schema.get("properties", {}).get(name, {}).get("title", name)
    return title


CheckFn = Callable[[dict[str, Any], dict[str, Any], Mapping[str, Any], dict[str, Any], dt.date], FieldError | None]


def _cross_check(rule: dict[str, Any], data: dict[str, Any], case_data: Mapping[str, Any],
                 schema: dict[str, Any], today: dt.date) -> FieldError | None:
    check = _CHECKS.get(rule.get("check", ""))
    if check is None:
        raise ValueError(f"Quy tắc kiểm tra không tồn tại: {rule.get('check')}")
    return check(rule, data, case_data, schema, today)


def _citizen_id_matches(rule: dict[str, Any], data: dict[str, Any], case_data: Mapping[str, Any],
                        schema: dict[str, Any], today: dt.date) -> FieldError | None:
    number, birth, sex = (data.get(rule[k]) for k in ("field", "birth_date_field", "sex_field"))
    if not (isinstance(number, str) and CITIZEN_ID.match(number) and isinstance(birth, str)):
        return None
    try:
        year = dt.date.fromisoformat(birth).year
    except ValueError:
        return None
    expected_digit = 2 * ((year - 1900) // 100) + (1 if sex == "female" else 0)
    if sex in {"male", "female"} and int(number[3]) != expected_digit:
        return FieldError(rule["field"], "citizen_id_sex")
    if number[4:6] != f"{year % 100:02d}":
        return FieldError(rule["field"], "citizen_id_year", {"year": year})
    return None


def _required_if(rule: dict[str, Any], data: dict[str, Any], case_data: Mapping[str, Any],
                 schema: dict[str, Any], today: dt.date) -> FieldError | None:
    applies = all(data.get(k) in values for k, values in rule["when"].items())
    value = data.get(rule["field"])
    if applies and value in (None, "", []):
        return FieldError(rule["field"], "required")
    return None


def _compare_with_case(rule: dict[str, Any], data: dict[str, Any], case_data: Mapping[str, Any],
                       schema: dict[str, Any], today: dt.date) -> FieldError | None:
    # A field of the same form wins over the case's older value of it (a council re-votes with new numbers).
    name = rule["other"]
    value, other = data.get(rule["field"]), data[name] if name in data else case_data.get(name)
    if value is None or other is None:
        return None
    try:
        failed = _violates(rule["check"], value, other)
    except (TypeError, ValueError):
        failed = True
    if not failed:
        return None
    return FieldError(rule["field"], rule["check"], {
        "other_label": rule.get("other_label", rule["other"]), "limit": _display(other),
        "other_label_en": rule.get("other_label_en", rule.get("other_label", rule["other"]))})


def _violates(check: str, value: Any, other: Any) -> bool:
    if check == "lte_data":
        return bool(value > other)
    if check == "equals_data":
        return bool(value != other)
    return dt.date.fromisoformat(value) < dt.date.fromisoformat(other)


def _date_bound(rule: dict[str, Any], data: dict[str, Any], case_data: Mapping[str, Any],
                schema: dict[str, Any], today: dt.date) -> FieldError | None:
    value = data.get(rule["field"])
    if not isinstance(value, str):
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return None
    too_late = day > today if rule["check"] == "not_future" else day >= today
    return FieldError(rule["field"], rule["check"]) if too_late else None


def _unique_rows(rule: dict[str, Any], data: dict[str, Any], case_data: Mapping[str, Any],
                 schema: dict[str, Any], today: dt.date) -> FieldError | None:
    seen: set[tuple[Any, ...]] = set()
    for index, row in enumerate(data.get(rule["field"]) or []):
        key = tuple(str(row.get(k, "")).casefold() for k in rule["keys"])
        if key in seen:
            return FieldError(f"{rule['field']}.{index}.{rule['keys'][0]}", "duplicate", {"value": " / ".join(key)})
        seen.add(key)
    return None


def _no_row_where(rule: dict[str, Any], data: dict[str, Any], case_data: Mapping[str, Any],
                  schema: dict[str, Any], today: dt.date) -> FieldError | None:
    """The first row whose ``column`` equals ``equals`` is refused, naming the row by its ``label`` column."""
    for index, row in enumerate(data.get(rule["field"]) or []):
        if isinstance(row, dict) and row.get(rule["column"]) == rule["equals"]:
            message = rule.get("message", {})
            text = (message["vi"], message["en"]) if message else None
            return FieldError(f"{rule['field']}.{index}.{rule['column']}", "row_refused",
                              {"label": row.get(rule.get("label", ""), index + 1)}, text)
    return None


def _rows_match_data(rule: dict[str, Any], data: dict[str, Any], case_data: Mapping[str, Any],
                     schema: dict[str, Any], today: dt.date) -> FieldError | None:
    """Rows the process laid out (one per nominee) must come back in the same order with the same keys."""
    def keys(rows: Any) -> list[tuple[Any, ...]]:
        return [tuple(r.get(k) for k in rule["keys"]) for r in rows or [] if isinstance(r, dict)]

    submitted, expected = data.get(rule["field"]), case_data.get(rule["other"])
    if keys(submitted) != keys(expected) or len(submitted or []) != len(expected or []):
        return FieldError(rule["field"], "rows_changed")
    return None


def _display(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}".replace(",", ".")
    return str(value)


_CHECKS: dict[str, CheckFn] = {
    "citizen_id_matches": _citizen_id_matches,
    "required_if": _required_if,
    "lte_data": _compare_with_case,
    "equals_data": _compare_with_case,
    "not_before_data": _compare_with_case,
    "not_future": _date_bound,
    "past": _date_bound,
    "unique_rows": _unique_rows,
    "no_row_where": _no_row_where,
    "rows_match_data": _rows_match_data,
}

KNOWN_CHECKS = frozenset(_CHECKS)
