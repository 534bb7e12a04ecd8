"""Current routes in the service: uploaded and scored as a plan of kind ``current``, re-planned
from in a job, and the plans set against them (costs, finance report, per-pupil changes).

The routes below carry the six pupils of the tiny dataset (``tests/api/helpers.py``) as a council
might today, with one rule broken on purpose: Eve (P5) must travel alone but shares the morning
taxi with Dan (P4), so the validator lists a ``solo`` violation and the upload is still stored.
"""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import Workbook

from optimiser.plan.changes import CHANGE_KINDS
from tests.api.helpers import make_api, upload, wait_for, with_users

HEADER = "route_id,session,operator,vehicle_type,passenger_assistant,pupil_id,pickup_order"
CURRENT_CSV = (
    HEADER
    + ",agreed_price_per_day\n"
    + """R1,AM,Island Taxis,saloon taxi,no,P1,1,30.00
R1,AM,Island Taxis,saloon taxi,no,P2,2,30.00
R1,AM,Island Taxis,saloon taxi,no,P6,3,30.00
R2,AM,Wight Cars,WAV,yes,P3,1,
R3,AM,Island Taxis,saloon taxi,no,P4,1,
R3,AM,Island Taxis,saloon taxi,no,P5,2,
R1,PM,Island Taxis,saloon taxi,no,P1,1,
R1,PM,Island Taxis,saloon taxi,no,P2,1,
R1,PM,Island Taxis,saloon taxi,no,P6,1,
R2,PM,Wight Cars,WAV,yes,P3,1,
R3,PM,Island Taxis,saloon taxi,no,P5,1,
"""
).encode()
# Row 3 names an unknown pupil, row 4 a session that is not AM or PM, row 5 a vehicle type the
# fleet does not have: all three reported at once.
BAD_CSV = (
    HEADER
    + "\n"
    + """R1,AM,Island Taxis,saloon taxi,no,P1,1
R1,AM,Island Taxis,saloon taxi,no,P9,2
R2,XX,Wight Cars,WAV,yes,P3,1
R3,AM,Island Taxis,minibus,no,P4,1
"""
).encode()
REPLAN = {"time_limit_s": 3, "solution_limit": 20, "locks": ["P1"], "price_per_change_gbp": 5}


def post_current(
    api, dataset_id: int, content: bytes = CURRENT_CSV, name="routes.csv", who="officer"
):
    files = {"file": (name, io.BytesIO(content), "application/octet-stream")}
    return api.post(f"/datasets/{dataset_id}/current-routes", who, files=files, data={"label": ""})


def as_workbook(content: bytes) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "routes"
    for row in csv.reader(io.StringIO(content.decode())):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def current(api):
    """The tiny dataset and its current routes, uploaded: (dataset id, upload response)."""
    dataset_id = upload(api, name="with current routes").json()["id"]
    response = post_current(api, dataset_id)
    assert response.status_code == 201, response.text
    return dataset_id, response.json()


@pytest.fixture(scope="module")
def replanned(api, current):
    """A re-plan of the dataset from its current routes, run to the end: its job's JSON."""
    dataset_id, body = current
    request = {"current_plan_id": body["plan"]["id"], **REPLAN}
    response = api.post(f"/datasets/{dataset_id}/replan", json=request)
    assert response.status_code == 202, response.text
    assert response.headers["location"] == f"/jobs/{response.json()['id']}"
    job = wait_for(api, response.json()["id"])
    assert job["status"] == "succeeded", job
    return job


def test_current_routes_are_stored_as_a_scored_plan_of_kind_current(api, current):
    dataset_id, body = current
    plan = body["plan"]
    assert plan["kind"] == "current" and plan["source"] == "uploaded"
    assert plan["routes"] == 6 and plan["label"] == "current routes (routes.csv)"
    check = body["validation"]
    assert check["valid"] is False and check["violations_by_cause"].get("solo", 0) >= 1
    assert any(v["pupil_id"] in ("P4", "P5") for v in check["violations"] if v["cause"] == "solo")
    assert check["cost_per_day_gbp"] > 0 and body["journeys_on_no_route"] == 0
    # R1's morning route at £30 a day, the other five at the fleet's prices
    assert check["routes_with_agreed_price"] == 1
    assert check["agreed_cost_per_day_gbp"] is not None
    assert check["agreed_cost_per_day_gbp"] != check["cost_per_day_gbp"]
    listed = api.get(f"/plans?dataset_id={dataset_id}").json()
    assert [(p["id"], p["kind"]) for p in listed] == [(plan["id"], "current")]
    assert (
        api.get(f"/plans/{plan['id']}/validate").json()["violations_by_cause"]
        == check["violations_by_cause"]
    )
    # current routes are set against nothing: they are the routes run today
    assert api.get(f"/plans/{plan['id']}/costs").json()["against_current"] is None


def test_current_routes_from_a_workbook_and_a_plan_json(api, current):
    dataset_id, body = current
    book = post_current(api, dataset_id, as_workbook(CURRENT_CSV), "routes.xlsx")
    assert book.status_code == 201, book.text
    assert book.json()["validation"]["cost_per_day_gbp"] == body["validation"]["cost_per_day_gbp"]
    document = api.get(f"/plans/{body['plan']['id']}/json").content
    again = post_current(api, dataset_id, document, "plan.json")
    assert again.status_code == 201, again.text
    assert again.json()["plan"]["kind"] == "current"
    assert (
        again.json()["validation"]["violations_by_cause"]
        == (body["validation"]["violations_by_cause"])
    )


def test_a_bad_routes_file_is_422_naming_file_row_and_column_of_every_problem(api, current):
    dataset_id, _ = current
    before = len(api.get(f"/plans?dataset_id={dataset_id}").json())
    response = post_current(api, dataset_id, BAD_CSV, "bad_routes.csv")
    assert response.status_code == 422
    found = {(p["file"], p["row"], p["column"]) for p in response.json()["problems"]}
    assert {
        ("bad_routes.csv", 3, "pupil_id"),
        ("bad_routes.csv", 4, "session"),
        ("bad_routes.csv", 5, "vehicle_type"),
    } <= found
    assert len(api.get(f"/plans?dataset_id={dataset_id}").json()) == before  # nothing stored


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("routes.txt", CURRENT_CSV),
        ("routes.xlsx", b"not a workbook"),
        ("plan.json", b"{"),
        ("plan.json", b'{"routes": [{"route_id": "R1", "stops": []}]}'),
        ("plan.json", b'{"routes": [{"route_id": "R1", "cost": NaN}]}'),
    ],
)
def test_files_that_cannot_be_current_routes_are_422(api, current, name, content):
    response = post_current(api, current[0], content, name)
    assert response.status_code == 422
    assert response.json()["problems"][0]["file"] == name


@pytest.mark.parametrize("name", ["routes.csv", "routes.xlsx"])
def test_routes_past_the_readers_caps_are_refused(api, current, name):
    wide = CURRENT_CSV.replace(b"\n", b"," + b"x," * 120 + b"x\n")  # over 100 columns
    content = as_workbook(wide) if name.endswith(".xlsx") else wide
    response = post_current(api, current[0], content, name)
    assert response.status_code == 422
    assert any("too wide" in p["message"] for p in response.json()["problems"])


def test_a_routes_sheet_declaring_a_huge_range_is_read_within_bounds(api, current):
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(as_workbook(CURRENT_CSV)))
    book["routes"].cell(row=1_048_576, column=16_384, value="x")
    out = io.BytesIO()
    book.save(out)
    response = post_current(api, current[0], out.getvalue(), "bomb.xlsx")
    assert response.status_code == 422
    assert any(
        p["file"] == "bomb.xlsx[routes]" and "XFD1048576" in p["message"]
        for p in response.json()["problems"]
    )


def test_routes_are_read_in_the_upload_worker_within_its_time(backend, tmp_path):
    with make_api(backend, tmp_path) as service:
        with_users(service)
        dataset_id = upload(service).json()["id"]
        intake = service.client.app.state.service.intake
        intake.close()  # the next read starts a new worker process: far longer than 10 ms
        intake.timeout_s = 0.01
        response = post_current(service, dataset_id)
        assert response.status_code == 422, response.text
        assert "took longer than" in response.json()["problems"][0]["message"]


@pytest.mark.parametrize("who", ["finance", "operator_a"])
def test_only_officers_upload_current_routes_or_replan(api, current, who):
    dataset_id, body = current
    assert post_current(api, dataset_id, who=who).status_code == 403
    request = {"current_plan_id": body["plan"]["id"], **REPLAN}
    assert api.post(f"/datasets/{dataset_id}/replan", who, json=request).status_code == 403


def test_replan_requests_that_cannot_run_are_refused(api, current):
    dataset_id, body = current
    plan_id = body["plan"]["id"]
    assert (
        api.post(f"/datasets/{dataset_id}/replan", json={"current_plan_id": 999999}).status_code
        == 404
    )
    assert post_current(api, 999999).status_code == 404
    unknown = api.post(
        f"/datasets/{dataset_id}/replan", json={"current_plan_id": plan_id, "locks": ["P99"]}
    )
    assert unknown.status_code == 422 and "P99" in unknown.json()["detail"]
    for bad in ({"price_per_change_gbp": -1}, {"time_limit_s": 0}, {"colour": "red"}):
        response = api.post(
            f"/datasets/{dataset_id}/replan", json={"current_plan_id": plan_id, **bad}
        )
        assert response.status_code == 422


def test_a_replan_job_records_its_current_plan_and_per_pupil_changes(api, current, replanned):
    dataset_id, body = current
    current_id = body["plan"]["id"]
    assert replanned["current_plan_id"] == current_id
    plan = api.get(f"/plans/{replanned['plan_id']}").json()
    assert plan["kind"] == "plan" and plan["current_plan_id"] == current_id
    # named after its dataset and when it was made, and what it re-plans
    assert plan["label"].endswith(f", re-plan of plan {current_id}")
    # the re-plan is valid (the solo rule the current routes break is repaired)
    assert api.get(f"/plans/{plan['id']}/validate").json()["valid"] is True
    changes = api.get(f"/plans/{plan['id']}/changes.csv")
    assert changes.status_code == 200 and changes.headers["cache-control"] == "no-store"
    rows = list(csv.DictReader(io.StringIO(changes.text)))
    assert changes.text.startswith("pupil_id,session,reason,changes,")
    # P5's morning route broke a rule: it must change, and says why
    assert any(r["pupil_id"] in ("P4", "P5") and r["reason"] == "route_broke" for r in rows)
    assert api.get(f"/plans/{plan['id']}/changes.csv", "finance").status_code == 403
    assert api.get(f"/plans/{current_id}/changes.csv").status_code == 404  # not a re-plan


def test_a_replan_writes_change_notices_for_families(api, current, replanned):
    plan_id = replanned["plan_id"]
    pdf = api.get(f"/plans/{plan_id}/notices.pdf?effective=2026-02-23")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    table = api.get(f"/plans/{plan_id}/notices.csv?effective=2026-02-23")
    rows = list(csv.DictReader(io.StringIO(table.content.decode("utf-8-sig"))))
    changed = {r["pupil_id"] for r in _changes(api, plan_id)}
    assert rows and {r["pupil_id"] for r in rows} <= changed
    assert (
        api.get(f"/plans/{plan_id}/notices.pdf?effective=2026-02-23", "finance").status_code == 403
    )
    assert api.get(f"/plans/{plan_id}/notices.pdf?effective=2026-02-30").status_code == 422
    assert api.get(f"/plans/{plan_id}/notices.pdf?effective=soon").status_code == 422
    current_id = current[1]["plan"]["id"]
    assert api.get(f"/plans/{current_id}/notices.pdf?effective=2026-02-23").status_code == 404


def _changes(api, plan_id: int) -> list[dict]:
    response = api.get(f"/plans/{plan_id}/changes.csv")
    return list(csv.DictReader(io.StringIO(response.text)))


def test_a_replan_is_costed_against_its_current_routes(api, current, replanned):
    _, body = current
    costs = api.get(f"/plans/{replanned['plan_id']}/costs", "finance").json()
    against = costs["against_current"]
    assert against["current_plan_id"] == body["plan"]["id"]
    assert against["current_cost_per_day_gbp"] == body["validation"]["cost_per_day_gbp"]
    assert (
        against["current_agreed_cost_per_day_gbp"] == body["validation"]["agreed_cost_per_day_gbp"]
    )
    assert against["cost_per_day_gbp"] == costs["cost_per_day_gbp"]
    assert against["difference_per_day_gbp"] == pytest.approx(
        costs["cost_per_day_gbp"] - body["validation"]["cost_per_day_gbp"], abs=0.011
    )
    page = api.get(f"/plans/{replanned['plan_id']}/finance.html", "finance").text
    assert "Current routes per day (fleet prices)" in page
    assert "Difference against current routes per day" in page
    table = api.get(f"/plans/{replanned['plan_id']}/finance.csv", "finance").content
    items = {r["item"] for r in csv.DictReader(io.StringIO(table.decode("utf-8-sig")))}
    assert {"current routes", "current routes at agreed prices"} <= items


def test_a_fresh_plan_is_set_against_the_newest_current_routes_of_its_dataset(api, planned):
    before = api.get(f"/plans/{planned.plan_id}/costs").json()
    assert before["against_current"] is None
    assert "Current routes per day" not in api.get(f"/plans/{planned.plan_id}/finance.html").text
    stored = post_current(api, planned.dataset_id).json()["plan"]["id"]
    after = api.get(f"/plans/{planned.plan_id}/costs").json()["against_current"]
    assert after["current_plan_id"] == stored
    assert "Current routes per day" in api.get(f"/plans/{planned.plan_id}/finance.html").text


def test_compare_matches_routes_by_pupils_and_counts_pupils_affected(api, current, replanned):
    a, b = current[1]["plan"]["id"], replanned["plan_id"]
    result = api.get(f"/plans/compare?a={a}&b={b}", "finance").json()
    assert result["pupils"] == 6 and result["journeys"] == 11
    assert 1 <= result["pupils_affected"] <= 6
    assert result["journeys_changed"] == sum(1 for _ in _changed_rows(api, a, b))
    assert result["changes_by_kind"] and set(result["changes_by_kind"]) <= set(CHANGE_KINDS)
    same = api.get(f"/plans/compare?a={a}&b={a}").json()
    assert same["pupils_affected"] == 0 and same["unchanged_routes"] == 6
    assert api.get(f"/plans/compare/changes.csv?a={a}&b={b}", "finance").status_code == 403


def _changed_rows(api, a: int, b: int) -> list[dict]:
    response = api.get(f"/plans/compare/changes.csv?a={a}&b={b}")
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.text)))
