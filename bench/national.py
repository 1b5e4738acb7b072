"""The national round that benchmarks 4, 6, 7 and 9 read: 100,000 invitations delivered, 40 % answered, still open.

Built through the real commands (see bench/data.py): the launch, RecordDeliveryOutcomes for every
invitation message, and SaveAnswers for 40 % of the invitations (in batches per transaction). Its
logical times are those of bench/launch.py, so the P2D reminder slot is due at the clock's time.
"""
from __future__ import annotations

import datetime as dt
import random
import time
from dataclasses import dataclass

from sqlalchemy import select

from bench import common, data, launch
from bench.common import Size

FULL = 100_000
#: Share of invitations answered, drawn with a fixed seed so that every organization type answers alike.
ANSWERED = 0.4
SEED = 6


@dataclass
class National:
    url: str
    round_id: int
    t0: dt.datetime
    invitations: int
    submitted: int
    seconds: float

    @property
    def delivered_at(self) -> dt.datetime:
        return self.t0 + launch.LAUNCHED + dt.timedelta(hours=1)

    @property
    def answered_at(self) -> dt.datetime:
        return self.t0 - dt.timedelta(days=2)


def build(size: Size, launched: launch.Prepared | None = None, name: str = "national") -> National:
    """From a launched copy (benchmark 3's last one) when given, else from scratch; SQLite."""
    started = time.perf_counter()
    count = size.n(FULL, 100)
    if launched is None or launched.count != count:
        prepared = launch.prepare("sqlite", count, name)
        app = common.make_app(prepared.url)
        with app.app_context():
            data.launch(prepared.round_id, prepared.launched_at)
        common.dispose(app)
        launched = prepared
    from wfsurvey.extensions import db
    from wfsurvey.models import Invitation

    app = common.make_app(launched.url)
    national = National(launched.url, launched.round_id, launched.t0, count, 0, 0.0)
    with app.app_context():
        data.deliver_all(launched.round_id, national.delivered_at)
        ids = db.session.scalars(
            select(Invitation.id).where(Invitation.round_id == launched.round_id).order_by(Invitation.id)).all()
        db.session.rollback()
        answered = sorted(random.Random(SEED).sample(list(ids), int(len(ids) * ANSWERED)))
        national.submitted = data.submit_many(answered, national.answered_at, batch=100)
    common.dispose(app)
    national.seconds = time.perf_counter() - started
    return national


def copy(national: National, name: str) -> str:
    return common.copy_sqlite(national.url, name)
