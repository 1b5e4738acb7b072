"""Commands: imperatives that one service handler each carries out (see wfsurvey.services.handlers)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from wfsurvey.domain.reminders import ReminderPolicy

UTC = dt.timezone.utc

# --- stakeholders -------------------------------------------------------------------------

@dataclass(frozen=True)
class CreateRegion:
    """Create one region; code defaults to the slug of the name, scheme to the configured REGION_SCHEME."""
    name: str
    code: str = ""
    scheme: str | None = None


@dataclass(frozen=True)
class ImportRegions:
    """Create or rename regions from rows {"name", "code"?} (numbered from 2, as under a CSV header)."""
    rows: tuple[dict[str, str], ...]
    scheme: str | None = None


@dataclass(frozen=True)
class CreateOrganization:
    name: str
    org_type: str
    #: Region codes or names within `scheme`.
    regions: tuple[str, ...] = ()
    scheme: str | None = None


@dataclass(frozen=True)
class CreateContact:
    organization_id: int
    name: str
    email: str
    title: str = ""


@dataclass(frozen=True)
class ImportContacts:
    """Validate a whole contacts CSV, then create or update its organizations and contacts (all or nothing)."""
    csv_text: str
    #: Where the file came from ("cli:contacts.csv", "api", "demo"), kept in the summary event.
    source: str = "import"
    dry_run: bool = False
    #: Region scheme the region column refers to (None: the configured REGION_SCHEME).
    scheme: str | None = None
    #: Called with a number of rows validated, for a progress bar; not part of what the command means.
    progress: Any = field(default=None, compare=False, repr=False)
    #: (organization name as the file spells it, id of an existing organization): rows naming the first go to the
    #: second instead of creating it (the preview's "use existing" for a name close to an existing one).
    use_existing: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class UpdateOrganization:
    """Rename, retype or re-place an organization (regions by code or name within `scheme`)."""
    organization_id: int
    name: str
    org_type: str
    regions: tuple[str, ...] = ()
    scheme: str | None = None


@dataclass(frozen=True)
class UpdateContact:
    contact_id: int
    name: str
    email: str
    title: str = ""


@dataclass(frozen=True)
class MarkContactOptedOut:
    """Staff record a person's request (by phone, letter...) to receive no more survey mail."""
    contact_id: int


@dataclass(frozen=True)
class MarkContactOptedIn:
    """Staff record that a person who opted out asked to receive survey mail again, and how they asked."""
    contact_id: int
    reason: str


# --- users --------------------------------------------------------------------------------

@dataclass(frozen=True)
class CreateUser:
    email: str
    password: str = field(repr=False)
    role: str = "staff"
    name: str = ""


@dataclass(frozen=True)
class SetPassword:
    """Replace a user's password and end all their sessions."""
    email: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class CreateApiToken:
    """Returns the bearer token, the only time it exists outside the caller: only its hash is stored."""
    user_email: str
    name: str


@dataclass(frozen=True)
class RevokeApiToken:
    """Revoke an API token at once; with owner_id, only if it is that user's (a user revoking their own)."""
    token_id: int
    owner_id: int | None = None


@dataclass(frozen=True)
class SetUserActive:
    """Disable (active=False) or enable an account; disabling ends every session of the user."""
    user_id: int
    active: bool


@dataclass(frozen=True)
class SetUserRole:
    user_id: int
    role: str


@dataclass(frozen=True)
class EndUserSessions:
    """Sign out: every session of the user ends server-side (the session nonce changes)."""
    user_id: int


@dataclass(frozen=True)
class RecordLogin:
    """Note a successful sign-in; with the password just checked, a hash made with older parameters is redone."""
    user_id: int
    password: str | None = field(default=None, repr=False)


# --- templates and rounds -----------------------------------------------------------------

@dataclass(frozen=True)
class CreateTemplate:
    #: The POST /templates shape: slug, title, description, questions.
    definition: dict[str, Any]


@dataclass(frozen=True)
class Audience:
    """Who a round invites: the contacts of these regions and organization types, plus and minus named people."""

    #: Region codes or names of the configured scheme (a created round stores codes); empty: every region.
    regions: tuple[str, ...] = ()
    #: Organization types; empty: every type.
    org_types: tuple[str, ...] = ()
    #: Contacts (ids or email addresses) invited whatever their region and type.
    include_contacts: tuple[int | str, ...] = ()
    #: Contacts (ids or email addresses) never invited.
    exclude_contacts: tuple[int | str, ...] = ()

    def to_stored(self) -> dict[str, list[Any]]:
        """The round's JSON column: {"regions", "org_types", "include_contacts", "exclude_contacts"}, each a list."""
        return {"regions": list(self.regions), "org_types": list(self.org_types),
                "include_contacts": list(self.include_contacts), "exclude_contacts": list(self.exclude_contacts)}

    @classmethod
    def from_stored(cls, stored: Mapping[str, Any] | None) -> Audience:
        stored = stored or {}
        return cls(regions=tuple(stored.get("regions") or ()), org_types=tuple(stored.get("org_types") or ()),
                   include_contacts=tuple(stored.get("include_contacts") or ()),
                   exclude_contacts=tuple(stored.get("exclude_contacts") or ()))


@dataclass(frozen=True)
class CreateRound:
    """Create a draft round. The edges check the values and build the command (the API's RoundCreateSchema, the
    staff wizard's RoundForm); the handler checks only what needs the database: the template, the regions."""

    template_slug: str
    title: str
    #: The window, aware (stored and compared in UTC).
    opens_at: dt.datetime
    closes_at: dt.datetime
    #: None: the template's latest version.
    template_version: int | None = None
    #: The zone the window and the sending hours are read in.
    timezone: str = "America/Los_Angeles"
    audience: Audience = field(default_factory=Audience)
    reminders: ReminderPolicy = field(default_factory=ReminderPolicy)
    #: Whether this is the baseline round of its template (later rounds are compared against it).
    baseline: bool = False
    #: "organization": one response per organization (the first to submit); "contact": one per person.
    response_rule: str = "organization"
    #: The window starts when the round is launched (opens_at is then only the draft's estimate).
    opens_on_launch: bool = False
    #: The series and period the round is for (set by StartSeriesPeriod only).
    series_id: int | None = None
    period: int | None = None

    def __post_init__(self) -> None:
        for name in ("opens_at", "closes_at"):
            moment = getattr(self, name)
            if moment.tzinfo is None:
                raise ValueError(f"CreateRound.{name} must be an aware datetime, not {moment!r}")
            object.__setattr__(self, name, moment.astimezone(UTC))


@dataclass(frozen=True)
class LaunchRound:
    round_id: int


@dataclass(frozen=True)
class OpenRound:
    round_id: int


@dataclass(frozen=True)
class EditRound:
    """Change every field of a draft round: `definition` says the whole round as CreateRound does."""
    round_id: int
    definition: CreateRound


@dataclass(frozen=True)
class OpenRoundNow:
    """Open a scheduled round before its planned time: its invitations go out at once."""
    round_id: int


@dataclass(frozen=True)
class ScheduleRound:
    """Put a round opened ahead of its planned time back to waiting for that time."""
    round_id: int


@dataclass(frozen=True)
class CloseRound:
    round_id: int


@dataclass(frozen=True)
class ExtendRound:
    round_id: int
    closes_at: dt.datetime


@dataclass(frozen=True)
class CancelRound:
    round_id: int
    reason: str = ""


@dataclass(frozen=True)
class InviteLatecomers:
    """Invite contacts who joined the audience after launch."""
    round_id: int


@dataclass(frozen=True)
class ResendInvitation:
    invitation_id: int


# --- respondents --------------------------------------------------------------------------

@dataclass(frozen=True)
class SaveAnswers:
    """Save a draft (submit=False) or submit (submit=True) the answers of the invitation a token opened."""
    invitation_id: int
    #: Raw form values by field name (lists, as a form sends them).
    form: dict[str, list[str]]
    submit: bool
    #: The revision the form was rendered from, to refuse a stale overwrite (None: do not check).
    revision: int | None = None
    #: The page of a template with sections that the form showed (wfsurvey.domain.pages): its fields replace that
    #: page's answers and the other answers are kept from the draft. None: the form carries every question.
    page: int | None = None
    #: With a page and submit=False ("Next"): the page's required questions must be answered too.
    complete_page: bool = False


@dataclass(frozen=True)
class OptOut:
    invitation_id: int


@dataclass(frozen=True)
class ForwardInvitation:
    invitation_id: int
    name: str
    email: str
    title: str = ""


# --- mail ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class DeliveryOutcome:
    """What became of one outbox message the sender claimed (see wfsurvey.mail.sender)."""
    message_id: int
    #: sent, transient (retry later), permanent (bounced), unknown (never retried), release (not tried).
    result: str
    reason: str = ""
    #: The claim the row must still be under, (stage, batch) (wfsurvey.mail.outbox.Claim); an outcome
    #: for a row taken over since (by a recovery, another sender, a cancellation) is ignored.
    claim: tuple[str, str] | None = None


@dataclass(frozen=True)
class RecordDeliveryOutcomes:
    outcomes: tuple[DeliveryOutcome, ...]


@dataclass(frozen=True)
class QueueDueReminders:
    """Queue the reminder slot due now (wfsurvey.domain.reminders) for a round's unanswered invitations."""
    round_id: int
    #: Only invitations with a larger id: the reminders job walks a big round in chunks, one transaction each.
    after_invitation_id: int = 0
    #: Look at no more than this many invitations (None: all of them).
    limit: int | None = None


@dataclass(frozen=True)
class SendReminderNow:
    """Staff send one reminder by hand: at most one per invitation per day (the round's local date)."""
    invitation_id: int


# --- designations -------------------------------------------------------------------------

@dataclass(frozen=True)
class RecomputeDesignations:
    """Apply the designation rule to every region of a round; record only the results that changed."""
    round_id: int


@dataclass(frozen=True)
class OverrideDesignation:
    """An admin names a region's navigator counterpart; it wins over the rule until a later override."""
    round_id: int
    region: str
    name: str
    email: str
    organization: str
    reason: str


# --- convenings ---------------------------------------------------------------------------

@dataclass(frozen=True)
class CreateConvening:
    """Create a draft convening. The edges check the values (the API's ConveningCreateSchema, the staff wizard's
    form); the handler checks only what needs the database: the regions and the audience's people."""

    title: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    timezone: str = "America/Los_Angeles"
    purpose: str = ""
    #: Region codes or names the convening is for; the audience's regions default to them.
    regions: tuple[str, ...] = ()
    location: str = ""
    online_url: str = ""
    #: Seats; None for no limit.
    capacity: int | None = None
    audience: Audience = field(default_factory=Audience)
    #: Offsets count before the start (a round's count before its close).
    reminders: ReminderPolicy = field(default_factory=ReminderPolicy)

    def __post_init__(self) -> None:
        for name in ("starts_at", "ends_at"):
            moment = getattr(self, name)
            if moment.tzinfo is None:
                raise ValueError(f"CreateConvening.{name} must be an aware datetime, not {moment!r}")
            object.__setattr__(self, name, moment.astimezone(UTC))


@dataclass(frozen=True)
class SendConveningInvitations:
    """Invite the audience: one invitation and one email (with its calendar entry) per person."""
    convening_id: int


@dataclass(frozen=True)
class RescheduleConvening:
    """Move the convening; everyone invited is told, and their calendars move the entry (same UID, SEQUENCE + 1)."""
    convening_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    reason: str = ""


@dataclass(frozen=True)
class SetConveningCapacity:
    """Change the number of seats; seats added go to the waitlist in order, as a seat given up does."""
    convening_id: int
    #: Seats; None for no limit.
    capacity: int | None


@dataclass(frozen=True)
class CancelConvening:
    """Call the convening off; everyone invited is told, and their calendars drop the entry (METHOD:CANCEL)."""
    convening_id: int
    reason: str = ""


@dataclass(frozen=True)
class MarkConveningHeld:
    convening_id: int


@dataclass(frozen=True)
class AnswerRsvp:
    """An invitee answers yes, no or maybe (again, to change it) through their link, until the start."""
    convening_invitation_id: int
    answer: str
    note: str = ""
    needs: str = ""


@dataclass(frozen=True)
class RecordAttendance:
    """Staff tick (or untick) someone on the check-in list."""
    convening_invitation_id: int
    attended: bool = True


@dataclass(frozen=True)
class AddWalkIn:
    """Someone came who was not invited: added as a contact of their organization (if new) and ticked as attended."""
    convening_id: int
    name: str
    email: str
    #: An existing organization's id, or the name of a new one (of `org_type`, in the convening's first region).
    organization_id: int | None = None
    organization_name: str = ""
    org_type: str = "partner"


@dataclass(frozen=True)
class RecordOutcomeNote:
    """A short note of what came out of a convening, linked to regions (codes or names) and organizations (ids)."""
    text: str
    convening_id: int | None = None
    regions: tuple[str, ...] = ()
    organization_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class QueueConveningReminders:
    """Queue the reminder slot due now: to those who said yes or maybe, and once to those who have not answered."""
    convening_id: int


@dataclass(frozen=True)
class OptOutOfConvenings:
    """The person asks, from a convening link, to receive no more mail (the same opt-out as a survey link's)."""
    convening_invitation_id: int


# --- pilot regions -------------------------------------------------------------------------

#: Pilot regions at most, proposed and confirmed together (the program engages 2 or 3).
MAX_PILOT_REGIONS = 3


@dataclass(frozen=True)
class SelectPilotRegion:
    """Staff propose a region as a pilot region, with a reason and the round whose baseline it rests on; an admin's
    selection is confirmed at once, and an admin selecting a proposed region confirms it."""
    region: str
    round_id: int
    reason: str
    #: The actor is an admin (set by the page or the API from the signed-in user's role).
    by_admin: bool = False


@dataclass(frozen=True)
class DropPilotRegion:
    """Take a region off the pilot regions, with a reason; a confirmed one only by an admin."""
    region: str
    reason: str = ""
    by_admin: bool = False


# --- round series --------------------------------------------------------------------------

@dataclass(frozen=True)
class CreateSeries:
    """A template asked again every period; the edges check the values (the API's SeriesCreateSchema)."""
    template_slug: str
    title: str
    #: "P3M" or "P1M" (wfsurvey.domain.series.CADENCE_MONTHS).
    cadence: str
    first_period_end: dt.date
    timezone: str = "America/Los_Angeles"
    open_days_before: int = 14
    close_days_after: int = 14
    audience: Audience = field(default_factory=Audience)
    #: Invite the confirmed pilot regions of the day each period starts (audience.regions is then left out).
    pilot_regions: bool = False
    reminders: ReminderPolicy = field(default_factory=ReminderPolicy)


@dataclass(frozen=True)
class StartSeriesPeriod:
    """Create and launch the round of a series' period; nothing when it exists already (whoever made it)."""
    series_id: int
    period: int
