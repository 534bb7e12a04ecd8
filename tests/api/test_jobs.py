"""Planning jobs: run in worker processes, report progress, cancel, survive a restart."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from sqlalchemy import update

from api.auth import Role
from api.db import Job, transaction
from optimiser.solver.progress import PHASES
from tests.api.helpers import QUICK_PLAN, make_api, upload, wait_for

LONG_PLAN = {"time_limit_s": 60}  # far longer than any test waits: it is always cancelled


def _group_members(pgid: int) -> list[int]:
    """Live processes whose process group is ``pgid``."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(stat.parent.name))
    return members


def _pid(api, job_id: int) -> int | None:
    with api.client.app.state.service.sessions() as db:
        return db.get(Job, job_id).pid


def _start_long(api) -> dict:
    dataset_id = upload(api, name="long").json()["id"]
    response = api.post(f"/datasets/{dataset_id}/plans", json=LONG_PLAN)
    assert response.status_code == 202, response.text
    job_id = response.json()["id"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = api.get(f"/jobs/{job_id}").json()
        if job["status"] == "running" and job["solutions_found"] > 0:
            assert job["phase"] in ("first routes", "improving") and 0 < job["fraction"] < 1
            assert job["best_cost_gbp"] < 100_000 and job["unplaced"] is not None
            return job
        time.sleep(0.2)
    pytest.fail(f"job never reported a solution: {job}")


def _watch_the_bar(api, job_id: int) -> list[tuple[str | None, float | None]]:
    """The phase and fraction of every poll while the job runs, from its first moment."""
    seen = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job = api.get(f"/jobs/{job_id}").json()
        if job["status"] == "running":
            seen.append((job["phase"], job["fraction"]))
        elif job["status"] != "queued":
            break
        time.sleep(0.05)
    return seen


def test_a_plan_request_is_accepted_and_solved_in_a_worker(api):
    dataset_id = upload(api).json()["id"]
    response = api.post(f"/datasets/{dataset_id}/plans", json=QUICK_PLAN)
    assert response.status_code == 202
    assert response.headers["location"] == f"/jobs/{response.json()['id']}"
    assert response.json()["status"] in ("queued", "running")
    bar = _watch_the_bar(api, response.json()["id"])
    job = wait_for(api, response.json()["id"])
    assert job["status"] == "succeeded", job
    # from the moment it runs, the job names its phase and its bar never goes back
    assert bar and all(fraction is not None for _, fraction in bar), bar
    assert [f for _, f in bar] == sorted(f for _, f in bar), bar
    assert [PHASES.index(p) for p, _ in bar] == sorted(PHASES.index(p) for p, _ in bar), bar
    assert job["solutions_found"] >= 2 and job["best_cost_gbp"] > 0
    assert {s["session"] for s in job["sessions"]} == {"AM", "PM"}
    # the money of the routes, never the placement penalty (£10m a journey); the phase and bar
    assert job["best_cost_gbp"] < 100_000 and job["unplaced"] == 0
    costs = sum(s["best_cost_gbp"] for s in job["sessions"])
    assert job["best_cost_gbp"] == pytest.approx(costs, abs=0.02)
    assert job["phase"] == "done" and job["fraction"] == 1.0 and job["estimate_s"] > 0
    assert job["elapsed_s"] > 0 and job["finished_at"] and job["error"] is None
    assert _pid(api, job["id"]) != os.getpid()
    plan = api.get(f"/plans/{job['plan_id']}").json()
    assert plan["job_id"] == job["id"] and plan["source"] == "optimiser"
    assert [j["id"] for j in api.get(f"/jobs?dataset_id={dataset_id}").json()] == [job["id"]]


@pytest.mark.parametrize(
    "body",
    [{"time_limit_s": -1}, {"time_limit_s": "soon"}, {"solution_limit": 0}, {"colour": "red"}],
)
def test_bad_plan_requests_are_422(api, body):
    dataset_id = upload(api).json()["id"]
    response = api.post(f"/datasets/{dataset_id}/plans", json=body)
    assert response.status_code == 422
    assert response.json()["problems"]


def test_unknown_dataset_or_job_is_404(api):
    assert api.post("/datasets/999999/plans", json=QUICK_PLAN).status_code == 404
    assert api.get("/jobs/999999").status_code == 404
    assert api.post("/jobs/999999/cancel").status_code == 404
    assert api.post("/jobs/999999/rerun").status_code == 404


def test_the_time_limit_is_capped_by_the_service(api):
    dataset_id = upload(api).json()["id"]
    response = api.post(
        f"/datasets/{dataset_id}/plans", json={"time_limit_s": 80000, **{"solution_limit": 5}}
    )
    assert response.json()["time_limit_s"] == api.settings.max_time_limit_s
    # A search that long is not waited for: cancelled, it ends every process.
    assert api.post(f"/jobs/{response.json()['id']}/cancel").status_code == 200
    assert wait_for(api, response.json()["id"])["status"] == "cancelled"


def test_the_api_answers_during_a_solve_in_other_processes_and_cancel_ends_every_process(
    backend, tmp_path
):
    """The solve runs outside the web process (it holds the GIL for its whole run), so requests
    are answered while it runs. How fast they are answered is a measurement, not a test."""
    with make_api(backend, tmp_path, solver_workers=2) as service:
        service.add_user("officer", Role.OFFICER)
        job = _start_long(service)
        pid = _pid(service, job["id"])
        members = _group_members(pid)
        assert len(members) >= 2  # the job process and its solver pool
        assert os.getpid() not in members and pid != os.getpid()
        for _ in range(10):
            assert service.get(f"/jobs/{job['id']}").status_code == 200
            assert service.get("/datasets").status_code == 200
        assert service.get(f"/jobs/{job['id']}").json()["status"] == "running"
        cancelled = service.post(f"/jobs/{job['id']}/cancel")
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
        deadline = time.monotonic() + 20
        while _group_members(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _group_members(pid) == []
        time.sleep(1)
        final = service.get(f"/jobs/{job['id']}").json()
        assert final["status"] == "cancelled" and final["plan_id"] is None
        assert service.post(f"/jobs/{job['id']}/cancel").status_code == 409
        rerun = service.post(f"/jobs/{job['id']}/rerun", json=QUICK_PLAN)
        assert rerun.status_code == 202 and rerun.json()["attempt"] == 2
        assert wait_for(service, job["id"])["status"] == "succeeded"
        assert service.post(f"/jobs/{job['id']}/rerun").status_code == 409


def test_a_job_running_at_a_stop_is_interrupted_and_can_be_rerun(backend, database_url, tmp_path):
    """A graceful stop and a crash (row left 'running') both end as 'interrupted'; finished
    plans are kept; a re-run completes."""
    with make_api(backend, tmp_path / "first", db_url=database_url) as first:
        first.add_user("officer", Role.OFFICER)
        dataset_id = upload(first).json()["id"]
        done = wait_for(
            first, first.post(f"/datasets/{dataset_id}/plans", json=QUICK_PLAN).json()["id"]
        )
        cut_off = _start_long(first)
        db_url, tokens = database_url, dict(first.tokens)
    with make_api(backend, tmp_path / "second", db_url=db_url) as second:
        second.tokens.update(tokens)
        job = second.get(f"/jobs/{cut_off['id']}").json()
        assert job["status"] == "interrupted" and "re-run" in job["error"]
        assert second.get(f"/plans/{done['plan_id']}/json").status_code == 200
        # A crash leaves the row 'running' with a process that no longer exists.
        with transaction(second.client.app.state.service.sessions) as db:
            db.execute(
                update(Job).where(Job.id == cut_off["id"]).values(status="running", pid=2**22 + 7)
            )
    with make_api(backend, tmp_path / "third", db_url=db_url) as third:
        third.tokens.update(tokens)
        assert third.get(f"/jobs/{cut_off['id']}").json()["status"] == "interrupted"
        rerun = third.post(f"/jobs/{cut_off['id']}/rerun", json=QUICK_PLAN)
        assert rerun.status_code == 202
        final = wait_for(third, cut_off["id"])
        assert final["status"] == "succeeded" and final["attempt"] == 2
        plans = {p["id"] for p in third.get("/plans").json()}
        assert plans == {done["plan_id"], final["plan_id"]}
        actions = [e["action"] for e in third.get("/audit?limit=1000").json()]
        assert "job.interrupted" in actions and "job.rerun" in actions


def test_a_stop_waits_for_each_job_reaper_before_the_database_closes(
    backend, database_url, tmp_path, monkeypatch
):
    """The thread that records a job process's end writes to the database after the process
    ends; a stop that returned before it finished let it write to a closed (or, in tests, a
    dropped) database. A slow reaper makes the race certain."""
    import threading

    from api.jobs import JobRunner

    original = JobRunner._reap
    finished: list[int] = []

    def slow_reap(self, job_id, attempt, proc):
        proc.join()
        time.sleep(1.0)
        original(self, job_id, attempt, proc)
        finished.append(job_id)

    monkeypatch.setattr(JobRunner, "_reap", slow_reap)
    with make_api(backend, tmp_path / "svc", db_url=database_url) as api:
        api.add_user("officer", Role.OFFICER)
        job = _start_long(api)
    # The service has stopped: its reaper must have written the row already.
    assert finished == [job["id"]]
    assert not [t for t in threading.enumerate() if t.name == f"reap-{job['id']}"]
