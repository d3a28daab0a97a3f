"""Users and logins: plain functions over a Session, keyword-only, no HTTP."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from math import ceil

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


@dataclass(frozen=True)
class Backoff:
    """How failed logins slow down the client that sends them (see `authenticate`)."""

    free_failures: int
    first_delay: timedelta
    max_delay: timedelta
    window: timedelta
    # failures one address may make over all user names before it is slowed down as a whole
    address_free_failures: int = 20

    def delay(self, failures: int, free: int | None = None) -> timedelta:
        """The wait after a client's `failures`-th recent failure: none for the first `free` ones (by default
        `free_failures`), then `first_delay`, doubled with each further failure, up to `max_delay`."""
        free = self.free_failures if free is None else free
        if failures < free:
            return timedelta(0)
        return min(self.first_delay * 2 ** min(failures - free, 30), self.max_delay)


def _in_words(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    return f"{ceil(seconds / 60)} minutes"


def authenticate(session: Session, *, username: str, password: str, client: str, now: datetime,
                 backoff: Backoff) -> User:
    """The active user with this name and password; failures back off per client, never for the account.

    Failures are recorded per `client` (its address) and user name. Once a client has `free_failures` of them
    inside the window, it must wait `backoff.delay(n)` after its latest before it may try that name again, and
    is refused meanwhile without the password being checked (429 with Retry-After). An address that fails
    `address_free_failures` times over all names is slowed down the same way for every name. The same name from any
    other client is not slowed down at all, so a stranger guessing cannot lock the user out. Failures leave
    the window as they age, so the wait decays; a success clears this client's failures for the name.
    The record is rows in the database, inserted only, so the back-off holds across workers and processes.
    """
    key, client = _key(username)[:64], client[:64]
    since = now - backoff.window
    recent = (LoginFailure.client == client, LoginFailure.at > since)
    failures, latest = session.execute(
        select(func.count(), func.max(LoginFailure.at)).where(*recent, LoginFailure.username == key)).one()
    # one address guessing many names is slowed as a whole too, past a larger allowance
    everyone, latest_any = session.execute(select(func.count(), func.max(LoginFailure.at)).where(*recent)).one()
    waits = [(latest + backoff.delay(failures) - now, f"for {key!r} from this device") if failures else None,
             (latest_any + backoff.delay(everyone, backoff.address_free_failures) - now, "from this device")
             if everyone else None]
    wait, what = max((w for w in waits if w is not None), default=(timedelta(0), ""))
    if wait > timedelta(0):
        retry = ceil(wait.total_seconds())
        log.warning("login of %r from %s backed off for %d s after %d failures (%d for all names)",
                    key, client, retry, failures, everyone)
        raise TooManyAttemptsError(f"too many failed sign-ins {what}; try again in {_in_words(retry)}",
                                   retry_after=retry)
    user = get_by_username(session, username=key)
    ok = verify_password(password, user.hashed_password if user else None)
    if user is None or not ok or not user.is_active:
        session.add(LoginFailure(client=client, username=key, at=now))
        # failures older than the window no longer count; clear them as we go
        session.execute(delete(LoginFailure).where(LoginFailure.at <= since))
        session.commit()
        raise UnauthorizedError("incorrect username or password")
    session.execute(delete(LoginFailure).where(LoginFailure.client == client, LoginFailure.username == key))
    session.commit()
    return user
