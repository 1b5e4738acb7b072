"""Factory fixtures: each returns a callable that makes one stored object through the real commands
(so events are recorded as in production), with defaults for everything a test does not care about."""
from __future__ import annotations

import datetime as dt
import itertools

import pytest

from wfsurvey.domain import commands as cmd
from wfsurvey.extensions import db
from wfsurvey.models import Contact, Organization, Region, User
from wfsurvey.services import handle

#: A password that passes the policy; tests that care about passwords choose their own.
DEFAULT_PASSWORD = "correct-horse-battery-staple-42"
FACTORY_TIME = dt.datetime(2026, 9, 1, 16, 0, tzinfo=dt.timezone.utc)

_serial = itertools.count(1)


@pytest.fixture
def make_region(app):
    def make(name: str | None = None, code: str = "", scheme: str = "cc-macro") -> Region:
        name = name or f"Region {next(_serial)}"
        result = handle(cmd.CreateRegion(name=name, code=code, scheme=scheme), actor="test", now=FACTORY_TIME)
        return db.session.get(Region, result["id"])

    return make


@pytest.fixture
def make_organization(app, make_region):
    def make(name: str | None = None, org_type: str = "lwib", regions: list[Region | str] | None = None) -> Organization:
        if regions is None:
            regions = [make_region()]
        codes = tuple(r.code if isinstance(r, Region) else r for r in regions)
        org_id = handle(cmd.CreateOrganization(name=name or f"Organization {next(_serial)}", org_type=org_type,
                                               regions=codes), actor="test", now=FACTORY_TIME)
        return db.session.get(Organization, org_id)

    return make


@pytest.fixture
def make_contact(app, make_organization):
    def make(organization: Organization | None = None, email: str | None = None, name: str = "Pat Example",
             title: str = "Director") -> Contact:
        organization = organization or make_organization()
        n = next(_serial)
        contact_id = handle(cmd.CreateContact(organization_id=organization.id, name=name,
                                              email=email or f"person{n}@example.org", title=title),
                            actor="test", now=FACTORY_TIME)
        return db.session.get(Contact, contact_id)

    return make


@pytest.fixture
def make_user(app):
    def make(email: str | None = None, role: str = "staff", password: str = DEFAULT_PASSWORD, name: str = "") -> User:
        email = email or f"user{next(_serial)}@example.org"
        user_id = handle(cmd.CreateUser(email=email, password=password, role=role, name=name),
                         actor="test", now=FACTORY_TIME)
        return db.session.get(User, user_id)

    return make
