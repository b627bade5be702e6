"""Choice fields are validated as an ``enum``: the same values pass and fail as with their ``oneOf`` of options."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from workflows.forms import FORMAT_CHECKER
from workflows.forms import FormValidator
from workflows.forms import choices_as_enum

FORMS = sorted((Path(__file__).resolve().parents[2] / "bpmn" / "forms").glob("*.schema.json"))
# Right and wrong values a choice can be sent: every option is added per field below.
PROBES: list[Any] = ["", "khác", "R9", 0, 1, 1.0, True, False, None, [], {}, ["confirm"], "CONFIRM", " confirm"]


def _choices(node: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], list[Any]]]:
    """(path of property names, options) of every choice field given as ``oneOf`` constants in a schema."""
    found = []
    if isinstance(node, dict):
        if isinstance(node.get("oneOf"), list) and all("const" in b for b in node["oneOf"]):
            found.append((path, [b["const"] for b in node["oneOf"]]))
        for name, sub in node.get("properties", {}).items():
            found += _choices(sub, (*path, name))
        if isinstance(node.get("items"), dict):
            found += _choices(node["items"], path)
    return found


def _verdicts(schema: dict[str, Any], instance: Any) -> list[tuple[str, ...]]:
    """Where the validator refuses ``instance`` (the paths of its errors); the same for equal validators."""
    validator = FormValidator(schema, format_checker=FORMAT_CHECKER)
    return sorted(tuple(str(p) for p in e.absolute_path) for e in validator.iter_errors(instance))


def _nest(path: tuple[str, ...], value: Any) -> Any:
    for name in reversed(path):
        value = {name: value}
    return value


def _loose(schema: Any) -> Any:
    """The schema without ``required`` anywhere, so that one field can be probed alone."""
    if isinstance(schema, dict):
        return {k: _loose(v) for k, v in schema.items() if k != "required"}
    if isinstance(schema, list):
        return [_loose(v) for v in schema]
    return schema


def _schema(form: Path) -> dict[str, Any]:
    return _loose(json.loads(form.read_text(encoding="utf-8")))


def test_the_real_forms_have_choice_fields() -> None:
    """The check below has something to check: most forms offer a choice (a decision, a reason, a sex)."""
    assert len([f for f in FORMS if _choices(_schema(f))]) >= 6


@pytest.mark.parametrize("form", [f for f in FORMS if _choices(_schema(f))], ids=lambda p: p.name.split(".")[0])
def test_every_choice_field_accepts_and_refuses_as_before(form: Path) -> None:
    """For every choice field of the real forms, each option and each wrong value gets the same verdict."""
    original = _schema(form)
    rewritten = choices_as_enum(original)
    for path, options in _choices(original):
        for value in [*options, *PROBES]:
            instance = _nest(path, value) if path else value
            assert _verdicts(rewritten, instance) == _verdicts(original, instance), (path, value)
    assert "oneOf" not in json.dumps(rewritten)


def test_choice_becomes_enum_and_labels_stay_out_of_the_way() -> None:
    """A oneOf of labelled constants is validated as the enum of its constants; the field's other rules stay."""
    field = {"type": "string", "title": "Ý kiến", "oneOf": [{"const": "confirm", "title": "Xác nhận"},
                                                           {"const": "reject", "title": "Từ chối", "x-title-en": "R"}]}
    assert choices_as_enum(field) == {"type": "string", "title": "Ý kiến", "enum": ["confirm", "reject"]}


@pytest.mark.parametrize("branches", [
    [{"const": 1}, {"const": 1.0}],  # equal in JSON Schema: a oneOf refuses 1, an enum would take it
    [{"const": "a"}, {"const": "b", "minLength": 2}],  # a branch with a rule of its own
    [{"const": "a"}, {"type": "string"}],
    [],
])
def test_oneof_that_is_not_a_plain_choice_is_kept(branches: list[dict[str, Any]]) -> None:
    """Only a oneOf whose branches are different constants with labels is rewritten."""
    schema = {"oneOf": branches}
    assert choices_as_enum(schema) == schema


def test_constants_and_annotations_are_data_not_schemas() -> None:
    """What sits inside const, enum, default or an x- annotation is never rewritten, even if it looks like a choice."""
    looks_like_choice = {"oneOf": [{"const": "a"}, {"const": "b"}]}
    schema = {"properties": {"f": {"const": looks_like_choice, "default": looks_like_choice,
                                   "x-widget": looks_like_choice}}}
    assert choices_as_enum(schema) == schema
