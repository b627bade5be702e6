"""Process settings: every legal figure marked [U] in DOMAIN.md, and every SLA, is configuration.

Defaults below follow DOMAIN.md; a JSON file named by ``REENTRY_SETTINGS_FILE`` overrides any key, so a
province can change an SLA or a rate table without a code change or a redeploy of diagrams.
"""
from __future__ import annotations

import copy
import datetime as dt
import json
import os
from collections.abc import Mapping
from decimal import ROUND_HALF_UP
from decimal import Decimal
from pathlib import Path
from typing import Any

DEFAULTS: dict[str, Any] = {
    # Decision 22/2023/QĐ-TTg (loan)
    "max_returns": 3,
    "max_eligibility_attempts": 10,
    "max_years_since_release": 5,
    "max_production_loan_vnd": 100_000_000,
    "max_training_loan_vnd_per_month": 4_000_000,
    "max_term_months": 120,
    "overdue_rate_factor": 1.3,
    # Dated poor-household rate (QĐ 2553/QĐ-TTg from 2025-12-01): [from date, %/year]
    "interest_rates": [["2000-01-01", 6.6], ["2025-12-01", 6.24]],
    # SLAs in working days, by task name [U]
    "sla_days": {"confirm_at_commune": 5, "appraise_loan": 3, "appraise_dossier": 20, "sign_decision": 5},
    # Calendar overrides (bridge days off, make-up Saturdays), ISO dates
    "extra_holidays": [],
    "extra_working_days": [],
    # Emulation and commendation (award) [U]
    "council_quorum_fraction": [2, 3],
    "council_pass_fraction": [1, 2],
    "base_salaries": [["2023-07-01", 1_800_000], ["2024-07-01", 2_340_000]],
    "bonus_coefficients": {
        "provincial_chairman_certificate_of_merit": 1.5,
        "police_director_certificate": 0.3,
    },
    "collective_bonus_multiplier": 2,
    # Loop caps, so no nomination circles for ever (and the task tree stays shallow, engine/LIMITS.md)
    "max_award_returns": 3,
    "max_council_meetings": 3,
}


class Settings:
    """Read-only view over the configured values."""

    def __init__(self, overrides: Mapping[str, Any] | None = None) -> None:
        values = copy.deepcopy(DEFAULTS)
        values.update(overrides or {})
        self._values = values

    @classmethod
    def from_environment(cls) -> Settings:
        """Defaults overlaid with the JSON file named by ``REENTRY_SETTINGS_FILE``, when set."""
        path = os.environ.get("REENTRY_SETTINGS_FILE")
        if not path:
            return cls()
        return cls(json.loads(Path(path).read_text(encoding="utf-8")))

    def __getitem__(self, key: str) -> Any:
        if key not in self._values:
            raise KeyError(f"Không có tham số cấu hình '{key}'")
        return copy.deepcopy(self._values[key])

    def sla_days(self, task_name: str) -> int:
        """Working days allowed for ``task_name``."""
        days: int = self._values["sla_days"][task_name]
        return days

    def interest_rate_on(self, day: dt.date) -> float:
        """The loan rate (%/year) in force on ``day``."""
        return float(_dated_value(self._values["interest_rates"], day))

    def base_salary_on(self, day: dt.date) -> int:
        """The statutory base salary (VND/month) in force on ``day``."""
        return int(_dated_value(self._values["base_salaries"], day))

    def award_bonus(self, award_form: str, recipient_kind: str, day: dt.date) -> int:
        """The bonus in whole VND: coefficient × base salary on ``day``, × the multiplier for collectives.

        Decimal arithmetic rounded half up, so 0.3 × 2,340,000 is exactly 702,000 and never 701,999.
        """
        coefficient = Decimal(str(self._values["bonus_coefficients"][award_form]))
        amount = coefficient * self.base_salary_on(day)
        if recipient_kind == "collective":
            amount *= Decimal(str(self._values["collective_bonus_multiplier"]))
        return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))

    def quorum_reached(self, members_present: int, members_total: int) -> bool:
        """True when at least the configured fraction of the council's members attended."""
        numerator, denominator = self._values["council_quorum_fraction"]
        return members_total > 0 and members_present * denominator >= numerator * members_total

    def vote_passes(self, votes_for: int, members_total: int) -> bool:
        """True when the votes for a nominee are more than the configured fraction of all members."""
        numerator, denominator = self._values["council_pass_fraction"]
        return members_total > 0 and votes_for * denominator > numerator * members_total


def _dated_value(table: list[list[Any]], day: dt.date) -> Any:
    current = None
    for start, value in sorted(table, key=lambda row: str(row[0])):
        if dt.date.fromisoformat(start) <= day:
            current = value
    if current is None:
        raise ValueError(f"Bảng cấu hình không có giá trị cho ngày {day.isoformat()}")
    return current
