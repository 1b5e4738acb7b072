"""The typed round command: ReminderPolicy and Audience in and out of the round's JSON columns, and the API schema that
builds CreateRound (the one place a definition is checked)."""
import datetime as dt

import pytest
from marshmallow import ValidationError

from wfsurvey.domain import commands as cmd
from wfsurvey.domain.reminders import ReminderPolicy
from wfsurvey.domain.rules import format_duration, parse_duration
from wfsurvey.schemas.rounds import round_command

UTC = dt.timezone.utc
DAY, HOUR = dt.timedelta(days=1), dt.timedelta(hours=1)
#: What rounds created before the typed command stored (and the reminders job reads).
STORED_REMINDERS = {"offsets": ["P7D", "P2D", "P1D"], "min_gap_hours": 20, "send_hours": [8, 18]}


@pytest.mark.parametrize("text", ["P7D", "PT12H", "P1DT6H", "PT30M", "P2DT1H5M", "P0D"])
def test_a_duration_reads_back_as_it_was_written(text):
    assert format_duration(parse_duration(text)) == text


def test_durations_are_written_in_days_hours_and_minutes():
    assert format_duration(parse_duration("P1W")) == "P7D"
    assert format_duration(dt.timedelta(minutes=90)) == "PT1H30M"
    with pytest.raises(ValueError):
        format_duration(dt.timedelta(seconds=30))


def test_reminder_policy_keeps_offsets_largest_first_and_once():
    policy = ReminderPolicy(offsets=(DAY, 12 * HOUR, 7 * DAY, 24 * HOUR), min_gap_hours=6, send_hours=[9, 17])
    assert policy.offsets == (7 * DAY, DAY, 12 * HOUR)
    assert policy.to_stored() == {"offsets": ["P7D", "P1D", "PT12H"], "min_gap_hours": 6, "send_hours": [9, 17]}
    assert ReminderPolicy.from_stored(policy.to_stored()) == policy


def test_reminder_policy_reads_what_rounds_stored_before_and_writes_the_same_shape():
    policy = ReminderPolicy.from_stored(STORED_REMINDERS)
    assert policy == ReminderPolicy()
    assert policy.to_stored() == STORED_REMINDERS
    assert ReminderPolicy.from_stored({"offsets": ["PT12H"]}).to_stored() == {**STORED_REMINDERS, "offsets": ["PT12H"]}
    assert ReminderPolicy.from_stored(None) == ReminderPolicy()


def test_reminder_policy_slots_follow_the_local_calendar():
    closes = dt.datetime(2026, 11, 7, 1, 0, tzinfo=UTC)  # Friday 5 PM PST, a week after the clocks went back
    slots = ReminderPolicy().slots(closes, "America/Los_Angeles", opens_at=closes - 3 * DAY)
    assert [(s.name, s.due_at) for s in slots] == [("P2D", closes - 2 * DAY), ("P1D", closes - DAY)]


def test_audience_round_trips_through_its_stored_shape():
    audience = cmd.Audience(regions=("los-angeles",), org_types=("lwib", "college"), include_contacts=(7, "a@b.org"))
    stored = audience.to_stored()
    assert stored == {"regions": ["los-angeles"], "org_types": ["lwib", "college"], "include_contacts": [7, "a@b.org"],
                      "exclude_contacts": []}
    assert cmd.Audience.from_stored(stored) == audience
    assert cmd.Audience.from_stored({"regions": ["x"]}) == cmd.Audience(regions=("x",))


def test_create_round_holds_aware_utc_times_and_refuses_naive_ones():
    pacific = dt.timezone(dt.timedelta(hours=-7))
    command = cmd.CreateRound(template_slug="t", title="T", opens_at=dt.datetime(2026, 10, 5, 9, tzinfo=pacific),
                              closes_at=dt.datetime(2026, 11, 2, 17, tzinfo=pacific))
    assert command.opens_at == dt.datetime(2026, 10, 5, 16, tzinfo=UTC) and command.opens_at.tzinfo is UTC
    with pytest.raises(ValueError, match="aware"):
        cmd.CreateRound(template_slug="t", title="T", opens_at=dt.datetime(2026, 10, 5, 9),
                        closes_at=dt.datetime(2026, 11, 2, 17, tzinfo=UTC))


def test_the_api_schema_builds_the_typed_command():
    command = round_command({
        "template": "collab", "version": 2, "title": "AM baseline", "timezone": "America/Los_Angeles",
        "opens_at": "2026-10-05T09:00", "closes_at": "2026-11-02T17:00:00-08:00",
        "audience": {"regions": ["Los Angeles"], "include_contacts": [3, "pat@example.org"]},
        "reminders": {"offsets": ["p1d", "PT12H", "P7D"], "min_gap_hours": 0, "send_hours": [7, 19]},
        "baseline": True, "response_rule": "contact",
    })
    assert command == cmd.CreateRound(
        template_slug="collab", template_version=2, title="AM baseline", timezone="America/Los_Angeles",
        opens_at=dt.datetime(2026, 10, 5, 16, tzinfo=UTC), closes_at=dt.datetime(2026, 11, 3, 1, tzinfo=UTC),
        audience=cmd.Audience(regions=("Los Angeles",), include_contacts=(3, "pat@example.org")),
        reminders=ReminderPolicy(offsets=(7 * DAY, DAY, 12 * HOUR), min_gap_hours=0, send_hours=(7, 19)),
        baseline=True, response_rule="contact",
    )
    defaults = round_command({"template": "collab", "title": "T", "opens_at": "2026-10-05T09:00",
                              "closes_at": "2026-11-02T17:00"})
    assert (defaults.template_version, defaults.audience, defaults.reminders) == (None, cmd.Audience(), ReminderPolicy())
    assert (defaults.baseline, defaults.response_rule, defaults.timezone) == (False, "organization", "America/Los_Angeles")


def test_the_api_schema_names_each_field_it_refuses():
    with pytest.raises(ValidationError) as refused:
        round_command({"template": "collab", "title": "T", "opens_at": "2026-10-05T09:00", "closes_at": "2026-11-02T17:00",
                       "reminders": {"offsets": ["soon"], "send_hours": [18, 8]}, "audience": {"org_types": ["club"]}})
    assert set(refused.value.messages) == {"reminders", "audience"}
    with pytest.raises(ValidationError) as refused:
        round_command({"template": "collab", "title": "T", "opens_at": "2026-11-02T17:00", "closes_at": "2026-10-05T09:00"})
    assert refused.value.messages == {"closes_at": ["must be after opens_at"]}
