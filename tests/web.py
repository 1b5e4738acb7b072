"""Helpers for tests that drive the staff pages through the Flask test client: CSRF tokens and signing in.

Test modules import the `signed_in` fixture from here explicitly.
"""
from __future__ import annotations

import re

import pytest

from tests.factories import DEFAULT_PASSWORD

_TOKEN = re.compile(r'name="(?:[\w-]+-)?csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="(?:[\w-]+-)?csrf_token"')


def csrf_token(html: str | bytes) -> str:
    """The first CSRF token of a page's forms."""
    text = html.decode() if isinstance(html, bytes) else html
    match = _TOKEN.search(text)
    assert match, "no csrf_token on the page"
    return match.group(1) or match.group(2)


def page_token(client, path: str = "/login") -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return csrf_token(response.data)


def login(client, email: str, password: str = DEFAULT_PASSWORD, **extra):
    """POST the sign-in form (with a fresh token from the page) and return the response."""
    token = page_token(client, "/login")
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token, **extra})


def post_form(client, path: str, data: dict | None = None, token_from: str | None = None, **kwargs):
    """POST to `path` with a CSRF token taken from `token_from` (default: the staff home page)."""
    token = page_token(client, token_from or "/staff/")
    return client.post(path, data={**(data or {}), "csrf_token": token}, **kwargs)


@pytest.fixture
def signed_in(app, make_user):
    """A callable: a new test client signed in as a new user of `role`, and that user."""

    def sign_in(role: str = "staff", **user_fields):
        user = make_user(role=role, **user_fields)
        client = app.test_client()
        response = login(client, user.email)
        assert response.status_code == 302, response.data
        return client, user

    return sign_in
