"""Pilot regions as the API takes and gives them."""
from __future__ import annotations

from marshmallow import EXCLUDE, RAISE, Schema, fields

from wfsurvey.schemas.common import Id, IsoTime, Text


class PilotBodySchema(Schema):
    class Meta:
        unknown = RAISE

    region = Text(200, required=True, metadata={"description": "Region code or name"})
    round = Id(required=True, metadata={"description": "The round whose baseline the choice rests on"})
    reason = Text(1000, required=True, metadata={"description": "Why this region"})


class DropPilotQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    reason = Text(1000, load_default="", metadata={"description": "Why it is dropped (kept in the event log)"})


class PilotRoundSchema(Schema):
    id = fields.Integer()
    title = fields.String()


class PilotSchema(Schema):
    region = fields.String(metadata={"description": "Region code"})
    name = fields.String()
    round = fields.Nested(PilotRoundSchema)
    reason = fields.String()
    status = fields.String(metadata={"description": "proposed (by staff, for an admin to confirm) or confirmed"})
    selected_at = IsoTime()
    selected_by = fields.String(metadata={"description": "Who chose it, in words"})
    confirmed_at = IsoTime(allow_none=True)
    confirmed_by = fields.String(allow_none=True)
