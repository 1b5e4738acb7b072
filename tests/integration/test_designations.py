"""Designations through the real commands: the rule per region, admin overrides, amendments, close, rebuild."""
import datetime as dt

import pytest
from sqlalchemy import event, func, select

from tests import builders
from wfsurvey.domain import commands as cmd
from wfsurvey.domain.errors import DomainError
from wfsurvey.extensions import db
from wfsurvey.models import Contact, Designation, EventRecord, Invitation
from wfsurvey.projections import rebuild
from wfsurvey.schemas.rounds import round_command
from wfsurvey.services import handle
from wfsurvey.services.respond import RoundNotAccepting

UTC = dt.timezone.utc
LAUNCHED = dt.datetime(2026, 10, 6, 17, 0, tzinfo=UTC)
NOW = dt.datetime(2026, 10, 8, 17, 0, tzinfo=UTC)
LATER = dt.datetime(2026, 10, 20, 17, 0, tzinfo=UTC)
IE, LA, NORTH = "inland-empire-desert", "los-angeles", "north"
ADMIN = "user:1"
ANA = {"name": "Ana Ruiz", "email": "ana@example.org", "organization": "IE College"}
BEN = {"name": "Ben Cho", "email": "ben@example.org", "organization": "Desert College"}


@pytest.fixture
def round_(app):
    builders.stakeholders(regions=(IE, LA, NORTH), boards=3, colleges=1)
    builders.template()
    return builders.launched_round(LAUNCHED)


def invitation(email: str) -> Invitation:
    return db.session.scalar(select(Invitation).join(Contact).where(Contact.email == email))


def board(region: str, n: int) -> str:
    return f"lwib{n}.{region}@example.org"


def answer(email: str, nominee=None, now=NOW):
    form = {"targets_am": ["no"], "colleges": ["3"]}
    for part, value in (nominee or {}).items():
        form[f"navigator.{part}"] = [value]
    inv = invitation(email)
    return handle(cmd.SaveAnswers(inv.id, form, submit=True), actor=f"token:{inv.id}", now=now)


def designation(round_id: int, region: str) -> Designation:
    db.session.expire_all()
    return db.session.get(Designation, (round_id, region))


def count_events(type_name: str) -> int:
    return db.session.scalar(select(func.count()).select_from(EventRecord).where(EventRecord.type == type_name))


def snapshot(round_id: int) -> list[tuple]:
    columns = list(Designation.__table__.columns)
    return [tuple(row) for row in db.session.execute(
        select(*columns).where(Designation.round_id == round_id).order_by(Designation.region)).all()]


def test_designated_conflict_and_unfilled(round_):
    answer(board(IE, 1), ANA)
    answer(board(IE, 2), {**ANA, "email": "ANA@example.org"})
    answer(board(IE, 3), BEN)
    answer(board(LA, 1), ANA)
    answer(board(LA, 2), BEN)
    answer(board(LA, 3))  # answered, named nobody
    answer(f"college1.{NORTH}@example.org")  # a college's answer counts for nothing

    ie = designation(round_.id, IE)
    assert (ie.status, ie.final, ie.overridden) == ("designated", False, False)
    assert ie.nominee == ANA
    assert ie.nominations == [
        {**ANA, "count": 2, "boards": ["Inland Empire Desert lwib 1", "Inland Empire Desert lwib 2"]},
        {**BEN, "count": 1, "boards": ["Inland Empire Desert lwib 3"]},
    ]
    assert ie.explanation == "2 of 3 nominating boards named ana@example.org (strict majority)"
    la = designation(round_.id, LA)
    assert (la.status, la.nominee) == ("conflict", None)
    assert la.explanation == "1 board each named ana@example.org and ben@example.org: no strict majority"
    north = designation(round_.id, NORTH)
    assert (north.status, north.nominee, north.nominations) == ("unfilled", None, [])
    assert north.explanation == "No local board of this region has answered yet"
    assert north.updated_at == LAUNCHED  # listed, unfilled, since the launch; no answer changed it


def test_launch_of_a_no_regions_audience_lists_every_region_unfilled(round_):
    assert round_.audience["regions"] == []  # the regions come from the invitations issued
    rows = db.session.scalars(select(Designation).where(Designation.round_id == round_.id).order_by(Designation.region)).all()
    assert [(d.region, d.status, d.final, d.nominee, d.updated_at) for d in rows] == [
        (region, "unfilled", False, None, LAUNCHED) for region in (IE, LA, NORTH)]
    assert {d.explanation for d in rows} == {"No local board of this region has answered yet"}
    # The log says why: the invitations are issued first, then the launch, then the regions it listed.
    log = db.session.scalars(select(EventRecord.type).where(EventRecord.type.in_(
        ["InvitationIssued", "RoundLaunched", "DesignationChanged"])).order_by(EventRecord.seq)).all()
    assert log == ["InvitationIssued"] * 12 + ["RoundLaunched"] + ["DesignationChanged"] * 3


def test_late_comers_from_a_new_region_add_it_to_a_no_regions_round(round_):
    from wfsurvey.models import Organization, Region

    south = Region(scheme="cc-macro", code="south", name="South", created_at=LAUNCHED)
    board_org = Organization(name="South lwib 1", org_type="lwib", created_at=LAUNCHED, regions=[south])
    db.session.add_all([south, board_org, Contact(organization=board_org, name="Sam South", email="lwib1.south@example.org",
                                                  title="Director", created_at=LAUNCHED, updated_at=LAUNCHED)])
    db.session.commit()

    assert handle(cmd.InviteLatecomers(round_.id), actor=ADMIN, now=NOW) == 1

    south_row = designation(round_.id, "south")
    assert (south_row.status, south_row.final, south_row.updated_at) == ("unfilled", False, NOW)
    assert count_events("LatecomersInvited") == 1
    live = snapshot(round_.id)
    rebuild(db.session)
    db.session.commit()
    assert snapshot(round_.id) == live


def test_conflict_then_admin_override(round_):
    answer(board(LA, 1), ANA)
    answer(board(LA, 2), BEN)
    assert designation(round_.id, LA).status == "conflict"

    result = handle(cmd.OverrideDesignation(round_.id, LA, "Ben Cho", " Ben@Example.org ", "Desert College",
                                            "Agreed at the regional meeting"), actor=ADMIN, now=LATER)
    assert result.status == "designated" and result.overridden
    la = designation(round_.id, LA)
    assert (la.status, la.overridden, la.final) == ("designated", True, False)
    assert la.nominee == BEN
    assert la.explanation == "An administrator designated ben@example.org: \u201cAgreed at the regional meeting\u201d"
    assert len(la.nominations) == 2
    overridden = db.session.scalars(select(EventRecord).where(EventRecord.type == "DesignationOverridden")).all()
    assert [(e.actor, e.aggregate_id, e.payload["reason"]) for e in overridden] == [
        (ADMIN, f"{round_.id}:{LA}", "Agreed at the regional meeting")]
    last = db.session.scalars(select(EventRecord).where(EventRecord.type == "DesignationChanged")
                              .order_by(EventRecord.seq.desc())).first()
    assert last.actor == ADMIN and last.payload["overridden"] is True and last.seq > overridden[0].seq

    # The rule would now say Ana (2 of 3), but the override holds until a later override.
    answer(board(LA, 3), ANA, now=LATER)
    la = designation(round_.id, LA)
    assert la.nominee == BEN and la.overridden
    assert [n["count"] for n in la.nominations] == [2, 1]  # the boards' nominations stay current
    handle(cmd.OverrideDesignation(round_.id, LA, "Ana Ruiz", "ana@example.org", "IE College", "Ben declined"),
           actor=ADMIN, now=LATER)
    assert designation(round_.id, LA).nominee == ANA


@pytest.mark.parametrize("change, field", [
    ({"region": "atlantis"}, "region"),
    ({"email": "not-an-email"}, "email"),
    ({"reason": "  "}, "reason"),
    ({"name": ""}, "name"),
])
def test_override_rejects_bad_input_and_records_nothing(round_, change, field):
    answer(board(IE, 1), ANA)
    before = db.session.scalar(select(func.count()).select_from(EventRecord))
    values = dict(round_id=round_.id, region=IE, name="Ben Cho", email="ben@example.org", organization="", reason="why")
    values.update(change)
    with pytest.raises(DomainError) as exc:
        handle(cmd.OverrideDesignation(**values), actor=ADMIN, now=LATER)
    assert field in exc.value.fields
    assert db.session.scalar(select(func.count()).select_from(EventRecord)) == before
    assert designation(round_.id, IE).nominee == ANA


def test_draft_and_cancelled_rounds_have_no_designations(app):
    builders.stakeholders(regions=(IE,), boards=1, colleges=0)
    builders.template()
    draft = handle(round_command(builders.round_definition()), actor="test", now=NOW)
    assert handle(cmd.RecomputeDesignations(draft.id), actor="test", now=NOW) == 0
    with pytest.raises(DomainError, match="draft"):
        handle(cmd.OverrideDesignation(draft.id, IE, "Ana", "ana@example.org", "", "why"), actor=ADMIN, now=NOW)
    assert db.session.scalar(select(func.count()).select_from(Designation)) == 0
    launched = builders.launched_round()
    listed = [(d.round_id, d.region, d.status) for d in db.session.scalars(select(Designation))]
    assert listed == [(launched.id, IE, "unfilled")]  # from launch every region is listed
    handle(cmd.CancelRound(launched.id, "funding cut"), actor="test", now=NOW)
    assert handle(cmd.RecomputeDesignations(launched.id), actor="test", now=NOW) == 0
    with pytest.raises(DomainError, match="cancelled"):
        handle(cmd.OverrideDesignation(launched.id, IE, "Ana", "ana@example.org", "", "why"), actor=ADMIN, now=NOW)
    # Cancelled: nothing is decided any more; the launch's unfilled row is all there is.
    assert [(d.round_id, d.region, d.status) for d in db.session.scalars(select(Designation))] == listed


def test_template_without_contact_question_has_no_designations(app):
    builders.stakeholders(regions=(IE,), boards=1, colleges=0)
    questions = [q for q in builders.TEMPLATE["questions"] if q["type"] != "contact"]
    builders.template({**builders.TEMPLATE, "slug": "plain", "questions": questions})
    r = builders.launched_round(template="plain")
    answer(board(IE, 1))
    assert handle(cmd.RecomputeDesignations(r.id), actor="test", now=NOW) == 0
    assert db.session.scalar(select(func.count()).select_from(Designation)) == 0


def test_late_amendment_changes_the_result_and_only_changes_are_recorded(round_):
    # The launch listed every region of the round, unfilled.
    assert count_events("DesignationChanged") == 3
    answer(board(IE, 1), ANA)
    assert count_events("DesignationChanged") == 4  # IE designated; the others stay unfilled
    answer(board(IE, 2), ANA)
    assert count_events("DesignationChanged") == 5  # IE: now two boards
    answer(f"college1.{IE}@example.org")
    answer(board(IE, 1), ANA)  # an amendment that changes nothing the rule reads
    assert handle(cmd.RecomputeDesignations(round_.id), actor="test", now=LATER) == 0
    assert count_events("DesignationChanged") == 5

    answer(board(IE, 2), BEN, now=LATER)  # a late amendment: 1-1
    ie = designation(round_.id, IE)
    assert (ie.status, ie.nominee, ie.updated_at) == ("conflict", None, LATER)
    assert count_events("DesignationChanged") == 6
    assert count_events("ResponseAmended") == 2


def test_results_are_frozen_at_close(round_):
    answer(board(IE, 1), ANA)
    answer(board(LA, 1), ANA)
    answer(board(LA, 2), BEN)
    assert count_events("DesignationChanged") == 6  # 3 unfilled at launch, IE designated, LA designated then in conflict
    close = dt.datetime(2026, 10, 30, 17, 0, tzinfo=UTC)
    handle(cmd.CloseRound(round_.id), actor="test", now=close)
    rows = {r: designation(round_.id, r) for r in (IE, LA, NORTH)}
    assert all(row.final for row in rows.values())
    assert [rows[r].status for r in (IE, LA, NORTH)] == ["designated", "conflict", "unfilled"]
    assert rows[NORTH].explanation == "No local board of this region answered"
    assert count_events("DesignationChanged") == 9  # each region once more, now final
    frozen = snapshot(round_.id)

    with pytest.raises(RoundNotAccepting):
        answer(board(LA, 3), BEN, now=close + dt.timedelta(hours=1))
    assert handle(cmd.RecomputeDesignations(round_.id), actor="system:jobs", now=close + dt.timedelta(days=1)) == 0
    assert snapshot(round_.id) == frozen and count_events("DesignationChanged") == 9

    # An admin may still resolve a conflict after close; the result stays final.
    handle(cmd.OverrideDesignation(round_.id, LA, "Ben Cho", "ben@example.org", "Desert College", "Chosen by the consortium"),
           actor=ADMIN, now=close + dt.timedelta(days=2))
    la = designation(round_.id, LA)
    assert (la.status, la.final, la.overridden, la.nominee) == ("designated", True, True, BEN)
    assert handle(cmd.RecomputeDesignations(round_.id), actor="system:jobs", now=close + dt.timedelta(days=3)) == 0


def test_rebuild_gives_the_same_designations(round_):
    answer(board(IE, 1), ANA)
    answer(board(IE, 2), BEN)
    answer(board(LA, 1), ANA)
    handle(cmd.OverrideDesignation(round_.id, IE, "Ana Ruiz", "ana@example.org", "IE College", "Board 2 withdrew"),
           actor=ADMIN, now=LATER)
    answer(board(LA, 1), BEN, now=LATER)
    handle(cmd.CloseRound(round_.id), actor="test", now=LATER + dt.timedelta(days=1))
    live = snapshot(round_.id)
    assert len(live) == 3
    rebuild(db.session)
    assert snapshot(round_.id) == live


def test_recompute_reads_a_round_in_a_fixed_number_of_queries(app):
    """No query per region or per board: the statement count does not grow with the audience."""
    regions = tuple(f"region-{n}" for n in range(8))
    builders.stakeholders(regions=regions, boards=4, colleges=0)
    builders.template()
    r = builders.launched_round()
    for n, code in enumerate(regions):
        for b in range(1, 5):
            answer(board(code, b), ANA if (n + b) % 3 else BEN)
    db.session.execute(Designation.__table__.delete())  # so that the recompute records every region again
    db.session.commit()

    statements = []
    engine = db.engine

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert handle(cmd.RecomputeDesignations(r.id), actor="test", now=LATER) == len(regions)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    # Round, template, regions, overrides, answers, current rows, and the projection's one lookup of
    # the rows it writes: never one per region.
    assert len(selects) <= 8, selects
    assert sum("FROM responses" in s for s in selects) == 1
