"""Request and response bodies of users and login; the password hash never leaves the service."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from api.auth.models import Role


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    full_name: str | None
    role: Role
    technician_id: str | None
    is_active: bool


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str = Field(min_length=8, max_length=128)
    full_name: str | None = Field(default=None, max_length=200)
    role: Role
    technician_id: str | None = Field(default=None, max_length=64)


class UserUpdateMe(BaseModel):
    """What users may change about themselves: not their role, not their technician."""

    model_config = ConfigDict(extra="forbid")

    full_name: str | None = Field(default=None, max_length=200)
    password: str | None = Field(default=None, min_length=8, max_length=128)
