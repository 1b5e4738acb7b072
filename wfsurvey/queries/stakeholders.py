"""Lists of regions, organizations and contacts with search and filters, one page at a time."""
from __future__ import annotations

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from wfsurvey.models import Contact, Organization, Region, organization_regions
from wfsurvey.queries import Page, paginate


def _like(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, its own % and _ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.casefold()}%"


def regions(session: Session, *, scheme: str | None = None, q: str | None = None, page: int = 1, per_page: int = 50) -> Page:
    query = select(Region)
    if scheme:
        query = query.where(Region.scheme == scheme)
    if q:
        query = query.where(or_(func.lower(Region.name).like(_like(q), escape="\\"), Region.code.like(_like(q), escape="\\")))
    return paginate(session, query.order_by(Region.scheme, Region.name, Region.id), page, per_page)


def _in_region(region: str):
    """Organizations in the region with this code (in any scheme)."""
    return exists().where(
        organization_regions.c.organization_id == Organization.id,
        organization_regions.c.region_id == Region.id,
        Region.code == region,
    )


def organizations(session: Session, *, org_type: str | None = None, region: str | None = None, q: str | None = None,
                  page: int = 1, per_page: int = 50) -> Page:
    query = select(Organization).options(selectinload(Organization.regions))
    if org_type:
        query = query.where(Organization.org_type == org_type)
    if region:
        query = query.where(_in_region(region))
    if q:
        query = query.where(func.lower(Organization.name).like(_like(q), escape="\\"))
    return paginate(session, query.order_by(Organization.name, Organization.id), page, per_page)


def contacts(session: Session, *, organization_id: int | None = None, org_type: str | None = None, region: str | None = None,
             q: str | None = None, opted_out: bool | None = None, page: int = 1, per_page: int = 50) -> Page:
    query = (
        select(Contact).join(Organization, Organization.id == Contact.organization_id)
        .options(selectinload(Contact.organization).selectinload(Organization.regions))
    )
    if organization_id is not None:
        query = query.where(Contact.organization_id == organization_id)
    if org_type:
        query = query.where(Organization.org_type == org_type)
    if region:
        query = query.where(_in_region(region))
    if q:
        pattern = _like(q)
        query = query.where(or_(func.lower(Contact.name).like(pattern, escape="\\"), Contact.email.like(pattern, escape="\\"),
                                func.lower(Organization.name).like(pattern, escape="\\")))
    if opted_out is not None:
        query = query.where(Contact.opted_out_at.is_not(None) if opted_out else Contact.opted_out_at.is_(None))
    return paginate(session, query.order_by(Contact.name, Contact.id), page, per_page)
