"""Commands: imperatives that one service handler each carries out (see wfsurvey.services.handlers)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RebuildNothing:
    """Placeholder removed once real commands exist."""
