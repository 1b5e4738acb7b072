"""The event log's filters (a GET form: no CSRF, it changes nothing)."""
from __future__ import annotations

from wtforms import DateTimeLocalField, Form, IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import NumberRange, Optional

from wfsurvey.domain.events import EVENT_TYPES

AGGREGATE_TYPES = sorted({cls.aggregate for cls in EVENT_TYPES.values()})


class EventFilterForm(Form):
    round_id = IntegerField("Round id", validators=[Optional(), NumberRange(min=1)],
                            description="Events about the round and everything in it.")
    aggregate_type = SelectField("About", choices=[SelectChoice("", "Anything"), *(SelectChoice(a) for a in AGGREGATE_TYPES)],
                                 validators=[Optional()])
    aggregate_id = StringField("Id", validators=[Optional()])
    type = SelectField("Event type", choices=[SelectChoice("", "Any type"), *(SelectChoice(t) for t in sorted(EVENT_TYPES))],
                       validators=[Optional()])
    actor = StringField("Actor", validators=[Optional()], description="e.g. user:3, cli, system:reminders")
    since = DateTimeLocalField("From", validators=[Optional()])
    until = DateTimeLocalField("To", validators=[Optional()])
    page = IntegerField(validators=[Optional()])
