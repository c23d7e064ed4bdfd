"""Tokens at rest: what the app keeps of tokens (a user's in the session, in the cache, in the session index; the
application's client-credentials tokens in the cache) is encrypted, so that a leaked session store, cache dump or
database backup holds no usable token. Here, below every wing, so that ``sessions/`` and ``api/`` share it
(it lived in ``sessions/encryption.py`` before).

AES-256-GCM (``cryptography``; authenticated: a changed byte is refused, not decrypted to garbage), a random
96-bit nonce per value, under a key derived from ``SECRET_KEY`` the way Django derives its own keys
(``salted_hmac`` with a salt of this purpose, SHA-256): changing ``SECRET_KEY`` changes the key.
``SECRET_KEY_FALLBACKS`` are tried for decryption only, so a rotation leaves sessions readable until the fallback
is dropped. The keys are derived when used (never at import), so ``override_settings`` works.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.utils.crypto import salted_hmac
from django.views.decorators.debug import sensitive_variables

KEY_SALT = "django_pingone_authorize.sessions.encryption"  # its first home: the key of what is stored already
PREFIX = "p1."  # the format's version: another format later can be told apart
ASSOCIATED_DATA = b"django_pingone_authorize tokens at rest"
NONCE_BYTES = 12

_keys: dict[tuple[str, ...], list[AESGCM]] = {}


@sensitive_variables("secret", "secrets", "digest")
def _ciphers() -> list[AESGCM]:
    """The cipher of ``SECRET_KEY`` first, then those of ``SECRET_KEY_FALLBACKS``."""
    secrets = (settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", ()))
    ciphers = _keys.get(secrets)
    if ciphers is None:
        ciphers = []
        for secret in secrets:
            digest = salted_hmac(KEY_SALT, "aes-256-gcm key", secret=secret, algorithm="sha256").digest()
            ciphers.append(AESGCM(digest))
        _keys.clear()  # one settings value at a time: a changed SECRET_KEY drops the old keys
        _keys[secrets] = ciphers
    return ciphers


@sensitive_variables("value", "plain")
def encrypt(value: dict[str, Any]) -> str:
    """``value`` (JSON-serialisable) encrypted and authenticated, as ASCII text."""
    plain = json.dumps(value, separators=(",", ":")).encode()
    nonce = os.urandom(NONCE_BYTES)
    sealed = nonce + _ciphers()[0].encrypt(nonce, plain, ASSOCIATED_DATA)
    return PREFIX + base64.urlsafe_b64encode(sealed).decode("ascii")


@sensitive_variables("plain")
def decrypt(text: object) -> dict[str, Any] | None:
    """What ``encrypt`` made, or None when ``text`` is not that (tampered, another key, not a string)."""
    if not isinstance(text, str) or not text.startswith(PREFIX):
        return None
    try:
        sealed = base64.urlsafe_b64decode(text[len(PREFIX) :])
    except (binascii.Error, ValueError):
        return None
    nonce, body = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
    for cipher in _ciphers():
        try:
            plain = cipher.decrypt(nonce, body, ASSOCIATED_DATA)
        except (InvalidTag, ValueError):
            continue
        try:
            value = json.loads(plain)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None
    return None


@sensitive_variables("value", "plain")
def encrypt_text(value: str) -> str:
    """One string encrypted (e.g. a session key kept in the session index)."""
    return encrypt({"v": value})


def decrypt_text(text: object) -> str | None:
    value = decrypt(text)
    inner = value.get("v") if value is not None else None
    return inner if isinstance(inner, str) else None
