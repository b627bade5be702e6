"""Fixtures for the workflows package: the real diagrams in bpmn/, an engine, a restricted script environment."""
from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from workflows.calendar import WorkingCalendar
from workflows.engine import Engine
from workflows.registry import ProcessDefinition
from workflows.registry import load_sources
from workflows.registry import read_folder
from workflows.scripting import RestrictedEnvironment
from workflows.scripting import script_helpers
from workflows.settings import Settings

BPMN_DIR = Path(__file__).resolve().parents[2] / "bpmn"

# DESIGN.md's example dossier (the contract smoke check sends the same one).
EXAMPLE_DOSSIER: dict[str, Any] = {
    "full_name": "Trần Văn Bình", "date_of_birth": "1988-03-04", "sex": "male",
    "national_id_number": "001088004321", "residence_commune_code": "10001",
    "residence_detail": "Thôn 2", "phone": "0987654321", "release_certificate_type": "amnesty",
    "release_certificate_number": "45/GCN", "sentence_completed_on": "2025-02-01",
    "form01_list_ref": "01/DS-2026", "loan_purpose": "production_business",
    "requested_amount_vnd": 60_000_000, "loan_term_months": 24, "use_of_funds_plan": "Mở tiệm sửa xe",
    "has_same_purpose_debt": False, "action": "submit",
}

_BPMN_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="tiny_definitions" targetNamespace="http://reentry.local/test">
  <bpmn:process id="tiny" name="Tiny" isExecutable="true">
"""
_BPMN_TAIL = """  </bpmn:process>
</bpmn:definitions>
"""

_SCRIPT_BODY = """    <bpmn:startEvent id="start">
      <bpmn:outgoing>flow_start</bpmn:outgoing>
    </bpmn:startEvent>
    <bpmn:scriptTask id="calc" name="Calculate">
      <bpmn:incoming>flow_start</bpmn:incoming>
      <bpmn:outgoing>flow_done</bpmn:outgoing>
      <bpmn:script>{script}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:endEvent id="done">
      <bpmn:incoming>flow_done</bpmn:incoming>
    </bpmn:endEvent>
    <bpmn:sequenceFlow id="flow_start" sourceRef="start" targetRef="calc" />
    <bpmn:sequenceFlow id="flow_done" sourceRef="calc" targetRef="done" />
"""


def _tiny_process(body: str) -> str:
    return _BPMN_HEAD + body + _BPMN_TAIL


def _script_process(script: str) -> str:
    return _tiny_process(_SCRIPT_BODY.format(script=html.escape(script, quote=False)))


@pytest.fixture(scope="session")
def loan_sources() -> dict[str, str]:
    """The files of the real bpmn/ folder."""
    return read_folder(BPMN_DIR)


@pytest.fixture(scope="session")
def loan_definition(loan_sources: dict[str, str]) -> ProcessDefinition:
    """The real loan_dossier process, parsed once per session."""
    return load_sources(loan_sources)["loan_dossier"]


@pytest.fixture
def settings() -> Settings:
    """The default settings (DOMAIN.md figures)."""
    return Settings()


@pytest.fixture
def calendar() -> WorkingCalendar:
    """The Vietnamese working calendar without overrides."""
    return WorkingCalendar()


@pytest.fixture
def engine(settings: Settings, calendar: WorkingCalendar) -> Engine:
    """An engine with default settings and calendar."""
    return Engine(settings, calendar)


@pytest.fixture
def environment(settings: Settings, calendar: WorkingCalendar) -> RestrictedEnvironment:
    """The restricted environment with the real helpers."""
    return RestrictedEnvironment(script_helpers(settings, calendar))


@pytest.fixture
def dossier() -> dict[str, Any]:
    """A fresh copy of the example dossier."""
    return dict(EXAMPLE_DOSSIER)


@pytest.fixture
def tiny_bpmn() -> Callable[[str], str]:
    """Wraps process elements in a BPMN document whose one process is ``tiny``."""
    return _tiny_process


@pytest.fixture
def script_bpmn() -> Callable[[str], str]:
    """Builds a BPMN document: start → scriptTask ``calc`` running the given script → end."""
    return _script_process


@pytest.fixture
def monday_morning() -> dt.datetime:
    """Monday 2 March 2026, 09:00 in Hà Nội (02:00 UTC): a plain working week follows."""
    return dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)
