"""Who a round's audience is: contacts by region and organization type, plus and minus named people (a read:
the launch and the wizard's preview ask it alike)."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from wfsurvey import settings
from wfsurvey.domain.commands import Audience
from wfsurvey.domain.errors import DomainError
from wfsurvey.models import Contact, Organization, Region, organization_regions

#: Rows fetched at a time when resolving an audience.
FETCH = 5000


@dataclass
class Eligible:
    contact_id: int
    email: str
    name: str
    organization_id: int
    organization_name: str
    org_type: str
    regions: list[str] = field(default_factory=list)
    opted_out: bool = False


@dataclass
class AudiencePreview:
    eligible: list[Eligible]
    #: Contacts in the audience who opted out: never invited.
    opted_out: int


def default_scheme() -> str:
    return settings.region_scheme()


def region_codes(session: Session, names_or_codes: Iterable[str], scheme: str | None = None) -> list[str]:
    """Region codes for codes or names (case-insensitive); unknown ones are an error naming them."""
    wanted = [w.strip() for w in names_or_codes if w and w.strip()]
    if not wanted:
        return []
    scheme = scheme or default_scheme()
    lowered = [w.lower() for w in wanted]
    rows = session.execute(
        select(Region.code, Region.name).where(
            Region.scheme == scheme, or_(func.lower(Region.code).in_(lowered), func.lower(Region.name).in_(lowered))
        )
    ).all()
    by_key = {}
    for code, name in rows:
        by_key[code.lower()] = code
        by_key[name.lower()] = code
    unknown = [w for w in wanted if w.lower() not in by_key]
    if unknown:
        raise DomainError(
            f"unknown region(s): {', '.join(unknown)}", code="invalid",
            fields={"audience": {"regions": [f"unknown region '{u}'" for u in unknown]}},
        )
    return sorted({by_key[w.lower()] for w in wanted})


def _contact_keys(values: Iterable[Any]) -> tuple[set[int], set[str]]:
    ids, emails = set(), set()
    for v in values:
        if isinstance(v, int) or (isinstance(v, str) and v.isdigit()):
            ids.add(int(v))
        elif isinstance(v, str) and v.strip():
            emails.add(v.strip().lower())
    return ids, emails


def _rows(session: Session, condition, region_filter: list[str] | None, scheme: str) -> dict[int, Eligible]:
    query = (
        select(Contact.id, Contact.email, Contact.name, Contact.opted_out_at.is_not(None), Organization.id,
               Organization.name, Organization.org_type, Region.code)
        .join(Organization, Contact.organization_id == Organization.id)
        .outerjoin(organization_regions, organization_regions.c.organization_id == Organization.id)
        .outerjoin(Region, (Region.id == organization_regions.c.region_id) & (Region.scheme == scheme))
        .where(condition)
        .order_by(Contact.id)
    )
    found: dict[int, Eligible] = {}
    # Fetched a few thousand rows at a time: a launch reads 100,000, and row by row is several times slower.
    for rows in session.execute(query).partitions(FETCH):
        for cid, email, name, opted_out, oid, oname, otype, code in rows:
            item = found.get(cid)
            if item is None:
                item = found[cid] = Eligible(cid, email, name, oid, oname, otype, opted_out=opted_out)
            if code and (not region_filter or code in region_filter) and code not in item.regions:
                item.regions.append(code)
    return found


def resolve(session: Session, audience: Audience, scheme: str | None = None) -> AudiencePreview:
    """Who `audience` names now: the people to invite, and how many of it opted out (never invited)."""
    scheme = scheme or default_scheme()
    regions = region_codes(session, audience.regions, scheme)
    types = list(audience.org_types)
    condition = Organization.id.in_(
        select(organization_regions.c.organization_id)
        .join(Region, Region.id == organization_regions.c.region_id)
        .where(Region.code.in_(regions), Region.scheme == scheme)
    ) if regions else Organization.id.is_not(None)
    if types:
        condition = condition & Organization.org_type.in_(types)
    found = _rows(session, condition, regions or None, scheme)

    inc_ids, inc_emails = _contact_keys(audience.include_contacts)
    if inc_ids or inc_emails:
        extra = _rows(session, or_(Contact.id.in_(inc_ids), func.lower(Contact.email).in_(inc_emails)), None, scheme)
        for cid, item in extra.items():
            found.setdefault(cid, item)
    exc_ids, exc_emails = _contact_keys(audience.exclude_contacts)
    eligible, opted_out = [], 0
    for item in found.values():
        if item.contact_id in exc_ids or item.email.lower() in exc_emails:
            continue
        if item.opted_out:
            opted_out += 1
            continue
        item.regions.sort()
        eligible.append(item)
    return AudiencePreview(eligible=eligible, opted_out=opted_out)
