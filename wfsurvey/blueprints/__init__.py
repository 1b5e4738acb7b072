"""Blueprints, one package per audience; every route is registered here."""
from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from wfsurvey.blueprints import errors
    from wfsurvey.blueprints.auth import bp as auth_bp
    from wfsurvey.blueprints.dev import bp as dev_bp
    from wfsurvey.blueprints.health import bp as health_bp
    from wfsurvey.blueprints.respond import bp as respond_bp
    from wfsurvey.blueprints.rsvp import bp as rsvp_bp
    from wfsurvey.blueprints.staff import bp as staff_bp
    from wfsurvey.blueprints.admin import bp as admin_bp
    from wfsurvey.blueprints.api import bp as api_bp
    from wfsurvey.extensions import csrf

    errors.register(app)
    app.register_blueprint(health_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(respond_bp)
    app.register_blueprint(rsvp_bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(admin_bp)
    # Bearer-token API: no cookie authenticates it, so there is no cross-site request to forge.
    csrf.exempt(api_bp)
    app.register_blueprint(api_bp)
    if app.config.get("ENV") != "production":
        app.register_blueprint(dev_bp)
