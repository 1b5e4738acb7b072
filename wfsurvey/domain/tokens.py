"""Secret tokens (respondent links, API tokens): made from the OS's CSPRNG, stored only as hashes, compared in constant time."""
from __future__ import annotations

import hashlib
import hmac
import secrets

#: 32 bytes = 256 bits from the OS's CSPRNG, URL-safe.
TOKEN_BYTES = 32


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """Tokens are random, so a fast hash is enough; only the hash is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def tokens_match(token: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_token(token), stored_hash)
