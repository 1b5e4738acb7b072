"""Regions, organizations and contacts created one by one: the commands, the checks of their fields, and
finding regions by code or name."""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from email_validator import EmailNotValidError
from sqlalchemy import select
from sqlalchemy.orm import Session

from wfsurvey import settings
from wfsurvey.domain import commands as cmd
from wfsurvey.domain import events as ev
from wfsurvey.domain.errors import DomainError
from wfsurvey.domain.stakeholders import ORG_TYPES, clean_text, normalize_email, slugify
from wfsurvey.models.stakeholders import Contact, Organization, Region
from wfsurvey.services.unit_of_work import AbstractUnitOfWork

#: Column widths of the tables, checked up front so that a long value is a field error (or an import's row
#: error), not a database error.
MAX_LENGTHS = {"organization": 300, "name": 200, "email": 320, "title": 200}
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


# --- finding regions and organizations -----------------------------------------------------------

def org_key(name: str) -> str:
    """Organizations are matched by name regardless of case and spacing."""
    return clean_text(name).casefold()


class RegionIndex:
    """The regions of one scheme, found by code, name or slug of the name, case-insensitively."""

    def __init__(self, regions: Iterable[Region]):
        self.by_id: dict[int, Region] = {}
        self._lookup: dict[str, Region] = {}
        for region in regions:
            self.by_id[region.id] = region
            self._lookup[region.code.lower()] = region
            self._lookup[region.name.casefold()] = region
            self._lookup.setdefault(slugify(region.name), region)

    @classmethod
    def load(cls, session: Session, scheme: str) -> RegionIndex:
        return cls(session.scalars(select(Region).where(Region.scheme == scheme)))

    def find(self, text: str) -> Region | None:
        text = clean_text(text)
        return self._lookup.get(text.casefold()) or self._lookup.get(slugify(text))

    def codes(self) -> list[str]:
        return sorted(r.code for r in self.by_id.values())


def resolve_regions(session: Session, values: Iterable[str], scheme: str) -> list[Region]:
    """Regions by code or name within `scheme`; DomainError naming the unknown ones."""
    index = RegionIndex.load(session, scheme)
    found, unknown = [], []
    for value in values:
        region = index.find(value)
        (found.append(region) if region else unknown.append(value))
    if unknown:
        raise DomainError(
            f"unknown region(s) in scheme {scheme}: {', '.join(unknown)}",
            code="invalid", fields={"regions": [f"unknown region {v!r}" for v in unknown]},
        )
    return sorted(set(found), key=lambda r: r.code)


def default_scheme() -> str:
    return settings.region_scheme()


# --- regions ------------------------------------------------------------------------------------

def create_region(command: cmd.CreateRegion, uow: AbstractUnitOfWork) -> dict[str, Any]:
    """Create one region; the same code and name again is a no-op (idempotent), a clash is a conflict."""
    scheme = command.scheme or default_scheme()
    name = clean_text(command.name)
    code = (command.code or "").strip().lower() or slugify(name)
    problems = region_problems(code, name)
    if problems:
        raise DomainError("invalid region: " + "; ".join(f"{k}: {v}" for k, v in problems.items()),
                          code="invalid", fields={k: [v] for k, v in problems.items()})
    session = uow.session
    existing = session.scalars(select(Region).where(Region.scheme == scheme, Region.code == code)).first()
    if existing is not None:
        if existing.name != name:
            raise DomainError(f"region {scheme}:{code} already exists with the name {existing.name!r}",
                              code="conflict", fields={"code": [f"already used by {existing.name!r}"]})
        return {"id": existing.id, "code": code, "name": name, "scheme": scheme, "created": False}
    clash = session.scalars(select(Region).where(Region.scheme == scheme, Region.name == name)).first()
    if clash is not None:
        raise DomainError(f"the name {name!r} is already used by region {scheme}:{clash.code}",
                          code="conflict", fields={"name": [f"already used by region {clash.code}"]})
    region = Region(scheme=scheme, code=code, name=name, created_at=uow.now)
    session.add(region)
    session.flush()
    uow.record(ev.RegionCreated(region_id=region.id, scheme=scheme, code=code, name=name))
    return {"id": region.id, "code": code, "name": name, "scheme": scheme, "created": True}


def region_problems(code: str, name: str) -> dict[str, str]:
    """What is wrong with a region's code and name, by field (empty when nothing is); imports check rows with it too."""
    problems = {}
    if not name:
        problems["name"] = "a region needs a name"
    elif len(name) > 200:
        problems["name"] = "at most 200 characters"
    if not code:
        problems["code"] = "a region needs a code (letters or digits)"
    elif not SLUG_RE.match(code) or len(code) > 80:
        problems["code"] = f"{code!r} is not a slug: lower-case letters, digits and single hyphens, at most 80"
    return problems


# --- organizations and contacts, one at a time ---------------------------------------------------

def invalid(problems: dict[str, str], what: str, code: str = "invalid") -> DomainError:
    """One DomainError naming every field's problem (forms and the API show each beside its field)."""
    return DomainError(f"invalid {what}: " + "; ".join(f"{k}: {v}" for k, v in problems.items()),
                       code=code, fields={k: [v] for k, v in problems.items()})


def checked_organization_fields(session: Session, name: str, org_type: str, exclude_id: int | None = None) -> str:
    """The cleaned name of an organization to create or rename (`exclude_id`); raises what is wrong with it."""
    name = clean_text(name)
    problems = {}
    if not name:
        problems["name"] = "an organization needs a name"
    elif len(name) > MAX_LENGTHS["organization"]:
        problems["name"] = f"at most {MAX_LENGTHS['organization']} characters"
    if org_type not in ORG_TYPES:
        problems["org_type"] = f"must be one of {', '.join(ORG_TYPES)}"
    if problems:
        raise invalid(problems, "organization")
    key = org_key(name)
    for other_id, other_name in session.execute(select(Organization.id, Organization.name)):
        if other_id != exclude_id and org_key(other_name) == key:
            raise DomainError(f"an organization named {other_name!r} already exists", code="conflict",
                              fields={"name": [f"already used by organization {other_id}"]})
    return name


def checked_contact_fields(session: Session, name: str, email: str, title: str,
                           exclude_id: int | None = None) -> tuple[str, str, str, dict[str, str]]:
    """Cleaned name, email and title of a contact to create or change (`exclude_id`), and what is wrong with them."""
    problems = {}
    name, title = clean_text(name), clean_text(title)
    if not name:
        problems["name"] = "a contact needs a name"
    elif len(name) > MAX_LENGTHS["name"]:
        problems["name"] = f"at most {MAX_LENGTHS['name']} characters"
    if len(title) > MAX_LENGTHS["title"]:
        problems["title"] = f"at most {MAX_LENGTHS['title']} characters"
    try:
        email = normalize_email(email)
    except EmailNotValidError as exc:
        problems["email"] = str(exc)
        email = ""
    if email and session.scalars(
        select(Contact.id).where(Contact.email == email, Contact.id != (exclude_id or 0))
    ).first() is not None:
        problems["email"] = f"{email} is already a contact"
    return name, email, title, problems


def create_organization(command: cmd.CreateOrganization, uow: AbstractUnitOfWork) -> int:
    session = uow.session
    name = checked_organization_fields(session, command.name, command.org_type)
    regions = resolve_regions(session, command.regions, command.scheme or default_scheme())
    org = Organization(name=name, org_type=command.org_type, created_at=uow.now, regions=regions)
    session.add(org)
    session.flush()
    uow.record(ev.OrganizationCreated(organization_id=org.id, name=name, org_type=org.org_type,
                                      regions=[r.code for r in regions]))
    return org.id


def create_contact(command: cmd.CreateContact, uow: AbstractUnitOfWork) -> int:
    session = uow.session
    name, email, title, problems = checked_contact_fields(session, command.name, command.email, command.title)
    org = session.get(Organization, command.organization_id)
    if org is None:
        problems["organization_id"] = f"no organization {command.organization_id}"
    if problems:
        raise invalid(problems, "contact", code="conflict" if set(problems) == {"email"} and email else "invalid")
    contact = Contact(organization_id=org.id, name=name, email=email, title=title,
                      created_at=uow.now, updated_at=uow.now)
    session.add(contact)
    session.flush()
    uow.record(ev.ContactCreated(contact_id=contact.id, organization_id=org.id, name=name, email=email, title=title))
    return contact.id

