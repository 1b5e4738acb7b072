"""Round commands: create, launch (invitations, tokens, outbox in one transaction), lifecycle, audience."""
import datetime as dt

import pytest
from marshmallow import ValidationError
from sqlalchemy import event, func, select

from tests import builders
from wfsurvey.domain import commands as cmd
from wfsurvey.domain.errors import DomainError
from wfsurvey.extensions import db
from wfsurvey.models import AccessToken, Contact, EventRecord, Invitation, OutboxMessage, Round, RoundProgress
from wfsurvey.schemas.rounds import round_command
from wfsurvey.services import handle

UTC = dt.timezone.utc
OPEN_TIME = dt.datetime(2026, 10, 6, 17, 0, tzinfo=UTC)


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def world(app):
    contacts = builders.stakeholders()
    builders.template()
    return contacts


def test_launch_of_open_round_issues_invitations_tokens_and_mail(world):
    r = builders.launched_round()
    assert r.state == "open"
    assert count(Invitation) == 8 and count(AccessToken) == 8
    assert count(OutboxMessage, OutboxMessage.kind == "invitation") == 8
    assert count(EventRecord, EventRecord.type == "InvitationIssued") == 8
    launched = db.session.scalar(select(EventRecord).where(EventRecord.type == "RoundLaunched"))
    assert launched.actor == "test" and launched.payload == {"round_id": r.id, "state": "open", "invitations": 8}
    total = db.session.get(RoundProgress, (r.id, "total", ""))
    assert total.invited == 8 and total.sent == 0
    # Each message carries its own link; the token itself is stored nowhere but in the message.
    bodies = db.session.scalars(select(OutboxMessage.body_text)).all()
    hashes = set(db.session.scalars(select(AccessToken.token_hash)))
    links = {line.strip() for body in bodies for line in body.splitlines() if "/r/" in line and "opt-out" not in line}
    assert len(links) == 8
    for h in hashes:
        assert all(h not in body for body in bodies)


def test_launch_statements_do_not_grow_with_the_audience(world):
    """A bigger audience makes the same statements (each an executemany), and the outbox insert returns nothing."""
    statements: list[str] = []

    def launch_statements(audience: dict) -> list[str]:
        r = handle(round_command(builders.round_definition(audience=audience)), actor="t", now=OPEN_TIME)
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            handle(cmd.LaunchRound(r.id), actor="t", now=OPEN_TIME)
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        return [" ".join(s.split()[:3]) for s in statements]

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    small = launch_statements({"regions": [], "org_types": ["lwib"]})  # the 4 boards
    large = launch_statements({"regions": [], "org_types": []})  # all 8
    assert count(OutboxMessage, OutboxMessage.kind == "invitation") == 4 + 8
    assert small == large
    outbox_inserts = [s for s in statements if s.startswith("INSERT INTO outbox")]
    assert len(outbox_inserts) == 1 and "RETURNING" not in outbox_inserts[0]


def test_a_created_round_stores_its_audience_and_reminders_in_the_shape_the_jobs_read(world):
    r = handle(round_command(builders.round_definition(
        audience={"regions": ["Inland Empire Desert"], "org_types": ["lwib"], "exclude_contacts": [3]},
        reminders={"offsets": ["PT12H", "p7d"], "min_gap_hours": 6, "send_hours": [9, 17]},
    )), actor="test", now=OPEN_TIME)
    stored = db.session.get(Round, r.id)
    assert stored.audience == {"regions": ["inland-empire-desert"], "org_types": ["lwib"], "include_contacts": [],
                               "exclude_contacts": [3]}
    assert stored.reminders == {"offsets": ["P7D", "PT12H"], "min_gap_hours": 6, "send_hours": [9, 17]}
    with pytest.raises(DomainError) as refused:
        handle(round_command(builders.round_definition(audience={"regions": ["Atlantis"]})), actor="test", now=OPEN_TIME)
    assert refused.value.fields == {"audience": {"regions": ["unknown region 'Atlantis'"]}}
    with pytest.raises(DomainError) as refused:
        handle(round_command(builders.round_definition(template="collab", version=9)), actor="test", now=OPEN_TIME)
    assert refused.value.fields == {"template": ["unknown template"]}


def test_window_in_local_time_stored_in_utc(world):
    r = handle(round_command(builders.round_definition()), actor="test", now=OPEN_TIME)
    # 17:00 PST on 2026-11-02 (after the DST change) is 01:00 UTC on 11-03.
    assert r.closes_at == dt.datetime(2026, 11, 3, 1, 0, tzinfo=UTC)
    assert r.opens_at == dt.datetime(2026, 10, 5, 16, 0, tzinfo=UTC)
    body = None
    handle(cmd.LaunchRound(r.id), actor="test", now=OPEN_TIME)
    body = db.session.scalars(select(OutboxMessage.body_text)).first()
    assert "Monday, November 2, 2026 at 5:00 PM PST" in body


def test_scheduled_round_queues_mail_only_when_it_opens(world):
    early = dt.datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
    r = builders.launched_round(now=early)
    assert r.state == "scheduled"
    assert count(Invitation) == 8 and count(OutboxMessage) == 0 and count(AccessToken) == 0
    with pytest.raises(DomainError):
        handle(cmd.OpenRound(r.id), actor="system:windows", now=early)
    handle(cmd.OpenRound(r.id), actor="system:windows", now=OPEN_TIME)
    assert count(OutboxMessage, OutboxMessage.kind == "invitation") == 8
    assert db.session.get(Round, r.id).state == "open"


def test_audience_by_region_and_type_plus_and_minus_contacts(world):
    la_college = db.session.scalar(select(Contact).where(Contact.email == "college1.los-angeles@example.org"))
    skip = db.session.scalar(select(Contact).where(Contact.email == "lwib2.inland-empire-desert@example.org"))
    r = builders.launched_round(audience={"regions": ["Inland Empire Desert"], "org_types": ["lwib"],
                                          "include_contacts": [la_college.email], "exclude_contacts": [skip.id]})
    invited = set(db.session.scalars(select(Contact.email).join(Invitation, Invitation.contact_id == Contact.id)))
    assert invited == {"lwib1.inland-empire-desert@example.org", "college1.los-angeles@example.org"}
    assert r.audience["regions"] == ["inland-empire-desert"]


def test_opted_out_contacts_are_not_invited(world):
    c = db.session.scalar(select(Contact).where(Contact.email == "lwib1.los-angeles@example.org"))
    c.opted_out_at = OPEN_TIME
    db.session.commit()
    builders.launched_round()
    assert count(Invitation) == 7


def test_launch_refuses_empty_audience_and_bad_window(world):
    r = handle(round_command(builders.round_definition(audience={"org_types": ["employer"]})), actor="t", now=OPEN_TIME)
    with pytest.raises(DomainError, match="audience is empty"):
        handle(cmd.LaunchRound(r.id), actor="t", now=OPEN_TIME)
    assert db.session.get(Round, r.id).state == "draft" and count(Invitation) == 0
    with pytest.raises(ValidationError) as info:
        handle(round_command(builders.round_definition(closes_at="2026-10-01T09:00")), actor="t", now=OPEN_TIME)
    assert "closes_at" in info.value.messages
    late = dt.datetime(2026, 12, 1, tzinfo=UTC)
    r2 = handle(round_command(builders.round_definition()), actor="t", now=late)
    with pytest.raises(DomainError, match="close time has passed"):
        handle(cmd.LaunchRound(r2.id), actor="t", now=late)
    # The invitations are issued before the launch is recorded; a refused launch rolls them back.
    assert db.session.get(Round, r2.id).state == "draft" and count(Invitation) == 0 and count(OutboxMessage) == 0


def test_launch_twice_is_refused(world):
    r = builders.launched_round()
    with pytest.raises(DomainError, match="only a draft"):
        handle(cmd.LaunchRound(r.id), actor="t", now=OPEN_TIME)
    assert count(Invitation) == 8


def test_extend_close_and_cancel_are_events(world):
    r = builders.launched_round()
    new_close = dt.datetime(2026, 11, 10, 1, 0, tzinfo=UTC)
    handle(cmd.ExtendRound(r.id, new_close), actor="user:1", now=OPEN_TIME)
    assert db.session.get(Round, r.id).closes_at == new_close
    handle(cmd.CloseRound(r.id), actor="user:1", now=OPEN_TIME + dt.timedelta(days=1))
    closed = db.session.get(Round, r.id)
    assert closed.state == "closed" and closed.closes_at == OPEN_TIME + dt.timedelta(days=1)
    # Unsent invitations are not sent after close.
    assert count(OutboxMessage, OutboxMessage.status == "queued") == 0
    types = db.session.scalars(select(EventRecord.type).where(EventRecord.aggregate_type == "round").order_by(EventRecord.seq)).all()
    assert types == ["RoundCreated", "RoundLaunched", "RoundExtended", "RoundClosed"]
    with pytest.raises(DomainError):
        handle(cmd.CancelRound(r.id, "typo"), actor="user:1", now=OPEN_TIME + dt.timedelta(days=2))


def test_cancel_notifies_only_those_who_received_a_link(world):
    r = builders.launched_round()
    sent = db.session.scalars(select(Invitation).order_by(Invitation.id).limit(3)).all()
    for inv in sent:
        inv.sent_at = OPEN_TIME
        inv.status = "sent"
    db.session.commit()
    handle(cmd.CancelRound(r.id, "Duplicate of the spring round"), actor="user:1", now=OPEN_TIME)
    notices = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "cancelled")).all()
    assert {n.invitation_id for n in notices} == {inv.id for inv in sent}
    assert "Duplicate of the spring round" in notices[0].body_text
    assert count(OutboxMessage, OutboxMessage.kind == "invitation", OutboxMessage.status == "queued") == 0


def test_latecomers_are_invited_once(world, app):
    r = builders.launched_round()
    now = OPEN_TIME + dt.timedelta(days=1)
    org = db.session.scalar(select(Contact).where(Contact.email == "lwib1.los-angeles@example.org")).organization
    db.session.add(Contact(organization=org, name="New Person", email="new@example.org", title="", created_at=now, updated_at=now))
    db.session.commit()
    assert handle(cmd.InviteLatecomers(r.id), actor="user:1", now=now) == 1
    assert handle(cmd.InviteLatecomers(r.id), actor="user:1", now=now) == 0
    assert count(Invitation) == 9 and count(OutboxMessage, OutboxMessage.kind == "invitation") == 9


def test_round_closing_at_5pm_pacific_after_the_dst_change_closes_at_1am_utc(world, app):
    from wfsurvey.jobs import run_due_jobs

    r = builders.launched_round()  # closes 2026-11-02 17:00 America/Los_Angeles (PST, after Nov 1)
    run_due_jobs(app, now=dt.datetime(2026, 11, 3, 0, 59, 59, tzinfo=UTC))
    db.session.rollback()
    assert db.session.get(Round, r.id).state == "open"
    run_due_jobs(app, now=dt.datetime(2026, 11, 3, 1, 0, 0, tzinfo=UTC))
    db.session.rollback()
    closed = db.session.get(Round, r.id)
    assert closed.state == "closed" and closed.closed_at == dt.datetime(2026, 11, 3, 1, 0, tzinfo=UTC)
