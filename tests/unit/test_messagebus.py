"""The message bus and unit of work, with fakes: dispatch order, cascades, commit and rollback."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from wfsurvey.domain import events as ev
from wfsurvey.domain.events import runs_of_one_type
from wfsurvey.services.messagebus import MessageBus
from wfsurvey.services.unit_of_work import AbstractUnitOfWork


class FakeUnitOfWork(AbstractUnitOfWork):
    """Keeps the log in a list; commit and rollback only set flags."""

    def __init__(self, log: list, **kw):
        super().__init__(**kw)
        self.log = log
        self.committed = False
        self.rolled_back = False

    def _append(self, events):
        self.log.extend((self.actor, e) for e in events)

    def _commit(self):
        self.committed = True

    def rollback(self):
        if not self.committed:
            self.rolled_back = True


@dataclass(frozen=True)
class Rename:
    region_id: int
    name: str


@dataclass(frozen=True)
class Explode:
    pass


def make_bus(log, calls, uows):
    def rename(command, uow):
        uow.record(ev.RegionRenamed(region_id=command.region_id, name=command.name))
        return "renamed"

    def explode(command, uow):
        uow.record(ev.RegionRenamed(region_id=1, name="x"))
        raise RuntimeError("boom")

    def projection(events, uow):
        calls.append(("projection", [e.name for e in events]))

    def policy(events, uow):
        calls.append(("policy", [e.name for e in events]))
        for e in events:
            if not e.name.endswith("!"):
                uow.record(ev.RegionRenamed(region_id=e.region_id, name=e.name + "!"))

    def factory(**kw):
        uow = FakeUnitOfWork(log, **kw)
        uows.append(uow)
        return uow

    return MessageBus(
        uow_factory=factory,
        command_handlers={Rename: rename, Explode: explode},
        projections={ev.RegionRenamed: [projection]},
        event_handlers={ev.RegionRenamed: [policy]},
    )


def test_command_events_are_logged_projected_then_handled_and_committed():
    log, calls, uows = [], [], []
    bus = make_bus(log, calls, uows)
    assert bus.handle(Rename(7, "Inland"), actor="user:1") == "renamed"
    # The policy's own event is published in the same unit of work, projections first each time.
    assert calls == [("projection", ["Inland"]), ("policy", ["Inland"]), ("projection", ["Inland!"]), ("policy", ["Inland!"])]
    assert [(actor, e.name) for actor, e in log] == [("user:1", "Inland"), ("user:1", "Inland!")]
    assert uows[0].committed and not uows[0].rolled_back


def test_failing_handler_rolls_back_and_publishes_nothing():
    log, calls, uows = [], [], []
    bus = make_bus(log, calls, uows)
    with pytest.raises(RuntimeError):
        bus.handle(Explode(), actor="cli")
    assert log == [] and calls == []
    assert uows[0].rolled_back and not uows[0].committed


def test_unknown_command_is_an_error():
    bus = make_bus([], [], [])
    with pytest.raises(KeyError):
        bus.handle(object(), actor="cli")


def test_events_are_dispatched_in_runs_of_one_type_in_recorded_order():
    a1 = ev.RegionRenamed(region_id=1, name="a")
    a2 = ev.RegionRenamed(region_id=2, name="b")
    b = ev.RoundOpened(round_id=3)
    a3 = ev.RegionRenamed(region_id=4, name="c")
    assert [[type(e).__name__ for e in run] for run in runs_of_one_type([a1, a2, b, a3])] == [
        ["RegionRenamed", "RegionRenamed"], ["RoundOpened"], ["RegionRenamed"],
    ]


def test_event_payload_round_trips_through_the_log_format():
    event = ev.InvitationIssued(invitation_id=5, round_id=2, contact_id=9, organization_id=4, org_type="lwib",
                                regions=["los-angeles"])
    again = ev.from_record(event.type, event.payload())
    assert again == event
    assert event.aggregate == "invitation" and event.aggregate_id == "5"
    assert "_order" not in event.payload()


def test_events_of_an_aggregate_nobody_references_any_more_are_still_published():
    import gc

    from wfsurvey.models.base import Aggregate

    log, uows = [], []

    class Thing(Aggregate):
        pass

    def handler(command, uow):
        Thing().record(ev.RoundOpened(round_id=1))  # the handler keeps no reference

    def factory(**kw):
        uows.append(FakeUnitOfWork(log, **kw))
        return uows[-1]

    bus = MessageBus(uow_factory=factory, command_handlers={Rename: lambda c, u: (handler(c, u), gc.collect())},
                     projections={}, event_handlers={})
    bus.handle(Rename(1, "x"), actor="cli")
    assert [e.type for _, e in log] == ["RoundOpened"]


def test_the_cyclic_collector_is_paused_while_a_command_runs_and_resumes_after():
    import gc

    seen = []
    bus = MessageBus(uow_factory=lambda **kw: FakeUnitOfWork([], **kw),
                     command_handlers={Rename: lambda c, u: seen.append(gc.isenabled()),
                                       Explode: lambda c, u: bus.handle(Rename(1, "inner"), actor="cli") or 1 / 0},
                     projections={}, event_handlers={})
    assert gc.isenabled()
    bus.handle(Rename(1, "x"), actor="cli")
    with pytest.raises(ZeroDivisionError):
        bus.handle(Explode(), actor="cli")  # a command inside a command, then a failure
    assert seen == [False, False] and gc.isenabled()
    gc.disable()
    try:
        bus.handle(Rename(1, "x"), actor="cli")
        assert not gc.isenabled()  # left as it was found
    finally:
        gc.enable()
