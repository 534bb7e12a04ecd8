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


def test_the_wall_clock_bound_counts_every_search_the_planner_may_budget():
    import inspect

    from api import jobs
    from optimiser import planner

    # the shares the bound assumes are the planner's own
    assert jobs.CONTINUITY_SHARE == planner.CONTINUITY_SHARE
    assert jobs.CONTINUITY_ROUNDS == planner.CONTINUITY_ROUNDS
    assert jobs.CONTINUITY_POLISH_SHARE == planner.CONTINUITY_POLISH_SHARE
    assert jobs.RECOMBINE_SHARE == planner.RECOMBINE_SHARE
    retry = inspect.getsource(planner._retry_with_more_vehicles)
    assert f"max({jobs.RETRY_MIN_S}, params.time_limit_s / {round(1 / jobs.RETRY_SHARE)})" in retry
    # by hand: searches (side by side with two workers) + two second searches + two turns with
    # the other session in view + both sessions searched on from the better pair (side by side
    # with two workers) + the routes of every pair combined + the allowance
    bound = jobs.wall_clock_bound_s
    assert bound(60, 180, pupils=500, grace_s_per_pupil=0.06, solver_workers=2) == pytest.approx(
        60 + 2 * 30 + 2 * 90 + 60 + 15 + 180 + 30
    )
    assert bound(60, 180, pupils=500, grace_s_per_pupil=0.06, solver_workers=1) == pytest.approx(
        2 * 60 + 2 * 30 + 2 * 90 + 2 * 60 + 15 + 180 + 30
    )
    # a second search gets at least 10 s, however short the time limit
    assert bound(5, 180, pupils=6, grace_s_per_pupil=0.06) == pytest.approx(
        2 * 5 + 2 * 10 + 2 * 7.5 + 2 * 5 + 1.25 + 180 + 0.36
    )


@pytest.mark.parametrize(
    ("limit_s", "pupils", "needed_s"),
    [
        (337, 5_000, 686),  # measured: 5,000 pupils, both sessions (benchmarks/README.md)
        (450, 5_000, 900 + 12),  # 15 minutes of search for both sessions at county scale
        (60, 500, 152),  # measured: 500 pupils
    ],
)
def test_the_default_bound_leaves_large_cohorts_room(limit_s, pupils, needed_s):
    from api.jobs import wall_clock_bound_s

    settings = ServiceSettings()
    bound = wall_clock_bound_s(
        limit_s,
        settings.job_grace_s,
        pupils=pupils,
        grace_s_per_pupil=settings.job_grace_s_per_pupil,
        solver_workers=settings.solver_workers,
    )
    assert bound >= 1.5 * needed_s


def test_the_default_bound_is_tighter_than_six_times_the_search_plus_300_s_for_small_jobs():
    from api.jobs import wall_clock_bound_s

    settings = ServiceSettings()
    for limit_s, pupils in ((5, 6), (60, 500), (101, 1_000)):
        bound = wall_clock_bound_s(
            limit_s,
            settings.job_grace_s,
            pupils=pupils,
            grace_s_per_pupil=settings.job_grace_s_per_pupil,
            solver_workers=settings.solver_workers,
        )
        assert bound < 6 * limit_s + 300, (limit_s, pupils)
