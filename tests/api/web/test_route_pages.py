"""A route's own page and the pupil search, over HTTP: what each role sees, and that each read is
audited. The six-pupil plan of ``planned`` (P3 uses a wheelchair and has a passenger assistant;
P4 rides in the morning only)."""

from __future__ import annotations

import re

import pytest

from tests.api.helpers import NOTES, OPERATOR_A, PUPIL_NAMES
from tests.api.web.test_pages import PRIVATE, browser


@pytest.fixture(scope="module")
def document(api, planned) -> dict:
    return api.get(f"/plans/{planned.plan_id}/json").json()


def _route_of(document: dict, pupil_id: str, session: str) -> dict:
    return next(
        r
        for r in document["routes"]
        if r["session"] == session and any(pupil_id in s.get("pupil_ids", []) for s in r["stops"])
    )


def _operator_role(operator: str) -> str:
    return "operator_a" if operator == OPERATOR_A else "operator_b"


def test_officer_route_page_has_the_header_and_every_stop(api, planned, document):
    route = _route_of(document, "P3", "AM")
    page = browser(api, "officer").get(f"/plan/{planned.plan_id}/route/{route['route_id']}")
    assert page.status_code == 200
    text = page.text
    assert f"Route {route['route_id']}" in text
    for fact in (route["operator"], route["vehicle_id"], "Passenger assistant", "Leaves the depot"):
        assert fact in text
    assert "Cara Jones" in text and "(P3)" in text  # officers: full names and references
    assert "wheelchair" in text and "Ramp at the side door" in text
    pupils = {p for s in route["stops"] for p in s.get("pupil_ids", [])}
    assert text.count('data-label="Pupil"') == sum(
        len(s.get("pupil_ids", [])) for s in route["stops"] if s["type"] != "depot"
    )
    for pid in pupils:
        assert f"({pid})" in text
    if route.get("twin_route_id"):
        assert f'/plan/{planned.plan_id}/route/{route["twin_route_id"]}"' in text
    assert f'href="/plan/{planned.plan_id}/route/{route["route_id"]}"' in (
        browser(api, "officer").get(f"/plan/{planned.plan_id}").text
    )


def test_operator_reads_only_its_own_routes_as_its_sheets_show_them(api, planned, document):
    route = _route_of(document, "P3", "AM")
    role = _operator_role(route["operator"])
    other = "operator_b" if role == "operator_a" else "operator_a"
    mine = browser(api, role).get(f"/plan/{planned.plan_id}/route/{route['route_id']}")
    assert mine.status_code == 200
    assert "Cara J." in mine.text and "(P3)" in mine.text
    if route.get("twin_route_id"):  # the same crew's other route, the operator's own too
        assert f'/plan/{planned.plan_id}/route/{route["twin_route_id"]}"' in mine.text
    for surname in PUPIL_NAMES:
        assert not re.search(rf"\b{surname}\b", mine.text), surname
    assert "£" not in mine.text
    refused = browser(api, other).get(f"/plan/{planned.plan_id}/route/{route['route_id']}")
    assert refused.status_code == 404
    for private in PRIVATE:
        assert not re.search(rf"\b{re.escape(private)}\b", refused.text), private
    assert api.get(f"/plans/{planned.plan_id}/routes/{route['route_id']}", other).status_code == 404
    body = api.get(f"/plans/{planned.plan_id}/routes/{route['route_id']}", role).json()
    assert body["route_id"] == route["route_id"]
    assert all(line["name"] is None and line["needs"] == [] for line in body["lines"])
    assert body["distance_km"] is None


def test_finance_reads_no_route_and_searches_no_pupil(api, planned, document):
    route_id = document["routes"][0]["route_id"]
    client = browser(api, "finance")
    for path in (
        f"/plan/{planned.plan_id}/route/{route_id}",
        f"/plan/{planned.plan_id}/pupils?q=P1",
    ):
        response = client.get(path)
        assert response.status_code == 403, path
        for private in PRIVATE:
            assert not re.search(rf"\b{re.escape(private)}\b", response.text), private
    assert api.get(f"/plans/{planned.plan_id}/routes/{route_id}", "finance").status_code == 403
    assert api.get(f"/plans/{planned.plan_id}/pupils?q=P1", "finance").status_code == 403
    assert api.get(f"/plans/{planned.plan_id}/pupils?q=P1", "operator_a").status_code == 403


def test_unknown_route_is_a_404_page(api, planned):
    response = browser(api, "officer").get(f"/plan/{planned.plan_id}/route/NO-SUCH")
    assert response.status_code == 404 and "No route NO-SUCH in plan" in response.text


def test_pupil_search_answers_route_vehicle_operator_and_times(api, planned, document):
    found = api.get(f"/plans/{planned.plan_id}/pupils", params={"q": "p3"}).json()
    assert [p["pupil_id"] for p in found] == ["P3"]
    journeys = {j["session"]: j for j in found[0]["journeys"]}
    for session in ("AM", "PM"):
        route = _route_of(document, "P3", session)
        assert journeys[session]["route_id"] == route["route_id"]
        assert journeys[session]["vehicle_id"] == route["vehicle_id"]
        assert journeys[session]["operator"] == route["operator"]
        assert re.fullmatch(r"\d\d:\d\d", journeys[session]["pickup"])
        assert journeys[session]["pickup"] <= journeys[session]["set_down"]
    assert found[0]["needs"] == ["wheelchair", "passenger assistant"]
    # by a fragment of the name, any case; Dan (P4) travels in the morning only
    assert [p["pupil_id"] for p in api.get(f"/plans/{planned.plan_id}/pupils?q=SMI").json()] == [
        "P4"
    ]
    page = browser(api, "officer").get(f"/plan/{planned.plan_id}/pupils", params={"q": "dan"})
    assert page.status_code == 200
    assert "Dan Smith" in page.text and "Does not travel in the afternoon" in page.text
    am = _route_of(document, "P4", "AM")["route_id"]
    assert f'href="/plan/{planned.plan_id}/route/{am}"' in page.text
    none = browser(api, "officer").get(f"/plan/{planned.plan_id}/pupils", params={"q": "zzz"})
    assert "No pupil found" in none.text
    plan_page = browser(api, "officer").get(f"/plan/{planned.plan_id}").text
    assert f'action="/plan/{planned.plan_id}/pupils"' in plan_page


def test_pupil_search_by_postcode_and_school(api, planned):
    def ids(q: str) -> list[str]:
        response = api.get(f"/plans/{planned.plan_id}/pupils", params={"q": q})
        assert response.status_code == 200, response.text
        return [p["pupil_id"] for p in response.json()]

    # Cara (P3) lives at PO30 1CC; Ada, Ben and Finn at PO33 1AA, 2BB, 3FF
    assert ids("PO30 1CC") == ids("po301cc") == ids("po30 1") == ["P3"]
    assert ids("PO33") == ["P1", "P2", "P6"] and ids("po33 2") == ["P2"]
    assert ids("PO3") == []  # an outward code is not the start of another
    # Newport Academy (S2): Cara, Dan and Eve; by id or part of the name
    assert ids("newport") == ids("S2") == ["P3", "P4", "P5"]
    found = api.get(f"/plans/{planned.plan_id}/pupils", params={"q": "ryde prim"}).json()
    assert {p["matched"] for p in found} == {"school"} and len(found) == 3
    assert all(p["journeys"][0]["route_id"] for p in found)
    page = browser(api, "officer").get(f"/plan/{planned.plan_id}/pupils", params={"q": "PO36 8"})
    assert page.status_code == 200 and "Eve Adams" in page.text and "PO36 8EE" in page.text
    assert "found by postcode" in page.text and "1 pupil found" in page.text
    entries = api.get("/audit?limit=5").json()
    assert ("plan.search", "1 pupils found") in [(e["action"], e["detail"]) for e in entries]
    assert not any("PO36" in (e["detail"] or "") for e in entries)


def test_route_reads_and_searches_are_audited_without_the_search_text(api, planned, document):
    route_id = document["routes"][0]["route_id"]
    browser(api, "officer").get(f"/plan/{planned.plan_id}/route/{route_id}")
    browser(api, "officer").get(f"/plan/{planned.plan_id}/pupils", params={"q": "Lovelace"})
    entries = api.get("/audit?limit=20").json()
    actions = [(e["action"], e["detail"]) for e in entries]
    assert ("plan.route", f"route {route_id}") in actions
    assert ("plan.search", "1 pupils found") in actions
    assert not any("Lovelace" in (e["detail"] or "") for e in entries)


def test_operator_phone_view_shows_the_sheet_fields(api, planned, document):
    route = _route_of(document, "P1", "AM")
    role = _operator_role(route["operator"])
    page = browser(api, role).get(f"/plan/{planned.plan_id}").text
    assert 'class="data stops"' in page and 'data-label="Notes"' in page
    assert "(P1)" in page and NOTES[0] in page


def test_address_and_contact_at_the_home_stop_on_the_operators_phone_cards(api, planned, document):
    from tests.api.helpers import DATASET_FILES, publish, upload

    pupils = DATASET_FILES["pupils.csv"].decode().splitlines()
    rows = [pupils[0] + ",address,contact_name,contact_phone"]
    rows += [
        f'{line},"{n} Pier Street",Parent {n},07700 90000{n}'
        for n, line in enumerate(pupils[1:], 1)
    ]
    files = dict(DATASET_FILES, **{"pupils.csv": ("\n".join(rows) + "\n").encode()})
    dataset_id = upload(api, files, name="with contacts").json()["id"]
    stored = api.post("/plans", json={"dataset_id": dataset_id, "plan": document}).json()
    assert publish(api, stored["id"]).status_code == 200  # operators never see a draft
    route = _route_of(document, "P1", "AM")
    role = _operator_role(route["operator"])
    page = browser(api, role).get(f"/plan/{stored['id']}/route/{route['route_id']}").text
    assert "1 Pier Street" in page and "Parent 1 07700 900001" in page
    assert '<th scope="col">Contact</th>' in page
    body = api.get(f"/plans/{stored['id']}/routes/{route['route_id']}", role).json()
    home = next(line for line in body["lines"] if line["ref"] == "P1" and line["address"])
    assert home["action"] == "Pick up" and home["contact"] == "Parent 1 07700 900001"
