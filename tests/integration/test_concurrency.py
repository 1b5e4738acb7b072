"""Many submits at once on one invitation store one response and fail none (SQLite and PostgreSQL)."""
import datetime as dt
import threading

from sqlalchemy import func, select

from tests import builders
from wfsurvey.domain import commands as cmd
from wfsurvey.extensions import db
from wfsurvey.models import EventRecord, Invitation, Response
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
