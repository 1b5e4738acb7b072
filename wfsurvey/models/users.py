"""Staff and admin accounts, and the API tokens scripts use."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wfsurvey.database import Base

ROLES = ("staff", "admin")


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN ('staff', 'admin')", name="role"),)

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: Login name: normalized email address.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    #: Display name.
    name: Mapped[str] = mapped_column(String(200), default="")
    #: Password hash from a slow KDF (scrypt or Argon2id), never the password.
    password_hash: Mapped[str] = mapped_column(String(300))
    #: staff or admin (admin can do all staff can, plus users and overrides).
    role: Mapped[str] = mapped_column(String(10))
    #: False when disabled: the user loses access at the next request.
    active: Mapped[bool] = mapped_column(default=True)
    #: Changes at logout and password change, ending every session signed with the old one.
    session_nonce: Mapped[str] = mapped_column(String(64))
    #: When the account was created (UTC).
    created_at: Mapped[dt.datetime]
    #: When the user last logged in.
    last_login_at: Mapped[dt.datetime | None]

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    # What Flask-Login asks of a user, written out so that models need no Flask.
    @property
    def is_active(self) -> bool:  # a disabled user is signed out at the next request
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        # The nonce makes every session of the user end when it changes (logout, password change).
        return f"{self.id}:{self.session_nonce}"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"


class ApiToken(Base):
    __tablename__ = "api_tokens"

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: Whose rights the token carries.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    #: What the token is for, e.g. "nightly export".
    name: Mapped[str] = mapped_column(String(200))
    #: Hex SHA-256 of the bearer token; the token is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: When it was created (UTC).
    created_at: Mapped[dt.datetime]
    #: When it was last used.
    last_used_at: Mapped[dt.datetime | None]
    #: When it was revoked; None while valid.
    revoked_at: Mapped[dt.datetime | None]
    #: Who revoked it, as the event log names actors ("user:3", "cli"); None while valid.
    revoked_by: Mapped[str | None] = mapped_column(String(80))

    user: Mapped[User] = relationship(back_populates="tokens")

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None

    def __repr__(self) -> str:
        state = "" if self.revoked_at is None else " revoked"
        return f"<ApiToken {self.id} user={self.user_id} {self.name!r}{state}>"
