"""Mail that must not go out any more (an answer, a forward, an opt-out, a round closed or cancelled) against a real SMTP server.

A message still waiting (queued, or claimed by a sender that has not started it) is cancelled and
never reaches the server; one the sender has started is not touched, goes out, and is recorded sent.
"""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tests import builders
from wfsurvey.domain import commands as cmd
from wfsurvey.extensions import db
from wfsurvey.jobs import delivery
from wfsurvey.jobs.delivery import deliver_outbox
from wfsurvey.mail import outbox, sender
from wfsurvey.mail.transports import outbox_id_of, transport_from_config
from wfsurvey.models import Contact, Invitation, OutboxMessage, Response, Round
from wfsurvey.services import handle

UTC = dt.timezone.utc
#: Inside the round's window (it opened 2026-10-05) and its sending hours: 10:00 in Los Angeles.
NOW = dt.datetime(2026, 10, 6, 17, 0, tzinfo=UTC)
#: Answers that satisfy tests.builders.TEMPLATE.
ANSWERS = {"targets_am": ["no"], "colleges": ["3"]}
ANA, BEN = "college1.inland-empire-desert@example.org", "college2.inland-empire-desert@example.org"


def invitation_of(email: str) -> Invitation:
    db.session.rollback()  # a fresh snapshot: the sender's threads write too
    return db.session.scalar(select(Invitation).join(Contact).where(Contact.email == email))


def answer(email: str) -> None:
    inv = invitation_of(email)
    handle(cmd.SaveAnswers(inv.id, ANSWERS, submit=True), actor=f"token:{inv.id}", now=NOW)


def forward(email: str) -> None:
    inv = invitation_of(email)
    handle(cmd.ForwardInvitation(inv.id, name="Col League", email="colleague@example.org"), actor=f"token:{inv.id}", now=NOW)


def opt_out(email: str) -> None:
    inv = invitation_of(email)
    handle(cmd.OptOut(inv.id), actor=f"token:{inv.id}", now=NOW)


def close(email: str) -> None:
    handle(cmd.CloseRound(invitation_of(email).round_id), actor="test", now=NOW)


def cancel(email: str) -> None:
    handle(cmd.CancelRound(invitation_of(email).round_id, reason="The program was postponed."), actor="test", now=NOW)


#: Each action Ana's reminder must not outlive: (action, the reason kept with the message, whether
#: Ben's reminder goes too, what the action left behind).
ACTIONS = {
    "answer": (answer, "not sent: the person answered", False,
               lambda: db.session.scalar(select(Response.status).where(Response.invitation_id == invitation_of(ANA).id)) == "submitted"),
    "forward": (forward, "not sent: the invitation was forwarded", False, lambda: invitation_of(ANA).status == "forwarded"),
    "opt-out": (opt_out, outbox.OPTED_OUT, False, lambda: invitation_of(ANA).status == "opted_out"),
    "close": (close, "not sent: the round closed", True,
              lambda: db.session.get(Round, invitation_of(ANA).round_id).state == "closed"),
    "cancel": (cancel, "not sent: the round was cancelled", True,
               lambda: db.session.get(Round, invitation_of(ANA).round_id).state == "cancelled"),
}


@pytest.fixture
def reminders(app, smtp_server) -> dict[str, int]:
    """An open round whose invitations went out; a reminder to Ana, then one to Ben, due now: their outbox ids."""
    app.config["SMTP_URL"] = smtp_server.url
    app.config["MAIL_FROM"] = "State Workforce Association <surveys@example.org>"
    builders.stakeholders()
    builders.template()
    builders.launched_round(now=NOW)
    assert deliver_outbox(now=NOW).sent == 8
    ids = {email: handle(cmd.SendReminderNow(invitation_of(email).id), actor="staff@example.org", now=NOW)
           for email in (ANA, BEN)}
    assert ids[ANA] < ids[BEN]  # claimed in this order
    return ids


def received(server) -> list[int]:
    """Outbox ids of every message the server got, in order."""
    return [outbox_id_of(m.message) for m in server.messages]


def row(message_id: int) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, message_id)


@pytest.mark.parametrize("name", list(ACTIONS))
def test_a_claimed_message_not_yet_started_is_cancelled_and_never_reaches_the_server(name, app, smtp_server, reminders):
    act, reason, both, done = ACTIONS[name]
    session = db.session()
    batch = sender._claim(session, now=NOW, limit=50)
    assert [m.id for m in batch] == [reminders[ANA], reminders[BEN]]
    assert {(row(i).status, row(i).claim_stage) for i in reminders.values()} == {("sending", "claimed")}

    act(ANA)
    assert done()
    report = sender.DeliveryReport()
    sender._send_batch(session, transport_from_config(app.config), batch, mail_from=app.config["MAIL_FROM"], now=NOW,
                       record=delivery.recorder(app, actor=delivery.ACTOR, now=NOW), report=report)

    assert reminders[ANA] not in received(smtp_server)
    ana = row(reminders[ANA])
    assert (ana.status, ana.last_error, ana.claim_stage, ana.claim_batch, ana.sent_at) == ("cancelled", reason, None, None, None)
    ben = row(reminders[BEN])
    if both:
        assert (report.sent, ben.status, ben.last_error) == (0, "cancelled", reason)
        assert reminders[BEN] not in received(smtp_server)
    else:
        assert (report.sent, ben.status) == (1, "sent")
        assert received(smtp_server).count(reminders[BEN]) == 1
    # Nothing is left claimed, and a later run sends neither.
    assert deliver_outbox(now=NOW + dt.timedelta(hours=1)).unknown == 0
    assert reminders[ANA] not in received(smtp_server)


@pytest.mark.parametrize("name", list(ACTIONS))
def test_a_message_the_sender_started_is_not_touched_and_goes_out_once(name, app, smtp_server, reminders, monkeypatch):
    act, reason, both, done = ACTIONS[name]
    monkeypatch.setattr(sender, "OUTCOME_GROUP", 1)  # Ana's reminder starts alone; Ben's is still only claimed
    real_start = sender._start
    seen = []

    def start_then_act(connection, messages, now):
        claim, started = real_start(connection, messages, now)
        if reminders[ANA] in started:
            seen.append((row(reminders[ANA]).status, row(reminders[ANA]).claim_stage))
            act(ANA)  # after the start, before the send
            seen.append((row(reminders[ANA]).status, row(reminders[ANA]).claim_stage))
        return claim, started

    monkeypatch.setattr(sender, "_start", start_then_act)
    deliver_outbox(now=NOW)  # also sends what the action queued (a forward's, a cancellation's notices)

    assert done()
    assert seen == [("sending", "sending"), ("sending", "sending")]  # the action left the started row alone
    assert received(smtp_server).count(reminders[ANA]) == 1
    ana = row(reminders[ANA])
    assert (ana.status, ana.sent_at, ana.last_error, ana.claim_stage) == ("sent", NOW, None, None)
    ben = row(reminders[BEN])
    if both:  # Ben's was claimed but not started when the round closed: cancelled, never sent
        assert (ben.status, ben.last_error) == ("cancelled", reason)
        assert reminders[BEN] not in received(smtp_server)
    else:
        assert ben.status == "sent"
        assert received(smtp_server).count(reminders[BEN]) == 1


def test_cancel_waiting_takes_each_selection_and_refuses_to_cancel_everything(app, reminders):
    session = db.session()
    with pytest.raises(ValueError, match="never cancels everything"):
        outbox.cancel_waiting(session, reason="x", kinds=("reminder",))
    assert outbox.cancel_waiting(session, reason="x", invitation_ids=[]) == 0
    assert outbox.cancel_waiting(session, reason="x", to_addrs=[BEN], kinds=("invitation",)) == 0  # Ben's invitation went out
    assert outbox.cancel_waiting(session, reason="by address", to_addrs=[BEN]) == 1
    assert outbox.cancel_waiting(session, reason="by id", message_ids=[reminders[ANA]]) == 1
    session.commit()
    assert [(row(i).status, row(i).last_error) for i in (reminders[ANA], reminders[BEN])] == [
        ("cancelled", "by id"), ("cancelled", "by address")]
    assert outbox.cancel_waiting(session, reason="again", message_ids=list(reminders.values())) == 0
