"""Who caused an event, in words: the event log names actors as "user:3" or "token:115", people read "Jane Doe (staff)"
or "Grace Ramirez's link (Fresno City College)". Two statements for any number of actors."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from wfsurvey.models import ApiToken, Contact, Invitation, Organization, User

#: Actors that name no row, as people read them.
FIXED = {"cli": "the command line", "demo": "the demo data", "api": "the API"}


def _number(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def describe(session: Session, actors: Iterable[str]) -> dict[str, str]:
    """Each actor string in words; one this does not know is kept as it is."""
    kinds: dict[str, set[int]] = {"user": set(), "token": set(), "api": set()}
    wanted = set(actors)
    for actor in wanted:
        kind, _, rest = actor.partition(":")
        if kind in kinds and _number(rest) is not None:
            kinds[kind].add(int(rest))
    users: dict[int, str] = {}
    api: dict[int, str] = {}
    if kinds["user"] or kinds["api"]:
        rows = session.execute(
            select(User.id, User.name, User.email, User.role, ApiToken.id, ApiToken.name)
            .outerjoin(ApiToken, ApiToken.user_id == User.id)
            .where(User.id.in_(sorted(kinds["user"])) | ApiToken.id.in_(sorted(kinds["api"])))
        )
        for user_id, name, email, role, token_id, token_name in rows:
            person = f"{name or email} ({role})"
            users[user_id] = person
            if token_id in kinds["api"]:
                api[token_id] = f"API token “{token_name}” of {person}"
    links: dict[int, str] = {}
    if kinds["token"]:
        rows = session.execute(
            select(Invitation.id, Contact.name, Organization.name)
            .join(Contact, Contact.id == Invitation.contact_id)
            .join(Organization, Organization.id == Invitation.organization_id)
            .where(Invitation.id.in_(sorted(kinds["token"])))
        )
        links = {invitation_id: f"{person}'s link ({organization})" for invitation_id, person, organization in rows}
    out: dict[str, str] = {}
    for actor in wanted:
        kind, _, rest = actor.partition(":")
        number = _number(rest)
        found = {"user": users, "token": links, "api": api}.get(kind, {}).get(number) if number is not None else None
        if found is None and kind == "system":
            found = f"the scheduler ({rest} job)" if rest else "the scheduler"
        out[actor] = found or FIXED.get(actor, actor)
    return out
