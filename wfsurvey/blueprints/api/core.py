"""What every API route shares: the blueprint, Bearer-token auth and roles, body and query parsing, JSON errors,
and the registry of operations that the OpenAPI document is built from."""
from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Response, g, jsonify, request
from marshmallow import Schema, ValidationError
from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError

from wfsurvey.clock import now
from wfsurvey.domain.errors import DomainError
from wfsurvey.domain.text import first_problem, text_problem
from wfsurvey.domain.tokens import hash_token
from wfsurvey.extensions import db
from wfsurvey.models import ApiToken, User
from wfsurvey.queries import NotFound
from wfsurvey.schemas.common import MAX_ID
from wfsurvey.security import mark_access, public
from wfsurvey.services.outcomes import run_command

bp = Blueprint("api", __name__, url_prefix="/api/v1")

#: Path converter for ids: larger numbers fit no id column, so they do not match (404).
ID = f"int(min=1, max={MAX_ID})"
#: What each role may do, by rank: admin can do all that staff can, plus overrides.
ROLE_RANK = {"staff": 1, "admin": 2}
#: DomainError codes and the status they answer with; any other code is a conflict.
DOMAIN_STATUS = {"invalid": 422, "not_found": 404, "conflict": 409, "closed": 409, "forbidden": 403}
#: A token's last use is written at most this often, not on every request.
TOUCH_EVERY = dt.timedelta(minutes=1)
WWW_AUTHENTICATE = 'Bearer realm="wfsurvey"'


@dataclass(frozen=True)
class Operation:
    """One route as the OpenAPI document describes it."""

    rule: str
    method: str
    endpoint: str
    summary: str
    description: str
    tag: str
    role: str | None
    query: type[Schema] | None
    body: type[Schema] | None
    body_type: str
    #: False where an empty body reads as {} (load_body(..., optional=True)).
    body_required: bool
    #: status -> (description, media type, schema class / instance / raw JSON schema, or None for no body).
    responses: dict[int, tuple[str, str, Any]] = field(default_factory=dict)


OPERATIONS: list[Operation] = []


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, fields: dict | None = None, headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.fields = fields or {}
        self.headers = headers or {}


def _str_keys(value: Any) -> Any:
    """Error details with every key a string (marshmallow numbers list items), so any JSON encoder takes them."""
    if isinstance(value, dict):
        return {str(k): _str_keys(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_str_keys(v) for v in value]
    return value


def error_response(status: int, code: str, message: str, fields: dict | None = None, headers: dict | None = None) -> Response:
    response = jsonify({"error": {"code": code, "message": message, "fields": _str_keys(fields or {})}})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    return error_response(exc.status, exc.code, exc.message, exc.fields, exc.headers)


@bp.errorhandler(ValidationError)
def _validation_error(exc: ValidationError):
    messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
    return error_response(422, "invalid", "the request has invalid fields", messages)


@bp.errorhandler(NotFound)
def _not_found(exc: NotFound):
    return error_response(404, "not_found", str(exc))


@bp.after_request
def _private(response: Response) -> Response:
    # Answers carry names and addresses: no browser or proxy keeps them.
    response.headers["Cache-Control"] = "no-store"
    return response


# --- who is calling ------------------------------------------------------------------------------

def authenticate() -> tuple[User, ApiToken]:
    """The active user and the live token of the request's `Authorization: Bearer` header, or a 401."""
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "unauthorized", "send a token: Authorization: Bearer <token> (see `wfsurvey tokens create`)",
                       headers={"WWW-Authenticate": WWW_AUTHENTICATE})
    row = db.session.execute(
        select(ApiToken, User).join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == hash_token(token), ApiToken.revoked_at.is_(None), User.active.is_(True))
    ).first()
    if row is None:
        raise ApiError(401, "unauthorized", "the token is unknown or revoked, or its user is disabled",
                       headers={"WWW-Authenticate": f'{WWW_AUTHENTICATE}, error="invalid_token"'})
    _touch(row.ApiToken)
    return row.User, row.ApiToken


def _touch(token: ApiToken) -> None:
    """Note the token's use, at most once a minute: a write on every request would serialise them all."""
    moment = now()
    if token.last_used_at is not None and moment - token.last_used_at < TOUCH_EVERY:
        return
    try:
        db.session.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=moment))
        db.session.commit()
    except SQLAlchemyError:
        # Only bookkeeping: a busy database must not refuse the request for it.
        db.session.rollback()


def actor() -> str:
    return f"api:{g.api_token.id}"


def current_user() -> User:
    return g.api_user


def refusal(exc: DomainError) -> ApiError:
    """The JSON error for a refused command: its code sets the status (DOMAIN_STATUS), its fields are passed on."""
    return ApiError(DOMAIN_STATUS.get(exc.code, 409), exc.code, exc.message, exc.fields)


def run(command: Any) -> Any:
    """Carry out a command as the calling token, at the app's clock; a refusal is raised as the API's JSON error."""
    outcome = run_command(command, actor=actor(), now=now())
    if outcome.error is not None:
        raise refusal(outcome.error)
    return outcome.value


# --- reading the request ---------------------------------------------------------------------------

def _check_texts(data: Any) -> None:
    """A 422 naming the JSON path of the first text that cannot be stored (wfsurvey.domain.text: the web's rule too)."""
    found = first_problem(data)
    if found is not None:
        path, problem = found
        raise ApiError(422, "invalid", f"{path}: {problem}" if path else problem, {path or "_schema": [problem]})


def json_body(*, optional: bool = False) -> Any:
    """The request's JSON, or a 400 when it is missing or malformed; text that no database stores is a 422.

    With optional=True an empty body reads as {}.
    """
    raw = request.get_data(cache=True)
    if not raw.strip():
        if optional:
            return {}
        raise ApiError(400, "bad_request", "a JSON body is required")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise ApiError(400, "bad_request", "the body is not valid JSON") from None
    _check_texts(data)
    return data


def load_body(schema: type[Schema], *, optional: bool = False) -> dict[str, Any]:
    return schema().load(json_body(optional=optional))


def load_query(schema: type[Schema]) -> dict[str, Any]:
    return schema().load(request.args.to_dict())


def dump(schema: Schema | type[Schema], data: Any, status: int = 200, headers: dict | None = None) -> Response:
    instance = schema() if isinstance(schema, type) else schema
    response = jsonify(instance.dump(data))
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _check_parameters(path_values: dict[str, Any]) -> None:
    """Text in the path or the query string that no database stores: a path names nothing (404), a query
    parameter is invalid (422, naming it), as the OpenAPI document says."""
    for value in path_values.values():
        if isinstance(value, str) and text_problem(value):
            raise ApiError(404, "not_found", "no such thing: the path has characters no name has")
    for name, value in request.args.items(multi=True):
        if text_problem(name):
            raise ApiError(422, "invalid", f"a parameter name: {text_problem(name)}", {"_schema": [text_problem(name)]})
        problem = text_problem(value)
        if problem:
            raise ApiError(422, "invalid", f"{name}: {problem}", {name: [problem]})


# --- declaring a route -----------------------------------------------------------------------------

_CONVERTER = re.compile(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>")


def endpoint(rule: str, method: str = "GET", *, summary: str, tag: str, role: str | None = "staff",
             query: type[Schema] | None = None, body: type[Schema] | None = None, body_type: str = "application/json",
             body_required: bool = True, responses: dict[int, tuple[str, str, Any]] | None = None,
             description: str = "") -> Callable:
    """Register a view on the blueprint with its token and role check, and describe it for the OpenAPI document.

    role=None makes the route public (only the OpenAPI document is).
    """
    def wrap(view: Callable) -> Callable:
        @functools.wraps(view)
        def guarded(**kwargs: Any) -> Any:
            if role is not None:
                user, token = authenticate()
                if ROLE_RANK.get(user.role, 0) < ROLE_RANK[role]:
                    raise ApiError(403, "forbidden", f"this needs the {role} role")
                g.api_user, g.api_token = user, token
            _check_parameters(kwargs)
            return view(**kwargs)

        if role is None:
            public(guarded)
        else:
            mark_access(guarded, "api")
        bp.add_url_rule(rule, endpoint=view.__name__, view_func=guarded, methods=[method])
        OPERATIONS.append(Operation(
            rule=rule, method=method, endpoint=view.__name__, summary=summary, description=description or (view.__doc__ or "").strip(),
            tag=tag, role=role, query=query, body=body, body_type=body_type, body_required=body_required,
            responses=responses or {},
        ))
        return guarded

    return wrap


def path_parameters(rule: str) -> list[tuple[str, bool]]:
    """(name, is_integer) of each variable of a Flask rule."""
    return [(m.group(1), m.group(0).startswith("<int")) for m in _CONVERTER.finditer(rule)]


def openapi_path(rule: str) -> str:
    return bp.url_prefix + _CONVERTER.sub(lambda m: "{" + m.group(1) + "}", rule)
