"""``/audit`` (officers) and ``/me`` (anyone signed in)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api import audit
from api.deps import MAX_ID, DbDep, OfficerDep, UserDep
from api.routes.datasets import ERRORS
from api.schemas import AuditOut, WhoAmI

router = APIRouter(tags=["audit"])


@router.get("/audit", response_model=list[AuditOut], responses=ERRORS)
def read_audit(
    _officer: OfficerDep,
    db: DbDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    user_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> list[AuditOut]:
    """Who read personal data or changed anything, newest first; page with ``before_id``."""
    return [
        AuditOut.model_validate(e)
        for e in audit.entries(db, limit=limit, before_id=before_id, user_id=user_id)
    ]


@router.get("/me", response_model=WhoAmI, responses=ERRORS)
def who_am_i(who: UserDep) -> WhoAmI:
    """The caller's user, role and (for an operator) operator."""
    return WhoAmI(id=who.user_id, name=who.name, role=str(who.role), operator=who.operator)
