"""The migrations build exactly the schema the models describe, `init-db` is safe to repeat, and version files are date-prefixed."""
from __future__ import annotations

import datetime as dt
import re
import uuid
import warnings

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from tests.conftest import PG_URL, WORKER, make_app
from wfsurvey.extensions import db
from wfsurvey.paths import MIGRATIONS_DIR
from wfsurvey.settings import normalise_database_url


def head_revision() -> str:
    return ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


@pytest.fixture
def empty_database_url(tmp_path):
    """A database with no tables at all: a new SQLite file, or a new database on the PostgreSQL server."""
    if PG_URL is None:
        yield f"sqlite:///{tmp_path / 'empty.sqlite'}"
        return
    server = make_url(normalise_database_url(PG_URL))
    name = f"wfs_empty_{WORKER}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


#: Indexes on expressions, which SQLAlchemy cannot reflect on SQLite (alembic skips them): checked by name.
EXPRESSION_INDEXES = {"ix_events_payload_round"}


def test_migrated_schema_matches_models_exactly(app):
    # The session database was migrated from empty by conftest: SQLite or PostgreSQL, per run.
    with db.engine.connect() as conn, warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
        warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression-based index")
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": False})
        differences = compare_metadata(context, db.metadata)
    assert differences == []
    declared = {index.name for table in db.metadata.tables.values() for index in table.indexes
                if any(not hasattr(expr, "name") for expr in index.expressions)}
    assert declared == EXPRESSION_INDEXES
    listing = ("SELECT name FROM sqlite_master WHERE type = 'index'" if db.engine.dialect.name == "sqlite"
               else "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")
    with db.engine.connect() as conn:
        assert EXPRESSION_INDEXES <= set(conn.execute(text(listing)).scalars())


def test_the_event_log_round_filter_reads_the_index(app):
    from sqlalchemy import select

    from wfsurvey.models import EventRecord

    query = select(EventRecord.seq).where(EventRecord.payload["round_id"].as_integer() == 7)
    compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
    explain = "EXPLAIN QUERY PLAN " if db.engine.dialect.name == "sqlite" else "EXPLAIN "
    with db.engine.connect() as conn:
        if db.engine.dialect.name == "postgresql":
            conn.execute(text("SET enable_seqscan = off"))  # an empty table: make the planner show its choice
        plan = " ".join(str(row) for row in conn.execute(text(explain + str(compiled))))
    assert "ix_events_payload_round" in plan


def test_init_db_on_empty_database_twice_is_idempotent(empty_database_url, tmp_path):
    app = make_app(empty_database_url, INSTANCE_PATH=str(tmp_path))
    runner = app.test_cli_runner()
    with app.app_context():
        try:
            assert inspect(db.engine).get_table_names() == []

            first = runner.invoke(args=["init-db"])
            assert first.exit_code == 0, first.output
            assert "database ready" in first.output
            tables = set(inspect(db.engine).get_table_names())
            assert {"events", "rounds", "invitations", "outbox", "alembic_version"} <= tables

            second = runner.invoke(args=["init-db"])
            assert second.exit_code == 0, second.output
            assert set(inspect(db.engine).get_table_names()) == tables
            with db.engine.connect() as conn:
                versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
            assert versions == [head_revision()]
        finally:
            db.session.remove()
            db.engine.dispose()


def test_migration_file_names_are_date_prefixed():
    files = sorted(p.name for p in (MIGRATIONS_DIR / "versions").glob("*.py"))
    assert files, "no migration files found"
    for name in files:
        match = re.match(r"^(\d{8})_", name)
        assert match, f"{name}: migration file names start with YYYYMMDD_"
        dt.datetime.strptime(match.group(1), "%Y%m%d")  # a real date, not just eight digits


def test_migrations_form_a_single_line_of_history():
    scripts = ScriptDirectory(str(MIGRATIONS_DIR))
    assert len(scripts.get_heads()) == 1, "several heads: merge the migrations"
    assert len(scripts.get_bases()) == 1


def test_the_outbox_claim_columns_take_over_a_crashed_senders_markers_and_give_them_back(empty_database_url, tmp_path):
    # Rows a sender left in "sending" before the upgrade kept their claim in last_error; recovery
    # after the upgrade must see the same claims (a started row is never resent).
    from flask_migrate import downgrade, upgrade

    app = make_app(empty_database_url, INSTANCE_PATH=str(tmp_path))
    rows = [(1, "sending", "claimed:abc123:2026-11-20T17:00:00+00:00"),
            (2, "sending", "sending:abc123:2026-11-20T17:01:00+00:00"),
            (3, "sending", "garbled"),
            (4, "queued", "451 4.7.1 greylisted")]
    with app.app_context():
        try:
            upgrade(directory=str(MIGRATIONS_DIR), revision="b6a5evrd0006")
            with db.engine.begin() as conn:
                for row_id, status, last_error in rows:
                    conn.execute(text(
                        "INSERT INTO outbox (id, dedupe_key, kind, to_addr, subject, body_text, body_html, headers, status,"
                        " attempts, next_attempt_at, last_error, created_at) VALUES (:id, :key, 'invitation', 'a@example.org',"
                        " 's', 't', 'h', '{}', :status, 0, '2026-11-20 17:00:00', :error, '2026-11-20 17:00:00')"),
                        {"id": row_id, "key": f"invitation:{row_id}", "status": status, "error": last_error})

            upgrade(directory=str(MIGRATIONS_DIR))
            query = text("SELECT id, status, last_error, claim_stage, claim_batch, claim_stage_at FROM outbox ORDER BY id")
            with db.engine.connect() as conn:
                upgraded = [tuple(r) for r in conn.execute(query)]
            stamp = dt.datetime.fromisoformat
            assert [r[:5] for r in upgraded] == [(1, "sending", None, "claimed", "abc123"), (2, "sending", None, "sending", "abc123"),
                                                 (3, "sending", None, None, None), (4, "queued", "451 4.7.1 greylisted", None, None)]
            assert [stamp(str(r[5])) if r[5] else None for r in upgraded] == [
                stamp("2026-11-20 17:00:00"), stamp("2026-11-20 17:01:00"), None, None]

            downgrade(directory=str(MIGRATIONS_DIR), revision="b6a5evrd0006")
            with db.engine.connect() as conn:
                restored = conn.execute(text("SELECT id, last_error FROM outbox ORDER BY id")).all()
            assert [tuple(r) for r in restored] == [(1, "claimed:abc123:2026-11-20T17:00:00+00:00"),
                                                    (2, "sending:abc123:2026-11-20T17:01:00+00:00"), (3, None),
                                                    (4, "451 4.7.1 greylisted")]
        finally:
            db.session.remove()
            db.engine.dispose()


def test_job_runs_of_the_last_thirty_days_are_marked_idle_by_what_they_did(empty_database_url, tmp_path):
    from flask_migrate import downgrade, upgrade

    app = make_app(empty_database_url, INSTANCE_PATH=str(tmp_path))
    recent = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S")
    old = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=40)).strftime("%Y-%m-%d %H:%M:%S")
    rows = [(1, "delivery", '{"sent": 0, "failed": 0}', None, recent),
            (2, "delivery", '{"sent": 4, "failed": 0}', None, recent),
            (3, "reminders", '{"rounds": 2, "queued": 0, "covered": 30}', None, recent),
            (4, "windows", '{}', "RuntimeError: boom", recent),
            (5, "a_new_job", '{"found": 0}', None, recent),
            (6, "delivery", '{"sent": 0}', None, old)]
    with app.app_context():
        try:
            upgrade(directory=str(MIGRATIONS_DIR), revision="b6a7clam0007")
            with db.engine.begin() as conn:
                for row_id, job, counts, error, started in rows:
                    conn.execute(text(
                        "INSERT INTO job_runs (id, job, logical_now, started_at, finished_at, counts, error)"
                        " VALUES (:id, :job, :at, :at, :at, :counts, :error)"),
                        {"id": row_id, "job": job, "at": started, "counts": counts, "error": error})
            upgrade(directory=str(MIGRATIONS_DIR))
            with db.engine.connect() as conn:
                idle = dict(conn.execute(text("SELECT id, idle FROM job_runs ORDER BY id")).all())
            assert {row_id: bool(flag) for row_id, flag in idle.items()} == {
                1: True, 2: False, 3: True, 4: False, 5: True, 6: False}
            downgrade(directory=str(MIGRATIONS_DIR), revision="b6a7clam0007")
            with db.engine.connect() as conn:
                assert "idle" not in {c["name"] for c in inspect(conn).get_columns("job_runs")}
        finally:
            db.session.remove()
            db.engine.dispose()


def test_board_region_membership_is_filled_from_the_invitation_projection_as_the_projection_fills_it(app):
    """d15regm0102 makes proj_board_regions from proj_invitation_progress: the rows a launch made live, again."""
    from flask_migrate import downgrade, upgrade

    from tests import builders
    from wfsurvey.models import BoardRegion, Contact, Organization, Region

    builders.stakeholders(regions=("inland-empire-desert", "los-angeles"), boards=2, colleges=1)
    both = db.session.query(Region).order_by(Region.code).all()
    straddling = Organization(name="Two-region board", org_type="lwib", created_at=builders.T0, regions=both)
    db.session.add_all([straddling, Contact(organization=straddling, name="Pat Two", email="pat@example.org",
                                            title="Director", created_at=builders.T0, updated_at=builders.T0)])
    db.session.commit()
    straddling_id = straddling.id
    builders.template()
    round_ = builders.launched_round()
    round_id = round_.id
    db.session.remove()

    def members() -> set[tuple]:
        with db.engine.connect() as conn:
            return set(conn.execute(text(
                "SELECT round_id, region, invitation_id, organization_id FROM proj_board_regions")).all())

    live = members()
    # 2 boards in each region, and the straddling board in both; no college.
    assert len(live) == 6 and {r[1] for r in live if r[3] == straddling_id} == {"inland-empire-desert", "los-angeles"}
    assert {r[0] for r in live} == {round_id}
    try:
        downgrade(directory=str(MIGRATIONS_DIR), revision="c7a1tokr0101")
        with db.engine.connect() as conn:
            assert "proj_board_regions" not in inspect(conn).get_table_names()
    finally:
        upgrade(directory=str(MIGRATIONS_DIR))
    assert members() == live
    assert BoardRegion.__tablename__ == "proj_board_regions"
