"""The two registries: which function handles each command, and which policies react to each event.

Projections (read models) are listed separately in wfsurvey.projections.PROJECTIONS, because a
rebuild replays them and must not replay policies (which send mail or record new events).
"""
from __future__ import annotations

from wfsurvey.domain import commands as cmd
from wfsurvey.domain import events as ev

COMMAND_HANDLERS: dict[type, object] = {}

EVENT_HANDLERS: dict[type[ev.Event], list] = {}

_ = cmd
