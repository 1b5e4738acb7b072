"""EmailNormalizer (the import's normalize_email, each domain checked once) answers exactly as normalize_email does."""
from __future__ import annotations

import pytest

from wfsurvey.domain.stakeholders import EmailNormalizer, EmailNotValidError, normalize_email

ADDRESSES = [
    "Ana.Ruiz@Example.ORG", " ben@example.org ", "cy+list@example.org", "dee@sub.example.org", "o'neil@example.org",
    "ed@example.org.", "fay@-bad.example.org", "gus@localhost", "hal@example", "ivy@bücher.example", "jo@xn--bcher-kva.example",
    "kim@@example.org", "lee.@example.org", ".mo@example.org", '"quoted"@example.org', "nia@[127.0.0.1]",
    "Ana <ana@example.org>", "pía@example.org", "x" * 64 + "@example.org", "y" * 190 + "@example.org",
    "z@" + "a" * 63 + ".example.org", "no-at-sign", "@example.org", "q@", "ana@EXAMPLE.org",
]


@pytest.mark.parametrize("address", ADDRESSES)
def test_the_short_way_gives_normalize_emails_answer(address):
    normalize = EmailNormalizer()
    normalize("warm@example.org")  # a domain seen before takes the short way
    normalize("warm@EXAMPLE.org")
    try:
        expected = normalize_email(address)
    except EmailNotValidError as exc:
        with pytest.raises(EmailNotValidError) as raised:
            normalize(address)
        assert str(raised.value) == str(exc)
        with pytest.raises(EmailNotValidError):
            normalize(address)  # and again, once its domain is known
    else:
        assert normalize(address) == expected
        assert normalize(address) == expected
