"""Every system check fires on its misconfiguration, with its id and a hint."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import override_settings

from django_pingone_authorize.checks import check_settings

ENV = "abfba8f6-49eb-49f5-a5d9-80ad5c98f9f6"
GOOD = {"AUTH_PATH": "https://auth.pingone.eu", "ENV_ID": ENV, "CLIENT_ID": "c", "CLIENT_SECRET": "s"}


def ids(**alias: Any) -> list[str]:
    with override_settings(PINGONE_AUTHORIZE={"default": {**GOOD, **alias}}):
        return [m.id for m in check_settings()]  # type: ignore[misc]


def test_good_settings_pass() -> None:
    assert ids() == []


def test_missing_setting() -> None:
    with override_settings(PINGONE_AUTHORIZE=None):
        del_messages = check_settings()
    assert [m.id for m in del_messages] == ["pingone.E001"]
    assert "PINGONE_AUTHORIZE" in (del_messages[0].hint or "")


def test_setting_not_a_dict_and_alias_not_a_slug() -> None:
    with override_settings(PINGONE_AUTHORIZE=["x"]):
        assert [m.id for m in check_settings()] == ["pingone.E001"]
    with override_settings(PINGONE_AUTHORIZE={"bad alias": GOOD, "ok": "not a dict"}):
        assert [m.id for m in check_settings()] == ["pingone.E002", "pingone.E002"]


def test_unknown_key_suggests_the_right_one() -> None:
    with override_settings(PINGONE_AUTHORIZE={"default": {**GOOD, "CLIENTID": "x"}}):
        (message,) = check_settings()
    assert message.id == "pingone.E003"
    assert "'CLIENTID'" in message.msg
    assert message.hint == "Did you mean 'CLIENT_ID'?"


def test_missing_client_id() -> None:
    assert ids(CLIENT_ID="") == ["pingone.E004"]


@pytest.mark.parametrize(
    ("auth_path", "expected"),
    [
        ("http://auth.pingone.com", ["pingone.E005"]),
        ("auth.pingone.com", ["pingone.E005"]),
        ("ftp://auth.pingone.com", ["pingone.E005"]),
        ("http://127.0.0.1:9031", []),
        ("http://localhost:9031", []),
        ("https://login.example.com", []),
    ],
)
def test_auth_path(auth_path: str, expected: list[str]) -> None:
    assert ids(AUTH_PATH=auth_path) == expected


def test_env_id() -> None:
    assert ids(ENV_ID="not-a-uuid") == ["pingone.E006"]
    assert ids(ENV_ID="") == ["pingone.E006"]  # a regional host needs an environment
    assert ids(ENV_ID="", AUTH_PATH="https://login.example.com") == []  # a custom domain does not


def test_method_and_response_mode() -> None:
    assert ids(METHOD="PUT") == ["pingone.E007"]
    assert ids(METHOD="post") == []
    assert ids(RESPONSE_MODE="fragment") == ["pingone.E008"]
    assert ids(RESPONSE_MODE="form_post") == []


def _pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def test_token_endpoint_auth() -> None:
    assert ids(TOKEN_ENDPOINT_AUTH_METHOD="client_secret") == ["pingone.E009"]
    assert ids(CLIENT_SECRET="") == ["pingone.E010"]
    assert ids(CLIENT_SECRET="", TOKEN_ENDPOINT_AUTH_METHOD="none") == []
    assert ids(TOKEN_ENDPOINT_AUTH_METHOD="private_key_jwt") == ["pingone.E010"]
    assert ids(TOKEN_ENDPOINT_AUTH_METHOD="private_key_jwt", PRIVATE_KEY=_pem()) == []
    assert ids(TOKEN_ENDPOINT_AUTH_METHOD="client_secret_jwt", TOKEN_ENDPOINT_AUTH_ALGORITHM="RS256") == [
        "pingone.E010"
    ]


def test_id_token_algorithms() -> None:
    assert ids(ID_TOKEN_ALGORITHMS=("none",)) == ["pingone.E011"]
    assert ids(ID_TOKEN_ALGORITHMS=()) == ["pingone.E011"]
    assert ids(ID_TOKEN_ALGORITHMS=("HS256",), CLIENT_SECRET="", TOKEN_ENDPOINT_AUTH_METHOD="none") == ["pingone.E011"]
    assert ids(ID_TOKEN_ALGORITHMS=("RS256", "ES256")) == []


def test_request_objects_and_keys() -> None:
    assert ids(REQUEST_OBJECT_ALGORITHM="RS256") == ["pingone.E012"]
    assert ids(REQUEST_OBJECT_ALGORITHM="RS256", PRIVATE_KEY=_pem()) == []
    assert ids(REQUEST_OBJECT_ALGORITHM="HS256") == []
    assert ids(REQUEST_OBJECT_ALGORITHM="XX1") == ["pingone.E012"]
    assert ids(PRIVATE_KEY="-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----") == ["pingone.E016"]


def test_request_params_and_numbers_and_urls() -> None:
    assert ids(REQUEST_PARAMS=("prompt", "redirect_uri")) == ["pingone.E015"]
    assert ids(TIMEOUT=0) == ["pingone.E017"]
    assert ids(LEEWAY=-1) == ["pingone.E017"]
    assert ids(DISCOVERY="yes") == ["pingone.E017"]
    assert ids(REQUIRE_ISS="sometimes") == ["pingone.E017"]
    assert ids(TIMEOUT=60) == ["pingone.W003"]
    assert ids(REDIRECT_URI="/pingone/callback/") == ["pingone.E018"]
    assert ids(REDIRECT_URI="https://site.example/pingone/callback/") == []
    assert ids(AUTH_PATH="http://[oops") == ["pingone.E005"]
    assert ids(REDIRECT_URI="http://[oops") == ["pingone.E018"]


def test_cache_alias() -> None:
    assert ids(CACHE="nope") == ["pingone.E019"]
    dummy = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    with override_settings(CACHES=dummy, PINGONE_AUTHORIZE={"default": GOOD}):
        assert [m.id for m in check_settings()] == ["pingone.W004"]


def test_middleware_backend_and_samesite() -> None:
    with override_settings(PINGONE_AUTHORIZE={"default": GOOD}, MIDDLEWARE=[]):
        assert [m.id for m in check_settings()] == ["pingone.E013", "pingone.E013"]
    with override_settings(
        PINGONE_AUTHORIZE={"default": GOOD}, AUTHENTICATION_BACKENDS=["django.contrib.auth.backends.ModelBackend"]
    ):
        assert [m.id for m in check_settings()] == ["pingone.W001"]
    with override_settings(PINGONE_AUTHORIZE={"default": GOOD}, SESSION_COOKIE_SAMESITE="Strict"):
        assert [m.id for m in check_settings()] == ["pingone.W002"]


def test_every_message_has_a_hint() -> None:
    broken = {"CLIENT_ID": "", "AUTH_PATH": "http://x.example", "ENV_ID": "x", "METHOD": "PUT", "TIMEOUT": 0}
    with override_settings(PINGONE_AUTHORIZE={"default": broken}):
        messages = check_settings()
    assert len(messages) >= 5
    assert all(m.hint for m in messages)
