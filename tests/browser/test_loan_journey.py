"""A loan dossier from compilation to disbursement, done entirely through the pages in Chromium."""
from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def sign_in(page: Page, base: str, username: str) -> None:
    """Open the sign-in page and sign in."""
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit].primary")
    expect(page.locator("h1")).to_have_text("Hộp công việc")


def sign_out(page: Page) -> None:
    """Sign out from the top bar."""
    page.click("text=Đăng xuất")
    expect(page.locator("h1")).to_have_text("Đăng nhập")


def compile_dossier(page: Page, base: str, national_id: str) -> None:
    """The officer opens a new dossier and fills in the borrower and the loan."""
    page.goto(f"{base}/cases/new")
    page.click("text=Hồ sơ vay vốn")
    page.fill("#full_name", "Trần Văn Bình")
    page.fill("#date_of_birth", "1988-03-04")
    page.check("input[name=sex][value=male]")
    page.fill("#national_id_number", national_id)
    page.fill("#residence_commune_code", "10001")
    page.fill("#phone", "0987654321")
    page.check("input[name=release_certificate_type][value=amnesty]")
    page.fill("#release_certificate_number", "45/GCN")
    released = dt.date.today() - dt.timedelta(days=300)
    page.fill("#sentence_completed_on", released.isoformat())
    page.fill("#form01_list_ref", "01/DS-2026")
    page.check("input[name=loan_purpose][value=production_business]")
    page.fill("#requested_amount_vnd", "60.000.000")
    page.fill("#loan_term_months", "24")
    page.fill("#residence_detail", "Thôn 2, xã Hòa An")
    page.fill("#use_of_funds_plan", "Mở tiệm sửa xe máy tại nhà")


def open_first_task(page: Page, base: str, tab: str) -> None:
    """Open the first task of an inbox tab."""
    page.goto(f"{base}/?tab={tab}")
    page.locator("table a[href^='/tasks/']").first.click()


def test_police_commune_bank_and_teller_complete_a_dossier(page: Page, live_url: str) -> None:
    """Police compile (fixing one mistake), the commune confirms, the bank approves, another officer disburses."""
    sign_in(page, live_url, "police.an")
    compile_dossier(page, live_url, "00108800432")
    page.click("button[name=action][value=submit]")
    expect(page.locator(".field-error").first).to_contain_text("Số định danh cá nhân phải gồm 12 chữ số")
    expect(page.locator("#full_name")).to_have_value("Trần Văn Bình")
    screenshot(page, "01-validation-error")
    page.fill("#national_id_number", "001088004321")
    page.click("button[name=action][value=submit]")
    expect(page.locator("h1")).to_contain_text("HS-")
    expect(page.locator("body")).to_contain_text("UBND xã xác nhận")
    screenshot(page, "02-case-after-compilation")
    sign_out(page)

    sign_in(page, live_url, "commune.binh")
    page.goto(f"{live_url}/?tab=group")
    expect(page.locator("table")).to_contain_text("Trần Văn Bình")
    screenshot(page, "03-inbox-group-queue")
    page.click("button:has-text('Nhận xử lý')")
    open_first_task(page, live_url, "mine")
    expect(page.locator("section.card")).to_contain_text("001088004321")
    screenshot(page, "04-task-commune-confirmation")
    page.click("button[name=decision][value=confirm]")
    expect(page.locator(".flash")).to_contain_text("Đã gửi")
    sign_out(page)

    sign_in(page, live_url, "bank.dung")
    open_first_task(page, live_url, "group")
    page.fill("#approved_amount_vnd", "60.000.000")
    page.fill("#approved_term_months", "24")
    page.fill("#approval_notice_ref", "04/TD-117")
    page.fill("#approved_on", dt.date.today().isoformat())
    page.click("button[name=decision][value=approve]")
    expect(page.locator(".flash")).to_contain_text("Đã gửi")
    sign_out(page)

    sign_in(page, live_url, "bank.em")
    open_first_task(page, live_url, "group")
    page.fill("#disbursed_amount_vnd", "60.000.000")
    page.fill("#disbursed_on", dt.date.today().isoformat())
    page.fill("#loan_account_number", "7600112233")
    page.click("button[type=submit].primary")
    expect(page.locator("body")).to_contain_text("Đã giải ngân")
    expect(page.locator("body")).to_contain_text("Đã hoàn thành")
    page.wait_for_selector(".diagram svg", timeout=15_000)
    screenshot(page, "05-case-disbursed")
