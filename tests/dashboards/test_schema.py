"""A property-based run over the OpenAPI schema: no input makes a server error.

schemathesis generates requests for every ``/api/`` operation of the
dashboard (valid and invalid parameters) against the seeded store and
checks that none answers 5xx and that every answer matches the schema.
Examples per operation are bounded so the run stays under a minute. The
check that invalid data is rejected is left out: in a query string every
value is text, so "theme=101" (meant as an integer) is a valid theme name
and that check would fail on correct behaviour.
Routes of other areas (alerts, exports) are left to their own tests.
"""

from __future__ import annotations

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import negative_data_rejection

OURS = r"^/api/(overview|timeline|documents|search|signals|themes|actors|publishers|money|feedback)"


@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.fixture
def api_schema(app: FastAPI) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi("/api/openapi.json", app).include(path_regex=OURS)


#: examples per operation and generation mode (valid, then invalid inputs)
EXAMPLES = 20


@pytest.mark.slow
def test_api_never_fails_on_any_input(api_schema: schemathesis.BaseSchema) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 13
    for operation in operations:
        has_inputs = any(True for _ in operation.iter_parameters()) or operation.body
        modes = [GenerationMode.POSITIVE] + ([GenerationMode.NEGATIVE] if has_inputs else [])
        for mode in modes:

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def run(case: schemathesis.Case) -> None:
                case.call_and_validate(excluded_checks=[negative_data_rejection])

            run()


def test_schema_lists_every_api_route(app: FastAPI) -> None:
    paths = set(app.openapi()["paths"])
    assert {
        "/api/overview",
        "/api/timeline",
        "/api/documents",
        "/api/documents/{document_id}",
        "/api/search",
        "/api/signals",
        "/api/signals/{key}",
        "/api/signals/{key}/feedback",
        "/api/themes",
        "/api/actors",
        "/api/publishers",
        "/api/money",
        "/api/feedback",
    } <= paths
    assert not any(p in paths for p in ("/timeline", "/login", "/"))  # pages are not API


def test_other_areas_routers_are_included_when_present(app: FastAPI) -> None:
    import importlib.util

    paths = set(app.openapi()["paths"])
    if importlib.util.find_spec("alerts.web") is not None:
        assert "/alerts/new" in paths and "/api/subscriptions" in paths
    if importlib.util.find_spec("exports.web") is not None:
        assert "/api/exports" in paths
