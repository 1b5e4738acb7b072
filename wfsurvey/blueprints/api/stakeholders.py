"""API routes for regions, organizations and contacts, and the contacts CSV import."""
from __future__ import annotations

from flask import request

from wfsurvey.blueprints.api.core import ApiError, dump, endpoint, load_body, load_query, run
from wfsurvey.domain import commands as cmd
from wfsurvey.extensions import db
from wfsurvey.queries import stakeholders as lists
from wfsurvey.schemas.common import ErrorSchema
from wfsurvey.schemas.stakeholders import (
    ContactPageSchema,
    ContactQuerySchema,
    ImportQuerySchema,
    ImportResultSchema,
    OrganizationPageSchema,
    OrganizationQuerySchema,
    RegionCreatedSchema,
    RegionInputSchema,
    RegionPageSchema,
    RegionQuerySchema,
)

JSON = "application/json"
TAG = "stakeholders"


@endpoint("/regions", summary="List regions", tag=TAG, query=RegionQuerySchema,
          responses={200: ("A page of regions", JSON, RegionPageSchema)})
def list_regions():
    args = load_query(RegionQuerySchema)
    page = lists.regions(db.session, scheme=args.get("scheme"), q=args.get("q"), page=args["page"], per_page=args["per_page"])
    return dump(RegionPageSchema, page.as_dict())


@endpoint("/regions", "POST", summary="Create a region", tag=TAG, body=RegionInputSchema,
          responses={201: ("Created", JSON, RegionCreatedSchema), 200: ("The same region already existed", JSON, RegionCreatedSchema)},
          description='{"code", "name", "scheme"?}; the code defaults to the slug of the name.')
def create_region():
    data = load_body(RegionInputSchema)
    result = run(cmd.CreateRegion(name=data["name"], code=data["code"], scheme=data["scheme"]))
    return dump(RegionCreatedSchema, result, 201 if result["created"] else 200)


@endpoint("/organizations", summary="List organizations", tag=TAG, query=OrganizationQuerySchema,
          responses={200: ("A page of organizations", JSON, OrganizationPageSchema)})
def list_organizations():
    args = load_query(OrganizationQuerySchema)
    page = lists.organizations(db.session, org_type=args.get("type"), region=args.get("region"), q=args.get("q"),
                               page=args["page"], per_page=args["per_page"])
    return dump(OrganizationPageSchema, page.as_dict())


@endpoint("/contacts", summary="List contacts", tag=TAG, query=ContactQuerySchema,
          responses={200: ("A page of contacts", JSON, ContactPageSchema)})
def list_contacts():
    args = load_query(ContactQuerySchema)
    page = lists.contacts(db.session, organization_id=args.get("organization"), org_type=args.get("type"),
                          region=args.get("region"), q=args.get("q"), opted_out=args.get("opted_out"),
                          page=args["page"], per_page=args["per_page"])
    return dump(ContactPageSchema, page.as_dict())


@endpoint("/contacts/import", "POST", summary="Import contacts from CSV", tag=TAG, query=ImportQuerySchema,
          body_type="text/csv",
          responses={200: ("Imported (or, with dry_run, what would be)", JSON, ImportResultSchema),
                     422: ("Nothing imported: error.fields.rows lists every problem", JSON, ErrorSchema)},
          description="Body: CSV with the columns organization,org_type,region,name,email,title; several regions "
                      "joined by ';', a region by code or name. One bad row rejects the whole file.")
def import_contacts():
    args = load_query(ImportQuerySchema)
    try:
        text = request.get_data(cache=True).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ApiError(422, "invalid", "the file is not UTF-8 text; nothing was imported",
                       {"rows": [{"row": 1, "column": "", "message": "save the file as CSV UTF-8"}]}) from None
    # Control characters are refused by the import itself, naming row and column, as on the web page.
    if not text.strip():
        raise ApiError(422, "invalid", "the file is empty; nothing was imported",
                       {"rows": [{"row": 1, "column": "", "message": "send the CSV as the request body"}]})
    result = run(cmd.ImportContacts(csv_text=text, source="api", dry_run=args["dry_run"]))
    return dump(ImportResultSchema, result.as_dict())

