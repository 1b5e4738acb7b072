"""Regions and contacts import: every row checked first, all-or-nothing, idempotent, errors by spreadsheet row."""
from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import event, func, select

from wfsurvey.domain import commands as cmd
from wfsurvey.domain.stakeholders import slugify
from wfsurvey.extensions import db
from wfsurvey.models import Contact, EventRecord, Organization, Region
from wfsurvey.services import handle
from wfsurvey.services.imports import ImportRejected

NOW = dt.datetime(2026, 9, 15, 17, 0, tzinfo=dt.timezone.utc)
HEADER = ["organization", "org_type", "region", "name", "email", "title"]
REGIONS = ["Inland Empire/Desert", "Los Angeles", "Central Valley/Mother Lode", "Bay Area"]
TYPES = ["lwib", "college", "employer", "partner"]


@pytest.fixture
def regions(app):
    handle(cmd.ImportRegions(rows=tuple({"name": n} for n in REGIONS), scheme="cc-macro"), actor="test", now=NOW)


def contact_rows(n: int, per_org: int = 10) -> list[list[str]]:
    """n data rows: per_org contacts per organization; regions given by name, by code, or two joined by ';'."""
    rows = []
    for i in range(n):
        org = i // per_org
        region = [REGIONS[org % 4], slugify(REGIONS[org % 4]).upper(), f"{REGIONS[0]}; los-angeles"][org % 3]
        rows.append([f"Organization {org}", TYPES[org % 4], region, f"Person {i}", f"Person.{i}@Example.org",
                     f"Title {i}"])
    return rows


def to_csv(rows: list[list[str]], header: list[str] = HEADER) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def counts() -> dict[str, int]:
    session = db.session
    return {
        "contacts": session.scalar(select(func.count()).select_from(Contact)),
        "organizations": session.scalar(select(func.count()).select_from(Organization)),
        "events": session.scalar(select(func.count()).select_from(EventRecord)),
    }


def event_types(after: int = 0) -> list[str]:
    return list(db.session.scalars(select(EventRecord.type).where(EventRecord.seq > after).order_by(EventRecord.seq)))


def last_seq() -> int:
    return db.session.scalar(select(func.max(EventRecord.seq))) or 0


def run_import(text: str, dry_run: bool = False):
    return handle(cmd.ImportContacts(csv_text=text, source="test", dry_run=dry_run), actor="test", now=NOW)


def rejected(text: str) -> list[dict]:
    with pytest.raises(ImportRejected) as info:
        run_import(text)
    assert info.value.code == "invalid"
    return info.value.fields["rows"]


def test_one_bad_row_among_500_imports_nothing_then_fixed_file_imports_500_then_nothing_new(regions):
    rows = contact_rows(500)
    rows[315][4] = "person315-at-example.org"  # data row 316 = spreadsheet row 317
    before = counts()

    errors = rejected(to_csv(rows))

    assert [(e["row"], e["column"]) for e in errors] == [(317, "email")]
    assert "person315-at-example.org" in errors[0]["message"]
    assert counts() == before  # not one contact, organization or event written

    rows[315][4] = "person315@example.org"
    result = run_import(to_csv(rows))
    assert (result.created, result.updated, result.unchanged) == (500, 0, 0)
    assert result.organizations_created == 50
    after_first = counts()
    assert after_first["contacts"] == 500 and after_first["organizations"] == 50
    kinds = event_types(after=0)
    assert kinds.count("ContactCreated") == 500 and kinds.count("OrganizationCreated") == 50
    assert kinds[-1] == "ContactsImported"
    stored = db.session.scalars(select(Contact).where(Contact.email == "person.7@example.org")).one()
    assert stored.organization.name == "Organization 0" and stored.title == "Title 7"

    seq = last_seq()
    again = run_import(to_csv(rows))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 500)
    assert counts()["contacts"] == 500 and counts()["organizations"] == 50
    assert event_types(after=seq) == ["ContactsImported"]
    summary = db.session.scalars(select(EventRecord).where(EventRecord.seq > seq)).one()
    assert summary.payload == {"source": "test", "created": 0, "updated": 0, "unchanged": 500}


def test_several_regions_by_name_or_code_case_insensitively(regions):
    text = to_csv([["Riverside Board", "LWIB", "inland empire/desert ; LOS-ANGELES", "Ana Ruiz", "ana@example.org", ""]])
    run_import(text)
    org = db.session.scalars(select(Organization)).one()
    assert org.org_type == "lwib"
    assert org.region_codes == ["inland-empire-desert", "los-angeles"]
    created = db.session.scalars(select(EventRecord).where(EventRecord.type == "OrganizationCreated")).one()
    assert created.payload["regions"] == ["inland-empire-desert", "los-angeles"]


def test_duplicate_email_in_file_names_both_rows(regions):
    rows = contact_rows(6)
    rows[4][4] = "PERSON.1@example.org"  # same address as row 3 once normalized
    errors = rejected(to_csv(rows))
    assert {(e["row"], e["column"]) for e in errors} == {(3, "email"), (6, "email")}
    assert all("person.1@example.org" in e["message"] for e in errors)
    assert "row 6" in next(e for e in errors if e["row"] == 3)["message"]
    assert counts()["contacts"] == 0


def test_unknown_region_and_wrong_type_are_named_with_all_other_errors(regions):
    rows = contact_rows(5)
    rows[1][2] = "Atlantis"
    rows[3][1] = "school"
    rows[4][3] = ""
    errors = rejected(to_csv(rows))
    assert [(e["row"], e["column"]) for e in errors] == [(3, "region"), (5, "org_type"), (6, "name")]
    assert "Atlantis" in errors[0]["message"] and "inland-empire-desert" in errors[0]["message"]
    assert "lwib, college, employer, partner" in errors[1]["message"]
    assert counts()["organizations"] == 0


def test_organisation_with_two_types_in_file_or_against_database(regions):
    run_import(to_csv([["Chaffey College", "college", "Inland Empire/Desert", "A B", "ab@example.org", ""]]))
    rows = [
        ["Acme Tools", "employer", "Los Angeles", "C D", "cd@example.org", ""],
        ["ACME tools", "partner", "Los Angeles", "E F", "ef@example.org", ""],
        ["Chaffey College", "lwib", "Inland Empire/Desert", "G H", "gh@example.org", ""],
    ]
    errors = rejected(to_csv(rows))
    assert [(e["row"], e["column"]) for e in errors] == [(3, "org_type"), (4, "org_type")]
    assert "employer on row 2" in errors[0]["message"]
    assert "college in the database" in errors[1]["message"]


def test_email_of_a_contact_of_another_organisation_is_refused(regions):
    run_import(to_csv([["Norco College", "college", "Inland Empire/Desert", "A B", "ab@example.org", ""]]))
    errors = rejected(to_csv([["Chaffey College", "college", "Inland Empire/Desert", "A B", "AB@example.org", ""]]))
    assert [(e["row"], e["column"]) for e in errors] == [(2, "email")]
    assert "Norco College" in errors[0]["message"]
    assert counts()["organizations"] == 1


def test_missing_column_is_a_header_error(app):
    with pytest.raises(ImportRejected) as info:
        run_import("organization,org_type,region,name\nA,lwib,x,y\n")
    assert [(e["row"], e["column"]) for e in info.value.fields["rows"]] == [(1, "email")]
    assert "missing column email" in info.value.fields["rows"][0]["message"]


def test_dry_run_counts_and_writes_nothing(regions):
    before = counts()
    result = run_import(to_csv(contact_rows(20)), dry_run=True)
    assert (result.created, result.updated, result.unchanged, result.organizations_created) == (20, 0, 0, 2)
    assert result.dry_run is True
    assert counts() == before


def test_changed_title_is_one_update_with_its_event(regions):
    rows = contact_rows(10)
    run_import(to_csv(rows))
    seq = last_seq()
    rows[3][5] = "Executive Director"
    result = run_import(to_csv(rows))
    assert (result.created, result.updated, result.unchanged) == (0, 1, 9)
    assert event_types(after=seq) == ["ContactUpdated", "ContactsImported"]
    updated = db.session.scalars(select(EventRecord).where(EventRecord.type == "ContactUpdated")).one()
    assert updated.payload["changes"] == {"title": {"from": "Title 3", "to": "Executive Director"}}
    db.session.expire_all()
    assert db.session.scalars(select(Contact.title).where(Contact.email == "person.3@example.org")).one() == "Executive Director"


def test_changed_regions_update_the_organisation(regions):
    run_import(to_csv([["Kern Board", "lwib", "Central Valley/Mother Lode", "A B", "ab@example.org", "x"]]))
    seq = last_seq()
    result = run_import(to_csv([["Kern Board", "lwib", "central-valley-mother-lode;Los Angeles", "A B", "ab@example.org", "x"]]))
    assert (result.unchanged, result.organizations_updated) == (1, 1)
    assert event_types(after=seq) == ["OrganizationUpdated", "ContactsImported"]
    change = db.session.scalars(select(EventRecord).where(EventRecord.type == "OrganizationUpdated")).one().payload
    assert change["changes"] == {"regions": {"from": ["central-valley-mother-lode"],
                                             "to": ["central-valley-mother-lode", "los-angeles"]}}


def test_cli_prints_row_errors_and_exits_1_then_imports(regions, runner, tmp_path):
    rows = contact_rows(30)
    rows[10][4] = "not an email"
    path = tmp_path / "contacts.csv"
    path.write_text(to_csv(rows), encoding="utf-8")
    result = runner.invoke(args=["contacts", "import", str(path)])
    assert result.exit_code == 1
    assert "row 12, email: 'not an email' is not a valid email address" in result.output
    assert "nothing was imported" in result.output
    assert counts()["contacts"] == 0

    rows[10][4] = "someone@example.org"
    path.write_text(to_csv(rows), encoding="utf-8-sig")  # Excel's "CSV UTF-8" starts with a BOM
    result = runner.invoke(args=["contacts", "import", "--dry-run", str(path)])
    assert result.exit_code == 0, result.output
    assert "would have contacts: 30 created" in result.output
    assert counts()["contacts"] == 0
    result = runner.invoke(args=["contacts", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "contacts: 30 created, 0 updated, 0 unchanged" in result.output
    assert counts()["contacts"] == 30


def test_cli_refuses_a_file_that_is_not_utf8(regions, runner, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(to_csv([["Café Board", "lwib", "Bay Area", "A", "a@example.org", ""]]).encode("latin-1"))
    result = runner.invoke(args=["contacts", "import", str(path)])
    assert result.exit_code == 1
    assert "not UTF-8" in result.output


def test_import_needs_a_fixed_number_of_queries_whatever_the_size(regions):
    def statements_for(text: str) -> int:
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731  (statement text)
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            run_import(text)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return sum(1 for s in seen if s.lstrip().upper().startswith("SELECT"))

    small, large = contact_rows(40), contact_rows(800)
    assert statements_for(to_csv(small)) == statements_for(to_csv(large[40:]))
    # Re-importing (every row matched against the database) also does not query per row.
    assert statements_for(to_csv(large)) <= 12


def test_regions_cli_derives_codes_and_is_idempotent(app, runner, tmp_path):
    path = tmp_path / "regions.csv"
    path.write_text("name\nInland Empire/Desert\nNorth/Far North\n", encoding="utf-8")
    result = runner.invoke(args=["regions", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "2 created" in result.output
    assert sorted(db.session.scalars(select(Region.code))) == ["inland-empire-desert", "north-far-north"]
    result = runner.invoke(args=["regions", "import", str(path)])
    assert "0 created, 0 renamed, 2 unchanged" in result.output
    assert event_types().count("RegionCreated") == 2

    path.write_text("code,name\nnorth-far-north,North / Far North\nBad Code,X\n", encoding="utf-8")
    result = runner.invoke(args=["regions", "import", str(path)])
    assert result.exit_code == 1
    assert "row 3, code" in result.output
    assert db.session.scalars(select(Region.name).where(Region.code == "north-far-north")).one() == "North/Far North"


def test_create_region_is_idempotent_and_refuses_a_clash(make_region):
    first = make_region("Los Angeles")
    assert first.code == "los-angeles" and first.scheme == "cc-macro"
    assert make_region("Los Angeles").id == first.id
    with pytest.raises(Exception) as info:
        handle(cmd.CreateRegion(name="Greater LA", code="los-angeles"), actor="test", now=NOW)
    assert info.value.code == "conflict"
    assert event_types().count("RegionCreated") == 1


def test_factories_make_stored_stakeholders(make_contact, make_organization, make_region):
    region = make_region("Orange County")
    org = make_organization("Santa Ana WDB", "lwib", [region])
    contact = make_contact(org, email="Pat@Example.ORG")
    assert contact.email == "pat@example.org"
    assert contact.organization.region_codes == ["orange-county"]
    assert event_types() == ["RegionCreated", "OrganizationCreated", "ContactCreated"]


def test_empty_or_unreadable_file_is_rejected_with_a_reason(regions):
    assert "the file is empty" in rejected("")[0]["message"]
    errors = rejected(to_csv(contact_rows(3)) + '"' + "x" * 200_000 + '",lwib\n')
    assert errors[0]["row"] == 5 and "unreadable CSV" in errors[0]["message"]


def test_progress_is_told_every_row_and_service_runs_without_the_bus(regions):
    from wfsurvey.services.imports import import_contacts

    seen = []
    result = import_contacts(db.session, to_csv(contact_rows(1234)), dry_run=True, progress=seen.append)
    assert sum(seen) == 1234 and len(seen) > 1
    assert result.created == 1234
    db.session.rollback()
    assert counts()["contacts"] == 0


@pytest.mark.postgres_only
def test_two_imports_racing_to_create_one_organisation_both_land(app, regions, monkeypatch):
    # Import A reads the database (the organization is missing), then import B creates it and commits
    # before A writes: A's insert breaks the unique name, and A runs again and joins B's organization.
    import threading

    from wfsurvey.services import imports

    file_a = to_csv([["Racing Board", "lwib", "Los Angeles", "Ann", "ann@racing.example.org", ""],
                     ["Racing Board", "lwib", "Los Angeles", "Abe", "abe@racing.example.org", ""]])
    file_b = to_csv([["Racing Board", "lwib", "Los Angeles", "Bea", "bea@racing.example.org", ""]])
    results = {}
    raced = []

    def import_b() -> None:
        with app.app_context():
            results["b"] = run_import(file_b)
            db.session.remove()

    real_load = imports._load_existing

    def load_then_let_b_win(session, rows):
        plan = real_load(session, rows)
        if not raced:
            raced.append(True)
            thread = threading.Thread(target=import_b)
            thread.start()
            thread.join()
        return plan

    monkeypatch.setattr(imports, "_load_existing", load_then_let_b_win)
    result_a = run_import(file_a)

    assert results["b"].organizations_created == 1
    assert (result_a.created, result_a.organizations_created) == (2, 0)
    org = db.session.scalars(select(Organization).where(Organization.name == "Racing Board")).one()
    assert sorted(c.email for c in org.contacts) == ["abe@racing.example.org", "ann@racing.example.org",
                                                     "bea@racing.example.org"]
