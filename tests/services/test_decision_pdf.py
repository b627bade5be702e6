"""The award decision as a PDF and its wording: Vietnamese dates and money, the signature block by signing
capacity, the articles, and a hundred recipients over several pages with the fonts embedded as subsets.

The PDF's text is drawn with subset glyph ids, so it cannot be searched here; the wording it prints is tested
through ``wording``, which the printable page uses as well.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from services import decision_pdf
from services.decisions import Decision
from services.decisions import build
from services.models import ProcessInstance
from services.models import User

SIGNER = User(username="chutich.nam", full_name="Trương Văn Nam", group_list=",chairman,")


def _row(name: str, kind: str = "individual", bonus: int = 3_510_000) -> dict[str, Any]:
    return {"recipient_kind": kind, "name": name, "position": "Trưởng Công an xã" if kind == "individual" else "",
            "work_unit": "Công an xã Hòa An", "achievement_summary": "Giúp 12 người chấp hành xong án có việc làm",
            "under_discipline_or_investigation": False, "nominee_no": 1, "votes_for": 7, "bonus_vnd": bonus}


def _data(recipients: list[dict[str, Any]] | None = None, **changes: Any) -> dict[str, Any]:
    """The case data of a signed Bằng khen nomination, as the process records it."""
    rows = recipients if recipients is not None else [_row("Công an xã Hòa An", "collective", 7_020_000),
                                                      _row("Nguyễn Văn Tâm")]
    return {"award_form": "provincial_chairman_certificate_of_merit", "award_type": "topic",
            "proposal_number": "12/TTr-CAX", "proposal_date": "2026-11-20", "decision_book": "QĐ-UBND",
            "issuer_title": "Chủ tịch Ủy ban nhân dân tỉnh", "decision_number": "7/QĐ-UBND",
            "decision_date": "2026-12-05", "signing_capacity": "ky_thay", "signer_title": "Phó Chủ tịch",
            "base_salary_vnd": 2_340_000, "recipients": rows,
            "total_bonus_vnd": sum(r["bonus_vnd"] for r in rows)} | changes


def _decision(**changes: Any) -> Decision:
    return build(ProcessInstance(id=41, business_key="HS-2026-000041"), _data(**changes), SIGNER)


def _pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type /Page\b", pdf))


def test_a_decision_is_a_pdf_with_its_fonts_embedded_as_subsets() -> None:
    """The bytes are a PDF naming the decision, with the three DejaVu Serif faces embedded as subsets."""
    pdf = decision_pdf.render(_decision())
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    subsets = set(re.findall(rb"/BaseFont /[A-Z]{6}\+(DejaVuSerif[-A-Za-z]*)", pdf))
    assert subsets == {b"DejaVuSerifBook", b"DejaVuSerifBold", b"DejaVuSerifItalic"}
    assert _pages(pdf) == 2  # the decision, then the list of recipients
    assert 10_000 < len(pdf) < 150_000


def test_the_same_decision_gives_the_same_bytes() -> None:
    """Dated by the decision rather than the clock, so a reprint is identical."""
    assert decision_pdf.render(_decision()) == decision_pdf.render(_decision())


def test_a_hundred_recipients_run_over_several_pages() -> None:
    """A hundred rows break over pages instead of running off the first one."""
    rows = [_row(f"Nguyễn Văn Thành {n}") for n in range(95)] + [
        _row(f"Công an xã số {n}", "collective", 7_020_000) for n in range(5)]
    small, large = decision_pdf.render(_decision()), decision_pdf.render(_decision(recipients=rows))
    assert _pages(large) >= _pages(small) + 4
    assert len(large) < 400_000


@pytest.mark.parametrize(("capacity", "heading", "lines"), [
    ("self", "CHỦ TỊCH", ["CHỦ TỊCH"]),
    ("ky_thay", "KT. CHỦ TỊCH", ["KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"]),
    ("thua_lenh", "TL. CHỦ TỊCH", ["TL. CHỦ TỊCH", "PHÓ CHỦ TỊCH"]),
])
def test_the_signature_block_follows_the_signing_capacity(capacity: str, heading: str, lines: list[str]) -> None:
    """Signing oneself shows the office only; on behalf (KT.) or by order (TL.) adds the signer's own title."""
    decision = _decision(signing_capacity=capacity)
    assert decision.signature_heading == heading
    assert decision_pdf.wording(decision).signature_lines == lines


def test_the_police_directors_certificate_names_its_issuer() -> None:
    """A Giấy khen decision is issued by the provincial police under the director's title."""
    decision = _decision(award_form="police_director_certificate", decision_book="QĐ-CAT",
                         decision_number="3/QĐ-CAT", issuer_title="Giám đốc Công an tỉnh", signer_title="Phó Giám đốc")
    words = decision_pdf.wording(decision)
    assert (decision.issuing_body, decision.signature_heading) == ("CÔNG AN TỈNH", "KT. GIÁM ĐỐC")
    assert words.issuer_title == "GIÁM ĐỐC CÔNG AN TỈNH" and words.subject == "Về việc tặng Giấy khen"
    assert words.articles[0][1].startswith("Tặng Giấy khen của Giám đốc Công an tỉnh cho 1 tập thể và 1 cá nhân")
    assert "Chánh Văn phòng Công an tỉnh" in words.articles[2][1]
    assert decision_pdf.render(decision).startswith(b"%PDF-")


def test_money_has_dots_between_thousands_and_says_dong() -> None:
    """Article 2 gives each kind's bonus and the total the way decisions write money."""
    assert decision_pdf.vnd(3_510_000) == "3.510.000 đồng"
    assert decision_pdf.grouped(702_000) == "702.000" and decision_pdf.grouped(0) == "0"
    article = dict(decision_pdf.wording(_decision()).articles)["Điều 2."]
    assert "mỗi tập thể 7.020.000 đồng, mỗi cá nhân 3.510.000 đồng" in article
    assert "tổng cộng 10.530.000 đồng" in article


@pytest.mark.parametrize(("day", "text"), [
    (dt.date(2026, 12, 5), "ngày 05 tháng 12 năm 2026"),
    (dt.date(2027, 2, 14), "ngày 14 tháng 02 năm 2027"),
    (dt.date(2022, 6, 15), "ngày 15 tháng 6 năm 2022"),
])
def test_dates_are_written_out_as_decree_30_wants(day: dt.date, text: str) -> None:
    """Days 1–9 and months 1–2 take a leading zero; later months do not."""
    assert decision_pdf.long_date(day) == text


def test_the_wording_counts_recipients_and_cites_the_proposal() -> None:
    """The header, the grounds, Article 1 and the annex note say what the case recorded."""
    words = decision_pdf.wording(_decision())
    assert words.place_date == "…, ngày 05 tháng 12 năm 2026"
    assert words.issuer_title == "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH"
    assert words.grounds[-1] == "Xét đề nghị tại Tờ trình số 12/TTr-CAX ngày 20/11/2026;"
    assert words.articles[0][1].startswith("Tặng Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh cho 1 tập thể và 1 "
                                           "cá nhân (có danh sách kèm theo)")
    assert words.annex_note == "(Kèm theo Quyết định số 7/QĐ-UBND ngày 05/12/2026 của Chủ tịch Ủy ban nhân dân tỉnh)"
    assert [(s.heading, s.total_vnd) for s in words.sections] == [("I. TẬP THỂ", 7_020_000), ("II. CÁ NHÂN", 3_510_000)]


def test_individuals_only_leave_out_the_collectives() -> None:
    """With no collective the decision counts individuals only and the annex has one table, numbered I."""
    words = decision_pdf.wording(_decision(recipients=[_row("Nguyễn Văn Tâm"), _row("Lê Thị Hoa")]))
    assert "cho 2 cá nhân (có danh sách kèm theo)" in words.articles[0][1]
    assert [s.heading for s in words.sections] == ["I. CÁ NHÂN"]
    assert decision_pdf.unit_line(words.sections[0].recipients[0]) == "Trưởng Công an xã, Công an xã Hòa An"
