"""A round's outcome as the API writes it: the baseline table with its pilot ranking, and the designations with
the admin override's body."""
from __future__ import annotations

from marshmallow import EXCLUDE, RAISE, Schema, fields

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
    change = fields.Dict(allow_none=True, metadata={
        "description": "Against the baseline round: {response_rate, answers}; null without a baseline round, or when "
                       "the baseline round has no response in the region (then change_note says so)"})
    change_note = fields.String(allow_none=True, metadata={"description": "\"no baseline answers\" or null"})
    n = fields.Dict(metadata={
        "description": "What each figure rests on: {response_rate: invited, responses, answers: {key: answers}, "
                       "readiness: responses, baseline: the baseline round's responses in the region, or null}"})
    rankable = fields.Boolean(metadata={"description": "Whether the region has MIN_RESPONSES_FOR_RANKING responses"})


class ReadinessPartSchema(Schema):
    key = fields.String()
    label = fields.String()
    figure = fields.Float(metadata={"description": "0–1"})
    n = fields.Integer(metadata={"description": "Answers it rests on"})
    basis = fields.String(metadata={"description": "What it was made from, in words"})


class RankedRegionSchema(Schema):
    rank = fields.Integer()
    region = fields.String()
    name = fields.String()
    score = fields.Float()
    readiness = fields.Float()
    readiness_figures = fields.Integer()
    readiness_parts = fields.List(fields.Nested(ReadinessPartSchema))
    response_rate = fields.Float()
    designated = fields.Boolean()
    responses = fields.Integer(metadata={"description": "Responses the region's figures rest on"})
    invited = fields.Integer()


class UnrankedRegionSchema(Schema):
    region = fields.String()
    name = fields.String()
    responses = fields.Integer()
    invited = fields.Integer()
    needed = fields.Integer(metadata={"description": "More responses needed to be ranked"})


class RankingSchema(Schema):
    formula = fields.String()
    weights = fields.Dict(keys=fields.String(), values=fields.Float())
    min_responses = fields.Integer(metadata={"description": "Responses a region needs to be ranked (MIN_RESPONSES_FOR_RANKING)"})
    regions = fields.List(fields.Nested(RankedRegionSchema))
    not_ranked = fields.List(fields.Nested(UnrankedRegionSchema), metadata={"description": "Not enough answers to rank"})


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


class ConsensusQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    question = fields.String(required=True, metadata={"description": "Key of a ranking question of the round's template"},
                             error_messages={"required": "Name the ranking question: ?question=<key>."})


class ConsensusOptionSchema(Schema):
    value = fields.String()
    label = fields.String()
    score = fields.Float(metadata={"description": "Borda score: an option at position p of n options earns n − p + 1 "
                                                 "points from each respondent who ranked it"})


class ConsensusRegionSchema(Schema):
    region = fields.String()
    name = fields.String()
    n = fields.Integer(metadata={"description": "Rankings submitted in the region"})
    order = fields.List(fields.Nested(ConsensusOptionSchema), metadata={"description": "Every option, highest score first"})
    kendall_w = fields.Float(allow_none=True, metadata={
        "description": "Kendall's W (0–1, corrected for ties; options left unranked tie last); null with fewer than "
                       "3 rankings"})
