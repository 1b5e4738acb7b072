"""Staff sign-in and sign-out, the session rules (idle and absolute timeouts), and changing one's password.

A session carries the user's nonce (User.get_id), so signing out or being disabled ends every
session of the user on the server, and a replayed cookie no longer works.
"""
from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError

from wfsurvey import clock
from wfsurvey.authz import staff_required
from wfsurvey.blueprints.auth import devices
from wfsurvey.blueprints.errors import render_error
from wfsurvey.blueprints.outcomes import run_on_form, run_or_flash
from wfsurvey.domain import commands as cmd
from wfsurvey.extensions import db, limiter, login_manager
from wfsurvey.forms import ActionForm
from wfsurvey.forms.auth import ChangePasswordForm, LoginForm
from wfsurvey.models import User
from wfsurvey.security import public
from wfsurvey.services.users import authenticate

bp = Blueprint("auth", __name__)
log = logging.getLogger(__name__)

#: Session keys: when the user signed in, and when they were last seen (Unix seconds).
LOGIN_AT = "login_at"
SEEN_AT = "seen_at"
#: `seen_at` is rewritten at most this often, so that not every request sets a new cookie.
SEEN_RESOLUTION_SECONDS = 60
#: The one message for every failed sign-in: it must not tell whether the email has an account.
BAD_LOGIN = "The email address or password is not right, or the account is disabled."

login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to see this page."
login_manager.login_message_category = "info"


def _fresh_session() -> None:
    """Forget everything the session held, the CSRF token included."""
    session.clear()
    # Flask-WTF caches the signed token on `g`; a token signed from the cleared session must not be reused.
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    user_id, _, nonce = session_id.partition(":")
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_nonce != nonce:
        return None
    return user


@bp.before_app_request
def _end_expired_sessions() -> None:
    """Idle and absolute timeouts, checked on the server at every request of a signed-in session."""
    if "_user_id" not in session:
        return
    now = int(clock.now().timestamp())
    config = current_app.config
    login_at, seen_at = session.get(LOGIN_AT), session.get(SEEN_AT)
    expired = (
        not isinstance(login_at, int) or not isinstance(seen_at, int)
        or now - login_at > int(config["SESSION_MAX_HOURS"]) * 3600
        or now - seen_at > int(config["SESSION_IDLE_MINUTES"]) * 60
    )
    if expired:
        logout_user()
        _fresh_session()
        flash("Your session ended after a period of inactivity or at its time limit. Please sign in again.", "info")
    elif now - seen_at >= SEEN_RESOLUTION_SECONDS:
        session[SEEN_AT] = now


@bp.teardown_app_request
def _forget_request_caches(_exc: BaseException | None) -> None:
    # Flask-Login caches the user, and Flask-WTF the signed CSRF token, on `g`, which lives as long
    # as the application context; when one context spans several requests (the test client inside
    # an app context does that) the next request must still load both from its own session and the
    # database, so that a disabled account is refused at that very request.
    g.pop("_login_user", None)
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)


@bp.app_errorhandler(CSRFError)
def _csrf_error(exc: CSRFError):
    return render_error(400, "The form was out of date or did not come from this site. Reload the page and try again.")


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: an absolute or scheme-relative URL would be an open redirect."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def _ip_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT_PER_IP"]


@bp.get("/")
@public  # the site's front door: it only says where to go
def front_door():
    """`/`: the staff home when signed in, else the sign-in page."""
    return redirect(url_for("staff.home") if current_user.is_authenticated else url_for("auth.login"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_ip_limit, methods=["POST"], scope="login-ip")
# Per account, failed attempts are counted by device (wfsurvey.blueprints.auth.devices): see the view.
@public
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(_safe_next(request.args.get("next")) or url_for("staff.home"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = _safe_next(request.args.get("next")) or ""
    failed = False
    if form.validate_on_submit():
        attempt = devices.attempt(form.email.data)
        attempt.check()
        user = authenticate(db.session, form.email.data, form.password.data)
        if user is None:
            failed = True
            attempt.failed()
            log.info("failed sign-in from %s (%s device)", request.remote_addr, "known" if attempt.trusted else "unknown")
        else:
            destination = _safe_next(form.next.data) or url_for("staff.home")
            run_or_flash(cmd.RecordLogin(user.id, password=form.password.data), actor=f"user:{user.id}")
            # A new session: nothing from before sign-in (a planted session id, an old CSRF token) survives.
            _fresh_session()
            login_user(user)
            now = int(clock.now().timestamp())
            session[LOGIN_AT] = session[SEEN_AT] = now
            return devices.remember(redirect(destination), user.email)
    return render_template("auth/login.html", form=form, failed=failed, bad_login=BAD_LOGIN)


@bp.post("/logout")
@public  # anyone may end their own session; without one this just shows the sign-in page
def logout():
    form = ActionForm()
    if form.validate_on_submit() and current_user.is_authenticated:
        run_or_flash(cmd.EndUserSessions(current_user.id))
    logout_user()
    _fresh_session()
    flash("You are signed out.", "success")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@staff_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        changed = run_on_form(cmd.SetPassword(email=current_user.email, password=form.new_password.data), form,
                              aliases={"password": "new_password"})
        if changed.ok:
            # The new password ended every session, this one included: start a fresh one.
            user = db.session.get(User, current_user.id)
            _fresh_session()
            login_user(user)
            session[LOGIN_AT] = session[SEEN_AT] = int(clock.now().timestamp())
            flash("Your password is changed. Any other session of yours has ended.", "success")
            return redirect(url_for("staff.home"))
    return render_template("auth/change_password.html", form=form)


from wfsurvey.blueprints.auth import account  # noqa: E402,F401  (registers the account page's routes)
