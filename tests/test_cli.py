"""The reentry command line, run as a person runs it: a real process against a real database."""
from __future__ import annotations

import shutil
from pathlib import Path

from tests.support import reentry_cli

ROOT = Path(__file__).resolve().parent.parent


def test_init_db_deploy_users_and_token(tmp_path: Path) -> None:
    """A new database is created, the diagrams deployed once, a user added and a token printed."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert reentry_cli(url, "init-db").returncode == 0
    first = reentry_cli(url, "deploy", str(ROOT / "bpmn"))
    assert first.returncode == 0 and "loan_dossier: phiên bản 1 (phiên bản mới" in first.stdout
    again = reentry_cli(url, "deploy", str(ROOT / "bpmn"))
    assert "loan_dossier: phiên bản 1 (không thay đổi" in again.stdout
    added = reentry_cli(url, "users", "add", "an.police", "--password", "mat-khau-dai-1", "--group", "police",
                        "--unit", "10001", "--full-name", "Nguyễn Văn An")
    assert added.returncode == 0 and "an.police" in added.stdout
    token = reentry_cli(url, "users", "token", "an.police")
    assert token.returncode == 0 and len(token.stdout.strip()) >= 40
    assert reentry_cli(url, "audit", "verify").returncode == 0


def test_bad_user_input_is_refused_in_vietnamese(tmp_path: Path) -> None:
    """A short password and an unknown group are refused with a clear message and a non-zero exit."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    reentry_cli(url, "init-db")
    result = reentry_cli(url, "users", "add", "x.police", "--password", "ngan", "--group", "pilot")
    assert result.returncode == 1
    assert "Phải có ít nhất 10 ký tự" in result.stderr and "Nhóm không hợp lệ: pilot" in result.stderr
    assert reentry_cli(url, "users", "token", "khong.ton.tai").returncode == 1


def test_broken_diagram_is_refused_with_file_line_and_element(tmp_path: Path) -> None:
    """Deploying a folder whose diagram lost a default flow exits non-zero naming file, line and element."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    reentry_cli(url, "init-db")
    folder = tmp_path / "bpmn"
    shutil.copytree(ROOT / "bpmn", folder)
    diagram = folder / "loan_dossier.bpmn"
    text = diagram.read_text(encoding="utf-8")
    diagram.write_text(text.replace('<bpmn:userTask id="compile_dossier"', '<bpmn:task id="compile_dossier"', 1)
                       .replace("</bpmn:userTask>", "</bpmn:task>", 1), encoding="utf-8")
    result = reentry_cli(url, "deploy", str(folder))
    assert result.returncode == 1
    assert "loan_dossier.bpmn, dòng" in result.stderr and "phần tử 'compile_dossier'" in result.stderr


def test_calendar_add_skips_weekends_and_holidays(tmp_path: Path) -> None:
    """Friday 24/04/2026 plus 3 working days skips the Hùng Kings day, 30/4 and 1/5."""
    result = reentry_cli(f"sqlite:///{tmp_path / 'c.db'}", "calendar", "add", "24/04/2026", "3")
    assert result.stdout.strip() == "2026-05-04"


def test_demo_without_serving_prepares_users_and_cases(tmp_path: Path) -> None:
    """`reentry demo --no-serve` prints every demo account and leaves cases in several states."""
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    result = reentry_cli(url, "demo", "--no-serve")
    assert result.returncode == 0, result.stderr
    assert "Mật khẩu của mọi tài khoản demo" in result.stdout
    for username in ("police.an", "commune.binh", "bank.dung", "bank.em", "thanhtra.quynh", "admin"):
        assert username in result.stdout
    assert "hồ sơ Lê Văn Hùng: disbursed" in result.stdout
    for stage in ("draft", "appraisal", "council", "signing", "awarded", "not_approved", "rejected"):
        assert f": {stage}" in result.stdout
    assert reentry_cli(url, "audit", "verify").returncode == 0
