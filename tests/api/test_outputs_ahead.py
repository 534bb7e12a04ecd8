"""A job renders its plan's outputs before it is done, so no download waits for them; one output
that fails leaves the job done, the others rendered, and itself to be rendered on demand."""

from __future__ import annotations

import json

import pytest

from api import outputs, plans
from api.db import PlanRow
from tests.api.helpers import QUICK_PLAN, make_api, upload, wait_for, with_users

KINDS = ("map", "finance", "operator-", "sheets-zip-")


def _folder(api, plan_id: int):
    with api.client.app.state.service.sessions() as db:
        return outputs.plan_folder(api.settings, db.get(PlanRow, plan_id))


def _rendered(api, plan_id: int) -> dict[str, list[str]]:
    """Each complete cache folder of the plan (its index written) and the files it lists."""
    folder = _folder(api, plan_id)
    if not folder.exists():
        return {}
    return {
        index.parent.name: sorted(json.loads(index.read_text()).values())
        for index in folder.glob("*/index.json")
    }


def _plan(api, **options) -> dict:
    dataset_id = upload(api, name="ahead").json()["id"]
    response = api.post(f"/datasets/{dataset_id}/plans", json=QUICK_PLAN | options)
    assert response.status_code == 202, response.text
    job = wait_for(api, response.json()["id"])
    assert job["status"] == "succeeded", job
    return job


def test_a_finished_job_has_rendered_every_output(api):
    job = _plan(api, ride_time_weight_per_min=0.1)  # a job's own settings are not the service's
    plan_id = job["plan_id"]
    rendered = _rendered(api, plan_id)  # before any request asked for one
    assert {name for name in rendered if name.startswith(KINDS)} == set(rendered)
    assert rendered["map"] == ["map/map.html"]
    assert "finance/finance.html" in rendered["finance"]
    assert len([n for n in rendered if n.startswith("operator-")]) == 2  # both operators
    assert [n for n in rendered if n.startswith("sheets-zip-")]
    folder = _folder(api, plan_id)
    before = {p: p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}

    # the downloads are served from those files: none is rendered again
    assert api.get(f"/plans/{plan_id}/map").status_code == 200
    assert api.get(f"/plans/{plan_id}/finance.html").status_code == 200
    for operator in ("Island Taxis", "Wight Cars"):
        assert api.get(f"/plans/{plan_id}/sheets.pdf", params={"operator": operator}).is_success
    assert api.get(f"/plans/{plan_id}/sheets.zip").status_code == 200
    after = {p: p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}
    assert after == before
    assert job["phase"] == "done" and job["fraction"] == 1.0


@pytest.fixture
def forking_api(backend, tmp_path):
    """A service whose job processes are forked, so they inherit what a test patched."""
    with make_api(backend, tmp_path, worker_start_method="fork") as service:
        yield with_users(service)


def test_an_output_that_fails_leaves_the_job_done_and_the_others_rendered(forking_api, monkeypatch):
    import maps.finance_output

    def broken(*args, **kwargs):
        raise RuntimeError("the finance renderer is broken")

    monkeypatch.setattr(maps.finance_output, "write_finance_report", broken)
    job = _plan(forking_api)
    plan_id = job["plan_id"]
    rendered = _rendered(forking_api, plan_id)
    assert "finance" not in rendered  # nothing half-made is kept
    assert rendered["map"] == ["map/map.html"]
    assert len([n for n in rendered if n.startswith("operator-")]) == 2
    assert not list(_folder(forking_api, plan_id).glob("*.tmp-*"))

    # the finance report is rendered when it is asked for, once it can be
    monkeypatch.undo()
    response = forking_api.get(f"/plans/{plan_id}/finance.html")
    assert response.status_code == 200 and "<html" in response.text.lower()
    assert "finance" in _rendered(forking_api, plan_id)


def test_render_all_goes_on_past_a_failure(api, monkeypatch, tmp_path):
    job = _plan(api)
    service = api.client.app.state.service
    with service.sessions() as db:
        row = db.get(PlanRow, job["plan_id"])
        db.expunge(row)
        dataset, travel = service.dataset_and_travel(db, row.dataset_id)
    settings = api.settings.with_overrides(data_dir=tmp_path)

    def broken(*args, **kwargs):
        raise RuntimeError("no map today")

    monkeypatch.setattr(outputs, "map_files", broken)
    steps = []
    failed = outputs.render_all(
        settings, row, plans.plan_of(row), dataset, travel, None, step=lambda: steps.append(1)
    )
    assert set(failed) == {"map"} and "no map today" in failed["map"]
    assert len(steps) == 5  # map, finance, two operators' sheets, the ZIP
    folder = outputs.plan_folder(settings, row)
    assert (folder / "finance" / "index.json").exists()
    assert not (folder / "map").exists()
