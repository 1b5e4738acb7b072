"""A round's responses as the API reads and writes them: the list's query (filters, search, cursor), a response with
its answers and what the skip logic did not ask, one response's history, and the raw export's query."""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from wfsurvey.domain.stakeholders import ORG_TYPES
from wfsurvey.queries import DEFAULT_PER_PAGE, MAX_PER_PAGE
from wfsurvey.queries.responses import STATUS_FILTERS
from wfsurvey.schemas.common import IsoTime, NextLink, Text

# --- queries ------------------------------------------------------------------------------

class ResponseQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    status = fields.String(load_default="submitted", validate=validate.OneOf(STATUS_FILTERS),
                           metadata={"description": "submitted (default), draft, or all"})
    region = Text(80, metadata={"description": "A region code: responses of invitations issued in it"})
    org_type = fields.String(validate=validate.OneOf(ORG_TYPES))
    q = Text(200, metadata={"description": "Words to find in the free-text answers (text and long text), any case"})
    after = fields.String(validate=[validate.Length(max=40), validate.Regexp(r"^\d+\.\d+$")],
                          metadata={"description": "The cursor the previous page's `next` carries; none for the first page"})
    limit = fields.Integer(load_default=DEFAULT_PER_PAGE, validate=validate.Range(1, MAX_PER_PAGE))
    order = fields.String(load_default="newest", validate=validate.OneOf(("newest", "oldest")),
                          metadata={"description": "By last edit: newest (default) or oldest first"})


class ExportQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    include = fields.String(validate=validate.OneOf(("drafts",)), metadata={"description": "drafts: add drafts"})
    headers = fields.String(validate=validate.OneOf(("keys", "labels")),
                            metadata={"description": "keys: columns headed by question keys (default: labels)"})
    values = fields.String(validate=validate.OneOf(("codes", "labels")),
                           metadata={"description": "codes: choice answers, organization types and regions as stored "
                                                    "(default: in words)"})
    question = Text(80, metadata={"description": "Only this question's column after the fixed ones"})


# --- responses ----------------------------------------------------------------------------

class ResponseOrganizationSchema(Schema):
    id = fields.Integer()
    slug = fields.String(metadata={"description": "The name as a slug"})
    name = fields.String()
    type = fields.String(metadata={"description": "lwib, college, employer or partner, as when invited"})
    region = fields.String(allow_none=True, metadata={"description": "The first region code the invitation was issued in"})
    regions = fields.List(fields.String(), metadata={"description": "Every region code the invitation was issued in"})


class ResponseContactSchema(Schema):
    name = fields.String()
    email = fields.String()


class ResponseSchema(Schema):
    id = fields.Integer()
    status = fields.String(metadata={"description": "submitted or draft"})
    organization = fields.Nested(ResponseOrganizationSchema)
    contact = fields.Nested(ResponseContactSchema)
    submitted_at = IsoTime(allow_none=True, metadata={"description": "In the round's time zone"})
    updated_at = IsoTime(metadata={"description": "The last edit, in the round's time zone"})
    answers = fields.Dict(metadata={"description": "By question key, as stored: a choice's value, a multiple choice's "
                                                   "list, a number, text, a contact {name, email, organization}"})
    not_asked = fields.List(fields.String(), metadata={"description": "Keys of the questions the skip logic hid"})


class HistoryEntrySchema(Schema):
    at = IsoTime(metadata={"description": "In the round's time zone"})
    actor = fields.String(metadata={"description": "Who, in words: the respondent's link, a colleague's, a user"})
    actor_ref = fields.String(metadata={"description": "Who, as the event log names them (token:<invitation>, user:<id>)"})
    event = fields.String(metadata={"description": "ResponseDraftSaved, ResponseSubmitted or ResponseAmended"})
    action = fields.String()
    changes = fields.Dict(keys=fields.String(), values=fields.List(fields.Raw(allow_none=True)),
                          metadata={"description": "{key: [old, new]}; a draft's answers are not in the log, so a "
                                                   "first submission lists every answer as [null, new]"})


class ResponseDetailSchema(ResponseSchema):
    history = fields.List(fields.Nested(HistoryEntrySchema), metadata={"description": "Oldest first"})


class ResponseListSchema(Schema):
    items = fields.List(fields.Nested(ResponseSchema))
    total = fields.Integer(metadata={"description": "How many responses the filters keep, in all"})
    limit = fields.Integer()
    next = NextLink()
