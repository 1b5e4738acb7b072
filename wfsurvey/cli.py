"""The `wfsurvey` command group (also reachable as `flask --app wfsurvey ...`)."""
from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from wfsurvey.database import immediate_transactions
from wfsurvey.extensions import db
from wfsurvey.paths import MIGRATIONS_DIR


def register_cli(app: Flask) -> None:
    app.cli.add_command(init_db)
    app.cli.add_command(projections)
    app.cli.add_command(serve)


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
    app.run(host=host, port=port, threaded=True, use_reloader=False)
