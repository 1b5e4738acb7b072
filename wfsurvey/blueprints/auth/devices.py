"""Device cookies for sign-in (OWASP, "Slow Down Online Guessing Attacks with Device Cookies"), so that strangers
cannot lock an account.

A successful sign-in gives the browser a signed cookie naming the account. Failed attempts from a device that
holds one for the account entered are counted against that device alone (LOGIN_RATE_LIMIT_PER_DEVICE); all
other attempts share the account's allowance for untrusted clients (LOGIN_RATE_LIMIT_PER_ACCOUNT). A device
past its own allowance is treated as untrusted. So any number of failures from elsewhere lock out only
untrusted clients, and the owner signs in from a device they used before. The per-address limit on every
sign-in (LOGIN_RATE_LIMIT_PER_IP) holds for everyone, before any of this.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from flask import Response, current_app, request, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer

from wfsurvey import ratelimits
from wfsurvey.services.users import login_name

COOKIE_PREFIX = "wfsurvey_device_"
SALT = "wfsurvey-device-cookie"
DEVICE_SCOPE = "login-device"
ACCOUNT_SCOPE = "login-account"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=SALT)


def _cookie_name(account: str) -> str:
    # One cookie per account, so that people who share a computer keep their own.
    return COOKIE_PREFIX + hashlib.sha256(account.encode("utf-8")).hexdigest()[:16]


def _max_age() -> int:
    return int(current_app.config["DEVICE_COOKIE_DAYS"]) * 86400


def _device(account: str) -> str | None:
    """The nonce of this browser's valid device cookie for the account, or None."""
    raw = request.cookies.get(_cookie_name(account))
    if not raw:
        return None
    try:
        data = _serializer().loads(raw, max_age=_max_age())
    except BadSignature:  # forged, altered, expired, or signed with another secret key
        return None
    if not isinstance(data, dict) or data.get("account") != account or not isinstance(data.get("nonce"), str):
        return None
    return data["nonce"]


@dataclass(frozen=True)
class Attempt:
    """One sign-in attempt for an account, and the allowance it draws on."""

    account: str
    scope: str
    key: str
    limit: str

    @property
    def trusted(self) -> bool:
        return self.scope == DEVICE_SCOPE

    def check(self) -> None:
        """429 when this allowance is used up, before any password is checked."""
        if ratelimits.active() and not ratelimits.within(self.limit, self.scope, self.key):
            ratelimits.refuse(self.limit, self.scope, self.key,
                              "There were too many failed sign-ins for this account from computers it was never used "
                              "on. If it is yours, sign in from a computer you have signed in on before.")

    def failed(self) -> None:
        if ratelimits.active():
            ratelimits.hit(self.limit, self.scope, self.key)


def attempt(email: str) -> Attempt:
    """The allowance a sign-in for `email` from this browser draws on: its device's, or the account's shared one."""
    account = login_name(email)
    config = current_app.config
    nonce = _device(account)
    if nonce is not None:
        trusted = Attempt(account, DEVICE_SCOPE, nonce, config["LOGIN_RATE_LIMIT_PER_DEVICE"])
        # A device past its own allowance (its cookie stolen, or its owner forgetful) counts as untrusted.
        if not ratelimits.active() or ratelimits.within(trusted.limit, trusted.scope, trusted.key):
            return trusted
    return Attempt(account, ACCOUNT_SCOPE, account, config["LOGIN_RATE_LIMIT_PER_ACCOUNT"])


def remember(response: Response, email: str) -> Response:
    """After a successful sign-in: a new device cookie for the account, sent only to the sign-in page."""
    account = login_name(email)
    value = _serializer().dumps({"account": account, "nonce": secrets.token_urlsafe(16)})
    response.set_cookie(_cookie_name(account), value, max_age=_max_age(), path=url_for("auth.login"),
                        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")), httponly=True, samesite="Strict")
    return response
