"""Configuration: loading and checking it (defaults file, WFSURVEY_CONFIG file, WFSURVEY_* variables, caller
override), and the one accessor through which code outside the web layer reads the running app's settings.

Services, projections and mail never import Flask: create_app binds `current()` to the app's config
(bind_source), so they read settings here, or take them as arguments.
"""
from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import make_url

from wfsurvey.domain.stakeholders import DEFAULT_REGION_SCHEME
from wfsurvey.paths import CONFIG_DIR

if TYPE_CHECKING:
    from flask import Flask

#: Environment variables that override the config file: WFSURVEY_<NAME> -> NAME.
ENV_OVERRIDES = ("DATABASE_URL", "SECRET_KEY", "SMTP_URL", "MAIL_FROM", "MAIL_REPLY_TO", "BASE_URL", "TIMEZONE",
                 "RATELIMIT_STORAGE_URI", "TRUSTED_PROXIES")
DEFAULT_SECRET_KEY = "dev-secret-key-change-me"


class ConfigError(RuntimeError):
    """The configuration cannot be used (say, production with the default secret key)."""


def _no_app() -> Mapping[str, Any] | None:
    return None


#: Gives the running app's settings, or None outside one; create_app binds the app's config.
_source: Callable[[], Mapping[str, Any] | None] = _no_app


def bind_source(source: Callable[[], Mapping[str, Any] | None]) -> None:
    """Where current() reads from (create_app binds "the config of the app in context")."""
    global _source
    _source = source


def current() -> Mapping[str, Any]:
    """The running app's settings; an empty mapping outside an app (scripts, benchmarks: each reader has a default)."""
    return _source() or {}


def region_scheme() -> str:
    """The region scheme that region codes and names refer to when none is named (REGION_SCHEME)."""
    return current().get("REGION_SCHEME") or DEFAULT_REGION_SCHEME


def load_config(app: Flask, config: dict[str, Any] | str | os.PathLike | None) -> None:
    app.config.from_pyfile(str(CONFIG_DIR / "default.py"))
    if os.environ.get("WFSURVEY_CONFIG"):
        app.config.from_pyfile(str(Path(os.environ["WFSURVEY_CONFIG"]).resolve()))
    for name in ENV_OVERRIDES:
        value = os.environ.get(f"WFSURVEY_{name}")
        if value:
            app.config[name] = value
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_pyfile(str(Path(config).resolve()))

    url = app.config.get("DATABASE_URL")
    if not url:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{Path(app.instance_path) / 'wfsurvey.sqlite'}"
    app.config["DATABASE_URL"] = url = normalise_database_url(url)
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    # A PostgreSQL connection can die in the pool (a restarted server, a killed session): pinged before use. A SQLite
    # file's cannot, and the ping would cost every request a statement's overhead.
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": not url.startswith("sqlite")})
    app.config["RATELIMIT_STORAGE_URI"] = app.config.get("RATELIMIT_STORAGE_URI") or "memory://"
    if not app.config.get("RATELIMIT_KEY_PREFIX"):
        app.config["RATELIMIT_KEY_PREFIX"] = default_key_prefix(url)


def default_key_prefix(database_url: str) -> str:
    """Rate-limit keys of a deployment start with this: its database (URL hashed, password left out) names it,
    so two deployments sharing one Redis never share a counter."""
    try:
        shown = make_url(database_url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy reads: hash it as it is
        shown = database_url
    return "wfsurvey:" + hashlib.sha256(shown.encode("utf-8")).hexdigest()[:12]


def normalise_database_url(url: str) -> str:
    """Plain postgres URLs use psycopg 3 (the only PostgreSQL driver installed)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def check_config(app: Flask) -> None:
    if app.config.get("ENV") != "production":
        return
    problems = []
    if not app.config.get("SECRET_KEY") or app.config["SECRET_KEY"] == DEFAULT_SECRET_KEY:
        problems.append("SECRET_KEY is unset or the development default: set WFSURVEY_SECRET_KEY")
    if not app.config.get("SMTP_URL"):
        problems.append("SMTP_URL is unset: the dev mailbox is refused in production; set WFSURVEY_SMTP_URL")
    if problems:
        raise ConfigError("production configuration refused: " + "; ".join(problems))
    app.config["SESSION_COOKIE_SECURE"] = True
