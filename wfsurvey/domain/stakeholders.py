"""Rules about regions, organizations and contacts that every layer shares: the organization types,
the default region scheme, and the one spelling of an email address the system keeps."""
from __future__ import annotations

import re
import unicodedata

from email_validator import EmailNotValidError, validate_email
from email_validator.rfc_constants import DOT_ATOM_TEXT

__all__ = ["DEFAULT_REGION_SCHEME", "EmailNormalizer", "EmailNotValidError", "ORG_TYPES", "ORG_TYPE_LABELS",
           "clean_text", "normalize_email", "slugify"]

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


class EmailNormalizer:
    """normalize_email for many addresses (an import of 100,000 rows), with the same answers: each domain is checked
    once. Checking the domain is most of email-validator's work, and a file repeats the same few domains.

    Only plain addresses take the short way: an ASCII local part of the simple kind (which email-validator
    keeps as it is), an ASCII domain seen before, well under the length limits. Anything else, and every
    address whose domain was refused, goes through normalize_email itself, so messages stay its own.
    """

    #: Longer addresses take the full check (email-validator's limit is 254, counted its own way).
    SHORT = 200

    def __init__(self) -> None:
        self._domains: dict[str, str | None] = {}

    def __call__(self, value: str) -> str:
        text = value.strip()
        local, at, domain = text.rpartition("@")
        if not at or len(text) > self.SHORT or not domain.isascii() or not DOT_ATOM_TEXT.match(local):
            return normalize_email(text)
        if domain not in self._domains:
            try:
                self._domains[domain] = normalize_email(f"a@{domain}").partition("@")[2]
            except EmailNotValidError:
                self._domains[domain] = None
        checked = self._domains[domain]
        return f"{local}@{checked}".lower() if checked is not None else normalize_email(text)


def slugify(text: str) -> str:
    """`Inland Empire/Desert` -> `inland-empire-desert` (accents dropped, any run of other characters -> one hyphen)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def clean_text(value: str | None) -> str:
    """Trim and collapse inner whitespace (spreadsheets are full of double spaces and stray newlines)."""
    return " ".join((value or "").split())
