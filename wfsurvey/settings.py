"""Loading and checking configuration: defaults file, WFSURVEY_CONFIG file, WFSURVEY_* variables, caller override."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from wfsurvey.paths import CONFIG_DIR

#: Environment variables that override the config file: WFSURVEY_<NAME> -> NAME.
ENV_OVERRIDES = ("DATABASE_URL", "SECRET_KEY", "SMTP_URL", "MAIL_FROM", "BASE_URL", "TIMEZONE", "RATELIMIT_STORAGE_URI",
                 "TRUSTED_PROXIES")
DEFAULT_SECRET_KEY = "dev-secret-key-change-me"


class ConfigError(RuntimeError):
    """The configuration cannot be used (say, production with the default secret key)."""


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
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})
    app.config["RATELIMIT_STORAGE_URI"] = app.config.get("RATELIMIT_STORAGE_URI") or "memory://"


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
