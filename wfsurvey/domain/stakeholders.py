"""Rules about regions, organizations and contacts that every layer shares: the organization types,
the default region scheme, and the one spelling of an email address the system keeps."""
from __future__ import annotations

import re
import unicodedata

from email_validator import EmailNotValidError, validate_email

__all__ = ["DEFAULT_REGION_SCHEME", "EmailNotValidError", "ORG_TYPES", "ORG_TYPE_LABELS", "clean_text",
           "normalize_email", "slugify"]

#: Organization types, in the order lists and tables show them.
ORG_TYPES = ("lwib", "college", "employer", "partner")
#: What staff read for each type.
ORG_TYPE_LABELS = {"lwib": "Local workforce board", "college": "College", "employer": "Employer", "partner": "Partner"}
#: The regional model region codes and names refer to when none is named (setting REGION_SCHEME):
#: the community-college macro regions.
DEFAULT_REGION_SCHEME = "cc-macro"


def normalize_email(value: str) -> str:
    """The one spelling of an address the database keeps: email-validator's normalized form, lower-cased.

    Raises email_validator.EmailNotValidError with a readable message.
    """
    return validate_email(value.strip(), check_deliverability=False).normalized.lower()


def slugify(text: str) -> str:
    """`Inland Empire/Desert` -> `inland-empire-desert` (accents dropped, any run of other characters -> one hyphen)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def clean_text(value: str | None) -> str:
    """Trim and collapse inner whitespace (spreadsheets are full of double spaces and stray newlines)."""
    return " ".join((value or "").split())
