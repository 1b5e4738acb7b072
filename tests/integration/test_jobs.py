"""Scheduled jobs at explicit logical times: windows, reminders (slots, hours, gap, lateness, DST), delivery, job runs."""
from __future__ import annotations

import datetime as dt
import re
import threading
from collections import defaultdict

import pytest
from sqlalchemy import func, select

from tests import builders
from wfsurvey.domain import commands as cmd
from wfsurvey.domain.errors import DomainError
from wfsurvey.domain.rules import to_local
from wfsurvey.extensions import db
from wfsurvey.jobs import JOBS, run_due_jobs
from wfsurvey.mail.transports import outbox_id_of
from wfsurvey.models import Contact, EventRecord, Invitation, JobRun, MailboxMessage, OutboxMessage, Round
from wfsurvey.services import handle
from wfsurvey.services import invitations as invitation_service

UTC = dt.timezone.utc
LA = "America/Los_Angeles"
#: Answers that satisfy tests.builders.TEMPLATE.
ANSWERS = {"targets_am": ["no"], "colleges": ["3"]}


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).astimezone(UTC)


def jobs(runner, when: str, *, ok: bool = True) -> str:
    result = runner.invoke(args=["jobs", "run", "--now", when])
    assert (result.exit_code == 0) is ok, result.output
    return result.output


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def outbox_keys(*where) -> list[str]:
    db.session.rollback()  # a fresh snapshot: other threads and processes write too
    return sorted(db.session.scalars(select(OutboxMessage.dedupe_key).where(*where)))


def reminder_slots(kind_filter: str = "reminder") -> dict[str, list[str]]:
    """Reminder slots queued per address, in id order."""
    rows = db.session.execute(
        select(OutboxMessage.to_addr, OutboxMessage.dedupe_key).where(OutboxMessage.kind == kind_filter).order_by(OutboxMessage.id)
    ).all()
    slots: dict[str, list[str]] = defaultdict(list)
    for address, key in rows:
        slots[address].append(key.split(":", 2)[2])
    return dict(slots)


def mailbox() -> dict[str, list[str]]:
    """What each address received in the dev mailbox, as outbox dedupe-key kinds ("invitation", "P7D", ...)."""
    db.session.rollback()  # a fresh snapshot: other threads and processes write too
    received: dict[str, list[str]] = defaultdict(list)
    for message in db.session.scalars(select(MailboxMessage).order_by(MailboxMessage.id)):
        key = db.session.get(OutboxMessage, message.outbox_id).dedupe_key
        received[message.to_addr].append(key.split(":")[0] if key.startswith("invitation") else key.split(":", 2)[2])
    return dict(received)


def at_server(server) -> dict[str, list[str]]:
    """What each address received at the SMTP server, named the same way as mailbox()."""
    db.session.rollback()  # a fresh snapshot: other threads and processes write too
    received: dict[str, list[str]] = defaultdict(list)
    for message in server.messages:
        key = db.session.get(OutboxMessage, outbox_id_of(message.message)).dedupe_key
        for address in message.recipients:
            received[address].append(key.split(":")[0] if key.startswith("invitation") else key.split(":", 2)[2])
    return dict(received)


def invitation_of(email: str) -> Invitation:
    db.session.rollback()  # a fresh snapshot: other threads and processes write too
    return db.session.scalar(select(Invitation).join(Contact).where(Contact.email == email))


def submit(email: str, when: str) -> None:
    inv = invitation_of(email)
    handle(cmd.SaveAnswers(inv.id, ANSWERS, submit=True), actor=f"token:{inv.id}", now=at(when))


@pytest.fixture
def people(app):
    contacts = builders.stakeholders()
    builders.template()
    return sorted(c.email for c in contacts)


def dst_round(**over) -> Round:
    """Launched (and open) 2026-10-06; closes Friday 2026-11-06 17:00 PST, after the clocks go back on 1 November."""
    return builders.launched_round(now=at("2026-10-06T10:00:00-07:00"), closes_at="2026-11-06T17:00", **over)


# --- jobs run / status ----------------------------------------------------------------------

def test_jobs_run_opens_the_window_delivers_and_records_each_job(people, runner):
    r = builders.launched_round(now=at("2026-10-01T09:00:00-07:00"))
    assert r.state == "scheduled"

    out = jobs(runner, "2026-10-05T08:59:00")  # naive: local to TIMEZONE (Los Angeles)
    assert "windows: opened=0 closed=0" in out and count(OutboxMessage) == 0

    out = jobs(runner, "2026-10-05T09:00:00-07:00")
    # Staff read this header: the time in words, in the association's zone, never ISO 8601.
    assert out.splitlines()[0] == "running jobs at Monday, October 5, 2026 at 9:00 AM PDT"
    assert "windows: opened=1 closed=0 skipped=0" in out
    assert "delivery: sent=8" in out
    assert sorted(mailbox()) == people and all(kinds == ["invitation"] for kinds in mailbox().values())
    opened = db.session.scalar(select(EventRecord).where(EventRecord.type == "RoundOpened"))
    assert opened.actor == "system:windows" and opened.occurred_at == at("2026-10-05T09:00:00-07:00")

    runs = db.session.scalars(select(JobRun).order_by(JobRun.id)).all()
    assert [run.job for run in runs] == list(JOBS) * 2
    last = runs[-4:]
    assert all(run.logical_now == at("2026-10-05T09:00:00-07:00") and run.finished_at >= run.started_at for run in last)
    assert last[0].counts == {"opened": 1, "closed": 0, "skipped": 0} and last[2].counts["sent"] == 8
    assert all(run.error is None for run in runs)

    # Run again at the same time: nothing more happens.
    out = jobs(runner, "2026-10-05T09:00:00-07:00")
    assert "windows: opened=0 closed=0" in out and "delivery: sent=0" in out
    assert sum(len(v) for v in mailbox().values()) == 8


def test_windows_close_rounds_and_a_round_whose_whole_window_passed_just_closes(people, runner):
    early = at("2026-09-01T09:00:00-07:00")
    missed = builders.launched_round(now=early, title="missed", opens_at="2026-09-10T09:00", closes_at="2026-09-20T17:00")
    running = builders.launched_round(now=early, title="running", opens_at="2026-09-02T09:00", closes_at="2026-10-20T17:00")
    jobs(runner, "2026-09-25T12:00:00-07:00")  # the scheduler was down from before the first window opened
    db.session.rollback()  # a fresh snapshot: other threads and processes write too
    assert db.session.get(Round, missed.id).state == "closed"
    assert db.session.get(Round, running.id).state == "open"
    assert count(OutboxMessage, OutboxMessage.round_id == missed.id) == 0  # no invitations to a closed round
    assert count(OutboxMessage, OutboxMessage.round_id == running.id) == 8

    out = jobs(runner, "2026-10-21T08:00:00-07:00")
    assert "windows: opened=0 closed=1" in out
    closed = db.session.get(Round, running.id)
    assert closed.state == "closed" and closed.closed_at == at("2026-10-20T17:00:00-07:00")
    event = db.session.scalars(select(EventRecord).where(EventRecord.type == "RoundClosed").order_by(EventRecord.seq)).all()[-1]
    assert event.payload["early"] is False and event.actor == "system:windows"


def test_a_failing_job_is_recorded_the_others_still_run_and_the_exit_status_says_so(people, runner, monkeypatch):
    builders.launched_round()

    def broken(now, counts):
        counts["looked_at"] = 3
        raise RuntimeError("disk on fire")

    monkeypatch.setitem(JOBS, "reminders", broken)
    result = runner.invoke(args=["jobs", "run", "--now", "2026-10-07T09:00:00-07:00"])
    assert result.exit_code == 1
    assert "job reminders FAILED: RuntimeError: disk on fire" in result.output
    assert "delivery: sent=8" in result.output  # delivery ran after the failure
    failed = db.session.scalar(select(JobRun).where(JobRun.job == "reminders"))
    assert failed.error == "RuntimeError: disk on fire" and failed.counts == {"looked_at": 3} and failed.finished_at

    status = runner.invoke(args=["jobs", "status"])
    assert status.exit_code == 0
    lines = status.output.splitlines()
    assert lines.pop(0).startswith("series: at Oct 7, 2026, 9:00 AM PDT (started ")
    assert lines[0].startswith("windows: at Oct 7, 2026, 9:00 AM PDT (started ")
    assert "took " in lines[0] and lines[0].endswith(": closed=0 opened=0 skipped=0")
    assert lines[1].startswith("reminders: at Oct 7, 2026, 9:00 AM PDT") and lines[1].endswith("looked_at=3")
    assert not any(re.search(r"\d{4}-\d\d-\d\dT", line) for line in lines), lines  # no ISO 8601 anywhere
    assert lines[2] == "  FAILED: RuntimeError: disk on fire"
    assert lines[3].startswith("delivery: at ") and "sent=8" in lines[3]
    assert lines[4].startswith("designations: at ")


def test_jobs_status_before_any_run_and_bad_now(app, runner):
    assert runner.invoke(args=["jobs", "status"]).output.splitlines() == [
        "series: never run", "windows: never run", "reminders: never run", "delivery: never run", "designations: never run",
    ]
    result = runner.invoke(args=["jobs", "run", "--now", "next tuesday"])
    assert result.exit_code == 2 and "'next tuesday' is not an ISO 8601 time" in result.output
    assert count(JobRun) == 0


def test_run_due_jobs_returns_counts_by_job(people, app):
    builders.launched_round()
    report = run_due_jobs(app, at("2026-10-07T09:00:00-07:00"))
    assert list(report) == list(JOBS) and report.ok and report.errors == {}
    assert report["delivery"]["sent"] == 8 and report["windows"] == {"opened": 0, "closed": 0, "skipped": 0}
    with pytest.raises(ValueError, match="naive"):
        run_due_jobs(app, dt.datetime(2026, 10, 7, 9))


# --- reminders ------------------------------------------------------------------------------

def test_reminders_follow_the_local_hour_across_the_dst_change(people, runner):
    dst_round(reminders={"offsets": ["P7D", "P1D"], "min_gap_hours": 20, "send_hours": [8, 18]})
    jobs(runner, "2026-10-06T10:00:00-07:00")  # invitations delivered

    jobs(runner, "2026-10-30T16:59:00-07:00")
    assert outbox_keys(OutboxMessage.kind == "reminder") == []
    # Seven days before 5 PM PST is 5 PM PDT (an exact 168 hours would be 6 PM, outside the hours).
    out = jobs(runner, "2026-10-30T17:00:00-07:00")
    assert "reminders: rounds=1 queued=8" in out
    jobs(runner, "2026-11-05T16:59:00-08:00")
    assert count(OutboxMessage, OutboxMessage.dedupe_key.like("%:P1D")) == 0
    out = jobs(runner, "2026-11-05T17:00:00-08:00")
    assert "reminders: rounds=1 queued=8" in out

    queued = db.session.scalars(select(EventRecord).where(EventRecord.type == "ReminderQueued").order_by(EventRecord.seq)).all()
    assert len(queued) == 16
    assert {(e.payload["slot"], to_local(e.occurred_at, LA).hour, to_local(e.occurred_at, LA).tzname()) for e in queued} == {
        ("P7D", 17, "PDT"), ("P1D", 17, "PST"),
    }
    assert {address: kinds for address, kinds in mailbox().items()} == {p: ["invitation", "P7D", "P1D"] for p in people}


def test_reminder_waits_for_the_sending_hours(people, runner):
    # Due at 17:00 local, but mail goes out only between 09:00 and 17:00.
    dst_round(reminders={"offsets": ["P2D", "P1D"], "min_gap_hours": 0, "send_hours": [9, 17]})
    jobs(runner, "2026-10-06T10:00:00-07:00")
    for when in ("2026-11-04T17:00:00-08:00", "2026-11-04T22:00:00-08:00", "2026-11-05T08:59:00-08:00"):
        out = jobs(runner, when)
        assert "queued=0" in out and "outside_hours=1" in out
    out = jobs(runner, "2026-11-05T09:00:00-08:00")
    assert "reminders: rounds=1 queued=8" in out
    assert reminder_slots() == {p: ["P2D"] for p in people}


def test_minimum_gap_across_rounds(people, runner):
    reminders = {"offsets": ["P2D"], "min_gap_hours": 20, "send_hours": [8, 18]}
    first = dst_round(title="first", reminders=reminders)
    jobs(runner, "2026-10-06T10:00:00-07:00")
    # A second round reaches the same people one day before the first one's reminder is due.
    second = builders.launched_round(now=at("2026-11-03T12:00:00-08:00"), title="second", closes_at="2026-11-06T17:00",
                                     reminders=reminders)
    jobs(runner, "2026-11-03T12:00:00-08:00")
    assert all(kinds == ["invitation", "invitation"] for kinds in mailbox().values())

    # Both rounds' P2D falls due together: the first round's reminder goes; the second's waits,
    # because a message to each person is already waiting in the outbox.
    out = jobs(runner, "2026-11-04T17:00:00-08:00")
    assert "queued=8" in out and "waiting_gap=8" in out
    assert count(OutboxMessage, OutboxMessage.kind == "reminder", OutboxMessage.round_id == first.id) == 8
    assert count(OutboxMessage, OutboxMessage.kind == "reminder", OutboxMessage.round_id == second.id) == 0
    # Still inside the gap the next morning; 20 hours after the first reminder, the second one goes.
    out = jobs(runner, "2026-11-05T12:59:00-08:00")
    assert "queued=0" in out and "waiting_gap=8" in out
    out = jobs(runner, "2026-11-05T13:00:00-08:00")
    assert "queued=8" in out
    assert all(kinds == ["invitation", "invitation", "P2D", "P2D"] for kinds in mailbox().values())


def test_a_late_scheduler_sends_one_reminder_for_all_missed_slots(people, runner):
    dst_round()
    jobs(runner, "2026-10-06T10:00:00-07:00")
    # Down from before P7D (Oct 30) until after P1D (Nov 5 17:00 PST).
    out = jobs(runner, "2026-11-06T09:00:00-08:00")
    assert "reminders: rounds=1 queued=8" in out
    assert reminder_slots() == {p: ["P1D"] for p in people}
    # The missed slots never come back.
    jobs(runner, "2026-11-06T10:00:00-08:00")
    jobs(runner, "2026-11-06T16:59:00-08:00")
    assert reminder_slots() == {p: ["P1D"] for p in people}
    assert all(inv.reminders_sent == 1 for inv in db.session.scalars(select(Invitation)))


def test_a_second_sweep_at_the_same_time_queues_nothing(people, app):
    dst_round()
    run_due_jobs(app, at("2026-10-06T10:00:00-07:00"))
    first = run_due_jobs(app, at("2026-10-30T17:00:00-07:00"))
    second = run_due_jobs(app, at("2026-10-30T17:00:00-07:00"))
    assert first["reminders"]["queued"] == 8
    assert second["reminders"]["queued"] == 0 and second["reminders"]["covered"] == 8
    assert count(EventRecord, EventRecord.type == "ReminderQueued") == 8
    event = db.session.scalars(select(EventRecord).where(EventRecord.type == "ReminderQueued")).first()
    message = db.session.get(OutboxMessage, event.payload["message_id"])
    assert message.dedupe_key == f"reminder:{event.payload['invitation_id']}:P7D" and event.actor == "system:reminders"
    assert message.invitation_id == event.payload["invitation_id"] and message.round_id == event.payload["round_id"]


def test_no_reminder_to_people_who_answered_opted_out_or_were_never_reached(people, runner):
    r = dst_round()
    [answered, opted, forwarded, undelivered, *rest] = people
    jobs(runner, "2026-10-06T10:00:00-07:00")
    submit(answered, "2026-10-10T10:00:00-07:00")
    inv = invitation_of(opted)
    handle(cmd.OptOut(inv.id), actor=f"token:{inv.id}", now=at("2026-10-11T10:00:00-07:00"))
    inv = invitation_of(forwarded)
    handle(cmd.ForwardInvitation(inv.id, name="Col League", email="colleague@example.org"), actor=f"token:{inv.id}",
           now=at("2026-10-12T10:00:00-07:00"))
    jobs(runner, "2026-10-12T10:00:00-07:00")  # the colleague's invitation goes out
    # One person's mail bounces (as the sender marks it when the server refuses the address for good).
    db.session.execute(Invitation.__table__.update().where(Invitation.id == invitation_of(undelivered).id).values(status="bounced"))
    db.session.commit()

    jobs(runner, "2026-10-30T17:00:00-07:00")
    reminded = set(reminder_slots())
    assert reminded == set(rest) | {"colleague@example.org"}
    assert r.id == invitation_of("colleague@example.org").round_id


def test_an_answer_cancels_a_reminder_queued_just_before_it(people, app):
    dst_round()
    run_due_jobs(app, at("2026-10-06T10:00:00-07:00"))
    handle(cmd.QueueDueReminders(invitation_of(people[0]).round_id), actor="system:reminders",
           now=at("2026-10-30T17:00:00-07:00"))
    assert count(OutboxMessage, OutboxMessage.kind == "reminder", OutboxMessage.status == "queued") == 8
    submit(people[0], "2026-10-30T17:00:30-07:00")
    report = run_due_jobs(app, at("2026-10-30T17:01:00-07:00"))
    assert report["delivery"]["sent"] == 7
    assert "P7D" not in mailbox()[people[0]]
    cancelled = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to_addr == people[0], OutboxMessage.kind == "reminder"))
    assert cancelled.status == "cancelled"


def test_an_answer_after_the_sender_claimed_the_reminder_still_stops_it(people, app, monkeypatch):
    # The sender claims a batch, then starts it group by group: an answer in between cancels the
    # claimed reminder, and the start leaves it out.
    from wfsurvey.mail import sender

    dst_round()
    run_due_jobs(app, at("2026-10-06T10:00:00-07:00"))
    handle(cmd.QueueDueReminders(invitation_of(people[0]).round_id), actor="system:reminders",
           now=at("2026-10-30T17:00:00-07:00"))
    real_start = sender._start
    answered = []

    def answer_then_start(connection, messages, now):
        if not answered:
            claimed = db.session.scalar(select(OutboxMessage.status).where(OutboxMessage.to_addr == people[0],
                                                                            OutboxMessage.kind == "reminder"))
            answered.append(claimed)
            submit(people[0], "2026-10-30T17:00:30-07:00")
            db.session.commit()
        return real_start(connection, messages, now)

    monkeypatch.setattr(sender, "_start", answer_then_start)
    report = run_due_jobs(app, at("2026-10-30T17:01:00-07:00"))

    assert answered == ["sending"]  # it was claimed when the answer came
    assert report["delivery"]["sent"] == 7
    assert "P7D" not in mailbox()[people[0]]
    db.session.expire_all()
    stopped = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to_addr == people[0], OutboxMessage.kind == "reminder"))
    assert stopped.status == "cancelled"


def test_an_answer_submitted_during_a_sweep_waits_for_it_and_gets_no_reminder(people, app, monkeypatch):
    dst_round()
    run_due_jobs(app, at("2026-10-06T10:00:00-07:00"))
    target = invitation_of(people[0])
    round_id = target.round_id
    queued_not_committed, go_on = threading.Event(), threading.Event()
    real = invitation_service.queue_messages

    def pause_before_commit(*args, **kwargs):
        result = real(*args, **kwargs)
        queued_not_committed.set()
        go_on.wait(10)
        return result

    monkeypatch.setattr(invitation_service, "queue_messages", pause_before_commit)
    errors = []

    def in_thread(action):
        def run():
            try:
                with app.app_context():
                    action()
            except Exception as exc:  # noqa: BLE001  (reported by the assertion below)
                errors.append(exc)
        return threading.Thread(target=run)

    sweep = in_thread(lambda: handle(cmd.QueueDueReminders(round_id), actor="system:reminders",
                                     now=at("2026-10-30T17:00:00-07:00")))
    answer = in_thread(lambda: submit(people[0], "2026-10-30T17:00:01-07:00"))
    sweep.start()
    assert queued_not_committed.wait(10)
    answer.start()
    # The answer waits for the sweep (the invitation row lock on PostgreSQL, the write lock on SQLite) ...
    answer.join(0.5)
    assert answer.is_alive()
    go_on.set()
    sweep.join(10)
    answer.join(10)
    assert errors == []
    # ... and then cancels the reminder the sweep had just queued.
    assert invitation_of(people[0]).status == "submitted"
    report = run_due_jobs(app, at("2026-10-30T17:01:00-07:00"))
    assert report["delivery"]["sent"] == 7
    assert mailbox()[people[0]] == ["invitation"]


def test_a_sweep_that_crashes_halfway_loses_nothing_and_sends_no_duplicate(people, runner, monkeypatch):
    dst_round()
    jobs(runner, "2026-10-06T10:00:00-07:00")
    monkeypatch.setattr("wfsurvey.jobs.reminders.CHUNK", 3)
    real = invitation_service.queue_messages
    calls = []

    def crash_on_second_chunk(*args, **kwargs):
        calls.append(1)
        queued = real(*args, **kwargs)  # the rows are written, then the process "dies" before commit
        if len(calls) == 2:
            raise RuntimeError("killed mid-sweep")
        return queued

    monkeypatch.setattr(invitation_service, "queue_messages", crash_on_second_chunk)
    out = jobs(runner, "2026-10-30T17:00:00-07:00", ok=False)
    assert "job reminders FAILED" in out and "killed mid-sweep" in out
    assert "queued=3" in out and "delivery: sent=3" in out  # the first chunk committed and went out
    assert count(EventRecord, EventRecord.type == "ReminderQueued") == 3

    monkeypatch.setattr(invitation_service, "queue_messages", real)
    out = jobs(runner, "2026-10-30T17:05:00-07:00")
    assert "queued=5 covered=3" in out and "delivery: sent=5" in out
    jobs(runner, "2026-10-30T17:10:00-07:00")
    assert mailbox() == {p: ["invitation", "P7D"] for p in people}
    assert count(EventRecord, EventRecord.type == "ReminderQueued") == 8
    assert [inv.reminders_sent for inv in db.session.scalars(select(Invitation))] == [1] * 8


def test_a_sweep_in_chunks_never_reads_back_the_reminders_it_queued(people, runner, monkeypatch):
    from wfsurvey.services import reminders as reminder_service

    dst_round()
    jobs(runner, "2026-10-06T10:00:00-07:00")  # the invitations go out: nothing waits in the outbox
    monkeypatch.setattr("wfsurvey.jobs.reminders.CHUNK", 3)
    real = reminder_service._addresses_with_mail_waiting
    found: list[set[str]] = []

    def spy(session, addresses):
        found.append(real(session, addresses))
        return found[-1]

    monkeypatch.setattr(reminder_service, "_addresses_with_mail_waiting", spy)
    out = jobs(runner, "2026-10-30T17:00:00-07:00")
    assert "queued=8" in out and "waiting_gap=0" in out
    # Three chunks, each asking only about its own people: the earlier chunks' reminders, still
    # queued, went to others and are never read again.
    assert found == [set(), set(), set()]
    assert [e.payload["message_id"] for e in db.session.scalars(
        select(EventRecord).where(EventRecord.type == "ReminderQueued").order_by(EventRecord.seq))] == sorted(
        db.session.scalars(select(OutboxMessage.id).where(OutboxMessage.kind == "reminder")))


def test_staff_send_a_reminder_by_hand_at_most_once_a_day(people, app):
    dst_round()
    run_due_jobs(app, at("2026-10-06T10:00:00-07:00"))
    inv = invitation_of(people[0])
    message_id = handle(cmd.SendReminderNow(inv.id), actor="user:1", now=at("2026-10-20T10:00:00-07:00"))
    message = db.session.get(OutboxMessage, message_id)
    assert message.dedupe_key == f"reminder:{inv.id}:manual:2026-10-20" and message.kind == "reminder"
    # 23:30 in Los Angeles is already the 21st in UTC, but still the same local day.
    with pytest.raises(DomainError, match="already sent by hand today"):
        handle(cmd.SendReminderNow(inv.id), actor="user:1", now=at("2026-10-20T23:30:00-07:00"))
    handle(cmd.SendReminderNow(inv.id), actor="user:1", now=at("2026-10-21T08:00:00-07:00"))
    run_due_jobs(app, at("2026-10-21T08:00:00-07:00"))
    assert invitation_of(people[0]).reminders_sent == 2
    slots = [e.payload["slot"] for e in db.session.scalars(select(EventRecord).where(EventRecord.type == "ReminderQueued"))]
    assert slots == ["manual:2026-10-20", "manual:2026-10-21"]

    submit(people[1], "2026-10-21T09:00:00-07:00")
    with pytest.raises(DomainError, match="submitted"):
        handle(cmd.SendReminderNow(invitation_of(people[1]).id), actor="user:1", now=at("2026-10-21T10:00:00-07:00"))
    with pytest.raises(DomainError, match="only while the round is open"):
        handle(cmd.SendReminderNow(inv.id), actor="user:1", now=at("2026-11-07T10:00:00-08:00"))
    # The scheduled reminder still comes: a manual one is not a slot.
    run_due_jobs(app, at("2026-10-30T17:00:00-07:00"))
    assert mailbox()[people[0]] == ["invitation", "manual:2026-10-20", "manual:2026-10-21", "P7D"]


def test_no_manual_reminder_before_the_invitation_was_delivered(people, app):
    r = dst_round()
    with pytest.raises(DomainError, match="not been delivered yet"):
        handle(cmd.SendReminderNow(invitation_of(people[0]).id), actor="user:1", now=at("2026-10-06T11:00:00-07:00"))
    assert count(OutboxMessage, OutboxMessage.kind == "reminder", OutboxMessage.round_id == r.id) == 0


# --- the whole timeline, counted at a real SMTP server ---------------------------------------

@pytest.fixture
def smtp_app(app, smtp_server):
    app.config["SMTP_URL"] = smtp_server.url
    return app


def test_timeline_of_a_whole_round_counted_at_the_smtp_server(people, smtp_app, smtp_server, runner):
    r = builders.launched_round(now=at("2026-10-01T09:00:00-07:00"), opens_at="2026-10-05T09:00", closes_at="2026-11-06T17:00")
    assert r.state == "scheduled"
    [answers, opts_out, *waits] = people

    jobs(runner, "2026-10-03T09:00:00-07:00")
    assert smtp_server.messages == []
    jobs(runner, "2026-10-05T09:00:00-07:00")  # the window opens
    assert at_server(smtp_server) == {p: ["invitation"] for p in people}
    jobs(runner, "2026-10-20T12:00:00-07:00")
    jobs(runner, "2026-10-30T16:59:00-07:00")
    assert len(smtp_server.messages) == 8
    jobs(runner, "2026-10-30T17:00:00-07:00")  # P7D
    assert at_server(smtp_server) == {p: ["invitation", "P7D"] for p in people}

    submit(answers, "2026-11-02T10:00:00-08:00")
    inv = invitation_of(opts_out)
    handle(cmd.OptOut(inv.id), actor=f"token:{inv.id}", now=at("2026-11-03T10:00:00-08:00"))

    jobs(runner, "2026-11-04T17:00:00-08:00")  # P2D
    jobs(runner, "2026-11-04T18:30:00-08:00")
    jobs(runner, "2026-11-05T17:00:00-08:00")  # P1D
    jobs(runner, "2026-11-06T12:00:00-08:00")
    out = jobs(runner, "2026-11-06T17:00:00-08:00")  # close
    assert "windows: opened=0 closed=1" in out
    jobs(runner, "2026-11-09T09:00:00-08:00")

    received = at_server(smtp_server)
    assert received[answers] == ["invitation", "P7D"]
    assert received[opts_out] == ["invitation", "P7D"]
    for person in waits:
        assert received[person] == ["invitation", "P7D", "P2D", "P1D"]
    assert len(smtp_server.messages) == 2 + 2 + 4 * len(waits)
    assert len({m.message["Message-ID"] for m in smtp_server.messages}) == len(smtp_server.messages)
    assert db.session.get(Round, r.id).state == "closed"


def test_mail_server_down_for_a_stretch_then_every_due_message_arrives_once(people, smtp_app, smtp_server, runner):
    builders.launched_round(now=at("2026-10-01T09:00:00-07:00"), opens_at="2026-10-05T09:00", closes_at="2026-11-06T17:00")
    smtp_server.stop()
    out = jobs(runner, "2026-10-05T09:00:00-07:00")  # opens while the server is down
    assert "delivery: sent=0 retried=8" in out
    smtp_server.start()
    jobs(runner, "2026-10-05T09:00:30-07:00")  # not due again yet (backoff)
    assert smtp_server.messages == []
    jobs(runner, "2026-10-05T10:00:00-07:00")
    assert at_server(smtp_server) == {p: ["invitation"] for p in people}

    # Down again from just before P7D for a day and a half, with the scheduler running throughout.
    smtp_server.stop()
    for when in ("2026-10-30T17:00:00-07:00", "2026-10-30T17:30:00-07:00", "2026-10-31T09:00:00-07:00",
                 "2026-10-31T15:00:00-07:00", "2026-11-01T09:00:00-08:00"):
        jobs(runner, when)
    assert count(OutboxMessage, OutboxMessage.kind == "reminder", OutboxMessage.status == "queued") == 8
    smtp_server.start()
    for when in ("2026-11-01T12:00:00-08:00", "2026-11-04T17:00:00-08:00", "2026-11-05T17:00:00-08:00",
                 "2026-11-06T17:00:00-08:00"):
        jobs(runner, when)
    assert at_server(smtp_server) == {p: ["invitation", "P7D", "P2D", "P1D"] for p in people}
    assert count(OutboxMessage, OutboxMessage.status.in_(["failed", "unknown", "queued", "sending"])) == 0
