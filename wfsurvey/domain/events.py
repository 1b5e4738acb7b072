"""Domain events: past-tense facts, appended to the log and handed to the registered handlers.

Payload fields are JSON-native (times as ISO 8601 strings) so that an event read back from
the log is equal to the one recorded, and projections rebuilt from the log equal the live ones.
"""
from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

_order = itertools.count()


@dataclass(frozen=True, kw_only=True)
class Event:
    #: Which aggregate the event is about ("round", "invitation", ...) and the payload field naming it.
    aggregate: ClassVar[str]
    id_field: ClassVar[str]
    #: Bumped when a payload's shape changes; stored beside each event.
    schema_version: ClassVar[int] = 1
    #: The payload's field names, found once per class (see _event): a launch appends 100,000 events.
    payload_fields: ClassVar[tuple[str, ...]] = ()
    #: Order of recording inside one process; not stored (the log's sequence is).
    _order: int = field(default_factory=lambda: next(_order), compare=False, repr=False)

    @property
    def type(self) -> str:
        return type(self).__name__

    @property
    def aggregate_id(self) -> str:
        return str(getattr(self, self.id_field))

    def payload(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.payload_fields}


def _event(aggregate: str, id_field: str):
    def wrap(cls):
        cls.aggregate = aggregate
        cls.id_field = id_field
        cls = dataclass(frozen=True, kw_only=True)(cls)
        cls.payload_fields = tuple(f.name for f in dataclasses.fields(cls) if f.name != "_order")
        return cls

    return wrap


# --- stakeholders -------------------------------------------------------------------------

@_event("region", "region_id")
class RegionCreated(Event):
    region_id: int
    scheme: str
    code: str
    name: str


@_event("region", "region_id")
class RegionRenamed(Event):
    region_id: int
    name: str


@_event("organization", "organization_id")
class OrganizationCreated(Event):
    organization_id: int
    name: str
    org_type: str
    regions: list[str]


@_event("organization", "organization_id")
class OrganizationUpdated(Event):
    organization_id: int
    changes: dict[str, Any]


@_event("contact", "contact_id")
class ContactCreated(Event):
    contact_id: int
    organization_id: int
    name: str
    email: str
    title: str


@_event("contact", "contact_id")
class ContactUpdated(Event):
    contact_id: int
    changes: dict[str, Any]


@_event("contact", "contact_id")
class ContactOptedIn(Event):
    contact_id: int
    #: How the person asked (kept for the audit trail: an opt-in needs their say-so).
    reason: str


@_event("contact", "contact_id")
class ContactOptedOut(Event):
    #: 2: via_convening_invitation_id added (version 1 payloads lack it and read as None).
    schema_version = 2
    contact_id: int
    #: Invitations of open or scheduled rounds that the opt-out stops.
    invitation_ids: list[int]
    via_invitation_id: int | None = None
    #: Set when the person used a convening's link (/c/<token>/opt-out).
    via_convening_invitation_id: int | None = None


@_event("import", "source")
class ContactsImported(Event):
    source: str
    created: int
    updated: int
    unchanged: int


# --- templates and rounds -----------------------------------------------------------------

@_event("template", "template_id")
class TemplateCreated(Event):
    template_id: int
    slug: str
    version: int
    title: str


@_event("round", "round_id")
class RoundCreated(Event):
    round_id: int
    template_id: int
    title: str
    opens_at: str
    closes_at: str
    timezone: str
    is_baseline: bool
    #: The window starts when the round is launched (opens_at is the draft's estimate).
    opens_on_launch: bool = False


@_event("round", "round_id")
class RoundLaunched(Event):
    round_id: int
    state: str
    invitations: int


@_event("round", "round_id")
class LatecomersInvited(Event):
    """Recorded after the InvitationIssued events of the late-comers, so that policies see them projected."""
    round_id: int
    invitations: int


@_event("round", "round_id")
class RoundOpened(Event):
    round_id: int


@_event("round", "round_id")
class RoundEdited(Event):
    """A draft's definition changed: each changed field (as DEFINITION_FIELDS of wfsurvey.domain.rounds names it)
    with its new value."""
    round_id: int
    changes: dict[str, Any]


@_event("round", "round_id")
class RoundOpenedEarly(Event):
    """"Open now": a scheduled round opened before its planned time (kept, so that it can be scheduled back)."""
    round_id: int
    planned_opens_at: str
    opens_at: str


@_event("round", "round_id")
class RoundRescheduled(Event):
    """"Schedule": a round opened ahead of its time waits for its planned opening again."""
    round_id: int
    opens_at: str
    #: Invitation emails still waiting that were held back (they go out when the round opens).
    held_back: int


@_event("round", "round_id")
class RoundExtended(Event):
    round_id: int
    old_closes_at: str
    closes_at: str


@_event("round", "round_id")
class RoundClosed(Event):
    round_id: int
    closed_at: str
    early: bool


@_event("round", "round_id")
class RoundCancelled(Event):
    round_id: int
    reason: str


# --- invitations and responses ------------------------------------------------------------

@_event("invitation", "invitation_id")
class InvitationIssued(Event):
    invitation_id: int
    round_id: int
    contact_id: int
    organization_id: int
    org_type: str
    regions: list[str]
    forwarded_from: int | None = None


@_event("invitation", "invitation_id")
class InvitationResent(Event):
    invitation_id: int
    round_id: int


@_event("invitation", "invitation_id")
class InvitationForwarded(Event):
    invitation_id: int
    round_id: int
    to_invitation_id: int
    to_contact_id: int


@_event("invitation", "invitation_id")
class ReminderQueued(Event):
    invitation_id: int
    round_id: int
    #: The schedule slot ("P2D") or "manual:<date>".
    slot: str
    message_id: int


@_event("invitation", "invitation_id")
class ResponseDraftSaved(Event):
    invitation_id: int
    round_id: int
    response_id: int


@_event("invitation", "invitation_id")
class ResponseSubmitted(Event):
    invitation_id: int
    round_id: int
    response_id: int
    organization_id: int
    org_type: str
    regions: list[str]
    answers: dict[str, Any]


@_event("invitation", "invitation_id")
class ResponseAmended(Event):
    invitation_id: int
    round_id: int
    response_id: int
    organization_id: int
    org_type: str
    regions: list[str]
    answers: dict[str, Any]


# --- mail ---------------------------------------------------------------------------------

@_event("message", "message_id")
class EmailDelivered(Event):
    message_id: int
    kind: str
    invitation_id: int | None
    round_id: int | None


@_event("message", "message_id")
class EmailBounced(Event):
    message_id: int
    kind: str
    invitation_id: int | None
    round_id: int | None
    reason: str


@_event("message", "message_id")
class EmailDeliveryUnknown(Event):
    message_id: int
    reason: str


# --- designations -------------------------------------------------------------------------

@_event("designation", "key")
class DesignationChanged(Event):
    #: "<round id>:<region code>".
    key: str
    round_id: int
    region: str
    status: str
    final: bool
    nominee: dict[str, Any] | None
    nominations: list[dict[str, Any]]
    explanation: str
    #: Logical time of the decision, ISO 8601.
    decided_at: str
    overridden: bool = False


@_event("designation", "key")
class DesignationOverridden(Event):
    key: str
    round_id: int
    region: str
    nominee: dict[str, Any]
    reason: str


# --- convenings ---------------------------------------------------------------------------

@_event("convening", "convening_id")
class ConveningCreated(Event):
    convening_id: int
    title: str
    regions: list[str]
    starts_at: str
    ends_at: str
    timezone: str
    capacity: int | None


@_event("convening", "convening_id")
class ConveningInvitationsSent(Event):
    """Recorded after the ConveningInvitationIssued events of the invitees."""
    convening_id: int
    invitations: int


@_event("convening", "convening_id")
class ConveningRescheduled(Event):
    convening_id: int
    old_starts_at: str
    old_ends_at: str
    starts_at: str
    ends_at: str
    #: The iCalendar SEQUENCE the invitees' calendars now hold.
    sequence: int
    reason: str


@_event("convening", "convening_id")
class ConveningCancelled(Event):
    convening_id: int
    reason: str
    sequence: int


@_event("convening", "convening_id")
class ConveningCapacityChanged(Event):
    """The seats changed (None: no limit); seats added went to the waitlist (RsvpPromoted, after this)."""
    convening_id: int
    capacity: int | None
    old_capacity: int | None


@_event("convening", "convening_id")
class ConveningHeld(Event):
    convening_id: int


@_event("convening_invitation", "convening_invitation_id")
class ConveningInvitationIssued(Event):
    convening_invitation_id: int
    convening_id: int
    contact_id: int
    organization_id: int
    regions: list[str]
    walk_in: bool = False


@_event("convening_invitation", "convening_invitation_id")
class RsvpGiven(Event):
    """An invitee answered (or changed their answer); a yes beyond capacity is waitlisted."""
    convening_invitation_id: int
    convening_id: int
    contact_id: int
    organization_id: int
    answer: str
    waitlisted: bool
    #: Whether a note or needs were given (their text stays in the invitation, out of the log's feed).
    with_note: bool = False


@_event("convening_invitation", "convening_invitation_id")
class RsvpPromoted(Event):
    """A seat freed up and the first on the waitlist has it."""
    convening_invitation_id: int
    convening_id: int
    contact_id: int
    organization_id: int


@_event("convening_invitation", "convening_invitation_id")
class ConveningReminderQueued(Event):
    convening_invitation_id: int
    convening_id: int
    #: The schedule slot ("P2D"), or "no-answer" for the one reminder to people who have not answered.
    slot: str
    message_id: int


@_event("convening_invitation", "convening_invitation_id")
class AttendanceRecorded(Event):
    convening_invitation_id: int
    convening_id: int
    contact_id: int
    organization_id: int
    attended: bool


@_event("outcome_note", "note_id")
class OutcomeNoteRecorded(Event):
    note_id: int
    convening_id: int | None
    text: str
    regions: list[str]
    organization_ids: list[int]


# --- users --------------------------------------------------------------------------------

# --- round series --------------------------------------------------------------------------

@_event("series", "series_id")
class SeriesCreated(Event):
    series_id: int
    title: str
    template_slug: str
    cadence: str
    #: ISO date.
    first_period_end: str
    timezone: str


@_event("series", "series_id")
class SeriesPeriodStarted(Event):
    """A period's round was created and launched (its RoundCreated and RoundLaunched come before)."""
    series_id: int
    period: int
    round_id: int
    #: ISO date the period ends.
    period_end: str


# --- pilot regions -------------------------------------------------------------------------

@_event("pilot", "region")
class PilotRegionSelected(Event):
    """Staff proposed a region as a pilot region (confirmed: False), or an admin selected it (confirmed: True)."""
    region: str
    #: The round whose baseline the choice rests on.
    round_id: int
    reason: str
    confirmed: bool


@_event("pilot", "region")
class PilotRegionConfirmed(Event):
    """An admin confirmed a region that staff proposed."""
    region: str
    round_id: int


@_event("pilot", "region")
class PilotRegionDropped(Event):
    region: str
    round_id: int
    reason: str
    #: Whether it had been confirmed (only an admin drops a confirmed one).
    was_confirmed: bool


@_event("user", "user_id")
class UserCreated(Event):
    user_id: int
    email: str
    role: str


@_event("user", "user_id")
class UserUpdated(Event):
    """An admin disabled, enabled or changed the role of an account: {"active"|"role": {"from", "to"}}."""
    user_id: int
    changes: dict[str, Any]


@_event("user", "user_id")
class ApiTokenCreated(Event):
    user_id: int
    token_id: int
    name: str


@_event("user", "user_id")
class ApiTokenRevoked(Event):
    """A token was revoked (by its owner, an admin, or the command line): it is refused from now on."""
    user_id: int
    token_id: int
    name: str


EVENT_TYPES: dict[str, type[Event]] = {
    cls.__name__: cls
    for cls in list(globals().values())
    if isinstance(cls, type) and issubclass(cls, Event) and cls is not Event
}


def from_record(type_name: str, payload: dict[str, Any]) -> Event:
    """Rebuild an event from the log."""
    return EVENT_TYPES[type_name](**payload)


def runs_of_one_type(events: list[Event]) -> Iterable[list[Event]]:
    """Split events, in order, into maximal runs of the same type (handlers take a run at once)."""
    run: list[Event] = []
    for event in events:
        if run and type(run[-1]) is not type(event):
            yield run
            run = []
        run.append(event)
    if run:
        yield run
