"""Token lookups: the links respondents follow, from a raw token to the invitation it opens (only the token's hash is
stored), and the API tokens staff see listed."""
from __future__ import annotations

from functools import cache
from typing import NamedTuple

from sqlalchemy import Row, Select, bindparam, select
from sqlalchemy.orm import Session, joinedload, scoped_session

from wfsurvey.database import transaction_notes
from wfsurvey.domain.tokens import hash_token, tokens_match
from wfsurvey.models import AccessToken, ApiToken, ConveningInvitation, Invitation, Round
from wfsurvey.prepared import Prepared


class LinkTarget(NamedTuple):
    """What a POST to a link needs before its command runs (and loads the invitation itself)."""

    invitation_id: int
    round_state: str


@cache
def _token_statement() -> Select:
    # Built once and reused, so that a request neither rebuilds it nor recomputes its SQL cache key.
    # With it comes what the respondent's pages show (round and template, organization, person,
    # response): one statement, no lazy load after it.
    return (
        select(Invitation, AccessToken.token_hash, AccessToken.revoked_at)
        .join(AccessToken, AccessToken.invitation_id == Invitation.id)
        .where(AccessToken.token_hash == bindparam("token_hash"))
        .options(joinedload(Invitation.round, innerjoin=True).joinedload(Round.template, innerjoin=True),
                 joinedload(Invitation.organization, innerjoin=True), joinedload(Invitation.contact, innerjoin=True),
                 joinedload(Invitation.response))
    )


@cache
def _target_statement(lock: bool = False) -> Prepared:
    # Columns of the tables, not entities: no objects are made, and the session does not autoflush.
    # Prepared (wfsurvey.prepared): every respondent's POST runs it first.
    tokens, invitations, rounds = AccessToken.__table__, Invitation.__table__, Round.__table__
    statement = (
        select(tokens.c.token_hash, tokens.c.revoked_at, invitations.c.id, rounds.c.state)
        .join(invitations, invitations.c.id == tokens.c.invitation_id)
        .join(rounds, rounds.c.id == invitations.c.round_id)
        .where(tokens.c.token_hash == bindparam("token_hash"))
    )
    # The invitation's row only (PostgreSQL; SQLite has no row locks and renders none).
    return Prepared(statement.with_for_update(of=invitations) if lock else statement)


def _opened(session: Session, statement: Select | Prepared, token: str) -> Row | None:
    """The row `statement` finds for the link's token, or None (unknown and revoked tokens alike)."""
    if not token or len(token) > 200:
        return None
    values = {"token_hash": hash_token(token)}
    row = (statement.execute(session, values) if isinstance(statement, Prepared)
           else session.execute(statement, values)).first()
    # The index finds the row by digest (which an attacker cannot steer byte by byte); the
    # constant-time check repeats the comparison without leaking timing. Revoked tokens fall
    # through exactly like unknown ones.
    if row is None or not tokens_match(token, row.token_hash) or row.revoked_at is not None:
        return None
    return row


def invitation_for_token(session: Session, token: str) -> Invitation | None:
    """The invitation a link opens, with what its pages show, or None: one statement."""
    row = _opened(session, _token_statement(), token)
    return row[0] if row is not None else None


#: Where a session notes the invitation rows its transaction has locked (database.transaction_notes).
LOCKED_KEY = "wfsurvey_locked_invitations"


def link_target(session: Session, token: str, *, lock: bool = False) -> LinkTarget | None:
    """The invitation a link opens, as its id and its round's state, or None: one statement, and no objects.

    With `lock`, the same statement locks the invitation's row until the transaction ends (what a
    command on it does first; see invitation_locked), and the session notes it.
    """
    row = _opened(session, _target_statement(lock), token)
    if row is None:
        return None
    if lock:
        session = session() if isinstance(session, scoped_session) else session
        transaction_notes(session, LOCKED_KEY)[row.id] = True
    return LinkTarget(row.id, row.state)


def invitation_locked(session: Session, invitation_id: int) -> bool:
    """Whether the session's transaction in progress locked the invitation's row already (through link_target)."""
    return session.get_transaction() is not None and invitation_id in transaction_notes(session, LOCKED_KEY)


@cache
def _convening_token_statement() -> Select:
    # As _token_statement, for the links of convenings (/c/): the invitation with its convening, person and organization.
    return (
        select(ConveningInvitation, AccessToken.token_hash, AccessToken.revoked_at)
        .join(AccessToken, AccessToken.convening_invitation_id == ConveningInvitation.id)
        .where(AccessToken.token_hash == bindparam("token_hash"))
        .options(joinedload(ConveningInvitation.convening, innerjoin=True),
                 joinedload(ConveningInvitation.organization, innerjoin=True),
                 joinedload(ConveningInvitation.contact, innerjoin=True))
    )


def convening_invitation_for_token(session: Session, token: str) -> ConveningInvitation | None:
    """The convening invitation a /c/ link opens, or None (unknown and revoked tokens alike): one statement.

    The same rules as a survey link's (_opened): found by the token's digest, compared in constant time.
    """
    row = _opened(session, _convening_token_statement(), token)
    return row[0] if row is not None else None


def api_tokens(session: Session, *, user_id: int | None = None, revoked: bool = False) -> list[ApiToken]:
    """Tokens with their owners loaded, newest first: the live ones, or (revoked=True) the revoked ones."""
    query = select(ApiToken).options(joinedload(ApiToken.user)).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    query = query.where(ApiToken.revoked_at.is_not(None) if revoked else ApiToken.revoked_at.is_(None))
    if user_id is not None:
        query = query.where(ApiToken.user_id == user_id)
    return list(session.scalars(query))
