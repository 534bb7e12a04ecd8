"""Named plans, and route sheets that download under names of their own: a plan made by the
optimiser is named after its dataset and when it was made; an officer renames it; each
operator's sheets download as ``plan<id>-<operator>-sheets.<fmt>``, and every operator's in
one ZIP for officers."""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from tests.api.helpers import OPERATOR_A, OPERATOR_B
from tests.api.web.test_pages import browser, csrf_of


def test_a_new_plan_is_named_after_its_dataset_and_time(api, planned):
    label = api.get(f"/plans/{planned.plan_id}").json()["label"]
    assert re.fullmatch(r"planned, \d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d", label), label


def test_an_uploaded_plan_without_a_name_gets_one(api, planned):
    document = api.get(f"/plans/{planned.plan_id}/json").json()
    stored = api.post("/plans", json={"dataset_id": planned.dataset_id, "plan": document}).json()
    assert stored["label"].startswith("planned (uploaded), ")


@pytest.fixture
def copy_id(api, planned) -> int:
    document = api.get(f"/plans/{planned.plan_id}/json").json()
    body = {"dataset_id": planned.dataset_id, "plan": document, "label": "copy"}
    return api.post("/plans", json=body).json()["id"]


def test_an_officer_renames_a_plan_and_it_is_audited(api, copy_id):
    response = api.client.patch(
        f"/plans/{copy_id}", json={"label": "  Autumn   proposal "}, headers=api.headers("officer")
    )
    assert response.status_code == 200 and response.json()["label"] == "Autumn proposal"
    assert api.get(f"/plans/{copy_id}").json()["label"] == "Autumn proposal"
    for who in ("finance", "operator_a"):
        refused = api.client.patch(
            f"/plans/{copy_id}", json={"label": "x"}, headers=api.headers(who)
        )
        assert refused.status_code in (403, 404), who
    blank = api.client.patch(
        f"/plans/{copy_id}", json={"label": "  "}, headers=api.headers("officer")
    )
    assert blank.status_code == 422
    entries = api.get("/audit?limit=20").json()
    assert any(e["action"] == "plan.rename" and e["target"] == f"plan/{copy_id}" for e in entries)


def test_the_plan_page_renames_with_its_csrf_token(api, copy_id):
    client = browser(api, "officer")
    page = client.get(f"/plan/{copy_id}").text
    assert f'action="/plan/{copy_id}/name"' in page
    refused = client.post(f"/plan/{copy_id}/name", data={"label": "No token"})
    assert refused.status_code == 403
    done = client.post(
        f"/plan/{copy_id}/name",
        data={"label": "Spring <b>routes</b>", "csrf_token": csrf_of(page)},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == f"/plan/{copy_id}?renamed=true"
    shown = client.get(done.headers["location"]).text
    assert f"Plan {copy_id}: Spring &lt;b&gt;routes&lt;/b&gt;" in shown
    assert "The plan is renamed" in shown


def _filename(response) -> str:
    return re.search(r'filename="?([^";]+)"?', response.headers["content-disposition"])[1]


def test_each_operators_sheets_download_under_its_own_name(api, planned):
    names = set()
    for operator, slug in ((OPERATOR_A, "Island_Taxis"), (OPERATOR_B, "Wight_Cars")):
        for fmt in ("pdf", "csv"):
            response = api.get(f"/plans/{planned.plan_id}/sheets.{fmt}?operator={operator}")
            assert response.status_code == 200
            name = _filename(response)
            assert name == f"plan{planned.plan_id}-{slug}-sheets.{fmt}"
            names.add(name)
    assert len(names) == 4
    own = api.get(f"/plans/{planned.plan_id}/sheets.pdf", "operator_b")
    assert _filename(own) == f"plan{planned.plan_id}-Wight_Cars-sheets.pdf"


def test_officers_get_every_operators_sheets_in_one_zip(api, planned):
    response = api.get(f"/plans/{planned.plan_id}/sheets.zip")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert _filename(response) == f"plan{planned.plan_id}-sheets.zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    p = planned.plan_id
    assert sorted(archive.namelist()) == [
        f"plan{p}-Island_Taxis-sheets.csv",
        f"plan{p}-Island_Taxis-sheets.pdf",
        f"plan{p}-Wight_Cars-sheets.csv",
        f"plan{p}-Wight_Cars-sheets.pdf",
    ]
    assert archive.read(f"plan{p}-Wight_Cars-sheets.pdf").startswith(b"%PDF")
    wight = archive.read(f"plan{p}-Wight_Cars-sheets.csv").decode("utf-8-sig")
    assert OPERATOR_A not in wight  # each operator's file from its own routes alone
    for who in ("finance", "operator_a"):
        assert api.get(f"/plans/{planned.plan_id}/sheets.zip", who).status_code == 403
    page = browser(api, "officer").get(f"/plan/{planned.plan_id}").text
    assert f'href="/plans/{planned.plan_id}/sheets.zip"' in page
