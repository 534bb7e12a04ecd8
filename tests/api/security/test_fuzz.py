"""A bounded schemathesis run over every operation as every role, and with no or a bad token:
no 500 anywhere."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from api.auth import Role
from tests.api.helpers import OPERATOR_A, QUICK_PLAN, make_api, upload, wait_for

schemathesis = pytest.importorskip("schemathesis")


@pytest.fixture(scope="module")
def fuzzed(backend, tmp_path_factory):
    """A service holding a dataset and a plan, with a user of every role."""
    folder = tmp_path_factory.mktemp(f"fuzz-roles-{backend}")
    with make_api(backend, folder, max_time_limit_s=2, max_running_jobs=1) as service:
        service.add_user("officer", Role.OFFICER)
        service.add_user("finance", Role.FINANCE)
        service.add_user("operator", Role.OPERATOR, OPERATOR_A)
        dataset_id = upload(service).json()["id"]
        job = service.post(f"/datasets/{dataset_id}/plans", json=QUICK_PLAN).json()
        assert wait_for(service, job["id"])["status"] == "succeeded"
        yield service


@pytest.mark.parametrize("who", ["finance", "operator", "bad token", "no token"])
def test_no_operation_answers_any_caller_with_a_server_error(fuzzed, who):
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzzed.client.app)
    if who == "bad token":
        headers = {"Authorization": "Bearer sr_forged"}
    elif who == "no token":
        headers = {}
    else:
        headers = fuzzed.headers(who)
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=4,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def check(case) -> None:
            response = case.call(headers=headers)
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:200]}"
            )

        try:
            check()
        except AssertionError as exc:
            failures.append(str(exc))
    assert failures == []
