"""Schemathesis against the app's own OpenAPI document, in process (WSGI, no network), with a Bearer token: no input
gets a server error, and every answer matches the document (status code, media type, body schema).

Each operation gets a fresh database holding a launched round, so ids 1 name real rows. Valid and invalid
inputs both (schemathesis' positive and negative modes, NUL characters included); a derandomized budget
of examples per operation keeps the run repeatable and bounded (about a minute on 2 cores; `make test` runs it).
"""
from __future__ import annotations

import datetime as dt

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests import builders
from wfsurvey.domain import commands as cmd
from wfsurvey.services import handle

pytestmark = [pytest.mark.slow, pytest.mark.hostile]

#: Examples per operation: about a minute for the 24 operations on this 2-core machine.
EXAMPLES = 40
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]

LAUNCH = dt.datetime(2026, 10, 6, 17, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def bearer(app) -> str:
    app.config["FIXED_NOW"] = LAUNCH
    handle(cmd.CreateUser(email="fuzz@example.org", password="correct-horse-battery-staple-42", role="admin"),
           actor="test", now=LAUNCH)
    builders.stakeholders()
    builders.template()
    builders.launched_round(now=LAUNCH)
    return handle(cmd.CreateApiToken(user_email="fuzz@example.org", name="fuzz"), actor="test", now=LAUNCH)


def _document_app():
    """An app that only serves the OpenAPI document (an in-memory database it never touches).

    The schema is loaded once, at collection; every operation's calls then go to the test's own app.
    """
    from tests.conftest import TESTING
    from wfsurvey import create_app

    return create_app({**TESTING, "DATABASE_URL": "sqlite://"})


schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", _document_app())


@schema.parametrize()
@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much])
def test_no_input_gets_a_server_error_or_an_answer_the_document_does_not_describe(case, app, bearer):
    case.call_and_validate(app=app, headers={"Authorization": f"Bearer {bearer}"}, checks=CHECKS)
