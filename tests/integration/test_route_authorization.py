"""Every route says who may call it, and the rule holds: a walk over the whole URL map, so that routes
added later are checked too without touching this file."""
from __future__ import annotations

import pytest
from werkzeug.routing import IntegerConverter, Rule

from tests import builders
from tests.web import page_token, signed_in  # noqa: F401  (signed_in is a fixture)
from wfsurvey.extensions import db
from wfsurvey.models import Invitation, Organization

ACCESS_LEVELS = {"public", "staff", "admin", "api"}
#: Methods that change something (GET and HEAD must not, OPTIONS is answered by Flask).
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
#: Form posts exempt from the CSRF check, each with its reason. Adding one here needs a good reason.
CSRF_EXEMPT = {
    # RFC 8058 one-click unsubscribe comes from a mail client, which has no token; the view checks
    # the token for every other POST, and opting out only ever stops mail.
    "respond.opt_out",
    # The same for a convening's link (/c/<token>/opt-out).
    "rsvp.opt_out",
}


def access_of(app, rule: Rule) -> str | None:
    return getattr(app.view_functions[rule.endpoint], "wfsurvey_access", None)


def routes(app, *levels: str) -> list[Rule]:
    return sorted((r for r in app.url_map.iter_rules() if r.endpoint != "static" and access_of(app, r) in levels),
                  key=lambda r: (r.rule, r.endpoint))


@pytest.fixture
def sample(app, make_user):
    """Stored objects whose ids fill route parameters: a launched round with invitations, a template, users."""
    builders.stakeholders()
    builders.template()
    round_ = builders.launched_round()
    invitation = db.session.query(Invitation).filter_by(round_id=round_.id).first()
    org = db.session.get(Organization, invitation.organization_id)
    user = make_user()
    return {
        "round_id": round_.id, "invitation_id": invitation.id, "contact_id": invitation.contact_id,
        "organization_id": org.id, "user_id": user.id, "template_id": round_.template_id, "version": 1,
        "slug": "collab", "region": org.regions[0].code, "code": org.regions[0].code, "token": "not-a-real-token",
    }


def url_for_rule(rule: Rule, sample: dict) -> str:
    """The rule's URL with every parameter filled: a known id or code where the name says which, else a dummy.
    Authorization is checked before the view looks anything up, so a dummy still proves the rule."""
    values = {}
    for name in rule.arguments:
        converter = rule._converters.get(name)
        default = 1 if isinstance(converter, IntegerConverter) else "x"
        values[name] = sample.get(name, default)
    built = rule.build(values, append_unknown=False)
    assert built is not None, rule.rule
    return built[1]


def test_every_route_declares_who_may_call_it(app):
    offenders = [
        f"{rule.rule} ({rule.endpoint}): {access_of(app, rule)!r}"
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and access_of(app, rule) not in ACCESS_LEVELS
    ]
    assert not offenders, "routes without @public, @staff_required, @admin_required or an API marker:\n" + "\n".join(offenders)
    assert routes(app, "staff") and routes(app, "admin")  # the walk below has something to walk


def test_anonymous_requests_are_sent_to_sign_in_or_refused(app, client, sample):
    token = page_token(client, "/login")  # a valid token, so that only authorization can refuse
    problems = []
    for rule in routes(app, "staff", "admin", "api"):
        url = url_for_rule(rule, sample)
        api = access_of(app, rule) == "api"
        for method in sorted(rule.methods & {"GET", *WRITE_METHODS}):
            response = client.open(url, method=method, headers={"X-CSRFToken": token}, data={"csrf_token": token})
            location = response.headers.get("Location", "")
            ok = response.status_code == 401 if api else (response.status_code == 302 and location.startswith("/login"))
            if not ok:
                problems.append(f"{method} {url} ({rule.endpoint}): {response.status_code} {location}")
    assert not problems, "\n".join(problems)


def test_staff_get_403_on_admin_routes_and_reach_their_own(app, signed_in, sample):
    client, _ = signed_in("staff")
    token = page_token(client, "/staff/")
    problems = []
    for rule in routes(app, "admin"):
        url = url_for_rule(rule, sample)
        for method in sorted(rule.methods & {"GET", *WRITE_METHODS}):
            response = client.open(url, method=method, headers={"X-CSRFToken": token}, data={"csrf_token": token})
            if response.status_code != 403:
                problems.append(f"admin route {method} {url} ({rule.endpoint}) gave staff {response.status_code}")
    for rule in routes(app, "staff"):
        if "GET" not in rule.methods:
            continue
        url = url_for_rule(rule, sample)
        response = client.get(url)
        refused = response.status_code in (401, 403) or response.headers.get("Location", "").startswith("/login")
        if refused or (not rule.arguments and response.status_code != 200):
            problems.append(f"staff route GET {url} ({rule.endpoint}) gave staff {response.status_code}")
    assert not problems, "\n".join(problems)


def test_admins_reach_admin_pages(app, signed_in, sample):
    client, _ = signed_in("admin")
    for rule in routes(app, "admin", "staff"):
        if "GET" in rule.methods and not rule.arguments:
            assert client.get(url_for_rule(rule, sample)).status_code == 200, rule.rule


def test_every_form_post_needs_a_csrf_token(app, signed_in, sample):
    """Signed in as admin (so authorization would let it through), a write without the token is a 400."""
    client, _ = signed_in("admin")
    problems = []
    for rule in routes(app, "public", "staff", "admin"):
        if rule.endpoint in CSRF_EXEMPT:
            continue
        url = url_for_rule(rule, sample)
        for method in sorted(rule.methods & set(WRITE_METHODS)):
            response = client.open(url, method=method, data={})
            if response.status_code != 400:
                problems.append(f"{method} {url} ({rule.endpoint}) without a CSRF token: {response.status_code}")
    assert not problems, "\n".join(problems)
    assert client.get("/staff/").status_code == 200  # still signed in: nothing above changed the session
