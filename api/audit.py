"""The audit log: who read personal data or changed anything, what, when, from where, and whether
refused.

Entries are only ever added (nothing in the service updates or deletes one). Each carries the
client's address, taken from the connection by :class:`SourceAddressMiddleware` (behind a reverse
proxy, run uvicorn with ``--proxy-headers`` and ``--forwarded-allow-ips`` so that address is the
browser's, not the proxy's).
"""

from __future__ import annotations

from contextvars import ContextVar

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Receive, Scope, Send

from api.auth import Principal
from api.db import AuditEntry

SOURCE: ContextVar[str] = ContextVar("audit_source", default="")


class SourceAddressMiddleware:
    """Makes the client's address of each request the ``source`` of the entries it writes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            client = scope.get("client")
            SOURCE.set(str(client[0]) if client else "")
        await self.app(scope, receive, send)


def record(
    db: Session,
    who: Principal | None,
    action: str,
    target: str,
    *,
    outcome: str = "ok",
    detail: str = "",
    name: str | None = None,
) -> None:
    """Add one entry to the caller's transaction (it is kept only if the change is).

    ``name`` names a caller who is nobody's user (an unknown token); without ``who`` or
    ``name`` the entry is the service's own. Texts are cut to their columns' lengths.
    """
    db.add(
        AuditEntry(
            user_id=who.user_id if who else None,
            user_name=(who.name if who else name or "(service)")[:200],
            role=str(who.role) if who else "",
            action=action[:50],
            target=target[:200],
            outcome=outcome[:20],
            detail=detail[:2000],
            source=SOURCE.get()[:64],
        )
    )


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
