"""Forms drawn from JSON schema as plain HTML: repeating rows (award nominees) and value coercion."""
from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.datastructures import MultiDict

from web import forms_render
from workflows.forms import FormSpec
from workflows.messages import FieldError

NOMINEES: dict[str, Any] = {
    "type": "object",
    "properties": {
        "proposal_number": {"type": "string", "title": "Số tờ trình", "x-title-en": "Proposal number"},
        "nominees": {
            "type": "array", "title": "Danh sách đề nghị", "x-title-en": "Nominees", "minItems": 1,
            "items": {"type": "object", "required": ["name"], "properties": {
                "recipient_kind": {"type": "string", "title": "Đối tượng", "oneOf": [
                    {"const": "individual", "title": "Cá nhân"}, {"const": "collective", "title": "Tập thể"}]},
                "name": {"type": "string", "title": "Tên"},
                "under_discipline_or_investigation": {"type": "boolean", "title": "Đang bị kỷ luật"},
            }},
        },
        "bonus_vnd": {"type": "integer", "title": "Tiền thưởng"},
        "meeting_date": {"type": "string", "format": "date", "title": "Ngày họp"},
    },
}
FORM = FormSpec("nominate", NOMINEES, {"bonus_vnd": {"ui:widget": "money"}})


def test_rows_are_read_back_in_order_and_blank_rows_dropped(app: Flask) -> None:
    """Posted rows become a list of objects; a row left blank is not a nominee."""
    posted = MultiDict([("proposal_number", "12/TTr-CAT"), ("nominees-0-recipient_kind", "collective"),
                        ("nominees-0-name", "Công an xã Hòa An"), ("nominees-1-recipient_kind", "individual"),
                        ("nominees-1-name", "Nguyễn Văn An"), ("nominees-1-under_discipline_or_investigation", "1"),
                        ("nominees-2-name", ""), ("bonus_vnd", "3.510.000"), ("meeting_date", "05/12/2026")])
    with app.test_request_context():
        data = forms_render.coerce(FORM, posted)
    assert data == {
        "proposal_number": "12/TTr-CAT", "bonus_vnd": 3_510_000, "meeting_date": "2026-12-05",
        "nominees": [
            {"recipient_kind": "collective", "name": "Công an xã Hòa An", "under_discipline_or_investigation": False},
            {"recipient_kind": "individual", "name": "Nguyễn Văn An", "under_discipline_or_investigation": True}],
    }


def test_rows_are_drawn_with_an_extra_blank_row_and_errors_in_place(app: Flask) -> None:
    """Each row gets its own inputs; 'add a row' adds one blank row; a row's error sits under its input."""
    values = {"nominees": [{"recipient_kind": "individual", "name": ""}]}
    errors = [FieldError("nominees.0.name", "required")]
    with app.test_request_context():
        fields = forms_render.describe(FORM, values, errors, "vi", extra_rows={"nominees": 1})
    nominees = next(f for f in fields if f.name == "nominees")
    assert nominees.widget == "rows" and len(nominees.rows) == 2
    first_name = next(f for f in nominees.rows[0] if f.name == "name")
    assert (first_name.html_name, first_name.errors) == ("nominees-0-name", ["Trường này là bắt buộc"])
    kinds = next(f for f in nominees.rows[1] if f.name == "recipient_kind")
    assert [c.label for c in kinds.choices] == ["Cá nhân", "Tập thể"]


def test_unreadable_money_is_passed_on_for_the_schema_to_refuse(app: Flask) -> None:
    """Text that is not an amount reaches validation as text, so the error appears next to the field."""
    with app.test_request_context():
        assert forms_render.coerce(FORM, MultiDict([("bonus_vnd", "ba triệu")]))["bonus_vnd"] == "ba triệu"



def test_numbers_are_read_with_a_decimal_comma_and_never_as_nan_or_infinity(app: Flask) -> None:
    """"4,5" is 4.5; "nan" and "inf" are no number, so they reach validation as text and are refused there."""
    rate = FormSpec("rate", {"type": "object", "properties": {"rate_pct": {"type": "number", "title": "Lãi suất"}}}, {})
    with app.test_request_context():
        assert forms_render.coerce(rate, MultiDict([("rate_pct", "4,5")]))["rate_pct"] == 4.5
        for text in ("nan", "inf", "-Infinity"):
            assert forms_render.coerce(rate, MultiDict([("rate_pct", text)]))["rate_pct"] == text


VOTES: dict[str, Any] = {
    "type": "object",
    "properties": {"council_votes": {"type": "array", "title": "Kết quả bỏ phiếu", "items": {
        "type": "object", "properties": {
            "nominee_no": {"type": "integer", "title": "STT"}, "name": {"type": "string", "title": "Tên"},
            "votes_for": {"type": "integer", "title": "Số phiếu đồng ý"}}}}},
}
VOTE_FORM = FormSpec("council_vote", VOTES, {"council_votes": {"items": {
    "nominee_no": {"ui:readonly": True}, "name": {"ui:readonly": True}}}})


def test_rows_laid_out_by_the_process_show_their_names_and_take_no_extra_row(app: Flask) -> None:
    """A council votes on the nominees the process listed: names are shown, not typed, and rows are fixed."""
    values = {"council_votes": [{"nominee_no": 1, "name": "Công an xã Hòa An", "votes_for": None},
                                {"nominee_no": 2, "name": "Nguyễn Văn An", "votes_for": None}]}
    with app.test_request_context():
        fields = forms_render.describe(VOTE_FORM, values, [], "vi", extra_rows={"council_votes": 1})
        posted = MultiDict([("council_votes-0-nominee_no", "1"), ("council_votes-0-name", "Công an xã Hòa An"),
                            ("council_votes-0-votes_for", "7"), ("council_votes-1-nominee_no", "2"),
                            ("council_votes-1-name", "Nguyễn Văn An"), ("council_votes-1-votes_for", "4")])
        data = forms_render.coerce(VOTE_FORM, posted)
    votes = fields[0]
    assert votes.fixed_rows and len(votes.rows) == 2
    assert [f.widget for f in votes.rows[1]] == ["readonly", "readonly", "number"]
    assert data["council_votes"][0] == {"nominee_no": 1, "name": "Công an xã Hòa An", "votes_for": 7}


def test_rows_of_case_data_read_as_a_table_with_titled_columns(app: Flask) -> None:
    """A list of recipients shows as a table: column titles from the forms, choices and money as people read them."""
    fields = {"recipient_kind": ({"title": "Đối tượng", "oneOf": [{"const": "collective", "title": "Tập thể"}]}, {}),
              "name": ({"title": "Tên"}, {}),
              "bonus_vnd": ({"title": "Tiền thưởng", "x-title-en": "Bonus (VND)"}, {})}
    recipients = [{"recipient_kind": "collective", "name": "Công an xã Hòa An", "position": "", "bonus_vnd": 7_020_000}]
    with app.test_request_context():
        table = forms_render.shown(fields, "recipients", recipients, "Có", "Không")
        reasons = forms_render.shown(fields, "reasons", [{"code": "R3", "text": "Quá 05 năm"}], "Có", "Không")
    assert isinstance(table, forms_render.DataTable)
    assert table.headers == ["Đối tượng", "Tên", "Tiền thưởng"]  # the empty position column is left out
    assert table.rows == [["Tập thể", "Công an xã Hòa An", "7.020.000 đ"]]
    assert reasons == "R3: Quá 05 năm"
