"""The audit log: who read personal data or changed anything, what, when, and whether refused."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api.auth import Principal
from api.db import AuditEntry


def record(
    db: Session,
    who: Principal | None,
    action: str,
    target: str,
    *,
    outcome: str = "ok",
    detail: str = "",
) -> None:
    """Add one entry to the caller's transaction (it is kept only if the change is)."""
    db.add(
        AuditEntry(
            user_id=who.user_id if who else None,
            user_name=who.name if who else "(service)",
            role=str(who.role) if who else "",
            action=action,
            target=target,
            outcome=outcome,
            detail=detail[:2000],
        )
    )


def record_now(
    factory: sessionmaker[Session],
    who: Principal | None,
    action: str,
    target: str,
    *,
    outcome: str = "ok",
    detail: str = "",
) -> None:
    """Write one entry in its own transaction: for refusals, whose request is rolled back."""
    with factory() as db, db.begin():
        record(db, who, action, target, outcome=outcome, detail=detail)


def entries(
    db: Session, *, limit: int = 100, before_id: int | None = None, user_id: int | None = None
) -> list[AuditEntry]:
    """Newest first; page with ``before_id``."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    if user_id is not None:
        query = query.where(AuditEntry.user_id == user_id)
    return list(db.scalars(query))
