"""API routes for survey templates: list, create the next version of a slug, every version of a slug."""
from __future__ import annotations

from wfsurvey.blueprints.api.core import dump, endpoint, json_body, load_query, run
from wfsurvey.domain import commands as cmd
from wfsurvey.extensions import db
from wfsurvey.queries import templates as queries
from wfsurvey.schemas.common import PageQuerySchema
from wfsurvey.schemas.template_api import TemplateCreatedSchema, TemplatePageSchema, TemplateVersionsSchema
from wfsurvey.schemas.templates import TemplateSchema

JSON = "application/json"
TAG = "templates"


@endpoint("/templates", summary="List templates", tag=TAG, query=PageQuerySchema,
          responses={200: ("A page of template slugs with their latest version", JSON, TemplatePageSchema)})
def list_templates():
    args = load_query(PageQuerySchema)
    return dump(TemplatePageSchema, queries.template_list(db.session, page=args["page"], per_page=args["per_page"]).as_dict())


@endpoint("/templates", "POST", summary="Create a template version", tag=TAG, body=TemplateSchema,
          responses={201: ("Stored as the next version of its slug", JSON, TemplateCreatedSchema)},
          description="A template in use never changes: posting the same slug again makes the next version.")
def create_template():
    # The command validates the definition (and names the question at fault); the schema is its contract.
    template = run(cmd.CreateTemplate(json_body()))
    return dump(TemplateCreatedSchema, {"id": template.id, "slug": template.slug, "version": template.version,
                                        "title": template.title}, 201)


@endpoint("/templates/<slug>", summary="Every version of a template", tag=TAG,
          responses={200: ("Versions, newest first", JSON, TemplateVersionsSchema)})
def template_versions(slug: str):
    return dump(TemplateVersionsSchema, queries.template_versions(db.session, slug))
