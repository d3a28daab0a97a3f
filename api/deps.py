"""Dependencies of the views as Annotated aliases: SessionDep, SettingsDep, CurrentUser, role guards, and what
the app's lifespan owns (EngineDep, SessionFactoryDep, PlanRunnerDep) or a test may replace (PlanSolveDep).

This is the one module that reads `app.state`; views take these aliases instead.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.routing import APIRoute
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import Engine

from api.auth import service as auth_service
from api.auth.models import Role, User
from api.auth.security import decode_access_token
from api.config import Settings
from api.db import Session, SessionFactory, close_quietly, end_read
from api.errors import ForbiddenError, UnauthorizedError
from api.jobs import JobRunner
from api.live.clock import local_now
from api.plans import solving

API_PREFIX = "/api/v1"
TOKEN_URL = f"{API_PREFIX}/auth/token"


async def _settings(request: Request) -> Settings:  # async: no thread-pool hop for an attribute read
    return request.app.state.settings


def _session(request: Request) -> Iterator[Session]:
    # one session per request; services commit their one transaction, anything left open is rolled back
    session = request.app.state.sessionmaker()
    try:
        yield session
    finally:
        close_quietly(session)


# async: attribute reads, no thread-pool hop (the route pull's hot path takes the engine and the factory)
async def _engine(request: Request) -> Engine:
    return request.app.state.engine


async def _session_factory(request: Request) -> SessionFactory:
    return request.app.state.sessionmaker


async def plan_runner(request: Request) -> JobRunner:
    """The app's job runner of plan jobs (its lifespan starts and stops it); tests may override it."""
    return request.app.state.plan_runner


async def plan_solve() -> solving.Solve:
    """The computation of a plan job; tests override it (`app.dependency_overrides[plan_solve]`)."""
    return solving.solve


async def service_now(request: Request) -> datetime:
    """The service's clock: naive local time of its area to the second. Tests that drive clocks (complaint
    deadlines, follow-up calls) override this dependency (`app.dependency_overrides[service_now]`)."""
    return local_now(request.app.state.settings.zone)


SettingsDep = Annotated[Settings, Depends(_settings)]
NowDep = Annotated[datetime, Depends(service_now)]
SessionDep = Annotated[Session, Depends(_session)]
EngineDep = Annotated[Engine, Depends(_engine)]
SessionFactoryDep = Annotated[SessionFactory, Depends(_session_factory)]
PlanRunnerDep = Annotated[JobRunner, Depends(plan_runner)]
PlanSolveDep = Annotated[solving.Solve, Depends(plan_solve)]
TokenDep = Annotated[str, Depends(OAuth2PasswordBearer(tokenUrl=TOKEN_URL))]


NO_USER = "the user of this token does not exist or is inactive"


def token_user_id(token: str, settings: Settings) -> int:
    """The user id a valid token names (401 otherwise); the caller still checks that user is active."""
    subject = decode_access_token(token, secret_key=settings.secret_key)
    if not subject.isdigit():
        raise UnauthorizedError(NO_USER)
    return int(subject)


def _current_user(session: SessionDep, settings: SettingsDep, token: TokenDep) -> User:
    user = auth_service.get(session, user_id=token_user_id(token, settings))
    end_read(session)  # the request next waits for a thread to run its view: not while holding a connection
    if user is None or not user.is_active:
        raise UnauthorizedError(NO_USER)
    return user


CurrentUser = Annotated[User, Depends(_current_user)]


def allow(*roles: Role) -> Any:
    """A dependency that lets only `roles` through (403 otherwise) and returns the user."""
    names = {r.value for r in roles}

    def check(user: CurrentUser) -> User:
        if user.role not in names:
            raise ForbiddenError(f"role {user.role} may not do this (allowed: {', '.join(sorted(names))})")
        return user

    return Depends(check)


# Who may do what, named once; views take one of these instead of CurrentUser.
D, T, S, P, V = Role.dispatcher, Role.technician, Role.storekeeper, Role.planner, Role.supervisor
AnyRole = Annotated[User, allow(D, T, S, P, V)]
Staff = Annotated[User, allow(D, S, P, V)]  # everyone but technicians: sees all technicians' data
Dispatcher = Annotated[User, allow(D)]
# the service standards: complaints, alerts and follow-up calls are handled by a supervisor or a dispatcher
Supervising = Annotated[User, allow(D, V)]
# the report's figures (costs included): supervisors, dispatchers and planners
ReportReader = Annotated[User, allow(D, V, P)]
Storekeeper = Annotated[User, allow(S)]


def technician_scope(user: User) -> str | None:
    """The technician id a user is limited to (object-level authorization), None for staff."""
    return user.technician_id if user.role == Role.technician.value else None


class SessionRoute(APIRoute):
    """The route class of every router: a sync view's read-only transaction ends when the view returns.

    FastAPI validates a sync view's response in another thread-pool job. Holding a connection while waiting
    for that thread, a burst of requests larger than the pool held every connection while every thread
    waited for one, until the pool's timeout answered 503s (seen with 50 requests at once on one worker).
    """

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, _ending_reads(endpoint), **kwargs)


def _ending_reads(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    if inspect.iscoroutinefunction(endpoint):  # an async view's response is validated on the event loop
        return endpoint

    @functools.wraps(endpoint)
    def run(*args: Any, **kwargs: Any) -> Any:
        result = endpoint(*args, **kwargs)
        for value in kwargs.values():
            if isinstance(value, Session):
                end_read(value)
        return result

    return run
