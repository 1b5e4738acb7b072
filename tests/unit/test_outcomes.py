"""The one way commands run for a caller (wfsurvey.services.outcomes) and its adapters: flashed or placed beside a
form's fields on pages, the JSON error in the API, a message and exit status 1 on the command line.

The bus is replaced by a fake `services.handle`, so what is checked is the helper, not a command."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import click
import pytest
from click.testing import CliRunner
from flask import Flask, g, session
from sqlalchemy.exc import IntegrityError, OperationalError
from wtforms import Form, StringField

from wfsurvey import cli
from wfsurvey.blueprints import outcomes as web
from wfsurvey.blueprints.api import core as api
from wfsurvey.domain.errors import DomainError
from wfsurvey.services.outcomes import Contention, attempt, run_command

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 10, 6, 17, 0, tzinfo=UTC)
REFUSAL = DomainError("the round is closed", code="conflict", fields={"closes_at": ["already passed"]})


class Handle:
    """Stands in for services.handle: answers or raises what it is given, one item per call, and notes each call."""

    def __init__(self, *results):
        self.results = list(results)
        self.calls: list[tuple] = []

    def __call__(self, command, *, actor, now=None):
        self.calls.append((command, actor, now))
        result = self.results.pop(0)
        if isinstance(result, Exception):
            raise result
        return result


@pytest.fixture
def handle(monkeypatch):
    def install(*results) -> Handle:
        fake = Handle(*results)
        monkeypatch.setattr("wfsurvey.services.handle", fake)
        return fake
    return install


def clash(message: str = "UNIQUE constraint failed: responses.invitation_id") -> IntegrityError:
    return IntegrityError("INSERT ...", {}, Exception(message))


# --- the core -------------------------------------------------------------------------------

def test_a_command_runs_as_the_actor_at_the_given_time_and_returns_its_value(handle):
    fake = handle(42)
    outcome = run_command("LaunchRound(1)", actor="user:7", now=NOW)
    assert (outcome.ok, outcome.value, outcome.error) == (True, 42, None)
    assert fake.calls == [("LaunchRound(1)", "user:7", NOW)]


def test_without_a_time_the_command_runs_at_the_clock(handle):
    fake = handle(None)
    before = dt.datetime.now(UTC)
    run_command("X", actor="cli")
    assert before <= fake.calls[0][2] <= dt.datetime.now(UTC)


def test_a_refusal_is_the_outcome_not_an_exception(handle):
    handle(REFUSAL)
    outcome = run_command("X", actor="cli", now=NOW)
    assert not outcome.ok and outcome.error is REFUSAL and outcome.value is None
    assert attempt(lambda: 1 / 1).value == 1.0
    with pytest.raises(ZeroDivisionError):  # only refusals become outcomes
        attempt(lambda: 1 / 0)


def test_a_clash_is_retried_once_when_asked_and_else_raised(handle):
    fake = handle(clash(), "saved")
    assert run_command("SaveAnswers", actor="token:3", now=NOW, retry_on_contention=True).value == "saved"
    assert len(fake.calls) == 2

    fake = handle(clash(), OperationalError("UPDATE ...", {}, Exception("database is locked")))
    outcome = run_command("SaveAnswers", actor="token:3", now=NOW, retry_on_contention=True)
    assert isinstance(outcome.error, Contention) and outcome.error.code == "conflict"
    assert isinstance(outcome.error.__cause__, OperationalError) and len(fake.calls) == 2

    handle(clash())
    with pytest.raises(IntegrityError):
        run_command("SaveAnswers", actor="token:3", now=NOW)
    handle(OperationalError("SELECT 1", {}, Exception("could not connect to server")))
    with pytest.raises(OperationalError):  # a database that is down is no clash: never retried
        run_command("SaveAnswers", actor="token:3", now=NOW, retry_on_contention=True)


# --- pages ----------------------------------------------------------------------------------

@pytest.fixture
def page(monkeypatch):
    """A request of a bare Flask app (the session keeps flashed messages) with a signed-in user 7."""
    app = Flask(__name__)
    app.secret_key = "test"
    monkeypatch.setattr("wfsurvey.authz.actor", lambda: "user:7")
    with app.test_request_context("/staff/rounds/1/launch", method="POST"):
        yield app


def test_a_page_runs_as_the_signed_in_user_and_flashes_a_refusal(handle, page):
    fake = handle(REFUSAL, "done")
    assert not web.run_or_flash("CloseRound(1)", wording="Not done: {message}.").ok
    assert session.pop("_flashes") == [("error", "Not done: the round is closed.")]
    assert web.run_or_flash("CloseRound(1)").value == "done"
    assert "_flashes" not in session
    assert [actor for _command, actor, _now in fake.calls] == ["user:7", "user:7"]


class RoundForm(Form):
    title = StringField()
    closes_at = StringField()


def test_a_page_puts_a_refusals_fields_beside_the_forms_fields(handle, page):
    handle(DomainError("round invalid", code="invalid", fields={"close": ["must be after opens_at"], "surprise": ["x"]}))
    form = RoundForm()
    outcome = web.run_on_form("CreateRound", form, aliases={"close": "closes_at"})
    assert not outcome.ok
    assert form.closes_at.errors == ["must be after opens_at"] and not form.title.errors
    assert form.form_errors == [] and "_flashes" not in session

    handle(DomainError("no template 'x'", code="invalid"))
    form = RoundForm()
    web.run_on_form("CreateRound", form)
    assert form.form_errors == ["no template 'x'"]  # naming no field: said above the form

    handle(REFUSAL)
    placed = []
    web.run_on_form("CreateRound", RoundForm(), place=lambda form, exc: placed.append(exc))
    assert placed == [REFUSAL]


# --- the API --------------------------------------------------------------------------------

def test_the_api_raises_a_refusal_as_its_json_error_with_the_fields(handle, page):
    fake = handle(DomainError("2 rows with problems; nothing was imported", code="invalid",
                              fields={"rows": [{"row": 3, "column": "email", "message": "not an email address"}]}),
                  REFUSAL, DomainError("no round 9", code="not_found"), "imported")
    g.api_token = SimpleNamespace(id=5)
    with pytest.raises(api.ApiError) as refused:
        api.run("ImportContacts")
    response = api._api_error(refused.value)
    assert response.status_code == 422
    assert response.get_json() == {"error": {
        "code": "invalid", "message": "2 rows with problems; nothing was imported",
        "fields": {"rows": [{"row": 3, "column": "email", "message": "not an email address"}]},
    }}
    with pytest.raises(api.ApiError) as refused:
        api.run("CloseRound")
    assert (refused.value.status, refused.value.code, refused.value.fields) == (409, "conflict", REFUSAL.fields)
    with pytest.raises(api.ApiError) as refused:
        api.run("LaunchRound")
    assert refused.value.status == 404
    assert api.run("ImportContacts") == "imported"
    assert {actor for _command, actor, _now in fake.calls} == {"api:5"}


# --- the command line -----------------------------------------------------------------------

@click.command()
@click.argument("what")
def import_command(what: str) -> None:
    click.echo(f"imported {cli.run_or_exit(what)}")


def test_the_command_line_prints_a_refusal_with_its_rows_and_exits_1(handle):
    fake = handle(DomainError("2 rows with problems; nothing was imported", code="invalid", fields={"rows": [
        {"row": 3, "column": "email", "message": "not an email address"}, {"row": 5, "column": "", "message": "too many cells"},
    ]}), 12)
    refused = CliRunner().invoke(import_command, ["contacts.csv"])
    assert refused.exit_code == 1 and refused.stdout == ""
    assert refused.stderr == ("error: 2 rows with problems; nothing was imported\n"
                              "  row 3, email: not an email address\n"
                              "  row 5: too many cells\n")
    done = CliRunner().invoke(import_command, ["contacts.csv"])
    assert done.exit_code == 0 and done.stdout == "imported 12\n"
    assert [actor for _command, actor, _now in fake.calls] == ["cli", "cli"]

    def refuse() -> None:
        raise REFUSAL

    demo = CliRunner().invoke(click.command()(lambda: cli.value_or_exit(attempt(refuse))))
    assert demo.exit_code == 1 and demo.stderr == "error: the round is closed\n"
