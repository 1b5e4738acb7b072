"""Staff and admin accounts: creating them with a password policy, checking passwords, and issuing and revoking
API tokens (listing them is wfsurvey.queries.tokens)."""
from __future__ import annotations

import functools
import re
import secrets

from email_validator import EmailNotValidError
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from wfsurvey import settings
from wfsurvey.domain import commands as cmd
from wfsurvey.domain import events as ev
from wfsurvey.domain.errors import DomainError
from wfsurvey.domain.stakeholders import clean_text, normalize_email
from wfsurvey.domain.tokens import hash_token, new_token
from wfsurvey.models.users import ROLES, ApiToken, User
from wfsurvey.paths import DATA_DIR
from wfsurvey.services.unit_of_work import AbstractUnitOfWork

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 200
#: werkzeug's scrypt at N=2^17, r=8, p=1 (OWASP ASVS): memory-hard, 128 MiB and a few tenths of a second a
#: hash. PASSWORD_HASH_METHOD overrides it; hashes made otherwise are redone at the next sign-in.
PASSWORD_METHOD = "scrypt:131072:8:1"
COMMON_PASSWORDS_FILE = DATA_DIR / "common-passwords.txt"


class WeakPassword(DomainError):
    code = "invalid"

    def __init__(self, message: str):
        super().__init__(message, fields={"password": [message]})


@functools.cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def password_problem(password: str, email: str = "") -> str | None:
    """Why a password is refused, or None. Length first, then guessability."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"the password must be at least {MIN_PASSWORD_LENGTH} characters long (it has {len(password)})"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"the password must be at most {MAX_PASSWORD_LENGTH} characters long"
    lowered = password.lower()
    email = email.strip().lower()
    local = email.split("@", 1)[0]
    if email and (lowered == email or lowered == local or (len(local) >= 4 and local in lowered and len(lowered) - len(local) < 6)):
        return "the password must not be (or merely extend) the email address"
    common = common_passwords()
    # "password2024!" is as guessable as "password": strip what people add at the end.
    stem = re.sub(r"[\d\W_]+$", "", lowered)
    if lowered in common or (stem in common and len(stem) >= 4) or (stem and stem == stem[0] * len(stem)):
        return "this password is one of the most common passwords; choose a longer, less predictable one"
    if len(set(lowered)) < 4:
        return "the password repeats too few characters; choose a less predictable one"
    return None


def password_method() -> str:
    """The KDF and parameters new hashes use, as werkzeug names them (e.g. "scrypt:131072:8:1")."""
    return settings.current().get("PASSWORD_HASH_METHOD") or PASSWORD_METHOD


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=password_method())


def needs_rehash(password_hash: str) -> bool:
    """Whether a stored hash was made with other parameters than new hashes get (older, weaker ones)."""
    return password_hash.split("$", 1)[0] != password_method()


def verify_password(user: User, password: str) -> bool:
    return bool(user.password_hash) and check_password_hash(user.password_hash, password)


@functools.cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash(secrets.token_hex(16), method=method)


def login_name(email: str) -> str:
    """The account an email typed at sign-in names: normalized as stored, or lower-cased when it is no address."""
    try:
        return normalize_email(email)
    except EmailNotValidError:
        return email.strip().lower()[:320]


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, or None; as slow for an unknown email as for a known one."""
    email = login_name(email)
    user = session.scalars(select(User).where(User.email == email)).first()
    if user is None:
        check_password_hash(_dummy_hash(password_method()), password)  # same time either way: no user enumeration by timing
        return None
    if not verify_password(user, password) or not user.active:
        return None
    return user


def _check_email(value: str) -> str:
    try:
        return normalize_email(value)
    except EmailNotValidError as exc:
        raise DomainError(f"invalid email address: {exc}", code="invalid", fields={"email": [str(exc)]}) from None


def _user_by_email(session: Session, email: str) -> User:
    user = session.scalars(select(User).where(User.email == email)).first()
    if user is None:
        raise DomainError(f"no user {email}", code="not_found", fields={"email": ["no such user"]})
    return user


def create_user(command: cmd.CreateUser, uow: AbstractUnitOfWork) -> int:
    email = _check_email(command.email)
    if command.role not in ROLES:
        raise DomainError(f"unknown role {command.role!r}: use one of {', '.join(ROLES)}", code="invalid",
                          fields={"role": [f"one of {', '.join(ROLES)}"]})
    problem = password_problem(command.password, email)
    if problem:
        raise WeakPassword(problem)
    session = uow.session
    if session.scalars(select(User.id).where(User.email == email)).first() is not None:
        raise DomainError(f"a user {email} already exists", code="conflict", fields={"email": ["already a user"]})
    user = User(
        email=email, name=clean_text(command.name)[:200], password_hash=hash_password(command.password),
        role=command.role, active=True, session_nonce=secrets.token_hex(16), created_at=uow.now,
    )
    session.add(user)
    session.flush()
    uow.record(ev.UserCreated(user_id=user.id, email=email, role=user.role))
    return user.id


def set_password(command: cmd.SetPassword, uow: AbstractUnitOfWork) -> int:
    email = _check_email(command.email)
    user = _user_by_email(uow.session, email)
    problem = password_problem(command.password, email)
    if problem:
        raise WeakPassword(problem)
    user.password_hash = hash_password(command.password)
    user.session_nonce = secrets.token_hex(16)  # every existing session of the user ends
    # The audit trail says that it changed, never anything about the password itself.
    uow.record(ev.UserUpdated(user_id=user.id, changes={"password": "changed", "sessions": "ended"}))
    return user.id


def create_api_token(command: cmd.CreateApiToken, uow: AbstractUnitOfWork) -> str:
    name = clean_text(command.name)
    if not name:
        raise DomainError("a token needs a name saying what it is for", code="invalid", fields={"name": ["required"]})
    user = _user_by_email(uow.session, _check_email(command.user_email))
    if not user.active:
        raise DomainError(f"{user.email} is disabled", code="conflict", fields={"user_email": ["user is disabled"]})
    token = new_token()
    record = ApiToken(user_id=user.id, name=name[:200], token_hash=hash_token(token), created_at=uow.now)
    uow.session.add(record)
    uow.session.flush()
    uow.record(ev.ApiTokenCreated(user_id=user.id, token_id=record.id, name=record.name))
    return token


def revoke_api_token(command: cmd.RevokeApiToken, uow: AbstractUnitOfWork) -> ApiToken:
    """Revoke a token; the API refuses it from the next request on. Revoking a revoked token changes nothing."""
    token = uow.session.get(ApiToken, command.token_id, with_for_update=True)
    # Someone else's token reads as no token at all: a user learns nothing of others' tokens.
    if token is None or (command.owner_id is not None and token.user_id != command.owner_id):
        raise DomainError(f"no API token {command.token_id}", code="not_found", fields={"token_id": ["no such token"]})
    if token.revoked_at is not None:
        return token
    token.revoked_at, token.revoked_by = uow.now, uow.actor[:80]
    uow.record(ev.ApiTokenRevoked(user_id=token.user_id, token_id=token.id, name=token.name))
    return token
