"""Staff and admin pages: stakeholders (lists, forms, opt-out, CSV import), templates, the event log, users."""
from __future__ import annotations

import datetime as dt
import html
import io
import json
import re

import pytest
from sqlalchemy import func, select

from tests import builders
from tests.factories import DEFAULT_PASSWORD
from tests.web import page_token, post_form, signed_in  # noqa: F401  (signed_in is a fixture)
from wfsurvey.domain import commands as cmd
from wfsurvey.extensions import db
from wfsurvey.models import Contact, EventRecord, Invitation, Organization, Region, Template, User
from wfsurvey.services import handle

HOSTILE = "<script>alert(1)</script>"
CSV_HEADER = "organization,org_type,region,name,email,title\n"


@pytest.fixture
def staff(signed_in):
    client, user = signed_in("staff")
    client.user = user
    return client


def text(response) -> str:
    return response.get_data(as_text=True)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def events_of(type_: str) -> list[EventRecord]:
    db.session.expire_all()
    return db.session.scalars(select(EventRecord).where(EventRecord.type == type_).order_by(EventRecord.seq)).all()


def reload(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


# --- home and regions ---------------------------------------------------------------------

def test_home_lists_rounds_with_their_state_and_local_window(staff):
    builders.stakeholders()
    builders.template()
    round_ = builders.launched_round()
    page = text(staff.get("/staff/"))
    assert round_.title in page and "open" in page
    assert "2026-10-05 09:00 PDT" in page  # opens_at shown in the round's time zone


def test_regions_page_lists_counts_and_adds_a_region(staff, make_organization, make_region):
    region = make_region("Inland Empire/Desert", code="inland-empire-desert")
    make_organization("Board A", "lwib", [region])
    make_organization("College A", "college", [region])
    page = text(staff.get("/staff/regions"))
    assert "Inland Empire/Desert" in page and "inland-empire-desert" in page
    response = post_form(staff, "/staff/regions", {"name": "Bay Area", "code": ""}, token_from="/staff/regions")
    assert response.status_code == 302
    assert db.session.scalar(select(Region.code).where(Region.name == "Bay Area")) == "bay-area"
    again = post_form(staff, "/staff/regions", {"name": "Bay Area"}, token_from="/staff/regions")
    assert again.status_code == 200 and "already exists" in text(again)


# --- organizations ------------------------------------------------------------------------

def test_organisations_list_searches_filters_and_paginates(staff, make_region):
    north, south = make_region("North", code="north"), make_region("South", code="south")
    now = builders.T0
    for i in range(55):
        db.session.add(Organization(name=f"Board {i:02d}", org_type="lwib", created_at=now, regions=[north]))
    db.session.add(Organization(name="Valley College", org_type="college", created_at=now, regions=[south]))
    db.session.add(Organization(name="100%_Partners", org_type="partner", created_at=now, regions=[south]))
    db.session.commit()

    first = text(staff.get("/staff/organizations"))
    assert "Page 1 of 2 (57 in all)" in first and "Board 00" in first and "Valley College" not in first
    second = text(staff.get("/staff/organizations?page=2"))
    assert "Valley College" in second and "Board 00" not in second

    assert "Valley College" in text(staff.get("/staff/organizations?q=valley"))
    only_colleges = text(staff.get("/staff/organizations?org_type=college"))
    assert "Valley College" in only_colleges and "Board 01" not in only_colleges
    south_page = text(staff.get("/staff/organizations?region=south"))
    assert "Valley College" in south_page and "100%_Partners" in south_page and "Board 01" not in south_page
    # % and _ are matched as themselves, not as wildcards.
    literal = text(staff.get("/staff/organizations?q=0%25_"))
    assert "100%_Partners" in literal and "Board 00" not in literal
    assert "No organization matches" in text(staff.get("/staff/organizations?q=nothing-like-this"))


def test_hostile_organisation_name_is_shown_as_text(staff, make_organization):
    org = make_organization(HOSTILE, "partner")
    for path in ("/staff/organizations", f"/staff/organizations/{org.id}", "/staff/contacts/import"):
        page = text(staff.get(path))
        assert "<script>alert(1)" not in page, path
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text(staff.get("/staff/organizations"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text(staff.get(f"/staff/organizations/{org.id}"))


def test_create_organisation_validates_and_records_the_event_with_the_user(staff, make_region, make_organization):
    make_region("North", code="north")
    make_organization("Existing Board", "lwib")
    token = page_token(staff, "/staff/organizations/new")
    empty = staff.post("/staff/organizations/new", data={"name": "", "org_type": "lwib", "csrf_token": token})
    assert "Enter the organization&#39;s name." in text(empty)
    clash = staff.post("/staff/organizations/new", data={"name": "existing  BOARD", "org_type": "lwib", "csrf_token": token})
    assert "already exists" in text(clash)
    bad_region = staff.post("/staff/organizations/new", data={"name": "New Board", "org_type": "lwib", "regions": "nowhere",
                                                            "csrf_token": token})
    assert "is not a valid choice" in text(bad_region)
    assert count(Organization) == 1

    done = staff.post("/staff/organizations/new", data={"name": "New Board", "org_type": "lwib", "regions": "north",
                                                      "csrf_token": token})
    org = db.session.scalar(select(Organization).where(Organization.name == "New Board"))
    assert done.status_code == 302 and done.headers["Location"] == f"/staff/organizations/{org.id}"
    assert org.region_codes == ["north"]
    event = events_of("OrganizationCreated")[-1]
    assert event.actor == f"user:{staff.user.id}" and event.payload["regions"] == ["north"]


def test_edit_organisation_records_what_changed(staff, make_region, make_organization):
    north, south = make_region("North", code="north"), make_region("South", code="south")
    org = make_organization("Board", "lwib", [north])
    form = text(staff.get(f"/staff/organizations/{org.id}/edit"))
    assert re.search(r'<input[^>]*checked[^>]*value="north"', form) and not re.search(r'<input[^>]*checked[^>]*value="south"', form)
    response = post_form(staff, f"/staff/organizations/{org.id}/edit",
                         {"name": "Board East", "org_type": "lwib", "regions": ["north", "south"]},
                         token_from=f"/staff/organizations/{org.id}/edit")
    assert response.status_code == 302
    org = reload(org)
    assert org.name == "Board East" and org.region_codes == ["north", "south"]
    [event] = events_of("OrganizationUpdated")
    assert event.payload["changes"] == {"name": {"from": "Board", "to": "Board East"},
                                        "regions": {"from": ["north"], "to": ["north", "south"]}}


# --- contacts -----------------------------------------------------------------------------

def test_add_and_edit_a_contact_with_email_checks(staff, make_organization, make_contact):
    org = make_organization("Board", "lwib")
    make_contact(org, email="taken@example.org")
    path = f"/staff/organizations/{org.id}/contacts/new"
    token = page_token(staff, path)
    bad = staff.post(path, data={"name": "Lee", "email": "not an email", "csrf_token": token})
    assert bad.status_code == 200 and "email address" in text(bad).lower() and count(Contact) == 1
    taken = staff.post(path, data={"name": "Lee", "email": "TAKEN@example.org", "csrf_token": token})
    assert "taken@example.org is already a contact" in text(taken) and count(Contact) == 1
    added = staff.post(path, data={"name": "Lee Park", "email": "Lee@Example.org", "title": "Director", "csrf_token": token})
    assert added.status_code == 302
    lee = db.session.scalar(select(Contact).where(Contact.email == "lee@example.org"))
    assert lee.name == "Lee Park"

    edit = f"/staff/contacts/{lee.id}/edit"
    unchanged_email = post_form(staff, edit, {"name": "Lee Park", "email": "lee@example.org", "title": "CEO"}, token_from=edit)
    assert unchanged_email.status_code == 302  # its own address is not "already a contact"
    clash = post_form(staff, edit, {"name": "Lee Park", "email": "taken@example.org", "title": "CEO"}, token_from=edit)
    assert "already a contact" in text(clash)
    [event] = events_of("ContactUpdated")
    assert event.payload["changes"] == {"title": {"from": "Director", "to": "CEO"}}


def test_staff_mark_a_contact_opted_out_which_stops_running_invitations(staff):
    builders.stakeholders()
    builders.template()
    builders.launched_round()
    invitation = db.session.scalars(select(Invitation).order_by(Invitation.id)).first()
    contact = invitation.contact
    org_page = f"/staff/organizations/{contact.organization_id}"
    assert "Mark opted out" in text(staff.get(org_page))
    response = post_form(staff, f"/staff/contacts/{contact.id}/opt-out", token_from=org_page)
    assert response.status_code == 302
    assert reload(contact).opted_out_at is not None
    assert reload(invitation).status == "opted_out"
    [event] = events_of("ContactOptedOut")
    assert event.payload == {"contact_id": contact.id, "invitation_ids": [invitation.id], "via_invitation_id": None,
                             "via_convening_invitation_id": None}
    assert event.schema_version == 2
    assert event.actor == f"user:{staff.user.id}"
    page = text(staff.get(org_page))
    assert "Opted out" in page
    listed = text(staff.get("/staff/contacts?status=opted_out"))
    assert contact.email in listed and listed.count("<tr>") == 2  # header + the one contact


def test_staff_opt_a_contact_back_in_only_with_a_reason(staff):
    builders.stakeholders()
    builders.template()
    builders.launched_round()
    invitation = db.session.scalars(select(Invitation).order_by(Invitation.id)).first()
    contact = invitation.contact
    edit_page = f"/staff/contacts/{contact.id}/edit"
    assert "Opt back in" not in text(staff.get(edit_page))  # only offered to someone who opted out
    post_form(staff, f"/staff/contacts/{contact.id}/opt-out", token_from=edit_page)
    assert "Opt back in" in text(staff.get(edit_page))

    refused = post_form(staff, f"/staff/contacts/{contact.id}/opt-in", {"reason": "  "}, token_from=edit_page)
    assert refused.status_code == 422 and "Say how the person asked" in text(refused)
    assert reload(contact).opted_out_at is not None and events_of("ContactOptedIn") == []

    done = post_form(staff, f"/staff/contacts/{contact.id}/opt-in", {"reason": "Phoned on 20 Nov, asked to rejoin"},
                     token_from=edit_page)
    assert done.status_code == 302
    assert reload(contact).opted_out_at is None
    [event] = events_of("ContactOptedIn")
    assert event.payload == {"contact_id": contact.id, "reason": "Phoned on 20 Nov, asked to rejoin"}
    assert event.actor == f"user:{staff.user.id}"
    assert reload(invitation).status == "opted_out"  # what the opt-out stopped stays stopped
    assert "Receiving" in text(staff.get(f"/staff/organizations/{contact.organization_id}"))
    assert staff.post(f"/staff/contacts/{contact.id}/opt-in", data={"reason": "x"}).status_code == 400  # no CSRF


def test_contacts_list_searches_name_or_email(staff, make_contact):
    make_contact(name="Rosa Diaz", email="rosa@example.org")
    make_contact(name="Sam Ortiz", email="sam@board.example")
    page = text(staff.get("/staff/contacts?q=board.example"))
    assert "Sam Ortiz" in page and "Rosa Diaz" not in page
    assert "Rosa Diaz" in text(staff.get("/staff/contacts?q=ROSA"))


# --- CSV import ---------------------------------------------------------------------------

@pytest.fixture
def regions(make_region):
    return [make_region("Inland Empire/Desert", code="inland-empire-desert"), make_region("Los Angeles", code="los-angeles")]


GOOD_CSV = CSV_HEADER + (
    "Riverside Board,lwib,inland-empire-desert,Ana Ruiz,ana@example.org,Director\n"
    "Riverside Board,lwib,inland-empire-desert,Ben Ng,ben@example.org,Analyst\n"
    "LA College,college,Los Angeles,Cy Oh,cy@example.org,Dean\n"
)


def _import(client, data, **kwargs):
    return post_form(client, "/staff/contacts/import", data, token_from="/staff/contacts/import", **kwargs)


def test_import_preview_then_import(staff, regions):
    preview = _import(staff, {"csv_text": GOOD_CSV, "action": "preview"})
    page = text(preview)
    assert "Preview: the file is valid" in page and '<dd class="created">3</dd>' in page
    assert count(Contact) == 0 and count(Organization) == 0  # a dry run writes nothing
    assert "Riverside Board,lwib" in page  # the CSV stays in the box for the real import

    done = text(_import(staff, {"csv_text": GOOD_CSV, "action": "import"}))
    assert "Imported." in done and '<dd class="created">3</dd>' in done
    assert count(Contact) == 3 and count(Organization) == 2
    assert events_of("ContactsImported")[-1].payload["source"] == "web:pasted"

    changed = GOOD_CSV.replace("Analyst", "Senior analyst")
    again = text(_import(staff, {"csv_file": (io.BytesIO(changed.encode("utf-8-sig")), "contacts.csv"), "action": "import"},
                         content_type="multipart/form-data"))
    assert '<dd class="created">0</dd>' in again and '<dd class="updated">1</dd>' in again
    assert '<dd class="unchanged">2</dd>' in again
    assert events_of("ContactsImported")[-1].payload["source"] == "web:contacts.csv"


def test_import_with_a_bad_row_lists_every_problem_and_imports_nothing(staff, regions):
    bad = GOOD_CSV + f"{HOSTILE},lwib,atlantis,Dee,not-an-email,\n"
    response = _import(staff, {"csv_file": (io.BytesIO(bad.encode()), "contacts.csv"), "action": "import"},
                       content_type="multipart/form-data")
    page = text(response)
    assert response.status_code == 200
    assert "nothing was imported" in page.lower()
    rows = re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td><td>", page)
    assert ("5", "email") in rows and ("5", "region") in rows
    assert "unknown region &#39;atlantis&#39;" in page
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert count(Contact) == 0 and count(Organization) == 0
    # The file's text is now in the box, ready to be fixed in the page.
    assert "Ana Ruiz,ana@example.org" in page


def test_import_refuses_a_file_that_is_not_utf8(staff, regions):
    response = _import(staff, {"csv_file": (io.BytesIO(GOOD_CSV.replace("Ruiz", "Ruíz").encode("cp1252")), "c.csv"),
                               "action": "preview"}, content_type="multipart/form-data")
    assert "not UTF-8" in text(response) and count(Contact) == 0


def test_import_needs_a_file_or_text(staff):
    response = _import(staff, {"csv_text": "  ", "action": "preview"})
    assert "Choose a CSV file or paste its contents." in text(response)


# --- templates ----------------------------------------------------------------------------

def _upload(client, definition):
    body = definition if isinstance(definition, str) else json.dumps(definition)
    return post_form(client, "/staff/templates/upload", {"json_text": body}, token_from="/staff/templates/upload")


def test_upload_a_template_and_see_it_as_a_respondent_would(staff):
    definition = json.loads(json.dumps(builders.TEMPLATE))
    definition["questions"][0]["label"] = f"Does the board target {HOSTILE}?"
    response = _upload(staff, definition)
    assert response.status_code == 302 and response.headers["Location"] == "/staff/templates/collab/v1"
    page = text(staff.get("/staff/templates/collab/v1"))
    preview = page[page.index('class="preview"'):page.index("The definition (JSON)")]
    assert "Collaboration with colleges" in preview and 'name="occupations" value="welder"' in preview
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in preview and "<script>alert(1)" not in page
    assert "Regional navigator counterpart" in preview  # lwib by default: the contact question shows
    college = text(staff.get("/staff/templates/collab/v1?org_type=college"))
    assert "Regional navigator counterpart" not in college[college.index('class="preview"'):college.index("The definition (JSON)")]
    listing = text(staff.get("/staff/templates"))
    assert "collab" in listing and "Regional collaboration" in listing
    assert db.session.scalar(select(Template.created_by)) == f"user:{staff.user.id}"


def test_template_upload_errors_name_the_question_and_keep_the_text(staff):
    definition = json.loads(json.dumps(builders.TEMPLATE))
    definition["questions"][2]["type"] = "color"
    page = text(_upload(staff, definition))
    assert "Question 3, “Collaboration with colleges”: “color” is not a question type: use one of" in html.unescape(page)
    assert "&#34;color&#34;" in page or "&quot;color&quot;" in page  # the JSON is still in the box
    broken = text(_upload(staff, '{"slug": "x", "title": "y",\n "questions": [}'))
    assert "This is not valid JSON" in broken and "line 2" in broken
    assert count(Template) == 0


def test_compare_two_versions_by_question_key(staff):
    builders.template()
    second = json.loads(json.dumps(builders.TEMPLATE))
    second["title"] = "Regional collaboration, 2027"
    second["questions"] = [q for q in second["questions"] if q["key"] != "slots"]
    second["questions"][2]["label"] = "Collaboration with community colleges"
    second["questions"].append({"key": "pilot", "type": "yes_no", "label": "Would you join a pilot?"})
    assert _upload(staff, second).headers["Location"] == "/staff/templates/collab/v2"
    page = text(staff.get("/staff/templates/collab/compare?a=1&b=2"))
    assert "1 added" in page and "1 removed" in page and "1 changed" in page
    assert 'id="q-pilot"' in page and 'id="q-slots"' in page and 'id="q-colleges"' in page
    assert "Collaboration with colleges" in page and "Collaboration with community colleges" in page
    assert "Regional collaboration, 2027" in page
    assert 'id="q-targets_am"' not in page  # unchanged questions are not listed
    assert staff.get("/staff/templates/collab/compare?a=1&b=9").status_code == 404
    # "New version" starts from the latest definition.
    assert "Would you join a pilot?" in text(staff.get("/staff/templates/new?from=collab"))


# --- event log ----------------------------------------------------------------------------

def test_event_log_filters_and_shows_payloads_escaped(app, staff, make_user):
    builders.stakeholders()
    builders.template()
    round_ = builders.launched_round()
    handle(cmd.CreateOrganization(name=HOSTILE, org_type="partner"), actor="cli",
           now=dt.datetime(2026, 12, 1, 20, 0, tzinfo=dt.timezone.utc))

    def shown(query: str = "") -> set[str]:
        """The event types in the page's table (the filter's drop-down lists every type, so look at rows)."""
        return set(re.findall(r'<tr data-seq="\d+" data-type="([A-Za-z]+)">', text(staff.get("/staff/events" + query))))

    everything = text(staff.get("/staff/events"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in everything and "<script>alert(1)" not in everything
    assert {"RoundLaunched", "OrganizationCreated"} <= shown()

    by_round = shown(f"?round_id={round_.id}")
    assert {"RoundCreated", "RoundLaunched", "InvitationIssued"} <= by_round and "OrganizationCreated" not in by_round
    assert shown("?type=RoundLaunched") == {"RoundLaunched"}
    assert shown(f"?aggregate_type=round&aggregate_id={round_.id}") == {"RoundCreated", "RoundLaunched"}
    assert shown("?actor=cli") == {"OrganizationCreated"}
    # Times are read in the configured zone: 2026-12-01 12:00 PST is 20:00 UTC.
    assert shown("?since=2026-12-01T11:59") == {"OrganizationCreated"}
    until = shown("?until=2026-12-01T11:59")
    assert "OrganizationCreated" not in until and "RoundLaunched" in until
    bad = text(staff.get("/staff/events?round_id=abc"))
    assert "not valid" in bad
    # Newest first.
    seqs = [int(s) for s in re.findall(r'<tr data-seq="(\d+)"', everything)]
    assert seqs == sorted(seqs, reverse=True) and len(seqs) == count(EventRecord) > 10


# --- users (admin) ------------------------------------------------------------------------

def test_staff_cannot_open_the_users_page(staff):
    response = staff.get("/admin/users")
    assert response.status_code == 403 and "admins only" in text(response)
    assert "Users</a>" not in text(staff.get("/staff/"))


def test_admin_creates_users_with_the_password_policy(signed_in):
    admin, _ = signed_in("admin")
    assert "Users</a>" in text(admin.get("/staff/"))
    token = page_token(admin, "/admin/users")
    weak = admin.post("/admin/users", data={"email": "new@example.org", "role": "staff", "password": "password1234",
                                           "confirm": "password1234", "csrf_token": token})
    assert "most common passwords" in text(weak)
    short = admin.post("/admin/users", data={"email": "new@example.org", "role": "staff", "password": "short",
                                            "confirm": "short", "csrf_token": token})
    assert "at least 12 characters" in text(short)
    assert db.session.scalar(select(User).where(User.email == "new@example.org")) is None
    done = admin.post("/admin/users", data={"email": "New@Example.org", "name": "Nia", "role": "admin",
                                           "password": "a long unusual phrase 7", "confirm": "a long unusual phrase 7",
                                           "csrf_token": token})
    assert done.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "new@example.org"))
    assert user.role == "admin" and user.name == "Nia"
    duplicate = admin.post("/admin/users", data={"email": "new@example.org", "role": "staff", "password": "a long unusual phrase 7",
                                                "confirm": "a long unusual phrase 7", "csrf_token": token})
    assert "already has an account" in text(duplicate)


def test_admin_disables_enables_and_changes_roles(signed_in, make_user):
    admin, me = signed_in("admin")
    other = make_user(email="oli@example.org")
    post_form(admin, f"/admin/users/{other.id}/active", {"active": "0"}, token_from="/admin/users")
    assert reload(other).active is False
    assert "Disabled" in text(admin.get("/admin/users"))
    post_form(admin, f"/admin/users/{other.id}/active", {"active": "0"}, token_from="/admin/users")  # sent twice: stays disabled
    assert reload(other).active is False
    post_form(admin, f"/admin/users/{other.id}/active", {"active": "1"}, token_from="/admin/users")
    assert reload(other).active is True
    post_form(admin, f"/admin/users/{other.id}/role", {f"u{other.id}-role": "admin"}, token_from="/admin/users")
    assert reload(other).role == "admin"
    changes = [e.payload["changes"] for e in events_of("UserUpdated")]
    assert changes == [{"active": {"from": True, "to": False}}, {"active": {"from": False, "to": True}},
                       {"role": {"from": "staff", "to": "admin"}}]
    assert all(e.actor == f"user:{me.id}" for e in events_of("UserUpdated"))


def test_the_last_active_admin_cannot_be_disabled_or_demoted(signed_in):
    admin, me = signed_in("admin")
    response = post_form(admin, f"/admin/users/{me.id}/active", {"active": "0"}, token_from="/admin/users",
                         follow_redirects=True)
    assert "only active admin" in text(response)
    post_form(admin, f"/admin/users/{me.id}/role", {f"u{me.id}-role": "staff"}, token_from="/admin/users")
    me = reload(me)
    assert me.active and me.role == "admin"


def test_new_users_can_sign_in(signed_in):
    admin, _ = signed_in("admin")
    post_form(admin, "/admin/users", {"email": "pat@example.org", "role": "staff", "password": DEFAULT_PASSWORD,
                                      "confirm": DEFAULT_PASSWORD}, token_from="/admin/users")
    from tests.web import login
    assert login(admin.application.test_client(), "pat@example.org").status_code == 302
