"""Typed request dependencies: the service state, a database session, and who is calling.

A caller authenticates with ``Authorization: Bearer <token>``; a browser signed in through the
sign-in page sends its session in the ``send_routes_token`` cookie instead. A state-changing
request authenticated by the cookie must come from this site and carry the session's CSRF token
(:mod:`api.csrf`).

Every refusal (401, 403, 404) is written to the audit log through the request's own database
session, after its work is rolled back: a request never holds two pooled connections, so any
number of refused requests at once cannot starve the pool.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Query, Request, status
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from api import audit
from api.auth import Principal, Role, principal_for_session, principal_for_token
from api.csrf import CSRF_HEADER, SAFE_METHODS, same_origin, token_matches
from api.refusals import Forbidden, NotFound
from api.service import Service

TOKEN_COOKIE = "send_routes_token"
PAGE_SCOPE_KEY = "send_routes.page"  # set by page routes, whose forms carry the CSRF token
PRINCIPAL_SCOPE_KEY = "send_routes.principal"
REFUSAL_SCOPE_KEY = "send_routes.refusal"  # a page's refusal, for get_db to audit
REFUSALS = {401: "unauthenticated", 403: "denied", 404: "not found", 429: "rate limited"}

_bearer = HTTPBearer(auto_error=False, description="The token printed by `send-routes users add`.")
_cookie = APIKeyCookie(
    name=TOKEN_COOKIE, auto_error=False, description="The same token, for browser pages."
)


def get_service(request: Request) -> Service:
    return request.app.state.service


ServiceDep = Annotated[Service, Depends(get_service)]


def _refusal(exc: BaseException) -> tuple[int, str] | None:
    """The status and sentence of a refusal worth auditing, or ``None``."""
    if isinstance(exc, HTTPException) and exc.status_code in REFUSALS:
        return exc.status_code, str(exc.detail)
    if isinstance(exc, NotFound):
        return 404, str(exc)
    if isinstance(exc, Forbidden):
        return 403, str(exc)
    return None


def _audit_refusal(db: Session, request: Request, code: int, sentence: str) -> None:
    db.rollback()
    who = request.scope.get(PRINCIPAL_SCOPE_KEY)
    audit.record(
        db,
        who,
        f"{request.method} {request.url.path}",
        request.url.path,
        outcome=REFUSALS[code],
        detail=sentence,
        name=None if who else "(unknown)",
    )
    db.commit()


def note_page_refusal(request: Request, exc: BaseException) -> None:
    """A page turned ``exc`` into an error page (so it never reaches :func:`get_db`): have the
    request's session audit it as the API's refusals are."""
    refusal = _refusal(exc)
    if refusal is not None:
        request.scope[REFUSAL_SCOPE_KEY] = refusal


def get_db(request: Request, service: ServiceDep) -> Iterator[Session]:
    """The request's database session; a refusal raised while it is open, or made into an error
    page, is audited in it."""
    with service.sessions() as db:
        try:
            yield db
        except Exception as exc:
            refusal = _refusal(exc)
            if refusal is not None:
                _audit_refusal(db, request, *refusal)
            raise
        else:
            refusal = request.scope.pop(REFUSAL_SCOPE_KEY, None)
            if refusal is not None:
                _audit_refusal(db, request, *refusal)


DbDep = Annotated[Session, Depends(get_db)]


def _check_cookie_request(request: Request, secret: str) -> None:
    """A state-changing request on the session cookie: from this site, with the CSRF token."""
    if request.method in SAFE_METHODS:
        return
    if not same_origin(request):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this request was sent from another site")
    if request.scope.get(PAGE_SCOPE_KEY):
        return  # a page's form: its handler checks the token in the form
    if not token_matches(request.headers.get(CSRF_HEADER), secret):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "a request on the session cookie that changes anything needs the X-CSRF-Token header",
        )


def _bearer_principal(
    request: Request, service: Service, db: Session, token: str
) -> Principal | None:
    """The holder of a bearer token, or ``None``; a source address with too many failed tokens
    lately is refused (429) before its token is even looked up, as failed sign-ins are."""
    source = request.client.host if request.client else ""
    wait_s = service.token_failures.retry_after_s(source)
    if wait_s:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"too many unknown tokens from this address: try again in {wait_s} seconds",
            headers={"Retry-After": str(wait_s)},
        )
    who = principal_for_token(db, token)
    if who is None:
        service.token_failures.failed(source)
    return who


def get_principal(
    request: Request,
    service: ServiceDep,
    db: DbDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    cookie: Annotated[str | None, Depends(_cookie)],
) -> Principal:
    """The caller, from the bearer token or else the session cookie; 401 when neither is valid,
    429 from an address that sent too many unknown bearer tokens lately."""
    if bearer is not None:
        who = _bearer_principal(request, service, db, bearer.credentials)
    elif cookie:
        who = principal_for_session(db, cookie)
    else:
        who = None
    if who is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "unknown, expired or revoked token" if bearer or cookie else "no token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    request.scope[PRINCIPAL_SCOPE_KEY] = who
    if bearer is None and cookie:
        _check_cookie_request(request, cookie)
    return who


def require(*roles: Role) -> Callable[..., Principal]:
    """A dependency that lets only ``roles`` through (403 otherwise, audited by :func:`get_db`)."""
    allowed = ", ".join(str(r) for r in roles)

    def gate(who: Annotated[Principal, Depends(get_principal)]) -> Principal:
        if who.role not in roles:
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
