"""Blueprints, one package per audience; every route is registered here."""
from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from wfsurvey.blueprints import errors
    from wfsurvey.blueprints.auth import bp as auth_bp
    from wfsurvey.blueprints.dev import bp as dev_bp
    from wfsurvey.blueprints.health import bp as health_bp

    errors.register(app)
    app.register_blueprint(health_bp)
    app.register_blueprint(auth_bp)
    if app.config.get("ENV") != "production":
        app.register_blueprint(dev_bp)
