"""Fixtures of the API tests (``tests/api`` and the web pages in ``tests/api/web``).

Every service holds the tiny dataset of ``tests/api/helpers.py``: six pupils, two schools, two
operators, five vehicles, few enough to check any answer by hand. A test that takes ``backend``
(directly or through another fixture) runs once per database: SQLite always, PostgreSQL when
``TEST_DATABASE_URL`` or ``DATABASE_URL`` names one.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.helpers import (
    QUICK_PLAN,
    Api,
    Planned,
    database,
    make_api,
    pg_url,
    publish,
    upload,
    wait_for,
    with_users,
)

BACKENDS = ["sqlite"] + (["postgresql"] if pg_url() else [])
_PARAMS = [pytest.param(b, marks=pytest.mark.postgres) if b != "sqlite" else b for b in BACKENDS]


@pytest.fixture(scope="module", params=_PARAMS)
def backend(request) -> str:
    """The name of the database under test: ``"sqlite"``, then ``"postgresql"`` if configured.

    Just a name; each service built on it gets an empty database (or schema) of its own.
    """
    return request.param


@pytest.fixture(scope="module")
def api(backend, tmp_path_factory) -> Iterator[Api]:
    """One service per test module and database, with one user of every role.

    Five users (officer, finance, two operators with routes, one without) and no data until a
    test uploads the six-pupil dataset: every response can be checked by eye.
    """
    with make_api(backend, tmp_path_factory.mktemp(f"api-{backend}")) as service:
        yield with_users(service)


@pytest.fixture
def database_url(backend, tmp_path) -> Iterator[str]:
    """An empty database of the test's own, for services started and stopped on it.

    Nothing in it but what the test puts there; dropped afterwards.
    """
    url, drop = database(backend, tmp_path)
    try:
        yield url
    finally:
        drop()


@pytest.fixture
def fresh_api(backend, tmp_path) -> Iterator[Api]:
    """A service of the test's own (for tests that stop and start it), with a user of every role.

    Empty like ``api``, so nothing another test did can change what it sees.
    """
    with make_api(backend, tmp_path) as service:
        yield with_users(service)


@pytest.fixture(scope="module")
def planned(api) -> Planned:
    """The six-pupil dataset uploaded to ``api``, planned to completion and published (so
    operators see it; drafts are tested in ``tests/api/test_publish.py``).

    The search stops at a solution limit (``QUICK_PLAN``), so the plan is reproducible; with six
    pupils and two schools its routes can be read and checked by hand.
    """
    response = upload(api, name="planned")
    assert response.status_code == 201, response.text
    dataset_id = response.json()["id"]
    response = api.post(f"/datasets/{dataset_id}/plans", json=QUICK_PLAN)
    assert response.status_code == 202, response.text
    job = wait_for(api, response.json()["id"])
    assert job["status"] == "succeeded", job
    published = publish(api, job["plan_id"])
    assert published.status_code == 200, published.text
    return Planned(dataset_id, job["plan_id"], job["id"])
