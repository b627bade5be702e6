"""`reentry users add --audit-unit`: an auditor limited to some units, and a bad scope refused in Vietnamese."""
from __future__ import annotations

from pathlib import Path

from services import users
from services.backend import Backend
from tests.support import read
from tests.support import reentry_cli


def test_an_auditor_is_created_with_the_units_they_read(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert reentry_cli(url, "init-db").returncode == 0
    added = reentry_cli(url, "users", "add", "thanhtra.lan", "--password", "mat-khau-dai-1", "--group", "auditor",
                        "--audit-unit", "10002", "--audit-unit", "10001", "--full-name", "Vũ Thị Lan")
    assert added.returncode == 0, added.stderr
    assert "Phạm vi kiểm toán: 10001, 10002" in added.stdout
    backend = Backend.connect(url)
    try:
        assert read(backend, lambda s: users.get_user(s, "thanhtra.lan").audit_units) == {"10001", "10002"}
    finally:
        backend.engine.dispose()


def test_a_scope_for_someone_who_is_no_auditor_or_a_bad_code_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    reentry_cli(url, "init-db")
    police = reentry_cli(url, "users", "add", "an.police", "--password", "mat-khau-dai-1", "--group", "police",
                         "--audit-unit", "10001")
    assert police.returncode == 1
    assert "Chỉ người dùng nhóm Thanh tra / kiểm toán mới có phạm vi kiểm toán" in police.stderr
    bad = reentry_cli(url, "users", "add", "thanhtra.x", "--password", "mat-khau-dai-1", "--group", "auditor",
                      "--audit-unit", "xã 1")
    assert bad.returncode == 1 and "Mã đơn vị không hợp lệ: xã 1" in bad.stderr
