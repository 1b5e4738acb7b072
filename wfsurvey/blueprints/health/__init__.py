"""GET /healthz: 200 when the database answers, 503 when it does not, within DATABASE_CONNECT_TIMEOUT seconds
(a load balancer's check must not hang on a database that never answers)."""
from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from wfsurvey import dblimits
from wfsurvey.extensions import db, limiter
from wfsurvey.security import public

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
@limiter.exempt
@public
def healthz():
    with dblimits.deadline(float(current_app.config["DATABASE_CONNECT_TIMEOUT"])):
        try:
            db.session.execute(text("SELECT 1"))
            db.session.rollback()
        except Exception as exc:  # any failure to reach the database means unhealthy
            log.warning("health check failed: %s", str(exc).strip().splitlines()[0] if str(exc).strip() else exc)
            try:
                db.session.rollback()
            except Exception:  # the connection is already gone; nothing to undo
                pass
            response = jsonify({"status": "unavailable", "database": "unreachable"})
            response.status_code = 503
            response.headers["Retry-After"] = "10"
            return response
    return jsonify({"status": "ok", "database": "ok"})
