"""Personal data at rest: Fernet encryption plus a keyed hash for exact lookup.

Fernet tokens are randomised, so equal values encrypt differently; the
HMAC-SHA256 digest (keyed by a key derived from the data key) is what makes
"find the resident with this ID number" possible without decrypting.
"""
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


@lru_cache(maxsize=4)
def _fernet(key: str) -> Fernet:
    return Fernet(key.encode())


@lru_cache(maxsize=4)
def _hash_key(key: str) -> bytes:
    return hashlib.sha256(b"gongzhi-lookup-hash:" + key.encode()).digest()


def encrypt(value: str) -> str:
    if not value:
        return ""
    return _fernet(settings.DATA_KEY).encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet(settings.DATA_KEY).decrypt(token.encode()).decode()
    except InvalidToken:
        return ""


def lookup_hash(value: str) -> str:
    """Keyed digest of a normalised value; empty input gives None (no lookup key)."""
    if not value:
        return None
    return hmac.new(_hash_key(settings.DATA_KEY), value.strip().upper().encode(), hashlib.sha256).hexdigest()
