"""Who did something, in words: the event log's actor strings ("user:3", "token:115", "system:reminders") as staff
read them ("Jane Doe (staff)", "Grace Ramirez's link (Fresno City College)", "Scheduler: reminders").

Batched: one statement per kind of actor named (users, respondents' links, API tokens), whatever the number of actors.
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from wfsurvey.models import ApiToken, Contact, ConveningInvitation, Invitation, Organization, User
from wfsurvey.queries.job_runs import JOB_WORDS

#: Actors that are not a row of any table, as people read them.
NAMED_ACTORS = {
    "cli": "Command line",
    "demo": "Demo data loader",
}


def possessive(name: str) -> str:
    """"Grace Ramirez" -> "Grace Ramirez's" (US style: "James's" too)."""
    return f"{name}'" if name.endswith("'") else f"{name}'s"


def user_words(name: str, email: str, role: str) -> str:
    """"Jane Doe (staff)"; the email address stands in for a user without a name."""
    return f"{name or email} ({role})"


def _ids(actors: Iterable[str], kind: str) -> dict[str, int]:
    found = {}
    for actor in actors:
        prefix, _, number = actor.partition(":")
        if prefix == kind and number.isdigit():
            found[actor] = int(number)
    return found


def describe_actors(session: Session, actors: Iterable[str]) -> dict[str, str]:
    """Each actor string in words; one that names a row no longer there is still said in words, never as an id."""
    actors = set(actors)
    words: dict[str, str] = {}

    users = _ids(actors, "user")
    if users:
        rows = {row.id: row for row in session.execute(
            select(User.id, User.name, User.email, User.role).where(User.id.in_(set(users.values()))))}
        for actor, user_id in users.items():
            row = rows.get(user_id)
            words[actor] = user_words(row.name, row.email, row.role) if row else "A user no longer on record"

    links = _ids(actors, "token")
    if links:
        rows = {row.id: row for row in session.execute(
            select(Invitation.id, Contact.name, Organization.name.label("organization"))
            .join(Contact, Contact.id == Invitation.contact_id)
            .join(Organization, Organization.id == Invitation.organization_id)
            .where(Invitation.id.in_(set(links.values()))))}
        for actor, invitation_id in links.items():
            row = rows.get(invitation_id)
            words[actor] = f"{possessive(row.name)} link ({row.organization})" if row else "A respondent's link"

    rsvp_links = _ids(actors, "rsvp")
    if rsvp_links:
        rows = {row.id: row for row in session.execute(
            select(ConveningInvitation.id, Contact.name, Organization.name.label("organization"))
            .join(Contact, Contact.id == ConveningInvitation.contact_id)
            .join(Organization, Organization.id == ConveningInvitation.organization_id)
            .where(ConveningInvitation.id.in_(set(rsvp_links.values()))))}
        for actor, invitation_id in rsvp_links.items():
            row = rows.get(invitation_id)
            words[actor] = f"{possessive(row.name)} convening link ({row.organization})" if row else "An invitee's link"

    tokens = _ids(actors, "api")
    if tokens:
        rows = {row.id: row for row in session.execute(
            select(ApiToken.id, ApiToken.name, User.name.label("user_name"), User.email)
            .join(User, User.id == ApiToken.user_id)
            .where(ApiToken.id.in_(set(tokens.values()))))}
        for actor, token_id in tokens.items():
            row = rows.get(token_id)
            words[actor] = (f"API token “{row.name}” of {row.user_name or row.email}" if row
                            else "An API token no longer on record")

    for actor in actors - words.keys():
        prefix, _, rest = actor.partition(":")
        if prefix == "system":
            job = JOB_WORDS.get(rest)
            words[actor] = f"Scheduler: {job.title.lower() if job else rest}"
        else:
            words[actor] = NAMED_ACTORS.get(actor, actor)
    return words
