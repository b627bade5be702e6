"""Submitted forms are normalised and checked against the real bpmn/forms schemas, with bilingual messages."""
from __future__ import annotations

import datetime as dt
import json
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from workflows.forms import SCHEMA_PROPERTY
from workflows.forms import UI_SCHEMA_PROPERTY
from workflows.forms import FormSpec
from workflows.forms import form_for
from workflows.forms import validate_submission
from workflows.messages import FieldError
from workflows.registry import ProcessDefinition

TODAY = dt.date(2026, 3, 2)
FORMS_DIR = Path(__file__).resolve().parents[2] / "bpmn" / "forms"
APPROVAL: dict[str, Any] = {"decision": "approve", "approved_amount_vnd": 60_000_000, "approved_term_months": 24,
                            "approval_notice_ref": "04/TD-1", "approved_on": "2026-03-02"}
DISBURSAL: dict[str, Any] = {"disbursed_amount_vnd": 60_000_000, "disbursed_on": "2026-03-02",
                             "loan_account_number": "760011"}


def _form(definition: ProcessDefinition, name: str) -> FormSpec:
    properties = {SCHEMA_PROPERTY: f"{name}.schema.json", UI_SCHEMA_PROPERTY: f"{name}.uischema.json"}
    form = form_for(properties, definition.forms)
    assert form is not None
    return form


def _errors(definition: ProcessDefinition, name: str, submitted: dict[str, Any],
            case_data: dict[str, Any] | None = None) -> list[tuple[str, str]]:
    _, errors = validate_submission(_form(definition, name), submitted, case_data or {}, TODAY)
    return [(e.field, e.code) for e in errors]


@pytest.mark.parametrize(("name", "submitted", "case_data"), [
    ("compile_dossier", None, {}),
    ("confirm_at_commune", {"decision": "confirm"}, {}),
    ("confirm_at_commune", {"decision": "return", "comment": "Thiếu giấy chứng nhận"}, {}),
    ("appraise_loan", APPROVAL, {"requested_amount_vnd": 60_000_000}),
    ("disburse_loan", DISBURSAL, {"approved_amount_vnd": 60_000_000, "approved_on": "2026-03-02"}),
])
def test_valid_submissions_pass(loan_definition: ProcessDefinition, dossier: dict[str, Any], name: str,
                                submitted: dict[str, Any] | None, case_data: dict[str, Any]) -> None:
    """The example dossier and each later step's ordinary answer raise no error."""
    assert _errors(loan_definition, name, submitted or dossier, case_data) == []


def test_form_for_task_without_form_is_none(loan_definition: ProcessDefinition) -> None:
    """A task whose properties name no schema has no form."""
    assert form_for({"titleEn": "x"}, loan_definition.forms) is None


def test_form_fields_follow_ui_order(loan_definition: ProcessDefinition) -> None:
    """A form's fields come in the UI schema's order, and the form is named after its schema file."""
    form = _form(loan_definition, "compile_dossier")
    assert form.name == "compile_dossier"
    assert list(form.fields)[:4] == loan_definition.forms["compile_dossier.uischema.json"]["ui:order"][:4]


# --- citizen id -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("number", ["00108800432", "0010880043210", "00108800432A", "001 88004321", ""])
def test_citizen_id_must_be_twelve_digits(loan_definition: ProcessDefinition, dossier: dict[str, Any],
                                          number: str) -> None:
    """A citizen id that is not exactly 12 digits is refused with the format message."""
    assert _errors(loan_definition, "compile_dossier", {**dossier, "national_id_number": number}) == [
        ("national_id_number", "citizen_id")]


@pytest.mark.parametrize(("birth", "sex", "number"), [
    ("1988-03-04", "male", "001088004321"),
    ("1988-03-04", "female", "001188004321"),
    ("2001-05-06", "male", "001201004321"),
    ("2001-05-06", "female", "001301004321"),
    ("1900-01-01", "female", "079100000001"),
    ("2000-12-31", "male", "079200000001"),
])
def test_citizen_id_digit4_and_year_accepted(loan_definition: ProcessDefinition, dossier: dict[str, Any],
                                             birth: str, sex: str, number: str) -> None:
    """Digit 4 is 0/1 for men/women born in the 1900s and 2/3 in the 2000s; digits 5–6 are the birth year."""
    submitted = {**dossier, "date_of_birth": birth, "sex": sex, "national_id_number": number}
    assert _errors(loan_definition, "compile_dossier", submitted) == []


@pytest.mark.parametrize(("birth", "sex", "number"), [
    ("1988-03-04", "male", "001188004321"),
    ("1988-03-04", "female", "001088004321"),
    ("1988-03-04", "male", "001288004321"),
    ("2001-05-06", "male", "001001004321"),
    ("2001-05-06", "female", "001201004321"),
    ("2000-12-31", "female", "079100000001"),
])
def test_citizen_id_digit4_must_match_sex_and_century(loan_definition: ProcessDefinition, dossier: dict[str, Any],
                                                      birth: str, sex: str, number: str) -> None:
    """A digit 4 that contradicts the sex or the century of birth is refused."""
    submitted = {**dossier, "date_of_birth": birth, "sex": sex, "national_id_number": number}
    assert _errors(loan_definition, "compile_dossier", submitted) == [("national_id_number", "citizen_id_sex")]


@pytest.mark.parametrize(("birth", "number"), [
    ("1988-03-04", "001087004321"),
    ("1988-03-04", "001000004321"),
    ("2001-05-06", "001210004321"),
])
def test_citizen_id_digits_5_6_must_match_birth_year(loan_definition: ProcessDefinition, dossier: dict[str, Any],
                                                     birth: str, number: str) -> None:
    """Digits 5–6 that are not the last two digits of the birth year are refused, naming the year."""
    submitted = {**dossier, "date_of_birth": birth, "national_id_number": number}
    _, errors = validate_submission(_form(loan_definition, "compile_dossier"), submitted, {}, TODAY)
    assert [(e.field, e.code) for e in errors] == [("national_id_number", "citizen_id_year")]
    year = birth[:4]
    assert year in errors[0].message("vi")
    assert year in errors[0].message("en")


def test_citizen_id_cross_check_skipped_when_birth_date_invalid(loan_definition: ProcessDefinition,
                                                                dossier: dict[str, Any]) -> None:
    """An unreadable birth date is reported once, on the date, not again on the citizen id."""
    submitted = {**dossier, "date_of_birth": "04/03/1988"}
    assert _errors(loan_definition, "compile_dossier", submitted) == [("date_of_birth", "date")]


# --- messages -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("error", "vi", "en"), [
    (FieldError("national_id_number", "citizen_id"), "Số định danh cá nhân phải gồm 12 chữ số",
     "The citizen id must have 12 digits"),
    (FieldError("national_id_number", "citizen_id_sex"),
     "Chữ số thứ 4 của số định danh không khớp với giới tính và thế kỷ sinh",
     "Digit 4 of the citizen id does not match the sex and century of birth"),
    (FieldError("national_id_number", "citizen_id_year", {"year": 1988}),
     "Chữ số thứ 5–6 của số định danh không khớp với năm sinh 1988",
     "Digits 5–6 of the citizen id do not match the birth year 1988"),
    (FieldError("comment", "required"), "Trường này là bắt buộc", "This field is required"),
    (FieldError("x", "maximum", {"limit": 120}), "Giá trị không được vượt quá 120", "Must be at most 120"),
    (FieldError("x", "no_such_code"), "Giá trị không hợp lệ", "Invalid value"),
    (FieldError("x", "maximum"), "Giá trị không được vượt quá {limit}", "Must be at most {limit}"),
    (FieldError("phone", "pattern", {}, ("Số điện thoại sai", "Wrong phone")), "Số điện thoại sai", "Wrong phone"),
])
def test_messages_in_vietnamese_and_english(error: FieldError, vi: str, en: str) -> None:
    """Every error reads in Vietnamese (the default) and English; unknown codes fall back to 'invalid'."""
    assert error.message() == vi
    assert error.message("vi") == vi
    assert error.message("en") == en
    assert error.message("en-GB") == en
    assert error.as_dict("en") == {"field": error.field, "message": en}


@pytest.mark.parametrize(("field", "value", "vi", "en"), [
    ("phone", "12345", "Số điện thoại gồm 10 chữ số, bắt đầu bằng số 0",
     "The phone number has 10 digits and starts with 0"),
    ("residence_commune_code", "1", "Mã xã, phường gồm 5 chữ số", "The commune code has 5 digits"),
])
def test_schema_x_message_overrides_pattern_message(loan_definition: ProcessDefinition, dossier: dict[str, Any],
                                                    field: str, value: str, vi: str, en: str) -> None:
    """A property's x-message gives the pattern error its own words in both languages."""
    _, errors = validate_submission(_form(loan_definition, "compile_dossier"), {**dossier, field: value}, {}, TODAY)
    assert [(e.field, e.code, e.message("vi"), e.message("en")) for e in errors] == [(field, "pattern", vi, en)]


# --- cross-field checks ---------------------------------------------------------------------------------------


def test_required_if_training_months_for_vocational_training(loan_definition: ProcessDefinition,
                                                             dossier: dict[str, Any]) -> None:
    """training_months is required only when the loan is for vocational training."""
    training = {**dossier, "loan_purpose": "vocational_training"}
    assert _errors(loan_definition, "compile_dossier", training) == [("training_months", "required")]
    assert _errors(loan_definition, "compile_dossier", {**training, "training_months": 6}) == []
    assert _errors(loan_definition, "compile_dossier", dossier) == []


@pytest.mark.parametrize(("submitted", "expected"), [
    ({"decision": "confirm"}, []),
    ({"decision": "return"}, [("comment", "required")]),
    ({"decision": "reject"}, [("comment", "required")]),
    ({"decision": "return", "comment": "   "}, [("comment", "required")]),
    ({"decision": "maybe"}, [("decision", "choice")]),
    ({}, [("decision", "required")]),
])
def test_commune_comment_required_unless_confirm(loan_definition: ProcessDefinition, submitted: dict[str, Any],
                                                 expected: list[tuple[str, str]]) -> None:
    """The commune must give a reason when it returns or rejects; a blank reason is no reason."""
    assert _errors(loan_definition, "confirm_at_commune", submitted) == expected


def test_required_if_approval_fields(loan_definition: ProcessDefinition) -> None:
    """Approving requires the amount, term and notice number (the date is optional), reported in form order."""
    assert _errors(loan_definition, "appraise_loan", {"decision": "approve"}, {"requested_amount_vnd": 1}) == [
        ("approved_amount_vnd", "required"), ("approved_term_months", "required"),
        ("approval_notice_ref", "required")]


@pytest.mark.parametrize(("approved", "expected"), [
    (59_999_999, []),
    (60_000_000, []),
    (60_000_001, [("approved_amount_vnd", "lte_data")]),
])
def test_lte_data_approved_not_above_requested(loan_definition: ProcessDefinition, approved: int,
                                               expected: list[tuple[str, str]]) -> None:
    """The approved amount may not exceed the requested amount held in the case data."""
    submitted = {**APPROVAL, "approved_amount_vnd": approved}
    assert _errors(loan_definition, "appraise_loan", submitted, {"requested_amount_vnd": 60_000_000}) == expected


def test_lte_data_message_shows_limit_in_vietnamese_money(loan_definition: ProcessDefinition) -> None:
    """The lte_data message names the other field and shows the limit as 60.000.000."""
    _, errors = validate_submission(_form(loan_definition, "appraise_loan"),
                                    {**APPROVAL, "approved_amount_vnd": 70_000_000},
                                    {"requested_amount_vnd": 60_000_000}, TODAY)
    assert [e.message("vi") for e in errors] == ["Không được lớn hơn Số tiền đề nghị vay (60.000.000)"]
    assert errors[0].message("en").startswith("Must not exceed")


@pytest.mark.parametrize(("amount", "expected"), [
    (60_000_000, []),
    (59_000_000, [("disbursed_amount_vnd", "equals_data")]),
    (61_000_000, [("disbursed_amount_vnd", "equals_data")]),
])
def test_equals_data_disbursed_equals_approved(loan_definition: ProcessDefinition, amount: int,
                                               expected: list[tuple[str, str]]) -> None:
    """The teller disburses exactly the approved amount."""
    case_data = {"approved_amount_vnd": 60_000_000, "approved_on": "2026-03-02"}
    submitted = {**DISBURSAL, "disbursed_amount_vnd": amount}
    assert _errors(loan_definition, "disburse_loan", submitted, case_data) == expected


def test_not_before_data_disbursed_not_before_approval(loan_definition: ProcessDefinition) -> None:
    """Disbursement cannot be dated before the approval."""
    case_data = {"approved_amount_vnd": 60_000_000, "approved_on": "2026-03-02"}
    submitted = {**DISBURSAL, "disbursed_on": "2026-03-01"}
    assert _errors(loan_definition, "disburse_loan", submitted, case_data) == [("disbursed_on", "not_before_data")]


@pytest.mark.parametrize(("form", "field", "base"), [
    ("compile_dossier", "sentence_completed_on", None),
    ("appraise_loan", "approved_on", APPROVAL),
    ("disburse_loan", "disbursed_on", DISBURSAL),
])
@pytest.mark.parametrize(("day", "refused"), [("2026-03-01", False), ("2026-03-02", False), ("2026-03-03", True)])
def test_not_future(loan_definition: ProcessDefinition, dossier: dict[str, Any], form: str, field: str,
                    base: dict[str, Any] | None, day: str, refused: bool) -> None:
    """A date that must not be in the future may be today but not tomorrow."""
    case_data = {"requested_amount_vnd": 60_000_000, "approved_amount_vnd": 60_000_000, "approved_on": "2026-02-01"}
    submitted = {**(base or dossier), field: day}
    expected = [(field, "not_future")] if refused else []
    assert _errors(loan_definition, form, submitted, case_data) == expected


def test_past_birth_date_cannot_be_today(loan_definition: ProcessDefinition, dossier: dict[str, Any]) -> None:
    """A date of birth must lie in the past; today is refused."""
    codes = _errors(loan_definition, "compile_dossier", {**dossier, "date_of_birth": TODAY.isoformat()})
    assert ("date_of_birth", "past") in codes


# --- shape of the submitted data ------------------------------------------------------------------------------


@pytest.mark.parametrize("extra", ["is_admin", "eligible", "return_count"])
def test_unknown_fields_refused(loan_definition: ProcessDefinition, dossier: dict[str, Any], extra: str) -> None:
    """A field the form does not declare is refused, so a submission cannot set engine variables."""
    assert _errors(loan_definition, "compile_dossier", {**dossier, extra: True}) == [(extra, "unknown_field")]


def test_missing_required_fields_named(loan_definition: ProcessDefinition, dossier: dict[str, Any]) -> None:
    """Each missing required field is named."""
    del dossier["phone"], dossier["full_name"]
    assert _errors(loan_definition, "compile_dossier", dossier) == [("full_name", "required"), ("phone", "required")]


def test_strings_trimmed_and_nfc_normalised(loan_definition: ProcessDefinition, dossier: dict[str, Any]) -> None:
    """Text is trimmed and put in NFC, so "Trần" typed in decomposed form equals the precomposed one."""
    decomposed = unicodedata.normalize("NFD", "Trần Văn Bình")
    assert decomposed != "Trần Văn Bình"
    submitted = {**dossier, "full_name": f"  {decomposed} \n", "residence_detail": "\tThôn 2  "}
    clean, errors = validate_submission(_form(loan_definition, "compile_dossier"), submitted, {}, TODAY)
    assert errors == []
    assert clean["full_name"] == unicodedata.normalize("NFC", "Trần Văn Bình")
    assert clean["residence_detail"] == "Thôn 2"
    assert submitted["full_name"] == f"  {decomposed} \n"


def test_trimmed_value_is_the_one_validated(loan_definition: ProcessDefinition, dossier: dict[str, Any]) -> None:
    """Surrounding blanks do not break a pattern: " 0987654321 " is a valid phone."""
    assert _errors(loan_definition, "compile_dossier", {**dossier, "phone": " 0987654321 "}) == []


@pytest.mark.parametrize("day", ["04/03/1988", "1988-3-4", "19880304", "1988-02-30", "1988-13-01",
                                 "1988-03-04T00:00", "tomorrow", ""])
def test_dates_must_be_iso(loan_definition: ProcessDefinition, dossier: dict[str, Any], day: str) -> None:
    """A date is an ISO YYYY-MM-DD string of a real day; anything else gets the date message."""
    assert _errors(loan_definition, "compile_dossier", {**dossier, "date_of_birth": day}) == [
        ("date_of_birth", "date")]


@pytest.mark.parametrize(("form", "field", "day"), [
    ("compile_dossier", "date_of_birth", "1988-W09-5"),
    ("disburse_loan", "disbursed_on", "2026-W09-7"),  # 1 March 2026, before the approval: slips past not_before
])
def test_week_dates_are_not_form_dates(loan_definition: ProcessDefinition, dossier: dict[str, Any], form: str,
                                       field: str, day: str) -> None:
    """Only YYYY-MM-DD counts as a form date; an ISO week date is refused."""
    base = dossier if form == "compile_dossier" else DISBURSAL
    case_data = {"approved_amount_vnd": 60_000_000, "approved_on": "2026-03-02"}
    assert (field, "date") in _errors(loan_definition, form, {**base, field: day}, case_data)


@pytest.mark.parametrize("amount", ["60000000", "60.000.000", 60_000_000.5, True, None, [60_000_000]])
def test_integer_money_refuses_other_types(loan_definition: ProcessDefinition, dossier: dict[str, Any],
                                           amount: object) -> None:
    """Money is integer VND: a string, fraction, boolean, null or list is refused as not a whole number."""
    assert _errors(loan_definition, "compile_dossier", {**dossier, "requested_amount_vnd": amount}) == [
        ("requested_amount_vnd", "type_integer")]


def test_integer_money_refuses_whole_float(loan_definition: ProcessDefinition, dossier: dict[str, Any]) -> None:
    """A float with no fraction (60000000.0) is still not integer VND and is refused."""
    assert _errors(loan_definition, "compile_dossier", {**dossier, "requested_amount_vnd": 60_000_000.0}) == [
        ("requested_amount_vnd", "type_integer")]


@pytest.mark.parametrize(("amount", "expected"), [
    (999, [("requested_amount_vnd", "minimum")]), (1000, []),
])
def test_money_minimum(loan_definition: ProcessDefinition, dossier: dict[str, Any], amount: int,
                       expected: list[tuple[str, str]]) -> None:
    """The requested amount is at least 1,000 VND."""
    assert _errors(loan_definition, "compile_dossier", {**dossier, "requested_amount_vnd": amount}) == expected


def test_errors_follow_form_order(loan_definition: ProcessDefinition, dossier: dict[str, Any]) -> None:
    """Several errors come back in the order the form shows its fields."""
    submitted = {**dossier, "action": "later", "phone": "1", "full_name": "A", "requested_amount_vnd": "x"}
    assert [f for f, _ in _errors(loan_definition, "compile_dossier", submitted)] == [
        "full_name", "phone", "requested_amount_vnd", "action"]


def test_clean_data_shares_nothing_with_what_was_submitted() -> None:
    """The clean copy can be changed (the engine will) without touching the caller's rows, even odd values."""
    rows = [{"nominee_no": 1, "name": " An ", "accepted": True}]
    odd = {1, 2}
    submitted = {"decision": "accept", "appraisal_results": rows, "comment": odd}
    schema = json.loads((FORMS_DIR / "appraise_dossier.schema.json").read_text(encoding="utf-8"))
    form = FormSpec("appraise_dossier", schema, {})
    clean, _errors = validate_submission(form, submitted, {}, TODAY)
    clean["appraisal_results"][0]["name"] = "Bình"
    clean["comment"].add(3)
    assert rows == [{"nominee_no": 1, "name": " An ", "accepted": True}] and odd == {1, 2}
    assert submitted["appraisal_results"] is rows
