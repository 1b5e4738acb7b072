"""The event log as staff read it: each event's type in words ("Response submitted"), its payload in a sentence that
names the people, organizations, regions and rounds it is about, and who did it (queries.actors).

EVENT_WORDS lists every event type with its words, one entry per type (a test checks that none is missing).
Everything a page of events names is looked up at once (Names): one statement per kind of thing, never one per row.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from wfsurvey import settings
from wfsurvey.domain.reminders import slot_words
from wfsurvey.domain.rounds import FIELD_WORDS as ROUND_FIELDS
from wfsurvey.domain.rules import format_local
from wfsurvey.domain.series import CADENCE_WORDS, date_words
from wfsurvey.domain.stakeholders import ORG_TYPE_LABELS
from wfsurvey.domain.text import plural
from wfsurvey.models import (
    Contact,
    Convening,
    ConveningInvitation,
    EventRecord,
    Invitation,
    Organization,
    OutboxMessage,
    Round,
    User,
)
from wfsurvey.queries.actors import describe_actors, invitees, user_words
from wfsurvey.queries.status import region_names

#: How the kinds of email are called in a sentence ("the reminder to ...").
EMAIL_KINDS = {"invitation": "invitation", "reminder": "reminder", "forwarded": "passed-on invitation",
               "cancelled": "cancellation notice", "designation_alert": "alert about navigator counterparts",
               "convening_invitation": "convening invitation", "convening_reminder": "convening reminder",
               "convening_moved": "notice of a convening's new time", "convening_cancelled": "convening cancellation notice",
               "convening_promoted": "notice of a seat from the waitlist"}
#: Fields of contacts, organizations and users as a sentence names them.
FIELD_WORDS = {"name": "name", "email": "email address", "title": "job title", "org_type": "type",
               "regions": "regions", "role": "role", "active": "access"}


def _title(found: tuple[str, str] | None, missing: str) -> str:
    """A round's or a convening's (title, zone) as a sentence names it: “Winter wave”."""
    return f"“{found[0]}”" if found else missing


def _zone(found: tuple[str, str] | None) -> str:
    """The zone of a round's or a convening's (title, zone); the configured one for one no longer on record."""
    return found[1] if found else settings.current().get("TIMEZONE", "America/Los_Angeles")


def _person(found: tuple[str, str] | None) -> str:
    """(name, organization) of queries.actors.invitees as a sentence names them."""
    return f"{found[0]} ({found[1]})" if found else "someone no longer on record"


@dataclass
class Names:
    """The names of everything a page of events refers to, by id (regions by code)."""

    rounds: dict[int, tuple[str, str]] = field(default_factory=dict)
    invitations: dict[int, tuple[str, str]] = field(default_factory=dict)
    contacts: dict[int, str] = field(default_factory=dict)
    organizations: dict[int, str] = field(default_factory=dict)
    regions: dict[str, str] = field(default_factory=dict)
    messages: dict[int, tuple[str, str]] = field(default_factory=dict)
    users: dict[int, str] = field(default_factory=dict)
    convenings: dict[int, tuple[str, str]] = field(default_factory=dict)
    convening_invitations: dict[int, tuple[str, str]] = field(default_factory=dict)

    def convening(self, convening_id: Any) -> str:
        return _title(self.convenings.get(convening_id), "a convening no longer on record")

    def convening_zone(self, convening_id: Any) -> str:
        return _zone(self.convenings.get(convening_id))

    def convening_invitee(self, invitation_id: Any) -> str:
        """The person a convening invitation was for, as invitee() says a round's."""
        return _person(self.convening_invitations.get(invitation_id))

    def organization_list(self, ids: Iterable[Any]) -> str:
        names = [self.organization(i) for i in ids or ()]
        return ", ".join(names) if names else "no organization"

    def round(self, round_id: Any) -> str:
        return _title(self.rounds.get(round_id), "a round no longer on record")

    def round_zone(self, round_id: Any) -> str:
        return _zone(self.rounds.get(round_id))

    def invitee(self, invitation_id: Any) -> str:
        """"Grace Ramirez (Fresno City College)": the person an invitation was for."""
        return _person(self.invitations.get(invitation_id))

    def contact(self, contact_id: Any) -> str:
        return self.contacts.get(contact_id, "a contact no longer on record")

    def organization(self, organization_id: Any) -> str:
        return self.organizations.get(organization_id, "an organization no longer on record")

    def region(self, code: Any) -> str:
        return self.regions.get(code, str(code))

    def region_list(self, codes: Iterable[Any]) -> str:
        names = [self.region(code) for code in codes or ()]
        return ", ".join(names) if names else "no region"

    def message(self, message_id: Any, kind: str | None = None) -> str:
        """"the reminder to grace@example.org"."""
        found = self.messages.get(message_id)
        kind = kind or (found[0] if found else None)
        what = EMAIL_KINDS.get(kind or "", "email")
        return f"the {what} to {found[1]}" if found else f"an {what}" if what[0] in "aeiou" else f"a {what}"

    def user(self, user_id: Any) -> str:
        return self.users.get(user_id, "a user no longer on record")


#: Payload fields that name a thing, by the kind of thing: every event's references are found from these.
REFERENCES = {
    "rounds": ("round_id",),
    "invitations": ("invitation_id", "to_invitation_id", "forwarded_from", "via_invitation_id"),
    "contacts": ("contact_id", "to_contact_id"),
    "organizations": ("organization_id",),
    "messages": ("message_id",),
    "users": ("user_id",),
    "convenings": ("convening_id",),
    "convening_invitations": ("convening_invitation_id",),
}


def _wanted(payloads: Sequence[dict[str, Any]]) -> dict[str, set[Any]]:
    wanted: dict[str, set[Any]] = {kind: set() for kind in (*REFERENCES, "regions")}
    for payload in payloads:
        for kind, keys in REFERENCES.items():
            wanted[kind].update(payload[key] for key in keys if isinstance(payload.get(key), int))
        if isinstance(payload.get("region"), str):
            wanted["regions"].add(payload["region"])
        if isinstance(payload.get("organization_ids"), list):
            wanted["organizations"].update(i for i in payload["organization_ids"] if isinstance(i, int))
        for key in ("regions",):
            if isinstance(payload.get(key), list):
                wanted["regions"].update(code for code in payload[key] if isinstance(code, str))
        changes = payload.get("changes")
        if isinstance(changes, dict) and isinstance(changes.get("regions"), dict):
            for side in ("from", "to"):
                wanted["regions"].update(c for c in changes["regions"].get(side) or () if isinstance(c, str))
    return wanted


def look_up(session: Session, payloads: Sequence[dict[str, Any]]) -> Names:
    """Names for every reference in `payloads`: at most one statement per kind of thing."""
    wanted = _wanted(payloads)
    names = Names()
    if wanted["rounds"]:
        names.rounds = {row.id: (row.title, row.timezone) for row in session.execute(
            select(Round.id, Round.title, Round.timezone).where(Round.id.in_(wanted["rounds"])))}
    if wanted["invitations"]:
        names.invitations = invitees(session, Invitation, wanted["invitations"])
    if wanted["contacts"]:
        names.contacts = dict(session.execute(select(Contact.id, Contact.name).where(Contact.id.in_(wanted["contacts"]))).all())
    if wanted["organizations"]:
        names.organizations = dict(session.execute(
            select(Organization.id, Organization.name).where(Organization.id.in_(wanted["organizations"]))).all())
    if wanted["regions"]:
        names.regions = region_names(session, sorted(wanted["regions"]))
    if wanted["messages"]:
        names.messages = {row.id: (row.kind, row.to_addr) for row in session.execute(
            select(OutboxMessage.id, OutboxMessage.kind, OutboxMessage.to_addr).where(OutboxMessage.id.in_(wanted["messages"])))}
    if wanted["users"]:
        names.users = {row.id: user_words(row.name, row.email, row.role) for row in session.execute(
            select(User.id, User.name, User.email, User.role).where(User.id.in_(wanted["users"])))}
    if wanted["convenings"]:
        names.convenings = {row.id: (row.title, row.timezone) for row in session.execute(
            select(Convening.id, Convening.title, Convening.timezone).where(Convening.id.in_(wanted["convenings"])))}
    if wanted["convening_invitations"]:
        names.convening_invitations = invitees(session, ConveningInvitation, wanted["convening_invitations"])
    return names


def _rsvp(p: dict[str, Any], n: Names) -> str:
    said = {"yes": "yes", "no": "no", "maybe": "maybe"}.get(p.get("answer"), str(p.get("answer")))
    waiting = " (the convening is full: on the waitlist)" if p.get("waitlisted") else ""
    return f"{n.convening_invitee(p['convening_invitation_id'])} said {said} to {n.convening(p['convening_id'])}{waiting}."


# --- each event type in words ----------------------------------------------------------------------

Sentence = Callable[[dict[str, Any], Names], str]


def _when(value: str | None, tz_name: str) -> str:
    if not value:
        return "an unknown time"
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return value
    return format_local(moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC), tz_name)


def _round_changes(changes: dict[str, Any] | None, n: Names, round_id: Any) -> str:
    """"title now “Winter wave”; closing time now Friday, March 13, 2026 at 5:00 PM PDT; audience changed"."""
    said = []
    for name, value in (changes or {}).items():
        words = ROUND_FIELDS.get(name, name.replace("_", " "))
        if name == "title":
            said.append(f"title now “{value}”")
        elif name in ("opens_at", "closes_at"):
            said.append(f"{words} now {_when(value, n.round_zone(round_id))}")
        elif name == "opens_on_launch":
            said.append("now opens when it is launched" if value else "now opens at a set time")
        elif name == "is_baseline":
            said.append("now the baseline round" if value else "no longer the baseline round")
        else:
            said.append(f"{words} changed")
    return "; ".join(said) or "nothing changed"


def _cadence(cadence: Any) -> str:
    return CADENCE_WORDS.get(str(cadence), str(cadence))


def _date(value: Any) -> str:
    try:
        return date_words(dt.date.fromisoformat(str(value)))
    except ValueError:
        return str(value)


def _type_label(org_type: Any) -> str:
    return ORG_TYPE_LABELS.get(org_type, str(org_type)).lower()


def _changes(changes: dict[str, Any], n: Names) -> str:
    """"name from “A” to “B”; regions from Los Angeles to Los Angeles, Inland Empire/Desert"."""
    said = []
    for name, change in (changes or {}).items():
        if not isinstance(change, dict):
            said.append(FIELD_WORDS.get(name, name.replace("_", " ")))
            continue
        before, after = change.get("from"), change.get("to")
        if name == "regions":
            before, after = n.region_list(before or []), n.region_list(after or [])
        elif name == "org_type":
            before, after = _type_label(before), _type_label(after)
        elif name == "active":
            said.append("access restored" if after else "access disabled")
            continue
        else:
            before, after = f"“{before}”" if before else "nothing", f"“{after}”" if after else "nothing"
        said.append(f"{FIELD_WORDS.get(name, name.replace('_', ' '))} from {before} to {after}")
    return "; ".join(said) or "nothing"


def _designation(p: dict[str, Any], n: Names) -> str:
    where = f"{n.region(p.get('region'))}, {n.round(p.get('round_id'))}"
    nominee = (p.get("nominee") or {}).get("name")
    provisional = "final" if p.get("final") else "provisional while the round is open"
    if p.get("status") == "designated" and nominee:
        by = " (set by an admin)" if p.get("overridden") else ""
        return f"{where}: {nominee} is the navigator counterpart{by}, {provisional}."
    if p.get("status") == "conflict":
        return f"{where}: the local boards named {plural(len(p.get('nominations') or []), 'different person', 'different people')}; an admin must choose, {provisional}."
    return f"{where}: no navigator counterpart named yet, {provisional}."


def _reason(p: dict[str, Any]) -> str:
    return f" Reason: {p['reason']}" if p.get("reason") else ""


def _cancelled(subject: str, p: dict[str, Any]) -> str:
    """A round or a convening called off: "“Winter wave” cancelled. Reason: …"."""
    return f"{subject} cancelled.{_reason(p)}"


def _reminder(about: str, invitee: str, slot: str) -> str:
    """A reminder about a round or a convening queued: "Reminder about “Winter wave” for Grace Ramirez (…) (…)."."""
    return f"Reminder about {about} for {invitee} ({slot})."


#: Every event type: (its name in words, its payload in a sentence).
EVENT_WORDS: dict[str, tuple[str, Sentence]] = {
    # stakeholders
    "RegionCreated": ("Region added", lambda p, n: f"Region {p['name']} added."),
    "RegionRenamed": ("Region renamed", lambda p, n: f"A region is now called {p['name']}."),
    "OrganizationCreated": ("Organization added", lambda p, n: (
        f"{p['name']} added: {_type_label(p['org_type'])} in {n.region_list(p.get('regions'))}.")),
    "OrganizationUpdated": ("Organization changed", lambda p, n: (
        f"{n.organization(p['organization_id'])}: {_changes(p.get('changes'), n)}.")),
    "ContactCreated": ("Contact added", lambda p, n: (
        f"{p['name']} ({p['email']}) added at {n.organization(p['organization_id'])}.")),
    "ContactUpdated": ("Contact changed", lambda p, n: f"{n.contact(p['contact_id'])}: {_changes(p.get('changes'), n)}."),
    "ContactOptedIn": ("Contact opted back in", lambda p, n: (
        f"{n.contact(p['contact_id'])} receives survey email again. How they asked: {p.get('reason') or 'not said'}.")),
    "ContactOptedOut": ("Contact opted out", lambda p, n: (
        f"{n.contact(p['contact_id'])} receives no more survey email"
        + (" (through their link)" if p.get("via_invitation_id") or p.get("via_convening_invitation_id")
           else " (recorded by staff)")
        + f"; {plural(len(p.get('invitation_ids') or []), 'unanswered invitation')} stopped.")),
    "ContactsImported": ("Contacts imported", lambda p, n: (
        f"Import from {p['source']}: {p['created']:,} created, {p['updated']:,} updated, {p['unchanged']:,} unchanged.")),
    # templates and rounds
    "TemplateCreated": ("Template added", lambda p, n: f"“{p['title']}”, version {p['version']}, added."),
    "RoundCreated": ("Round created", lambda p, n: (
        f"Draft round “{p['title']}” created, open from "
        + ("when it is launched" if p.get("opens_on_launch") else _when(p.get('opens_at'), p.get('timezone') or 'UTC'))
        + f" until {_when(p.get('closes_at'), p.get('timezone') or 'UTC')}" + (", as the baseline round." if p.get("is_baseline") else "."))),
    "RoundEdited": ("Draft round changed", lambda p, n: f"{n.round(p['round_id'])}: {_round_changes(p.get('changes'), n, p['round_id'])}."),
    "RoundOpenedEarly": ("Round opened now", lambda p, n: (
        f"{n.round(p['round_id'])} opened {_when(p.get('opens_at'), n.round_zone(p['round_id']))}, ahead of its planned "
        f"opening {_when(p.get('planned_opens_at'), n.round_zone(p['round_id']))}; its invitations go out.")),
    "RoundRescheduled": ("Round scheduled back", lambda p, n: (
        f"{n.round(p['round_id'])} waits again for its planned opening, {_when(p.get('opens_at'), n.round_zone(p['round_id']))}"
        + (f"; {plural(p.get('held_back') or 0, 'invitation email')} held back until then." if p.get("held_back") else "."))),
    "RoundLaunched": ("Round launched", lambda p, n: (
        f"{n.round(p['round_id'])} launched: {plural(p['invitations'], 'invitation')} issued; "
        + ("it is open." if p.get("state") == "open" else f"it is {p.get('state')}, waiting for its window to open."))),
    "LatecomersInvited": ("Late-comers invited", lambda p, n: (
        f"{plural(p['invitations'], 'late-comer')} invited to {n.round(p['round_id'])}.")),
    "RoundOpened": ("Round opened", lambda p, n: f"{n.round(p['round_id'])} opened for answers."),
    "RoundExtended": ("Round extended", lambda p, n: (
        f"{n.round(p['round_id'])} now closes {_when(p.get('closes_at'), n.round_zone(p['round_id']))} "
        f"(it was to close {_when(p.get('old_closes_at'), n.round_zone(p['round_id']))}).")),
    "RoundClosed": ("Round closed", lambda p, n: (
        f"{n.round(p['round_id'])} closed{' early' if p.get('early') else ''}: no more answers are accepted.")),
    "RoundCancelled": ("Round cancelled", lambda p, n: _cancelled(n.round(p['round_id']), p)),
    # invitations and responses
    "InvitationIssued": ("Invitation issued", lambda p, n: (
        f"{n.invitee(p['invitation_id'])} invited to {n.round(p['round_id'])}"
        + (f", passed on by {n.invitee(p['forwarded_from'])}." if p.get("forwarded_from") else "."))),
    "InvitationResent": ("Invitation sent again", lambda p, n: (
        f"{n.invitee(p['invitation_id'])} sent a new link to {n.round(p['round_id'])}.")),
    "InvitationForwarded": ("Invitation passed on", lambda p, n: (
        f"{n.invitee(p['invitation_id'])} passed {n.round(p['round_id'])} on to {n.contact(p['to_contact_id'])}.")),
    "ReminderQueued": ("Reminder queued", lambda p, n: _reminder(
        n.round(p['round_id']), n.invitee(p['invitation_id']), slot_words(str(p.get('slot', ''))))),
    "ResponseDraftSaved": ("Draft saved", lambda p, n: (
        f"{n.invitee(p['invitation_id'])} saved a draft of their answers to {n.round(p['round_id'])}.")),
    "ResponseSubmitted": ("Response submitted", lambda p, n: (
        f"{n.invitee(p['invitation_id'])} submitted {plural(len(p.get('answers') or {}), 'answer')} "
        f"to {n.round(p['round_id'])}.")),
    "ResponseAmended": ("Response changed", lambda p, n: (
        f"{n.invitee(p['invitation_id'])} changed their submitted answers to {n.round(p['round_id'])} "
        f"({plural(len(p.get('answers') or {}), 'answer')} now).")),
    # mail
    "EmailDelivered": ("Email delivered", lambda p, n: (
        f"The mail server accepted {n.message(p['message_id'], p.get('kind'))}.")),
    "EmailBounced": ("Email bounced", lambda p, n: (
        f"The mail server refused {n.message(p['message_id'], p.get('kind'))}: {p.get('reason') or 'no reason given'}.")),
    "EmailDeliveryUnknown": ("Email outcome unknown", lambda p, n: (
        f"Whether {n.message(p['message_id'])} went out is not known ({p.get('reason') or 'no reason given'}); "
        "it is not sent again by itself.")),
    # designations
    "DesignationChanged": ("Designation changed", _designation),
    "DesignationOverridden": ("Designation set by an admin", lambda p, n: (
        f"{n.region(p.get('region'))}, {n.round(p.get('round_id'))}: {(p.get('nominee') or {}).get('name', 'someone')} "
        f"named navigator counterpart. Reason: {p.get('reason') or 'not said'}")),
    # convenings
    "ConveningCreated": ("Convening created", lambda p, n: (
        f"Draft convening “{p['title']}” for {n.region_list(p.get('regions'))} created, "
        f"{_when(p.get('starts_at'), p.get('timezone') or 'UTC')}"
        + (f", {plural(p['capacity'], 'seat')}." if p.get("capacity") else "."))),
    "ConveningInvitationsSent": ("Convening invitations sent", lambda p, n: (
        f"{plural(p['invitations'], 'invitation')} to {n.convening(p['convening_id'])} issued.")),
    "ConveningRescheduled": ("Convening moved", lambda p, n: (
        f"{n.convening(p['convening_id'])} now starts {_when(p.get('starts_at'), n.convening_zone(p['convening_id']))} "
        f"(it was {_when(p.get('old_starts_at'), n.convening_zone(p['convening_id']))})." + _reason(p))),
    "ConveningCancelled": ("Convening cancelled", lambda p, n: _cancelled(n.convening(p['convening_id']), p)),
    "ConveningCapacityChanged": ("Convening seats changed", lambda p, n: (
        f"{n.convening(p['convening_id'])} now has "
        + (plural(p['capacity'], 'seat') if p.get("capacity") else "no limit on seats")
        + (f" (it had {plural(p['old_capacity'], 'seat')})." if p.get("old_capacity") else " (it had no limit)."))),
    "ConveningHeld": ("Convening held", lambda p, n: f"{n.convening(p['convening_id'])} took place."),
    "ConveningInvitationIssued": ("Invited to a convening", lambda p, n: (
        f"{n.convening_invitee(p['convening_invitation_id'])} "
        + ("added at the door of " if p.get("walk_in") else "invited to ") + f"{n.convening(p['convening_id'])}.")),
    "RsvpGiven": ("RSVP", _rsvp),
    "RsvpPromoted": ("Seat from the waitlist", lambda p, n: (
        f"{n.convening_invitee(p['convening_invitation_id'])} has a seat at {n.convening(p['convening_id'])}, "
        "first on the waitlist when one opened.")),
    "ConveningReminderQueued": ("Convening reminder queued", lambda p, n: _reminder(
        n.convening(p['convening_id']), n.convening_invitee(p['convening_invitation_id']),
        "the one reminder to those who have not answered" if p.get("slot") == "no-answer"
        else slot_words(str(p.get("slot", ""))).replace("before close", "before the start"))),
    "AttendanceRecorded": ("Attendance", lambda p, n: (
        f"{n.convening_invitee(p['convening_invitation_id'])} "
        + ("attended " if p.get("attended") else "taken off the list of those who attended ")
        + f"{n.convening(p['convening_id'])}.")),
    "OutcomeNoteRecorded": ("Outcome noted", lambda p, n: (
        f"“{p['text']}”" + (f" at {n.convening(p['convening_id'])}" if p.get("convening_id") else "")
        + f": {n.region_list(p.get('regions'))}; {n.organization_list(p.get('organization_ids'))}.")),
    # round series
    "SeriesCreated": ("Round series created", lambda p, n: (
        f"Series “{p['title']}” created: “{p.get('template_slug')}” asked {_cadence(p.get('cadence'))}, the first period "
        f"ending {_date(p.get('first_period_end'))}.")),
    "SeriesPeriodStarted": ("Series period started", lambda p, n: (
        f"{n.round(p.get('round_id'))} created and launched for the period ending {_date(p.get('period_end'))}.")),
    # pilot regions
    "PilotRegionSelected": ("Pilot region chosen", lambda p, n: (
        f"{n.region(p.get('region'))} "
        + ("selected as a pilot region" if p.get("confirmed") else "proposed as a pilot region, for an admin to confirm")
        + f", from {n.round(p.get('round_id'))}. Reason: {p.get('reason') or 'not said'}")),
    "PilotRegionConfirmed": ("Pilot region confirmed", lambda p, n: (
        f"{n.region(p.get('region'))} confirmed as a pilot region.")),
    "PilotRegionDropped": ("Pilot region dropped", lambda p, n: (
        f"{n.region(p.get('region'))} is no longer a"
        + (" confirmed" if p.get("was_confirmed") else " proposed") + " pilot region." + _reason(p))),
    # users
    "UserCreated": ("User added", lambda p, n: f"Account for {p['email']} created, as {p['role']}."),
    "UserUpdated": ("User changed", lambda p, n: f"{n.user(p['user_id'])}: {_changes(p.get('changes'), n)}."),
    "ApiTokenCreated": ("API token created", lambda p, n: f"API token “{p['name']}” created for {n.user(p['user_id'])}."),
    "ApiTokenRevoked": ("API token revoked", lambda p, n: f"API token “{p['name']}” of {n.user(p['user_id'])} revoked: "
                                                          "scripts using it are refused."),
}


def type_words(type_name: str) -> str:
    """An event type in words: its EVENT_WORDS name, else the class name split ("SomethingHappened" -> "Something happened")."""
    if type_name in EVENT_WORDS:
        return EVENT_WORDS[type_name][0]
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", type_name).split()
    return " ".join([words[0], *(w.lower() for w in words[1:])]) if words else type_name


def sentence_of(type_name: str, payload: dict[str, Any], names: Names) -> str:
    """The payload of an event in a sentence (capitalized even when it starts with a name no longer on record); empty
    for a type without words, or a payload whose shape its words do not know (its JSON still says everything)."""
    words = EVENT_WORDS.get(type_name)
    try:
        said = words[1](payload, names) if words else ""
    except (KeyError, TypeError, ValueError, AttributeError):
        return ""
    return said[:1].upper() + said[1:]


@dataclass(frozen=True)
class EventLine:
    """One event as the log page shows it."""

    record: EventRecord
    #: "Response submitted".
    title: str
    #: The payload in a sentence; empty for a type without words (its JSON is still under "details").
    sentence: str
    #: Who did it, in words.
    actor: str
    #: The payload as indented JSON, for power users.
    details: str


def describe_events(session: Session, records: Sequence[EventRecord]) -> list[EventLine]:
    """The page's events in words: one statement per kind of thing they name, and one per kind of actor."""
    names = look_up(session, [record.payload or {} for record in records])
    actors = describe_actors(session, {record.actor for record in records})
    lines = []
    for record in records:
        payload = record.payload or {}
        lines.append(EventLine(record, type_words(record.type), sentence_of(record.type, payload, names), actors[record.actor],
                               json.dumps(payload, indent=2, ensure_ascii=False, sort_keys=True)))
    return lines
