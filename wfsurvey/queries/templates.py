"""Survey templates as lists: one entry per slug with its versions, and every version of one slug."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from wfsurvey.models import Round, Template
from wfsurvey.queries import NotFound, Page, iso


def template_list(session: Session, *, page: int = 1, per_page: int = 50) -> Page:
    """Slugs in order, each with its latest version's title and the number of versions: three statements."""
    page, per_page = max(1, page), min(max(1, per_page), 200)
    grouped = select(Template.slug, func.max(Template.version).label("latest"), func.count().label("versions")).group_by(Template.slug)
    total = session.scalar(select(func.count()).select_from(grouped.subquery())) or 0
    slugs = session.execute(grouped.order_by(Template.slug).limit(per_page).offset((page - 1) * per_page)).all()
    latest = {
        t.slug: t for t in session.scalars(select(Template).where(tuple_(Template.slug, Template.version).in_([(s, v) for s, v, _ in slugs])))
    } if slugs else {}
    items = [
        {"slug": slug, "title": latest[slug].title, "latest_version": version, "versions": count,
         "created_at": iso(latest[slug].created_at)}
        for slug, version, count in slugs
    ]
    return Page(items, page, per_page, total)


def template_versions(session: Session, slug: str) -> dict[str, Any]:
    """Every version of a slug, newest first, with its questions and how many rounds use it."""
    rows = session.execute(
        select(Template, func.count(Round.id))
        .outerjoin(Round, Round.template_id == Template.id)
        .where(Template.slug == slug)
        .group_by(Template.id)
        .order_by(Template.version.desc())
    ).all()
    if not rows:
        raise NotFound(f"no template '{slug}'")
    return {
        "slug": slug,
        "versions": [
            {"id": t.id, "version": t.version, "title": t.title, "description": t.description, "questions": t.questions,
             "created_at": iso(t.created_at), "created_by": t.created_by, "rounds": used, "in_use": used > 0}
            for t, used in rows
        ],
    }


def find_template(session: Session, slug: str, version: int | None = None) -> Template | None:
    """One version of a template, or its latest when `version` is None; None when there is no such template."""
    query = select(Template).where(Template.slug == slug)
    query = query.where(Template.version == version) if version else query.order_by(Template.version.desc())
    return session.scalars(query.limit(1)).first()
