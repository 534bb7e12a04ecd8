"""Typed request dependencies: the service state, a database session, and who is calling.

A caller authenticates with ``Authorization: Bearer <token>``; a browser page may instead send the
same token in the ``send_routes_token`` cookie. Role gates refuse with 403 and write the refusal
to the audit log.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Query, Request, status
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from api import audit
from api.auth import Principal, Role, principal_for_token
from api.service import Service

TOKEN_COOKIE = "send_routes_token"

_bearer = HTTPBearer(auto_error=False, description="The token printed by `send-routes users add`.")
_cookie = APIKeyCookie(
    name=TOKEN_COOKIE, auto_error=False, description="The same token, for browser pages."
)


def get_service(request: Request) -> Service:
    return request.app.state.service


ServiceDep = Annotated[Service, Depends(get_service)]


def get_db(service: ServiceDep) -> Iterator[Session]:
    with service.sessions() as db:
        yield db


DbDep = Annotated[Session, Depends(get_db)]


def get_principal(
    db: DbDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    cookie: Annotated[str | None, Depends(_cookie)],
) -> Principal:
    """The caller, from the bearer token or else the cookie; 401 when neither is valid."""
    token = bearer.credentials if bearer is not None else cookie
    who = principal_for_token(db, token) if token else None
    if who is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing or unknown token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return who


def require(*roles: Role) -> Callable[..., Principal]:
    """A dependency that lets only ``roles`` through (403 otherwise, audited)."""
    allowed = ", ".join(str(r) for r in roles)

    def gate(
        request: Request, who: Annotated[Principal, Depends(get_principal)], service: ServiceDep
    ) -> Principal:
        if who.role not in roles:
            audit.record_now(
                service.sessions,
                who,
                f"{request.method} {request.url.path}",
                request.url.path,
                outcome="denied",
                detail=f"needs role {allowed}",
            )
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"this needs the role: {allowed}")
        return who

    return gate


# The roles of each gate, named once: pages ask these what to show; the gates enforce them.
OFFICER_ROLES = (Role.OFFICER,)
STAFF_ROLES = (Role.OFFICER, Role.FINANCE)

UserDep = Annotated[Principal, Depends(get_principal)]
OfficerDep = Annotated[Principal, Depends(require(*OFFICER_ROLES))]
StaffDep = Annotated[Principal, Depends(require(*STAFF_ROLES))]


MAX_ID = 2**31 - 1  # ids are 32-bit integers in every supported database
DatasetId = Annotated[int, Path(ge=1, le=MAX_ID, description="a dataset's id")]
JobId = Annotated[int, Path(ge=1, le=MAX_ID, description="a job's id")]
PlanId = Annotated[int, Path(ge=1, le=MAX_ID, description="a plan's id")]
DatasetFilter = Annotated[
    int | None, Query(ge=1, le=MAX_ID, description="only those of this dataset")
]
