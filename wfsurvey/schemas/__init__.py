"""Marshmallow schemas, one module per resource: input validation for the services and the API."""
