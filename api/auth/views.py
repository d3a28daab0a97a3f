"""Login (OAuth2 password flow, JWT bearer tokens) and the caller's own user."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from api.auth import service
from api.auth.schemas import Token, UserRead, UserUpdateMe
from api.auth.security import create_access_token
from api.deps import CurrentUser, SessionDep, SessionRoute, SettingsDep

router = APIRouter(route_class=SessionRoute, tags=["auth"])


def _now() -> datetime:
    return datetime.now(UTC)


async def login_clock() -> Callable[[], datetime]:
    """The clock of the login back-off and of token issue times (UTC); tests override it."""
    return _now


ClockDep = Annotated[Callable[[], datetime], Depends(login_clock)]


@router.post("/auth/token", response_model=Token)
def login(request: Request, session: SessionDep, settings: SettingsDep, clock: ClockDep,
          form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> Token:
    """Trade a user name and password for a bearer token that lasts `TOKEN_HOURS`; repeated failures slow down
    the client that sends them (429 with Retry-After), never the user's sign-in from elsewhere."""
    now = clock()
    backoff = service.Backoff(free_failures=settings.login_free_failures,
                              first_delay=timedelta(seconds=settings.login_backoff_seconds),
                              max_delay=timedelta(seconds=settings.login_backoff_max_seconds),
                              window=timedelta(seconds=settings.login_window_seconds),
                              address_free_failures=settings.login_address_free_failures)
    # the peer's address; behind a reverse proxy run uvicorn with --proxy-headers so this is the real client
    client = request.client.host if request.client else "unknown"
    user = service.authenticate(session, username=form.username[:64], password=form.password[:128],
                                client=client, now=now.astimezone(UTC).replace(tzinfo=None), backoff=backoff)
    token = create_access_token(subject=str(user.id), role=user.role, secret_key=settings.secret_key,
                                minutes=settings.token_minutes, now=now)
    return Token(access_token=token)


@router.get("/users/me", response_model=UserRead)
def read_me(user: CurrentUser) -> UserRead:
    return UserRead.model_validate(user)


@router.patch("/users/me", response_model=UserRead)
def update_me(session: SessionDep, user: CurrentUser, body: UserUpdateMe) -> UserRead:
    """Change one's own name or password; role and technician are not fields here."""
    return UserRead.model_validate(service.update_me(session, user=user, data=body))
