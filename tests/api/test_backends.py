"""Which databases the API suite runs on, and that migrations bring each to the newest schema."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from api.db import make_engine
from api.migrations import upgrade
from tests.api.helpers import pg_url


def test_postgresql_is_configured():
    if pg_url() is None:
        pytest.skip("PostgreSQL not tested: set TEST_DATABASE_URL (or DATABASE_URL)")


def test_migrations_create_every_table_and_run_twice(database_url):
    engine = make_engine(database_url)
    upgrade(engine)
    upgrade(engine)  # a second start finds nothing to do
    tables = set(inspect(engine).get_table_names())
    assert {"users", "datasets", "dataset_files", "jobs", "plans", "audit"} <= tables
    assert "alembic_version" in tables
    engine.dispose()
