"""The respondent submit's write path, counted and checked (issue 6, benchmark rows 1 and 2).

The number of SQL statements of one submit through the real POST route is pinned: a lazy load, a
projection that reads its rows before writing them, or a policy that runs when nothing could be due
shows up here first. The designation policy recomputes only the answering board's regions, and the
SQLite writers' turn lock orders writers without changing what they write.
"""
from __future__ import annotations

import datetime as dt
import re
import threading
import time

import pytest
from sqlalchemy import create_engine, event, select

from tests import builders
from wfsurvey.domain import commands as cmd
from wfsurvey.domain.tokens import hash_token, new_token
from wfsurvey.extensions import db
from wfsurvey.models import AccessToken, Contact, Designation, Invitation, Response
from wfsurvey.services import handle
from wfsurvey.services.designations import compute
from wfsurvey.services.unit_of_work import sqlite_writer_turn

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 10, 7, 17, 0, tzinfo=UTC)
IE, LA = "inland-empire-desert", "los-angeles"
FORM = {"targets_am": "yes", "initiatives": "Apprenticeships", "colleges": "4", "occupations": ["cnc", "welder"],
        "slots": "12"}
NOMINEE = {"navigator.name": "Ana Ruiz", "navigator.email": "ana@example.org", "navigator.organization": "IE College"}

#: Statements of a first submit of a college (no designation can change), by dialect, all in one transaction
#: on one connection (the link's lookup and the command: views.answer runs both inside unit_of_work.writing).
#: SQLite: BEGIN IMMEDIATE, the token lookup, the invitation with its round, template, organization,
#: response, regions and progress flags (one statement), the response, the invitation, the event, the
#: progress flags (started and submitted, as the load found them: not read back), the round's counters, the
#: organization projection (its row counted and returned in one UPDATE, then its counters), the submitted
#: answers and the baseline cells. PostgreSQL: no BEGIN statement (the driver begins); the token lookup locks
#: the invitation's row for the command; the load; the response and the invitation in one statement; the
#: organization's row; then, at the commit, one statement for every write nobody reads back (the event,
#: the progress flags, the round's and the organizations' counters, the submitted answers, the baseline
#: cells: projections.upsert).
COLLEGE_SUBMIT = {"sqlite": 12, "postgresql": 5}
#: A board's first submit adds the designation policy, for its own region only: one statement reads the
#: region's overrides (from the event log, without sending the writes waiting on it first: the command's own
#: events are none of them), its designations row and its boards' answers; then the DesignationChanged event
#: and its projection (SQLite; on PostgreSQL they wait for the commit). On PostgreSQL the round's lock the
#: policy holds was taken, with its state and audience, by the statement that wrote the response.
BOARD_SUBMIT = {"sqlite": 15, "postgresql": 6}


@pytest.fixture
def round_(app):
    builders.stakeholders(regions=(IE, LA), boards=3, colleges=2)
    builders.template()
    r = builders.launched_round()
    app.config.update(FIXED_NOW=NOW, WTF_CSRF_ENABLED=False)
    return r


def link(email: str) -> str:
    """A fresh token for the contact's invitation, made as the mailer would."""
    token = new_token()
    invitation_id = db.session.scalar(select(Invitation.id).join(Contact).where(Contact.email == email))
    db.session.add(AccessToken(invitation_id=invitation_id, token_hash=hash_token(token), purpose="invitation",
                               created_at=NOW))
    db.session.commit()
    return f"/r/{token}"


#: Connection check-outs from the pool and transactions of the last submit (see `submitted`).
LAST: dict[str, int] = {}


def submitted(client, url: str, form: dict) -> list[str]:
    """POST a complete form as the browser does; the statements it took (and in LAST, its check-outs and transactions)."""
    seen: list[str] = []
    LAST.update(checkouts=0, begins=0, commits=0, rollbacks=0)

    def count(conn, cursor, statement, *args):
        seen.append(" ".join(statement.split()))

    def tally(name):
        def listener(*args):
            LAST[name] += 1
        return listener

    listeners = [("before_cursor_execute", count), ("checkout", tally("checkouts")), ("begin", tally("begins")),
                 ("commit", tally("commits")), ("rollback", tally("rollbacks"))]
    db.session.remove()  # a request starts with a fresh session, as under gunicorn
    for name, listener in listeners:
        event.listen(db.engine, name, listener)
    try:
        response = client.post(url, data={**form, "revision": "0", "action": "submit"})
    finally:
        for name, listener in listeners:
            event.remove(db.engine, name, listener)
    assert response.status_code == 303, response.get_data(as_text=True)
    return seen


def listing(statements: list[str]) -> str:
    return "\n".join(s[:150] for s in statements)


def test_a_college_submit_takes_a_fixed_number_of_statements(client, round_):
    warm = submitted(client, link(f"college1.{LA}@example.org"), FORM)  # the first request compiles and caches
    statements = submitted(client, link(f"college1.{IE}@example.org"), FORM)
    dialect = db.engine.dialect.name
    assert len(statements) == COLLEGE_SUBMIT[dialect], listing(statements)
    assert len(warm) == len(statements)
    # One connection from the pool, one transaction, committed: the lookup did not read in a transaction of its own.
    assert LAST == {"checkouts": 1, "begins": 1, "commits": 1, "rollbacks": 0}
    # Nothing was due: no reminder to cancel, no designation to recompute, no answers to take back.
    assert not any(s.startswith("UPDATE outbox") for s in statements)
    assert not any("designations" in s or s.startswith("SELECT responses.organization_id") for s in statements)
    assert not any("FROM proj_submitted_answers" in s for s in statements)
    assert db.session.scalar(select(Response.status).join(Invitation).join(Contact).where(
        Contact.email == f"college1.{IE}@example.org")) == "submitted"


def test_a_board_submit_recomputes_its_own_region_in_a_fixed_number_of_statements(client, round_):
    submitted(client, link(f"lwib1.{LA}@example.org"), {**FORM, **NOMINEE})
    statements = submitted(client, link(f"lwib1.{IE}@example.org"), {**FORM, **NOMINEE})
    assert len(statements) == BOARD_SUBMIT[db.engine.dialect.name], listing(statements)
    board_answers = [s for s in statements if "JOIN proj_board_regions" in s]
    # Its region's boards found through the membership rows' key (one region: "= ?"), never by LIKE over region lists,
    # in the one statement that also reads the region's overrides and designations row.
    assert len(board_answers) == 1 and " LIKE " not in board_answers[0]
    assert re.search(r"proj_board_regions\.region (IN|= )", board_answers[0]), board_answers[0]
    assert "FROM events" in board_answers[0] and "FROM designations" in board_answers[0]
    if db.engine.dialect.name == "postgresql":  # the round's lock came with the response's write, and only there
        locks = [s for s in statements if "FROM rounds" in s and "FOR NO KEY UPDATE" in s]
        assert len(locks) == 1, listing(statements)
        assert locks[0].startswith("WITH") and "INSERT INTO responses" in locks[0], listing(statements)
    db.session.expire_all()
    ie = db.session.get(Designation, (round_.id, IE))
    assert (ie.status, ie.nominee["email"]) == ("designated", "ana@example.org")


def test_recomputing_only_the_answering_boards_regions_leaves_what_a_full_recompute_decides(client, round_):
    answers = [(f"lwib1.{IE}@example.org", NOMINEE), (f"lwib2.{IE}@example.org", {**NOMINEE, "navigator.email": "ben@example.org"}),
               (f"lwib1.{LA}@example.org", {}), (f"college1.{LA}@example.org", {}), (f"lwib3.{IE}@example.org", NOMINEE)]
    for email, nominee in answers:
        submitted(client, link(email), {**FORM, **nominee})
    db.session.expire_all()
    rows = {d.region: (d.status, d.nominee, d.nominations, d.explanation)
            for d in db.session.scalars(select(Designation).where(Designation.round_id == round_.id))}
    full = compute(db.session, db.session.get(type(round_), round_.id))
    assert rows == {r.region: (r.status, r.nominee, r.nominations, r.explanation) for r in full.values()}
    assert rows[IE][0] == "designated" and rows[LA][0] == "unfilled"
    db.session.rollback()
    assert handle(cmd.RecomputeDesignations(round_.id), actor="test", now=NOW) == 0


def test_sqlite_writers_take_turns_through_the_lock_file(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'turns.sqlite'}")
    order: list[str] = []
    entered = threading.Event()

    def second_writer():
        entered.set()
        with sqlite_writer_turn(engine):
            order.append("second")

    with sqlite_writer_turn(engine):
        thread = threading.Thread(target=second_writer)
        thread.start()
        assert entered.wait(5)
        time.sleep(0.05)  # the second writer is waiting for its turn by now
        order.append("first")
    thread.join(5)
    assert order == ["first", "second"]
    assert (tmp_path / "turns.sqlite.writer-lock").exists()
    memory = create_engine("sqlite://")
    with sqlite_writer_turn(memory), sqlite_writer_turn(memory):  # one connection, no file: nothing to wait for
        pass
