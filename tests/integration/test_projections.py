"""Projections follow the log live, and a rebuild from the log gives exactly the same tables."""
import datetime as dt

from sqlalchemy import select

from tests import builders
from wfsurvey.domain import commands as cmd
from wfsurvey.extensions import db
from wfsurvey.models import BaselineStat, Contact, Invitation, RoundProgress
from wfsurvey.projections import TABLES, rebuild
from wfsurvey.services import handle

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 10, 7, 17, 0, tzinfo=UTC)


def snapshot() -> dict[str, list[tuple]]:
    out = {}
    for table in TABLES:
        columns = list(table.__table__.columns)
        rows = db.session.execute(select(*columns).order_by(*table.__table__.primary_key.columns)).all()
        out[table.__tablename__] = [tuple(r) for r in rows]
    return out


def answer(invitation, submit=True, **values):
    form = {"targets_am": ["no"], "colleges": ["3"]}
    form.update({k: v if isinstance(v, list) else [str(v)] for k, v in values.items()})
    return handle(cmd.SaveAnswers(invitation.id, form, submit), actor=f"token:{invitation.id}", now=NOW)


def test_rebuild_equals_live_projections(app):
    builders.stakeholders(boards=3, colleges=2)
    builders.template()
    r = builders.launched_round()
    invs = db.session.scalars(select(Invitation).order_by(Invitation.id)).all()
    answer(invs[0], submit=False)
    answer(invs[1], colleges=5, occupations=["cnc", "welder"], slots=4)
    answer(invs[2], targets_am="yes", initiatives="IE consortium", colleges=4, slots=10)
    answer(invs[2], targets_am="yes", initiatives="IE consortium", colleges=2, slots=12)  # an amendment
    answer(invs[5], submit=False)  # a draft first: its submit raises `submitted` but counts `started` no more
    answer(invs[5], colleges=1, occupations=["welder"])
    handle(cmd.OptOut(invs[3].id), actor=f"token:{invs[3].id}", now=NOW)
    colleague_org = db.session.get(Invitation, invs[4].id).organization_id
    assert colleague_org
    handle(cmd.ForwardInvitation(invs[4].id, "Sam Colleague", "sam@example.org"), actor=f"token:{invs[4].id}", now=NOW)

    live = snapshot()
    total = db.session.get(RoundProgress, (r.id, "total", ""))
    assert (total.invited, total.started, total.submitted, total.opted_out, total.forwarded) == (11, 4, 3, 1, 1)
    colleges_cells = {s.value: s.count for s in db.session.scalars(
        select(BaselineStat).where(BaselineStat.round_id == r.id, BaselineStat.region == "", BaselineStat.question == "colleges"))}
    assert colleges_cells == {"5": 1, "2": 1, "1": 1}  # the amended 4 -> 2 counts once, as 2

    rebuild(db.session)
    assert snapshot() == live
    assert live["proj_round_progress"] and live["proj_baseline_stats"] and live["proj_invitation_progress"]
    assert len(live["proj_board_regions"]) == 6  # 3 boards in each of the 2 regions


def test_rebuild_cli_reports_the_events_replayed(app, runner):
    builders.stakeholders(boards=1, colleges=1)
    builders.template()
    builders.launched_round()
    before = snapshot()
    result = runner.invoke(args=["projections", "rebuild"])
    assert result.exit_code == 0, result.output
    # 4 InvitationIssued, then the launch lists each of the 2 regions unfilled (DesignationChanged).
    assert "rebuilt projections from 6 events" in result.output
    assert snapshot() == before
    assert db.session.scalar(select(Contact.id).limit(1))
