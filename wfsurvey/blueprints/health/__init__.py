"""GET /healthz: 200 when the database answers, 503 when it does not."""
from __future__ import annotations

import logging

from flask import Blueprint, jsonify
from sqlalchemy import text

from wfsurvey.extensions import db, limiter
from wfsurvey.security import public

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
@limiter.exempt
@public
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
    except Exception as exc:  # any failure to reach the database means unhealthy
        log.warning("health check failed: %s", exc)
        try:
            db.session.rollback()
        except Exception:  # the connection is already gone; nothing to undo
            pass
        return jsonify({"status": "unavailable", "database": "unreachable"}), 503
    return jsonify({"status": "ok", "database": "ok"})
