"""The JSON API under /api/v1, for scripts: Bearer tokens, marshmallow schemas, JSON errors, an OpenAPI document.

Every route is declared with wfsurvey.blueprints.api.core.endpoint, which checks the token and the
role, marks the view for the route-authorization test and describes it in the OpenAPI document.
The blueprint is exempt from CSRF: it reads no cookies, only the Authorization header.
"""
from __future__ import annotations

from wfsurvey.blueprints.api.core import bp

# Importing the modules registers their routes on bp.
from wfsurvey.blueprints.api import (  # noqa: E402,F401
    convenings, openapi, pilots, reports, responses, rounds, series, stakeholders, templates,
)

__all__ = ["bp"]
