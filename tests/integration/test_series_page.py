"""Staff create a round series on the "New round series" page: the same command and the same refusals as
POST /api/v1/series, the errors beside the fields with a summary, nothing stored when refused, and the series page
then says in words when each of the next periods' rounds opens and closes."""
from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from sqlalchemy import func, select

from tests import builders
from tests.integration.test_api import Api, token_for
from tests.integration.test_round_series import CV, IE, LA, OUTCOMES, SETUP
from tests.web import post_form, signed_in  # noqa: F401  (fixture)
from wfsurvey.extensions import db
from wfsurvey.models import EventRecord, RoundSeries

#: A valid page submission: a quarterly series over the pilot regions' boards.
GOOD = {"template": "outcomes", "title": "AM outcomes", "cadence": "P3M", "first_period_end": "2027-03-31",
        "timezone": "America/Los_Angeles", "open_days_before": "7", "close_days_after": "10", "invites": "pilots",
        "org_types": ["lwib"], "offsets": ["P7D", "P2D"], "other_offsets": "", "min_gap_hours": "20",
        "send_from": "8", "send_until": "18", "include_contacts": "", "exclude_contacts": ""}
#: The same series as the API's body.
GOOD_API = {"template": "outcomes", "title": "AM outcomes", "cadence": "P3M", "first_period_end": "2027-03-31",
            "timezone": "America/Los_Angeles", "open_days_before": 7, "close_days_after": 10,
            "audience": {"pilot_regions": True, "org_types": ["lwib"]}}

#: Bad values refused by both: (page field, page value, API field, API value, what the page says beside the field).
BAD = [
    ("template", "no-such-template", "template", "no-such-template", "Not a valid choice"),
    ("cadence", "P2W", "cadence", "P2W", "Choose how often: every quarter or every month."),
    ("first_period_end", "1999-12-31", "first_period_end", "1999-12-31", "a date between 2000 and 2200"),
    ("first_period_end", "", "first_period_end", "", "Enter the day the first period ends."),
    ("timezone", "Mars/Olympus_Mons", "timezone", "Mars/Olympus_Mons", "Not a valid choice"),
    ("open_days_before", "61", "open_days_before", 61, "Enter a number of days from 0 to 60."),
    ("close_days_after", "0", "close_days_after", 0, "Enter a number of days from 1 to 60."),
    ("title", "", "title", "", "Enter the series' title."),
]


@pytest.fixture
def staff(app, signed_in):  # noqa: F811
    app.config["FIXED_NOW"] = SETUP
    builders.stakeholders(regions=(LA, IE, CV), boards=2, colleges=1, now=SETUP)
    builders.template(OUTCOMES, now=SETUP)
    client, _ = signed_in("staff")
    return client


def _count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(RoundSeries))


def test_staff_create_a_series_on_the_page_and_its_page_says_when_each_round_opens(staff):
    page = staff.get("/staff/series")
    assert b'href="/staff/series/new"' in page.data and b"POST /api/v1/series" not in page.data
    form = staff.get("/staff/series/new").get_data(as_text=True)
    assert "Regional outcomes (outcomes, version 1)" in form and "Every quarter" in form and "Every month" in form
    assert 'type="date"' in form and "P3M" not in form.replace('value="P3M"', "")

    done = post_form(staff, "/staff/series/new", GOOD, token_from="/staff/series/new")
    assert done.status_code == 302, done.get_data(as_text=True)
    (series,) = db.session.scalars(select(RoundSeries)).all()
    assert done.headers["Location"].endswith(f"/staff/series/{series.id}")
    assert (series.template_slug, series.title, series.cadence, series.first_period_end, series.timezone,
            series.open_days_before, series.close_days_after) == (
        "outcomes", "AM outcomes", "P3M", dt.date(2027, 3, 31), "America/Los_Angeles", 7, 10)
    assert series.audience["pilot_regions"] is True and series.audience["org_types"] == ["lwib"]
    assert series.audience["regions"] == []
    assert series.reminders == {"offsets": ["P7D", "P2D"], "min_gap_hours": 20, "send_hours": [8, 18]}
    event = db.session.scalars(select(EventRecord).where(EventRecord.type == "SeriesCreated")).one()
    assert event.payload["series_id"] == series.id and event.payload["cadence"] == "P3M"
    assert event.actor.startswith("user:")

    shown = html.unescape(staff.get(done.headers["Location"]).get_data(as_text=True))
    assert "The series “AM outcomes” is created." in shown
    # The next periods in words: the first opens 7 days before March 31 at 9 AM and closes 10 days after at 5 PM.
    assert "Quarter ending March 31, 2027" in shown
    assert "Wednesday, March 24, 2027 at 9:00 AM PDT" in shown and "Saturday, April 10, 2027 at 5:00 PM PDT" in shown
    assert "Quarter ending June 30, 2027" in shown and "Wednesday, June 23, 2027 at 9:00 AM PDT" in shown
    assert "Quarter ending December 31, 2027" in shown


def test_a_series_of_chosen_regions_stores_their_codes(staff):
    data = dict(GOOD, invites="chosen", regions=[LA, IE], cadence="P1M")
    assert post_form(staff, "/staff/series/new", data, token_from="/staff/series/new").status_code == 302
    series = db.session.scalars(select(RoundSeries)).one()
    assert series.cadence == "P1M" and series.audience["pilot_regions"] is False
    assert sorted(series.audience["regions"]) == sorted([LA, IE])


@pytest.mark.parametrize(("field", "value", "api_field", "api_value", "said"), BAD,
                         ids=[f"{b[0]}={b[1]!r}" for b in BAD])
def test_the_page_and_the_api_refuse_the_same_values(client, staff, field, value, api_field, api_value, said):
    response = post_form(staff, "/staff/series/new", dict(GOOD, **{field: value}), token_from="/staff/series/new")
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    assert 'class="error-summary"' in page and said in page
    assert f'id="{field}-error"' in page  # said beside the field
    api = Api(client, token_for("admin", "admin@example.org"))
    refused = api.post("/series", dict(GOOD_API, **{api_field: api_value}))
    assert refused.status_code in (400, 422), refused.json
    assert _count() == 0
    # Both take the good values.
    assert api.post("/series", GOOD_API).status_code == 201
    assert post_form(staff, "/staff/series/new", GOOD, token_from="/staff/series/new").status_code == 302
    assert _count() == 2


def test_the_service_refusal_is_shown_beside_the_field(staff, monkeypatch):
    # A template deleted between showing the page and creating: the service's check answers, beside "Template".
    from wfsurvey.forms import series as series_form
    monkeypatch.setattr(series_form, "series_template_choices",
                        lambda: [series_form.SelectChoice("gone", "Gone (gone, version 1)")])
    response = post_form(staff, "/staff/series/new", dict(GOOD, template="gone"), token_from="/staff/series/new")
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200 and "unknown template" in page and 'id="template-error"' in page
    assert _count() == 0


def _without_codes(page: str) -> str:
    """The page's words, the radio buttons' stored values (value="P3M") left out."""
    return page.replace('value="P3M"', "").replace('value="P1M"', "")


def test_a_bad_cadence_is_refused_in_words_never_in_codes(staff, monkeypatch):
    # Refused by the page's own field...
    response = post_form(staff, "/staff/series/new", dict(GOOD, cadence="P2W"), token_from="/staff/series/new")
    page = _without_codes(html.unescape(response.get_data(as_text=True)))
    assert response.status_code == 200 and "Choose how often: every quarter or every month." in page
    assert "P3M" not in page and "P1M" not in page and "P2W" not in page.replace('value="P2W"', "")
    # ...and by the schema behind it (the API's rule, whose message names the codes for scripts).
    from wfsurvey.forms import series as series_form
    monkeypatch.setattr(series_form.SeriesForm.cadence, "kwargs",
                        dict(series_form.SeriesForm.cadence.kwargs,
                             choices=[*series_form.CADENCE_CHOICES, series_form.SelectChoice("P2W", "Every fortnight")]))
    response = post_form(staff, "/staff/series/new", dict(GOOD, cadence="P2W"), token_from="/staff/series/new")
    page = _without_codes(html.unescape(response.get_data(as_text=True)))
    assert response.status_code == 200 and 'id="cadence-error"' in page
    assert "Choose how often: every quarter or every month." in page and "P3M" not in page and "P1M" not in page
    assert _count() == 0


def test_the_service_refuses_a_bad_cadence_in_words(staff):
    from wfsurvey.domain import commands as cmd
    from wfsurvey.domain.errors import DomainError
    from wfsurvey.domain.reminders import ReminderPolicy
    from wfsurvey.services import handle

    with pytest.raises(DomainError) as refused:
        handle(cmd.CreateSeries(template_slug="outcomes", title="AM outcomes", cadence="P2W",
                                first_period_end=dt.date(2027, 3, 31), timezone="America/Los_Angeles",
                                open_days_before=7, close_days_after=10, audience=cmd.Audience(), pilot_regions=False,
                                reminders=ReminderPolicy()), actor="cli")
    assert refused.value.fields == {"cadence": ["Choose how often: every quarter or every month."]}
    assert _count() == 0


def test_the_form_says_which_audience_applies_and_refuses_regions_beside_the_pilot_regions(client, staff):
    form = html.unescape(staff.get("/staff/series/new").get_data(as_text=True))
    assert "Which regions" in form and "The regions ticked below" in form
    assert "Only with “The regions ticked below”." in form
    assert "For either choice of regions: only organizations of the types ticked are invited." in form

    # The pilot regions chosen and regions ticked too: refused beside "Regions", not silently dropped.
    response = post_form(staff, "/staff/series/new", dict(GOOD, regions=[LA]), token_from="/staff/series/new")
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200 and 'id="regions-error"' in page
    assert "You chose the confirmed pilot regions: untick these regions, or choose “The regions ticked below” instead." \
        in page
    assert _count() == 0
    # The API refuses the same mix, in words too.
    api = Api(client, token_for("admin", "admin@example.org"))
    refused = api.post("/series", dict(GOOD_API, audience={"pilot_regions": True, "regions": [LA], "org_types": ["lwib"]}))
    assert refused.status_code in (400, 422), refused.json
    assert "names no regions" in str(refused.json["error"]) and _count() == 0


def test_the_series_page_says_who_is_invited_by_name(staff):
    done = post_form(staff, "/staff/series/new", GOOD, token_from="/staff/series/new")
    shown = html.unescape(staff.get(done.headers["Location"]).get_data(as_text=True))
    assert "Who is invited" in shown
    assert "The confirmed pilot regions as they are when each period starts (now: none is confirmed yet)" in shown
    assert "Local workforce board" in shown and "Every type" not in shown

    data = dict(GOOD, invites="chosen", regions=[LA, IE], org_types=[], title="Chosen")
    done = post_form(staff, "/staff/series/new", data, token_from="/staff/series/new")
    shown = html.unescape(staff.get(done.headers["Location"]).get_data(as_text=True))
    assert "Los Angeles" in shown and "Inland Empire Desert" in shown and "Every type" in shown
    assert LA not in shown.replace(f"/{LA}", "") and "pilot regions" not in shown


def test_preview_the_dates_shows_the_first_periods_in_words_and_creates_nothing(staff):
    response = post_form(staff, "/staff/series/new", dict(GOOD, action="preview"), token_from="/staff/series/new")
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    preview = page[page.index('id="dates-preview"'):]
    preview = preview[:preview.index("</table>")]
    rows = [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in preview.split("<tr>")[2:]]
    assert rows == [
        "Quarter ending March 31, 2027 Wednesday, March 24, 2027 at 9:00 AM PDT Saturday, April 10, 2027 at 5:00 PM PDT",
        "Quarter ending June 30, 2027 Wednesday, June 23, 2027 at 9:00 AM PDT Saturday, July 10, 2027 at 5:00 PM PDT",
        "Quarter ending September 30, 2027 Thursday, September 23, 2027 at 9:00 AM PDT "
        "Sunday, October 10, 2027 at 5:00 PM PDT",
        "Quarter ending December 31, 2027 Friday, December 24, 2027 at 9:00 AM PST "
        "Monday, January 10, 2028 at 5:00 PM PST",
    ]
    assert _count() == 0 and 'value="AM outcomes"' in page  # what was typed is kept

    # A first period already over is said so: the scheduler makes no round for it.
    response = post_form(staff, "/staff/series/new", dict(GOOD, action="preview", first_period_end="2026-09-30"),
                         token_from="/staff/series/new")
    page = html.unescape(response.get_data(as_text=True))
    assert "Quarter ending September 30, 2026" in page and page.count("(over already: no round is made)") == 1
    # Refused values: said beside the field, no preview.
    response = post_form(staff, "/staff/series/new", dict(GOOD, action="preview", open_days_before="99"),
                         token_from="/staff/series/new")
    page = html.unescape(response.get_data(as_text=True))
    assert 'id="dates-preview"' not in page and 'id="open_days_before-error"' in page
    assert _count() == 0


def test_the_page_needs_csrf_and_staff(app, staff, client):
    assert staff.post("/staff/series/new", data=GOOD).status_code in (200, 400)
    assert _count() == 0
    assert client.get("/staff/series/new").status_code in (302, 401, 403)
    assert client.post("/staff/series/new", data=GOOD).status_code in (302, 400, 401, 403)
    assert _count() == 0
