"""Publishing plans: a plan is a draft until an officer publishes it; operators never see a draft
(through the API or the pages, answered as a plan that does not exist, and audited); publishing a
later plan of the same dataset supersedes the earlier one, which operators still read, marked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.csrf import csrf_token
from api.services.plans import today
from tests.api.helpers import (
    OPERATOR_A,
    OPERATOR_B,
    QUICK_PLAN,
    publish,
    upload,
    wait_for,
    with_exceptions,
)

EVIL = {"Origin": "https://evil.example"}


@dataclass(frozen=True)
class Base:
    """A dataset, its optimiser plan (left a draft) and the operator role with routes in it."""

    dataset_id: int
    plan_id: int
    operator: str  # the role key of an operator with routes in the plan
    document: dict


@pytest.fixture(scope="module")
def base(api) -> Base:
    dataset_id = upload(api, name="publish").json()["id"]
    job = wait_for(api, api.post(f"/datasets/{dataset_id}/plans", json=QUICK_PLAN).json()["id"])
    assert job["status"] == "succeeded", job
    plan_id = job["plan_id"]
    operators = api.get(f"/plans/{plan_id}").json()["operators"]
    role = "operator_a" if OPERATOR_A in operators else "operator_b"
    assert (OPERATOR_A if role == "operator_a" else OPERATOR_B) in operators
    document = api.get(f"/plans/{plan_id}/json").json()
    return Base(dataset_id, plan_id, role, document)


def copy_of(api, base: Base, label: str, document: dict | None = None, dataset_id=None) -> int:
    """A new draft: the base plan (or ``document``) uploaded again under ``label``."""
    body = {
        "dataset_id": dataset_id or base.dataset_id,
        "label": label,
        "plan": document or base.document,
    }
    response = api.post("/plans", json=body)
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "draft"
    return response.json()["id"]


def browser(api, role: str) -> TestClient:
    client = TestClient(api.client.app)
    assert client.post("/login", data={"token": api.tokens[role], "next": "/"}).status_code == 200
    return client


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([0-9a-f]{64})"', html)[1]


def _audit_since(api, before: int) -> list[dict]:
    return [e for e in api.get("/audit", params={"limit": 1000}).json() if e["id"] > before]


def _last_audit_id(api) -> int:
    return api.get("/audit", params={"limit": 1}).json()[0]["id"]


OPERATOR_READS = ("", "/routes", "/sheets.csv", "/sheets.pdf")


def test_a_new_plan_is_a_draft_operators_cannot_find_or_read(api, base):
    plan = api.get(f"/plans/{base.plan_id}").json()
    assert plan["status"] == "draft" and plan["effective_from"] is None
    assert plan["published_by"] is None and plan["superseded_by"] is None
    before = _last_audit_id(api)
    listed = api.get("/plans", base.operator).json()
    assert base.plan_id not in [p["id"] for p in listed]
    for path in OPERATOR_READS:
        draft = api.get(f"/plans/{base.plan_id}{path}", base.operator)
        absent = api.get(f"/plans/999999{path}", base.operator)
        assert draft.status_code == absent.status_code == 404, (path, draft.text)
        # the same answer as a plan that does not exist: only the id differs
        assert draft.json()["detail"].replace(str(base.plan_id), "N") == absent.json()[
            "detail"
        ].replace("999999", "N")
    refused = [e for e in _audit_since(api, before) if e["outcome"] == "not found"]
    targets = {e["target"] for e in refused if e["user_name"] == f"test {base.operator}"}
    assert {f"/plans/{base.plan_id}{path}" for path in OPERATOR_READS} <= targets


def test_operators_pages_show_no_draft(api, base):
    client = browser(api, base.operator)
    assert f"/plan/{base.plan_id}" not in client.get("/").text
    before = _last_audit_id(api)
    page = client.get(f"/plan/{base.plan_id}")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "Your routes" not in page.text
    refused = _audit_since(api, before)
    assert any(
        e["target"] == f"/plan/{base.plan_id}" and e["outcome"] == "not found" for e in refused
    )


def test_finance_sees_drafts_to_compare_them(api, base):
    assert api.get(f"/plans/{base.plan_id}", "finance").json()["status"] == "draft"
    assert base.plan_id in [p["id"] for p in api.get("/plans", "finance").json()]
    page = browser(api, "finance").get(f"/plan/{base.plan_id}").text
    assert "Draft" in page and "Operators cannot see this plan" in page
    assert "/publish" not in page  # no form: only officers publish


@pytest.mark.parametrize("role", ["finance", "operator_a", "operator_b", "operator_x"])
def test_only_officers_publish(api, base, role):
    draft = copy_of(api, base, f"refused {role}")
    before = _last_audit_id(api)
    assert publish(api, draft, who=role).status_code == 403
    assert api.get(f"/plans/{draft}").json()["status"] == "draft"
    denied = [e for e in _audit_since(api, before) if e["outcome"] == "denied"]
    assert [e["target"] for e in denied] == [f"/plans/{draft}/publish"]


def test_publishing_shows_a_plan_to_its_operators_and_is_audited(api, base):
    draft = copy_of(api, base, "to publish")
    before = _last_audit_id(api)
    response = publish(api, draft, days_ahead=3)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["effective_from"] == (today() + timedelta(days=3)).isoformat()
    assert body["published_by"] == "test officer"
    assert body["status"] == "published" and body["published_at"]
    assert base.plan_id not in [p["id"] for p in api.get("/plans", base.operator).json()]
    assert draft in [p["id"] for p in api.get("/plans", base.operator).json()]
    seen = api.get(f"/plans/{draft}", base.operator).json()
    assert seen["status"] == "published" and seen["published_by"] is None
    for path in OPERATOR_READS[1:]:
        assert api.get(f"/plans/{draft}{path}", base.operator).status_code == 200, path
    sheets = api.get(f"/plans/{draft}/sheets.csv", base.operator)
    stem = "Island_Taxis" if base.operator == "operator_a" else "Wight_Cars"
    assert f'filename="plan{draft}-{stem}-sheets.csv"' in sheets.headers["content-disposition"]
    entries = _audit_since(api, before)
    published = [e for e in entries if e["action"] == "plan.publish"]
    assert len(published) == 1 and published[0]["target"] == f"plan/{draft}"
    assert published[0]["user_name"] == "test officer"
    assert published[0]["detail"].startswith(f"effective from {body['effective_from']}")
    assert publish(api, draft).status_code == 409  # already published


def test_a_later_plan_supersedes_the_published_one_which_stays_readable(api, base):
    first = copy_of(api, base, "first")
    assert publish(api, first, days_ahead=1).status_code == 200
    second = copy_of(api, base, "second")
    before = _last_audit_id(api)
    assert publish(api, second, days_ahead=10).status_code == 200
    old = api.get(f"/plans/{first}").json()
    when = api.get(f"/plans/{second}").json()["effective_from"]
    assert (old["status"], old["superseded_by"], old["superseded_on"]) == (
        "superseded",
        second,
        when,
    )
    published = [
        p["id"]
        for p in api.get("/plans", params={"dataset_id": base.dataset_id}).json()
        if p["status"] == "published"
    ]
    assert published == [second]  # one published plan per dataset
    superseded = [e for e in _audit_since(api, before) if e["action"] == "plan.supersede"]
    assert [(e["target"], e["detail"]) for e in superseded] == [
        (f"plan/{first}", f"by plan/{second} from {when}")
    ]
    # operators still read it, marked superseded, in JSON, file names and the page
    seen = api.get(f"/plans/{first}", base.operator).json()
    assert seen["status"] == "superseded" and seen["superseded_by"] == second
    assert first in [p["id"] for p in api.get("/plans", base.operator).json()]
    sheets = api.get(f"/plans/{first}/sheets.csv", base.operator)
    assert sheets.status_code == 200
    stem = "Island_Taxis" if base.operator == "operator_a" else "Wight_Cars"
    assert f"plan{first}-superseded-{stem}-sheets.csv" in sheets.headers["content-disposition"]
    assert api.get(f"/plans/{first}/sheets.pdf", base.operator).status_code == 200
    page = browser(api, base.operator).get(f"/plan/{first}").text
    day = date.fromisoformat(when)
    assert f"Superseded on {day.day} {day:%b %Y} by" in page
    assert f'<a href="/plan/{second}">plan {second}</a>' in page
    assert publish(api, first).status_code == 409  # a superseded plan is not published again


def test_a_plan_that_breaks_a_rule_or_a_past_date_is_refused(api, base):
    broken = copy_of(api, base, "broken", document=with_exceptions(base.document))
    response = publish(api, broken, days_ahead=1)
    assert response.status_code == 409 and "breaks the dataset's rules" in response.json()["detail"]
    draft = copy_of(api, base, "dated")
    past = publish(api, draft, days_ahead=-1)
    assert past.status_code == 422 and "in the past" in past.json()["detail"]
    bad = api.post(f"/plans/{draft}/publish", json={"effective_from": "next monday"})
    assert bad.status_code == 422
    assert api.post(f"/plans/{draft}/publish", json={}).status_code == 422
    for plan_id in (broken, draft):
        assert api.get(f"/plans/{plan_id}").json()["status"] == "draft"
    assert publish(api, 999999).status_code == 404


def test_a_replan_on_new_data_supersedes_a_named_plan_of_another_dataset(api, base):
    old = copy_of(api, base, "last term")
    assert publish(api, old).status_code == 200
    draft = copy_of(api, base, "still a draft")
    new_data = upload(api, name="new term").json()["id"]
    replan = copy_of(api, base, "this term", dataset_id=new_data)
    refused = publish(api, replan, supersedes=[draft])
    assert refused.status_code == 409 and "not a published plan" in refused.json()["detail"]
    assert publish(api, replan, days_ahead=2, supersedes=[old]).status_code == 200
    assert api.get(f"/plans/{old}").json()["superseded_by"] == replan
    assert api.get(f"/plans/{draft}").json()["status"] == "draft"


def test_the_officer_publishes_from_the_plan_page(api, base):
    draft = copy_of(api, base, "from the page")
    client = browser(api, "officer")
    page = client.get(f"/plan/{draft}").text
    assert f'action="/plan/{draft}/publish"' in page and 'type="date"' in page
    token = csrf_of(page)
    when = today().isoformat()
    response = client.post(
        f"/plan/{draft}/publish",
        data={"effective_from": when, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    shown = client.get(response.headers["location"]).text
    assert "Plan published" in shown and "In effect from" in shown
    assert api.get(f"/plans/{draft}").json()["status"] == "published"
    again = client.post(
        f"/plan/{draft}/publish", data={"effective_from": when, "csrf_token": token}
    )
    assert again.status_code == 409 and "only a draft can be published" in again.text
    bad = copy_of(api, base, "bad date from the page")
    refused = client.post(
        f"/plan/{bad}/publish", data={"effective_from": "soon", "csrf_token": token}
    )
    assert refused.status_code == 422 and "not a valid date" in refused.text


def test_the_publish_form_and_json_endpoint_need_origin_and_csrf_token(api, base):
    draft = copy_of(api, base, "csrf")
    client = browser(api, "officer")
    token = csrf_of(client.get(f"/plan/{draft}").text)
    form = {"effective_from": today().isoformat()}
    assert client.post(f"/plan/{draft}/publish", data=form).status_code == 403
    assert (
        client.post(f"/plan/{draft}/publish", data={**form, "csrf_token": "0" * 64}).status_code
        == 403
    )
    cross = client.post(f"/plan/{draft}/publish", data={**form, "csrf_token": token}, headers=EVIL)
    assert cross.status_code == 403
    # the JSON endpoint on the session cookie
    secret = client.cookies.get("send_routes_token")
    assert client.post(f"/plans/{draft}/publish", json=form).status_code == 403
    good = {"X-CSRF-Token": csrf_token(secret), "Origin": "http://testserver"}
    assert (
        client.post(f"/plans/{draft}/publish", json=form, headers={**good, **EVIL}).status_code
        == 403
    )
    assert api.get(f"/plans/{draft}").json()["status"] == "draft"
    assert client.post(f"/plans/{draft}/publish", json=form, headers=good).status_code == 200


def test_existing_plans_become_drafts_when_the_database_is_upgraded(database_url):
    from alembic import command

    from api.db import make_engine
    from api.migrations import alembic_config, upgrade

    engine = make_engine(database_url)
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0004")
    with engine.begin() as connection:
        connection.execute(
            text(
                "insert into datasets (id, name, source_format, pupils, schools, fleet_rows, "
                "vehicles, operators, created_at) "
                "values (3, 'd', 'csv', 1, 1, 1, 1, '[]', '2026-01-01')"
            )
        )
        for plan_id in (5, 6):
            connection.execute(
                text(
                    "insert into plans (id, dataset_id, source, label, plan_json, operators, "
                    "cost_per_day_pence, routes, created_at) values "
                    f"({plan_id}, 3, 'uploaded', '', '{{}}', '[\"A\"]', 0, 0, '2026-01-01')"
                )
            )
    upgrade(engine)
    with engine.begin() as connection:
        rows = connection.execute(text("select status, effective_from from plans")).all()
        assert [tuple(r) for r in rows] == [("draft", None), ("draft", None)]
        connection.execute(text("update plans set status = 'published' where id = 5"))
    # at most one published plan of a dataset, whatever writes to the database
    with pytest.raises(Exception, match="(?i)unique"), engine.begin() as connection:
        connection.execute(text("update plans set status = 'published' where id = 6"))
    engine.dispose()
