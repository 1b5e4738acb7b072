"""Issue 14, item 7: API tokens can be listed and revoked, on the command line, on an admin page and by their
owner on the account page; revoked tokens are refused at once; revoking is a command and an event naming who
did it; and noting a token's last use costs no write per request."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import event, select

from tests.web import page_token, signed_in  # noqa: F401  (signed_in is a fixture)
from wfsurvey.domain import commands as cmd
from wfsurvey.extensions import db
from wfsurvey.models import ApiToken, EventRecord
from wfsurvey.services import handle

pytestmark = pytest.mark.hostile

UTC = dt.timezone.utc
MADE = dt.datetime(2026, 11, 3, 17, 5, tzinfo=UTC)  # 9:05 AM PST
USED = dt.datetime(2026, 11, 4, 1, 30, tzinfo=UTC)  # 5:30 PM PST the day before, in Los Angeles
ISO = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def make_token(email: str, name: str, now: dt.datetime = MADE) -> tuple[str, ApiToken]:
    token = handle(cmd.CreateApiToken(user_email=email, name=name), actor="test", now=now)
    return token, db.session.scalar(select(ApiToken).where(ApiToken.name == name))


def api_get(client, token: str, path: str = "/api/v1/regions"):
    return client.get(path, headers={"Authorization": f"Bearer {token}"})


def revocations() -> list[EventRecord]:
    db.session.expire_all()
    return db.session.scalars(select(EventRecord).where(EventRecord.type == "ApiTokenRevoked")).all()


def text(response) -> str:
    return response.get_data(as_text=True)


# --- the command line -----------------------------------------------------------------------------

def test_cli_lists_tokens_without_the_token_and_revokes_one(app, client, runner, make_user):
    ada = make_user(email="ada@example.org", name="Ada Lovelace")
    make_user(email="ben@example.org")
    secret, nightly = make_token("ada@example.org", "nightly export")
    other_secret, _ = make_token("ben@example.org", "dashboard sync")
    app.config["FIXED_NOW"] = USED
    assert api_get(client, secret).status_code == 200

    listed = runner.invoke(args=["tokens", "list"])
    assert listed.exit_code == 0, listed.output
    assert "nightly export" in listed.output and "dashboard sync" in listed.output
    assert "Ada Lovelace <ada@example.org>" in listed.output and f"{nightly.id}\t" in listed.output
    assert "created Tuesday, November 3, 2026 at 9:05 AM PST" in listed.output
    assert "last used Tuesday, November 3, 2026 at 5:30 PM PST" in listed.output and "last used never" in listed.output
    assert secret not in listed.output and other_secret not in listed.output and not ISO.search(listed.output)

    only_ada = runner.invoke(args=["tokens", "list", "ADA@example.org"])
    assert "nightly export" in only_ada.output and "dashboard sync" not in only_ada.output

    revoked = runner.invoke(args=["tokens", "revoke", str(nightly.id)])
    assert revoked.exit_code == 0, revoked.output
    assert "revoked API token" in revoked.output and "nightly export" in revoked.output
    assert api_get(client, secret).status_code == 401  # at once
    assert api_get(client, other_secret).status_code == 200
    [revocation] = revocations()
    assert revocation.actor == "cli" and revocation.payload == {"user_id": ada.id, "token_id": nightly.id,
                                                                 "name": "nightly export"}
    db.session.expire_all()
    assert db.session.get(ApiToken, nightly.id).revoked_by == "cli"

    assert "nightly export" not in runner.invoke(args=["tokens", "list"]).output
    listed_revoked = runner.invoke(args=["tokens", "list", "--revoked"]).output
    assert "nightly export" in listed_revoked and "revoked Tuesday, November 3, 2026 at 5:30 PM PST by cli" in listed_revoked
    again = runner.invoke(args=["tokens", "revoke", str(nightly.id)])
    assert again.exit_code == 0 and len(revocations()) == 1  # revoking twice records nothing new
    missing = runner.invoke(args=["tokens", "revoke", "999"])
    assert missing.exit_code == 1 and "no API token 999" in missing.output


# --- the admin page ------------------------------------------------------------------------------

def test_admin_page_lists_every_token_in_plain_english_and_revokes_after_confirmation(app, client, signed_in, make_user):
    make_user(email="cy@example.org", name="Cy Young")
    secret, token = make_token("cy@example.org", "weekly baseline")
    app.config["FIXED_NOW"] = USED
    assert api_get(client, secret).status_code == 200
    admin, admin_user = signed_in("admin", name="Ann Admin")

    page = admin.get("/admin/tokens")
    assert page.status_code == 200
    body = text(page)
    row = re.search(rf'<tr id="token-{token.id}">(.*?)</tr>', body, re.S).group(1)
    assert "Cy Young" in row and "cy@example.org" in row and "weekly baseline" in row
    assert "Tuesday, November 3, 2026 at 9:05 AM PST" in row and "Tuesday, November 3, 2026 at 5:30 PM PST" in row
    assert not ISO.search(row) and secret not in body and token.token_hash not in body
    # The revoke button sits behind a confirmation that says what happens, in a form with a CSRF token.
    assert "<details class=\"confirm danger\">" in row and "cannot be undone" in row
    assert f'action="/admin/tokens/{token.id}/revoke"' in row and 'name="csrf_token"' in row

    # No CSRF token, or a GET: nothing happens.
    assert admin.post(f"/admin/tokens/{token.id}/revoke").status_code == 400
    assert admin.get(f"/admin/tokens/{token.id}/revoke").status_code == 405
    assert api_get(client, secret).status_code == 200

    done = admin.post(f"/admin/tokens/{token.id}/revoke", data={"csrf_token": page_token(admin, "/admin/tokens")},
                      follow_redirects=True)
    assert done.status_code == 200 and "is revoked" in text(done)
    assert api_get(client, secret).status_code == 401
    [revocation] = revocations()
    assert revocation.actor == f"user:{admin_user.id}"
    after = text(admin.get("/admin/tokens"))
    assert f'id="token-{token.id}"' not in after
    revoked_section = after.split("Revoked lately", 1)[1]
    assert "weekly baseline" in revoked_section and "Ann Admin" in revoked_section
    assert "Wednesday, November 4, 2026" not in revoked_section and "Tuesday, November 3, 2026 at 5:30 PM PST" in revoked_section


def test_staff_cannot_open_the_admin_tokens_page(signed_in, make_user):
    make_user(email="dee@example.org")
    _, token = make_token("dee@example.org", "export")
    staff, _ = signed_in("staff")
    assert staff.get("/admin/tokens").status_code == 403
    refused = staff.post(f"/admin/tokens/{token.id}/revoke", data={"csrf_token": page_token(staff, "/staff/")})
    assert refused.status_code == 403
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).revoked_at is None


# --- a user's own tokens -------------------------------------------------------------------------

def test_users_see_and_revoke_only_their_own_tokens_on_their_account_page(client, signed_in, make_user):
    staff, me = signed_in("staff")
    mine, my_token = make_token(me.email, "my laptop script")
    make_user(email="eve@example.org")
    theirs, their_token = make_token("eve@example.org", "eve's export")

    page = text(staff.get("/account"))
    assert "my laptop script" in page and "eve's export" not in page and "Tuesday, November 3, 2026 at 9:05 AM PST" in page
    token = page_token(staff, "/account")
    assert staff.post(f"/account/tokens/{their_token.id}/revoke", data={"csrf_token": token}).status_code == 404
    assert api_get(client, theirs).status_code == 200

    done = staff.post(f"/account/tokens/{my_token.id}/revoke", data={"csrf_token": token})
    assert done.status_code == 302 and done.headers["Location"].endswith("/account")
    assert api_get(client, mine).status_code == 401
    [revocation] = revocations()
    assert revocation.actor == f"user:{me.id}" and revocation.payload["token_id"] == my_token.id
    assert "You have no API tokens" in text(staff.get("/account"))


# --- last use ------------------------------------------------------------------------------------

def test_last_use_costs_at_most_one_write_a_minute(app, client, make_user):
    make_user(email="fay@example.org")
    secret, token = make_token("fay@example.org", "poller")
    writes = []

    @event.listens_for(db.engine, "before_cursor_execute")
    def count(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("UPDATE API_TOKENS"):
            writes.append(statement)

    try:
        for seconds in range(0, 50, 5):  # ten requests within the first minute
            app.config["FIXED_NOW"] = USED + dt.timedelta(seconds=seconds)
            assert api_get(client, secret).status_code == 200
        assert len(writes) == 1
        app.config["FIXED_NOW"] = USED + dt.timedelta(minutes=1, seconds=1)
        assert api_get(client, secret).status_code == 200
        assert len(writes) == 2
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).last_used_at == USED + dt.timedelta(minutes=1, seconds=1)
