"""The read side: plain queries over the tables and the projections, each a fixed number of SQL statements.

Views, the API and the exports call these; nothing here changes a row.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from wfsurvey.domain.questions.base import ratio  # noqa: F401  (one rounding for every share; queries use it from here)
from wfsurvey.domain.rules import zone

#: Largest page a list returns.
MAX_PER_PAGE = 200
DEFAULT_PER_PAGE = 50


class NotFound(LookupError):
    """The thing asked for does not exist (the API answers 404)."""


@dataclass(frozen=True)
class Page:
    items: list[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        """How many pages the total fills (at least one); with has_prev/next and prev/next_num, what the pager macro reads."""
        return max(1, -(-self.total // self.per_page)) if self.per_page else 1

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1

    def as_dict(self, items: list[Any] | None = None) -> dict[str, Any]:
        return {"items": self.items if items is None else items, "page": self.page, "per_page": self.per_page, "total": self.total}


def paginate(session: Session, query: Select, page: int = 1, per_page: int = DEFAULT_PER_PAGE, *, scalars: bool = True) -> Page:
    """One page of `query` (which must be ordered) and the total: two statements."""
    page = max(1, page)
    per_page = min(max(1, per_page), MAX_PER_PAGE)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    paged = query.limit(per_page).offset((page - 1) * per_page)
    items = list(session.scalars(paged).all() if scalars else session.execute(paged).all())
    return Page(items, page, per_page, total)


def iso(moment: dt.datetime | None, tz_name: str | None = None) -> str | None:
    """ISO 8601 with an offset: in `tz_name` when given (a round's own zone), else UTC."""
    if moment is None:
        return None
    if moment.tzinfo is None:  # stored times are UTC; guard against a naive one all the same
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(zone(tz_name) if tz_name else dt.timezone.utc).isoformat()
