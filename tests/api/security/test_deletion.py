"""Deletion reaches every copy, and ids are never reused."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text

from api.db import make_engine
from api.migrations import alembic_config, upgrade
from tests.api.helpers import QUICK_PLAN, upload, wait_for


def test_deleting_a_dataset_removes_its_rendered_outputs_and_ids_are_not_reused(fresh_api):
    api = fresh_api
    dataset_id = upload(api, name="to delete").json()["id"]
    job = wait_for(api, api.post(f"/datasets/{dataset_id}/plans", json=QUICK_PLAN).json()["id"])
    plan_id = job["plan_id"]
    assert api.get(f"/plans/{plan_id}/map").status_code == 200
    assert api.get(f"/plans/{plan_id}/sheets.csv?operator=Wight Cars").status_code == 200
    rendered = list(api.settings.output_dir.glob(f"plan-{plan_id}-*"))
    assert rendered and any(p.rglob("*.csv") for p in rendered)

    assert api.delete(f"/datasets/{dataset_id}?with_plans=true").status_code == 204
    assert not list(api.settings.output_dir.glob(f"plan-{plan_id}-*"))

    again = upload(api, name="after").json()["id"]
    assert again > dataset_id
    job = wait_for(api, api.post(f"/datasets/{again}/plans", json=QUICK_PLAN).json()["id"])
    assert job["plan_id"] > plan_id


def test_rebuilding_sqlite_tables_keeps_every_row(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = make_engine(url)
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")
    with engine.begin() as connection:
        connection.execute(
            text(
                "insert into users (id, name, role, token_sha256, active, created_at) "
                "values (1, 'u', 'officer', 'x', 1, '2026-01-01')"
            )
        )
        connection.execute(
            text(
                "insert into datasets (id, name, source_format, pupils, schools, fleet_rows, "
                "vehicles, operators, created_by, created_at) "
                "values (7, 'd', 'csv', 1, 1, 1, 1, '[]', 1, '2026-01-01')"
            )
        )
        connection.execute(
            text(
                "insert into dataset_files (dataset_id, filename, content) "
                "values (7, 'pupils.csv', x'00')"
            )
        )
    upgrade(engine)
    with engine.begin() as connection:
        assert connection.execute(text("select count(*) from dataset_files")).scalar() == 1
        connection.execute(text("delete from dataset_files"))
        connection.execute(text("delete from datasets"))
        connection.execute(
            text(
                "insert into datasets (name, source_format, pupils, schools, fleet_rows, "
                "vehicles, operators, created_at) values ('e', 'csv', 1, 1, 1, 1, '[]', '2026')"
            )
        )
        assert connection.execute(text("select max(id) from datasets")).scalar() == 8
    engine.dispose()


def test_the_audit_log_is_append_only(api):
    import pytest
    from sqlalchemy.exc import DBAPIError

    assert api.get("/datasets/999999").status_code == 404  # an entry to try to change
    sessions = api.client.app.state.service.sessions
    for statement in ("update audit set outcome = 'ok'", "delete from audit"):
        with pytest.raises(DBAPIError, match="append-only"), sessions() as db, db.begin():
            db.execute(text(statement))
    assert api.get("/audit").json()


def test_an_output_being_rendered_when_its_plan_is_deleted_is_not_kept(tmp_path):
    """A request reads a plan, starts rendering its map, and the plan is deleted meanwhile: the
    rendered file must not be put in place afterwards (it holds the plan's names and addresses)."""
    import threading

    from api import outputs
    from api.refusals import NotFound
    from api.settings import ServiceSettings

    settings = ServiceSettings(data_dir=tmp_path)
    folder = settings.output_dir / "plan-987654-0123456789abcdef" / "map"
    started, deleted = threading.Event(), threading.Event()

    def build(tmp):
        started.set()
        assert deleted.wait(10)
        (tmp / "map").mkdir(parents=True, exist_ok=True)  # as the writers do
        page = tmp / "map" / "map.html"
        page.write_text("Ada Lovelace, PO33 1AA", encoding="utf-8")
        return {"map": page}

    answers: list[object] = []

    def render() -> None:
        try:
            answers.append(outputs._build_once(folder, build))
        except NotFound as exc:
            answers.append(exc)

    renderer = threading.Thread(target=render)
    renderer.start()
    assert started.wait(10)
    outputs.remove_plan_outputs(settings, 987654)
    deleted.set()
    renderer.join(10)
    assert len(answers) == 1 and isinstance(answers[0], NotFound), answers
    assert not list(settings.output_dir.rglob("*.html"))
    assert not list(settings.output_dir.glob("plan-987654-*"))
