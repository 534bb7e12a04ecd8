"""Durable jobs: a second server leaves the first one's jobs alone, a killed job process leaves
no solver behind, a job past its wall-clock bound is ended, and a long database lock delays a
job without wedging it."""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
import time

import pytest

from api import jobs as job_module
from api.auth import Role
from api.db import Job, transaction
from tests.api.helpers import QUICK_PLAN, make_api, upload, wait_for
from tests.api.test_jobs import _group_members, _pid, _start_long


def _gone(pgid: int, within_s: float = 20.0) -> bool:
    deadline = time.monotonic() + within_s
    while _group_members(pgid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not _group_members(pgid)


def test_a_second_server_on_the_same_database_leaves_running_jobs_alone(
    backend, database_url, tmp_path
):
    with make_api(backend, tmp_path / "first", db_url=database_url) as first:
        first.add_user("officer", Role.OFFICER)
        job = _start_long(first)
        pid = _pid(first, job["id"])
        with make_api(backend, tmp_path / "second", db_url=database_url) as second:
            second.tokens.update(first.tokens)
            second.client.app.state.service.runner.recover()
            assert second.get(f"/jobs/{job['id']}").json()["status"] == "running"
            assert _group_members(pid)
        # the second server stopped: still the first one's job, still solving
        assert first.get(f"/jobs/{job['id']}").json()["status"] == "running"
        assert _group_members(pid)
        assert first.post(f"/jobs/{job['id']}/cancel").status_code == 200
        assert _gone(pid)


def test_a_killed_job_process_leaves_no_solver_running(backend, tmp_path):
    with make_api(backend, tmp_path, solver_workers=2) as api:
        api.add_user("officer", Role.OFFICER)
        job = _start_long(api)
        pid = _pid(api, job["id"])
        assert len(_group_members(pid)) >= 2
        os.kill(pid, signal.SIGKILL)
        assert _gone(pid)
        final = wait_for(api, job["id"], states=("failed",), timeout_s=20)
        assert final["status"] == "failed" and "ended unexpectedly" in final["error"]


def test_the_watchdog_ends_a_job_past_its_wall_clock_bound(backend, tmp_path, monkeypatch):
    with make_api(backend, tmp_path) as api:
        api.add_user("officer", Role.OFFICER)
        job = _start_long(api)
        pid = _pid(api, job["id"])
        runner, settings = api.client.app.state.service.runner, api.settings
        with transaction(api.client.app.state.service.sessions) as db:
            bound = runner.bound_s(db, db.get(Job, job["id"]))
        # the job's own bound: its time limit, the dataset's six pupils, the service's workers
        assert bound == job_module.wall_clock_bound_s(
            job["time_limit_s"],
            settings.job_grace_s,
            pupils=6,
            grace_s_per_pupil=settings.job_grace_s_per_pupil,
            solver_workers=settings.solver_workers,
        )
        runner.watch_once()
        assert api.get(f"/jobs/{job['id']}").json()["status"] == "running"  # within it
        monkeypatch.setattr(job_module, "wall_clock_bound_s", lambda *_, **__: 0.5)
        api.client.app.state.service.runner.watch_once()
        final = api.get(f"/jobs/{job['id']}").json()
        assert final["status"] == "failed" and "wall-clock bound" in final["error"]
        assert _gone(pid)


def test_a_database_lock_over_30_s_delays_a_job_but_never_wedges_it(backend, tmp_path):
    if backend != "sqlite":
        pytest.skip("SQLite's write lock (PostgreSQL waits for a lock instead of failing)")
    with make_api(backend, tmp_path) as api:
        api.add_user("officer", Role.OFFICER)
        dataset_id = upload(api).json()["id"]
        job_id = api.post(f"/datasets/{dataset_id}/plans", json=QUICK_PLAN).json()["id"]
        # Hold SQLite's write lock for 35 s, as a backup would (the busy timeout is 30 s).
        lock = sqlite3.connect(str(tmp_path / "service.sqlite3"), isolation_level=None)
        lock.execute("BEGIN IMMEDIATE")
        read: list[int] = []
        reader = threading.Thread(
            target=lambda: read.append(api.get(f"/datasets/{dataset_id}/pupils").status_code)
        )
        reader.start()
        time.sleep(35)
        lock.execute("COMMIT")
        lock.close()
        reader.join(timeout=30)
        assert read == [503]  # an audited read cannot write its entry: 503, try again
        final = wait_for(api, job_id, timeout_s=240)
        assert final["status"] == "succeeded", final
        assert api.get(f"/datasets/{dataset_id}/pupils").status_code == 200


def test_a_busy_database_is_503_with_retry_after(api, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from api.routes import datasets as routes

    def locked(_db):
        raise OperationalError("select", {}, Exception("database is locked"))

    monkeypatch.setattr(routes.datasets, "list_all", locked)
    response = api.get("/datasets")
    assert response.status_code == 503, response.text
    assert int(response.headers["retry-after"]) > 0
    assert "try again" in response.json()["detail"]


ORPHAN = """
import multiprocessing, os, sys, time
def sleep():
    time.sleep(120)
if __name__ == "__main__":
    os.setpgid(0, 0)
    child = multiprocessing.get_context("spawn").Process(target=sleep)
    child.start()
    print(os.getpid(), child.pid, flush=True)
    os._exit(0)  # as after kill -9: the solver child is left in the group
"""


def test_a_restart_ends_the_solvers_a_crashed_job_left_behind(backend, database_url, tmp_path):
    import subprocess
    import sys

    from sqlalchemy import update

    from api.db import Job, transaction

    script = tmp_path / "orphan.py"
    script.write_text(ORPHAN)
    started = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    leader, child = map(int, started.stdout.readline().split())
    started.wait(timeout=30)
    started.stdout.close()
    assert child in _group_members(leader)  # (with the resource tracker spawn starts)
    with make_api(backend, tmp_path / "first", db_url=database_url) as first:
        first.add_user("officer", Role.OFFICER)
        dataset_id = upload(first).json()["id"]
        job_id = first.post(f"/datasets/{dataset_id}/plans", json=QUICK_PLAN).json()["id"]
        wait_for(first, job_id)
        runner = first.client.app.state.service.runner
        deadline = time.monotonic() + 20
        while runner._procs and time.monotonic() < deadline:  # its process has ended
            time.sleep(0.1)
        tokens = dict(first.tokens)
        with transaction(first.client.app.state.service.sessions) as db:  # as a crash leaves it
            db.execute(
                update(Job)
                .where(Job.id == job_id)
                .values(
                    status="running", pid=leader, owner=f"{job_module.HOST}:1:x", heartbeat_at=None
                )
            )
    with make_api(backend, tmp_path / "second", db_url=database_url) as second:
        second.tokens.update(tokens)
        job = second.get(f"/jobs/{job_id}").json()
        assert job["status"] == "interrupted", job
        assert _gone(leader, within_s=10), job
