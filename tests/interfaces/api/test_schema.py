"""schemathesis against the live OpenAPI schema: no 5xx, responses match it.

Every operation gets a bounded number of generated requests, sent with an
owner's token on a fresh copy of the test world (SQLite store; the store
parametrisation is covered by the other API tests).
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


MAX_EXAMPLES = 6


def test_api_conforms_to_its_schema(small: Any) -> None:
    """Generated requests never cause a 5xx and every answer matches the schema."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", small.client.app)
    headers = small.headers["ada"]
    results: list[Any] = list(schema.get_all_operations())
    operations = [result.ok() for result in results]
    statuses: list[int] = []
    assert len(operations) >= 20

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def run(case: Any) -> None:
            response = case.call_and_validate(headers=headers, checks=CHECKS)
            statuses.append(response.status_code)

        run()
    assert len(statuses) >= 2 * len(operations)
    assert any(200 <= s < 300 for s in statuses)


def test_schema_documents_problems(small: Any) -> None:
    """Every documented error response is problem details; /docs is served."""
    spec = small.client.get("/openapi.json").json()
    assert "Problem" in spec["components"]["schemas"]
    for item in spec["paths"].values():
        for op in item.values():
            for code, response in op["responses"].items():
                if code.startswith(("4", "5")):
                    assert list(response["content"]) == ["application/problem+json"]
    assert small.client.get("/docs").status_code == 200
