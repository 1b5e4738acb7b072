"""The jobs page's words: a run's counts as a sentence, which runs are idle, an hour of the day said as people say it."""
from __future__ import annotations

import datetime as dt

import pytest

from wfsurvey.domain.rules import parse_local
from wfsurvey.queries.job_runs import describe_counts, hour_span, is_idle, job_title, local_hours

LA = "America/Los_Angeles"


@pytest.mark.parametrize("job, counts, error, idle", [
    ("windows", {"opened": 0, "closed": 0, "skipped": 3}, None, True),
    ("windows", {"opened": 1, "closed": 0, "skipped": 0}, None, False),
    ("reminders", {"rounds": 3, "queued": 0, "covered": 400, "waiting_gap": 2}, None, True),
    ("delivery", {"sent": 0, "released": 2}, None, False),
    ("designations", {"rounds": 1, "changed": 0}, None, True),
    ("designations", {}, "JobFailed: round 4", False),
    ("a_new_job", {"found": 0, "note": "text"}, None, True),
    ("a_new_job", {"found": 2}, None, False),
])
def test_idle_means_no_error_and_no_action(job, counts, error, idle):
    assert is_idle(job, counts, error) is idle


def test_counts_in_words():
    assert describe_counts("delivery", {"sent": 1, "retried": 0, "failed": 2}) == "Sent 1 email, 2 emails refused for good."
    assert describe_counts("windows", {"opened": 2, "closed": 1, "skipped": 1}) == (
        "Opened 2 rounds, closed 1 round (1 round was moved by someone meanwhile).")
    assert describe_counts("reminders", {"queued": 1200, "waiting_gap": 1}) == (
        "Queued 1,200 reminders (1 person written to too recently gets one later).")
    assert describe_counts("reminders", {"rounds": 2, "queued": 0, "covered": 5}) == "Nothing to do."
    assert describe_counts("designations", {}, "JobFailed: round 4") == ""
    assert describe_counts("a_new_job", {"found_rows": 2, "none": 0}) == "Found rows 2."
    assert job_title("delivery") == "Email delivery" and job_title("a_new_job") == "A new job"


def _hour(day: dt.date, hour: int) -> tuple[dt.datetime, dt.datetime]:
    return next(pair for pair in local_hours(day, LA) if pair[0] == parse_local(dt.datetime.combine(day, dt.time(hour)), LA))


@pytest.mark.parametrize("hour, said", [
    (9, "between 9 and 10 AM"), (11, "between 11 AM and noon"), (12, "between noon and 1 PM"),
    (13, "between 1 and 2 PM"), (23, "between 11 PM and midnight"), (0, "between midnight and 1 AM"),
])
def test_an_hour_in_words(hour, said):
    assert hour_span(*_hour(dt.date(2026, 10, 6), hour), LA) == said


def test_days_when_the_clocks_change_have_23_and_25_hours():
    assert len(local_hours(dt.date(2026, 3, 8), LA)) == 23
    fall_back = local_hours(dt.date(2026, 11, 1), LA)
    assert len(fall_back) == 25
    assert hour_span(*fall_back[1], LA) == "between 1 AM PDT and 1 AM PST"
