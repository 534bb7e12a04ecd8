"""How errors become responses: every one is ``{"detail": ..., "problems": [...]}``.

``InputError`` and ``PlanFormatError`` -> 422 with each problem's file, row and column;
``UnreachableLocationError`` and unanswerable requests -> 422; ``InfeasibleError`` and conflicts
-> 409; refusals past the role gates -> 403; unknown ids -> 404; a body over the size limit -> 413;
a locked or unreachable database -> 503 with ``Retry-After``.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.refusals import Conflict, Forbidden, NotFound, Unprocessable
from optimiser.domain.errors import (
    InfeasibleError,
    InputError,
    PlanFormatError,
    SendRoutesError,
    UnreachableLocationError,
)


def _error(code: int, detail: str, problems: list[dict] | None = None) -> JSONResponse:
    return JSONResponse(
        status_code=code, content=jsonable_encoder({"detail": detail, "problems": problems or []})
    )


MAX_PROBLEMS = 200  # problems listed in one reply; the rest are counted


def capped(problems: list[Any]) -> tuple[list[Any], int]:
    """The first :data:`MAX_PROBLEMS` problems and how many more there are."""
    return problems[:MAX_PROBLEMS], max(0, len(problems) - MAX_PROBLEMS)


def _input_error(_: Request, exc: InputError) -> JSONResponse:
    shown, more = capped(exc.problems)
    problems = [
        {"file": p.file, "row": p.row, "column": p.column, "message": p.message} for p in shown
    ]
    n = len(exc.problems)
    detail = f"{n:,} problem{'s' if n != 1 else ''} in the input"
    if more:
        detail += f" (the first {MAX_PROBLEMS} are listed)"
        problems.append(
            {"file": "(upload)", "row": None, "column": None, "message": f"and {more:,} more"}
        )
    return _error(422, detail, problems)


def _plan_format_error(_: Request, exc: PlanFormatError) -> JSONResponse:
    problems = [{"file": "plan", "row": None, "column": None, "message": p} for p in exc.problems]
    return _error(422, "the plan is not valid", problems)


def _unreachable(_: Request, exc: UnreachableLocationError) -> JSONResponse:
    problems = [
        {"file": "road network", "row": None, "column": None, "message": f"{a} cannot be reached"}
        for a in exc.affected
    ]
    return _error(422, str(exc), problems)


def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
    response = _error(exc.status_code, str(exc.detail))
    response.headers.update(exc.headers or {})
    return response


def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
    problems = []
    for e in exc.errors():
        loc = [str(x) for x in e.get("loc", ())]
        problems.append(
            {
                "file": loc[0] if loc else "request",
                "row": None,
                "column": ".".join(loc[1:]) or None,
                "message": e.get("msg", "invalid"),
            }
        )
    return _error(422, "the request is not valid", problems)


BUSY_RETRY_AFTER_S = 5


def _busy(_: Request, _exc: OperationalError) -> JSONResponse:
    """The database is locked (a backup) or unreachable: try again, not a defect."""
    response = _error(
        status.HTTP_503_SERVICE_UNAVAILABLE, "the database is busy: try again in a few seconds"
    )
    response.headers["Retry-After"] = str(BUSY_RETRY_AFTER_S)
    return response


def install(app: FastAPI) -> None:
    """Register the handlers that map the project's errors to status codes."""
    app.add_exception_handler(InputError, _input_error)
    app.add_exception_handler(PlanFormatError, _plan_format_error)
    app.add_exception_handler(UnreachableLocationError, _unreachable)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(NotFound, lambda _r, e: _error(404, str(e)))
    app.add_exception_handler(Forbidden, lambda _r, e: _error(403, str(e)))
    app.add_exception_handler(Unprocessable, lambda _r, e: _error(422, str(e)))
    app.add_exception_handler(Conflict, lambda _r, e: _error(409, str(e)))
    app.add_exception_handler(InfeasibleError, lambda _r, e: _error(409, str(e)))
    app.add_exception_handler(SendRoutesError, lambda _r, e: _error(422, str(e)))
    app.add_exception_handler(OperationalError, _busy)


class _TooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """Refuse request bodies over ``max_bytes`` with 413, whether declared or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        seen = 0
        too_large = False
        started = False

        async def limited_receive() -> Message:
            nonlocal seen, too_large
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    too_large = True
                    raise _TooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if too_large:
                return  # the 413 below replaces whatever the app made of the cut-off body
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except _TooLarge:
            pass
        if too_large and not started:
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        response = _error(
            status.HTTP_413_CONTENT_TOO_LARGE,
            f"the upload is larger than the limit of {self.max_bytes:,} bytes",
        )
        await send(
            {
                "type": "http.response.start",
                "status": response.status_code,
                "headers": response.raw_headers,
            }
        )
        await send({"type": "http.response.body", "body": response.body})
