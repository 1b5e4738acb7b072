"""The staff home page: for now, every round with its state and window."""
from __future__ import annotations

from flask import render_template
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from wfsurvey.authz import staff_required
from wfsurvey.blueprints.staff import bp
from wfsurvey.extensions import db
from wfsurvey.models import Round


@bp.get("/")
@staff_required
def home():
    rounds = db.session.scalars(
        select(Round).options(selectinload(Round.template)).order_by(Round.opens_at.desc(), Round.id.desc())
    ).all()
    return render_template("staff/home.html", rounds=rounds)
