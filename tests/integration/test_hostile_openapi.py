"""Issue 14, items 8 and 9: the OpenAPI document says what the API does. Skip rules are one of two shapes, slugs have
their pattern, the time ordering is said in words, /cancel's body may be left out, and the 413 and the 422 for a
query string that cannot be stored are documented (schemathesis checks the rest: test_api_fuzz.py)."""
from __future__ import annotations

import jsonschema_rs  # schemathesis' validator: how it reads the document
import pytest

from wfsurvey.schemas.templates import ShowIfSchema

pytestmark = pytest.mark.hostile


@pytest.fixture
def document(client):
    return client.get("/api/v1/openapi.json").get_json()


@pytest.mark.parametrize(("rule", "accepted"), [
    ({"question": "targets_am", "equals": "yes"}, True),
    ({"org_type": ["lwib"]}, True),
    ({"question": "targets_am"}, False),
    ({"equals": "yes"}, False),
    ({"question": "targets_am", "equals": "yes", "org_type": ["lwib"]}, False),
    ({}, False),
])
def test_the_documented_skip_rule_accepts_what_the_api_accepts(document, rule, accepted):
    show_if = document["components"]["schemas"]["ShowIf"]
    assert jsonschema_rs.Draft4Validator(show_if).is_valid(rule) is accepted
    assert not ShowIfSchema().validate(rule) is accepted


def test_slugs_times_bodies_and_limits_are_documented(document):
    paths, schemas = document["paths"], document["components"]["schemas"]
    slug = "^[a-z0-9]+(?:-[a-z0-9]+)*$"
    assert schemas["RoundCreate"]["properties"]["template"]["pattern"] == slug
    assert "closes_at must be after opens_at" in schemas["RoundCreate"]["description"]
    assert paths["/api/v1/templates/{slug}"]["get"]["parameters"][0]["schema"]["pattern"] == slug
    override = paths["/api/v1/rounds/{round_id}/designations/{region}/override"]["post"]
    assert {p["name"]: p["schema"].get("pattern") for p in override["parameters"]}["region"] == slug
    assert paths["/api/v1/rounds/{round_id}/cancel"]["post"]["requestBody"]["required"] is False
    assert paths["/api/v1/rounds"]["post"]["requestBody"]["required"] is True
    for path, method in [("/api/v1/contacts/import", "post"), ("/api/v1/templates", "post"), ("/api/v1/rounds", "post")]:
        assert "413" in paths[path][method]["responses"]
    assert "422" in paths["/api/v1/contacts"]["get"]["responses"]
