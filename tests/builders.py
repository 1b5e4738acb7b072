"""Small builders for integration tests: stakeholders as rows, a template, a launched round."""
from __future__ import annotations

import datetime as dt

from wfsurvey.domain import commands as cmd
from wfsurvey.extensions import db
from wfsurvey.models import Contact, Organization, Region
from wfsurvey.schemas.rounds import round_command
from wfsurvey.services import handle

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 10, 1, 16, 0, tzinfo=UTC)

TEMPLATE = {
    "slug": "collab",
    "title": "Regional collaboration",
    "questions": [
        {"key": "targets_am", "type": "yes_no", "label": "Does the board target Advanced Manufacturing?", "required": True},
        {"key": "initiatives", "type": "long_text", "label": "Regional initiatives", "required": True,
         "show_if": {"question": "targets_am", "equals": "yes"}},
        {"key": "colleges", "type": "scale", "label": "Collaboration with colleges", "required": True},
        {"key": "occupations", "type": "multi_choice", "label": "Occupations in demand",
         "options": [{"value": "cnc", "label": "CNC machinist"}, {"value": "welder", "label": "Welder"},
                     {"value": "mechatronics", "label": "Mechatronics technician"}]},
        {"key": "slots", "type": "number", "label": "Earn-and-learn slots", "min": 0},
        {"key": "navigator", "type": "contact", "label": "Regional navigator counterpart",
         "show_if": {"org_type": ["lwib"]}},
    ],
}


def stakeholders(regions=("inland-empire-desert", "los-angeles"), boards=2, colleges=2, now=T0) -> list[Contact]:
    """Per region: `boards` lwib and `colleges` college organizations with one contact each."""
    session = db.session
    contacts = []
    for code in regions:
        region = Region(scheme="cc-macro", code=code, name=code.replace("-", " ").title(), created_at=now)
        session.add(region)
        for kind, n in (("lwib", boards), ("college", colleges)):
            for i in range(n):
                org = Organization(name=f"{region.name} {kind} {i + 1}", org_type=kind, created_at=now, regions=[region])
                contact = Contact(organization=org, name=f"Person {code} {kind} {i + 1}",
                                  email=f"{kind}{i + 1}.{code}@example.org", title="Director",
                                  created_at=now, updated_at=now)
                session.add_all([org, contact])
                contacts.append(contact)
    session.commit()
    return contacts


def template(definition=None, now=T0):
    return handle(cmd.CreateTemplate(definition or TEMPLATE), actor="test", now=now)


def round_definition(**over) -> dict:
    d = {
        "template": "collab",
        "title": "AM baseline 2026",
        "timezone": "America/Los_Angeles",
        "opens_at": "2026-10-05T09:00",
        "closes_at": "2026-11-02T17:00",
        "audience": {"regions": [], "org_types": []},
        "reminders": {"offsets": ["P7D", "P2D", "P1D"], "min_gap_hours": 20, "send_hours": [8, 18]},
    }
    d.update(over)
    return d


def launched_round(now=None, **over):
    """A round created and launched at `now` (default: a time inside its window, so it opens at once)."""
    now = now or dt.datetime(2026, 10, 6, 17, 0, tzinfo=UTC)
    r = handle(round_command(round_definition(**over)), actor="test", now=now)
    handle(cmd.LaunchRound(r.id), actor="test", now=now)
    return db.session.get(type(r), r.id)
