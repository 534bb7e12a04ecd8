"""Role boundaries, endpoint by endpoint: who gets what, and that a refusal carries no data.

Officers may do everything; finance reads costs, counts and aggregates; an operator reads only
its own routes and sheets. ``operator_x`` is an operator with no route in the plan.
"""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from fastapi.testclient import TestClient

from api.services.plans import today
from tests.api.helpers import NOTES, OPERATOR_A, OPERATOR_B, PUPIL_NAMES, upload, wait_for

ROLES = ("officer", "finance", "operator_a", "operator_x")
POSTCODES = ("PO33 1AA", "PO33 2BB", "PO30 1CC", "PO31 7DD", "PO36 8EE", "PO33 3FF")
FIRST_NAMES = ("Ada", "Ben", "Cara", "Dan", "Eve", "Finn")
OK, DENIED, HIDDEN = 200, 403, 404

# (method, path, body, {role: status}); {d} dataset, {p} plan, {j} job.
ENDPOINTS = [
    ("GET", "/me", None, dict.fromkeys(ROLES, OK)),
    ("GET", "/datasets", None, {"officer": OK, "finance": OK}),
    ("POST", "/datasets", None, {"officer": 422}),
    ("GET", "/datasets/{d}", None, {"officer": OK, "finance": OK}),
    ("GET", "/datasets/{d}/pupils", None, {"officer": OK}),
    ("GET", "/datasets/{d}/files/pupils.csv", None, {"officer": OK}),
    ("DELETE", "/datasets/{d}", None, {"officer": 409}),
    ("POST", "/datasets/{d}/plans", {"solution_limit": 0}, {"officer": 422}),
    ("POST", "/datasets/{d}/validate", "plan", {"officer": OK}),
    ("GET", "/jobs", None, {"officer": OK, "finance": OK}),
    ("GET", "/jobs/{j}", None, {"officer": OK, "finance": OK}),
    ("POST", "/jobs/{j}/cancel", None, {"officer": 409}),
    ("POST", "/jobs/{j}/rerun", None, {"officer": 409}),
    ("GET", "/plans", None, dict.fromkeys(ROLES, OK)),
    ("POST", "/plans", "upload", {"officer": 201}),
    ("GET", "/plans/{p}", None, {"officer": OK, "finance": OK, "operator_a": OK}),
    ("POST", "/plans/{p}/publish", "publish", {"officer": 409}),  # published already
    ("GET", "/plans/{p}/json", None, {"officer": OK}),
    ("GET", "/plans/{p}/costs", None, {"officer": OK, "finance": OK}),
    ("GET", "/plans/{p}/validate", None, {"officer": OK}),
    ("GET", "/plans/{p}/routes?operator=" + OPERATOR_A, None, {"officer": OK, "operator_a": OK}),
    ("GET", "/plans/{p}/routes?operator=" + OPERATOR_B, None, {"officer": OK}),
    ("GET", "/plans/{p}/routes", None, {"officer": 422, "operator_a": OK}),
    ("GET", "/plans/{p}/sheets.csv", None, {"officer": 422, "operator_a": OK}),
    ("GET", "/plans/{p}/sheets.pdf", None, {"officer": 422, "operator_a": OK}),
    ("GET", "/plans/{p}/sheets.csv?operator=" + OPERATOR_B, None, {"officer": OK}),
    ("GET", "/plans/{p}/finance.csv", None, {"officer": OK, "finance": OK}),
    ("GET", "/plans/{p}/finance.html", None, {"officer": OK, "finance": OK}),
    ("GET", "/plans/{p}/finance.xlsx", None, {"officer": OK, "finance": OK}),
    ("GET", "/plans/{p}/map", None, {"officer": OK}),
    ("GET", "/plans/compare?a={p}&b={p}", None, {"officer": OK, "finance": OK}),
    ("GET", "/audit", None, {"officer": OK}),
    ("POST", "/datasets/{d}/current-routes", None, {"officer": 422}),
    ("POST", "/datasets/{d}/replan", {"current_plan_id": 0}, {"officer": 422}),
    ("GET", "/plans/{p}/changes.csv", None, {"officer": 404}),
    ("GET", "/plans/{p}/notices.pdf?effective=2026-02-23", None, {"officer": 404}),
    ("GET", "/plans/compare/changes.csv?a={p}&b={p}", None, {"officer": OK}),
]
# Operators may not know a plan without their routes exists; other refusals are 403.
HIDDEN_FROM_OPERATOR_X = {
    "/plans/{p}",
    "/plans/{p}/routes",
    "/plans/{p}/sheets.csv",
    "/plans/{p}/sheets.pdf",
}


def _expected(path: str, role: str, allowed: dict[str, int]) -> int:
    if role in allowed:
        return allowed[role]
    if role == "operator_x" and path.split("?")[0] in HIDDEN_FROM_OPERATOR_X:
        return HIDDEN
    if role == "operator_a" and path.endswith("operator=" + OPERATOR_B) and "{p}/" in path:
        return DENIED
    return DENIED


def _text(response) -> str:
    if response.content.startswith(b"PK"):  # a workbook: read every XML part
        with zipfile.ZipFile(io.BytesIO(response.content)) as book:
            parts = [n for n in book.namelist() if "sharedStrings" in n or "worksheets/" in n]
            return " ".join(book.read(n).decode("utf-8", "replace") for n in parts)
    if response.content.startswith(b"%PDF"):
        return ""  # PDF text is compressed; the CSV of the same sheets is checked instead
    return response.text


def _call(api, who, method, path, body, planned, client=None):
    path = path.format(d=planned.dataset_id, p=planned.plan_id, j=planned.job_id)
    kwargs = {}
    if body == "plan":
        kwargs["json"] = api.get(f"/plans/{planned.plan_id}/json").json()
    elif body == "publish":
        kwargs["json"] = {"effective_from": today().isoformat()}
    elif body == "upload":
        kwargs["json"] = {"dataset_id": planned.dataset_id, "plan": {"routes": []}}
    elif body is not None:
        kwargs["json"] = body
    headers = api.headers(who) if who else {}
    return (client or api.client).request(method, path, headers=headers, **kwargs)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "body", "allowed"), ENDPOINTS, ids=lambda v: str(v))
def test_role_boundary(api, planned, role, method, path, body, allowed):
    response = _call(api, role, method, path, body, planned)
    expected = _expected(path, role, allowed)
    assert response.status_code == expected, response.text[:300]
    text = _text(response)
    if expected >= 400:  # a refusal says why and shows nothing else
        assert set(response.json()) == {"detail", "problems"} or role == "officer"
    if expected >= 400 or role == "finance":
        for private in PUPIL_NAMES + NOTES + POSTCODES + FIRST_NAMES:
            assert not re.search(rf"\b{re.escape(private)}\b", text), (
                f"{private!r} leaked to {role}"
            )
    if role == "operator_a" and expected == OK and "/plans/" in path:
        assert OPERATOR_B not in text
        for surname in PUPIL_NAMES:
            assert surname not in text


@pytest.mark.parametrize(("method", "path", "body", "allowed"), ENDPOINTS, ids=lambda v: str(v))
def test_every_endpoint_needs_a_valid_token(api, planned, method, path, body, allowed):
    assert _call(api, None, method, path, body, planned).status_code == 401
    api.tokens["forged"] = "sr_not-a-real-token"
    # from an address of its own: unknown tokens are limited per address (tests/api/security)
    n = ENDPOINTS.index((method, path, body, allowed))
    client = TestClient(api.client.app, client=(f"198.51.100.{n + 1}", 50000))
    response = _call(api, "forged", method, path, body, planned, client)
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"


def test_an_operator_sees_only_its_own_pupils(api, planned):
    plan = api.get(f"/plans/{planned.plan_id}/json").json()
    pupils = api.get(f"/datasets/{planned.dataset_id}/pupils").json()
    initials = {
        p["pupil_id"]: f"{p['name'].split()[0]} {p['name'].split()[-1][0]}." for p in pupils
    }
    own = {
        pid
        for r in plan["routes"]
        if r["operator"] == OPERATOR_A
        for s in r["stops"]
        for pid in s.get("pupil_ids", [])
    }
    others = set(initials) - own
    for path in ("/routes", "/sheets.csv"):
        text = api.get(f"/plans/{planned.plan_id}{path}", "operator_a").text
        assert all(initials[pid] in text for pid in own)
        assert not any(initials[pid] in text for pid in others), path
    listed = api.get("/plans", "operator_x").json()
    assert planned.plan_id not in [p["id"] for p in listed]


def test_a_signed_in_session_cookie_authenticates_a_page(api):
    response = api.client.post("/login", data={"token": api.tokens["finance"], "next": "/"})
    assert response.status_code == 200
    try:
        assert api.client.get("/me").json()["role"] == "finance"
        assert api.client.get("/audit").status_code == 403
        # the cookie holds a session, never the token itself: a bare token there is refused
        api.client.cookies.set("send_routes_token", api.tokens["finance"])
        assert api.client.get("/me").status_code == 401
    finally:
        api.client.cookies.clear()


def test_refusals_and_personal_data_reads_are_audited(api, planned):
    api.get(f"/datasets/{planned.dataset_id}/pupils", "finance")
    api.get(f"/plans/{planned.plan_id}/map", "officer")
    upload(api, name="audited")
    entries = api.get("/audit?limit=1000").json()
    denied = [e for e in entries if e["outcome"] == "denied" and e["role"] == "finance"]
    assert any(e["target"] == f"/datasets/{planned.dataset_id}/pupils" for e in denied)
    done = {(e["action"], e["user_name"]) for e in entries if e["outcome"] == "ok"}
    assert ("plan.map", "test officer") in done and ("dataset.upload", "test officer") in done
    assert all(e["at"].endswith("Z") or "+00:00" in e["at"] for e in entries)
    since = api.get(f"/audit?before_id={entries[0]['id']}&limit=2").json()
    assert [e["id"] for e in since] == [entries[1]["id"], entries[2]["id"]]


def test_a_job_error_is_for_officers_only(api, planned):
    from sqlalchemy import update

    from api.db import Job, transaction

    dataset_id = upload(api, name="failing").json()["id"]
    job_id = api.post(f"/datasets/{dataset_id}/plans", json={"solution_limit": 1}).json()["id"]
    wait_for(api, job_id)
    with transaction(api.client.app.state.service.sessions) as db:
        db.execute(
            update(Job).where(Job.id == job_id).values(status="failed", error="Ada Lovelace ...")
        )
    assert api.get(f"/jobs/{job_id}").json()["error"] == "Ada Lovelace ..."
    seen = api.get(f"/jobs/{job_id}", "finance").json()["error"]
    assert seen and "Lovelace" not in seen
    assert "Lovelace" not in api.get("/jobs", "finance").text
