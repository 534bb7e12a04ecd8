"""The OpenAPI schema: every endpoint documented with units, and a bounded schemathesis run
over all of them that must find no server error."""

from __future__ import annotations

import json

import pytest

from api.auth import Role
from tests.api.helpers import QUICK_PLAN, make_api, server_errors, upload, wait_for

schemathesis = pytest.importorskip("schemathesis")


def test_every_operation_is_documented_and_secured(api):
    schema = api.client.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert operation.get("description"), f"{method} {path} has no description"
            assert operation.get("security"), f"{method} {path} is not secured"
            assert "401" in operation["responses"], f"{method} {path}"


def test_the_schema_states_its_units(api):
    text = json.dumps(api.client.get("/openapi.json").json())
    for unit in ("seconds", "pounds", "km", "kilometres", "HH:MM:SS", "HH:MM"):
        assert unit in text, unit
    job = api.client.get("/openapi.json").json()["components"]["schemas"]["JobOut"]["properties"]
    assert "seconds" in job["time_limit_s"]["description"]
    assert "pounds" in job["best_cost_gbp"]["description"]


@pytest.fixture(scope="module")
def fuzzed(backend, tmp_path_factory):
    """A service holding a dataset and a plan, whose solves stop after 2 s."""
    folder = tmp_path_factory.mktemp(f"fuzz-{backend}")
    with make_api(backend, folder, max_time_limit_s=2, max_running_jobs=1) as service:
        service.add_user("officer", Role.OFFICER)
        dataset_id = upload(service).json()["id"]
        job = service.post(f"/datasets/{dataset_id}/plans", json=QUICK_PLAN).json()
        assert wait_for(service, job["id"])["status"] == "succeeded"
        yield service


def test_no_operation_answers_with_a_server_error(fuzzed):
    headers = fuzzed.headers("officer")
    assert server_errors(fuzzed.client.app, headers, max_examples=8) == []
