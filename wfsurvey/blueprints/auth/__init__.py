"""Staff sign-in: the Flask-Login user loader (sessions carry the user's nonce so logout ends them server-side)."""
from __future__ import annotations

from flask import Blueprint

from wfsurvey.extensions import db, login_manager
from wfsurvey.models import User

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    user_id, _, nonce = session_id.partition(":")
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_nonce != nonce:
        return None
    return user
