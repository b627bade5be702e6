"""The reentry command line, run as a person runs it: a real process against a real database."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from services.backend import Backend
from services.models import ProcessInstance
from tests.support import read
from tests.support import reentry_cli
from tests.web.conftest import CAST
from tests.web.conftest import add_people
from tests.web.conftest import loan_at

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


def _no_database_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``reentry`` with no database configured: no REENTRY_DATABASE_URL, and an instance folder that must
    stay uncreated (the default database would be made there)."""
    env = {k: v for k, v in os.environ.items() if k != "REENTRY_DATABASE_URL"}
    env["REENTRY_INSTANCE_DIR"] = str(tmp_path / "no-instance")
    return subprocess.run([sys.executable, "-c", "from web.cli import main; main()", *args], env=env,
                          capture_output=True, text=True, timeout=120, check=False, cwd=ROOT)


def test_audit_export_then_verify_the_file_without_a_database(backend: Backend, db_url: str, tmp_path: Path) -> None:
    """An exported history verifies with no database at all; an edited event in it is named, exit 1."""
    add_people(backend, CAST)
    instance_id = loan_at(backend, "appraise_loan")
    key = read(backend, lambda s: s.get_one(ProcessInstance, instance_id).business_key)
    out = tmp_path / "lich-su.json"
    exported = reentry_cli(db_url, "audit", "export", key, "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    assert f"Đã ghi {out}" in exported.stdout
    as_csv = reentry_cli(db_url, "audit", "export", key, "--format", "csv", "--out", str(tmp_path / "lich-su.csv"))
    assert as_csv.returncode == 0 and (tmp_path / "lich-su.csv").read_bytes().startswith(b"\xef\xbb\xbf")

    intact = _no_database_cli(tmp_path, "audit", "verify", "--file", str(out))
    assert intact.returncode == 0, intact.stderr
    assert f"Bản xuất toàn vẹn: hồ sơ {key}, 3 sự kiện" in intact.stdout
    assert not (tmp_path / "no-instance").exists()

    original = out.read_text(encoding="utf-8")
    document = json.loads(original)
    document["events"][1]["data"]["requested_amount_vnd"] = 99_000_000
    out.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    tampered = _no_database_cli(tmp_path, "audit", "verify", "--file", str(out))
    assert tampered.returncode == 1
    assert f"hồ sơ {key} sự kiện số 2" in tampered.stderr and "nội dung sự kiện đã bị sửa" in tampered.stderr

    document = json.loads(original)
    del document["events"][2]
    out.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    truncated = _no_database_cli(tmp_path, "audit", "verify", "--file", str(out))
    assert truncated.returncode == 1 and f"hồ sơ {key} sự kiện số 3" in truncated.stderr
    assert "thiếu sự kiện cuối" in truncated.stderr
    assert reentry_cli(db_url, "audit", "verify", "--instance", str(instance_id)).returncode == 0


def test_audit_verify_file_refuses_what_is_not_an_export(tmp_path: Path) -> None:
    """Not JSON, or JSON that is no export: exit 1 with a Vietnamese reason."""
    garbage = tmp_path / "x.json"
    garbage.write_text("{khong phai json", encoding="utf-8")
    result = _no_database_cli(tmp_path, "audit", "verify", "--file", str(garbage))
    assert result.returncode == 1 and "không phải tệp JSON hợp lệ" in result.stderr
    garbage.write_text('{"events": []}', encoding="utf-8")
    result = _no_database_cli(tmp_path, "audit", "verify", "--file", str(garbage))
    assert result.returncode == 1 and "không phải bản xuất lịch sử hồ sơ" in result.stderr


def test_audit_export_of_an_unknown_case_fails(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    reentry_cli(url, "init-db")
    result = reentry_cli(url, "audit", "export", "HS-2026-999999", "--out", str(tmp_path / "x.json"))
    assert result.returncode == 1 and "HS-2026-999999" in result.stderr
    assert not (tmp_path / "x.json").exists()
