"""Signing in and out: a form that puts the user's token in the ``send_routes_token`` cookie.

The cookie is HttpOnly (no script reads it) and SameSite=Strict (no other site's page can make the
browser send it), and Secure when the service is reached over HTTPS. The token is checked by the
API's own :func:`api.auth.principal_for_token` before the cookie is set.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response, status
from fastapi.responses import HTMLResponse, RedirectResponse

from api.auth import principal_for_token
from api.deps import TOKEN_COOKIE, DbDep
from api.web.render import PageRoute, check_csrf, render, safe_next, same_origin, see_other

router = APIRouter(route_class=PageRoute, include_in_schema=False)
SESSION_S = 10 * 3600  # a working day; closing the browser does not sign out before it ends


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/", signed_out: bool = False) -> HTMLResponse:
    """The sign-in form."""
    return render(
        request, "login.html", None, next=safe_next(next), signed_out=signed_out, error=None
    )


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    db: DbDep,
    token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Check the token and keep it in the session cookie; back to the sign-in form if unknown."""
    target = safe_next(next)
    token = token.strip()
    if not same_origin(request):
        error = "This sign-in form was sent from another site. Open this page and sign in here."
    elif not token or principal_for_token(db, token) is None:
        error = "That token is not recognised. Check it, or ask for a new one."
    else:
        response = see_other(target)
        response.set_cookie(
            TOKEN_COOKIE,
            token,
            max_age=SESSION_S,
            path="/",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return response
    return render(
        request,
        "login.html",
        None,
        status.HTTP_401_UNAUTHORIZED,
        next=target,
        signed_out=False,
        error=error,
    )


@router.post("/logout")
def logout(request: Request, csrf_token: Annotated[str | None, Form()] = None) -> RedirectResponse:
    """Forget the session cookie (a session already ended just goes to the sign-in form)."""
    if request.cookies.get(TOKEN_COOKIE):
        check_csrf(request, csrf_token)
    response = see_other("/login?signed_out=true")
    response.delete_cookie(TOKEN_COOKIE, path="/", httponly=True, samesite="strict")
    return response
