"""Issuing invitations and the messages that carry their links: a fresh token per message, only its hash kept."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from wfsurvey import settings
from wfsurvey.bulk import insert_rows
from wfsurvey.domain import events as ev
from wfsurvey.domain.rules import format_local
from wfsurvey.domain.tokens import hash_token, new_token
from wfsurvey.models import AccessToken, Contact, Invitation, Organization, OutboxMessage, Round
from wfsurvey.queries.audience import Eligible
from wfsurvey.services.unit_of_work import AbstractUnitOfWork

CHUNK = 5000


@dataclass
class Recipient:
    invitation_id: int
    email: str
    name: str
    organization_name: str


def link_base() -> str:
    """What every link starts with (read once per batch of messages)."""
    return settings.current()["BASE_URL"].rstrip("/")


def links(base: str, token: str) -> tuple[str, str]:
    return f"{base}/r/{token}", f"{base}/r/{token}/opt-out"


def issue_rows(uow: AbstractUnitOfWork, model, scope, scope_id: int, people: Sequence[Eligible], *,
               values: dict[str, Any], event: Callable[[int, Eligible], ev.Event]) -> list[tuple[int, Eligible]]:
    """Insert one pending invitation (a row of `model`: Invitation, ConveningInvitation) per person not yet invited
    where `scope` (its round or convening column) is `scope_id`, with `values` for its other columns; record
    `event(invitation id, person)` for each. Returns (invitation id, person) in the people's order."""
    session = uow.session
    already = set(session.scalars(select(model.contact_id).where(scope == scope_id)))
    people = [p for p in people if p.contact_id not in already]
    issued: list[tuple[int, Eligible]] = []
    for start in range(0, len(people), CHUNK):
        chunk = people[start:start + CHUNK]
        # One bulk insert, then the new ids by (scope, contact), which is unique: RETURNING in
        # parameter order makes SQLite insert row by row, several times slower for a big launch.
        insert_rows(session, model.__table__, [
            {scope.key: scope_id, "contact_id": p.contact_id, "organization_id": p.organization_id,
             "status": "pending", "issued_at": uow.now, **values}
            for p in chunk
        ])
        by_contact = dict(session.execute(
            select(model.contact_id, model.id)
            .where(scope == scope_id, model.contact_id.in_([p.contact_id for p in chunk]))
        ).all())
        for p in chunk:
            invitation_id = by_contact[p.contact_id]
            uow.record(event(invitation_id, p))
            issued.append((invitation_id, p))
    return issued


def issue(uow: AbstractUnitOfWork, round_: Round, people: Sequence[Eligible], *,
          forwarded_from: int | None = None) -> list[Recipient]:
    """Create one pending invitation per person not yet invited to the round; record InvitationIssued."""
    issued = issue_rows(
        uow, Invitation, Invitation.round_id, round_.id, people,
        values={"forwarded_from_id": forwarded_from, "reminders_sent": 0},
        event=lambda invitation_id, p: ev.InvitationIssued(
            invitation_id=invitation_id, round_id=round_.id, contact_id=p.contact_id,
            organization_id=p.organization_id, org_type=p.org_type, regions=list(p.regions),
            forwarded_from=forwarded_from,
        ))
    return [Recipient(invitation_id, p.email, p.name, p.organization_name) for invitation_id, p in issued]


def message_link(uow: AbstractUnitOfWork, tokens: list[dict], *, kind: str, base: str, make_links, reply_to: str,
                 with_link: bool = True, **owner) -> tuple[str, str, dict[str, str]]:
    """(link, opt-out link, headers) of one message. With `with_link`, a new token: its hash is added to `tokens`
    (AccessToken rows, `owner` naming the invitation), the links are `make_links(base, token)` and the headers offer
    the opt-out; the raw token lives only in what this returns."""
    from wfsurvey.mail.outbox import unsubscribe_headers

    headers = {"Reply-To": reply_to} if reply_to else {}
    if not with_link:
        return "", "", headers
    token = new_token()
    tokens.append({**owner, "token_hash": hash_token(token), "purpose": kind, "created_at": uow.now})
    link, opt_out = make_links(base, token)
    headers.update(unsubscribe_headers(opt_out))
    return link, opt_out, headers


def pending_recipients(session: Session, round_id: int) -> list[Recipient]:
    """Invitations of a round whose invitation message has not been queued yet (or was held back: cancelled)."""
    queued = select(OutboxMessage.invitation_id).where(OutboxMessage.round_id == round_id, OutboxMessage.kind == "invitation",
                                                       OutboxMessage.status != "cancelled")
    rows = session.execute(
        select(Invitation.id, Contact.email, Contact.name, Organization.name)
        .join(Contact, Contact.id == Invitation.contact_id)
        .join(Organization, Organization.id == Invitation.organization_id)
        .where(Invitation.round_id == round_id, Invitation.status == "pending", Invitation.id.not_in(queued))
        .order_by(Invitation.id)
    ).all()
    return [Recipient(*row) for row in rows]


def recipients_for(session: Session, invitation_ids: Sequence[int]) -> list[Recipient]:
    rows = session.execute(
        select(Invitation.id, Contact.email, Contact.name, Organization.name)
        .join(Contact, Contact.id == Invitation.contact_id)
        .join(Organization, Organization.id == Invitation.organization_id)
        .where(Invitation.id.in_(list(invitation_ids)))
        .order_by(Invitation.id)
    ).all()
    return [Recipient(*row) for row in rows]


def queue_messages(
    uow: AbstractUnitOfWork,
    round_: Round,
    recipients: Sequence[Recipient],
    *,
    kind: str,
    dedupe: str,
    extra: dict | None = None,
    with_link: bool = True,
) -> list[int]:
    """Queue one message per recipient, each with its own new link; `dedupe` is formatted with invitation_id.

    A message whose dedupe key is already in the outbox is skipped before a token is made for it.
    Returns the invitation ids whose message was queued, in the recipients' order.
    """
    from wfsurvey.mail.outbox import enqueue_many
    from wfsurvey.mail.render import BatchRenderer, sender_name

    session = uow.session
    # The header and the copy that invites replies come from the same setting, read once for the batch.
    reply_to = settings.current().get("MAIL_REPLY_TO") or ""
    keys = {r.invitation_id: dedupe.format(invitation_id=r.invitation_id) for r in recipients}
    existing: set[str] = set()
    key_list = list(keys.values())
    for start in range(0, len(key_list), CHUNK):
        existing.update(session.scalars(select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.in_(key_list[start:start + CHUNK]))))
    common = {
        "round_title": round_.title,
        "template_title": round_.template.title,
        "closes_local": format_local(round_.closes_at, round_.timezone),
        "opens_local": format_local(round_.opens_at, round_.timezone),
        "sender_name": sender_name(settings.current()["MAIL_FROM"]),
        "reply_to": reply_to,
        **(extra or {}),
    }
    # Jinja runs once for the whole batch; and messages are made as enqueue_many inserts them, a
    # chunk at a time, so that a launch of 100,000 never holds every rendered message at once.
    renderer = BatchRenderer(kind, **common)
    base = link_base()
    tokens: list[dict] = []
    made: list[int] = []

    def messages():
        for r in recipients:
            key = keys[r.invitation_id]
            if key in existing:
                continue
            link, opt_out, headers = message_link(uow, tokens, kind=kind, base=base, make_links=links, reply_to=reply_to,
                                                  with_link=with_link, invitation_id=r.invitation_id)
            if len(tokens) >= CHUNK:
                insert_rows(session, AccessToken.__table__, tokens)
                tokens.clear()
            made.append(r.invitation_id)
            yield {
                "dedupe_key": key, "kind": kind, "to_addr": r.email,
                "rendered": renderer.render(contact_name=r.name, organization_name=r.organization_name, link=link,
                                            opt_out_link=opt_out),
                "headers": headers, "invitation_id": r.invitation_id, "round_id": round_.id,
            }

    enqueue_many(session, messages(), now=uow.now)
    insert_rows(session, AccessToken.__table__, tokens)
    return made
