"""Extreme numbers and odd names: each is a 4xx with the problem named, never a 500."""

from __future__ import annotations

import copy
import json
from urllib.parse import quote

import pytest

from tests.api.helpers import DATASET_FILES, upload, workbook

F = DATASET_FILES


@pytest.mark.parametrize(
    ("file", "old", "new", "column"),
    [
        ("fleet.csv", b",4,0,4,", b",4,0,1e20,", "count"),
        ("fleet.csv", b"10.00", b"1e30", "cost_per_session"),
        ("fleet.csv", b",0.80,", b",1e300,", "cost_per_km"),
    ],
)
def test_fleet_numbers_past_any_real_vehicle_are_422(api, file, old, new, column):
    response = upload(api, {**F, file: F[file].replace(old, new)})
    assert response.status_code == 422, response.text
    assert any(p["column"] == column for p in response.json()["problems"])


@pytest.mark.parametrize(
    "settings",
    [
        b"[costs]\npassenger_assistant_per_session = inf\n",
        b"[costs]\npassenger_assistant_per_session = 1e300\n",
        b"[policy]\nboarding_min = inf\n",
        b"[policy]\nboarding_min = 1e300\n",
        b"[costs]\nschool_days_per_year = 100000000000000000000\n",
        b"[policy]\nmax_ride_min_under_11 = 100000000000000000000\n",
        b"[solver]\nride_time_weight_per_min = 1e300\n",
    ],
)
def test_settings_past_any_real_policy_are_422(api, settings):
    response = upload(api, {**F, "settings.toml": settings})
    assert response.status_code == 422, response.text


def test_odd_file_names_download_under_their_own_names(api):
    for name in ("Données – SEND 2026.xlsx", "学生.xlsx"):
        response = upload(api, {name: workbook()})
        assert response.status_code == 201, response.text
        dataset_id = response.json()["id"]
        got = api.get(f"/datasets/{dataset_id}/files/{quote(name)}")
        assert got.status_code == 200, got.text
        disposition = got.headers["content-disposition"]
        assert f"filename*=UTF-8''{quote(name, safe='')}" in disposition
        assert disposition.isascii()
        assert got.headers["cache-control"] == "no-store"


def test_file_names_over_255_characters_are_422(api):
    response = upload(api, {"x" * 300 + ".xlsx": workbook()})
    assert response.status_code == 422, response.text
    assert "at most 255 characters" in response.json()["problems"][0]["message"]


def _post_plan(api, dataset_id, document) -> int:
    body = json.dumps({"dataset_id": dataset_id, "plan": document}, allow_nan=True)
    headers = {**api.headers("officer"), "content-type": "application/json"}
    return api.client.post("/plans", content=body, headers=headers)


@pytest.mark.parametrize(
    "change",
    [
        lambda p: p["routes"][0].__setitem__("cost", 1e17),
        lambda p: p["routes"][0].__setitem__("cost", 1e308),
        lambda p: p["routes"][0].__setitem__("distance_km", float("nan")),
        lambda p: p["routes"][0]["stops"][0].__setitem__("lat", float("inf")),
        lambda p: p["summary"].__setitem__("cost_per_day", float("-inf")),
        lambda p: p["routes"][0].__setitem__("stops", []),
        lambda p: p["routes"][0]["stops"][1].__setitem__("arrive", "99:99:99"),
    ],
)
def test_plans_with_impossible_numbers_are_422(api, planned, change):
    document = api.get(f"/plans/{planned.plan_id}/json").json()
    change(document)
    response = _post_plan(api, planned.dataset_id, document)
    assert response.status_code == 422, response.text
    check = api.client.post(
        f"/datasets/{planned.dataset_id}/validate",
        content=json.dumps(document, allow_nan=True),
        headers={**api.headers("officer"), "content-type": "application/json"},
    )
    assert check.status_code == 422


def test_a_plan_over_21_million_pounds_a_day_is_stored(api, planned):
    document = api.get(f"/plans/{planned.plan_id}/json").json()
    first = document["routes"][0]
    document["routes"] = [
        {**copy.deepcopy(first), "route_id": f"R{i}", "cost": 999_999.0} for i in range(25)
    ]
    response = _post_plan(api, planned.dataset_id, document)
    assert response.status_code == 201, response.text
    assert response.json()["cost_per_day_gbp"] == pytest.approx(24_999_975.0)
    assert api.get(f"/plans/{response.json()['id']}").status_code == 200
