"""The served OpenAPI document tells the truth: generated requests get documented answers, never a 500.

Schemathesis loads /api/v1/openapi.json from the app and sends, per operation and per generation mode
(valid and invalid requests), a bounded number of derandomized requests signed with a real officer's
token. The database holds a case at each of the first loan steps, so small ids exist and the officer
may see them. (Schemathesis' own pytest plugin cannot load a schema from a fixture under pytest 9, so
the operations are parametrized here and driven with Hypothesis directly.)
"""
from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import content_type_conformance
from schemathesis.specs.openapi.checks import response_schema_conformance
from schemathesis.specs.openapi.checks import status_code_conformance
from schemathesis.specs.openapi.schemas import OpenApiSchema

from tests.web.conftest import LOAN_STEPS
from tests.web.conftest import Api
from tests.web.conftest import loan_at
from web import openapi

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Operations without any parameter or body have no invalid form to generate.
NOTHING_TO_BREAK = {("GET", "/processes"), ("GET", "/openapi.json")}
OPERATIONS = [pytest.param(method.upper(), path, mode, id=f"{method.upper()} {path} {mode.value}")
              for path, item in openapi.document()["paths"].items() for method in item for mode in GenerationMode
              if mode == GenerationMode.POSITIVE or (method.upper(), path) not in NOTHING_TO_BREAK]


@pytest.fixture(scope="module")
def api_schema(module_api: Api) -> OpenApiSchema:
    """The document as the app serves it, bound to the app; the database holds a case at each loan step."""
    for step in LOAN_STEPS[:3]:
        loan_at(module_api.backend, step)
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", module_api.client.application)


@pytest.fixture
def api(module_api: Api) -> Api:
    """The module's shared client."""
    return module_api


def test_every_route_of_the_api_is_documented(api: Api) -> None:
    routed = {(rule.rule.removeprefix("/api/v1"), method) for rule in api.client.application.url_map.iter_rules()
              if rule.endpoint.startswith("api.") for method in rule.methods or () if method in {"GET", "POST"}}
    documented = {(path.replace("{instance_id}", f"<int(min=1, max={openapi.MAX_ID}):instance_id>")
                   .replace("{task_id}", "<uuid:task_id>").replace("{key}", "<key>")
                   .replace("{name}", "<name>"), method.upper())
                  for path, item in openapi.document()["paths"].items() for method in item}
    assert routed == documented


@pytest.mark.slow
@pytest.mark.parametrize(("method", "path", "mode"), OPERATIONS)
def test_answers_conform_to_the_document(api_schema: OpenApiSchema, api: Api, method: str, path: str,
                                         mode: GenerationMode) -> None:
    headers = {"Authorization": f"Bearer {api.token('police.a')}"}

    @given(case=api_schema[path][method].as_strategy(mode))
    @settings(max_examples=20, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def answers_as_documented(case: schemathesis.Case[Any]) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    answers_as_documented()
