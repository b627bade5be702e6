"""Settings hold every configurable figure: defaults from DOMAIN.md, overrides from a JSON file."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from workflows.settings import Settings


@pytest.mark.parametrize(("day", "rate"), [
    (dt.date(2000, 1, 1), 6.6), (dt.date(2025, 11, 30), 6.6), (dt.date(2025, 12, 1), 6.24),
])
def test_interest_rate_table_by_date(day: dt.date, rate: float) -> None:
    """The loan rate in force on a day comes from the dated table."""
    assert Settings().interest_rate_on(day) == rate


def test_rate_before_the_table_is_refused() -> None:
    """A day before the first row of a dated table has no value."""
    with pytest.raises(ValueError, match="1999-12-31"):
        Settings().interest_rate_on(dt.date(1999, 12, 31))


@pytest.mark.parametrize(("day", "salary"), [(dt.date(2024, 6, 30), 1_800_000), (dt.date(2024, 7, 1), 2_340_000)])
def test_base_salary_by_date(day: dt.date, salary: int) -> None:
    """The base salary changes on 1 July 2024."""
    assert Settings().base_salary_on(day) == salary


def test_sla_days_and_overrides() -> None:
    """SLAs are working days per task, and an override replaces a key."""
    assert Settings().sla_days("confirm_at_commune") == 5
    assert Settings().sla_days("appraise_loan") == 3
    assert Settings({"sla_days": {"confirm_at_commune": 7}}).sla_days("confirm_at_commune") == 7


def test_unknown_key_is_refused() -> None:
    """Reading a setting that does not exist fails loudly, naming it."""
    with pytest.raises(KeyError, match="no_such_setting"):
        Settings()["no_such_setting"]


def test_values_are_copies() -> None:
    """Changing a value read from settings does not change the settings."""
    settings = Settings()
    settings["sla_days"]["confirm_at_commune"] = 99
    assert settings["sla_days"]["confirm_at_commune"] == 5


def test_from_environment_reads_json_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """REENTRY_SETTINGS_FILE names a JSON file whose keys override the defaults."""
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"max_returns": 5}), encoding="utf-8")
    monkeypatch.setenv("REENTRY_SETTINGS_FILE", str(path))
    settings = Settings.from_environment()
    assert settings["max_returns"] == 5
    assert settings["max_production_loan_vnd"] == 100_000_000


def test_from_environment_without_file_is_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without REENTRY_SETTINGS_FILE the defaults apply."""
    monkeypatch.delenv("REENTRY_SETTINGS_FILE", raising=False)
    assert Settings.from_environment()["max_returns"] == 3
