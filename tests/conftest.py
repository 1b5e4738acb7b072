"""Fixtures: a migrated database per test (SQLite by default, PostgreSQL when WFSURVEY_TEST_DATABASE_URL is set), app, client, runner."""
from __future__ import annotations

import os
import runpy
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from tests.compile_cache import share_template_bytecode, share_url_builders
from wfsurvey import create_app
from wfsurvey.extensions import db
from wfsurvey.paths import CONFIG_DIR, MIGRATIONS_DIR
from wfsurvey.settings import normalise_database_url

pytest_plugins = ["tests.factories", "tests.smtp"]

PG_URL = os.environ.get("WFSURVEY_TEST_DATABASE_URL") or None
REQUIRE_PG = os.environ.get("WFSURVEY_REQUIRE_POSTGRES") == "1"
#: The pytest-xdist worker running this process ("gw0", "gw1", ...), or "main" without xdist: in every name a test
#: gives a database or file shared beyond its own tmp_path, so that parallel workers never meet.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
TESTING = {k: v for k, v in runpy.run_path(str(CONFIG_DIR / "testing.py")).items() if k.isupper()}

share_url_builders()


def pytest_report_header(config):
    return f"wfsurvey test database: {'PostgreSQL ' + make_url(PG_URL).render_as_string() if PG_URL else 'SQLite'}"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "postgres_only" in item.keywords and not PG_URL:
            if REQUIRE_PG:
                item.add_marker(pytest.mark.xfail(reason="PostgreSQL required but not configured", strict=True, run=False))
            else:
                item.add_marker(pytest.mark.skip(reason="PostgreSQL only: set WFSURVEY_TEST_DATABASE_URL"))
    if WORKER != "main":
        # Spread over xdist workers: the tests marked slow are handed out first, so that none of them starts last
        # and keeps a run waiting while the other workers are done (the order is the same in every worker).
        items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def make_app(url: str, **overrides):
    app = create_app({**TESTING, "DATABASE_URL": url, **overrides})
    share_template_bytecode(app)
    return app


def migrate(url: str) -> None:
    from flask_migrate import upgrade

    app = make_app(url)
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR))
        db.engine.dispose()


@pytest.fixture(scope="session")
def database_template(tmp_path_factory):
    """A database migrated once per run (per xdist worker): a SQLite file to copy, or a fresh PostgreSQL database."""
    if PG_URL:
        server = make_url(normalise_database_url(PG_URL))
        name = f"wfs_test_{WORKER}_{uuid.uuid4().hex[:12]}"
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = server.set(database=name).render_as_string(hide_password=False)
        try:
            migrate(url)
            yield url
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    else:
        path = tmp_path_factory.mktemp(f"template-{WORKER}") / "template.sqlite"
        migrate(f"sqlite:///{path}")
        yield path


@pytest.fixture
def database_url(database_template, tmp_path):
    if PG_URL:
        engine = create_engine(database_template)
        with engine.begin() as conn:
            tables = [t for t in inspect(conn).get_table_names() if t != "alembic_version"]
            # Replica mode skips the trigger that keeps `events` append-only, and the foreign keys' triggers, for
            # test cleanup only: every row goes, in any order. DELETE, not TRUNCATE: a TRUNCATE of the ~30 tables
            # makes new files for each and took about 0.4 s a test; DELETE of a test's few rows takes milliseconds.
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))
            # What TRUNCATE's RESTART IDENTITY did: ids start again from each sequence's start.
            conn.execute(text("SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, start_value, false) "
                              "FROM pg_sequences WHERE schemaname = current_schema()"))
        engine.dispose()
        return database_template
    path = tmp_path / "wfsurvey.sqlite"
    shutil.copyfile(database_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def app(database_url, tmp_path):
    app = make_app(database_url, INSTANCE_PATH=str(tmp_path))
    ctx = app.app_context()
    ctx.push()
    yield app
    db.session.remove()
    db.engine.dispose()
    ctx.pop()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def is_postgres() -> bool:
    return PG_URL is not None


def data_path(name: str) -> Path:
    return Path(__file__).parent / "data" / name
