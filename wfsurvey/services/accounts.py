"""Account administration and sign-in bookkeeping: disable or enable a user, change a role, end sessions.

Creating users and checking passwords live in wfsurvey.services.users; this module adds what the
admin pages and sign-in need. Every change that matters to an audit is a UserUpdated event.
"""
from __future__ import annotations

import secrets

from sqlalchemy import func, select

from wfsurvey.domain import commands as cmd
from wfsurvey.domain import events as ev
from wfsurvey.domain.errors import DomainError
from wfsurvey.models.users import ROLES, User
from wfsurvey.services.unit_of_work import AbstractUnitOfWork
from wfsurvey.services.users import hash_password, needs_rehash


def _user(uow: AbstractUnitOfWork, user_id: int) -> User:
    user = uow.session.get(User, user_id, with_for_update=True)
    if user is None:
        raise DomainError(f"no user {user_id}", code="not_found")
    return user


def _other_active_admins(uow: AbstractUnitOfWork, user: User) -> int:
    return uow.session.scalar(
        select(func.count()).select_from(User).where(User.role == "admin", User.active.is_(True), User.id != user.id)
    ) or 0


def _refuse_losing_last_admin(uow: AbstractUnitOfWork, user: User, what: str) -> None:
    # Without an active admin nobody could manage users or resolve designations from the browser.
    if user.role == "admin" and user.active and _other_active_admins(uow, user) == 0:
        raise DomainError(f"{user.email} is the only active admin and cannot be {what}; make another admin first",
                          code="conflict", fields={"user": ["the only active admin"]})


def set_user_active(command: cmd.SetUserActive, uow: AbstractUnitOfWork) -> User:
    user = _user(uow, command.user_id)
    if user.active == command.active:
        return user
    if not command.active:
        _refuse_losing_last_admin(uow, user, "disabled")
        # Sessions end now rather than coming back to life if the account is enabled again.
        user.session_nonce = secrets.token_hex(16)
    user.active = command.active
    uow.record(ev.UserUpdated(user_id=user.id, changes={"active": {"from": not command.active, "to": command.active}}))
    return user


def set_user_role(command: cmd.SetUserRole, uow: AbstractUnitOfWork) -> User:
    if command.role not in ROLES:
        raise DomainError(f"unknown role {command.role!r}: use one of {', '.join(ROLES)}", code="invalid",
                          fields={"role": [f"one of {', '.join(ROLES)}"]})
    user = _user(uow, command.user_id)
    if user.role == command.role:
        return user
    if command.role != "admin":
        _refuse_losing_last_admin(uow, user, "made staff")
    before, user.role = user.role, command.role
    uow.record(ev.UserUpdated(user_id=user.id, changes={"role": {"from": before, "to": command.role}}))
    return user


def end_user_sessions(command: cmd.EndUserSessions, uow: AbstractUnitOfWork) -> None:
    # No event: a sign-out changes nothing anyone reads from the log.
    user = _user(uow, command.user_id)
    user.session_nonce = secrets.token_hex(16)


def record_login(command: cmd.RecordLogin, uow: AbstractUnitOfWork) -> User:
    user = _user(uow, command.user_id)
    user.last_login_at = uow.now
    # The only moment the password is at hand: upgrade a hash of older (weaker) parameters. No event:
    # the password did not change, and the log never says anything about it but that.
    if command.password is not None and needs_rehash(user.password_hash):
        user.password_hash = hash_password(command.password)
    return user
