"""What a projection handler is given: a unit of work live, a replay during a rebuild; it only uses the session."""
from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session


class ProjectionContext(Protocol):
    """The unit of work of the command being published (live) or projections._Replay (rebuild)."""

    session: Session
