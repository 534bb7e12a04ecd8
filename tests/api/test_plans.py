"""Plans over HTTP: the document, costs, checks, uploads, comparison, map, sheets, finance."""

from __future__ import annotations

import copy
import csv
import io

from tests.api.helpers import OPERATOR_A, OPERATOR_B
from tests.helpers.pages import searchable


def _document(api, planned) -> dict:
    return api.get(f"/plans/{planned.plan_id}/json").json()


def test_the_plan_document_uses_the_documented_units(api, planned):
    plan = _document(api, planned)
    route = plan["routes"][0]
    assert {"route_id", "session", "operator", "stops", "distance_km", "cost"} <= set(route)
    assert len(route["stops"][0]["depart"].split(":")) == 3  # HH:MM:SS
    meta = api.get(f"/plans/{planned.plan_id}").json()
    assert meta["routes"] == len(plan["routes"])
    assert meta["cost_per_day_gbp"] == round(sum(r["cost"] for r in plan["routes"]), 2)
    assert set(meta["operators"]) <= {OPERATOR_A, OPERATOR_B}


def test_costs_are_recomputed_aggregates(api, planned):
    costs = api.get(f"/plans/{planned.plan_id}/costs").json()
    meta = api.get(f"/plans/{planned.plan_id}").json()
    assert abs(costs["cost_per_day_gbp"] - meta["cost_per_day_gbp"]) < 0.05 * costs["routes"]
    assert costs["cost_per_year_gbp"] == round(costs["cost_per_day_gbp"] * 190, 2)
    assert costs["pupils_carried"] == {"AM": 6, "PM": 5}
    assert costs["summary"]["placed"] == 11


def test_a_stored_plan_is_valid(api, planned):
    result = api.get(f"/plans/{planned.plan_id}/validate").json()
    assert result["valid"] and result["violations"] == []


def test_an_edited_plan_is_checked_against_the_dataset(api, planned):
    plan = _document(api, planned)
    assert api.post(f"/datasets/{planned.dataset_id}/validate", json=plan).json()["valid"]
    edited = copy.deepcopy(plan)
    dropped = edited["routes"].pop()
    result = api.post(f"/datasets/{planned.dataset_id}/validate", json=edited).json()
    assert not result["valid"]
    assert result["violations_by_cause"].get("coverage")
    missing = {v["pupil_id"] for v in result["violations"] if v["cause"] == "coverage"}
    assert missing and missing <= {pid for s in dropped["stops"] for pid in s.get("pupil_ids", [])}


def test_a_malformed_plan_is_422_with_its_problems(api, planned):
    bad = {"routes": [{"route_id": "X", "stops": [{"type": "teleport"}]}]}
    response = api.post(f"/datasets/{planned.dataset_id}/validate", json=bad)
    assert response.status_code == 422
    messages = [p["message"] for p in response.json()["problems"]]
    assert any("teleport" in m for m in messages) and any("vehicle_id" in m for m in messages)
    response = api.post("/plans", json={"dataset_id": planned.dataset_id, "plan": bad})
    assert response.status_code == 422
    assert api.post(f"/datasets/{planned.dataset_id}/validate", json=[1]).status_code == 422


def test_upload_and_compare_plans(api, planned):
    plan = _document(api, planned)
    edited = copy.deepcopy(plan)
    edited["routes"].pop()
    stored = api.post(
        "/plans", json={"dataset_id": planned.dataset_id, "plan": edited, "label": "current"}
    )
    assert stored.status_code == 201
    assert stored.json()["source"] == "uploaded" and stored.json()["label"] == "current"
    other = stored.json()["id"]
    result = api.get(f"/plans/compare?a={other}&b={planned.plan_id}").json()
    assert result["plan_a"] == other and len(result["added_routes"]) == 1
    row = {r["measure"]: r for r in result["rows"]}["Routes"]
    assert (row["a"], row["b"], row["change"]) == (len(plan["routes"]) - 1, len(plan["routes"]), 1)
    assert api.post("/plans", json={"dataset_id": 999999, "plan": plan}).status_code == 404
    assert api.get(f"/plans/compare?a={other}&b=999999").status_code == 404


def test_plans_of_different_datasets_are_not_compared(api, planned):
    from tests.api.helpers import upload

    dataset_id = upload(api).json()["id"]
    empty = {"routes": []}
    other = api.post("/plans", json={"dataset_id": dataset_id, "plan": empty}).json()["id"]
    assert api.get(f"/plans/compare?a={other}&b={planned.plan_id}").status_code == 422


def test_the_map_works_offline_from_the_static_route(api, planned):
    response = api.get(f"/plans/{planned.plan_id}/map")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "/static/lib/leaflet/leaflet.js" in page and '"lib/leaflet/' not in page
    assert "cdn" not in searchable(page)
    for asset in ("leaflet.js", "leaflet.css"):
        static = api.client.get(f"/static/lib/leaflet/{asset}")  # public library, no token
        assert static.status_code == 200 and len(static.content) > 1000


def test_operator_sheets_as_pdf_and_csv(api, planned):
    pdf = api.get(f"/plans/{planned.plan_id}/sheets.pdf?operator={OPERATOR_A}")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    sheet = api.get(f"/plans/{planned.plan_id}/sheets.csv?operator={OPERATOR_B}")
    assert sheet.status_code == 200
    rows = list(csv.DictReader(io.StringIO(sheet.content.decode("utf-8-sig"))))  # BOM for Excel
    assert rows and {r["route_id"] for r in rows} <= {
        r["route_id"] for r in _document(api, planned)["routes"] if r["operator"] == OPERATOR_B
    }
    assert api.get(f"/plans/{planned.plan_id}/sheets.csv").status_code == 422  # which operator?
    assert api.get(f"/plans/{planned.plan_id}/sheets.doc?operator=x").status_code == 422


def test_routes_as_the_operator_sees_them(api, planned):
    routes = api.get(f"/plans/{planned.plan_id}/routes?operator={OPERATOR_A}").json()
    assert routes and {r["operator"] for r in routes} == {OPERATOR_A}
    line = routes[0]["lines"][0]
    assert set(line) == {
        "stop",
        "time",
        "action",
        "postcode",
        "pupil",
        "wheelchair",
        "notes",
        "school",
        "ref",
        "address",
        "contact",
        "school_phone",
    }
    assert len(line["time"].split(":")) == 2
    # the route-level fields of the sheet too: whom the assistant is for, when it runs
    assert {"pa_for", "runs", "council_contact", "twin"} <= set(routes[0])


def test_finance_report_in_three_formats(api, planned):
    csv_start = b"\xef\xbb\xbfsection,"  # UTF-8 with a BOM, so Excel reads it as UTF-8
    for fmt, magic in (("csv", csv_start), ("xlsx", b"PK"), ("html", b"<!DOCTYPE html>")):
        response = api.get(f"/plans/{planned.plan_id}/finance.{fmt}")
        assert response.status_code == 200, fmt
        assert response.content.startswith(magic), fmt


def test_unknown_plans_are_404(api):
    for path in (
        "",
        "/json",
        "/costs",
        "/validate",
        "/routes",
        "/map",
        "/sheets.pdf",
        "/finance.csv",
    ):
        assert api.get(f"/plans/999999{path}").status_code == 404, path
