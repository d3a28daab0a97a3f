"""Paging: `?limit=&offset=` in, a Page of items with the total count out."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

MAX_LIMIT = 500

T = TypeVar("T")
R = TypeVar("R")


class PageParams(BaseModel):
    model_config = ConfigDict(frozen=True)

    limit: int = 50
    offset: int = 0


def _page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="items per page")] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="items to skip")] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


PageDep = Annotated[PageParams, Depends(_page_params)]


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


def paginate(session: Session, stmt: Select[R], page: PageParams) -> tuple[list[R], int]:
    """Rows of one page of `stmt` (which must be ordered) and the count of all rows it selects."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = list(session.scalars(stmt.limit(page.limit).offset(page.offset)))
    return rows, total
