"""`wfsurvey demo`: California's regions, 45 boards, the target regions' colleges, users and the template, loaded once."""
from __future__ import annotations

import csv
import re

import pytest
from sqlalchemy import func, select

from wfsurvey import demo
from wfsurvey.extensions import db
from wfsurvey.models import Contact, EventRecord, Invitation, Organization, Region, Round, Template, User
from wfsurvey.services.users import verify_password


def college_count_of_target_regions() -> int:
    with (demo.CALIFORNIA_DIR / "colleges.csv").open(encoding="utf-8", newline="") as fh:
        return sum(1 for row in csv.DictReader(fh) if row["cc_macro_region"] in demo.TARGET_REGIONS)


def snapshot() -> dict:
    session = db.session
    count = lambda model: session.scalar(select(func.count()).select_from(model))  # noqa: E731
    return {
        "regions": count(Region), "organizations": count(Organization), "contacts": count(Contact),
        "users": count(User), "templates": count(Template),
    }


def test_demo_loads_regions_boards_colleges_contacts_users_and_template(runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output

    regions = db.session.scalars(select(Region).order_by(Region.code)).all()
    assert [r.code for r in regions] == [
        "bay-area", "central-valley-mother-lode", "inland-empire-desert", "los-angeles",
        "north-far-north", "orange-county", "san-diego-imperial", "south-central-coast",
    ]
    assert {r.scheme for r in regions} == {"cc-macro"}
    by_type = dict(db.session.execute(select(Organization.org_type, func.count()).group_by(Organization.org_type)).all())
    colleges = college_count_of_target_regions()
    assert colleges == 46  # 19 Los Angeles + 12 Inland Empire/Desert + 15 Central Valley/Mother Lode
    assert by_type == {"lwib": 45, "college": colleges}

    # Every board has exactly one region; quoted names with commas came through whole.
    kern = db.session.scalars(select(Organization).where(Organization.name.like("Kern, Inyo%"))).one()
    assert kern.name == "Kern, Inyo & Mono Counties Workforce Development Board"
    assert kern.region_codes == ["central-valley-mother-lode"]
    boards = db.session.scalars(select(Organization).where(Organization.org_type == "lwib")).all()
    assert all(len(b.regions) == 1 for b in boards)
    assert sum(1 for b in boards if b.region_codes == ["inland-empire-desert"]) == 2

    contacts = db.session.scalars(select(Contact)).all()
    assert len(contacts) == 45 + colleges
    assert len({c.organization_id for c in contacts}) == 45 + colleges  # one contact each
    assert all(c.email.endswith("@example.org") and c.email.startswith("navigator.") for c in contacts)
    assert all(len(c.email.split("@")[0]) <= 64 for c in contacts)

    users = {u.email: u for u in db.session.scalars(select(User))}
    assert {e: u.role for e, u in users.items()} == {"staff@example.org": "staff", "admin@example.org": "admin"}
    printed = dict(re.findall(r"created (\S+@example\.org)\s+password: (\S+)", result.output))
    assert set(printed) == set(users)
    assert all(verify_password(users[email], password) for email, password in printed.items())

    template, outcomes = db.session.scalars(select(Template).order_by(Template.id)).all()
    assert (template.slug, template.version) == ("regional-collaboration-am", 1)
    # The starter outcome template: six indicators (the baseline asks one of them too) and initiatives in words.
    assert outcomes.slug == "regional-outcomes-am"
    assert [(q["indicator"]["code"], q["indicator"]["aggregate"]) for q in outcomes.questions if "indicator" in q] == [
        ("jobs_filled", "sum"), ("credentials_attained", "sum"), ("etp_contracts", "sum"), ("tax_credit_employers", "sum"),
        ("earn_learn_slots", "sum"), ("wbl_programs", "sum")]
    assert outcomes.question("initiatives")["type"] == "long_text"
    assert template.question("earn_learn_slots")["indicator"]["code"] == "earn_learn_slots"
    assert template.title == "Regional collaboration on Advanced Manufacturing"
    navigator = template.question("navigator")
    assert navigator["type"] == "contact" and navigator["show_if"] == {"org_type": ["lwib"]}
    assert template.question("regional_initiatives")["show_if"] == {"question": "targets_am", "equals": "yes"}
    assert [template.question(k)["type"] for k in ("collab_colleges", "collab_k12", "collab_apprenticeship",
                                                     "collab_industry")] == ["scale"] * 4

    assert "45 lwib" in result.output and f"{colleges} college" in result.output
    assert "regional-collaboration-am (created), regional-outcomes-am (created)" in result.output

    # A draft round to review and launch: nothing invited or sent until staff launch it, and it opens then.
    round_ = db.session.scalars(select(Round)).one()
    assert (round_.title, round_.state, round_.is_baseline) == ("Advanced Manufacturing baseline", "draft", True)
    assert round_.opens_on_launch and round_.opens_at < round_.closes_at
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 0
    assert re.search(r"round: “Advanced Manufacturing baseline” \(created\), a draft that opens when you launch it and "
                     r"closes \w+day, \w+ \d+, \d{4} at 5:00 PM P[SD]T: review its audience and launch it: "
                     rf"http://localhost/staff/rounds/{round_.id}\n", result.output)  # BASE_URL of the tests

    # A draft convening of the Inland Empire/Desert's boards and colleges: nobody invited until staff send it.
    from wfsurvey.models import Convening, ConveningInvitation
    convening = db.session.scalars(select(Convening)).one()
    assert (convening.title, convening.state, convening.regions) == (demo.DEMO_CONVENING_TITLE, "draft", ["inland-empire-desert"])
    assert db.session.scalar(select(func.count()).select_from(ConveningInvitation)) == 0
    assert f"send its invitations at /staff/convenings/{convening.id}" in result.output


def test_demo_twice_adds_nothing_but_the_import_summary(runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    before = snapshot()
    last = db.session.scalar(select(func.max(EventRecord.seq)))

    result = runner.invoke(args=["demo"])

    assert result.exit_code == 0, result.output
    assert snapshot() == before
    new_events = db.session.scalars(select(EventRecord.type).where(EventRecord.seq > last)).all()
    assert new_events == ["ContactsImported"]
    assert "shown once" not in result.output  # no password printed again
    assert "staff@example.org exists" in result.output and "users set-password" in result.output
    assert "0 created, 0 updated, 91 unchanged" in result.output
    assert "round: “Advanced Manufacturing baseline”, a draft that opens when you launch it" in result.output


def test_a_rerun_describes_the_demo_round_as_it_is_now(runner, app):
    import datetime as dt

    from wfsurvey.domain import commands as cmd
    from wfsurvey.services import handle

    loaded = dt.datetime(2026, 10, 1, 16, 0, tzinfo=dt.timezone.utc)
    app.config["FIXED_NOW"] = loaded
    assert runner.invoke(args=["demo"]).exit_code == 0
    round_ = db.session.scalars(select(Round)).one()
    launched = loaded + dt.timedelta(hours=1)
    handle(cmd.LaunchRound(round_.id), actor="user:1", now=launched)

    app.config["FIXED_NOW"] = launched + dt.timedelta(hours=1)
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0, again.output
    invited = db.session.scalar(select(func.count()).select_from(Invitation))
    assert (f"round: “Advanced Manufacturing baseline”, open since Thursday, October 1, 2026 at 10:00 AM PDT, "
            f"{invited} invitations; it closes Friday, October 23, 2026 at 5:00 PM PDT: "
            f"http://localhost/staff/rounds/{round_.id}") in again.output
    assert "launch it" not in again.output
    assert db.session.scalar(select(func.count()).select_from(Round)) == 1  # no second draft


def test_board_without_cc_region_takes_the_one_of_its_rpu(tmp_path, monkeypatch):
    source = (demo.CALIFORNIA_DIR / "lwdb.csv").read_text(encoding="utf-8")
    patched = source.replace("Kings County Workforce Development Board,San Joaquin Valley and Associated Counties,"
                             "Central Valley/Mother Lode,", "Kings County Workforce Development Board,"
                             "San Joaquin Valley and Associated Counties,,")
    assert patched != source
    (tmp_path / "lwdb.csv").write_text(patched, encoding="utf-8")
    monkeypatch.setattr(demo, "CALIFORNIA_DIR", tmp_path)
    boards = dict(demo.local_boards())
    assert len(boards) == 45
    assert boards["Kings County Workforce Development Board"] == "Central Valley/Mother Lode"


def test_board_whose_rpu_is_ambiguous_is_an_error(tmp_path, monkeypatch):
    (tmp_path / "lwdb.csv").write_text(
        "name,rpu,cc_macro_region,source_note\nA Board,Split RPU,,x\nB Board,Split RPU,Bay Area,x\n"
        "C Board,Split RPU,North/Far North,x\n", encoding="utf-8")
    monkeypatch.setattr(demo, "CALIFORNIA_DIR", tmp_path)
    with pytest.raises(ValueError, match="A Board"):
        demo.local_boards()


def test_demo_emails_are_deterministic_and_short():
    long_name = "NoRTEC (Northern Rural Training and Employment Consortium) Workforce Development Board"
    email = demo.demo_email(long_name)
    assert email == demo.demo_email(long_name)
    assert len(email.split("@")[0]) <= 64 and email.endswith("@example.org")
    assert demo.demo_email("Chaffey College") == "navigator.chaffey-college@example.org"
