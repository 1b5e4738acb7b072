"""A program in progress, for tests that look at every page: the demo data (California's regions, boards and
colleges), a baseline round that ran its course (answers, a forward, opt-outs, reminders, a designation conflict
resolved by an admin), a follow-up round open with answers, a draft, a cancelled draft, an import, edits, a second
template version, an API token that made a region, and job runs.

Everything goes through the real commands under the actors production uses (user:N, token:N, api:N, system:...),
so the event log, the designations and the projections are what a real deployment shows.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field

from sqlalchemy import select

from tests.factories import DEFAULT_PASSWORD
from wfsurvey.demo import DEMO_ROUND_TITLE, TEMPLATE_FILE, load_demo
from wfsurvey.domain import commands as cmd
from wfsurvey.domain.reminders import ReminderPolicy
from wfsurvey.domain.rules import parse_local
from wfsurvey.extensions import db
from wfsurvey.jobs import run_due_jobs
from wfsurvey.models import (
    ApiToken,
    Contact,
    ConveningInvitation,
    Invitation,
    MailboxMessage,
    Organization,
    Response,
    Round,
    User,
)
from wfsurvey.services import handle

UTC = dt.UTC
LA = "America/Los_Angeles"
STAFF, ADMIN = "staff@example.org", "admin@example.org"
IE, LOS_ANGELES, CENTRAL = "inland-empire-desert", "los-angeles", "central-valley-mother-lode"
#: The demo data is loaded on October 1, 2026; its draft opens the next morning and closes on October 23.
LOADED = dt.datetime(2026, 10, 1, 16, 0, tzinfo=UTC)
LAUNCHED = dt.datetime(2026, 10, 2, 17, 0, tzinfo=UTC)
ANSWERED = dt.datetime(2026, 10, 6, 17, 0, tzinfo=UTC)
#: A college changes its submitted answers (its response then has a history of changes).
AMENDED = dt.datetime(2026, 10, 8, 17, 0, tzinfo=UTC)
#: 5:30 PM in Los Angeles on October 16: the "7 days before close" reminder is due and within sending hours.
REMINDED = dt.datetime(2026, 10, 17, 0, 30, tzinfo=UTC)
EDITED = dt.datetime(2026, 10, 19, 17, 0, tzinfo=UTC)
CLOSED = dt.datetime(2026, 10, 24, 0, 5, tzinfo=UTC)
FOLLOW_UP = dt.datetime(2026, 11, 2, 18, 0, tzinfo=UTC)
#: Where the clock stands when the pages are looked at: the follow-up round is open.
NOW = dt.datetime(2026, 11, 5, 18, 0, tzinfo=UTC)

NINA = {"name": "Nina North", "email": "nina.north@example.org", "organization": "Riverside County Workforce Development Board"}
OMAR = {"name": "Omar Ortiz", "email": "omar.ortiz@example.org", "organization": "San Bernardino County Workforce Development Board"}
PRIYA = {"name": "Priya Patel", "email": "priya.patel@example.org", "organization": "Los Angeles County Workforce Development Board"}
IMPORT_CSV = """organization,org_type,region,name,email,title
Coachella Valley Advanced Manufacturing Partnership,partner,Inland Empire/Desert,Rosa Delgado,rosa.delgado@example.org,Executive Director
"""


@dataclass
class Program:
    """Ids of what the program made, to fill the addresses of every page (see `path_values`)."""

    rounds: dict[str, int] = field(default_factory=dict)
    staff_id: int = 0
    admin_id: int = 0
    invitation_id: int = 0
    contact_id: int = 0
    organization_id: int = 0
    message_id: int = 0
    template_slug: str = ""
    series_id: int = 0
    #: Responses to look at, by round: a submitted one changed since, a draft, a board's with its nominee.
    responses: dict[int, list[int]] = field(default_factory=dict)
    #: Raw links of respondents of the open follow-up round, by what they show: "form", "done", "opted_out".
    links: dict[str, str] = field(default_factory=dict)
    #: Convenings: "held" (Inland Empire, November 4, attendance taken) and "upcoming" (invitations out, answers in).
    convenings: dict[str, int] = field(default_factory=dict)

    def path_values(self) -> dict[str, list | dict[int, list]]:
        """Values for each URL parameter name; a page with a round is looked at for every round. A value that belongs
        to one round (a response) is given by round id, and goes only with its round."""
        return {
            "response_id": self.responses, "key": ["regional_initiatives", "comments"],
            "round_id": list(self.rounds.values()), "invitation_id": [self.invitation_id], "contact_id": [self.contact_id],
            "organization_id": [self.organization_id], "user_id": [self.staff_id], "slug": [self.template_slug],
            "version": [1], "region": [IE], "code": [IE], "message_id": [self.message_id],
            "convening_id": list(self.convenings.values()),
            "series_id": [self.series_id],
        }


def _invitations(round_id: int, region: str, org_type: str) -> list[Invitation]:
    found = db.session.scalars(select(Invitation).join(Organization, Organization.id == Invitation.organization_id)
                               .where(Invitation.round_id == round_id, Organization.org_type == org_type)
                               .order_by(Organization.name, Invitation.id)).all()
    return [inv for inv in found if region in inv.organization.region_codes]


def _answers(n: int, nominee: dict | None = None) -> dict[str, list[str]]:
    form = {
        "collab_colleges": [str(1 + n % 5)], "collab_k12": [str(1 + (n + 2) % 5)], "collab_apprenticeship": [str(1 + (n + 1) % 5)],
        "collab_industry": [str(1 + (n + 3) % 5)], "targets_am": ["yes" if n % 2 else "no"],
        "occupations_in_demand": ["cnc_machinist", "welder", "mechatronics_technician"][: 1 + n % 3],
        "credentials_used": ["nims", "mssc_cpt", "siemens_mechatronics", "osha_10"][: 1 + n % 4],
        "earn_learn_slots": [str(10 * n)], "pilot_interest": [("yes", "maybe", "no")[n % 3]],
        "comments": ["We would welcome a regional convening in the spring."],
    }
    if n % 2:
        form["regional_initiatives"] = ["A machining pathway with two colleges and four employers."]
    for part, value in (nominee or {}).items():
        form[f"navigator.{part}"] = [value]
    return form


def _answer(invitation: Invitation, n: int, now: dt.datetime, nominee: dict | None = None, *, submit: bool = True) -> None:
    handle(cmd.SaveAnswers(invitation.id, _answers(n, nominee), submit=submit), actor=f"token:{invitation.id}", now=now)


def _links_to(email: str) -> list[str]:
    """The respondent links emailed to `email` (from the dev mailbox), oldest first."""
    bodies = db.session.scalars(select(MailboxMessage.body_text).where(MailboxMessage.to_addr == email)
                                .order_by(MailboxMessage.id)).all()
    return [link for body in bodies for link in re.findall(r"/r/[A-Za-z0-9_-]{20,}(?=\s|$)", body, re.MULTILINE)]


def build(app) -> Program:
    """Make the program in `app`'s database (in its app context) and pin the app's clock at NOW."""
    app.config["FIXED_NOW"] = NOW
    program = Program()
    load_demo(now=LOADED)
    for email in (STAFF, ADMIN):
        handle(cmd.SetPassword(email=email, password=DEFAULT_PASSWORD), actor="cli", now=LOADED)
    staff = db.session.scalar(select(User).where(User.email == STAFF))
    admin = db.session.scalar(select(User).where(User.email == ADMIN))
    program.staff_id, program.admin_id = staff.id, admin.id
    as_staff, as_admin = f"user:{staff.id}", f"user:{admin.id}"
    definition = json.loads(TEMPLATE_FILE.read_text(encoding="utf-8"))
    program.template_slug = definition["slug"]

    # The baseline round: launched by staff, answered, reminded, resolved, closed by the scheduler.
    baseline = db.session.scalar(select(Round).where(Round.title == DEMO_ROUND_TITLE))
    program.rounds["baseline"] = baseline.id
    handle(cmd.LaunchRound(baseline.id), actor=as_staff, now=LAUNCHED)
    run_due_jobs(app, LAUNCHED)
    ie_boards, la_boards = _invitations(baseline.id, IE, "lwib"), _invitations(baseline.id, LOS_ANGELES, "lwib")
    colleges = _invitations(baseline.id, LOS_ANGELES, "college") + _invitations(baseline.id, IE, "college")
    _answer(ie_boards[0], 1, ANSWERED, NINA)
    _answer(ie_boards[1], 2, ANSWERED, OMAR)
    for n, invitation in enumerate(la_boards[:2]):
        _answer(invitation, 3 + n, ANSWERED, PRIYA)
    for n, invitation in enumerate(colleges[:8]):
        _answer(invitation, n, ANSWERED)
    _answer(la_boards[2], 6, ANSWERED, submit=False)  # a draft
    _answer(colleges[0], 5, AMENDED)  # a change to submitted answers
    handle(cmd.ForwardInvitation(la_boards[3].id, name="Morgan Lee", email="morgan.lee@example.org",
                                 title="Business Services Lead"), actor=f"token:{la_boards[3].id}", now=ANSWERED)
    handle(cmd.OptOut(colleges[9].id), actor=f"token:{colleges[9].id}", now=ANSWERED)
    run_due_jobs(app, ANSWERED)
    run_due_jobs(app, REMINDED)
    handle(cmd.OverrideDesignation(round_id=baseline.id, region=IE, reason="Both boards agreed on a call that Nina leads.",
                                   **NINA), actor=as_admin, now=EDITED)

    # Staff keep the stakeholders up to date; an admin adds a colleague; a script adds a region.
    handle(cmd.ImportContacts(csv_text=IMPORT_CSV, source="partners-october.csv"), actor=as_staff, now=EDITED)
    edited = colleges[10].contact
    handle(cmd.UpdateContact(contact_id=edited.id, name=edited.name, email=edited.email, title="Vice President, Workforce"),
           actor=as_staff, now=EDITED)
    handle(cmd.MarkContactOptedOut(la_boards[4].contact_id), actor=as_staff, now=EDITED)
    handle(cmd.MarkContactOptedIn(colleges[9].contact_id, reason="Asked by phone on October 19 to be added back."),
           actor=as_staff, now=EDITED)
    handle(cmd.CreateUser(email="pat.lee@example.org", password=DEFAULT_PASSWORD, role="staff", name="Pat Lee"),
           actor=as_admin, now=EDITED)
    handle(cmd.CreateApiToken(user_email=ADMIN, name="nightly export"), actor="cli", now=EDITED)
    token_id = db.session.scalar(select(ApiToken.id).order_by(ApiToken.id.desc()))
    handle(cmd.CreateRegion(name="Tribal Nations Workforce Consortium", code="tribal-nations", scheme="rpu"),
           actor=f"api:{token_id}", now=EDITED)
    second = dict(definition, title=definition["title"] + ", 2027")
    handle(cmd.CreateTemplate(second), actor=as_staff, now=EDITED)
    run_due_jobs(app, CLOSED)

    # Pilot regions chosen from the baseline: one confirmed by an admin, one proposed by staff; and a quarterly series
    # of outcome reports over the pilot regions, its first period still to come.
    handle(cmd.SelectPilotRegion(region=IE, round_id=baseline.id, reason="Highest score, navigator designated.",
                                 by_admin=True), actor=as_admin, now=CLOSED)
    handle(cmd.SelectPilotRegion(region=LOS_ANGELES, round_id=baseline.id, reason="Strong college partnerships."),
           actor=as_staff, now=CLOSED)
    outcomes = handle(cmd.CreateSeries(
        template_slug="regional-outcomes-am", title="Advanced Manufacturing outcomes", cadence="P3M",
        first_period_end=dt.date(2027, 3, 31), timezone=LA, open_days_before=10, close_days_after=14,
        audience=cmd.Audience(org_types=("lwib", "college")), pilot_regions=True), actor=as_staff, now=CLOSED)
    program.series_id = outcomes.id

    # The follow-up round, compared with the baseline: open, with answers.
    follow_up = handle(cmd.CreateRound(
        template_slug=program.template_slug, template_version=1, title="Advanced Manufacturing follow-up, fall 2026",
        timezone=LA, opens_at=parse_local("2026-11-02T09:00", LA), closes_at=parse_local("2026-11-20T17:00", LA),
        audience=cmd.Audience(regions=(IE, LOS_ANGELES, CENTRAL), org_types=("lwib", "college")),
    ), actor=as_staff, now=FOLLOW_UP)
    program.rounds["follow_up"] = follow_up.id
    handle(cmd.LaunchRound(follow_up.id), actor=as_staff, now=FOLLOW_UP)
    run_due_jobs(app, FOLLOW_UP)
    boards = _invitations(follow_up.id, LOS_ANGELES, "lwib")
    for n, invitation in enumerate(boards[:3] + _invitations(follow_up.id, IE, "college")[:3]):
        _answer(invitation, n + 2, NOW - dt.timedelta(hours=2), PRIYA if invitation in boards else None)
    run_due_jobs(app, NOW - dt.timedelta(hours=1))

    draft = handle(cmd.CreateRound(
        template_slug=program.template_slug, template_version=2, title="Employer outreach, spring 2027", timezone=LA,
        opens_at=parse_local("2027-03-01T09:00", LA), closes_at=parse_local("2027-03-26T17:00", LA),
        audience=cmd.Audience(regions=(), org_types=("lwib",)),
    ), actor=as_staff, now=NOW - dt.timedelta(minutes=30))
    program.rounds["draft"] = draft.id
    cancelled = handle(cmd.CreateRound(
        template_slug=program.template_slug, template_version=1, title="Duplicate of the follow-up (made by mistake)",
        timezone=LA, opens_at=parse_local("2026-11-09T09:00", LA), closes_at=parse_local("2026-11-20T17:00", LA),
        audience=cmd.Audience(regions=(IE,), org_types=("college",)),
    ), actor=as_staff, now=NOW - dt.timedelta(minutes=20))
    handle(cmd.CancelRound(cancelled.id, reason="Made by mistake: the follow-up round already covers these colleges."),
           actor=as_staff, now=NOW - dt.timedelta(minutes=10))
    program.rounds["cancelled"] = cancelled.id
    # A round launched ahead of its window (scheduled), and one opened ahead of its planned time ("Open now"), which
    # can still be scheduled back to it: the round page's other states.
    for key, title in (("scheduled", "Central Valley boards, winter 2027"),
                       ("opened_early", "Central Valley boards, pilot check-in")):
        made = handle(cmd.CreateRound(
            template_slug=program.template_slug, template_version=2, title=title, timezone=LA,
            opens_at=parse_local("2027-01-12T09:00", LA), closes_at=parse_local("2027-02-05T17:00", LA),
            audience=cmd.Audience(regions=(CENTRAL,), org_types=("lwib",)),
            reminders=ReminderPolicy(offsets=(dt.timedelta(days=7), dt.timedelta(hours=12))),
        ), actor=as_staff, now=NOW - dt.timedelta(minutes=9))
        handle(cmd.LaunchRound(made.id), actor=as_staff, now=NOW - dt.timedelta(minutes=8))
        program.rounds[key] = made.id
    handle(cmd.OpenRoundNow(program.rounds["opened_early"]), actor=as_staff, now=NOW - dt.timedelta(minutes=7))

    program.invitation_id = boards[0].id
    response_of = {invitation_id: (round_id, response_id) for invitation_id, round_id, response_id in db.session.execute(
        select(Response.invitation_id, Response.round_id, Response.id))}
    for invitation in (colleges[0], la_boards[2], ie_boards[0], boards[0]):
        round_id, response_id = response_of[invitation.id]
        program.responses.setdefault(round_id, []).append(response_id)
    person = db.session.get(Contact, boards[0].contact_id)
    program.contact_id, program.organization_id = person.id, person.organization_id
    program.message_id = db.session.scalar(select(MailboxMessage.id).order_by(MailboxMessage.id.desc()))
    program.links = {
        # The follow-up round is open: one board has answered, one has not.
        "done": _links_to(boards[0].contact.email)[-1],
        "form": _links_to(_invitations(follow_up.id, CENTRAL, "lwib")[0].contact.email)[-1],
        # The baseline round is closed: an answered link, one passed on to a colleague, one whose person opted out.
        "closed": _links_to(ie_boards[0].contact.email)[0],
        "forwarded": _links_to(la_boards[3].contact.email)[0],
        "opted_out": _links_to(colleges[9].contact.email)[0],
    }
    _convenings(program, as_staff)
    db.session.commit()
    return program


def _convenings(program: Program, actor: str) -> None:
    """A convening held on November 4 in the Inland Empire (answers, attendance, a walk-in, an outcome), and one
    coming in December with a full house and a waitlist. Their mail stays queued (no job runs after)."""
    def convening(title: str, starts: str, ends: str, capacity: int | None, created: dt.datetime):
        return handle(cmd.CreateConvening(
            title=title, purpose="Agree on shared objectives for the advanced manufacturing pilot.", regions=(IE,),
            timezone=LA, starts_at=parse_local(starts, LA), ends_at=parse_local(ends, LA),
            location="Riverside City College, Digital Library, Room 101", capacity=capacity,
            audience=cmd.Audience(org_types=("lwib", "college"))), actor=actor, now=created)

    held = convening("Inland Empire advanced manufacturing convening", "2026-11-04T09:00", "2026-11-04T12:30", None,
                     FOLLOW_UP - dt.timedelta(days=10))
    handle(cmd.SendConveningInvitations(held.id), actor=actor, now=FOLLOW_UP - dt.timedelta(days=10))
    invited = db.session.scalars(select(ConveningInvitation).where(ConveningInvitation.convening_id == held.id)
                                 .order_by(ConveningInvitation.id)).all()
    for n, invitation in enumerate(invited[:4]):
        handle(cmd.AnswerRsvp(invitation.id, ("yes", "yes", "maybe", "no")[n], needs="Vegetarian lunch" if n == 1 else ""),
               actor=f"rsvp:{invitation.id}", now=FOLLOW_UP - dt.timedelta(days=5))
    during = parse_local("2026-11-04T09:30", LA)
    for invitation in invited[:2]:
        handle(cmd.RecordAttendance(invitation.id), actor=actor, now=during)
    handle(cmd.AddWalkIn(held.id, name="Dana Cruz", email="dana.cruz@example.org",
                         organization_name="Inland Precision Machining", org_type="employer"), actor=actor, now=during)
    handle(cmd.MarkConveningHeld(held.id), actor=actor, now=NOW - dt.timedelta(days=1))
    handle(cmd.RecordOutcomeNote("Pilot area agreed: the Coachella Valley", held.id, regions=(IE,),
                                 organization_ids=(invited[0].organization_id,)), actor=actor, now=NOW - dt.timedelta(days=1))
    upcoming = convening("Inland Empire convening, winter 2026", "2026-12-08T09:00", "2026-12-08T15:00", 2,
                         NOW - dt.timedelta(hours=3))
    handle(cmd.SendConveningInvitations(upcoming.id), actor=actor, now=NOW - dt.timedelta(hours=3))
    invited = db.session.scalars(select(ConveningInvitation).where(ConveningInvitation.convening_id == upcoming.id)
                                 .order_by(ConveningInvitation.id)).all()
    for invitation in invited[:3]:
        handle(cmd.AnswerRsvp(invitation.id, "yes"), actor=f"rsvp:{invitation.id}", now=NOW - dt.timedelta(hours=2))
    program.convenings = {"held": held.id, "upcoming": upcoming.id}
