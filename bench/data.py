"""Benchmark data made through the real commands: regions, a contacts CSV imported with ImportContacts, a template, rounds.

Stakeholders at 100k scale may instead be written with Core inserts (`bulk_stakeholders`), the one
shortcut the benchmarks allow themselves: every measured operation goes through the real code path.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, insert, select

UTC = dt.timezone.utc
#: Organization types by the last digit of the contact number: 10% boards, 20% colleges, 50% employers, 20% partners.
ORG_TYPE_BY_DIGIT = ("lwib", "college", "college", "employer", "employer", "employer", "employer", "employer",
                     "partner", "partner")
REGIONS = 20
SLUG = "bench-collab"

TEMPLATE: dict[str, Any] = {
    "slug": SLUG,
    "title": "Regional collaboration (benchmark)",
    "questions": [
        {"key": "targets_am", "type": "yes_no", "label": "Does the organization target Advanced Manufacturing?",
         "required": True},
        {"key": "initiatives", "type": "long_text", "label": "Regional initiatives", "required": True,
         "show_if": {"question": "targets_am", "equals": "yes"}},
        {"key": "colleges", "type": "scale", "label": "Collaboration with colleges", "required": True},
        {"key": "stage", "type": "single_choice", "label": "Stage of the partnership", "required": True,
         "options": [{"value": "none", "label": "None"}, {"value": "talks", "label": "In talks"},
                     {"value": "active", "label": "Active"}]},
        {"key": "occupations", "type": "multi_choice", "label": "Occupations in demand",
         "options": [{"value": "cnc", "label": "CNC machinist"}, {"value": "welder", "label": "Welder"},
                     {"value": "mechatronics", "label": "Mechatronics technician"}]},
        {"key": "slots", "type": "number", "label": "Earn-and-learn slots", "min": 0},
        {"key": "navigator", "type": "contact", "label": "Regional navigator counterpart",
         "show_if": {"org_type": ["lwib"]}},
    ],
}


def region_code(r: int) -> str:
    return f"region-{r:03d}"


def org_type(i: int) -> str:
    return ORG_TYPE_BY_DIGIT[i % 10]


def region_of(i: int, regions: int = REGIONS) -> str:
    """The region of organization `i`: ten in a row share one, so that every type is spread over every region.

    (By `i % regions`, as before 2026-12-05, every local board fell in 2 of the 20 regions: 5,000 boards a
    region at 100,000 organizations, where California has 45 boards in all; a board's submit, which decides its
    region with its region's boards' answers, then grew through a run as those answers piled up.)
    """
    return region_code((i // 10) % regions)


def contacts_csv(count: int, regions: int = REGIONS, start: int = 0) -> str:
    """A contacts file of `count` people, one organization each, spread over `regions` regions."""
    lines = ["organization,org_type,region,name,email,title"]
    for i in range(start, start + count):
        lines.append(f"Org {i:06d},{org_type(i)},{region_of(i, regions)},Person {i:06d},person{i:06d}@example.org,Director")
    return "\n".join(lines) + "\n"


def create_regions(now: dt.datetime, regions: int = REGIONS) -> list[str]:
    from wfsurvey.domain import commands as cmd
    from wfsurvey.services import handle

    codes = [region_code(r) for r in range(regions)]
    for code in codes:
        handle(cmd.CreateRegion(code=code, name=f"Region {code[-3:]}", scheme="cc-macro"), actor="bench", now=now)
    return codes


def import_contacts(count: int, now: dt.datetime, regions: int = REGIONS, start: int = 0) -> None:
    """The real import (ImportContacts), one file; validation of 100,000 rows included."""
    from wfsurvey.domain import commands as cmd
    from wfsurvey.services import handle

    handle(cmd.ImportContacts(contacts_csv(count, regions, start), source="bench"), actor="bench", now=now)


def bulk_stakeholders(count: int, now: dt.datetime, regions: int = REGIONS) -> None:
    """Organizations, their regions and contacts written with Core inserts: the fast path for 100k-scale setup."""
    from wfsurvey.extensions import db
    from wfsurvey.models import Contact, Organization, Region, organization_regions

    session = db.session
    region_ids = dict(session.execute(select(Region.code, Region.id)).all())
    first = (session.scalar(select(func.max(Organization.id))) or 0) + 1
    first_contact = (session.scalar(select(func.max(Contact.id))) or 0) + 1
    for start in range(0, count, 10000):
        block = range(start, min(count, start + 10000))
        session.execute(insert(Organization), [
            {"id": first + i, "name": f"Org {i:06d}", "org_type": org_type(i), "created_at": now} for i in block])
        session.execute(insert(organization_regions), [
            {"organization_id": first + i, "region_id": region_ids[region_of(i, regions)]} for i in block])
        session.execute(insert(Contact), [
            {"id": first_contact + i, "organization_id": first + i, "name": f"Person {i:06d}",
             "email": f"person{i:06d}@example.org", "title": "Director", "created_at": now, "updated_at": now}
            for i in block])
    session.commit()


def create_template(now: dt.datetime) -> None:
    from wfsurvey.domain import commands as cmd
    from wfsurvey.services import handle

    handle(cmd.CreateTemplate(TEMPLATE), actor="bench", now=now)


def round_definition(*, opens_at: dt.datetime, closes_at: dt.datetime, title: str = "National round",
                     offsets: Sequence[str] = ("P7D", "P2D", "P1D"), min_gap_hours: float = 20,
                     send_hours: Sequence[int] = (8, 18), regions: Sequence[str] = ()) -> dict[str, Any]:
    return {
        "template": SLUG, "title": title, "timezone": "America/Los_Angeles",
        "opens_at": opens_at.isoformat(), "closes_at": closes_at.isoformat(),
        "audience": {"regions": list(regions), "org_types": []},
        "reminders": {"offsets": list(offsets), "min_gap_hours": min_gap_hours, "send_hours": list(send_hours)},
    }


def create_round(now: dt.datetime, **definition: Any) -> int:
    from wfsurvey.schemas.rounds import round_command
    from wfsurvey.services import handle

    return handle(round_command(round_definition(**definition)), actor="bench", now=now).id


def launch(round_id: int, now: dt.datetime) -> int:
    from wfsurvey.domain import commands as cmd
    from wfsurvey.services import handle

    handle(cmd.LaunchRound(round_id), actor="bench", now=now)
    return round_id


LINK = re.compile(r"/r/([A-Za-z0-9_\-]+)")


def open_round(count: int, now: dt.datetime) -> int:
    """Regions, `count` contacts, the template, and a round open since yesterday for two weeks, launched; its id."""
    create_regions(now)
    import_contacts(count, now)
    create_template(now)
    round_id = create_round(now, opens_at=now - dt.timedelta(days=1), closes_at=now + dt.timedelta(days=14))
    launch(round_id, now)
    return round_id


def tokens_of_round(round_id: int) -> list[tuple[int, str]]:
    """(invitation id, token) of every invitation message queued for a round, read from the links in the messages."""
    from wfsurvey.extensions import db
    from wfsurvey.models import OutboxMessage

    rows = db.session.execute(
        select(OutboxMessage.invitation_id, OutboxMessage.body_text)
        .where(OutboxMessage.round_id == round_id, OutboxMessage.kind == "invitation").order_by(OutboxMessage.invitation_id)
    ).all()
    db.session.rollback()
    out = []
    for invitation_id, body in rows:
        match = LINK.search(body)
        if match is not None:
            out.append((invitation_id, match.group(1)))
    return out


def answers_form(i: int, kind: str, region: str) -> dict[str, list[str]]:
    """A complete form for contact number `i` of type `kind`; boards name one of a few counterparts of their region."""
    yes = i % 3 != 0
    form = {
        "targets_am": ["yes" if yes else "no"],
        "colleges": [str(1 + i % 5)],
        "stage": [("none", "talks", "active")[i % 3]],
        "occupations": [("cnc", "welder", "mechatronics")[i % 3], "welder"] if i % 2 else [],
        "slots": [str(i % 40)],
    }
    if yes:
        form["initiatives"] = [f"Apprenticeship pathway {i} with the local college; employer round tables each quarter."]
    if kind == "lwib":
        person = i % 3 if i % 7 else 0
        form["navigator.name"] = [f"Navigator {person} of {region}"]
        form["navigator.email"] = [f"navigator{person}.{region}@example.org"]
        form["navigator.organization"] = [f"College of {region}"]
    return {k: v for k, v in form.items() if v}


def form_body(i: int, kind: str, region: str, revision: int = 0) -> str:
    """The form as a browser would POST it (application/x-www-form-urlencoded), submit button included."""
    from urllib.parse import urlencode

    pairs = [(k, v) for k, values in answers_form(i, kind, region).items() for v in values]
    pairs += [("revision", str(revision)), ("action", "submit")]
    return urlencode(pairs)


def invitation_facts(invitation_ids: Iterable[int]) -> dict[int, tuple[int, str, str]]:
    """Per invitation: (contact number i as in the CSV, org type, first region code)."""
    from wfsurvey.extensions import db
    from wfsurvey.models import Contact, Invitation, InvitationProgress

    ids = list(invitation_ids)
    out: dict[int, tuple[int, str, str]] = {}
    for start in range(0, len(ids), 5000):
        rows = db.session.execute(
            select(Invitation.id, Contact.email, InvitationProgress.org_type, InvitationProgress.regions)
            .join(Contact, Contact.id == Invitation.contact_id)
            .join(InvitationProgress, InvitationProgress.invitation_id == Invitation.id)
            .where(Invitation.id.in_(ids[start:start + 5000]))
        ).all()
        for invitation_id, email, kind, regions in rows:
            out[invitation_id] = (int(email[6:12]), kind, regions.split(",")[0])
    db.session.rollback()
    return out


def submit_many(invitation_ids: Sequence[int], now: dt.datetime, batch: int = 2000) -> int:
    """Submit complete answers for many invitations through the real SaveAnswers handler, `batch` per transaction.

    The handler, its events, projections and policies run exactly as for one respondent; only the
    commit is shared by a batch (the setup of a 40,000-response round would take minutes otherwise).
    """
    from wfsurvey.domain import commands as cmd
    from wfsurvey.extensions import db
    from wfsurvey.services import bus
    from wfsurvey.services.respond import save_answers
    from wfsurvey.services.unit_of_work import SqlAlchemyUnitOfWork

    facts = invitation_facts(invitation_ids)
    message_bus = bus()
    done = 0
    for start in range(0, len(invitation_ids), batch):
        uow = SqlAlchemyUnitOfWork(db.session, actor="bench", now=now)
        uow.dispatch = message_bus.dispatch
        with uow:
            for invitation_id in invitation_ids[start:start + batch]:
                i, kind, region = facts[invitation_id]
                save_answers(cmd.SaveAnswers(invitation_id, form=answers_form(i, kind, region), submit=True, revision=0), uow)
                done += 1
            uow.commit()
        db.session.expunge_all()
    return done


def deliver_all(round_id: int, now: dt.datetime, batch: int = 5000) -> int:
    """Record every queued invitation message of a round as delivered (RecordDeliveryOutcomes), as the sender would.

    The rows are claimed the way the sender claims them; no SMTP server is involved, the outcomes
    and their events (EmailDelivered, the invitation sent, the completion projection) are the real ones.
    """
    from sqlalchemy import update

    from wfsurvey.domain import commands as cmd
    from wfsurvey.extensions import db
    from wfsurvey.mail.outbox import SENDING, Claim
    from wfsurvey.models import OutboxMessage
    from wfsurvey.services import handle

    session = db.session
    ids = session.scalars(
        select(OutboxMessage.id).where(OutboxMessage.round_id == round_id, OutboxMessage.status == "queued")
        .order_by(OutboxMessage.id)
    ).all()
    claim = Claim(SENDING, "bench")
    for start in range(0, len(ids), batch):
        chunk = ids[start:start + batch]
        session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(chunk))
                        .values(status="sending", claim_stage=claim.stage, claim_batch=claim.batch, claim_stage_at=now))
        session.commit()
        handle(cmd.RecordDeliveryOutcomes(tuple(cmd.DeliveryOutcome(m, "sent", claim=claim) for m in chunk)),
               actor="system:delivery", now=now)
        session.expunge_all()
    return len(ids)
