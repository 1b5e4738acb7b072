"""The event log as the API reads it: the feed's query and its events."""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from wfsurvey.queries.events import DEFAULT_LIMIT, MAX_LIMIT
from wfsurvey.schemas.common import MAX_SEQ, IsoTime, Text

# --- query --------------------------------------------------------------------------------

class EventsQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    after = fields.Integer(load_default=0, validate=validate.Range(0, MAX_SEQ), metadata={"description": "Sequence number already read"})
    limit = fields.Integer(load_default=DEFAULT_LIMIT, validate=validate.Range(1, MAX_LIMIT))
    type = Text(60)
    aggregate_type = Text(30)
    aggregate_id = Text(80)


# --- responses ----------------------------------------------------------------------------

class EventSchema(Schema):
    seq = fields.Integer()
    type = fields.String()
    aggregate_type = fields.String()
    aggregate_id = fields.String()
    actor = fields.String()
    occurred_at = IsoTime()
    recorded_at = IsoTime()
    schema_version = fields.Integer()
    payload = fields.Dict()


class EventFeedSchema(Schema):
    events = fields.List(fields.Nested(EventSchema))
    next_after = fields.Integer(metadata={"description": "Pass back as `after` to read on"})
