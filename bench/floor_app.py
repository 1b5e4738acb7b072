"""The floor of the submit benchmark: bare Flask + WTForms + one ORM row inserted per POST, nothing else.

Served exactly like the real app (gunicorn, 2 sync workers) on the same kind of database, it tells
what a form POST that stores one row costs on this machine, so the real submit is quoted as a ratio.
Run as `gunicorn 'bench.floor_app:create_app()'` with WFSURVEY_BENCH_FLOOR_URL set to the database.
"""
from __future__ import annotations

import datetime as dt
import os
from typing import Any

from flask import Flask, abort, redirect
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import FlaskForm
from sqlalchemy import JSON, String, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from wtforms import IntegerField, RadioField, SelectMultipleField, TextAreaField
from wtforms.validators import InputRequired, NumberRange, Optional

from wfsurvey.database import UTCDateTime, configure_engine
from wfsurvey.settings import normalise_database_url


class FloorBase(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=FloorBase)


class Submission(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "floor_submissions"

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The token in the URL, stored as it came (the floor looks nothing up).
    token: Mapped[str] = mapped_column(String(100))
    #: The validated form.
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: When it was stored (UTC).
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<Submission {self.id}>"


class AnswerForm(FlaskForm):
    """The benchmark template's questions, as plain WTForms fields (the contact question's fields are ignored)."""

    targets_am = RadioField(choices=["yes", "no"], validators=[InputRequired()])
    initiatives = TextAreaField(validators=[Optional()])
    colleges = IntegerField(validators=[InputRequired(), NumberRange(1, 5)])
    stage = RadioField(choices=["none", "talks", "active"], validators=[InputRequired()])
    occupations = SelectMultipleField(choices=["cnc", "welder", "mechatronics"], validators=[Optional()])
    slots = IntegerField(validators=[Optional(), NumberRange(min=0)])


def create_app(url: str | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(
        SQLALCHEMY_DATABASE_URI=normalise_database_url(url or os.environ["WFSURVEY_BENCH_FLOOR_URL"]),
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        SECRET_KEY="floor",
        # CSRF on, as in the real app: each request carries a session cookie and the form's token.
        WTF_CSRF_ENABLED=True,
        WTF_CSRF_TIME_LIMIT=None,
    )
    db.init_app(app)
    with app.app_context():
        # The same SQLite connection rules as the real app (WAL, synchronous=NORMAL, busy timeout).
        configure_engine(db.engine)

    @app.post("/r/<token>")
    def submit(token: str):
        form = AnswerForm()
        if not form.validate():
            abort(422)
        db.session.add(Submission(token=token, answers=form.data, created_at=dt.datetime.now(dt.timezone.utc)))
        db.session.commit()
        return redirect(f"/r/{token}/done", 303)

    @app.get("/healthz")
    def healthz():
        return "ok"

    return app


def init_db(url: str) -> None:
    app = create_app(url)
    with app.app_context():
        db.create_all()
        db.session.remove()
        db.engine.dispose()


def count(url: str) -> int:
    app = create_app(url)
    with app.app_context():
        n = db.session.scalar(select(func.count(Submission.id))) or 0
        db.session.remove()
        db.engine.dispose()
    return n
