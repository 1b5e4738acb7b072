"""A round's outcome as the API writes it: the baseline table with its pilot ranking, and the designations with
the admin override's body."""
from __future__ import annotations

from marshmallow import RAISE, Schema, fields

from wfsurvey.schemas.common import IsoTime, Text

# --- bodies -------------------------------------------------------------------------------

class OverrideSchema(Schema):
    class Meta:
        unknown = RAISE

    name = Text(200, required=True)
    email = Text(320, required=True)
    organization = Text(300, load_default="")
    reason = Text(1000, required=True)


# --- responses ----------------------------------------------------------------------------

class BaselineRowSchema(Schema):
    region = fields.String(metadata={"description": "Region code; empty in the row of the whole round"})
    name = fields.String()
    by_org_type = fields.Dict(keys=fields.String(), values=fields.Dict(),
                              metadata={"description": "{org_type: {invited, responded}}"})
    invited = fields.Integer()
    responded = fields.Integer()
    responses = fields.Integer()
    response_rate = fields.Float(allow_none=True)
    designation = fields.String(allow_none=True)
    answers = fields.Dict(metadata={"description": "By question key: scale {n, mean, distribution}; number {n, mean, sum}; "
                                                   "choices and yes/no {n, counts, shares}"})
    change = fields.Dict(allow_none=True, metadata={"description": "Against the baseline round: {response_rate, answers}"})


class RankedRegionSchema(Schema):
    rank = fields.Integer()
    region = fields.String()
    name = fields.String()
    score = fields.Float()
    readiness = fields.Float()
    readiness_figures = fields.Integer()
    response_rate = fields.Float()
    designated = fields.Boolean()


class RankingSchema(Schema):
    formula = fields.String()
    weights = fields.Dict(keys=fields.String(), values=fields.Float())
    regions = fields.List(fields.Nested(RankedRegionSchema))


class BaselineSchema(Schema):
    round = fields.Dict()
    unit = fields.String(metadata={"description": "organization or contact: what invited and responded count"})
    compared_with = fields.Dict(allow_none=True)
    questions = fields.List(fields.Dict())
    rows = fields.List(fields.Nested(BaselineRowSchema))
    total = fields.Nested(BaselineRowSchema)
    ranking = fields.Nested(RankingSchema)


class NomineeSchema(Schema):
    name = fields.String()
    email = fields.String()
    organization = fields.String()


class DesignationSchema(Schema):
    region = fields.String()
    name = fields.String()
    status = fields.String(metadata={"description": "designated, conflict or unfilled"})
    final = fields.Boolean()
    nominee = fields.Nested(NomineeSchema, allow_none=True)
    nominations = fields.List(fields.Dict(), metadata={"description": "[{email, name, count, boards}]"})
    explanation = fields.String()
    overridden = fields.Boolean()
    updated_at = IsoTime(allow_none=True)
