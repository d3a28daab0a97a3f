"""Password hashing (argon2 through pwdlib) and access tokens (JWT through PyJWT)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from pwdlib import PasswordHash

from api.errors import UnauthorizedError

ALGORITHM = "HS256"
_hasher = PasswordHash.recommended()
# verified against when the user name is unknown, so a miss costs as long as a wrong password
_DUMMY_HASH = _hasher.hash("dummy password for timing")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, hashed: str | None) -> bool:
    if hashed is None:
        _hasher.verify(password, _DUMMY_HASH)
        return False
    return _hasher.verify(password, hashed)


def create_access_token(*, subject: str, role: str, secret_key: str, minutes: int,
                        now: datetime | None = None) -> str:
    issued = now or datetime.now(UTC)
    claims: dict[str, Any] = {"sub": subject, "role": role, "iat": issued,
                              "exp": issued + timedelta(minutes=minutes)}
    return jwt.encode(claims, secret_key, algorithm=ALGORITHM)


def decode_access_token(token: str, *, secret_key: str) -> str:
    """The subject (user id) of a valid, unexpired token."""
    try:
        claims = jwt.decode(token, secret_key, algorithms=[ALGORITHM], options={"require": ["sub", "exp"]})
    except jwt.ExpiredSignatureError:
        raise UnauthorizedError("access token has expired; log in again") from None
    except jwt.InvalidTokenError:
        raise UnauthorizedError("access token is not valid") from None
    return str(claims["sub"])
