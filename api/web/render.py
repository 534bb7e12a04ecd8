"""How pages are made: templates, the signed-in user's context, CSRF tokens, and errors as pages.

Pages run on the API's own dependencies and service functions; :class:`PageRoute` only turns what
those raise into something a person can read: no token sends them to the sign-in form, a refusal
or an unknown id becomes a page saying so, with the API's own sentence.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
from fastapi import HTTPException, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates

from api.auth import Principal
from api.csrf import csrf_token, same_origin, token_matches
from api.deps import (
    OFFICER_ROLES,
    PAGE_SCOPE_KEY,
    STAFF_ROLES,
    TOKEN_COOKIE,
    note_page_refusal,
)
from api.refusals import Conflict, Forbidden, NotFound, Unprocessable
from optimiser.domain.errors import SendRoutesError

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
ASSETS_PREFIX = "/assets"
CSRF_FIELD = "csrf_token"

# Pages load nothing but this service's own files; no inline script; only our map in a frame.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def gbp(value: float | int | None, pence: bool = False) -> str:
    """``£1,234.56`` (from pounds, or from pence when ``pence``); an en dash for nothing."""
    if value is None:
        return "–"
    pounds = value / 100 if pence else value
    sign = "−" if pounds < 0 else ""
    return f"{sign}£{abs(pounds):,.2f}"


def number(value: float | int | None, digits: int = 0) -> str:
    """A number with thousands separators and ``digits`` decimals; an en dash for nothing."""
    if value is None:
        return "–"
    return f"{value:,.{digits}f}"


def _local_zone() -> tzinfo:
    try:
        return ZoneInfo("Europe/London")
    except ZoneInfoNotFoundError:  # a machine without a time zone database
        return UTC


LOCAL = _local_zone()


def when(moment: datetime | None) -> str:
    """A timestamp in UK time, e.g. ``3 Sep 2026, 14:05``."""
    if moment is None:
        return "–"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(LOCAL)
    return f"{local.day} {local:%b %Y, %H:%M}"


def day(value: date | None) -> str:
    """A date as ``6 Jan 2027``; an en dash for nothing."""
    return "–" if value is None else f"{value.day} {value:%b %Y}"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["gbp"] = gbp
    env.filters["number"] = number
    env.filters["when"] = when
    env.filters["day"] = day
    env.globals["assets"] = ASSETS_PREFIX
    env.globals["csrf_field"] = CSRF_FIELD
    return env


templates = Jinja2Templates(env=_environment())


def check_csrf(request: Request, submitted: str | None) -> None:
    """Refuse (403) a form post that is cross-site or lacks this session's CSRF token.

    A request authenticated by a bearer header needs no token: a browser never adds one by
    itself.
    """
    if not same_origin(request):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this form was sent from another site")
    if request.headers.get("authorization", "").lower().startswith("bearer "):
        return
    session = request.cookies.get(TOKEN_COOKIE) or ""
    if not session or not token_matches(submitted, session):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "the form has expired: open the page again and resend it"
        )


def render(
    request: Request,
    template: str,
    who: Principal | None,
    status_code: int = 200,
    /,
    **context: Any,
) -> HTMLResponse:
    """A page from ``template`` with the user, their role's reach and a CSRF token."""
    session = request.cookies.get(TOKEN_COOKIE)
    context.update(
        who=who,
        is_officer=who is not None and who.role in OFFICER_ROLES,
        is_staff=who is not None and who.role in STAFF_ROLES,
        csrf=csrf_token(session) if session else "",
        path=request.url.path,
    )
    response = templates.TemplateResponse(request, template, context, status_code=status_code)
    response.headers.update(SECURITY_HEADERS)
    return response


def see_other(url: str) -> RedirectResponse:
    """After a form post: go to ``url`` with GET (so a reload never sends the form again)."""
    return RedirectResponse(url, status_code=status.HTTP_303_SEE_OTHER)


def safe_next(target: str | None) -> str:
    """A place on this site to return to after signing in (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


ERROR_TITLES = {
    403: "You cannot see this page",
    404: "Page not found",
    409: "This cannot be done now",
    413: "The upload is too large",
    422: "Something in the request is not valid",
}


def error_page(request: Request, status_code: int, message: str) -> HTMLResponse:
    """An error as a page: a title for the status and the API's own sentence."""
    title = ERROR_TITLES.get(status_code, "Something went wrong")
    return render(request, "error.html", None, status_code, title=title, message=message)


class PageRoute(APIRoute):
    """A route whose errors are pages: 401 goes to sign-in, others say what went wrong."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            request.scope[PAGE_SCOPE_KEY] = True  # its forms carry the CSRF token themselves
            try:
                return await handler(request)
            except (HTTPException, NotFound, Forbidden) as exc:
                note_page_refusal(request, exc)  # audited like the API's refusals
                return _refusal_page(request, exc)
            except Unprocessable as exc:
                return error_page(request, 422, str(exc))
            except Conflict as exc:
                return error_page(request, 409, str(exc))
            except RequestValidationError:
                return error_page(request, 422, "the address or form is not valid")
            except SendRoutesError as exc:
                return error_page(request, 422, str(exc))

        return page_handler


def _refusal_page(request: Request, exc: HTTPException | NotFound | Forbidden) -> Response:
    """No token sends a person to sign in; other refusals are pages saying why."""
    if isinstance(exc, HTTPException):
        if exc.status_code == status.HTTP_401_UNAUTHORIZED:
            back = quote(safe_next(request.url.path), safe="/")
            return see_other(f"/login?next={back}")
        return error_page(request, exc.status_code, str(exc.detail))
    return error_page(request, 404 if isinstance(exc, NotFound) else 403, str(exc))
