"""``token_encryption``: tokens at rest, under a key derived from ``SECRET_KEY`` (fallbacks decrypt only)."""

from __future__ import annotations

from django.test import override_settings

from django_pingone_authorize.provider import encryption as token_encryption


def test_round_trip_and_nothing_readable() -> None:
    sealed = token_encryption.encrypt({"refresh_token": "rt-secret-value", "n": 1})
    assert "rt-secret-value" not in sealed
    assert token_encryption.decrypt(sealed) == {"refresh_token": "rt-secret-value", "n": 1}


def test_tampered_or_foreign_values_are_none() -> None:
    sealed = token_encryption.encrypt({"a": "b"})
    assert token_encryption.decrypt(sealed[:-4] + "AAAA") is None
    assert token_encryption.decrypt("not a token") is None
    assert token_encryption.decrypt(None) is None
    assert token_encryption.decrypt(12) is None
    with override_settings(SECRET_KEY="another-secret-key-" + "z" * 40):
        assert token_encryption.decrypt(sealed) is None


def test_secret_key_fallbacks_decrypt_but_never_encrypt() -> None:
    old = token_encryption.encrypt({"a": "b"})
    with override_settings(SECRET_KEY="new-secret-key-" + "n" * 40, SECRET_KEY_FALLBACKS=["tests-only-not-secret"]):
        assert token_encryption.decrypt(old) == {"a": "b"}
        new = token_encryption.encrypt({"c": "d"})
    assert token_encryption.decrypt(new) is None  # written under the new key only


def test_text_helpers() -> None:
    assert token_encryption.decrypt_text(token_encryption.encrypt_text("session-key")) == "session-key"
    assert token_encryption.decrypt_text(token_encryption.encrypt({"v": 3})) is None
