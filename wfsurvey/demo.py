"""The demo data set: California's community-college regions, its 45 local boards, the colleges of three
target regions with one example.org contact each, a staff user, an admin, and the default template.

Everything goes through the same commands as real data, so running it twice changes nothing.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from wfsurvey.clock import now as clock_now
from wfsurvey.domain import commands as cmd
from wfsurvey.domain.rules import format_local, parse_local
from wfsurvey.domain.stakeholders import DEFAULT_REGION_SCHEME, slugify
from wfsurvey.extensions import db
from wfsurvey.models import Contact, Invitation, Organization, Region, Round, Template, User
from wfsurvey.paths import DATA_DIR
from wfsurvey.services import handle
from wfsurvey.services.handlers import COMMAND_HANDLERS
from wfsurvey.services.imports import ImportResult

CALIFORNIA_DIR = DATA_DIR / "california"
TEMPLATE_FILE = DATA_DIR / "templates" / "regional-collaboration-am.json"
#: The starter template of the recurring outcome reports (indicators per period, and initiatives in words).
OUTCOME_TEMPLATE_FILE = DATA_DIR / "templates" / "regional-outcomes-am.json"
SCHEME = DEFAULT_REGION_SCHEME
#: The regions whose colleges the demo loads (the program's first targets).
TARGET_REGIONS = ("Inland Empire/Desert", "Central Valley/Mother Lode", "Los Angeles")
DEMO_DOMAIN = "example.org"
DEMO_USERS = (("staff@example.org", "staff", "Demo Staff"), ("admin@example.org", "admin", "Demo Admin"))
ACTOR = "demo"
#: email-validator refuses a local part longer than 64 characters.
MAX_LOCAL_PART = 64

FIRST_NAMES = ("Alex", "Maria", "Jordan", "Priya", "Samuel", "Lucia", "Daniel", "Mei", "Carlos", "Aisha",
               "Robert", "Elena", "Kevin", "Fatima", "Jamal", "Grace", "Diego", "Hannah", "Tomas", "Nadia")
LAST_NAMES = ("Rivera", "Nguyen", "Patel", "Garcia", "Johnson", "Kim", "Martinez", "Chen", "Lopez", "Okafor",
              "Hernandez", "Singh", "Brown", "Ramirez", "Wilson", "Flores", "Tran", "Davis", "Morales", "Ali")
TITLES = {"lwib": "Business Services Manager", "college": "Dean of Career Education"}


@dataclass
class DemoReport:
    """What `demo` did and what the database holds afterwards."""

    contacts_import: ImportResult | None = None
    regions_created: int = 0
    #: email -> password, only for users created by this run (printed once, never stored).
    new_passwords: dict[str, str] = field(default_factory=dict)
    existing_users: list[str] = field(default_factory=list)
    template: str = ""
    #: The sample round: (id, title, created by this run, what it is now in words).
    round: tuple[int, str, bool, str] | None = None
    #: The sample draft convening: (id, title, created by this run).
    convening: tuple[int, str, bool] | None = None
    counts: dict[str, Any] = field(default_factory=dict)


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [{k: (v or "").strip() for k, v in row.items() if k} for row in csv.DictReader(fh)]


def cc_regions() -> list[str]:
    """Names of the community-college macro regions (regions.csv rows of type cc_region)."""
    return [row["name"] for row in _read_csv(CALIFORNIA_DIR / "regions.csv") if row["region_type"] == "cc_region"]


def local_boards() -> list[tuple[str, str]]:
    """(board name, cc macro region) for each of the 45 boards in lwdb.csv.

    A board whose cc region is blank takes the one every other board of its regional planning unit
    (RPU) has, when they all agree; if they don't, the data file must be fixed, so this raises.
    In the shipped file every board has a region; three are split in reality (Golden Sierra: Alpine
    County is in Central Valley/Mother Lode; Workforce Alliance of the North Bay: Lake and Mendocino
    are probably North/Far North; LA County: Antelope Valley and Santa Clarita lie in South Central
    Coast) and the file gives each its main region, which the demo keeps: one region per board.
    """
    rows = _read_csv(CALIFORNIA_DIR / "lwdb.csv")
    by_rpu: dict[str, set[str]] = {}
    for row in rows:
        if row["cc_macro_region"]:
            by_rpu.setdefault(row["rpu"], set()).add(row["cc_macro_region"])
    boards = []
    for row in rows:
        region = row["cc_macro_region"]
        if not region:
            candidates = by_rpu.get(row["rpu"], set())
            if len(candidates) != 1:
                raise ValueError(f"lwdb.csv: {row['name']!r} has no cc region and RPU {row['rpu']!r} does not settle it")
            region = next(iter(candidates))
        boards.append((row["name"], region))
    return boards


def target_colleges() -> list[tuple[str, str]]:
    """(college name, cc macro region) for the colleges of the target regions in colleges.csv."""
    return [(row["name"], row["cc_macro_region"]) for row in _read_csv(CALIFORNIA_DIR / "colleges.csv")
            if row["cc_macro_region"] in TARGET_REGIONS]


def demo_email(org_name: str) -> str:
    """navigator.<slug of the organization>@example.org, shortened with a hash suffix when too long."""
    slug = slugify(org_name)
    room = MAX_LOCAL_PART - len("navigator.")
    if len(slug) > room:
        digest = hashlib.sha256(slug.encode()).hexdigest()[:6]
        slug = slug[:room - 7].rstrip("-") + "-" + digest
    return f"navigator.{slug}@{DEMO_DOMAIN}"


def demo_person(org_name: str) -> str:
    """A made-up but stable name for the organization's demo contact."""
    n = int(hashlib.sha256(org_name.encode()).hexdigest(), 16)
    return f"{FIRST_NAMES[n % len(FIRST_NAMES)]} {LAST_NAMES[(n // len(FIRST_NAMES)) % len(LAST_NAMES)]}"


def contacts_csv() -> str:
    """The demo organizations and contacts as a contacts-import CSV (the same format staff upload)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["organization", "org_type", "region", "name", "email", "title"])
    for org_type, orgs in (("lwib", local_boards()), ("college", target_colleges())):
        for name, region in orgs:
            writer.writerow([name, org_type, region, demo_person(name), demo_email(name), TITLES[org_type]])
    return buffer.getvalue()


def _ensure_users(report: DemoReport, now: dt.datetime | None) -> None:
    for email, role, name in DEMO_USERS:
        if db.session.scalars(select(User.id).where(User.email == email)).first() is not None:
            report.existing_users.append(email)
            continue
        password = secrets.token_urlsafe(15)  # 20 characters, ~120 bits
        handle(cmd.CreateUser(email=email, password=password, role=role, name=name), actor=ACTOR, now=now)
        report.new_passwords[email] = password


def _ensure_template(report: DemoReport, now: dt.datetime | None) -> None:
    said = []
    for path in (TEMPLATE_FILE, OUTCOME_TEMPLATE_FILE):
        definition = json.loads(path.read_text(encoding="utf-8"))
        slug = definition["slug"]
        if db.session.scalars(select(Template.id).where(Template.slug == slug)).first() is not None:
            said.append(f"{slug} (already there)")
            continue
        create = getattr(cmd, "CreateTemplate", None)
        if create is None or create not in COMMAND_HANDLERS:
            said.append(f"{slug} skipped: this build has no template service")
            continue
        handle(create(definition=definition), actor=ACTOR, now=now)
        said.append(f"{slug} (created)")
    report.template = ", ".join(said)


#: The sample round: a draft to review and launch (nothing is sent until staff launch it); it opens when launched.
DEMO_ROUND_TITLE = "Advanced Manufacturing baseline"
DEMO_ROUND_TIMEZONE = "America/Los_Angeles"
#: The sample round closes at 5 PM on the local day this many days after the demo is loaded (three weeks after a
#: launch the next day).
DEMO_ROUND_DAYS = 22


def describe_round(round_: Round, invitations: int, now: dt.datetime) -> str:
    """The sample round as it is now, in words: a re-run of `demo` tells what became of it."""
    closes = format_local(round_.closes_at, round_.timezone)
    if round_.state == "draft":
        opens = "opens when you launch it" if round_.opens_on_launch else f"opens {format_local(round_.opens_at, round_.timezone)}"
        return f"a draft that {opens} and closes {closes}: review its audience and launch it"
    invited = f"{invitations} invitation{'' if invitations == 1 else 's'}"
    if round_.state == "scheduled":
        return f"launched, {invited}; it opens {format_local(round_.opens_at, round_.timezone)} and closes {closes}"
    if round_.state == "open":
        return f"open since {format_local(round_.opens_at, round_.timezone)}, {invited}; it closes {closes}"
    if round_.state == "closed":
        return f"closed {format_local(round_.closed_at or round_.closes_at, round_.timezone)}, {invited}"
    return f"cancelled {format_local(round_.cancelled_at or now, round_.timezone)}"


def _ensure_draft_round(report: DemoReport, now: dt.datetime | None) -> None:
    """A draft round over the target regions' boards and colleges that opens when launched, for three weeks."""
    moment = now or clock_now()
    # The demo's own round, whatever became of it since (launched, renamed, closed): the first one it made.
    existing = db.session.scalars(select(Round).where(Round.created_by == ACTOR).order_by(Round.id)).first()
    created = existing is None
    if created:
        definition = json.loads(TEMPLATE_FILE.read_text(encoding="utf-8"))
        if db.session.scalars(select(Template.id).where(Template.slug == definition["slug"])).first() is None:
            return
        from zoneinfo import ZoneInfo

        today = moment.astimezone(ZoneInfo(DEMO_ROUND_TIMEZONE)).date()
        closes = today + dt.timedelta(days=DEMO_ROUND_DAYS)
        existing = handle(cmd.CreateRound(
            template_slug=definition["slug"], title=DEMO_ROUND_TITLE, timezone=DEMO_ROUND_TIMEZONE,
            opens_at=moment, opens_on_launch=True,
            closes_at=parse_local(dt.datetime.combine(closes, dt.time(17)), DEMO_ROUND_TIMEZONE),
            audience=cmd.Audience(regions=tuple(slugify(name) for name in TARGET_REGIONS), org_types=("lwib", "college")),
            baseline=True,
        ), actor=ACTOR, now=now)
    invitations = db.session.scalar(select(func.count(Invitation.id)).where(Invitation.round_id == existing.id)) or 0
    report.round = (existing.id, existing.title, created, describe_round(existing, invitations, moment))


DEMO_CONVENING_TITLE = "Inland Empire/Desert advanced manufacturing convening"


def _ensure_draft_convening(report: DemoReport, now: dt.datetime | None) -> None:
    """A draft convening of the Inland Empire/Desert's boards and colleges, a month from now, with 40 seats."""
    from wfsurvey.models import Convening

    existing = db.session.scalars(select(Convening.id).where(Convening.title == DEMO_CONVENING_TITLE)).first()
    if existing is not None:
        report.convening = (existing, DEMO_CONVENING_TITLE, False)
        return
    from zoneinfo import ZoneInfo

    day = (now or clock_now()).astimezone(ZoneInfo(DEMO_ROUND_TIMEZONE)).date() + dt.timedelta(days=30)
    convening = handle(cmd.CreateConvening(
        title=DEMO_CONVENING_TITLE, purpose="Agree on shared objectives for an advanced manufacturing pilot, and link "
        "each local board with its regional navigator counterpart.", regions=(slugify(TARGET_REGIONS[0]),),
        timezone=DEMO_ROUND_TIMEZONE, starts_at=parse_local(dt.datetime.combine(day, dt.time(9)), DEMO_ROUND_TIMEZONE),
        ends_at=parse_local(dt.datetime.combine(day, dt.time(12, 30)), DEMO_ROUND_TIMEZONE),
        location="Riverside City College, Digital Library, Room 101", capacity=40,
        audience=cmd.Audience(org_types=("lwib", "college")),
    ), actor=ACTOR, now=now)
    report.convening = (convening.id, DEMO_CONVENING_TITLE, True)


def _counts() -> dict[str, Any]:
    session = db.session
    by_type = dict(session.execute(select(Organization.org_type, func.count()).group_by(Organization.org_type)).all())
    return {
        "regions": session.scalar(select(func.count()).select_from(Region).where(Region.scheme == SCHEME)),
        "organizations": Counter(by_type),
        "contacts": session.scalar(select(func.count()).select_from(Contact)),
        "users": session.scalar(select(func.count()).select_from(User)),
        "templates": session.scalar(select(func.count(func.distinct(Template.slug)))),
    }


def load_demo(now: dt.datetime | None = None) -> DemoReport:
    """Load (or top up) the demo data in the current app's database; safe to run any number of times."""
    report = DemoReport()
    result = handle(cmd.ImportRegions(rows=tuple({"name": name} for name in cc_regions()), scheme=SCHEME),
                    actor=ACTOR, now=now)
    report.regions_created = result.created
    report.contacts_import = handle(
        cmd.ImportContacts(csv_text=contacts_csv(), source="demo", scheme=SCHEME), actor=ACTOR, now=now
    )
    _ensure_users(report, now)
    _ensure_template(report, now)
    _ensure_draft_round(report, now)
    _ensure_draft_convening(report, now)
    report.counts = _counts()
    return report


def print_report(report: DemoReport, echo: Callable[[str], Any], login_url: str, round_url: str = "") -> None:
    counts = report.counts
    orgs = counts["organizations"]
    imported = report.contacts_import
    echo(f"regions ({SCHEME}): {counts['regions']} ({report.regions_created} new)")
    echo("organizations: " + ", ".join(f"{n} {t}" for t, n in sorted(orgs.items())) + f" ({sum(orgs.values())} in all)")
    if imported is not None:
        echo(f"contacts: {counts['contacts']} (import: {imported.created} created, {imported.updated} updated, "
             f"{imported.unchanged} unchanged)")
    echo(f"template: {report.template}")
    if report.round is not None:
        round_id, title, created, words = report.round
        echo(f"round: “{title}”{' (created)' if created else ''}, {words}: {round_url or f'/staff/rounds/{round_id}'}")
    if report.convening is not None:
        convening_id, title, created = report.convening
        echo(f"convening: “{title}” (draft{', created' if created else ''}): send its invitations at "
             f"/staff/convenings/{convening_id}")
    echo(f"users: {counts['users']}")
    for email, password in report.new_passwords.items():
        echo(f"  created {email}  password: {password}   (shown once: note it now)")
    for email in report.existing_users:
        echo(f"  {email} exists; to choose a new password: wfsurvey users set-password {email}")
    echo(f"log in at {login_url}")
