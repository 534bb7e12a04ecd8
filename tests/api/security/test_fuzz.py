"""A bounded schemathesis run over every operation as every role, and with no or a bad token:
no 500 anywhere."""

from __future__ import annotations

import pytest

from api.auth import Role
from tests.api.helpers import OPERATOR_A, QUICK_PLAN, make_api, server_errors, upload, wait_for

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
    if who == "bad token":
        headers = {"Authorization": "Bearer sr_forged"}
    elif who == "no token":
        headers = {}
    else:
        headers = fuzzed.headers(who)
    assert server_errors(fuzzed.client.app, headers, max_examples=4) == []
