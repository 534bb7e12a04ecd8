"""Helpers of the API tests: the tiny Isle of Wight dataset, a client per role, uploads, polling.

Plain functions and constants, imported by name; the fixtures built on them (``backend``, ``api``,
``fresh_api``, ``database_url``, ``planned``) are in ``tests/api/conftest.py``. A service runs on
SQLite, or on PostgreSQL when ``TEST_DATABASE_URL`` or ``DATABASE_URL`` names one, where each
service gets a schema of its own.
"""

from __future__ import annotations

import copy
import csv
import io
import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import create_engine, text

from api.auth import Role, create_user
from api.db import normalise_url, transaction
from api.main import create_app
from api.settings import DEFAULT_NETWORK, ServiceSettings

# Six pupils, two schools (Ryde, Newport), two operators. Hand-checkable: pupil P3 uses a
# wheelchair and needs a passenger assistant; P5 travels alone; P4 rides in the morning only.
# Wight Cars has the one wheelchair-accessible vehicle, so both operators always have routes.
PUPILS_CSV = (
    "pupil_id,name,school_id,age,sessions,lat,lon,postcode,"
    "wheelchair,passenger_assistant,solo,notes\n"
    """P1,Ada Lovelace,S1,9,AM+PM,50.7250,-1.1650,PO33 1AA,no,no,no,Likes the front seat
P2,Ben Brown,S1,10,AM+PM,50.7300,-1.1700,PO33 2BB,no,no,no,
P3,Cara Jones,S2,13,AM+PM,50.7000,-1.2950,PO30 1CC,yes,yes,no,Ramp at the side door
P4,Dan Smith,S2,14,AM,50.7600,-1.3000,PO31 7DD,no,no,no,
P5,Eve Adams,S2,12,AM+PM,50.6520,-1.1550,PO36 8EE,no,no,yes,
P6,Finn Hall,S1,8,AM+PM,50.7200,-1.1800,PO33 3FF,no,no,no,
"""
)
SCHOOLS_CSV = """school_id,name,lat,lon,am_arrive_from,am_arrive_by,pm_depart_from,pm_depart_by
S1,Ryde Primary,50.7280,-1.1600,08:30,08:50,15:10,15:25
S2,Newport Academy,50.7000,-1.2900,08:30,08:55,15:00,15:20
"""
FLEET_CSV = (
    "vehicle_type,operator,seats,wheelchair_spaces,count,"
    "cost_per_session,cost_per_km,co2_g_per_km,depot_lat,depot_lon\n"
    """saloon taxi,Island Taxis,4,0,4,10.00,0.80,150,50.7050,-1.2950
WAV,Wight Cars,4,1,1,16.00,1.05,200,50.7250,-1.1650
"""
)
# An uploaded settings file may not point the server at a path: this one is ignored.
SETTINGS_TOML = """[roads]
network = "/etc/passwd"

[costs]
passenger_assistant_per_session = 25.0
"""
DATASET_FILES = {
    "pupils.csv": PUPILS_CSV.encode(),
    "schools.csv": SCHOOLS_CSV.encode(),
    "fleet.csv": FLEET_CSV.encode(),
    "settings.toml": SETTINGS_TOML.encode(),
}
OPERATOR_A, OPERATOR_B = "Island Taxis", "Wight Cars"
PUPIL_NAMES = ("Lovelace", "Brown", "Jones", "Smith", "Adams", "Hall")  # surnames: never shown
NOTES = ("Likes the front seat", "Ramp at the side door")
# The solution limit ends each search (in well under a second on this dataset), so a plan is
# the same on any machine; the time limit is only a backstop.
# Short: with fixed costs the iterated search's route minimisation runs by time, not solutions.
QUICK_PLAN = {"time_limit_s": 5, "solution_limit": 30}


def pg_url() -> str | None:
    """The PostgreSQL URL to test against, if any."""
    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    return normalise_url(url) if url and url.startswith("postgres") else None


@dataclass
class Api:
    """A running service with a client and a token per role."""

    client: TestClient
    settings: ServiceSettings
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def get(self, path: str, who: str = "officer", **kw):
        return self.client.get(path, headers=self.headers(who), **kw)

    def post(self, path: str, who: str = "officer", **kw):
        return self.client.post(path, headers=self.headers(who), **kw)

    def delete(self, path: str, who: str = "officer", **kw):
        return self.client.delete(path, headers=self.headers(who), **kw)

    def add_user(self, key: str, role: Role, operator: str | None = None) -> str:
        with transaction(self.client.app.state.service.sessions) as db:
            self.tokens[key] = create_user(db, f"test {key}", role, operator)
        return self.tokens[key]


def upload(api: Api, files: dict[str, bytes] | None = None, name: str = "tiny", who="officer"):
    """Post ``files`` (the tiny dataset by default) to ``/datasets`` as ``who``."""
    files = DATASET_FILES if files is None else files
    parts = [("files", (n, io.BytesIO(b), "application/octet-stream")) for n, b in files.items()]
    return api.post("/datasets", who, files=parts, data={"name": name})


def publish(api: Api, plan_id: int, days_ahead: int = 0, who: str = "officer", **extra):
    """Publish a plan through the API, taking effect ``days_ahead`` days from today (UK)."""
    from api.services.plans import today

    when = (today() + timedelta(days=days_ahead)).isoformat()
    return api.post(f"/plans/{plan_id}/publish", who, json={"effective_from": when, **extra})


def wait_for(api: Api, job_id: int, states=("succeeded", "failed", "cancelled"), timeout_s=120):
    """Poll a job until it reaches one of ``states``; return its last JSON."""
    deadline = time.monotonic() + timeout_s
    while True:
        body = api.get(f"/jobs/{job_id}").json()
        if body["status"] in states or time.monotonic() > deadline:
            return body
        time.sleep(0.2)


def database(backend: str, folder: Path) -> tuple[str, Callable[[], None]]:
    """An empty database URL for ``backend`` and a function that drops it afterwards."""
    if backend == "sqlite":
        return f"sqlite:///{folder / 'service.sqlite3'}", lambda: None
    base = pg_url()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return f"{base}{separator}options=-csearch_path%3D{schema}", drop


def make_settings(db_url: str, folder: Path, **changes) -> ServiceSettings:
    """Service settings on ``db_url`` with one solver worker and short default solves."""
    options = {"default_time_limit_s": 5, "solver_workers": 1, **changes}
    return ServiceSettings(
        database_url=db_url, data_dir=folder, road_network=DEFAULT_NETWORK, **options
    )


@contextmanager
def make_api(backend: str, folder: Path, db_url: str | None = None, **changes) -> Iterator[Api]:
    """A started service (and, with ``db_url``, on that existing database)."""
    drop = lambda: None  # noqa: E731
    if db_url is None:
        db_url, drop = database(backend, folder)
    settings = make_settings(db_url, folder, **changes)
    try:
        with TestClient(create_app(settings)) as client:
            yield Api(client, settings)
    finally:
        drop()


def with_users(api: Api) -> Api:
    """Add one user of every role (and an operator with no routes) to ``api``."""
    api.add_user("officer", Role.OFFICER)
    api.add_user("finance", Role.FINANCE)
    api.add_user("operator_a", Role.OPERATOR, OPERATOR_A)
    api.add_user("operator_b", Role.OPERATOR, OPERATOR_B)
    api.add_user("operator_x", Role.OPERATOR, "Nobody Cabs")
    return api


@dataclass(frozen=True)
class Planned:
    """Ids of the tiny dataset, its plan and the job that made it."""

    dataset_id: int
    plan_id: int
    job_id: int


def workbook(network: str | None = None) -> bytes:
    """The tiny dataset as one XLSX workbook (optionally with a ``settings`` sheet naming a
    road network, which the service must ignore)."""
    book = Workbook()
    book.remove(book.active)
    for name in ("pupils", "schools", "fleet"):
        sheet = book.create_sheet(name)
        for row in csv.reader(io.StringIO(DATASET_FILES[f"{name}.csv"].decode())):
            sheet.append(row)
    if network:
        settings = book.create_sheet("settings")
        settings.append(["section", "key", "value"])
        settings.append(["roads", "network", network])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def with_exceptions(document: dict) -> dict:
    """The plan with one journey left out (Eve, afternoon) and one ride made far too long."""
    document = copy.deepcopy(document)
    pickup = next(s for r in document["routes"] for s in r["stops"] if s["type"] == "pickup")
    pickup["depart"] = "05:00:00"
    document["unassigned"] = [
        {"pupil_id": "P5", "session": "PM", "reason": "no vehicle can reach in time"}
    ]
    document["summary"] = {**document["summary"], "unplaced": 1, "over_guidance": 1}
    return document


def server_errors(app, headers: dict[str, str], max_examples: int) -> list[str]:
    """Every operation of the service's OpenAPI schema called with generated requests
    (schemathesis, derandomised, ``max_examples`` each): the calls answered with a 5xx."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings

    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=max_examples,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def check(case) -> None:
            response = case.call(headers=headers)
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:200]}"
            )

        try:
            check()
        except AssertionError as exc:
            failures.append(str(exc))
    return failures
