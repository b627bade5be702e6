"""A signed award decision as a PDF laid out the way Decree 30/2020/NĐ-CP lays out administrative documents.

A4, margins 20 mm top and bottom, 30 mm left, 15 mm right; the issuing body and the number on the left of the
header and the national motto on the right; the title, the grounds, the articles, the signature block; the
list of recipients on its own pages. ``wording`` builds the sentences once: the printable page
(``web/templates/documents/decision.html``) shows the same ones, so the page and the PDF cannot disagree.

The fonts are DejaVu Serif, vendored in ``services/fonts`` (licence beside them): the PDF core fonts have no
Vietnamese letters, and a server cannot be assumed to have Times New Roman.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

from services.decisions import Decision
from services.decisions import Recipient

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FAMILY = "DejaVuSerif"
FONT_FILES = {"": "DejaVuSerif.ttf", "B": "DejaVuSerif-Bold.ttf", "I": "DejaVuSerif-Italic.ttf"}
BODY_PT = 13
LINE_MM = 6.5
HEADER_LEFT_MM = 68  # the issuing body's column; the motto takes the rest of the line
SIGNATURE_MM = 60  # room the signature block needs below the last article before a page break
LAW = "Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022;"
DECREE = ("Căn cứ Nghị định số 152/2025/NĐ-CP ngày 14 tháng 6 năm 2025 của Chính phủ quy định chi tiết "
          "một số điều của Luật Thi đua, khen thưởng;")
BONUS_BASIS = "khoản 1 Điều 54 Nghị định số 152/2025/NĐ-CP"
# Who carries the decision out (Article 3), by numbering book: the office and the emulation body of the issuer.
EXECUTORS = {
    "QĐ-UBND": "Chánh Văn phòng Ủy ban nhân dân tỉnh, Giám đốc Sở Nội vụ, thủ trưởng các cơ quan, đơn vị có liên quan",
    "QĐ-CAT": "Chánh Văn phòng Công an tỉnh, Trưởng phòng Công tác đảng và công tác chính trị, "
              "thủ trưởng các đơn vị có liên quan",
}
DEFAULT_EXECUTORS = "Thủ trưởng các cơ quan, đơn vị có liên quan"


@dataclass(frozen=True)
class Section:
    """One table of the annex: ``I. TẬP THỂ`` or ``II. CÁ NHÂN``."""

    heading: str
    recipients: list[Recipient]

    @property
    def total_vnd(self) -> int:
        """The section's bonuses added up (the "Cộng" row)."""
        return sum(r.bonus_vnd for r in self.recipients)


@dataclass(frozen=True)
class Wording:
    """The sentences of a decision, shared by the PDF and the printable page."""

    issuer: str
    issuer_title: str
    place_date: str
    subject: str
    grounds: list[str]
    articles: list[tuple[str, str]]
    signature_lines: list[str]
    annex_note: str
    sections: list[Section]
    copies_to: list[str]


def grouped(amount: int) -> str:
    """``3.510.000``: dots between thousands."""
    return f"{amount:,}".replace(",", ".")


def vnd(amount: int) -> str:
    """``3.510.000 đồng``: the currency spelled out, as decisions write it."""
    return f"{grouped(amount)} đồng"


def long_date(day: dt.date) -> str:
    """``ngày 05 tháng 12 năm 2026``; days 1–9 and months 1–2 take a leading zero (Decree 30/2020, Appendix I)."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def short_date(value: str | dt.date) -> str:
    """``20/11/2026`` from a date or an ISO string; anything else is shown as it is."""
    try:
        day = value if isinstance(value, dt.date) else dt.date.fromisoformat(value[:10])
    except ValueError:
        return str(value)
    return day.strftime("%d/%m/%Y")


def unit_line(recipient: Recipient) -> str:
    """The "Chức vụ/Đơn vị" cell: position and work unit, whichever are known."""
    return ", ".join(part for part in (recipient.position, recipient.work_unit) if part)


def wording(decision: Decision) -> Wording:
    """Every sentence of ``decision``'s document."""
    issuer = f"{decision.office.capitalize()} {decision.issuing_body.capitalize()}".strip()
    award = f"{decision.award_name} của {issuer}"
    signature = [decision.signature_heading]
    if decision.signing_capacity != "self" and decision.signer_title:
        signature.append(decision.signer_title.upper())
    return Wording(
        issuer=issuer, issuer_title=(decision.issuer_title or issuer).upper(),
        place_date=f"…, {long_date(decision.day)}", subject=f"Về việc tặng {decision.award_name}",
        grounds=[LAW, DECREE, f"Xét đề nghị tại Tờ trình số {decision.proposal_number} "
                              f"ngày {short_date(decision.proposal_date)};"],
        articles=_articles(decision, award), signature_lines=signature,
        annex_note=f"(Kèm theo Quyết định số {decision.number} ngày {short_date(decision.day)} của {issuer})",
        sections=_sections(decision), copies_to=["Như Điều 3;", "Lưu: VT."])


def _articles(decision: Decision, award: str) -> list[tuple[str, str]]:
    counted = [f"{len(group)} {label}" for label, group in (("tập thể", decision.collectives),
                                                              ("cá nhân", decision.individuals)) if group]
    book = decision.number.partition("/")[2]
    return [
        ("Điều 1.", f"Tặng {award} cho {' và '.join(counted)} (có danh sách kèm theo), đã có thành tích xuất sắc "
                    "trong công tác hỗ trợ người chấp hành xong án phạt tù tái hòa nhập cộng đồng."),
        ("Điều 2.", f"Mức tiền thưởng theo {BONUS_BASIS}: {_bonus_rates(decision)}; tổng cộng "
                    f"{vnd(_total(decision))}, chi từ quỹ thi đua, khen thưởng theo quy định."),
        ("Điều 3.", f"Quyết định này có hiệu lực kể từ ngày ký. {EXECUTORS.get(book, DEFAULT_EXECUTORS)} và các tập "
                    "thể, cá nhân có tên tại Điều 1 chịu trách nhiệm thi hành Quyết định này./."),
    ]


def _bonus_rates(decision: Decision) -> str:
    rates = []
    for label, group in (("tập thể", decision.collectives), ("cá nhân", decision.individuals)):
        amounts = {r.bonus_vnd for r in group}
        if len(amounts) == 1:
            rates.append(f"mỗi {label} {vnd(amounts.pop())}")
        elif amounts:
            rates.append(f"mỗi {label} theo danh sách kèm theo")
    return ", ".join(rates)


def _total(decision: Decision) -> int:
    # The process records the total; a case recorded before it did still adds up from its recipients' rows.
    return decision.total_bonus_vnd or sum(r.bonus_vnd for r in decision.collectives + decision.individuals)


def _sections(decision: Decision) -> list[Section]:
    groups = [(label, group) for label, group in (("TẬP THỂ", decision.collectives), ("CÁ NHÂN", decision.individuals))
              if group]
    return [Section(f"{numeral}. {label}", group) for numeral, (label, group) in zip(("I", "II"), groups, strict=False)]


# --- the PDF -------------------------------------------------------------------------------------------------

def render(decision: Decision) -> bytes:
    """``decision`` as PDF bytes: the decision itself, then the list of recipients on new pages."""
    words = wording(decision)
    pdf = _new_pdf(decision, words)
    _header(pdf, decision, words)
    _title(pdf, words)
    _body(pdf, words)
    _signature(pdf, decision, words)
    _annex(pdf, words)
    return bytes(pdf.output())


def _new_pdf(decision: Decision, words: Wording) -> FPDF:
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_margins(left=30, top=20, right=15)
    pdf.set_auto_page_break(auto=True, margin=20)
    for style, file_name in FONT_FILES.items():
        pdf.add_font(FAMILY, style, str(FONT_DIR / file_name))
    pdf.set_title(f"Quyết định số {decision.number}")
    pdf.set_subject(words.subject)
    pdf.set_lang("vi")
    pdf.set_creator("reentry")
    # Dated by the decision, not by the clock: the same decision always gives the same bytes.
    pdf.set_creation_date(dt.datetime.combine(decision.day, dt.time(), dt.UTC))
    pdf.add_page()
    return pdf


def _header(pdf: FPDF, decision: Decision, words: Wording) -> None:
    left, top, right_width = pdf.l_margin, pdf.t_margin, pdf.epw - HEADER_LEFT_MM
    _fitted(pdf, decision.issuing_body, HEADER_LEFT_MM - 6, 12, HEADER_LEFT_MM)
    _rule(pdf, left + HEADER_LEFT_MM / 2, 24)
    pdf.set_font(FAMILY, "", BODY_PT)
    pdf.cell(HEADER_LEFT_MM, LINE_MM, f"Số: {decision.number}", align="C")
    bottom_left = pdf.get_y() + LINE_MM
    pdf.set_xy(left + HEADER_LEFT_MM, top)
    _fitted(pdf, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", right_width, 12)
    pdf.set_x(left + HEADER_LEFT_MM)
    pdf.set_font(FAMILY, "B", BODY_PT)
    pdf.cell(right_width, LINE_MM, "Độc lập - Tự do - Hạnh phúc", align="C", new_x="LEFT", new_y="NEXT")
    _rule(pdf, left + HEADER_LEFT_MM + right_width / 2, pdf.get_string_width("Độc lập - Tự do - Hạnh phúc"))
    pdf.set_xy(left + HEADER_LEFT_MM, pdf.get_y() + 2)
    pdf.set_font(FAMILY, "I", BODY_PT)
    pdf.cell(right_width, LINE_MM, words.place_date, align="C")
    pdf.set_xy(left, max(bottom_left, pdf.get_y() + LINE_MM) + 8)


def _fitted(pdf: FPDF, text: str, width: float, size: float, cell_width: float | None = None) -> None:
    """One bold line centred in ``cell_width``, shrunk when DejaVu's wide letters would overflow ``width``."""
    pdf.set_font(FAMILY, "B", size)
    pdf.set_font_size(min(size, size * (width - 1) / max(pdf.get_string_width(text), 1)))
    pdf.cell(cell_width or width, LINE_MM, text, align="C", new_x="LEFT", new_y="NEXT")


def _rule(pdf: FPDF, center_x: float, width: float) -> None:
    """The short line drawn under the issuing body, the motto and the subject."""
    y = pdf.get_y() + 1
    pdf.set_line_width(0.3)
    pdf.line(center_x - width / 2, y, center_x + width / 2, y)
    pdf.set_y(y + 1.5)


def _centered(pdf: FPDF, text: str, style: str = "B", size: float = 14) -> None:
    pdf.set_x(pdf.l_margin)
    pdf.set_font(FAMILY, style, size)
    pdf.multi_cell(pdf.epw, 7, text, align="C", new_x="LMARGIN", new_y="NEXT")


def _title(pdf: FPDF, words: Wording) -> None:
    _centered(pdf, "QUYẾT ĐỊNH")
    _centered(pdf, words.subject)
    _rule(pdf, pdf.l_margin + pdf.epw / 2, 40)
    pdf.ln(5)
    _centered(pdf, words.issuer_title)
    pdf.ln(3)


def _body(pdf: FPDF, words: Wording) -> None:
    with pdf.text_columns(text_align="J", line_height=1.35) as column:
        for ground in words.grounds:
            pdf.set_font(FAMILY, "I", BODY_PT)
            with column.paragraph(first_line_indent=10, bottom_margin=1.5) as paragraph:
                paragraph.write(ground)
    pdf.ln(2)
    _centered(pdf, "QUYẾT ĐỊNH:")
    pdf.ln(2)
    with pdf.text_columns(text_align="J", line_height=1.35) as column:
        for lead, text in words.articles:
            with column.paragraph(first_line_indent=10, bottom_margin=2) as paragraph:
                pdf.set_font(FAMILY, "B", BODY_PT)
                paragraph.write(f"{lead} ")
                pdf.set_font(FAMILY, "", BODY_PT)
                paragraph.write(text)


def _signature(pdf: FPDF, decision: Decision, words: Wording) -> None:
    if pdf.get_y() + SIGNATURE_MM > pdf.h - pdf.b_margin:
        pdf.add_page()
    top, half = pdf.get_y() + 4, pdf.epw / 2
    pdf.set_xy(pdf.l_margin, top)
    pdf.set_font(FAMILY, "B", 12)
    pdf.cell(half, 6, "Nơi nhận:", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 11)
    for line in words.copies_to:
        pdf.cell(half, 5, f"- {line}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "B", BODY_PT)
    pdf.set_y(top)
    for line in words.signature_lines:
        pdf.set_x(pdf.l_margin + half)
        pdf.cell(half, LINE_MM, line, align="C", new_x="LEFT", new_y="NEXT")
    pdf.set_xy(pdf.l_margin + half, pdf.get_y() + 25)
    pdf.cell(half, LINE_MM, decision.signer_name, align="C")


def _annex(pdf: FPDF, words: Wording) -> None:
    pdf.add_page()
    _centered(pdf, "DANH SÁCH KHEN THƯỞNG")
    _centered(pdf, words.annex_note, style="I", size=BODY_PT)
    _rule(pdf, pdf.l_margin + pdf.epw / 2, 40)
    for section in words.sections:
        pdf.ln(4)
        pdf.set_font(FAMILY, "B", BODY_PT)
        pdf.cell(pdf.epw, LINE_MM, section.heading, new_x="LMARGIN", new_y="NEXT")
        _table(pdf, section)


def _table(pdf: FPDF, section: Section) -> None:
    pdf.set_font(FAMILY, "", 11)
    with pdf.table(col_widths=(10, 38, 38, 19), line_height=5.5, padding=1.2, text_align="LEFT",
                   headings_style=FontFace(emphasis="BOLD"), repeat_headings=1) as table:
        heading = table.row()
        for label in ("STT", "Tên", "Chức vụ/Đơn vị", "Tiền thưởng (đồng)"):
            heading.cell(label, align="C")
        for index, recipient in enumerate(section.recipients, start=1):
            row = table.row()
            row.cell(str(index), align="C")
            row.cell(recipient.name)
            row.cell(unit_line(recipient))
            row.cell(grouped(recipient.bonus_vnd), align="R")
        total = table.row(style=FontFace(emphasis="BOLD"))
        total.cell("Cộng", colspan=3, align="C")
        total.cell(grouped(section.total_vnd), align="R")
