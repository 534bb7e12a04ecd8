"""Signing in and out: a form that starts a server-side session kept in the ``send_routes_token``
cookie.

The cookie holds a random session secret (never the user's token), is HttpOnly (no script reads
it) and SameSite=Strict (no other site's page can make the browser send it), and Secure when the
service is reached over HTTPS. Signing out deletes the session, so a copied cookie dies with it;
a session also ends after a working day, and when its user is disabled or given a new token.
Sign-ins, good and bad, are audited, and failed ones are limited per client address.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response, status
from fastapi.responses import HTMLResponse, RedirectResponse

from api import audit
from api.auth import (
    SESSION_S,
    end_session,
    principal_for_session,
    principal_for_token,
    start_session,
)
from api.deps import TOKEN_COOKIE, DbDep, ServiceDep
from api.web.render import PageRoute, check_csrf, render, safe_next, same_origin, see_other

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/", signed_out: bool = False) -> HTMLResponse:
    """The sign-in form."""
    return render(
        request, "login.html", None, next=safe_next(next), signed_out=signed_out, error=None
    )


def _client(request: Request) -> str:
    return request.client.host if request.client else ""


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    db: DbDep,
    service: ServiceDep,
    token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Check the token and start a session; back to the sign-in form if unknown."""
    target = safe_next(next)
    token = token.strip()
    wait_s = service.signin_failures.retry_after_s(_client(request))
    who = None
    code = status.HTTP_401_UNAUTHORIZED
    if wait_s:
        error = f"Too many failed sign-ins from this address: try again in {wait_s} seconds."
        code = status.HTTP_429_TOO_MANY_REQUESTS
        audit.record(
            db, None, "signin", "/login", outcome="denied", detail="rate limited", name="(unknown)"
        )
    elif not same_origin(request):
        error = "This sign-in form was sent from another site. Open this page and sign in here."
        audit.record(
            db,
            None,
            "signin",
            "/login",
            outcome="denied",
            detail="cross-site form",
            name="(unknown)",
        )
    elif not token or (who := principal_for_token(db, token)) is None:
        error = "That token is not recognised. Check it, or ask for a new one."
        service.signin_failures.failed(_client(request))
        audit.record(
            db, None, "signin", "/login", outcome="denied", detail="unknown token", name="(unknown)"
        )
    else:
        secret = start_session(db, who.user_id)
        audit.record(db, who, "signin", "/login")
        db.commit()
        response = see_other(target)
        response.set_cookie(
            TOKEN_COOKIE,
            secret,
            max_age=SESSION_S,
            path="/",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return response
    db.commit()
    page = render(request, "login.html", None, code, next=target, signed_out=False, error=error)
    if wait_s:
        page.headers["Retry-After"] = str(wait_s)
    return page


@router.post("/logout")
def logout(
    request: Request, db: DbDep, csrf_token: Annotated[str | None, Form()] = None
) -> RedirectResponse:
    """End the session (on the server, not only in this browser) and forget the cookie."""
    secret = request.cookies.get(TOKEN_COOKIE)
    if secret:
        check_csrf(request, csrf_token)

        who = principal_for_session(db, secret)
        end_session(db, secret)
        if who is not None:
            audit.record(db, who, "signout", "/logout")
        db.commit()
    response = see_other("/login?signed_out=true")
    response.delete_cookie(TOKEN_COOKIE, path="/", httponly=True, samesite="strict")
    return response
