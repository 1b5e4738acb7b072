"""The iCalendar (RFC 5545, iTIP RFC 5546) entry a convening's email carries, so that calendars add, move or drop it.

One UID per convening for its whole life; SEQUENCE goes up at each reschedule and at the cancellation, so a calendar
keeps the newest. METHOD:REQUEST adds or moves the entry, METHOD:CANCEL removes it. The entry never holds the
invitee's link: the outbox keeps attachments as they are, and a raw token must stay only in the message's body.
"""
from __future__ import annotations

import datetime as dt
import email.utils
from dataclasses import dataclass
from urllib.parse import urlsplit

from icalendar import Calendar, Event, vCalAddress, vText

from wfsurvey.domain.rules import zone

PRODID = "-//wfsurvey//convenings//EN"
FILENAME = "invite.ics"


@dataclass(frozen=True)
class CalendarEntry:
    """What the entry says; times aware (any zone: they are written in `timezone`, with its VTIMEZONE)."""

    convening_id: int
    title: str
    description: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    timezone: str
    location: str
    online_url: str
    sequence: int
    #: MAIL_FROM: the organizer.
    organizer: str
    #: BASE_URL: its host makes the UID unique to this deployment.
    base_url: str


def uid(convening_id: int, base_url: str) -> str:
    """Stable for the convening's whole life: calendars match a reschedule or cancellation to the entry by it."""
    host = urlsplit(base_url).hostname or "wfsurvey.invalid"
    return f"convening-{convening_id}@{host}"


def content_type(method: str) -> str:
    return f"text/calendar; method={method}; charset=utf-8"


def build_ics(entry: CalendarEntry, *, method: str, attendee_email: str, attendee_name: str,
              stamp: dt.datetime) -> str:
    """The .ics text for one attendee: METHOD:REQUEST (invite, move) or METHOD:CANCEL."""
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"method must be REQUEST or CANCEL, not {method!r}")
    tz = zone(entry.timezone)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", method)
    event = Event()
    event.add("uid", uid(entry.convening_id, entry.base_url))
    event.add("sequence", entry.sequence)
    event.add("dtstamp", stamp.astimezone(dt.UTC))
    event.add("dtstart", entry.starts_at.astimezone(tz))
    event.add("dtend", entry.ends_at.astimezone(tz))
    event.add("summary", entry.title)
    description = entry.description
    if entry.online_url:
        description = f"{description}\n\nJoin online: {entry.online_url}".strip()
    if description:
        event.add("description", description)
    location = entry.location or entry.online_url
    if location:
        event.add("location", location)
    if entry.online_url:
        event.add("url", entry.online_url)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    name, address = email.utils.parseaddr(entry.organizer)
    organizer = vCalAddress(f"mailto:{address or entry.organizer}")
    if name:
        organizer.params["cn"] = vText(name)
    event.add("organizer", organizer)
    attendee = vCalAddress(f"mailto:{attendee_email}")
    if attendee_name:
        attendee.params["cn"] = vText(attendee_name)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    attendee.params["partstat"] = vText("NEEDS-ACTION")
    # Answers come through the personal link, not a calendar's reply to the organizer's no-reply address.
    attendee.params["rsvp"] = vText("FALSE")
    event.add("attendee", attendee)
    cal.add_component(event)
    # Only the rules around the meeting: a VTIMEZONE of the zone's whole history is long and helps no calendar.
    first = min(entry.starts_at, stamp).date() - dt.timedelta(days=366)
    cal.add_missing_timezones(first_date=first, last_date=entry.ends_at.date() + dt.timedelta(days=366))
    return cal.to_ical().decode("utf-8")


def attachment(entry: CalendarEntry, *, method: str, attendee_email: str, attendee_name: str,
               stamp: dt.datetime) -> dict[str, str]:
    """The outbox's attachment record for the entry ({"filename", "content_type", "content"})."""
    return {"filename": FILENAME, "content_type": content_type(method),
            "content": build_ics(entry, method=method, attendee_email=attendee_email, attendee_name=attendee_name,
                                 stamp=stamp)}
