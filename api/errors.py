"""One root exception type for the service; subclasses map to HTTP status codes here and nowhere else.

Services raise these (they know nothing of HTTP); `install` turns them into JSON responses
`{"detail": "...", "errors": [...]}`; `errors` is present when there is a list of specific problems.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from dispatch.errors import InputError

log = logging.getLogger(__name__)


class ApiError(Exception):
    """Root of every error the service reports to a client."""

    status_code: ClassVar[int] = 400

    def __init__(self, detail: str, *, errors: Sequence[dict[str, Any]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors) if errors is not None else None
        self.headers: dict[str, str] | None = None


class NotFoundError(ApiError):
    status_code = 404


class ForbiddenError(ApiError):
    status_code = 403


class UnauthorizedError(ApiError):
    status_code = 401
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.headers = {"WWW-Authenticate": "Bearer"}


class ConflictError(ApiError):
    status_code = 409


class InvalidInputError(ApiError):
    """A value that passes the schema but breaks a rule (a domain ValueError, an unknown reference)."""

    status_code = 422


class PayloadTooLargeError(ApiError):
    status_code = 413


class TooManyAttemptsError(ApiError):
    status_code = 429

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.headers = {"Retry-After": str(max(1, retry_after))}


def field_error(field: str, message: str, value: Any = None) -> InvalidInputError:
    """A 422 naming one field, shaped like FastAPI's own validation errors (loc, msg, type)."""
    item: dict[str, Any] = {"loc": ["body", field], "msg": message, "type": "value_error"}
    if value is not None:
        item["input"] = value
    return InvalidInputError(f"{field}: {message}", errors=[item])


def _respond(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    body: dict[str, Any] = {"detail": exc.detail}
    if exc.errors is not None:
        body["errors"] = exc.errors
    if exc.status_code >= 500:
        log.error("server error: %s", exc.detail)
    return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


def _respond_input(_request: Request, exc: Exception) -> JSONResponse:
    # dispatch's own bad-input error, should one escape a service: every bad cell, as a 422
    assert isinstance(exc, InputError)
    errors = [{"file": e.file, "row": e.row, "column": e.column, "value": e.value, "message": e.message}
              for e in exc.errors]
    return JSONResponse({"detail": f"{len(errors)} bad input(s)", "errors": errors}, status_code=422)


def install(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _respond)
    app.add_exception_handler(InputError, _respond_input)
