"""Validation messages in Vietnamese and English, keyed by a stable code."""
from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

MESSAGES: dict[str, tuple[str, str]] = {
    "required": ("Trường này là bắt buộc", "This field is required"),
    "type_integer": ("Phải là số nguyên", "Must be a whole number"),
    "type_number": ("Phải là số", "Must be a number"),
    "type_string": ("Phải là chuỗi ký tự", "Must be text"),
    "type_boolean": ("Phải là Có hoặc Không", "Must be yes or no"),
    "type_array": ("Phải là danh sách", "Must be a list"),
    "type_object": ("Phải là một nhóm thông tin", "Must be a group of fields"),
    "date": ("Ngày không hợp lệ (định dạng dd/mm/yyyy)", "Invalid date (dd/mm/yyyy)"),
    "citizen_id": ("Số định danh cá nhân phải gồm 12 chữ số", "The citizen id must have 12 digits"),
    "citizen_id_sex": ("Chữ số thứ 4 của số định danh không khớp với giới tính và thế kỷ sinh",
                       "Digit 4 of the citizen id does not match the sex and century of birth"),
    "citizen_id_year": ("Chữ số thứ 5–6 của số định danh không khớp với năm sinh {year}",
                        "Digits 5–6 of the citizen id do not match the birth year {year}"),
    "pattern": ("Giá trị không đúng định dạng", "The value has the wrong format"),
    "minimum": ("Giá trị phải từ {limit} trở lên", "Must be at least {limit}"),
    "maximum": ("Giá trị không được vượt quá {limit}", "Must be at most {limit}"),
    "min_length": ("Phải có ít nhất {limit} ký tự", "Must have at least {limit} characters"),
    "max_length": ("Không được quá {limit} ký tự", "Must have at most {limit} characters"),
    "min_items": ("Phải có ít nhất {limit} dòng", "Must have at least {limit} rows"),
    "max_items": ("Không được quá {limit} dòng", "Must have at most {limit} rows"),
    "choice": ("Giá trị không nằm trong danh sách cho phép", "Not one of the allowed values"),
    "unknown_field": ("Trường không có trong biểu mẫu", "This field is not part of the form"),
    "lte_data": ("Không được lớn hơn {other_label} ({limit})", "Must not exceed {other_label} ({limit})"),
    "equals_data": ("Phải bằng {other_label} ({limit})", "Must equal {other_label} ({limit})"),
    "not_before_data": ("Không được trước {other_label} ({limit})", "Must not be before {other_label} ({limit})"),
    "not_future": ("Ngày không được ở tương lai", "The date cannot be in the future"),
    "past": ("Ngày phải ở trong quá khứ", "The date must be in the past"),
    "invalid": ("Giá trị không hợp lệ", "Invalid value"),
    "duplicate": ("Giá trị bị trùng: {value}", "Duplicate value: {value}"),
    "row_refused": ("Dòng {label} không được chấp nhận", "Row {label} is not accepted"),
    "already_claimed": ("{label}: thành tích này đã được đề nghị cùng hình thức khen thưởng năm {year} "
                        "trong hồ sơ {case}", "{label}: this achievement was already nominated for the same award "
                        "in {year} in case {case}"),
    "rows_changed": ("Danh sách không khớp với hồ sơ; hãy tải lại trang và nhập lại",
                     "The list does not match the case; reload the page and enter it again"),
}


@dataclass(frozen=True)
class FieldError:
    """One problem with one submitted field; ``field`` is a dotted path such as ``nominees.2.name``."""

    field: str
    code: str
    params: dict[str, Any] = dataclass_field(default_factory=dict)
    text: tuple[str, str] | None = None

    def message(self, locale: str = "vi") -> str:
        """The message in ``locale`` (``vi`` or ``en``)."""
        vi, en = self.text or MESSAGES.get(self.code, MESSAGES["invalid"])
        english = locale.startswith("en")
        params = dict(self.params)
        if english and "other_label_en" in params:
            params["other_label"] = params["other_label_en"]
        template = en if english else vi
        try:
            return template.format(**params)
        except (KeyError, IndexError):
            return template

    def as_dict(self, locale: str = "vi") -> dict[str, str]:
        """The API shape ``{field, message}``."""
        return {"field": self.field, "message": self.message(locale)}
