"""Regions, organizations, contacts and contact imports as the API reads and writes them (bodies, query strings,
responses)."""
from __future__ import annotations

from marshmallow import EXCLUDE, RAISE, Schema, fields, validate

from wfsurvey.domain.stakeholders import ORG_TYPES
from wfsurvey.schemas.common import Id, PageQuerySchema, Text, page_schema

SLUG = validate.Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$", error="use lower-case letters, digits and single hyphens")
#: The same, or empty (a region's code may be left out: the slug of its name is used).
SLUG_OR_EMPTY = validate.Regexp(r"^(?:[a-z0-9]+(?:-[a-z0-9]+)*)?$", error="use lower-case letters, digits and single hyphens")


class RegionInputSchema(Schema):
    """POST /regions: {"code", "name", "scheme"?}; code may be left out (slug of the name)."""

    class Meta:
        unknown = RAISE

    code = fields.String(load_default="", validate=[validate.Length(max=80), SLUG_OR_EMPTY])
    name = fields.String(required=True, validate=validate.Length(1, 200))
    scheme = fields.String(load_default=None, allow_none=True, validate=[SLUG, validate.Length(max=40)])


class RegionSchema(Schema):
    id = fields.Integer(dump_only=True)
    scheme = fields.String()
    code = fields.String()
    name = fields.String()


class OrganizationInputSchema(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=validate.Length(1, 300))
    org_type = fields.String(required=True, validate=validate.OneOf(ORG_TYPES))
    #: Region codes or names of the default scheme.
    regions = fields.List(fields.String(validate=validate.Length(1, 200)), required=True, validate=validate.Length(min=1))


class OrganizationSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String()
    slug = fields.String(dump_only=True, metadata={"description": "Made from the name: GET /organizations/{slug}/timeline"})
    org_type = fields.String()
    regions = fields.List(fields.String(), attribute="region_codes")


class ContactInputSchema(Schema):
    class Meta:
        unknown = RAISE

    organization_id = fields.Integer(required=True)
    name = fields.String(required=True, validate=validate.Length(1, 200))
    email = fields.String(required=True, validate=validate.Length(3, 320))
    title = fields.String(load_default="", validate=validate.Length(max=200))


class ContactSchema(Schema):
    id = fields.Integer(dump_only=True)
    organization_id = fields.Integer()
    organization = fields.Function(lambda c: c.organization.name)
    org_type = fields.Function(lambda c: c.organization.org_type)
    regions = fields.Function(lambda c: c.organization.region_codes)
    name = fields.String()
    email = fields.String()
    title = fields.String()
    opted_out = fields.Boolean()


class ImportRowErrorSchema(Schema):
    """One problem of a rejected import; rows are numbered as a spreadsheet shows them (header = 1)."""

    row = fields.Integer()
    column = fields.String()
    message = fields.String()


class SimilarOrganizationSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    score = fields.Float(metadata={"description": "How alike the names are, 0–100"})


class NewOrganizationSchema(Schema):
    name = fields.String()
    org_type = fields.String()
    regions = fields.List(fields.String())
    rows = fields.List(fields.Integer(), metadata={"description": "The rows naming it, as a spreadsheet numbers them"})
    similar = fields.List(fields.Nested(SimilarOrganizationSchema), metadata={
        "description": "Existing organizations of its type and region with a close name (a typo?); listed by a dry run"})


class ImportResultSchema(Schema):
    """POST /contacts/import → 200: counts of contact rows, plus what happened to organizations."""

    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()
    organizations_created = fields.Integer()
    organizations_updated = fields.Integer()
    dry_run = fields.Boolean()
    new_organizations = fields.List(fields.Nested(NewOrganizationSchema),
                                    metadata={"description": "Those with a similar existing name first"})
    used_existing = fields.List(fields.Dict(), metadata={
        "description": "[{name, existing, id}]: organizations of the file imported into an existing one instead"})


# --- the API: query strings ---------------------------------------------------------------

class RegionQuerySchema(PageQuerySchema):
    scheme = Text(40)
    q = Text(200, metadata={"description": "Part of the name or code"})


class OrganizationQuerySchema(PageQuerySchema):
    type = fields.String(validate=validate.OneOf(ORG_TYPES))
    region = Text(80, metadata={"description": "Region code"})
    q = Text(200, metadata={"description": "Part of the name"})


class ContactQuerySchema(PageQuerySchema):
    organization = Id()
    type = fields.String(validate=validate.OneOf(ORG_TYPES))
    region = Text(80, metadata={"description": "Region code"})
    q = Text(200, metadata={"description": "Part of the name, email or organization"})
    opted_out = fields.Boolean()


class ImportQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    dry_run = fields.Boolean(load_default=False, metadata={"description": "Validate and count, import nothing"})


# --- the API: responses -------------------------------------------------------------------

class RegionCreatedSchema(RegionSchema):
    created = fields.Boolean(metadata={"description": "False when the same region already existed"})


RegionPageSchema = page_schema("RegionPageSchema", RegionSchema)
OrganizationPageSchema = page_schema("OrganizationPageSchema", OrganizationSchema)
ContactPageSchema = page_schema("ContactPageSchema", ContactSchema)
