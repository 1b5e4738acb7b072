"""Who may open a staff or admin page: the decorators every such view carries.

Each decorator both enforces the rule and marks the view (wfsurvey.security.mark_access), so the
route-authorization test can prove that no route was left without a rule.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

from flask import abort
from flask_login import current_user

from wfsurvey.extensions import login_manager
from wfsurvey.security import mark_access

F = TypeVar("F", bound=Callable)

#: Which roles each access level admits: admin can do everything staff can.
ROLES_FOR = {"staff": ("staff", "admin"), "admin": ("admin",)}


def _requiring(access: str) -> Callable[[F], F]:
    allowed = ROLES_FOR[access]

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()  # redirect to /login?next=...
            if current_user.role not in allowed:
                abort(403, description="This page is for admins only." if access == "admin" else None)
            return view(*args, **kwargs)

        return mark_access(wrapped, access)  # type: ignore[return-value]

    return decorate


#: Signed-in staff or admins.
staff_required = _requiring("staff")
#: Signed-in admins only; staff get 403.
admin_required = _requiring("admin")


def actor() -> str:
    """How the event log names the signed-in user."""
    return f"user:{current_user.id}"
