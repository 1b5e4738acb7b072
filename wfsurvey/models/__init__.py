"""SQLAlchemy models, one module per aggregate; importing this package registers every table."""
from wfsurvey.models.convenings import Convening, ConveningInvitation, OutcomeNote
from wfsurvey.models.eventlog import EventRecord
from wfsurvey.models.invitations import AccessToken, Invitation, Response
from wfsurvey.models.jobs import JobRun, SchedulerLease
from wfsurvey.models.outbox import MailboxMessage, OutboxMessage
from wfsurvey.models.pilots import PilotRegion
from wfsurvey.models.series import RoundSeries
from wfsurvey.models.projections import (
    BaselineStat,
    BoardRegion,
    Designation,
    InvitationProgress,
    OrganizationCounts,
    OrganizationProgress,
    RoundProgress,
    SubmittedAnswers,
)
from wfsurvey.models.stakeholders import Contact, Organization, Region, organization_regions
from wfsurvey.models.surveys import Round, Template
from wfsurvey.models.users import ApiToken, User

__all__ = [
    "AccessToken", "ApiToken", "BaselineStat", "BoardRegion", "Contact", "Convening", "ConveningInvitation", "OutcomeNote",
    "Designation", "EventRecord", "Invitation",
    "InvitationProgress", "JobRun", "MailboxMessage", "Organization", "OrganizationCounts",
    "OrganizationProgress", "OutboxMessage", "PilotRegion", "Region",
    "Response", "Round", "RoundProgress", "RoundSeries", "SchedulerLease", "SubmittedAnswers", "Template", "User",
    "organization_regions",
]
