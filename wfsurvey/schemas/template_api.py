"""Survey templates as the API lists them (a page of slugs, every version of one slug) and answers their creation.

The template definition itself (what POST /templates reads) is wfsurvey.schemas.templates.
"""
from __future__ import annotations

from marshmallow import Schema, fields

from wfsurvey.schemas.common import IsoTime, page_schema

# --- responses ----------------------------------------------------------------------------

class TemplateRefSchema(Schema):
    slug = fields.String()
    version = fields.Integer()


class TemplateCreatedSchema(TemplateRefSchema):
    id = fields.Integer()
    title = fields.String()


class TemplateSummarySchema(Schema):
    slug = fields.String()
    title = fields.String()
    latest_version = fields.Integer()
    versions = fields.Integer()
    created_at = IsoTime()


class TemplateVersionSchema(Schema):
    id = fields.Integer()
    version = fields.Integer()
    title = fields.String()
    description = fields.String()
    questions = fields.List(fields.Dict())
    created_at = IsoTime()
    created_by = fields.String()
    rounds = fields.Integer()
    in_use = fields.Boolean()


class TemplateVersionsSchema(Schema):
    slug = fields.String()
    versions = fields.List(fields.Nested(TemplateVersionSchema))


TemplatePageSchema = page_schema("TemplatePageSchema", TemplateSummarySchema)
