"""The completion dashboard and the baseline table at scale: figures from the projections equal what the per-invitation
queries they replaced computed; non-respondents come a page at a time (offset pages on the staff page, a cursor in the
API) in the same order, whichever way the page is found; and the organization projection rebuilds from the log and
from the migration's fill alike."""
from __future__ import annotations

import datetime as dt
import importlib.util
import re

import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import case, delete, event, func, select
from sqlalchemy.orm import aliased

from tests import builders
from tests.web import signed_in  # noqa: F401  (a fixture)
from wfsurvey.domain import commands as cmd
from wfsurvey.domain.stakeholders import ORG_TYPES
from wfsurvey.extensions import db
from wfsurvey.jobs.delivery import deliver_outbox
from wfsurvey.models import (
    Contact,
    Invitation,
    InvitationProgress,
    Organization,
    OrganizationCounts,
    OrganizationProgress,
    OutboxMessage,
    Region,
    Response,
    Round,
)
from wfsurvey.paths import MIGRATIONS_DIR
from wfsurvey.projections import rebuild
from wfsurvey.queries import iso, ratio
from wfsurvey.queries import status as status_queries
from wfsurvey.queries.baseline import baseline_table
from wfsurvey.queries.status import load_round, non_respondents, non_respondents_after, round_status
from wfsurvey.services import handle

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 10, 6, 17, 0, tzinfo=UTC)
LATER = dt.datetime(2026, 10, 7, 17, 0, tzinfo=UTC)
IE, LA, OC = "inland-empire-desert", "los-angeles", "orange"


def invitation(round_id: int, email: str) -> Invitation:
    return db.session.scalar(select(Invitation).join(Contact, Contact.id == Invitation.contact_id)
                             .where(Invitation.round_id == round_id, Contact.email == email))


def answer(round_id: int, email: str, submit: bool = True) -> None:
    inv = invitation(round_id, email)
    handle(cmd.SaveAnswers(inv.id, {"targets_am": ["no"], "colleges": ["3"]}, submit), actor=f"token:{inv.id}", now=LATER)


def add_contact(org_name: str, email: str) -> None:
    org = db.session.scalar(select(Organization).where(Organization.name == org_name))
    db.session.add(Contact(organization=org, name=f"Colleague {email}", email=email, title="", created_at=NOW, updated_at=NOW))
    db.session.commit()


def build_world(rule: str) -> int:
    """13 organizations in 3 regions, four with a colleague; a late-comer after an organization took a second
    region; then submissions (one by an organization with colleagues), a draft, an opt-out and two forwards."""
    builders.stakeholders(regions=(IE, LA), boards=2, colleges=3)
    builders.stakeholders(regions=(OC,), boards=1, colleges=2)
    builders.template()
    for i, name in enumerate(["Inland Empire Desert lwib 1", "Inland Empire Desert college 2", "Los Angeles lwib 2",
                              "Orange college 1"]):
        add_contact(name, f"colleague{i}@example.org")
    round_id = builders.launched_round(now=NOW, response_rule=rule).id
    deliver_outbox(now=NOW)
    # An organization gains a region after launch; its late-comer is invited in both.
    org = db.session.scalar(select(Organization).where(Organization.name == "Los Angeles college 1"))
    org.regions.append(db.session.scalar(select(Region).where(Region.code == IE)))
    db.session.commit()
    add_contact("Los Angeles college 1", "late@example.org")
    handle(cmd.InviteLatecomers(round_id), actor="test", now=LATER)
    for email in (f"lwib1.{IE}@example.org", f"college1.{LA}@example.org", f"college3.{IE}@example.org",
                  f"college1.{OC}@example.org"):
        answer(round_id, email)
    if rule == "contact":  # under one response per organization the colleague could not
        answer(round_id, "colleague0@example.org")
    answer(round_id, f"lwib2.{LA}@example.org", submit=False)
    opted = invitation(round_id, f"college2.{LA}@example.org")
    handle(cmd.OptOut(opted.id), actor=f"token:{opted.id}", now=LATER)
    for email, colleague in ((f"lwib1.{OC}@example.org", "sam@example.org"), (f"college2.{IE}@example.org", "kim@example.org")):
        forwarded = invitation(round_id, email)
        handle(cmd.ForwardInvitation(forwarded.id, f"Colleague {colleague}", colleague), actor=f"token:{forwarded.id}", now=LATER)
    answer(round_id, "sam@example.org")
    db.session.remove()
    return round_id


@pytest.fixture(params=["organization", "contact"])
def world(app, request) -> int:
    return build_world(request.param)


# --- the computations the projections replaced, as they were ---------------------------------

def old_participation(round_id: int) -> dict[str, dict]:
    """Invited, responded and responses by region ("" for the whole round) from one row per invitation group."""
    round_ = db.session.get(Round, round_id)
    by_organization = round_.response_rule == "organization"
    rows = db.session.execute(
        select(Invitation.organization_id, InvitationProgress.org_type, InvitationProgress.regions,
               func.sum(case((InvitationProgress.forwarded, 0), else_=1)),
               func.sum(case((InvitationProgress.submitted, 1), else_=0)))
        .join(Invitation, Invitation.id == InvitationProgress.invitation_id)
        .where(InvitationProgress.round_id == round_id)
        .group_by(Invitation.organization_id, InvitationProgress.org_type, InvitationProgress.regions)
        .order_by(Invitation.organization_id)
    ).all()
    organizations: dict[int, list] = {}
    units = []
    for org_id, org_type, regions, invited, submitted in rows:
        codes = {c for c in (regions or "").split(",") if c}
        if by_organization:
            unit = organizations.setdefault(org_id, [org_type, set(), 0, 0])
            unit[1] |= codes
            unit[2] += invited
            unit[3] += submitted
        else:
            units.append([org_type, codes, invited, submitted])
    units = list(organizations.values()) if by_organization else units
    out = {}
    for region in {"", *(code for unit in units for code in unit[1])}:
        by_type: dict[str, dict[str, int]] = {}
        invited = responded = responses = 0
        for org_type, codes, unit_invited, unit_submitted in units:
            if region and region not in codes:
                continue
            counts = by_type.setdefault(org_type, {"invited": 0, "responded": 0})
            if by_organization:
                unit_invited, unit_responded = int(unit_invited > 0 or unit_submitted > 0), int(unit_submitted > 0)
            else:
                unit_responded = unit_submitted
            counts["invited"] += unit_invited
            counts["responded"] += unit_responded
            invited += unit_invited
            responded += unit_responded
            responses += unit_submitted
        ordered = dict(sorted(by_type.items(), key=lambda kv: (ORG_TYPES.index(kv[0]) if kv[0] in ORG_TYPES else 99, kv[0])))
        out[region] = {"by_org_type": list(ordered.items()), "invited": invited, "responded": responded,
                       "responses": responses, "response_rate": ratio(responded, invited)}
    return out


def old_non_respondents(round_id: int) -> tuple[list[dict], int]:
    """Every non-respondent, sorted, each with the last message: the query that grouped every outbox row of the round."""
    round_ = db.session.get(Round, round_id)
    condition = (Invitation.round_id == round_id) & Invitation.status.not_in(("submitted", "forwarded"))
    if round_.response_rule == "organization":
        condition &= ~select(Response.id).where(Response.round_id == round_id,
                                                Response.organization_slot == Invitation.organization_id).exists()
    total = db.session.scalar(select(func.count(Invitation.id)).where(condition))
    last_id = (select(OutboxMessage.invitation_id, func.max(OutboxMessage.id).label("message_id"))
               .where(OutboxMessage.round_id == round_id, OutboxMessage.invitation_id.is_not(None))
               .group_by(OutboxMessage.invitation_id).subquery())
    message = aliased(OutboxMessage)
    rows = db.session.execute(
        select(Invitation.id, Invitation.status, Invitation.sent_at, Invitation.reminders_sent, Contact.id, Contact.name,
               Contact.email, Organization.id, Organization.name, Organization.org_type, InvitationProgress.regions,
               message.kind, message.status, message.created_at, message.sent_at, message.last_error)
        .join(Contact, Contact.id == Invitation.contact_id)
        .join(Organization, Organization.id == Invitation.organization_id)
        .outerjoin(InvitationProgress, InvitationProgress.invitation_id == Invitation.id)
        .outerjoin(last_id, last_id.c.invitation_id == Invitation.id)
        .outerjoin(message, message.id == last_id.c.message_id)
        .where(condition)
        .order_by(Organization.name, Contact.name, Invitation.id)
    )
    items = [{
        "invitation_id": inv_id, "status": status, "sent_at": iso(sent_at), "reminders_sent": reminders,
        "contact": {"id": contact_id, "name": name, "email": email},
        "organization": {"id": org_id, "name": org_name, "org_type": org_type},
        "regions": regions.split(",") if regions else [],
        "last_message": None if kind is None else {"kind": kind, "status": msg_status, "queued_at": iso(created_at),
                                                   "sent_at": iso(msg_sent_at), "error": (error or "")[:300] or None},
    } for (inv_id, status, sent_at, reminders, contact_id, name, email, org_id, org_name, org_type, regions,
           kind, msg_status, created_at, msg_sent_at, error) in rows]
    return items, total


# --- figures -----------------------------------------------------------------------------------

def test_baseline_participation_equals_the_per_invitation_computation(world):
    old = old_participation(world)
    table = baseline_table(db.session, world)
    assert {row["region"] for row in table["rows"]} == set(old) - {""} == {IE, LA, OC}
    for row in [*table["rows"], table["total"]]:
        new = {"by_org_type": list(row["by_org_type"].items()),
               **{k: row[k] for k in ("invited", "responded", "responses", "response_rate")}}
        assert new == old[row["region"]], row["region"]
    # Los Angeles college 1 took Inland Empire as well: its late-comer makes it count (and answer) in both.
    by_org = table["unit"] == "organization"
    assert (table["total"]["invited"], table["total"]["responded"]) == ((13, 5) if by_org else (18, 6))


def test_non_respondents_equal_the_old_query_in_pages_and_by_cursor_whichever_way_they_are_found(world, monkeypatch):
    everyone, total = old_non_respondents(world)
    assert total == len(everyone) > 8
    round_ = load_round(db.session, world)
    assert round_status(db.session, world)["non_respondents_total"] == total
    for walk_cost in (0, 10**9):  # always walk organizations in name order; always sort the round's waiting rows
        monkeypatch.setattr(status_queries, "WALK_COST", walk_cost)
        for per_page in (1, 4, 50):
            pages = [non_respondents(db.session, round_, total, page, per_page) for page in range(1, total // per_page + 3)]
            assert [item for page in pages for item in page.items] == everyone, (walk_cost, per_page)
            assert pages[-1].items == [] and pages[0].pages == -(-total // per_page)
        for limit in (1, 3):
            after, read = None, []
            while True:
                listing = non_respondents_after(db.session, world, after, limit)
                read += listing.items
                assert listing.total == total
                if not listing.more:
                    break
                after = listing.items[-1]["invitation_id"]
            assert read == everyone, (walk_cost, limit)


def test_a_cursor_on_an_invitation_that_has_answered_since_reads_on_from_it(app):
    round_id = build_world("contact")
    everyone, _ = old_non_respondents(round_id)
    middle = everyone[4]
    answer(round_id, middle["contact"]["email"])
    listing = non_respondents_after(db.session, round_id, middle["invitation_id"], 200)
    assert listing.items == [{**n} for n in old_non_respondents(round_id)[0] if
                             (n["organization"]["name"], n["contact"]["name"], n["invitation_id"])
                             > (middle["organization"]["name"], middle["contact"]["name"], middle["invitation_id"])]


def snapshot() -> dict[str, list[tuple]]:
    return {table.__tablename__: [tuple(r) for r in db.session.execute(
        select(*table.__table__.columns).order_by(*table.__table__.primary_key.columns))]
        for table in (OrganizationProgress, OrganizationCounts)}


def test_the_organisation_projection_rebuilds_from_the_log_and_from_the_migrations_fill(world):
    live = snapshot()
    assert live["proj_organization_progress"] and live["proj_organization_counts"]
    rebuild(db.session)
    assert snapshot() == live
    spec = importlib.util.spec_from_file_location("dashboards_migration", MIGRATIONS_DIR / "versions" / "20261122_0002_dashboards.py")
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    connection = db.session.connection()
    connection.execute(delete(OrganizationCounts.__table__))
    connection.execute(delete(OrganizationProgress.__table__))
    migration.op = Operations(MigrationContext.configure(connection))
    migration._fill(OrganizationProgress.__table__, OrganizationCounts.__table__)
    assert snapshot() == live


# --- the API -----------------------------------------------------------------------------------

@pytest.fixture
def api(app, client):
    app.config["FIXED_NOW"] = LATER
    handle(cmd.CreateUser(email="staff@example.org", password="correct-horse-battery-staple-42", role="staff"),
           actor="test", now=NOW)
    token = handle(cmd.CreateApiToken(user_email="staff@example.org", name="script"), actor="test", now=NOW)

    def get(path: str):
        response = client.get(path if path.startswith("/api/v1") else f"/api/v1{path}",
                              headers={"Authorization": f"Bearer {token}"})
        return response.status_code, response.get_json()

    return get


def test_api_status_lists_a_first_page_and_next_links_read_to_the_end(api):
    round_id = build_world("organization")
    everyone, total = old_non_respondents(round_id)
    code, status = api(f"/rounds/{round_id}/status?non_respondents=3")
    assert code == 200 and status["non_respondents_total"] == total and status["non_respondents"] == everyone[:3]
    read, link = list(status["non_respondents"]), status["non_respondents_next"]
    assert link == f"/api/v1/rounds/{round_id}/non-respondents?after={everyone[2]['invitation_id']}&limit=3"
    while link:
        code, listed = api(link)
        assert code == 200 and listed["total"] == total and listed["limit"] == 3 and len(listed["items"]) <= 3
        read += listed["items"]
        link = listed["next"]
    assert read == everyone
    code, default = api(f"/rounds/{round_id}/status")
    assert default["non_respondents"] == everyone and default["non_respondents_next"] is None  # fewer than 50
    code, none_listed = api(f"/rounds/{round_id}/status?non_respondents=0")
    assert none_listed["non_respondents"] == [] and none_listed["non_respondents_next"] == f"/api/v1/rounds/{round_id}/non-respondents"
    code, first = api(f"/rounds/{round_id}/non-respondents")
    assert code == 200 and first["items"] == everyone and first["next"] is None and first["limit"] == 50


def test_api_non_respondents_refuse_a_foreign_cursor_and_bad_limits(api):
    round_id = build_world("organization")
    other = db.session.scalar(select(Invitation.id).where(Invitation.round_id == round_id).order_by(Invitation.id.desc()))
    assert api(f"/rounds/{round_id}/non-respondents?after={other + 1000}")[0] == 404
    assert api(f"/rounds/{round_id + 1}/non-respondents")[0] == 404
    for query in ("limit=0", "limit=201", "after=0", "after=x"):
        assert api(f"/rounds/{round_id}/non-respondents?{query}")[0] == 422, query
    assert api(f"/rounds/{round_id}/status?non_respondents=201")[0] == 422


def test_openapi_documents_the_paged_non_respondents(api):
    document = api("/openapi.json")[1]
    operation = document["paths"]["/api/v1/rounds/{round_id}/non-respondents"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"round_id", "after", "limit"} <= names
    schemas = document["components"]["schemas"]
    assert "next" in schemas["NonRespondentList"]["properties"]
    assert "non_respondents_next" in schemas["Status"]["properties"]


def test_non_respondents_api_takes_as_many_statements_for_a_large_round(api):
    builders.template()
    assert api("/rounds")[0] == 200  # the token's first use is noted once: not part of what is counted
    counts = []
    for codes, n in (((IE, LA), 2), (tuple(f"region-{i}" for i in range(10)), 10)):
        builders.stakeholders(regions=codes, boards=n, colleges=n)
        round_id = builders.launched_round(now=NOW, title=f"Round of {codes[0]}", audience={"regions": list(codes)}).id
        first = db.session.scalar(select(Invitation.id).where(Invitation.round_id == round_id).order_by(Invitation.id))
        for path in (f"/rounds/{round_id}/non-respondents?limit=3", f"/rounds/{round_id}/non-respondents?after={first}"):
            seen = []
            db.session.remove()
            listen = lambda *args: seen.append(args[2])  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", listen)
            try:
                assert api(path)[0] == 200
            finally:
                event.remove(db.engine, "before_cursor_execute", listen)
            counts.append(len(seen))
    assert counts[:2] == counts[2:], counts


# --- the staff page ----------------------------------------------------------------------------

@pytest.fixture
def staff(app, signed_in):
    app.config["FIXED_NOW"] = NOW
    client, _ = signed_in("staff")
    return client


def listed_emails(page: str) -> list[str]:
    section = page.split('id="non-respondents"')[1]
    return re.findall(r'<span class="clip muted" title="[^"]*">([^<]+@example\.org)</span>', section)


def test_dashboard_pages_the_non_respondents_with_links_and_the_total(staff):
    builders.stakeholders(regions=(IE, LA, OC), boards=10, colleges=10)  # 60 organizations, one contact each
    builders.template()
    round_id = builders.launched_round(now=NOW).id
    answer(round_id, f"lwib1.{IE}@example.org")
    everyone, total = old_non_respondents(round_id)
    assert total == 59
    first = staff.get(f"/staff/rounds/{round_id}/dashboard").get_data(as_text=True)
    assert "Not answered yet (59)" in first and "Page 1 of 2 (59 in all)" in first
    assert listed_emails(first) == [n["contact"]["email"] for n in everyone[:50]]
    assert f'href="/staff/rounds/{round_id}/dashboard?page=2#non-respondents" rel="next"' in first
    second = staff.get(f"/staff/rounds/{round_id}/dashboard?page=2").get_data(as_text=True)
    assert listed_emails(second) == [n["contact"]["email"] for n in everyone[50:]]
    assert "Page 2 of 2 (59 in all)" in second and 'rel="prev"' in second and 'rel="next"' not in second
    beyond = staff.get(f"/staff/rounds/{round_id}/dashboard?page=9").get_data(as_text=True)
    assert listed_emails(beyond) == [] and "past the end of the list" in beyond and "Not answered yet (59)" in beyond
    huge = staff.get(f"/staff/rounds/{round_id}/dashboard?page=99999999999999999999999")
    assert huge.status_code == 200
