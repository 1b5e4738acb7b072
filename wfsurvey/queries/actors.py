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


def invitees(session: Session, model, ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """{invitation id: (person's name, organization's name)} of invitations (`model`: Invitation or
    ConveningInvitation), in one statement: who a link or an invitation was for."""
    return {row.id: (row.name, row.organization) for row in session.execute(
        select(model.id, Contact.name, Organization.name.label("organization"))
        .join(Contact, Contact.id == model.contact_id)
        .join(Organization, Organization.id == model.organization_id)
        .where(model.id.in_(set(ids))))}


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

    for kind, model, said, missing in (("token", Invitation, "link", "A respondent's link"),
                                       ("rsvp", ConveningInvitation, "convening link", "An invitee's link")):
        links = _ids(actors, kind)
        found = invitees(session, model, set(links.values())) if links else {}
        for actor, invitation_id in links.items():
            row = found.get(invitation_id)
            words[actor] = f"{possessive(row[0])} {said} ({row[1]})" if row else missing

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
