"""A job's search time: the request's, else the dataset's own setting, else the service's default,
and never above the service's ceiling."""

from __future__ import annotations

import re

import pytest

from api.services.jobs import time_limit_s
from api.settings import ServiceSettings
from tests.api.helpers import DATASET_FILES, upload, wait_for

SETTINGS = ServiceSettings(default_time_limit_s=5, max_time_limit_s=600)
OWN_LIMIT = b"\n[solver]\ntime_limit_s = 7\n"


@pytest.mark.parametrize(
    ("requested", "own", "expected"),
    [
        (3, 7, 3),  # the request wins
        (None, 7, 7),  # then the dataset's own setting
        (None, None, 5),  # then the service default
        (None, 9000, 600),  # a dataset's limit is capped too
        (9000, None, 600),
    ],
)
def test_the_order_of_precedence(requested, own, expected):
    assert time_limit_s(requested, own, SETTINGS) == expected


def _job(api, files: dict[str, bytes], body: dict) -> dict:
    dataset_id = upload(api, files).json()["id"]
    response = api.post(f"/datasets/{dataset_id}/plans", json=body)
    assert response.status_code == 202, response.text
    wait_for(api, response.json()["id"])
    return response.json()


def test_a_job_without_a_time_limit_uses_the_datasets_own(api):
    files = {**DATASET_FILES, "settings.toml": DATASET_FILES["settings.toml"] + OWN_LIMIT}
    assert api.settings.default_time_limit_s != 7
    assert _job(api, files, {"solution_limit": 5})["time_limit_s"] == 7
    assert _job(api, files, {"solution_limit": 5, "time_limit_s": 3})["time_limit_s"] == 3


def test_a_dataset_without_a_time_limit_gets_the_service_default(api):
    job = _job(api, DATASET_FILES, {"solution_limit": 5})
    assert job["time_limit_s"] == api.settings.default_time_limit_s


def _offered(api, dataset_id: int) -> str:
    """The search time the dataset page's form starts with."""
    page = api.get(f"/dataset/{dataset_id}").text
    return re.search(r'id="time_limit_s"[^>]*value="([^"]*)"', page).group(1)


def test_the_dataset_page_offers_the_time_a_job_would_get(api):
    files = {**DATASET_FILES, "settings.toml": DATASET_FILES["settings.toml"] + OWN_LIMIT}
    assert _offered(api, upload(api, files).json()["id"]) == "7"
    assert _offered(api, upload(api).json()["id"]) == f"{api.settings.default_time_limit_s:g}"
