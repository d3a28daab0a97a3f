"""Users and logins: plain functions over a Session, keyword-only, no HTTP."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from api.auth.models import LoginFailure, Role, User
from api.auth.schemas import UserCreate, UserUpdateMe
from api.auth.security import hash_password, verify_password
from api.errors import ConflictError, TooManyAttemptsError, UnauthorizedError, field_error

log = logging.getLogger(__name__)


def _key(username: str) -> str:
    return username.strip().lower()


def get(session: Session, *, user_id: int) -> User | None:
    return session.get(User, user_id)


def get_by_username(session: Session, *, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == _key(username)))


def create(session: Session, *, data: UserCreate) -> User:
    from api.technicians.models import Technician

    if data.role == Role.technician:
        if data.technician_id is None:
            raise field_error("technician_id", "a technician user must be linked to a technician")
        if session.get(Technician, data.technician_id) is None:
            raise field_error("technician_id", f"technician {data.technician_id!r} does not exist",
                              data.technician_id)
        if session.scalar(select(User.id).where(User.technician_id == data.technician_id)) is not None:
            raise ConflictError(f"technician {data.technician_id!r} already has a user")
    elif data.technician_id is not None:
        raise field_error("technician_id", f"only technician users are linked to a technician, not {data.role}",
                          data.technician_id)
    if get_by_username(session, username=data.username) is not None:
        raise ConflictError(f"username {_key(data.username)!r} is taken")
    user = User(username=_key(data.username), full_name=data.full_name, role=data.role.value,
                technician_id=data.technician_id, hashed_password=hash_password(data.password))
    session.add(user)
    session.commit()
    log.info("user %s created with role %s", user.username, user.role)
    return user


def update_me(session: Session, *, user: User, data: UserUpdateMe) -> User:
    changes = data.model_dump(exclude_unset=True)
    if "full_name" in changes:
        user.full_name = changes["full_name"]
    if changes.get("password"):
        user.hashed_password = hash_password(changes["password"])
    session.commit()
    return user


def authenticate(session: Session, *, username: str, password: str, now: datetime,
                 max_failures: int, window: timedelta) -> User:
    """The active user with this name and password; failed tries are recorded and throttled per name.

    After `max_failures` failures inside `window` the name is refused without checking the password until
    the oldest of them leaves the window, so guessing costs time even with the right password.
    """
    key = _key(username)
    since = now - window
    recent = session.execute(
        select(func.count(), func.min(LoginFailure.at))
        .where(LoginFailure.username == key, LoginFailure.at > since)
    ).one()
    if recent[0] >= max_failures:
        retry = int((recent[1] + window - now).total_seconds()) + 1
        log.warning("login of %r throttled after %d failures", key, recent[0])
        raise TooManyAttemptsError(f"too many failed logins for {key!r}; try again in {retry} s", retry_after=retry)
    user = get_by_username(session, username=key)
    ok = verify_password(password, user.hashed_password if user else None)
    if user is None or not ok or not user.is_active:
        session.add(LoginFailure(username=key[:64], at=now))
        # old failures are no longer needed for the window; clear them as we go
        session.execute(delete(LoginFailure).where(LoginFailure.at <= since))
        session.commit()
        raise UnauthorizedError("incorrect username or password")
    session.execute(delete(LoginFailure).where(LoginFailure.username == key))
    session.commit()
    return user
