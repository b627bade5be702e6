"""The compiled check never accepts a submission that jsonschema refuses, and steps aside where it cannot be trusted."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from tests.support import loan_dossier
from workflows.form_fastpath import compile_check
from workflows.forms import FORMAT_CHECKER
from workflows.forms import FormSpec
from workflows.forms import FormValidator
from workflows.forms import _validators
from workflows.forms import choices_as_enum
from workflows.forms import validate_submission

FORMS = sorted((Path(__file__).resolve().parents[2] / "bpmn" / "forms").glob("*.schema.json"))
TODAY = dt.date(2026, 3, 2)
JUNK = st.one_of(st.none(), st.booleans(), st.integers(-10, 10), st.floats(allow_nan=False, allow_infinity=False),
                 st.text(max_size=8), st.just([]), st.just({}), st.just((1, 2)))
TEXT = st.one_of(st.text(max_size=12), st.sampled_from([
    "", " ", "2026-03-02", "2026-02-30", "1988-W09-5", "2026-03-02\n", "001088004321", "00108800432", "10001",
    "10001\n", "0987654321", "0987654321\n", "٠٩٨٧٦٥٤٣٢١", "a" * 300, "ok", "x" * 64, "f" * 64]))


def _strategy(schema: Any, defs: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values for ``schema``: mostly near what it accepts (its options, bounds, formats), some junk."""
    if not isinstance(schema, dict):
        return JUNK
    if "$ref" in schema:
        return _strategy(defs.get(str(schema["$ref"]).rsplit("/", 1)[-1], {}), defs)
    likely: list[st.SearchStrategy[Any]] = []
    if "enum" in schema:
        likely.append(st.sampled_from(schema["enum"]))
    kinds = schema.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if "string" in kinds:
        likely.append(TEXT)
    if "integer" in kinds or "number" in kinds:
        bounds = [v for k, v in schema.items() if k in ("minimum", "maximum") and isinstance(v, int)]
        likely.append(st.sampled_from([b + d for b in bounds or [0] for d in (-1, 0, 1)]) | st.integers())
        likely.append(st.sampled_from([1.0, 60_000_000.0, 0.5]))
    if "boolean" in kinds:
        likely.append(st.booleans())
    if "array" in kinds:
        likely.append(st.lists(_strategy(schema.get("items", {}), defs), max_size=4))
    if "object" in kinds or "properties" in schema:
        likely.append(_object(schema, defs))
    return st.one_of(*likely, JUNK) if likely else JUNK


def _object(schema: dict[str, Any], defs: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    fields = {name: _strategy(sub, defs) for name, sub in schema.get("properties", {}).items()}
    extra = st.dictionaries(st.sampled_from(["khac", "x-extra", "__proto__"]), JUNK, max_size=1)
    return st.builds(lambda chosen, more: {**chosen, **more},
                     st.fixed_dictionaries({}, optional=fields), extra)


def _jsonschema_errors(schema: dict[str, Any], data: Any) -> list[str]:
    validator = FormValidator(schema, format_checker=FORMAT_CHECKER)
    return [e.message for e in validator.iter_errors(data)]


NOMINEE = {"recipient_kind": "individual", "name": "Nguyễn Văn An", "position": "Cán bộ", "work_unit": "Công an xã",
           "achievement_summary": "Giúp đỡ người chấp hành xong án", "under_discipline_or_investigation": False}
# One correct submission per form; the draws below change, drop or add a few of its fields.
VALID: dict[str, dict[str, Any]] = {
    "compile_dossier": loan_dossier(today=TODAY),
    "confirm_at_commune": {"decision": "return", "comment": "Thiếu giấy tờ", "reason_code": "R1"},
    "appraise_loan": {"decision": "approve", "approved_amount_vnd": 60_000_000, "approved_term_months": 24,
                      "approval_notice_ref": "04/TD-1", "approved_on": "2026-03-02"},
    "disburse_loan": {"disbursed_amount_vnd": 60_000_000, "disbursed_on": "2026-03-02",
                      "loan_account_number": "760011"},
    "nominate": {"award_form": "police_director_certificate", "award_type": "topic", "proposal_number": "12/TTr",
                 "proposal_date": "2026-02-20", "council_minutes_ref": "05/BB", "nominees": [NOMINEE, NOMINEE]},
    "appraise_dossier": {"decision": "accept", "comment": "Đạt", "appraisal_results": [
        {"nominee_no": 1, "name": "An", "accepted": True}, {"nominee_no": 2, "name": "Bình", "accepted": False,
                                                             "exclusion_reason": "Đang bị xem xét kỷ luật"}]},
    "council_vote": {"meeting_date": "2026-03-02", "members_total": 9, "members_present": 7, "minutes_ref": "07/BB",
                     "council_votes": [{"nominee_no": 1, "name": "An", "votes_for": 6}]},
    "sign_decision": {"decision": "approve", "signing_capacity": "ky_thay", "signer_title": "Phó Chủ tịch"},
    "issue_certificates": {"handover_date": "2026-03-02", "certificate_register_ref": "Sổ 01/2026", "note": ""},
}


def _variants(schema: dict[str, Any], valid: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """The valid submission with up to three fields replaced by drawn values, dropped, or added."""
    defs = schema.get("$defs", {})
    fields = {name: _strategy(sub, defs) for name, sub in schema.get("properties", {}).items()}
    names = sorted(set(fields) | set(valid) | {"khac"})
    change = st.tuples(st.sampled_from(names), st.one_of(st.just(None), JUNK)).flatmap(
        lambda pick: st.tuples(st.just(pick[0]), fields.get(pick[0], JUNK) | st.just("<drop>")))
    return st.lists(change, max_size=3).map(lambda changes: _applied(valid, changes))


def _applied(valid: dict[str, Any], changes: list[tuple[str, Any]]) -> dict[str, Any]:
    data = json.loads(json.dumps(valid))
    for name, value in changes:
        if value == "<drop>":
            data.pop(name, None)
        else:
            data[name] = value
    return data


def test_every_form_has_a_valid_example() -> None:
    """The comparison below covers every real form, starting from a submission both validators accept."""
    assert sorted(VALID) == sorted(f.name.split(".")[0] for f in FORMS)


@pytest.mark.parametrize("form", FORMS, ids=lambda p: p.name.split(".")[0])
def test_compiled_check_accepts_only_what_jsonschema_accepts(form: Path) -> None:
    """For every real form, over many drawn submissions: whenever the compiled check says yes, jsonschema agrees."""
    original = json.loads(form.read_text(encoding="utf-8"))
    schema = choices_as_enum(original)
    _, surely_valid = _validators(original)
    assert surely_valid is not None, f"{form.name}: the real forms are all simple enough for the compiled check"
    valid = VALID[form.name.split(".")[0]]
    assert surely_valid(valid) and _jsonschema_errors(schema, valid) == []
    verdicts: list[bool] = []

    @settings(max_examples=300, deadline=None, database=None)
    @given(st.one_of(_variants(schema, valid), _object(schema, schema.get("$defs", {}))))
    def check(data: dict[str, Any]) -> None:
        verdicts.append(surely_valid(data))
        if verdicts[-1]:
            assert _jsonschema_errors(schema, data) == [], data

    check()
    assert any(verdicts) and not all(verdicts), "the draws should include submissions of both kinds"


@pytest.mark.parametrize(("name", "submitted"), [
    ("confirm_at_commune", {"decision": "confirm", "comment": "Đủ điều kiện"}),
    ("appraise_loan", {"decision": "approve", "approved_amount_vnd": 60_000_000, "approved_term_months": 24,
                       "approval_notice_ref": "04/TD-1", "approved_on": "2026-03-02"}),
    ("disburse_loan", {"disbursed_amount_vnd": 60_000_000, "disbursed_on": "2026-03-02",
                       "loan_account_number": "760011"}),
])
def test_a_valid_form_is_confirmed_by_the_compiled_check(name: str, submitted: dict[str, Any]) -> None:
    """The everyday case, a correct submission, never reaches jsonschema: that is where the time goes."""
    schema = json.loads((FORMS[0].parent / f"{name}.schema.json").read_text(encoding="utf-8"))
    _, surely_valid = _validators(schema)
    assert surely_valid is not None and surely_valid(submitted)
    assert validate_submission(FormSpec(name, schema, {}), submitted, {}, TODAY)[1] == []


FORMATS = {"date": lambda v: len(v) == 10, "citizen-id": lambda v: v.isdigit()}


@pytest.mark.parametrize("schema", [
    {"properties": {"f": {"$ref": "#/$defs/a", "maxItems": 1}}, "$defs": {"a": {"type": "array"}}},
    {"properties": {"f": {"enum": [1, 2]}}},  # Python's 1 == True; JSON Schema's is not
    {"properties": {"f": {"const": 0}}},
    {"properties": {"f": {"type": "string", "format": "email"}}},
    {"patternProperties": {"^x": {"type": "string"}}},
    {"properties": {"f": {"items": [{"type": "string"}]}}},
    {"properties": {"f": {"type": "array", "prefixItems": [{"type": "string"}]}}},
    {"properties": {"f": {"$ref": "https://example.org/remote.json"}}},
    {"properties": []},
])
def test_schemas_it_cannot_be_trusted_with_get_no_compiled_check(schema: dict[str, Any]) -> None:
    """A keyword it ignores or reads differently sends every submission of that form to jsonschema."""
    assert compile_check({"type": "object", **schema}, FORMATS) is None


@pytest.mark.parametrize("data", [
    {"n": 1.0}, {"n": 2.5}, {"rows": (1, 2)}, {1: "a"}, {"nested": {"deep": [0.5]}},
])
def test_floats_tuples_and_odd_keys_go_to_jsonschema(data: dict[Any, Any]) -> None:
    """A whole-number float passes fastjsonschema's integer but not our forms': such data is never confirmed here."""
    surely_valid = compile_check({"type": "object"}, FORMATS)
    assert surely_valid is not None and not surely_valid(data)
    assert surely_valid({"n": 1, "rows": [1, "a", None, True], "nested": {"deep": []}})


def test_the_check_never_fills_in_defaults() -> None:
    """fastjsonschema can write a schema's defaults into the data it checks; ours only reads."""
    surely_valid = compile_check({"type": "object", "properties": {"f": {"type": "string", "default": "x"}}}, FORMATS)
    data: dict[str, Any] = {}
    assert surely_valid is not None and surely_valid(data) and data == {}
