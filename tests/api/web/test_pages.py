"""The web pages over HTTP, without a browser: sign-in cookie, CSRF, role boundaries, escaping.

Each role gets a client of its own on the module's service (the ``api`` fixture of
``tests/api/conftest.py``), signed in through the form as a browser would be.
"""

from __future__ import annotations

import io
import re

import pytest
from fastapi.testclient import TestClient

from tests.api.helpers import (
    DATASET_FILES,
    NOTES,
    OPERATOR_A,
    OPERATOR_B,
    PUPIL_NAMES,
    upload,
    with_exceptions,
    workbook,
)

POSTCODES = ("PO33 1AA", "PO33 2BB", "PO30 1CC", "PO31 7DD", "PO36 8EE", "PO33 3FF")
FIRST_NAMES = ("Ada", "Ben", "Cara", "Dan", "Eve", "Finn")
PRIVATE = PUPIL_NAMES + NOTES + POSTCODES + FIRST_NAMES


def browser(api, role: str | None = None) -> TestClient:
    """A client with a cookie jar of its own, signed in through the form as ``role``."""
    client = TestClient(api.client.app)
    if role is not None:
        response = client.post("/login", data={"token": api.tokens[role], "next": "/"})
        assert response.status_code == 200, response.text[:300]
    return client


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([0-9a-f]{64})"', html)[1]


def files_of(files: dict[str, bytes]) -> list:
    return [("files", (n, io.BytesIO(b), "text/csv")) for n, b in files.items()]


def test_a_page_without_a_session_goes_to_sign_in(api):
    response = browser(api).get("/plan/1", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/plan/1"


def test_sign_in_sets_a_strict_httponly_cookie(api):
    client = browser(api)
    response = client.post(
        "/login", data={"token": api.tokens["officer"], "next": "/"}, follow_redirects=False
    )
    assert response.status_code == 303
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith("send_routes_token=")
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie
    assert client.get("/").status_code == 200


def test_an_unknown_token_is_refused_with_a_message(api):
    response = browser(api).post("/login", data={"token": "sr_nothing", "next": "/"})
    assert response.status_code == 401
    assert "not recognised" in response.text
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize("target", ["//elsewhere.example/", "https://elsewhere.example/", "x"])
def test_sign_in_returns_only_to_this_site(api, target):
    response = browser(api).post(
        "/login", data={"token": api.tokens["officer"], "next": target}, follow_redirects=False
    )
    assert response.headers["location"] == "/"


def test_sign_in_from_another_site_is_refused(api):
    response = browser(api).post(
        "/login",
        data={"token": api.tokens["officer"], "next": "/"},
        headers={"Origin": "http://elsewhere.example"},
    )
    assert response.status_code == 401
    assert "set-cookie" not in response.headers


def test_forms_need_the_session_csrf_token(api):
    client = browser(api, "officer")
    token = csrf_of(client.get("/upload").text)
    refused = client.post("/upload", data={"name": "x"}, files=files_of(DATASET_FILES))
    assert refused.status_code == 403 and "expired" in refused.text
    wrong = client.post(
        "/upload", data={"name": "x", "csrf_token": "0" * 64}, files=files_of(DATASET_FILES)
    )
    assert wrong.status_code == 403
    cross = client.post(
        "/upload",
        data={"name": "x", "csrf_token": token},
        files=files_of(DATASET_FILES),
        headers={"Origin": "http://elsewhere.example"},
    )
    assert cross.status_code == 403 and "another site" in cross.text
    other = browser(api, "officer")  # each sign-in is a session of its own, with its own token
    assert csrf_of(other.get("/").text) != token


def test_sign_out_needs_the_token_and_forgets_the_cookie(api):
    client = browser(api, "finance")
    assert client.post("/logout").status_code == 403
    token = csrf_of(client.get("/").text)
    response = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.headers["location"] == "/login?signed_out=true"
    assert "send_routes_token=" in response.headers["set-cookie"]
    assert client.get("/", follow_redirects=False).status_code == 303


def test_sign_out_revokes_the_session_wherever_the_cookie_was_copied(api):
    client = browser(api, "officer")
    stolen = client.cookies.get("send_routes_token")
    assert stolen and stolen != api.tokens["officer"]
    token = csrf_of(client.get("/").text)
    client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    thief = TestClient(api.client.app)
    thief.cookies.set("send_routes_token", stolen)
    assert thief.get("/me").status_code == 401
    assert thief.get("/", follow_redirects=False).status_code == 303


def test_upload_lists_every_problem_of_the_api(api):
    broken = dict(DATASET_FILES)
    broken["pupils.csv"] = DATASET_FILES["pupils.csv"].replace(b",S1,10,", b",S9,ten,")
    broken["fleet.csv"] = DATASET_FILES["fleet.csv"].replace(b",4,0,4,", b",4,0,-4,")
    expected = upload(api, broken, name="broken").json()["problems"]
    client = browser(api, "officer")
    token = csrf_of(client.get("/upload").text)
    response = client.post(
        "/upload", data={"name": "broken", "csrf_token": token}, files=files_of(broken)
    )
    assert response.status_code == 422
    page = response.text
    assert f"{len(expected)} problems in 2 files" in page
    rows = re.findall(
        r'<tr><td class="num">([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>', page
    )
    for problem in expected:
        row = str(problem["row"]) if problem["row"] is not None else "–"
        message = problem["message"].replace("'", "&#39;")
        assert (row, problem["column"] or "–", message) in rows, problem


def test_upload_one_workbook_opens_its_dataset(api):
    client = browser(api, "officer")
    token = csrf_of(client.get("/upload").text)
    parts = [("files", ("council.xlsx", io.BytesIO(workbook()), "application/octet-stream"))]
    response = client.post(
        "/upload", data={"name": "", "csrf_token": token}, files=parts, follow_redirects=False
    )
    assert response.status_code == 303
    page = client.get(response.headers["location"]).text
    assert "Dataset uploaded" in page and "<h1>council</h1>" in page


def test_page_text_is_escaped_and_pages_carry_a_strict_policy(api):
    client = browser(api, "officer")
    token = csrf_of(client.get("/upload").text)
    response = client.post(
        "/upload",
        data={"name": "<script>alert(1)</script>", "csrf_token": token},
        files=files_of(DATASET_FILES),
    )
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "'unsafe-inline'" not in policy
    assert response.headers["cache-control"] == "no-store"
    assert "<script>" not in re.sub(
        r'<script src="/assets/web.js" defer></script>', "", response.text
    )


def test_plan_options_are_checked_by_the_api_schema(api, planned):
    client = browser(api, "officer")
    token = csrf_of(client.get(f"/dataset/{planned.dataset_id}").text)
    response = client.post(
        f"/dataset/{planned.dataset_id}/plan",
        data={"time_limit_s": "soon", "ride_time_weight_per_min": "-1", "csrf_token": token},
    )
    assert response.status_code == 422
    assert "Search time: input should be a valid number" in response.text
    assert "Money against ride time: input should be greater than or equal to 0" in response.text


@pytest.mark.parametrize(
    ("role", "path", "status"),
    [
        ("finance", "/upload", 403),
        ("finance", "/plans/{p}/map", 403),
        ("operator_a", "/dataset/{d}", 403),
        ("operator_a", "/job/{j}", 403),
        ("operator_a", "/compare", 403),
        ("operator_x", "/plan/{p}", 404),
        ("officer", "/plan/999999", 404),
        ("officer", "/plan/nothing", 422),
    ],
)
def test_refusals_are_pages(api, planned, role, path, status):
    path = path.format(d=planned.dataset_id, p=planned.plan_id, j=planned.job_id)
    response = browser(api, role).get(path)
    assert response.status_code == status
    if not path.startswith("/plans/"):  # a page, not the JSON API
        assert response.headers["content-type"].startswith("text/html")
        assert "<h1>" in response.text
        for private in PRIVATE:
            assert not re.search(rf"\b{re.escape(private)}\b", response.text), private


def pages(planned) -> list[str]:
    p, d, j = planned.plan_id, planned.dataset_id, planned.job_id
    return ["/", f"/dataset/{d}", f"/job/{j}", f"/plan/{p}", f"/compare?a={p}&b={p}"]


def test_finance_pages_name_no_pupil(api, planned):
    client = browser(api, "finance")
    for path in pages(planned):
        response = client.get(path)
        assert response.status_code == 200, path
        for private in PRIVATE:
            assert not re.search(rf"\b{re.escape(private)}\b", response.text), (private, path)
    plan_page = client.get(f"/plan/{planned.plan_id}").text
    assert "Cost per day" in plan_page and "/finance.xlsx" in plan_page
    assert "/map" not in plan_page and "/sheets." not in plan_page and "/json" not in plan_page


def test_officer_plan_page_has_everything(api, planned):
    page = browser(api, "officer").get(f"/plan/{planned.plan_id}").text
    assert f'src="/plans/{planned.plan_id}/map"' in page
    first = api.get(f"/plans/{planned.plan_id}").json()["operators"][0]
    for link in (
        "/json",
        "/finance.xlsx",
        f"/sheets.pdf?operator={first.replace(' ', '%20')}",
    ):
        assert link in page
    document = api.get(f"/plans/{planned.plan_id}/json").json()
    for route in document["routes"]:
        assert f">{route['route_id']}</a></td>" in page


def test_operator_sees_only_its_own_routes(api, planned):
    # whichever operator the optimiser gave routes to; the other one must not show
    operators = api.get(f"/plans/{planned.plan_id}").json()["operators"]
    role, own_name, other = (
        ("operator_a", OPERATOR_A, OPERATOR_B)
        if OPERATOR_A in operators
        else ("operator_b", OPERATOR_B, OPERATOR_A)
    )
    client = browser(api, role)
    home = client.get("/").text
    assert f"/plan/{planned.plan_id}" in home
    page = client.get(f"/plan/{planned.plan_id}").text
    own = {r["route_id"] for r in api.get(f"/plans/{planned.plan_id}/routes", role).json()}
    others = {
        r["route_id"]
        for r in api.get(f"/plans/{planned.plan_id}/json").json()["routes"]
        if r["operator"] != own_name
    }
    assert own
    for route_id in own:
        assert route_id in page
    for route_id in others - own:
        assert f">{route_id}<" not in page
    assert other not in page and "£" not in page
    for surname in PUPIL_NAMES:
        assert surname not in page
    assert f'href="/plans/{planned.plan_id}/sheets.csv"' in page
    assert "/map" not in page and "finance." not in page
    absent = browser(api, "operator_x")  # an operator with no route here does not see the plan
    assert f"/plan/{planned.plan_id}" not in absent.get("/").text


@pytest.fixture(scope="module")
def exceptions_plan(api, planned) -> int:
    """The id of a copy of ``planned`` with exactly two exceptions made by hand
    (``with_exceptions``): Eve's afternoon journey left out and one ride far too long."""
    document = with_exceptions(api.get(f"/plans/{planned.plan_id}/json").json())
    body = {"dataset_id": planned.dataset_id, "label": "with exceptions", "plan": document}
    response = api.post("/plans", json=body)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_unplaced_and_long_journeys_are_named_for_officers_only(api, exceptions_plan):
    page = browser(api, "officer").get(f"/plan/{exceptions_plan}").text
    assert "<td>P5</td><td>Eve Adams</td><td>PM</td><td>no vehicle can reach in time</td>" in page
    over = page[page.index('id="over-heading"') : page.index('id="unplaced-heading"')]
    assert "<tbody>" in over and "None: every journey" not in over
    finance = browser(api, "finance").get(f"/plan/{exceptions_plan}").text
    assert "Journeys not placed" in finance and "no vehicle can reach" not in finance
    for private in ("P5", "Eve", "Adams"):
        assert not re.search(rf"\b{private}\b", finance), private


def test_the_cost_of_journeys_not_placed_is_added_to_a_total(api, planned, exceptions_plan):
    """A plan that leaves a journey out does not understate the budget: the journey is priced as
    the finance report prices it (carried alone in the cheapest vehicle that could) and added."""
    costs = api.get(f"/plans/{exceptions_plan}/costs", "finance").json()
    assert costs["unplaced_journeys"] == 1 and costs["unplaced_cost_per_day_gbp"] > 0
    including = costs["cost_including_unplaced_per_day_gbp"]
    assert including == pytest.approx(
        costs["cost_per_day_gbp"] + costs["unplaced_cost_per_day_gbp"], abs=0.005
    )
    report = api.get(f"/plans/{exceptions_plan}/finance.html").text
    shown = f"£{including:,.2f}"
    assert shown in report  # the same total as the finance report's
    for role in ("finance", "officer"):
        page = browser(api, role).get(f"/plan/{exceptions_plan}").text
        assert "Cost per day including journeys not placed" in page and shown in page, role
    plain = api.get(f"/plans/{planned.plan_id}/costs").json()
    assert plain["unplaced_journeys"] == 0 and plain["unplaced_cost_per_day_gbp"] == 0
    page = browser(api, "finance").get(f"/plan/{planned.plan_id}").text
    assert "including journeys not placed" not in page


def test_the_json_api_keeps_its_paths(api, planned):
    assert api.get(f"/datasets/{planned.dataset_id}").json()["id"] == planned.dataset_id
    assert api.get(f"/plans/{planned.plan_id}").json()["id"] == planned.plan_id
    assert "/" not in api.client.get("/openapi.json").json()["paths"]
    assert api.client.get("/assets/web.css").status_code == 200


def test_the_plan_figures_say_what_the_same_crew_both_ways_costs():
    """A plan made in turns records the same run's sessions planned alone; the page shows their
    share and the difference in cost beside the plan's own share."""
    from api.web.views import summary_figures

    summary = {
        "both_ways": 200,
        "same_vehicle_both_ways": 140,
        "same_operator_both_ways": 160,
        "cost_per_day": 1030.5,
        "planned_alone": {"cost_per_day": 1000.0, "same_vehicle_both_ways": 62},
    }
    figure = next(f for f in summary_figures(summary, None) if f.label == "Same vehicle both ways")
    assert figure.value == "70% of pupils"
    assert (
        "31% with each session planned alone in the first search, £30.50 a day more (+3.0%)"
        in figure.note
    )
    del summary["planned_alone"]
    figure = next(f for f in summary_figures(summary, None) if f.label == "Same vehicle both ways")
    assert figure.note == "same operator 80%"
