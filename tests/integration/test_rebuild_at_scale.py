"""`projections rebuild` after a 10,000-answer load gives read models identical to the live ones (issue 15).

The stakeholders are written with Core inserts (the one shortcut: they are not projections); the round is
launched and every answer stored through the real SaveAnswers handler, its events, projections and
policies (the designation recompute of each board's regions included), 500 answers per unit of work so
that the load takes seconds. Drafts, drafts later submitted, and amendments are mixed in, boards straddle
two regions, and boards of one region disagree, so every projection table has rows of every kind. Then
the CLI's rebuild replays the log, and every projection table must come out row for row the same.
"""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, insert, select

from tests import builders
from wfsurvey.domain import commands as cmd
from wfsurvey.extensions import db
from wfsurvey.models import (
    Contact,
    Designation,
    EventRecord,
    Invitation,
    Organization,
    Region,
    Response,
    organization_regions,
)
from wfsurvey.projections import TABLES
from wfsurvey.services import bus
from wfsurvey.services.respond import save_answers
from wfsurvey.services.unit_of_work import SqlAlchemyUnitOfWork

pytestmark = pytest.mark.slow

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 10, 7, 17, 0, tzinfo=UTC)
REGIONS = [f"region-{r}" for r in range(8)]
ORGANIZATIONS = 9_000
#: 9,000 first answers (500 of them after a draft) and 1,000 amendments: 10,000 answers stored.
AMENDED = 1_000
DRAFTED = 500
KINDS = ("lwib", "college", "college", "employer", "employer", "employer", "partner", "partner", "employer", "college")


def snapshot() -> dict[str, list[tuple]]:
    out = {}
    for table in TABLES:
        columns = list(table.__table__.columns)
        rows = db.session.execute(select(*columns).order_by(*table.__table__.primary_key.columns)).all()
        out[table.__tablename__] = [tuple(r) for r in rows]
    return out


def stakeholders() -> None:
    """Organizations, one contact each, in the regions (every 7th board in two), written with Core inserts."""
    session = db.session
    session.execute(insert(Region), [{"scheme": "cc-macro", "code": c, "name": f"Region {c[-1]}", "created_at": NOW}
                                     for c in REGIONS])
    ids = dict(session.execute(select(Region.code, Region.id)).all())
    session.execute(insert(Organization), [{"id": i + 1, "name": f"Org {i:05d}", "org_type": KINDS[i % 10], "created_at": NOW}
                                           for i in range(ORGANIZATIONS)])
    memberships = [{"organization_id": i + 1, "region_id": ids[REGIONS[i % len(REGIONS)]]} for i in range(ORGANIZATIONS)]
    memberships += [{"organization_id": i + 1, "region_id": ids[REGIONS[(i + 1) % len(REGIONS)]]}
                    for i in range(ORGANIZATIONS) if i % 10 == 0 and i % 7 == 0]
    session.execute(insert(organization_regions), memberships)
    session.execute(insert(Contact), [{"id": i + 1, "organization_id": i + 1, "name": f"Person {i:05d}",
                                       "email": f"person{i:05d}@example.org", "title": "Director",
                                       "created_at": NOW, "updated_at": NOW} for i in range(ORGANIZATIONS)])
    session.commit()


def form(i: int, kind: str, version: int = 0) -> dict[str, list[str]]:
    answers = {"targets_am": ["yes" if (i + version) % 3 else "no"], "colleges": [str(1 + (i + version) % 5)],
               "occupations": [("cnc", "welder", "mechatronics")[(i + version) % 3]], "slots": [str(i % 40)]}
    if (i + version) % 3:
        answers["initiatives"] = [f"Pathway {i}"]
    if kind == "lwib":
        person = (i // 10 + version) % 3
        answers.update({"navigator.name": [f"Navigator {person}"], "navigator.email": [f"nav{person}@example.org"],
                        "navigator.organization": ["A College"]})
    return answers


def store(work: list[tuple[int, dict, bool]], batch: int = 500) -> None:
    """SaveAnswers through the real handler, `batch` per unit of work (events, projections and policies included)."""
    message_bus = bus()
    for start in range(0, len(work), batch):
        uow = SqlAlchemyUnitOfWork(db.session, actor="test", now=NOW)
        uow.dispatch = message_bus.dispatch
        with uow:
            for invitation_id, answers, submit in work[start:start + batch]:
                save_answers(cmd.SaveAnswers(invitation_id, form=answers, submit=submit), uow)
            uow.commit()
        db.session.expunge_all()


def test_rebuild_after_ten_thousand_answers_gives_the_live_read_models(app, runner):
    stakeholders()
    builders.template()
    round_id = builders.launched_round().id
    invitations = db.session.execute(
        select(Invitation.id, Organization.org_type).join(Organization, Organization.id == Invitation.organization_id)
        .where(Invitation.round_id == round_id).order_by(Invitation.id)).all()
    db.session.rollback()
    assert len(invitations) == ORGANIZATIONS
    drafts = [(inv, form(i, kind), False) for i, (inv, kind) in enumerate(invitations[:DRAFTED])]
    firsts = [(inv, form(i, kind), True) for i, (inv, kind) in enumerate(invitations)]
    amendments = [(inv, form(i, kind, version=1), True) for i, (inv, kind) in enumerate(invitations[::9][:AMENDED])]
    store(drafts + firsts + amendments)

    assert db.session.scalar(select(func.count(Response.id)).where(Response.status == "submitted")) == ORGANIZATIONS
    assert db.session.scalar(select(func.count(EventRecord.seq)).where(
        EventRecord.type.in_(["ResponseSubmitted", "ResponseAmended"]))) == ORGANIZATIONS + AMENDED
    live = snapshot()
    designations = {row.region: row.status for row in db.session.scalars(select(Designation))}
    # Every region has boards that answered, and their three nominees leave no region unfilled.
    assert set(designations) == set(REGIONS) and "unfilled" not in designations.values()
    assert all(live[name] for name in live), [name for name in live if not live[name]]
    db.session.rollback()

    result = runner.invoke(args=["projections", "rebuild"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    rebuilt = snapshot()
    for name in live:
        assert rebuilt[name] == live[name], f"{name}: {len(rebuilt[name])} rows rebuilt, {len(live[name])} live"
