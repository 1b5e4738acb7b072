"""The `wfsurvey` command group (also reachable as `flask --app wfsurvey ...`)."""
from __future__ import annotations

import contextlib
import logging
import sys
from typing import Any, NoReturn, TypeVar

import click
from flask import Flask, current_app, url_for
from flask.cli import FlaskGroup, with_appcontext

from wfsurvey.database import immediate_transactions
from wfsurvey.domain.errors import DomainError
from wfsurvey.extensions import db
from wfsurvey.paths import MIGRATIONS_DIR
from wfsurvey.services.outcomes import Outcome, attempt, run_command

T = TypeVar("T")
#: How the event log names what the command line does.
ACTOR = "cli"


def register_cli(app: Flask) -> None:
    app.cli.add_command(init_db)
    app.cli.add_command(projections)
    app.cli.add_command(serve)
    app.cli.add_command(regions_cli)
    app.cli.add_command(contacts_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(tokens_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(scheduler_cli)


def main() -> None:
    from wfsurvey import create_app

    cli = FlaskGroup(create_app=lambda: create_app(), add_default_commands=False, add_version_option=False,
                     help="wfsurvey: survey rounds for workforce boards and colleges.")
    cli.main(prog_name="wfsurvey")


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create or upgrade the database schema to the newest migration (safe to run again)."""
    from flask_migrate import upgrade

    upgrade(directory=str(MIGRATIONS_DIR))
    click.echo(f"database ready: {db.engine.url.render_as_string(hide_password=True)}")


@click.group()
def projections() -> None:
    """Read models built from the event log."""


@projections.command("rebuild")
@with_appcontext
def projections_rebuild() -> None:
    """Empty every projection and replay the whole event log into it."""
    from wfsurvey.projections import rebuild

    with immediate_transactions():
        db.session.rollback()
        count = rebuild(db.session)
    click.echo(f"rebuilt projections from {count} events")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def serve(host: str, port: int) -> None:
    """Serve the web app with the built-in server (development; use gunicorn in production)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config.get("ENV") == "production":
        click.echo("refusing the development server in production: run gunicorn 'wfsurvey:create_app()'", err=True)
        sys.exit(2)
    # Not app.run(): Flask ignores it inside a CLI command (FLASK_RUN_FROM_CLI).
    from werkzeug.serving import run_simple

    run_simple(host, port, app, threaded=True, use_reloader=False)


# --- stakeholders, users, tokens, demo --------------------------------------------------------

#: Files with more rows than this get a progress bar (on a terminal) while they are validated.
PROGRESS_MIN_ROWS = 1000


def _read_text(file) -> str:
    data = file.read()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise click.ClickException(
            f"{file.name} is not UTF-8 text (byte {exc.start}): save it as 'CSV UTF-8' and try again"
        ) from None


def _fail(error: DomainError) -> NoReturn:
    """Print a refusal (with its per-row problems, if any) and exit 1."""
    click.echo(f"error: {error.message}", err=True)
    for problem in error.fields.get("rows", []) if isinstance(error.fields, dict) else []:
        column = f", {problem['column']}" if problem["column"] else ""
        click.echo(f"  row {problem['row']}{column}: {problem['message']}", err=True)
    sys.exit(1)


def value_or_exit(outcome: Outcome[T]) -> T:
    """The outcome's value; a refusal is printed on standard error and the command exits 1."""
    if outcome.error is not None:
        _fail(outcome.error)
    return outcome.value  # type: ignore[return-value]


def run_or_exit(command: Any) -> Any:
    """Run a command as the command line at the app's clock; a refusal is printed and the command exits 1."""
    return value_or_exit(run_command(command, actor=ACTOR))


@click.group("regions")
def regions_cli() -> None:
    """Regions of a regional model (community-college macro regions by default)."""


@regions_cli.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--scheme", default=None, help="Region scheme (default: the REGION_SCHEME setting, cc-macro).")
@with_appcontext
def regions_import(file, scheme: str | None) -> None:
    """Create regions from a CSV with columns name and optionally code (code = slug of the name)."""
    from wfsurvey.domain.commands import ImportRegions
    from wfsurvey.services.imports import read_regions_csv

    text = _read_text(file)
    rows = value_or_exit(attempt(lambda: read_regions_csv(text)))
    result = run_or_exit(ImportRegions(rows=tuple(rows), scheme=scheme))
    click.echo(f"regions: {result.created} created, {result.renamed} renamed, {result.unchanged} unchanged")


@click.group("contacts")
def contacts_cli() -> None:
    """Organizations and their contacts."""


@contacts_cli.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--dry-run", is_flag=True, help="Validate and count, write nothing.")
@with_appcontext
def contacts_import(file, dry_run: bool) -> None:
    """Import contacts from a CSV: organization,org_type,region,name,email,title.

    Every row is checked first; if any row is bad, nothing is imported and each problem is listed
    with its row number as a spreadsheet shows it (the header is row 1).
    """
    from wfsurvey.domain.commands import ImportContacts

    text = _read_text(file)
    rows = text.count("\n") - 1  # lines after the header: the row count unless cells hold line breaks
    source = f"cli:{file.name}"
    if rows > PROGRESS_MIN_ROWS and sys.stdout.isatty():
        with click.progressbar(length=rows, label="checking rows") as bar:
            outcome = run_command(ImportContacts(csv_text=text, source=source, dry_run=dry_run, progress=bar.update),
                                  actor=ACTOR)
    else:
        outcome = run_command(ImportContacts(csv_text=text, source=source, dry_run=dry_run), actor=ACTOR)
    result = value_or_exit(outcome)
    prefix = "dry run, nothing written: would have " if dry_run else ""
    click.echo(f"{prefix}contacts: {result.created} created, {result.updated} updated, {result.unchanged} unchanged")
    click.echo(f"organizations: {result.organizations_created} created, {result.organizations_updated} updated")
    for new in result.warnings:
        close = "; ".join(f"{s.name!r} (id {s.id})" for s in new.similar)
        click.echo(f"warning: new organization {new.name!r} (row {', '.join(map(str, new.rows[:5]))}) is close to "
                   f"existing {close}: a typo? Correct the file to use the existing one.", err=True)


def _new_password(email: str, from_stdin: bool) -> str:
    from wfsurvey.services.users import password_problem

    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    for _attempt in range(3):
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        problem = password_problem(password, email)
        if problem is None:
            return password
        click.echo(f"refused: {problem}", err=True)
    raise click.ClickException("no acceptable password given")


@click.group("users")
def users_cli() -> None:
    """Staff and admin accounts."""


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(["staff", "admin"]), required=True)
@click.option("--name", default="", help="Display name.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@with_appcontext
def users_create(email: str, role: str, name: str, password_stdin: bool) -> None:
    """Create a user; the password is asked twice (hidden) unless --password-stdin."""
    from wfsurvey.domain.commands import CreateUser

    password = _new_password(email, password_stdin)
    user_id = run_or_exit(CreateUser(email=email, password=password, role=role, name=name))
    click.echo(f"created {role} user {email.strip().lower()} (id {user_id})")


@users_cli.command("set-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@with_appcontext
def users_set_password(email: str, password_stdin: bool) -> None:
    """Give a user a new password (ends all their sessions)."""
    from wfsurvey.domain.commands import SetPassword

    password = _new_password(email, password_stdin)
    run_or_exit(SetPassword(email=email, password=password))
    click.echo(f"password changed for {email.strip().lower()}; their sessions have ended")


@click.group("tokens")
def tokens_cli() -> None:
    """API tokens (Bearer) for scripts."""


@tokens_cli.command("create")
@click.argument("email")
@click.option("--name", required=True, help="What the token is for, e.g. 'nightly export'.")
@with_appcontext
def tokens_create(email: str, name: str) -> None:
    """Create an API token carrying EMAIL's rights and print it (only once: it is stored hashed)."""
    from wfsurvey.domain.commands import CreateApiToken

    token = run_or_exit(CreateApiToken(user_email=email, name=name))
    click.echo(token)
    click.echo("store it now: it is not shown again (send it as 'Authorization: Bearer <token>')", err=True)


def _plain_time(moment, tz: str) -> str:
    from wfsurvey.domain.rules import format_local

    return format_local(moment, tz) if moment is not None else "never"


@tokens_cli.command("list")
@click.argument("email", required=False)
@click.option("--revoked", is_flag=True, help="List the revoked tokens instead of the live ones.")
@with_appcontext
def tokens_list(email: str | None, revoked: bool) -> None:
    """List API tokens (all users', or EMAIL's): id, owner, name, created, last used. Never the token itself."""
    from sqlalchemy import select

    from wfsurvey.domain.stakeholders import normalize_email
    from wfsurvey.models import User
    from wfsurvey.queries.tokens import api_tokens

    user_id = None
    if email:
        try:
            email = normalize_email(email)
        except ValueError:
            email = email.strip().lower()
        user_id = db.session.scalar(select(User.id).where(User.email == email))
        if user_id is None:
            raise click.ClickException(f"no user {email}")
    tz = current_app.config.get("TIMEZONE", "America/Los_Angeles")
    tokens = api_tokens(db.session, user_id=user_id, revoked=revoked)
    db.session.rollback()
    if not tokens:
        click.echo(f"no {'revoked' if revoked else 'live'} API tokens" + (f" for {email}" if email else ""))
        return
    for token in tokens:
        owner = f"{token.user.name} <{token.user.email}>" if token.user.name else token.user.email
        click.echo(f"{token.id}\t{owner}\t{token.name}")
        click.echo(f"\tcreated {_plain_time(token.created_at, tz)}; last used {_plain_time(token.last_used_at, tz)}")
        if token.revoked_at is not None:
            click.echo(f"\trevoked {_plain_time(token.revoked_at, tz)} by {token.revoked_by or 'unknown'}")


@tokens_cli.command("revoke")
@click.argument("token_id", type=int)
@with_appcontext
def tokens_revoke(token_id: int) -> None:
    """Revoke the API token with this id (see `tokens list`): the API refuses it from the next request on."""
    from wfsurvey.domain.commands import RevokeApiToken

    token = run_or_exit(RevokeApiToken(token_id))
    click.echo(f"revoked API token {token.id} ({token.name}) of {token.user.email}")


@click.command("demo")
@with_appcontext
def demo_cli() -> None:
    """Load the demo data: California's regions, boards and target-region colleges, users, the default template
    and a draft round to review and launch."""
    from wfsurvey.demo import load_demo, print_report

    report = value_or_exit(attempt(load_demo))
    app = current_app
    base = app.config.get("BASE_URL", "").rstrip("/")
    with app.test_request_context(base_url=base or None):
        login = url_for("auth.login", _external=True)
        round_url = url_for("staff.round_detail", round_id=report.round[0], _external=True) if report.round else ""
    print_report(report, click.echo, login, round_url)


# --- jobs and the scheduler ---------------------------------------------------------------------

def _counts_text(counts: dict) -> str:
    return " ".join(f"{name}={value}" for name, value in counts.items()) or "nothing to report"


@click.group("jobs")
def jobs_cli() -> None:
    """Scheduled jobs: windows, reminders, delivery, designations."""


@contextlib.contextmanager
def _console_quiet_below(level: int):
    """Raise the root log handlers to `level` for a while: the jobs' INFO lines (kept in job_runs) stay out of a
    command's report; warnings and errors still show, before it."""
    handlers = list(logging.getLogger().handlers)
    saved = [handler.level for handler in handlers]
    for handler in handlers:
        handler.setLevel(max(handler.level, level))
    try:
        yield
    finally:
        for handler, before in zip(handlers, saved):
            handler.setLevel(before)


@jobs_cli.command("run")
@click.option("--now", "now_text", metavar="ISO8601",
              help="Logical time to run at: with an offset, or local to the TIMEZONE setting when naive (default: now).")
@with_appcontext
def jobs_run(now_text: str | None) -> None:
    """Run every job once, in order, at the given logical time; exit 1 if any job failed."""
    from wfsurvey import clock
    from wfsurvey.domain.rules import format_local, parse_local
    from wfsurvey.jobs import run_due_jobs

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    tz = app.config.get("TIMEZONE", "America/Los_Angeles")
    try:
        now = parse_local(now_text, tz) if now_text else clock.now()
    except ValueError as exc:
        raise click.BadParameter(f"{now_text!r} is not an ISO 8601 time ({exc})", param_hint="--now") from None
    with _console_quiet_below(logging.WARNING):
        report = run_due_jobs(app, now)
    # Printed after the run, in one piece: what a log line of a job would have split is in `jobs status`.
    click.echo(f"running jobs at {format_local(now, tz)}")
    for name, counts in report.items():
        click.echo(f"  {name}: {_counts_text(counts)}")
    for name, error in report.errors.items():
        click.echo(f"job {name} FAILED: {error}", err=True)
    if not report.ok:
        sys.exit(1)


@jobs_cli.command("status")
@with_appcontext
def jobs_status() -> None:
    """Print the last run of each job: when (logical time), how long it took, what it did, any error."""
    from wfsurvey.domain.rules import format_local_compact
    from wfsurvey.jobs import JOBS
    from wfsurvey.jobs.runs import duration, last_runs

    tz = current_app.config.get("TIMEZONE", "America/Los_Angeles")
    latest = last_runs(db.session)
    for name in list(JOBS) + sorted(set(latest) - set(JOBS)):
        run = latest.get(name)
        if run is None:
            click.echo(f"{name}: never run")
            continue
        took = duration(run)
        if took is None:
            state = f"started {format_local_compact(run.started_at, tz)}, not finished (running, or it died)"
        else:
            state = f"took {took.total_seconds():.2f} s"
        click.echo(f"{name}: at {format_local_compact(run.logical_now, tz)} (started {format_local_compact(run.started_at, tz)}), "
                   f"{state}: {_counts_text(dict(sorted(run.counts.items())))}")  # JSONB keeps no key order
        if run.error:
            click.echo(f"  FAILED: {run.error}")
    db.session.rollback()


@click.command("scheduler")
@with_appcontext
def scheduler_cli() -> None:
    """Run the jobs every SCHEDULER_INTERVAL_SECONDS while this is the active scheduler (one per database); stop with Ctrl-C or SIGTERM."""
    import logging
    import signal
    import threading

    from wfsurvey.jobs.scheduler import SchedulerProcess

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        process = SchedulerProcess(app)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    stop = threading.Event()

    def request_stop(signum, _frame) -> None:
        logging.getLogger("wfsurvey.jobs.scheduler").info("%s received: stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    process.run(stop)
