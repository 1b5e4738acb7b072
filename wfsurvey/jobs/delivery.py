"""Delivery job: drain the outbox through the mail sender (wfsurvey.mail.sender), which owns retries and claims."""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

ACTOR = "system:delivery"


def run(now: dt.datetime, counts: dict[str, Any]) -> None:
    from wfsurvey.mail.sender import deliver_outbox

    report = deliver_outbox(now=now, actor=ACTOR)
    counts.update(dataclasses.asdict(report))
