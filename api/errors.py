"""One root exception type for the service; subclasses map to HTTP status codes here and nowhere else.

Services raise these (they know nothing of HTTP); `install` turns them into JSON responses
`{"detail": "...", "errors": [...]}`; `errors` is present when there is a list of specific problems.
A value the database cannot hold (sqlalchemy's DataError: a NUL byte in text on PostgreSQL, an integer out of
range) is the client's mistake too: 422 naming the parameter when it can be found, never a 500.
A write the database refuses for a unique or foreign key (another request took the id, or removed a row this
one refers to, between its checks and its commit) is a 409 naming the key and, where the database tells, the
values; a service wrapped in `checked_again` runs once more instead, so its own checks name what conflicts.
A database that cannot be reached or is busy (sqlalchemy's OperationalError and InterfaceError: a restart, a
dropped connection, SQLite's lock timeout; a pool with no free connection) is a 503 with Retry-After: the pool
replaces dead connections by itself, so a retry succeeds once the database is back.
`ErrorBody` documents these bodies (and FastAPI's own validation errors) in the OpenAPI schema.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Concatenate, ParamSpec, TypeVar

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session

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


def taken(what: str, value: str, *, field: str = "id") -> ConflictError:
    """A 409 for an id another row already has, naming it (loc, msg, type, input like a field error)."""
    message = f"{what} {value!r} already exists"
    return ConflictError(message, errors=[{"loc": ["body", field], "msg": message, "type": "conflict",
                                           "input": value}])


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


class ErrorBody(BaseModel):
    """Every error body of the service: a sentence (or FastAPI's list of validation errors) and, when there
    are several specific problems, `errors` (bad cells of an import, or items with loc/msg/type)."""

    detail: str | list[dict[str, Any]] = Field(description="what went wrong")
    errors: list[dict[str, Any]] | None = Field(
        default=None, description="each specific problem: {file, row, column, value, message} for an import, "
                                  "{loc, msg, type} for a request field, {location_id, part_id, have, asked} "
                                  "for stock that does not suffice, {table, columns, values, message} for "
                                  "a row another request wrote or removed meanwhile")


# the status codes every operation may answer with this body; 422 replaces FastAPI's narrower default
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorBody, "description": "a value is invalid (names the field, cell or parameter)"},
    503: {"model": ErrorBody, "description": "the database is unreachable for a moment: retry after the "
                                             "Retry-After seconds (a stock move with the same Idempotency-Key)"},
}

DB_RETRY_AFTER_S = 5  # about what a PostgreSQL restart or a fail-over takes

_INT_MAX = 2**31 - 1  # PostgreSQL INTEGER, the narrowest integer column a parameter is compared with


def _suspects(request: Request) -> list[tuple[str, str, str]]:
    """(where, name, value) of the parameters a database could refuse: NUL bytes, integers out of range."""
    found: list[tuple[str, str, str]] = []
    params = [("path", k, str(v)) for k, v in request.path_params.items()]
    params += [("query", k, v) for k, v in request.query_params.multi_items()]
    for where, name, value in params:
        has_nul = "\x00" in value or "\x00" in name
        too_big = value.lstrip("+-").isdigit() and abs(int(value)) > _INT_MAX
        if has_nul or too_big:
            found.append((where, name, value))
    return found


def _respond_data(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DataError)
    reason = str(exc.orig).splitlines()[0] if exc.orig is not None else "value not accepted"
    log.info("database refused a value of %s %s: %s", request.method, request.url.path, reason)
    suspects = _suspects(request)
    if suspects:
        errors = [{"loc": [where, name], "msg": "value cannot be stored or searched for (a NUL byte, or a "
                   "number out of range)", "type": "value_error", "input": value.replace("\x00", "\\x00")}
                  for where, name, value in suspects]
        detail = "invalid value of " + ", ".join(f"{where} parameter {name!r}" for where, name, _ in suspects)
    else:
        errors = [{"loc": ["body"], "msg": reason, "type": "value_error"}]
        detail = f"a value of the request cannot be stored: {reason}"
    return JSONResponse({"detail": detail, "errors": errors}, status_code=422)


AGAIN = 2  # runs again after a conflict
_P = ParamSpec("_P")
_T = TypeVar("_T")


@dataclass(frozen=True)
class Violation:
    """What a unique or foreign key refused: the table, the key's columns and, where the database tells
    (PostgreSQL always; SQLite only through a one-row INSERT's parameters), their values."""

    kind: str  # "unique" or "foreign key"
    table: str | None
    columns: tuple[str, ...]
    values: tuple[str, ...]

    def message(self) -> str:
        what = " ".join(p for p in (self.table, ", ".join(self.columns),
                                    ", ".join(repr(v) for v in self.values)) if p) or "a row"
        if self.kind == "unique":
            return f"{what} already exists: another request wrote it meanwhile"
        return f"{what}: a row it refers to does not exist (any more)"


_PG_KEY = re.compile(r"Key \((?P<cols>[^)]*)\)=\((?P<vals>.*)\) (?:already exists|is not present|is still referenced)")
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (?P<cols>.+)$")
_INSERT = re.compile(r"^\s*INSERT INTO \"?(?P<table>\w+)\"? \((?P<cols>[^)]*)\)", re.IGNORECASE)


def violation(exc: IntegrityError) -> Violation | None:
    """The unique or foreign-key violation `exc` reports; None for any other refusal (NOT NULL, CHECK: a bug
    of the service, not a conflict)."""
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate is not None:  # PostgreSQL
        if sqlstate not in ("23505", "23503"):
            return None
        diag = getattr(orig, "diag", None)
        found = _PG_KEY.search(getattr(diag, "message_detail", None) or "")
        columns = tuple(c.strip() for c in found["cols"].split(",")) if found else ()
        values = tuple(v.strip() for v in found["vals"].split(",")) if found else ()
        if len(values) != len(columns):
            values = (found["vals"],) if found else ()
        return Violation("unique" if sqlstate == "23505" else "foreign key", getattr(diag, "table_name", None),
                         columns, values)
    text = str(orig)
    if text.startswith("FOREIGN KEY constraint failed"):
        return Violation("foreign key", _inserted_table(exc), (), ())
    unique = _SQLITE_UNIQUE.match(text)
    if unique is None:
        return None
    qualified = [c.strip().split(".", 1) for c in unique["cols"].split(",")]
    table = qualified[0][0] if len(qualified[0]) == 2 else None
    columns = tuple(q[-1] for q in qualified)
    return Violation("unique", table, columns, _inserted_values(exc, table, columns))


def _inserted_table(exc: IntegrityError) -> str | None:
    found = _INSERT.match(exc.statement or "")
    return found["table"] if found else None


def _inserted_values(exc: IntegrityError, table: str | None, columns: tuple[str, ...]) -> tuple[str, ...]:
    """The key's values from the parameters of a one-row INSERT into `table` (SQLite's message has none)."""
    found = _INSERT.match(exc.statement or "")
    if found is None or found["table"] != table:
        return ()
    names = [c.strip().strip('"') for c in found["cols"].split(",")]
    params = exc.params
    row: Mapping[str, Any] | None = None
    if isinstance(params, Mapping):
        row = params
    elif isinstance(params, tuple) and len(params) == len(names):
        row = dict(zip(names, params, strict=True))
    if row is None or not all(c in row for c in columns):
        return ()
    return tuple(str(row[c]) for c in columns)


def conflict_of(exc: IntegrityError) -> ConflictError | None:
    """The 409 for a unique or foreign-key violation, naming the key and its values; None for other refusals."""
    found = violation(exc)
    if found is None:
        return None
    item = {"table": found.table, "columns": list(found.columns), "values": list(found.values),
            "message": found.message()}
    return ConflictError(found.message() + "; nothing was written, try again", errors=[item])


def checked_again(fn: Callable[Concatenate[Session, _P], _T]) -> Callable[Concatenate[Session, _P], _T]:
    """Run a service once more when the database refuses its write for a unique or foreign key.

    Its checks passed, then another request committed the same id (or removed a row it refers to) before its
    own commit. Everything is rolled back and the service runs again on what is now stored: its own checks
    then name what conflicts (a 409 or 422 of the service's, as for a request that came second), or it goes
    through when the other write did not really collide (a new customer two imports both named). Each run
    can lose to yet another concurrent writer; after AGAIN runs again the refusal is left to the handler: a
    409 naming the key."""

    @functools.wraps(fn)
    def run(session: Session, /, *args: _P.args, **kwargs: _P.kwargs) -> _T:
        for _ in range(AGAIN):
            try:
                return fn(session, *args, **kwargs)
            except IntegrityError as e:
                if violation(e) is None:
                    raise
                session.rollback()
                log.info("%s: %s; running it again", fn.__qualname__, str(e.orig).splitlines()[0])
        return fn(session, *args, **kwargs)

    return run


def _respond_integrity(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, IntegrityError)
    conflict = conflict_of(exc)
    if conflict is None:  # NOT NULL, CHECK: a bug (the service let through what it should refuse), a 500
        raise exc
    log.info("conflict on %s %s: %s", request.method, request.url.path, conflict.detail)
    return error_response(conflict)


def _respond_unavailable(request: Request, exc: Exception) -> JSONResponse:
    # nothing committed, except in the rare loss of the connection during COMMIT itself: hence the advice to
    # retry a stock move with its Idempotency-Key
    assert isinstance(exc, OperationalError | InterfaceError | PoolTimeoutError)
    orig = getattr(exc, "orig", None)
    reason = (str(orig) if orig is not None else str(exc)).strip().splitlines()
    log.warning("database unavailable for %s %s: %s", request.method, request.url.path,
                reason[0] if reason else type(exc).__name__)
    return JSONResponse({"detail": f"the database is unavailable for a moment; retry in {DB_RETRY_AFTER_S} s"},
                        status_code=503, headers={"Retry-After": str(DB_RETRY_AFTER_S)})


def error_response(exc: ApiError) -> JSONResponse:
    """The response to `exc`: its status code and headers, and the body every error of the service has."""
    body: dict[str, Any] = {"detail": exc.detail}
    if exc.errors is not None:
        body["errors"] = exc.errors
    if exc.status_code >= 500:
        log.error("server error: %s", exc.detail)
    return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


def _respond(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc)


def _respond_input(_request: Request, exc: Exception) -> JSONResponse:
    # dispatch's own bad-input error, should one escape a service: every bad cell, as a 422
    assert isinstance(exc, InputError)
    errors = [{"file": e.file, "row": e.row, "column": e.column, "value": e.value, "message": e.message}
              for e in exc.errors]
    return JSONResponse({"detail": f"{len(errors)} bad input(s)", "errors": errors}, status_code=422)


def install(app: FastAPI) -> None:
    """Map the service's errors to responses and document their body; call before routers are included."""
    app.router.responses.update(ERROR_RESPONSES)  # every route included afterwards inherits them
    app.add_exception_handler(ApiError, _respond)
    app.add_exception_handler(InputError, _respond_input)
    app.add_exception_handler(DataError, _respond_data)
    app.add_exception_handler(IntegrityError, _respond_integrity)
    for unavailable in (OperationalError, InterfaceError, PoolTimeoutError):
        app.add_exception_handler(unavailable, _respond_unavailable)
