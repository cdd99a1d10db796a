"""Authentication: password hashing, access tokens, API keys, rate limits.

Users prove themselves with a password (Argon2id hash in the metadata
store) and get a short-lived signed token; machines use long-lived API keys,
scoped to one organisation and role, stored as hashes and revocable. What a
user or key may do is decided by the data pool's roles and grants.

Examples
--------
>>> from kiwerk.core.auth import TokenSigner
>>> TokenSigner("a-long-test-secret").ttl_s
900.0
"""

from kiwerk.core.auth._bootstrap import bootstrap_owner, set_password
from kiwerk.core.auth._keys import check_key, hash_secret, key_actor, new_key
from kiwerk.core.auth._passwords import PasswordHasher, PasswordParams
from kiwerk.core.auth._ratelimit import RateLimiter
from kiwerk.core.auth._tokens import IssuedToken, TokenClaims, TokenSigner
from kiwerk.errors import RateLimited, Unauthenticated

__all__ = [
    "IssuedToken",
    "PasswordHasher",
    "PasswordParams",
    "RateLimited",
    "RateLimiter",
    "TokenClaims",
    "TokenSigner",
    "Unauthenticated",
    "bootstrap_owner",
    "check_key",
    "hash_secret",
    "key_actor",
    "new_key",
    "set_password",
]
