"""wfsurvey: survey rounds for workforce boards and colleges, built on an append-only event log.

This module holds the application factory: defaults, then the config file or environment,
then the caller's override. Configuration helpers live in wfsurvey.settings.
"""
from __future__ import annotations

import gc
import logging
import os
from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy.orm import Session

from wfsurvey.paths import MIGRATIONS_DIR, PACKAGE_DIR, TEMPLATES_DIR
from wfsurvey.settings import ConfigError, check_config, load_config

__all__ = ["ConfigError", "create_app"]
__version__ = "0.1.0"


def create_app(config: dict[str, Any] | str | os.PathLike | None = None) -> Flask:
    app = Flask(
        "wfsurvey",
        template_folder=str(TEMPLATES_DIR),
        static_folder=str(PACKAGE_DIR / "static"),
        instance_path=os.environ.get("WFSURVEY_INSTANCE_PATH") or None,
        instance_relative_config=True,
    )
    load_config(app, config)
    check_config(app)
    _trust_proxies(app)

    from wfsurvey import (
        models,  # noqa: F401  (registers every table on the metadata)
        ratelimits,  # noqa: F401  (its memory:// storage replaces limits' before the limiter starts)
    )
    from wfsurvey.database import configure_engine
    from wfsurvey.extensions import csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
        from wfsurvey import dblimits

        dblimits.install(app, db.engine)
    _bind_layers()

    from wfsurvey.blueprints import register_blueprints
    from wfsurvey.cli import register_cli
    from wfsurvey.security import register_security

    register_security(app)
    register_blueprints(app)
    register_cli(app)
    from wfsurvey import logs

    logs.install()
    if not app.debug and not app.testing and not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if app.config.get("GC_FREEZE", not app.testing):
        _freeze_startup_objects()
    return app


def _freeze_startup_objects() -> None:
    """Take what start-up made (modules, mappers, tables, routes, config) out of the garbage collector's sight.

    gunicorn calls the factory in each worker (and the scheduler and CLI once): these objects live as long as the
    process, yet every full collection walked all of them, about 170,000, which cost a respondent's submit
    0.15 ms on average (a 60 ms pause every few hundred requests). Collected first, so that no garbage is frozen
    with them. Off under tests, whose process makes an app per test (config GC_FREEZE).
    """
    gc.collect()
    gc.freeze()


def _config_in_context() -> Mapping[str, Any] | None:
    return current_app.config if has_app_context() else None


def _session_in_context() -> Session:
    from wfsurvey.extensions import db

    return db.session()


def _bind_layers() -> None:
    """Services, projections and mail know nothing of Flask: they read the settings and the session of
    the app in context through these two seams (the same functions for every app, so binding again is harmless)."""
    from wfsurvey import services, settings

    settings.bind_source(_config_in_context)
    services.bind_session(_session_in_context)


def _trust_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXIES reverse proxies, take the client's address and scheme from X-Forwarded-*."""
    hops = int(app.config.get("TRUSTED_PROXIES") or 0)
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
