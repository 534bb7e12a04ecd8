"""The current-routes forms of the dataset page, and the plan page against current routes:
upload and score, every problem of a bad file, CSRF, roles, and a re-plan to its plan page."""

from __future__ import annotations

import io
import re

import pytest

from tests.api.helpers import upload, wait_for
from tests.api.test_current_routes import BAD_CSV, CURRENT_CSV
from tests.api.web.test_pages import browser, csrf_of


def routes_file(content: bytes = CURRENT_CSV, name: str = "routes.csv") -> list:
    return [("file", (name, io.BytesIO(content), "text/csv"))]


@pytest.fixture(scope="module")
def dataset_id(api) -> int:
    return upload(api, name="current routes pages").json()["id"]


@pytest.fixture(scope="module")
def officer(api):
    return browser(api, "officer")


def _post(client, dataset_id: int, content: bytes = CURRENT_CSV, name: str = "routes.csv"):
    token = csrf_of(client.get(f"/dataset/{dataset_id}").text)
    return client.post(
        f"/dataset/{dataset_id}/current-routes",
        data={"label": "spring term", "csrf_token": token},
        files=routes_file(content, name),
        follow_redirects=False,
    )


def test_the_dataset_page_offers_officers_the_forms_and_nobody_else(api, dataset_id, officer):
    page = officer.get(f"/dataset/{dataset_id}").text
    assert f'action="/dataset/{dataset_id}/current-routes"' in page
    assert "Upload current routes first." in page  # nothing to re-plan from yet
    finance = browser(api, "finance").get(f"/dataset/{dataset_id}").text
    assert "current-routes" not in finance and "replan" not in finance


def test_uploaded_current_routes_open_their_plan_page_with_the_score(dataset_id, officer):
    response = _post(officer, dataset_id)
    assert response.status_code == 303
    plan_page = officer.get(response.headers["location"]).text
    assert "Current routes, as the validator scores them" in plan_page
    assert re.search(r"<td>solo</td><td class=\"num\">\d+</td>", plan_page)
    assert "spring term" in plan_page and "at the agreed prices" in plan_page
    page = officer.get(f"/dataset/{dataset_id}").text
    assert f'action="/dataset/{dataset_id}/replan"' in page and "(current routes)" in page


def test_a_bad_routes_file_lists_every_problem_and_stores_nothing(api, dataset_id, officer):
    before = len(api.get(f"/plans?dataset_id={dataset_id}").json())
    response = _post(officer, dataset_id, BAD_CSV, "bad_routes.csv")
    assert response.status_code == 422
    page = response.text
    assert "Nothing was stored: " in page and "bad_routes.csv" in page
    rows = re.findall(r'<tr><td class="num">([^<]*)</td><td>([^<]*)</td><td>[^<]*</td></tr>', page)
    assert {("3", "pupil_id"), ("4", "session"), ("5", "vehicle_type")} <= set(rows)
    assert len(api.get(f"/plans?dataset_id={dataset_id}").json()) == before


def test_the_forms_need_the_csrf_token_and_an_officer(api, dataset_id, officer):
    refused = officer.post(f"/dataset/{dataset_id}/current-routes", files=routes_file())
    assert refused.status_code == 403
    replan = officer.post(f"/dataset/{dataset_id}/replan", data={"current_plan_id": "1"})
    assert replan.status_code == 403
    finance = browser(api, "finance")
    token = csrf_of(finance.get("/").text)
    denied = finance.post(
        f"/dataset/{dataset_id}/current-routes",
        data={"csrf_token": token},
        files=routes_file(),
    )
    assert denied.status_code == 403


def test_a_replan_from_the_form_shows_against_current_routes(api, dataset_id, officer):
    current = _post(officer, dataset_id)
    current_id = int(current.headers["location"].rsplit("/", 1)[1])
    token = csrf_of(officer.get(f"/dataset/{dataset_id}").text)
    bad = officer.post(
        f"/dataset/{dataset_id}/replan",
        data={
            "current_plan_id": str(current_id),
            "price_per_change_gbp": "-2",
            "csrf_token": token,
        },
    )
    assert bad.status_code == 422
    assert "Price per change: input should be greater than or equal to 0" in bad.text
    unknown = officer.post(
        f"/dataset/{dataset_id}/replan",
        data={"current_plan_id": str(current_id), "locks": "P1, P77", "csrf_token": token},
    )
    assert unknown.status_code == 422 and "P77" in unknown.text
    started = officer.post(
        f"/dataset/{dataset_id}/replan",
        data={
            "current_plan_id": str(current_id),
            "locks": "P1 P2",
            "price_per_change_gbp": "5",
            "time_limit_s": "3",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert started.status_code == 303 and started.headers["location"].startswith("/job/")
    job = wait_for(api, int(started.headers["location"].rsplit("/", 1)[1]))
    assert job["status"] == "succeeded", job
    page = officer.get(f"/plan/{job['plan_id']}").text
    assert "Against current routes" in page and f'href="/plan/{current_id}"' in page
    assert f'href="/plans/{job["plan_id"]}/changes.csv"' in page
    assert "Current routes per day" in page and "Difference per day" in page
    assert re.search(r"\d+ pupils? see a change \(\d+ journeys?: [a-z ]+ \d+", page)
    assert "Price per change: £5.00 a day" in page
    finance_page = browser(api, "finance").get(f"/plan/{job['plan_id']}").text
    assert "Against current routes" in finance_page and "changes.csv" not in finance_page


def test_the_compare_page_counts_pupils_affected(api, dataset_id, officer):
    listed = api.get(f"/plans?dataset_id={dataset_id}").json()
    a, b = listed[0]["id"], listed[-1]["id"]
    page = officer.get(f"/compare?a={a}&b={b}").text
    assert re.search(r"\d+ of 6 pupils see a change", page)
    assert f"/plans/compare/changes.csv?a={a}&amp;b={b}" in page
    finance = browser(api, "finance").get(f"/compare?a={a}&b={b}").text
    assert re.search(r"\d+ of 6 pupils see a change", finance)
    assert "changes.csv" not in finance
