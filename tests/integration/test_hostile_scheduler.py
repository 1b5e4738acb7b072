"""Issue 14, item 8: a scheduler that loses its lock (its lease stolen on SQLite, its lock connection killed on
PostgreSQL) stops claiming mail before its next batch; the scheduler that took over sends the rest, once. Issue 16:
the same with a convening's invitations (each with its .ics) in the outbox beside the round's."""
from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import func, select, text

from tests import builders
from wfsurvey import clock
from wfsurvey.domain import commands as cmd
from wfsurvey.extensions import db
from wfsurvey.jobs import delivery
from wfsurvey.jobs.scheduler import AdvisoryLock, Lease, SchedulerProcess
from wfsurvey.mail.transports import DevMailboxTransport
from wfsurvey.models import MailboxMessage, OutboxMessage
from wfsurvey.services import handle

pytestmark = pytest.mark.hostile

UTC = dt.timezone.utc
LAUNCH = dt.datetime(2026, 10, 6, 17, 0, tzinfo=UTC)
#: Messages per batch: the round's 8 invitations and the convening's 4 go out in 6 batches.
BATCH = 2
#: The round's invitations and the convening's.
QUEUED = 12


class StealingTransport(DevMailboxTransport):
    """The dev mailbox, which calls `steal` once, while the first message of the run is being sent."""

    def __init__(self, engine, steal: Callable[[], None]):
        super().__init__(engine, env="testing")
        self.steal = steal

    @contextlib.contextmanager
    def connect(self):
        with super().connect() as connection:
            send = connection.send

            def send_and_steal(message):
                send(message)
                if self.steal is not None:
                    steal, self.steal = self.steal, None
                    steal()

            connection.send = send_and_steal
            yield connection


def mailbox() -> list[tuple[str, str]]:
    """(recipient, subject) of every message delivered: each person gets a survey invitation and maybe a convening's."""
    db.session.rollback()
    return db.session.execute(select(MailboxMessage.to_addr, MailboxMessage.subject)).tuples().all()


def queued() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "queued"))


@pytest.fixture
def round_to_deliver(app):
    app.config.update(FIXED_NOW=LAUNCH, OUTBOX_BATCH_SIZE=BATCH)
    builders.stakeholders()
    builders.template()
    builders.launched_round(now=LAUNCH)
    convening = handle(cmd.CreateConvening(
        title="Inland Empire convening", regions=("inland-empire-desert",), location="Riverside, Room 101",
        starts_at=LAUNCH + dt.timedelta(days=14), ends_at=LAUNCH + dt.timedelta(days=14, hours=3)), actor="test", now=LAUNCH)
    handle(cmd.SendConveningInvitations(convening.id), actor="test", now=LAUNCH)
    assert queued() == QUEUED


def run_as_active(scheduler: SchedulerProcess) -> None:
    assert scheduler.leadership.hold()
    scheduler.active.set()
    scheduler.tick()  # one run of every job, on this thread


def test_a_scheduler_whose_lease_is_stolen_stops_before_its_next_batch(app, round_to_deliver, monkeypatch):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the lease is SQLite's; PostgreSQL's advisory lock is the next test")
    first = SchedulerProcess(app, Lease(db.engine, holder="host-a:1:aaaa", seconds=60), interval=60, heartbeat=5)
    second = SchedulerProcess(app, Lease(db.engine, holder="host-b:2:bbbb", seconds=60), interval=60, heartbeat=5)

    def steal() -> None:
        # The first stalled past its lease (as a process paused by the machine would): the second takes it over.
        assert second.leadership.hold(clock.wall_now() + dt.timedelta(seconds=61))
        assert not first.leadership.still_held()

    monkeypatch.setattr(delivery, "transport_from_config", lambda config: StealingTransport(db.engine, steal))
    run_as_active(first)
    assert len(mailbox()) == BATCH  # its batch in hand went out; it claimed no other
    assert queued() == QUEUED - BATCH

    monkeypatch.setattr(delivery, "transport_from_config", lambda config: StealingTransport(db.engine, None))
    second.active.set()
    second.tick()
    sent = mailbox()
    assert len(sent) == QUEUED and len(set(sent)) == QUEUED and queued() == 0
    assert sum(subject.startswith("You are invited") for _, subject in sent) == 4


@pytest.mark.postgres_only
def test_a_scheduler_whose_lock_connection_is_killed_stops_before_its_next_batch(app, round_to_deliver, monkeypatch):
    first, second = SchedulerProcess(app, AdvisoryLock(db.engine.url)), SchedulerProcess(app, AdvisoryLock(db.engine.url))
    try:
        def steal() -> None:
            pid = first.leadership.connection.execute(text("SELECT pg_backend_pid()")).scalar()
            with db.engine.connect() as admin:
                admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            assert second.leadership.hold()
            assert not first.leadership.still_held()

        monkeypatch.setattr(delivery, "transport_from_config", lambda config: StealingTransport(db.engine, steal))
        run_as_active(first)
        assert len(mailbox()) == BATCH and queued() == QUEUED - BATCH

        monkeypatch.setattr(delivery, "transport_from_config", lambda config: StealingTransport(db.engine, None))
        second.active.set()
        second.tick()
        sent = mailbox()
        assert len(sent) == QUEUED and len(set(sent)) == QUEUED and queued() == 0
        assert sum(subject.startswith("You are invited") for _, subject in sent) == 4
    finally:
        first.leadership.dispose()
        second.leadership.dispose()


def test_the_locks_say_whether_they_are_still_held(app):
    a = Lease(db.engine, holder="host-a:1:aaaa", seconds=60)
    b = Lease(db.engine, holder="host-b:2:bbbb", seconds=60)
    now = clock.wall_now()
    assert not a.still_held(now)
    assert a.hold(now) and a.still_held(now) and not b.still_held(now)
    assert not a.still_held(now + dt.timedelta(seconds=61))  # lapsed, even before anyone takes it
    assert b.hold(now + dt.timedelta(seconds=61)) and not a.still_held(now + dt.timedelta(seconds=62))
