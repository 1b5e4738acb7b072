"""User accounts: the password policy, scrypt hashes, API tokens stored hashed, and the CLI around them."""
from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select

from wfsurvey.domain import commands as cmd
from wfsurvey.domain.errors import DomainError
from wfsurvey.extensions import db
from wfsurvey.models import ApiToken, EventRecord, User
from wfsurvey.services import handle
from wfsurvey.services.users import WeakPassword, authenticate, common_passwords, password_problem, verify_password

GOOD = "tangerine-Kayak-lighthouse-91"


def user_count() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short-Pw1!", "at least 12 characters"),
        ("password1234", "most common passwords"),
        ("Passw0rd123!!", "most common passwords"),
        ("qwertyuiopas", "most common passwords"),
        ("Sunshine2026!", "most common passwords"),
        ("maria.lopez@example.org", "email address"),
        ("maria.lopez1", "email address"),
        ("Maria.Lopez2024", "email address"),
        ("aaaaaaaaaaaaaaaa", "common"),
    ],
)
def test_weak_passwords_are_refused_with_a_clear_message(app, password, reason):
    with pytest.raises(WeakPassword) as info:
        handle(cmd.CreateUser(email="maria.lopez@example.org", password=password, role="staff"), actor="test")
    assert reason in info.value.message
    assert info.value.code == "invalid" and info.value.fields == {"password": [info.value.message]}
    assert user_count() == 0


def test_the_shipped_list_is_loaded():
    common = common_passwords()
    assert len(common) > 300
    assert {"123456", "password", "qwertyuiop"} <= common
    assert password_problem(GOOD, "someone@example.org") is None


def test_user_is_stored_with_a_scrypt_hash_that_verifies(make_user):
    user = make_user(email="  Ana.Ruiz@Example.ORG ", role="admin", password=GOOD, name="Ana Ruiz")
    assert user.email == "ana.ruiz@example.org"
    assert user.role == "admin" and user.is_admin and user.active
    assert user.password_hash.startswith("scrypt:") and GOOD not in user.password_hash
    assert verify_password(user, GOOD)
    assert not verify_password(user, GOOD.upper())
    assert len(user.session_nonce) == 32 and int(user.session_nonce, 16) >= 0
    created = db.session.scalars(select(EventRecord).where(EventRecord.type == "UserCreated")).one()
    assert created.payload == {"user_id": user.id, "email": "ana.ruiz@example.org", "role": "admin"}
    assert GOOD not in str(created.payload)


def test_authenticate_checks_password_and_active_flag(make_user):
    user = make_user(email="ana@example.org", password=GOOD)
    assert authenticate(db.session, "ANA@example.org", GOOD).id == user.id
    assert authenticate(db.session, "ana@example.org", "wrong-password-here") is None
    assert authenticate(db.session, "nobody@example.org", GOOD) is None
    user.active = False
    db.session.commit()
    assert authenticate(db.session, "ana@example.org", GOOD) is None


def test_duplicate_email_and_unknown_role_are_refused(make_user):
    make_user(email="ana@example.org")
    with pytest.raises(DomainError) as info:
        handle(cmd.CreateUser(email="ANA@example.org", password=GOOD, role="staff"), actor="test")
    assert info.value.code == "conflict"
    with pytest.raises(DomainError) as info:
        handle(cmd.CreateUser(email="bo@example.org", password=GOOD, role="root"), actor="test")
    assert info.value.code == "invalid" and "role" in info.value.fields
    assert user_count() == 1


def test_set_password_replaces_hash_and_ends_sessions(make_user):
    user = make_user(email="ana@example.org", password=GOOD)
    old_hash, old_nonce = user.password_hash, user.session_nonce
    handle(cmd.SetPassword(email="ana@example.org", password="another-Long-passphrase-7"), actor="test")
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert user.password_hash != old_hash and user.session_nonce != old_nonce
    assert verify_password(user, "another-Long-passphrase-7") and not verify_password(user, GOOD)
    changed = db.session.scalars(select(EventRecord).where(EventRecord.type == "UserUpdated")).one()
    assert changed.payload["changes"] == {"password": "changed", "sessions": "ended"}


def test_api_token_is_returned_once_and_stored_hashed(make_user):
    user = make_user(email="ana@example.org")
    token = handle(cmd.CreateApiToken(user_email="ana@example.org", name="nightly export"), actor="test")
    assert len(token) >= 43  # 32 random bytes, URL-safe base64
    stored = db.session.scalars(select(ApiToken)).one()
    assert stored.user_id == user.id and stored.name == "nightly export"
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in stored.token_hash
    event = db.session.scalars(select(EventRecord).where(EventRecord.type == "ApiTokenCreated")).one()
    assert token not in str(event.payload)
    second = handle(cmd.CreateApiToken(user_email="ana@example.org", name="other"), actor="test")
    assert second != token


def test_api_token_for_unknown_user_is_refused(app):
    with pytest.raises(DomainError) as info:
        handle(cmd.CreateApiToken(user_email="ghost@example.org", name="x"), actor="test")
    assert info.value.code == "not_found"


def test_cli_creates_user_from_stdin_and_refuses_weak_password(runner):
    result = runner.invoke(args=["users", "create", "ana@example.org", "--role", "staff", "--password-stdin"],
                           input="password1234\n")
    assert result.exit_code == 1
    assert "most common passwords" in result.output
    assert user_count() == 0

    result = runner.invoke(args=["users", "create", "Ana@Example.org", "--role", "admin", "--name", "Ana",
                                 "--password-stdin"], input=GOOD + "\n")
    assert result.exit_code == 0, result.output
    assert "created admin user ana@example.org" in result.output
    user = db.session.scalars(select(User)).one()
    assert (user.email, user.role, user.name) == ("ana@example.org", "admin", "Ana")
    assert verify_password(user, GOOD)


def test_cli_prompts_twice_for_the_password(runner):
    result = runner.invoke(args=["users", "create", "bo@example.org", "--role", "staff"],
                           input="too-short\ntoo-short\n" + GOOD + "\n" + GOOD + "\n")
    assert result.exit_code == 0, result.output
    assert "refused: the password must be at least 12 characters" in result.output
    assert GOOD not in result.output  # hidden input is not echoed
    assert verify_password(db.session.scalars(select(User)).one(), GOOD)


def test_cli_set_password_and_token_create(runner, make_user):
    make_user(email="ana@example.org")
    result = runner.invoke(args=["users", "set-password", "ana@example.org", "--password-stdin"],
                           input="another-Long-passphrase-7\n")
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert verify_password(db.session.scalars(select(User)).one(), "another-Long-passphrase-7")

    result = runner.invoke(args=["tokens", "create", "ana@example.org", "--name", "reports"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    stored = db.session.scalars(select(ApiToken)).one()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    result = runner.invoke(args=["tokens", "create", "ghost@example.org", "--name", "x"])
    assert result.exit_code == 1 and "no user ghost@example.org" in result.output
