"""Job run records: which runs count as idle, how long they are kept, and the jobs page that lists the runs that did
something in words and counts the idle ones per hour."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from tests import builders
from tests.web import signed_in  # noqa: F401  (a fixture)
from wfsurvey.clock import wall_now
from wfsurvey.domain.rules import parse_local, to_local
from wfsurvey.extensions import db
from wfsurvey.jobs import JOBS, run_due_jobs
from wfsurvey.models import JobRun

UTC = dt.timezone.utc
LA = "America/Los_Angeles"
#: Inside the builders' round window, which opens on 5 October 2026 at 9 AM in Los Angeles.
OPENING = dt.datetime(2026, 10, 5, 16, 0, tzinfo=UTC)


def runs_by_job() -> dict[str, list[JobRun]]:
    db.session.rollback()
    found: dict[str, list[JobRun]] = {}
    for run in db.session.scalars(select(JobRun).order_by(JobRun.id)):
        found.setdefault(run.job, []).append(run)
    return found


def test_a_run_that_opened_a_round_or_sent_mail_is_busy_and_one_that_found_nothing_is_idle(app):
    builders.stakeholders(regions=("los-angeles",), boards=1, colleges=1)
    builders.template()
    builders.launched_round(now=OPENING - dt.timedelta(days=1))  # scheduled: opens at OPENING
    run_due_jobs(app, OPENING)
    first = {job: runs[-1] for job, runs in runs_by_job().items()}
    assert first["windows"].counts["opened"] == 1 and not first["windows"].idle
    assert first["delivery"].counts["sent"] == 2 and not first["delivery"].idle
    assert first["reminders"].counts["queued"] == 0 and first["reminders"].idle

    run_due_jobs(app, OPENING + dt.timedelta(minutes=1))
    again = {job: runs[-1] for job, runs in runs_by_job().items()}
    assert set(again) == set(JOBS) and all(run.idle for run in again.values())


def test_a_failed_run_is_never_idle(app, monkeypatch):
    from wfsurvey import jobs as jobs_module

    def broken(now, counts):
        raise RuntimeError("smtp.internal refused the connection")

    monkeypatch.setitem(jobs_module.JOBS, "delivery", broken)
    run_due_jobs(app, OPENING)
    delivery = runs_by_job()["delivery"][-1]
    assert delivery.error and not delivery.idle


@pytest.mark.parametrize("keep_days, kept", [(None, {"29 days old", "today"}), (7, {"today"})])
def test_runs_older_than_the_kept_days_are_deleted_when_a_run_ends(app, keep_days, kept):
    if keep_days is not None:
        app.config["JOB_RUNS_KEEP_DAYS"] = keep_days
    now = wall_now()
    for label, age in (("31 days old", 31), ("29 days old", 29), ("today", 0)):
        start = now - dt.timedelta(days=age)
        db.session.add(JobRun(job=label, logical_now=start, started_at=start, finished_at=start, counts={}, idle=True))
    db.session.commit()
    run_due_jobs(app, OPENING)
    left = set(runs_by_job())
    assert left - set(JOBS) == kept


def test_deleting_old_runs_reads_the_started_at_index(app):
    from sqlalchemy import delete

    statement = delete(JobRun).where(JobRun.started_at < dt.datetime(2026, 1, 1, tzinfo=UTC))
    compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
    explain = "EXPLAIN QUERY PLAN " if db.engine.dialect.name == "sqlite" else "EXPLAIN "
    with db.engine.connect() as conn:
        if db.engine.dialect.name == "postgresql":
            conn.execute(db.text("SET enable_seqscan = off"))  # an empty table: make the planner show its choice
        plan = " ".join(str(row) for row in conn.execute(db.text(explain + str(compiled))))
    assert "ix_job_runs_started_at" in plan


def _run(job: str, local: dt.datetime, counts: dict, *, idle: bool, error: str | None = None) -> None:
    start = parse_local(local, LA)
    db.session.add(JobRun(job=job, logical_now=start, started_at=start, finished_at=start + dt.timedelta(seconds=1),
                          counts=counts, error=error, idle=idle))


def test_jobs_page_lists_what_runs_did_in_words_and_counts_idle_runs_per_hour(app, signed_in):
    day = to_local(wall_now(), LA).date() - dt.timedelta(days=2)
    at = lambda hour, minute: dt.datetime.combine(day, dt.time(hour, minute))  # noqa: E731
    _run("delivery", dt.datetime.combine(day - dt.timedelta(days=1), dt.time(9, 0)), {"sent": 8}, idle=False)
    _run("delivery", at(9, 5), {"sent": 0, "failed": 0}, idle=True)
    _run("windows", at(9, 6), {"opened": 0, "closed": 0, "skipped": 0}, idle=True)
    _run("delivery", at(9, 20), {"sent": 3, "retried": 1, "failed": 0}, idle=False)
    _run("reminders", at(9, 21), {"rounds": 1, "queued": 12, "waiting_gap": 2}, idle=False)
    _run("windows", at(10, 15), {"opened": 0}, idle=True)
    _run("designations", at(11, 59), {}, idle=False, error="JobFailed: round 4: OperationalError: database is locked")
    _run("delivery", at(23, 30), {"sent": 0}, idle=True)
    db.session.commit()

    client, _ = signed_in("staff")
    page = client.get(f"/staff/jobs?day={day.isoformat()}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "Sent 3 emails, 1 email to try again later." in text
    assert "Queued 12 reminders (2 people written to too recently get one later)." in text
    assert "Failed: JobFailed: round 4: OperationalError: database is locked" in text
    assert "2 idle runs between 9 and 10 AM" in text
    assert "1 idle run between 10 and 11 AM" in text
    assert "1 idle run between 11 PM and midnight" in text
    assert "3 runs did something; 4 found nothing to do." in text
    assert "Sent 8 emails" not in text  # the day before
    # Newest hour first, and no raw counts anywhere.
    timeline = text[text.index("What the jobs did on"):]
    assert timeline.index("11 PM and midnight") < timeline.index("Failed: JobFailed") < timeline.index("Sent 3 emails")
    assert "sent=" not in text and "'sent'" not in text and "waiting_gap" not in text
    assert "Sent 8 emails" in client.get(f"/staff/jobs?day={(day - dt.timedelta(days=1)).isoformat()}").get_data(as_text=True)
