"""Many submits at once (on one invitation; by the boards of one region) store what they should and fail none (SQLite
and PostgreSQL)."""
import datetime as dt
import threading

from sqlalchemy import func, select

from tests import builders
from wfsurvey.domain import commands as cmd
from wfsurvey.extensions import db
from wfsurvey.models import (
    Contact,
    Designation,
    EventRecord,
    Invitation,
    OrganizationCounts,
    Response,
    Round,
    RoundProgress,
)
from wfsurvey.services import handle
from wfsurvey.services.respond import StaleForm

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 10, 7, 17, 0, tzinfo=UTC)
FORM = {"targets_am": ["no"], "colleges": ["4"]}


def test_fifty_threads_submitting_on_one_invitation_store_one_response(app):
    builders.stakeholders(regions=("los-angeles",), boards=1, colleges=0)
    builders.template()
    builders.launched_round()
    invitation_id = db.session.scalar(select(Invitation.id))
    outcomes: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(50)

    def submit():
        with app.app_context():
            start.wait()
            try:
                # Every thread submits the form it was shown: revision 0, no response yet.
                handle(cmd.SaveAnswers(invitation_id, FORM, True, revision=0), actor=f"token:{invitation_id}", now=NOW)
                result = "stored"
            except StaleForm:
                result = "refused"
            except Exception as exc:  # anything else is a server error
                result = f"error: {exc!r}"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=submit) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    db.session.rollback()  # see what the threads committed, not this session's old snapshot
    assert [o for o in outcomes if o.startswith("error")] == []
    assert outcomes.count("stored") == 1 and outcomes.count("refused") == 49
    assert db.session.scalar(select(func.count()).select_from(Response)) == 1
    submitted = db.session.scalars(select(EventRecord.type).where(EventRecord.type.like("Response%"))).all()
    assert submitted == ["ResponseSubmitted"]


def test_boards_of_one_region_submitting_at_once_leave_the_designation_a_full_recompute_gives(app, runner):
    """Twelve boards of one region and four colleges submit at the same moment, each through its own transaction.

    On PostgreSQL the boards take turns on the round's lock (taken by the statement that writes the response) and
    each decides the region with the answers committed before it; the colleges do not wait for it. Whatever order
    they ran in, the region ends with what the rule gives for all twelve answers, every counter counts each answer
    once (the progress flags are raised as each command found them under its invitation's lock), and the rebuild
    from the log gives the same read models.
    """
    from wfsurvey.projections import TABLES
    from wfsurvey.services.designations import compute

    region = "los-angeles"
    builders.stakeholders(regions=(region,), boards=12, colleges=4)
    builders.template()
    round_id = builders.launched_round().id
    invitations = db.session.execute(select(Invitation.id, Contact.email).join(Contact)
                                     .where(Invitation.round_id == round_id).order_by(Invitation.id)).all()
    db.session.rollback()
    assert len(invitations) == 16
    nominees = ["ana@example.org"] * 5 + ["ben@example.org"] * 5 + ["cruz@example.org"] * 2
    forms = {}
    for invitation_id, email in invitations:
        answers = {"targets_am": ["no"], "colleges": ["3"]}
        if email.startswith("lwib"):
            nominee = nominees[int(email.split(".")[0][4:]) - 1]
            answers.update({"navigator.name": [nominee.split("@")[0].title()], "navigator.email": [nominee],
                            "navigator.organization": ["A College"]})
        forms[invitation_id] = answers
    outcomes: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(len(forms))

    def submit(invitation_id: int):
        with app.app_context():
            start.wait()
            try:
                handle(cmd.SaveAnswers(invitation_id, forms[invitation_id], True, revision=0),
                       actor=f"token:{invitation_id}", now=NOW)
                result = "stored"
            except Exception as exc:  # any refusal or error is a failure here: every submit is a first one
                result = f"error: {exc!r}"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=submit, args=(invitation_id,)) for invitation_id in forms]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes == ["stored"] * len(forms)

    db.session.rollback()
    full = compute(db.session, db.session.get(Round, round_id))[region]
    row = db.session.get(Designation, (round_id, region))
    assert (row.status, row.nominee, row.nominations, row.explanation) == (
        full.status, full.nominee, full.nominations, full.explanation)
    # 5 + 5 + 2 boards: no strict majority, so the region is in conflict, with every board's nomination counted.
    assert row.status == "conflict" and sum(n["count"] for n in row.nominations) == 12
    last = db.session.scalars(select(EventRecord.payload).where(EventRecord.type == "DesignationChanged")
                              .order_by(EventRecord.seq.desc()).limit(1)).one()
    assert (last["status"], last["nominations"]) == (row.status, row.nominations)
    progress = {(scope, key): (started, submitted) for scope, key, started, submitted in db.session.execute(
        select(RoundProgress.scope, RoundProgress.key, RoundProgress.started, RoundProgress.submitted)
        .where(RoundProgress.round_id == round_id))}
    assert progress[("total", "")] == (16, 16) and progress[("org_type", "lwib")] == (12, 12)
    assert progress[("region", region)] == (16, 16)
    counts = db.session.execute(select(OrganizationCounts.responded, OrganizationCounts.awaiting).where(
        OrganizationCounts.round_id == round_id, OrganizationCounts.scope == "total")).one()
    assert tuple(counts) == (16, 0)

    def snapshot():
        return {t.__tablename__: db.session.execute(select(*t.__table__.columns)
                                                    .order_by(*t.__table__.primary_key.columns)).all()
                for t in TABLES}

    live = snapshot()
    db.session.rollback()
    result = runner.invoke(args=["projections", "rebuild"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert snapshot() == live
