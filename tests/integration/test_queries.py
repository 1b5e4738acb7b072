"""The read side: completion status, baseline table (with the change and the pilot ranking), designations, the
event feed, and proof that each takes the same number of SQL statements for a round of 8 and of 200 invitations."""
from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from sqlalchemy import event, select

from tests import builders
from wfsurvey.domain import commands as cmd
from wfsurvey.extensions import db
from wfsurvey.models import Contact, Invitation
from wfsurvey.queries import NotFound
from wfsurvey.queries.baseline import PILOT_FORMULA, baseline_table
from wfsurvey.queries.designations import counterpart_summary, round_designations
from wfsurvey.queries.events import events_after
from wfsurvey.queries.status import round_status
from wfsurvey.schemas.rounds import round_command
from wfsurvey.services import handle

UTC = dt.timezone.utc
LAUNCH = dt.datetime(2026, 10, 6, 17, 0, tzinfo=UTC)
ANSWER = dt.datetime(2026, 10, 7, 17, 0, tzinfo=UTC)
IE, LA = "inland-empire-desert", "los-angeles"


def invitation_of(round_id: int, email: str) -> Invitation:
    return db.session.scalar(select(Invitation).join(Contact, Contact.id == Invitation.contact_id)
                             .where(Invitation.round_id == round_id, Contact.email == email))


def answer(invitation: Invitation, now=ANSWER, *, navigator: str | None = None, **values) -> None:
    form = {"targets_am": ["no"], "colleges": ["3"]}
    form.update({k: v if isinstance(v, list) else [str(v)] for k, v in values.items()})
    if navigator:
        form.update({"navigator.name": ["Nav " + navigator], "navigator.email": [navigator], "navigator.organization": ["IE College"]})
    handle(cmd.SaveAnswers(invitation.id, form, True), actor=f"token:{invitation.id}", now=now)


@contextlib.contextmanager
def statements():
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    db.session.remove()  # start from an empty session: nothing cached that one round has and the other lacks
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def build_round(baseline: bool = False):
    """2 regions x (2 boards + 2 colleges); an IE board, an IE college and an LA college answer; an LA college opts out."""
    builders.stakeholders()
    builders.template()
    r = builders.launched_round(now=LAUNCH, baseline=baseline)
    answer(invitation_of(r.id, f"lwib1.{IE}@example.org"), targets_am="yes", initiatives="IE consortium", colleges=5,
           occupations=["cnc", "welder"], slots=10, navigator="nav@ie.example.org")
    answer(invitation_of(r.id, f"college1.{IE}@example.org"), targets_am="no", colleges=3, occupations=["cnc"], slots=4)
    answer(invitation_of(r.id, f"college1.{LA}@example.org"), targets_am="yes", initiatives="LA", colleges=2, slots=0)
    opted = invitation_of(r.id, f"college2.{LA}@example.org")
    handle(cmd.OptOut(opted.id), actor=f"token:{opted.id}", now=ANSWER)
    return r


@pytest.fixture
def round_with_answers(app):
    return build_round()


def test_status_counts_by_region_and_type_with_blocked_regions_and_non_respondents(round_with_answers):
    status = round_status(db.session, round_with_answers.id)
    assert status["totals"] == {"invited": 8, "sent": 0, "started": 3, "submitted": 3, "bounced": 0, "opted_out": 1, "forwarded": 0}
    regions = {r["region"]: r for r in status["by_region"]}
    assert (regions[IE]["invited"], regions[IE]["submitted"], regions[IE]["name"]) == (4, 2, "Inland Empire Desert")
    assert (regions[LA]["submitted"], regions[LA]["opted_out"]) == (1, 1)
    types = {t["org_type"]: t for t in status["by_org_type"]}
    assert [t["org_type"] for t in status["by_org_type"]] == ["lwib", "college"]
    assert (types["lwib"]["submitted"], types["college"]["submitted"]) == (1, 2)
    # Los Angeles: its two boards were invited and neither has answered, so it has no counterpart yet.
    assert [(b["region"], b["boards_invited"]) for b in status["blocked_regions"]] == [(LA, 2)]
    assert "none of the 2 local board invitations" in status["blocked_regions"][0]["reason"]
    listed = {n["contact"]["email"]: n for n in status["non_respondents"]}
    assert status["non_respondents_total"] == 5 == len(listed)
    assert f"lwib1.{IE}@example.org" not in listed and f"college2.{LA}@example.org" in listed
    assert listed[f"college2.{LA}@example.org"]["status"] == "opted_out"
    last = listed[f"lwib2.{LA}@example.org"]["last_message"]
    assert last["kind"] == "invitation" and last["status"] == "queued" and last["queued_at"].endswith("+00:00")
    first, last_page = (round_status(db.session, round_with_answers.id, page=p, per_page=2) for p in (1, 3))
    assert len(first["non_respondents"]) == 2 and first["non_respondents_total"] == 5
    assert len(last_page["non_respondents"]) == 1 and last_page["non_respondents_page"].pages == 3


def test_a_colleague_who_already_answered_takes_the_organisation_off_the_non_respondents(app):
    builders.stakeholders(regions=(IE,), boards=1, colleges=0)
    board = db.session.scalar(select(Contact))
    colleague = Contact(organization_id=board.organization_id, name="Second Person", email="second@example.org",
                        created_at=builders.T0, updated_at=builders.T0)
    db.session.add(colleague)
    db.session.commit()
    builders.template()
    r = builders.launched_round(now=LAUNCH)
    answer(invitation_of(r.id, board.email), navigator="nav@ie.example.org")
    status = round_status(db.session, r.id)
    assert status["non_respondents"] == [] and status["non_respondents_total"] == 0
    assert status["blocked_regions"] == []


def test_baseline_rows_figures_designation_and_ranking(app, round_with_answers):
    # Regions of one or two answers are ranked here, to check the score (the threshold has its own tests).
    app.config["MIN_RESPONSES_FOR_RANKING"] = 1
    table = baseline_table(db.session, round_with_answers.id)
    assert table["unit"] == "organization" and table["compared_with"] is None
    assert [q["key"] for q in table["questions"]] == ["targets_am", "colleges", "occupations", "slots"]
    rows = {r["region"]: r for r in table["rows"]}
    ie = rows[IE]
    assert ie["by_org_type"] == {"lwib": {"invited": 2, "responded": 1}, "college": {"invited": 2, "responded": 1}}
    assert (ie["invited"], ie["responded"], ie["response_rate"]) == (4, 2, 0.5)
    assert ie["answers"]["colleges"] == {"type": "scale", "n": 2, "mean": 4.0,
                                         "distribution": {"1": 0, "2": 0, "3": 1, "4": 0, "5": 1}}
    assert ie["answers"]["targets_am"]["counts"] == {"yes": 1, "no": 1}
    assert ie["answers"]["targets_am"]["shares"] == {"yes": 0.5, "no": 0.5}
    # A multiple choice is shared out over the region's responses.
    assert ie["answers"]["occupations"]["counts"] == {"cnc": 2, "welder": 1, "mechatronics": 0}
    assert ie["answers"]["occupations"]["shares"]["welder"] == 0.5
    assert ie["answers"]["slots"] == {"type": "number", "n": 2, "mean": 7.0, "sum": 14.0}
    assert ie["designation"] == "designated" and rows[LA]["designation"] == "unfilled"
    assert table["total"]["region"] == "" and table["total"]["responded"] == 3 and table["total"]["designation"] is None
    assert table["total"]["answers"]["colleges"]["mean"] == pytest.approx(10 / 3, abs=1e-4)

    ranking = table["ranking"]
    assert ranking["formula"] == PILOT_FORMULA and ranking["weights"] == {"readiness": 0.5, "response_rate": 0.3, "designated": 0.2}
    first, second = ranking["regions"]
    assert (first["rank"], first["region"], second["region"]) == (1, IE, LA)
    # IE: readiness = mean(scale (4-1)/4 = 0.75, yes share 0.5) = 0.625; rate 0.5; designated.
    assert first["readiness"] == 0.625 and first["designated"] is True
    assert first["score"] == pytest.approx(0.5 * 0.625 + 0.3 * 0.5 + 0.2)
    # LA: one college answered (scale 2 -> 0.25, yes 1.0) of 4 invited; no counterpart.
    assert second["score"] == pytest.approx(0.5 * 0.625 + 0.3 * 0.25)


def test_later_round_shows_the_change_against_the_baseline_round(app):
    base = build_round(baseline=True)
    handle(cmd.CloseRound(base.id), actor="test", now=dt.datetime(2026, 11, 3, 2, 0, tzinfo=UTC))
    assert baseline_table(db.session, base.id)["compared_with"] is None  # the baseline round compares with nothing
    now = dt.datetime(2027, 1, 6, 17, 0, tzinfo=UTC)
    later = handle(round_command(builders.round_definition(title="AM follow-up 2027", opens_at="2027-01-05T09:00",
                                                             closes_at="2027-02-01T17:00")), actor="test", now=now)
    handle(cmd.LaunchRound(later.id), actor="test", now=now)
    at = dt.datetime(2027, 1, 7, 17, 0, tzinfo=UTC)
    for email, colleges, yes in ((f"lwib1.{IE}@example.org", 5, "yes"), (f"lwib2.{IE}@example.org", 4, "yes"),
                                 (f"college1.{IE}@example.org", 5, "yes")):
        answer(invitation_of(later.id, email), now=at, targets_am=yes, initiatives="more", colleges=colleges,
               navigator="nav@ie.example.org" if email.startswith("lwib") else None)
    table = baseline_table(db.session, later.id)
    assert table["compared_with"]["id"] == base.id
    change = {r["region"]: r["change"] for r in table["rows"]}[IE]
    assert change["response_rate"] == pytest.approx(0.75 - 0.5)
    assert change["answers"]["colleges"]["mean"] == pytest.approx(14 / 3 - 4.0, abs=1e-4)
    assert change["answers"]["targets_am"]["shares"]["yes"] == pytest.approx(1.0 - 0.5)
    assert table["total"]["change"]["response_rate"] == pytest.approx(3 / 7 - 3 / 8, abs=1e-4)


def test_designations_list_every_region_of_the_round(round_with_answers):
    listed = round_designations(db.session, round_with_answers.id)
    by_region = {d["region"]: d for d in listed}
    assert set(by_region) == {IE, LA}
    assert by_region[IE]["status"] == "designated" and by_region[IE]["final"] is False
    assert by_region[IE]["nominee"]["email"] == "nav@ie.example.org"
    assert by_region[IE]["nominations"][0]["count"] == 1
    assert by_region[LA]["status"] == "unfilled" and by_region[LA]["nominee"] is None
    assert counterpart_summary(listed) == {"designated": 1, "regions": 2}


def test_unknown_round_is_not_found(app):
    for query in (round_status, baseline_table, round_designations):
        with pytest.raises(NotFound):
            query(db.session, 999)


def test_event_feed_reads_on_from_next_after(round_with_answers):
    first = events_after(db.session, 0, 5)
    assert [e["seq"] for e in first["events"]] == sorted(e["seq"] for e in first["events"]) and len(first["events"]) == 5
    rest = events_after(db.session, first["next_after"], 1000)
    assert rest["events"][0]["seq"] == first["next_after"] + 1
    end = events_after(db.session, rest["next_after"], 10)
    assert end == {"events": [], "next_after": rest["next_after"]}
    submitted = events_after(db.session, 0, 100, type_="ResponseSubmitted")
    assert len(submitted["events"]) == 3 and submitted["events"][0]["occurred_at"].endswith("+00:00")


def test_query_counts_do_not_grow_with_the_round(app):
    """8 invitations in 2 regions, then 200 in 10: status, baseline and designations take as many statements."""
    builders.template()
    measured = []
    worlds = [((IE, LA), 2, 2), (tuple(f"region-{i}" for i in range(10)), 10, 10)]
    for codes, boards, colleges in worlds:
        builders.stakeholders(regions=codes, boards=boards, colleges=colleges)
        r = builders.launched_round(now=LAUNCH, title=f"Round of {codes[0]}", audience={"regions": list(codes)})
        assert len(db.session.scalars(select(Invitation.id).where(Invitation.round_id == r.id)).all()) == len(codes) * (boards + colleges)
        answer(invitation_of(r.id, f"lwib1.{codes[0]}@example.org"), targets_am="yes", initiatives="x", colleges=4,
               navigator="nav@example.org")
        answer(invitation_of(r.id, f"college1.{codes[1]}@example.org"), colleges=2)
        counts = {}
        round_id = r.id  # statements() empties the session, which detaches `r`
        for name, query in (("status", round_status), ("baseline", baseline_table), ("designations", round_designations)):
            with statements() as seen:
                result = query(db.session, round_id)
            assert result
            counts[name] = len(seen)
        measured.append(counts)
    small, large = measured
    assert small == large, f"statements per query grew with the round: {small} -> {large}"
    assert large["status"] <= 8 and large["baseline"] <= 8 and large["designations"] <= 6
