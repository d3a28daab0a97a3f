"""Login (OAuth2 password flow, JWT bearer tokens) and the caller's own user."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm

from api.auth import service
from api.auth.schemas import Token, UserRead, UserUpdateMe
from api.auth.security import create_access_token
from api.deps import CurrentUser, SessionDep, SettingsDep

router = APIRouter(tags=["auth"])


@router.post("/auth/token", response_model=Token)
def login(session: SessionDep, settings: SettingsDep,
          form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> Token:
    """Trade a user name and password for a bearer token; repeated failures of one name get 429."""
    now = datetime.now(UTC)
    user = service.authenticate(session, username=form.username[:64], password=form.password[:128],
                                now=now.replace(tzinfo=None), max_failures=settings.login_max_failures,
                                window=timedelta(seconds=settings.login_window_seconds))
    token = create_access_token(subject=str(user.id), role=user.role, secret_key=settings.secret_key,
                                minutes=settings.access_token_minutes, now=now)
    return Token(access_token=token)


@router.get("/users/me", response_model=UserRead)
def read_me(user: CurrentUser) -> UserRead:
    return UserRead.model_validate(user)


@router.patch("/users/me", response_model=UserRead)
def update_me(session: SessionDep, user: CurrentUser, body: UserUpdateMe) -> UserRead:
    """Change one's own name or password; role and technician are not fields here."""
    return UserRead.model_validate(service.update_me(session, user=user, data=body))
