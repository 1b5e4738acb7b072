"""GET /api/v1/openapi.json: the OpenAPI 3 document, built by apispec's MarshmallowPlugin from the registered operations."""
from __future__ import annotations

from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import current_app, jsonify

from wfsurvey import __version__
from wfsurvey.blueprints.api.core import OPERATIONS, Operation, endpoint, openapi_path, path_parameters
from wfsurvey.schemas.common import MAX_ID, ErrorSchema
from wfsurvey.schemas.templates import SLUG

JSON = "application/json"
#: Path variables that are not ids, as the routes read them: a template's slug and a region's code.
PATH_TEXT = {
    "slug": {"type": "string", "pattern": SLUG.regex.pattern, "maxLength": 80},
    "region": {"type": "string", "pattern": SLUG.regex.pattern, "maxLength": 80},
    "code": {"type": "string", "pattern": SLUG.regex.pattern, "maxLength": 80},
    # An organization's slug is made from its name, which may be long.
    "org_slug": {"type": "string", "pattern": SLUG.regex.pattern, "maxLength": 400},
}
#: Errors every operation of a kind can answer with.
AUTH_ERRORS = {401: "No token, or an unknown or revoked one", 403: "The token's user lacks the role"}
BODY_ERRORS = {400: "The body is not valid JSON", 422: "Invalid fields: error.fields names each"}
COMMAND_ERRORS = {409: "The move is not allowed in the current state", 422: "Invalid fields: error.fields names each"}


def _content(media_type: str, schema: Any) -> dict[str, Any]:
    return {media_type: {"schema": schema}}


def _operation(op: Operation) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [
        {"in": "path", "name": name, "required": True,
         "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID} if is_int else PATH_TEXT.get(name, {"type": "string"})}
        for name, is_int in path_parameters(op.rule)
    ]
    if op.query is not None:
        parameters.append({"in": "query", "schema": op.query})
    responses: dict[str, Any] = {}
    for status, (description, media_type, schema) in sorted(op.responses.items()):
        responses[str(status)] = {"description": description, "content": _content(media_type, schema)}
    errors: dict[int, str] = {}
    if op.role is not None:
        errors.update(AUTH_ERRORS)
    if path_parameters(op.rule):
        errors[404] = "No such round, template, region, organization or convening"
    if op.method != "GET":
        errors.update(COMMAND_ERRORS)
    if op.body is not None and op.body_type == JSON:
        errors.update(BODY_ERRORS)
    if op.body is not None or op.body_type != JSON:
        errors[413] = "The body is larger than the service accepts (MAX_CONTENT_LENGTH, 10 MB by default)"
    if op.query is not None:
        errors[422] = "Invalid fields: error.fields names each"
    for status, description in errors.items():
        responses.setdefault(str(status), {"description": description, "content": _content(JSON, ErrorSchema)})
    operation: dict[str, Any] = {
        "operationId": op.endpoint, "summary": op.summary, "tags": [op.tag], "responses": responses,
    }
    if op.description:
        operation["description"] = op.description
    if parameters:
        operation["parameters"] = parameters
    if op.body is not None:
        operation["requestBody"] = {"required": op.body_required, "content": _content(op.body_type, op.body)}
    elif op.body_type != JSON:
        operation["requestBody"] = {"required": True, "content": _content(op.body_type, {"type": "string"})}
    if op.role is None:
        operation["security"] = []
    return operation


def build_spec() -> dict[str, Any]:
    plugin = MarshmallowPlugin()
    spec = APISpec(
        title="wfsurvey API", version=__version__, openapi_version="3.0.3", plugins=[plugin],
        info={"description": "Survey rounds, stakeholders, completion, baseline and designations. Send "
                             "`Authorization: Bearer <token>` (from `wfsurvey tokens create`). Errors are "
                             '{"error": {"code", "message", "fields"}} with a 4xx status.'},
        security=[{"bearerAuth": []}],
    )
    spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    by_path: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        by_path.setdefault(openapi_path(op.rule), {})[op.method.lower()] = _operation(op)
    for path, operations in sorted(by_path.items()):
        spec.path(path=path, operations=operations)
    document = spec.to_dict()
    _add_schema_rules(document, plugin)
    return document


def _add_schema_rules(document: dict[str, Any], plugin: MarshmallowPlugin) -> None:
    """What a marshmallow schema says in its `openapi_extra` (rules across fields) goes into its component."""
    components = document.get("components", {}).get("schemas", {})
    for key, name in plugin.converter.refs.items():
        extra = getattr(key[0], "openapi_extra", None)  # the key starts with the schema class (apispec make_schema_key)
        if extra and name in components:
            components[name].update(extra)


def openapi_document() -> dict[str, Any]:
    """Built once per app: the routes do not change while it runs."""
    cached = current_app.extensions.get("wfsurvey_openapi")
    if cached is None:
        cached = current_app.extensions["wfsurvey_openapi"] = build_spec()
    return cached


@endpoint("/openapi.json", role=None, summary="This OpenAPI document", tag="meta",
          responses={200: ("OpenAPI 3", JSON, {"type": "object"})})
def openapi_json():
    return jsonify(openapi_document())
