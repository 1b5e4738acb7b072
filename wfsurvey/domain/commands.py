"""Commands: imperatives that one service handler each carries out (see wfsurvey.services.handlers)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

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
    """Validate a whole contacts CSV, then create or update its organisations and contacts (all or nothing)."""
    csv_text: str
    #: Where the file came from ("cli:contacts.csv", "api", "demo"), kept in the summary event.
    source: str = "import"
    dry_run: bool = False
    #: Region scheme the region column refers to (None: the configured REGION_SCHEME).
    scheme: str | None = None
    #: Called with a number of rows validated, for a progress bar; not part of what the command means.
    progress: Any = field(default=None, compare=False, repr=False)


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


# --- templates and rounds -----------------------------------------------------------------

@dataclass(frozen=True)
class CreateTemplate:
    #: The POST /templates shape: slug, title, description, questions.
    definition: dict[str, Any]


@dataclass(frozen=True)
class CreateRound:
    #: The POST /rounds shape (wfsurvey.schemas.rounds.RoundInputSchema).
    definition: dict[str, Any]


@dataclass(frozen=True)
class LaunchRound:
    round_id: int


@dataclass(frozen=True)
class OpenRound:
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
    #: The claim marker the row must still carry; an outcome for a row claimed since by others is ignored.
    claim: str | None = None


@dataclass(frozen=True)
class RecordDeliveryOutcomes:
    outcomes: tuple[DeliveryOutcome, ...]


# --- designations -------------------------------------------------------------------------

_unused = field
