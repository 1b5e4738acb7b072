"""The event log's filters (a GET form: no CSRF, it changes nothing), every choice in words."""
from __future__ import annotations

from wtforms import DateTimeLocalField, Form, IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import NumberRange, Optional

from wfsurvey.domain.events import EVENT_TYPES
from wfsurvey.queries.event_log import type_words

#: What events are about, as the "About" filter offers it.
AGGREGATE_WORDS = {
    "region": "Regions", "organization": "Organizations", "contact": "Contacts", "import": "Imports",
    "template": "Templates", "round": "Rounds", "invitation": "Invitations and answers", "message": "Email",
    "designation": "Designations", "user": "Users", "convening": "Convenings",
    "convening_invitation": "Convening invitations, answers and attendance", "outcome_note": "Outcome notes",
}
AGGREGATE_TYPES = sorted({cls.aggregate for cls in EVENT_TYPES.values()})
#: Groups of actors the "Who" filter offers besides each user: the value, its words, and how it matches (a prefix).
ACTOR_GROUPS = {
    "respondents": ("Respondents, through their links", "token:"),
    "invitees": ("Convening invitees, through their links", "rsvp:"),
    "api": ("Scripts, through API tokens", "api:"),
    "scheduler": ("The scheduler", "system:"),
}


class EventFilterForm(Form):
    round_id = SelectField("Round", coerce=lambda v: int(v) if v not in ("", None) else None, validators=[Optional()],
                           description="Events about the round and everything in it.")
    aggregate_type = SelectField("About", choices=[SelectChoice("", "Anything"), *(
        SelectChoice(a, AGGREGATE_WORDS.get(a, a.capitalize())) for a in AGGREGATE_TYPES)], validators=[Optional()])
    aggregate_id = StringField("Its number", validators=[Optional()],
                               description="As the event's details show it (“about”).")
    type = SelectField("What happened", choices=[SelectChoice("", "Anything"), *sorted(
        (SelectChoice(t, type_words(t)) for t in EVENT_TYPES), key=lambda c: c.label)], validators=[Optional()])
    actor = SelectField("Who", validators=[Optional()])
    since = DateTimeLocalField("From", validators=[Optional()])
    until = DateTimeLocalField("To", validators=[Optional()])
    page = IntegerField(validators=[Optional(), NumberRange(min=1)])
