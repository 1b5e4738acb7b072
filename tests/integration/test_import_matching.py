"""Imports that catch typos (issue 13): a preview lists the organizations a file would create, warns when a new name is
close to an existing one of the same type and region ("Bakersfeld College" ~ "Bakersfield College"), and imports
the rows into the existing organization when told to use it; on the staff page, in the API and on the command line."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from tests.integration.test_import import to_csv
from tests.web import csrf_token, post_form, signed_in  # noqa: F401  (fixture)
from wfsurvey.domain import commands as cmd
from wfsurvey.extensions import db
from wfsurvey.models import Contact, Organization
from wfsurvey.services import handle
from wfsurvey.services.imports import ImportRejected

NOW = dt.datetime(2026, 9, 15, 17, 0, tzinfo=dt.timezone.utc)
KERN = ["Bakersfield College", "college", "south-central", "Ana Ruiz", "ana@bc.example.org", "Dean"]
TYPO = ["Bakersfeld College", "college", "south-central", "Ben Cho", "ben@bc.example.org", "Counselor"]


@pytest.fixture
def existing(app):
    handle(cmd.ImportRegions(rows=({"name": "South Central", "code": "south-central"}, {"name": "North", "code": "north"}),
                             scheme="cc-macro"), actor="test", now=NOW)
    handle(cmd.ImportContacts(csv_text=to_csv([KERN]), source="test"), actor="test", now=NOW)
    return db.session.scalar(select(Organization).where(Organization.name == "Bakersfield College"))


def preview(text: str, **kwargs):
    return handle(cmd.ImportContacts(csv_text=text, source="test", dry_run=True, **kwargs), actor="test", now=NOW)


def organizations() -> int:
    return db.session.scalar(select(func.count()).select_from(Organization))


def test_a_preview_warns_of_a_new_name_close_to_an_existing_one_of_its_type_and_region(existing):
    other_type = ["Bakersfeld College Board", "lwib", "south-central", "Cy Oh", "cy@example.org", ""]
    other_region = ["Bakersfeld Colege", "college", "north", "Dee Park", "dee@example.org", ""]
    fine = ["Cerro Coso College", "college", "south-central", "Eve Ng", "eve@example.org", ""]
    result = preview(to_csv([fine, other_type, TYPO, other_region, [*TYPO[:3], "Fay", "fay@bc.example.org", ""]]))
    assert result.organizations_created == 4
    first, *rest = result.new_organizations
    assert (first.name, first.org_type, first.regions, first.rows) == ("Bakersfeld College", "college", ("south-central",), (4, 6))
    assert [(s.id, s.name) for s in first.similar] == [(existing.id, "Bakersfield College")] and first.similar[0].score > 95
    assert [(o.name, o.similar) for o in rest] == [("Cerro Coso College", ()), ("Bakersfeld College Board", ()),
                                                   ("Bakersfeld Colege", ())]
    assert result.as_dict()["new_organizations"][0]["similar"] == [
        {"id": existing.id, "name": "Bakersfield College", "score": first.similar[0].score}]


def test_use_existing_imports_the_rows_into_the_existing_organization(existing):
    before = organizations()
    chosen = (("bakersfeld  college", existing.id),)  # matched as names are: case and spacing aside
    previewed = preview(to_csv([TYPO]), use_existing=chosen)
    assert previewed.new_organizations == () and previewed.used_existing == (("Bakersfeld College", "Bakersfield College", existing.id),)
    result = handle(cmd.ImportContacts(csv_text=to_csv([TYPO]), source="test", use_existing=chosen), actor="test", now=NOW)
    assert (result.created, result.organizations_created) == (1, 0)
    assert organizations() == before
    ben = db.session.scalar(select(Contact).where(Contact.email == "ben@bc.example.org"))
    assert ben.organization_id == existing.id


def test_use_existing_of_another_type_is_refused_and_imports_nothing(existing):
    board = ["Bakersfeld College", "lwib", "south-central", "Ben Cho", "ben@bc.example.org", ""]
    with pytest.raises(ImportRejected) as refused:
        handle(cmd.ImportContacts(csv_text=to_csv([board]), source="test", use_existing=(("Bakersfeld College", existing.id),)),
               actor="test", now=NOW)
    assert [(e["row"], e["column"]) for e in refused.value.rows] == [(2, "org_type")]
    assert "is college, not lwib" in refused.value.rows[0]["message"]
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 1


def test_the_staff_preview_offers_use_existing_per_row_and_the_import_follows_the_choice(existing, signed_in):
    client, _ = signed_in("staff")
    text = to_csv([TYPO, ["Cerro Coso College", "college", "south-central", "Eve Ng", "eve@example.org", ""]])
    page = post_form(client, "/staff/contacts/import", {"csv_text": text, "action": "preview"},
                     token_from="/staff/contacts/import").get_data(as_text=True)
    assert "1 new organization has a name" in page and "close to an existing one" in page
    assert f'value="{existing.id}:Bakersfeld College"> Use existing “Bakersfield College”' in page
    assert "Cerro Coso College" in page and organizations() == 1
    done = client.post("/staff/contacts/import", data={"csv_text": text, "action": "import", "csrf_token": csrf_token(page),
                                                       "use_existing-1": f"{existing.id}:Bakersfeld College"})
    assert done.status_code == 200 and "Imported." in done.get_data(as_text=True)
    assert "Rows naming “Bakersfeld College” went to the existing “Bakersfield College”" in done.get_data(as_text=True)
    db.session.expire_all()
    assert sorted(db.session.scalars(select(Organization.name))) == ["Bakersfield College", "Cerro Coso College"]
    assert db.session.scalar(select(Contact).where(Contact.email == "ben@bc.example.org")).organization_id == existing.id


def test_the_api_dry_run_and_the_command_line_name_the_close_names(app, existing, runner, tmp_path):
    handle(cmd.CreateUser(email="script@example.org", password="correct-horse-battery-staple-42"), actor="test", now=NOW)
    token = handle(cmd.CreateApiToken(user_email="script@example.org", name="import"), actor="test", now=NOW)
    response = app.test_client().post("/api/v1/contacts/import?dry_run=1", data=to_csv([TYPO]),
                                      headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"})
    body = response.get_json()
    assert response.status_code == 200 and body["organizations_created"] == 1
    assert body["new_organizations"][0]["similar"][0]["name"] == "Bakersfield College"
    path = tmp_path / "contacts.csv"
    path.write_text(to_csv([TYPO]))
    result = runner.invoke(args=["contacts", "import", str(path), "--dry-run"])
    assert result.exit_code == 0
    assert "warning: new organization 'Bakersfeld College' (row 2) is close to existing 'Bakersfield College'" in result.output
