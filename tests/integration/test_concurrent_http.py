"""50 threads posting the submit form on one token through a real threaded server: 1 response, 0 server errors."""
import datetime as dt
import http.client
import re
import threading
import urllib.parse

from sqlalchemy import func, select
from werkzeug.serving import make_server

from tests import builders
from tests.web import csrf_token
from wfsurvey.domain.tokens import hash_token, new_token
from wfsurvey.extensions import db
from wfsurvey.models import AccessToken, EventRecord, Invitation, Response

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 10, 7, 17, 0, tzinfo=UTC)


def test_fifty_simultaneous_submits_on_one_token(app):
    app.config.update(FIXED_NOW=NOW, RATELIMIT_ENABLED=False)
    builders.stakeholders(regions=("los-angeles",), boards=1, colleges=0)
    builders.template()
    builders.launched_round()
    invitation_id = db.session.scalar(select(Invitation.id))
    token = new_token()
    db.session.add(AccessToken(invitation_id=invitation_id, token_hash=hash_token(token), purpose="test", created_at=NOW))
    db.session.commit()

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        conn.request("GET", f"/r/{token}")
        page = conn.getresponse()
        html = page.read().decode()
        cookie = page.getheader("Set-Cookie").split(";")[0]
        conn.close()
        body = urllib.parse.urlencode({
            "csrf_token": csrf_token(html), "action": "submit",
            "revision": re.search(r'name="revision" value="(\d+)"', html).group(1),
            "targets_am": "no", "colleges": "4",
            "navigator.name": "Ana Ruiz", "navigator.email": "ana@example.org", "navigator.organization": "LA",
        })
        statuses: list[int] = []
        lock = threading.Lock()
        start = threading.Barrier(50)

        def submit():
            c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
            start.wait()
            c.request("POST", f"/r/{token}", body=body, headers={
                "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
            status = c.getresponse().status
            c.close()
            with lock:
                statuses.append(status)

        threads = [threading.Thread(target=submit) for _ in range(50)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)

    assert len(statuses) == 50
    assert [s for s in statuses if s >= 500] == []
    assert statuses.count(303) == 1, statuses  # the one stored submit redirects to its confirmation
    assert set(statuses) <= {303, 409}
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Response)) == 1
    assert db.session.scalars(select(EventRecord.type).where(EventRecord.type.like("Response%"))).all() == ["ResponseSubmitted"]
