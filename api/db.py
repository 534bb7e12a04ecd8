"""Storage: the service's tables (SQLAlchemy 2.0) and how to open the database.

These are the *storage* schemas; what a request may send and what a response may show are the
separate Pydantic schemas in :mod:`api.schemas`, so a private column never leaks by accident.
The tables are created and changed only by the Alembic migrations in ``api/migrations``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import TypeVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    create_engine,
    event,
)
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class JobState(StrEnum):
    """Where a planning job is: ``queued`` -> ``running`` -> ``succeeded`` or ``failed``; or
    ``cancelled`` by an officer, or ``interrupted`` by a service stop."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"


ACTIVE_JOB_STATES = (JobState.QUEUED, JobState.RUNNING)
RERUNNABLE = (JobState.INTERRUPTED, JobState.FAILED, JobState.CANCELLED)


class JobStateText(TypeDecorator[JobState]):
    """A :class:`JobState` stored as its text, so the column needs no migration and no
    database enum type."""

    impl = String(20)
    cache_ok = True

    def process_bind_param(self, value: str | None, _dialect: Dialect) -> str | None:
        return None if value is None else JobState(value).value

    def process_result_value(self, value: str | None, _dialect: Dialect) -> JobState | None:
        return None if value is None else JobState(value)


class User(Base):
    __tablename__ = "users"
    __table_args__ = {"sqlite_autoincrement": True}  # ids never reused

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # officer | finance | operator
    operator: Mapped[str | None] = mapped_column(String(200), nullable=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DatasetRow(Base):
    __tablename__ = "datasets"
    __table_args__ = {"sqlite_autoincrement": True}  # ids never reused

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    source_format: Mapped[str] = mapped_column(String(10))  # csv | xlsx
    pupils: Mapped[int] = mapped_column(Integer)
    schools: Mapped[int] = mapped_column(Integer)
    fleet_rows: Mapped[int] = mapped_column(Integer)
    vehicles: Mapped[int] = mapped_column(Integer)
    operators: Mapped[list] = mapped_column(JSON)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DatasetFile(Base):
    """One uploaded file, byte for byte, so the dataset can be reloaded exactly."""

    __tablename__ = "dataset_files"
    __table_args__ = {"sqlite_autoincrement": True}  # ids never reused

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(
        ForeignKey("datasets.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)


class Job(Base):
    """A planning job. ``attempt`` grows on each re-run; a worker may only write its own."""

    __tablename__ = "jobs"
    __table_args__ = {"sqlite_autoincrement": True}  # ids never reused

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), index=True)
    status: Mapped[JobState] = mapped_column(JobStateText(), index=True)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    time_limit_s: Mapped[float] = mapped_column(Float)
    solution_limit: Mapped[int | None] = mapped_column(Integer, nullable=True)
    ride_time_weight_per_min: Mapped[float | None] = mapped_column(Float, nullable=True)
    progress: Mapped[dict] = mapped_column(JSON, default=dict)
    pid: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    plan_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # The lease: which service process runs the job, and when it last said it was alive.
    owner: Mapped[str | None] = mapped_column(String(100), nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # A re-plan: the stored current routes it starts from, pupils locked to their vehicle, and
    # the price of each change (pence a day; None: the dataset's setting). None: a fresh plan.
    current_plan_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    locks: Mapped[list | None] = mapped_column(JSON, nullable=True)
    price_per_change_pence: Mapped[int | None] = mapped_column(Integer, nullable=True)


class PlanKind(StrEnum):
    """``plan``: a plan to run (optimised, re-planned or uploaded); ``current``: the routes a
    council runs today, uploaded in the current-routes format and scored, not refused."""

    PLAN = "plan"
    CURRENT = "current"


class PlanStatus(StrEnum):
    """Where a plan is: every plan starts a ``draft`` (officers and finance see it, operators
    never); an officer ``published`` it with the date it takes effect (operators with routes in
    it see it); publishing a later plan of the same dataset makes it ``superseded`` (operators
    still read it, marked so)."""

    DRAFT = "draft"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"


OPERATOR_VISIBLE = (PlanStatus.PUBLISHED, PlanStatus.SUPERSEDED)


class PlanRow(Base):
    """A plan, as its ``plan.json`` text: from a job, or uploaded (a council's current routes).

    The plan itself never changes; only its status does (draft -> published -> superseded).
    """

    __tablename__ = "plans"
    __table_args__ = {"sqlite_autoincrement": True}  # ids never reused

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), index=True)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id"), nullable=True)
    source: Mapped[str] = mapped_column(String(20))  # optimiser | uploaded
    label: Mapped[str] = mapped_column(String(200), default="")
    plan_json: Mapped[str] = mapped_column(Text)
    operators: Mapped[list] = mapped_column(JSON)
    cost_per_day_pence: Mapped[int] = mapped_column(BigInteger)
    routes: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Publication (migration 0005). Plain ids, no foreign keys: a superseding plan may be of
    # another dataset and deleted with it; the audit log keeps who did what.
    status: Mapped[str] = mapped_column(String(20), default=PlanStatus.DRAFT.value)
    effective_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    published_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    published_by_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    superseded_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    superseded_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    kind: Mapped[str] = mapped_column(String(20), default=PlanKind.PLAN, index=True)
    # A re-plan's current routes (a plan id of the same dataset), and what changes for each
    # pupil against them (changes.csv); None for other plans.
    current_plan_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    changes_csv: Mapped[str | None] = mapped_column(Text, nullable=True)


class AuditEntry(Base):
    __tablename__ = "audit"
    __table_args__ = {"sqlite_autoincrement": True}  # ids never reused

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    user_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(50))
    target: Mapped[str] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(20))  # ok | denied
    detail: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(64), default="")  # the client's address


class WebSession(Base):
    """A signed-in browser: the cookie holds a random secret, stored here only as its digest.
    Signing out deletes the row, so the cookie is dead wherever a copy of it is."""

    __tablename__ = "web_sessions"
    __table_args__ = {"sqlite_autoincrement": True}  # ids never reused

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    secret_sha256: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def normalise_url(url: str) -> str:
    """Use the psycopg 3 driver for a plain ``postgresql://`` (or ``postgres://``) URL."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL and a busy timeout so job processes can write."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # pragma: no cover - trivial
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    with factory() as session, session.begin():
        yield session


log = logging.getLogger(__name__)


T = TypeVar("T")


def retrying(action: Callable[[], T], *, within_s: float = 300.0, first_wait_s: float = 1.0) -> T:
    """Run ``action`` (a whole transaction), again with doubling waits while the database is
    locked or unreachable (``OperationalError``), for up to ``within_s`` seconds; then raise.

    A backup holding SQLite's write lock for a minute, or PostgreSQL restarting, delays a job's
    writes instead of losing them.
    """
    deadline = time.monotonic() + within_s
    wait = first_wait_s
    while True:
        try:
            return action()
        except OperationalError as exc:
            if time.monotonic() + wait > deadline:
                raise
            log.warning("database busy (%s); retrying in %.0f s", exc.orig, wait)
            time.sleep(wait)
            wait = min(wait * 2, 30.0)
