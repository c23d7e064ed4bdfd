"""Issue 22, items 5, 6, 9, 10 and 11: design risks closed, key rotation right after a probe, and settings that
match PingOne. Against the stand-in and the hostile provider over real HTTP, and a real (unreachable) Redis.
"""

from __future__ import annotations

from io import StringIO
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.contrib.admin import AdminSite
from django.core.cache import caches
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import path

from django_pingone_authorize import admin as admin_login
from django_pingone_authorize.api.client_credentials import get_client_token
from django_pingone_authorize.approval.complete import _first_use
from django_pingone_authorize.checks import check_admin_login_view, check_session_settings, check_settings
from django_pingone_authorize.conf import get_alias
from django_pingone_authorize.errors import ProviderError
from django_pingone_authorize.provider import circuit_breaker, shared_cache, signing_keys
from django_pingone_authorize.provider.http import request_json
from django_pingone_authorize.testing import PingOneStandIn
from tests.api.support import bearer, client_credentials, mint
from tests.approval.test_policy import approved_record
from tests.doubles.hostile_provider import HostileProvider
from tests.end_to_end.test_pingone_standin import full_sign_on
from tests.end_to_end.test_rp_certification import ShiftedClock
from tests.oidc.test_backchannel_logout import URL as BACKCHANNEL
from tests.oidc.test_backchannel_logout import claims, signed_in, signed_in_with_sid
from tests.provider.test_outage import Outage

pytestmark = pytest.mark.django_db

DEAD_REDIS = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
ENV = "abfba8f6-49eb-49f5-a5d9-80ad5c98f9f6"
GOOD = {"AUTH_PATH": "https://auth.pingone.eu", "ENV_ID": ENV, "CLIENT_ID": "c", "CLIENT_SECRET": "s"}


# -- item 5: the circuit breaker counts only what the visitor cannot shape ------------------------------------


def test_visitor_shaped_failures_do_not_open_the_circuit(settings: Any, pingone_standin: PingOneStandIn) -> None:
    settings.PINGONE_AUTHORIZE_CIRCUIT_BREAKER = {"FAILURES": 2, "WINDOW": 30, "COOL_DOWN": 30}
    circuit_breaker.reset_caches()
    broken = f"{pingone_standin.issuer}/no-such-endpoint"  # the stand-in answers 404; a PingOne bug: 5xx
    url = pingone_standin.issuer.rsplit("/as", 1)[0] + "/flows/made-up"
    for _ in range(5):
        with pytest.raises(ProviderError):
            with circuit_breaker.guard(url, counted=False):
                raise ProviderError("provider_server_error", "PingOne tripped over the visitor's input")
    assert circuit_breaker.state(url) == "closed"
    with pytest.raises(ProviderError):
        request_json("GET", broken, timeout=2, what="probe", counted=False)
    for _ in range(2):
        with pytest.raises(ProviderError), circuit_breaker.guard(url):
            raise ProviderError("provider_timeout", "PingOne is down")
    assert circuit_breaker.state(url) == "open"
    circuit_breaker.reset_caches()
    caches["default"].clear()


def test_each_environment_has_its_own_management_api_breaker() -> None:
    first = "https://api.pingone.eu/v1/environments/env-a/users/u/sessions"
    second = "https://api.pingone.eu/v1/environments/env-b/users/u/sessions"
    assert circuit_breaker.breaker_key(first) != circuit_breaker.breaker_key(second)
    assert circuit_breaker.breaker_key(first) == circuit_breaker.breaker_key(first + "/s-1")


# -- item 5: client-credentials tokens encrypted at rest -------------------------------------------------------


def test_client_credentials_tokens_are_encrypted_in_the_cache(api_standin: PingOneStandIn) -> None:
    token = get_client_token(scopes="orders:read")
    cache = caches["default"]
    values = [str(value) for value in cache._cache.values()]  # type: ignore[attr-defined]
    assert values and all(token not in value for value in values)
    assert all(token.split(".")[1] not in value for value in values)


# -- item 5: replay protection and single use fail closed -------------------------------------------------------


def test_a_logout_token_is_refused_when_the_cache_cannot_say_it_is_new(settings: Any, hostile: HostileProvider) -> None:
    settings.CACHES = {"default": settings.CACHES["default"], "pingone": DEAD_REDIS}
    shared_cache.reset_caches()
    hostile.configure(CACHE="pingone")
    first = signed_in_with_sid("sid-1", issuer=hostile.issuer)
    answer = Client().post(BACKCHANNEL, {"logout_token": hostile.mint(None, claims=claims(hostile))})
    assert answer.status_code == 400 and answer.json()["error_description"] == "logout_token_replay_unchecked"
    assert signed_in(first)


def test_an_approval_is_not_used_when_the_cache_cannot_say_it_is_unused(settings: Any) -> None:
    from django.contrib.auth import get_user_model

    settings.CACHES = {"default": settings.CACHES["default"], "pingone": DEAD_REDIS}
    settings.PINGONE_AUTHORIZE = {"default": {**GOOD, "CACHE": "pingone"}}
    shared_cache.reset_caches()
    user = get_user_model().objects.create_user("ann")
    assert _first_use(approved_record(user, acr=None, acr_values=())) is False


# -- item 5: stale signing keys bounded ---------------------------------------------------------------------------


def test_stale_signing_keys_are_served_for_an_hour_not_a_day(
    settings: Any, api_standin: PingOneStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = get_alias()
    assert Client().get("/api/plain/orders/", **bearer(client_credentials(api_standin))).status_code == 200
    outage = Outage(monkeypatch)  # PingOne's signing keys cannot be fetched
    outage.paths, outage.down = ("/jwks",), True
    clock = ShiftedClock()
    monkeypatch.setattr(signing_keys, "time", clock)
    for late, status in ((1800, 200), (3 * 3600, 503)):  # half an hour past CACHE_TTL: served; three hours: not
        clock.offset = config.CACHE_TTL + late
        response = Client().get("/api/plain/orders/", **bearer(mint(api_standin, jti=str(late))))
        assert response.status_code == status, response.content
    circuit_breaker.reset_caches()


# -- item 5: the admin's login view under ADMIN_LOGIN = "only" -----------------------------------------------------

late_site = AdminSite(name="late")
late_urls = late_site.urls  # read before install(): the URL keeps the password login view
admin_login.install(late_site)
urlpatterns = [path("admin/", late_urls)]


@pytest.mark.urls(__name__)
def test_an_admin_site_installed_after_its_urls_were_read_is_a_check_error() -> None:
    with override_settings(PINGONE_AUTHORIZE={"default": {**GOOD, "ADMIN_LOGIN": "only"}}):
        found = check_admin_login_view()
    assert [m.id for m in found] == ["pingone.E105"] and "install" in (found[0].hint or "")
    with override_settings(PINGONE_AUTHORIZE={"default": {**GOOD, "ADMIN_LOGIN": True}}):
        assert check_admin_login_view() == []


@pytest.mark.urls("tests.admin_urls")
def test_an_admin_site_installed_in_time_passes() -> None:
    with override_settings(PINGONE_AUTHORIZE={"default": {**GOOD, "ADMIN_LOGIN": "only"}}):
        assert check_admin_login_view() == []


# -- item 6: PingOne's key rotation right after a probe with a made-up kid ----------------------------------------


def test_a_rotation_right_after_a_probe_is_fetched_at_once(settings: Any, api_standin: PingOneStandIn) -> None:
    from tests.api.support import configure

    configure(settings, api_standin, STORE_TOKENS=True)
    client = Client()
    assert client.get("/api/plain/orders/", **bearer(client_credentials(api_standin))).status_code == 200
    probe = mint(api_standin, headers={"kid": "made-up-kid"})
    assert client.get("/api/plain/orders/", **bearer(probe)).status_code == 401  # refetched, floor set
    api_standin.rotate_keys()  # PingOne rotates a second later
    assert full_sign_on(Client()).status_code == 302  # the ID token's new kid is fetched at once
    jwks = [p for _, p in api_standin.requests_seen if p == api_standin.paths.jwks_uri]
    assert len(jwks) == 3
    # Tokens anyone can hand us are still bounded: another made-up kid fetches nothing now.
    assert client.get("/api/plain/orders/", **bearer(mint(api_standin, headers={"kid": "other"}))).status_code == 401
    assert len([p for _, p in api_standin.requests_seen if p == api_standin.paths.jwks_uri]) == 3


# -- item 9: front- and back-channel logout off unless turned on ---------------------------------------------------


def test_channel_logout_endpoints_answer_404_by_default(settings: Any, pingone_standin: PingOneStandIn) -> None:
    settings.PINGONE_AUTHORIZE = {"default": pingone_standin.settings()}
    front = Client().get("/pingone/logout/frontchannel/", {"iss": pingone_standin.issuer, "sid": "s"})
    back = Client().post("/pingone/logout/backchannel/", {"logout_token": "a.b.c"})
    assert front.status_code == 404 and back.status_code == 404


def test_the_readme_set_up_does_not_register_channel_logout() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    set_up = readme.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    assert "frontchannel" not in set_up and "backchannel" not in set_up
    assert "front-channel" not in set_up.lower() and "back-channel" not in set_up.lower()


# -- item 10: the management API needs the environment ID and its own host ------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {"AUTH_PATH": "https://login.example.com", "ENV_ID": ""},  # a custom domain
        {"AUTH_PATH": "https://login.example.com", "ENV_ID": ENV},  # a custom domain, no API host
        {"WORKER_CLIENT_SECRET": ""},
    ],
)
def test_worker_credentials_without_what_the_management_api_needs(options: dict[str, Any]) -> None:
    worker = {"WORKER_CLIENT_ID": "w", "WORKER_CLIENT_SECRET": "ws"}
    with override_settings(PINGONE_AUTHORIZE={"default": {**GOOD, **worker, **options}}):
        found = check_session_settings()
    assert [m.id for m in found] == ["pingone.E110"] and found[0].hint


def test_worker_credentials_with_what_the_management_api_needs() -> None:
    worker = {"WORKER_CLIENT_ID": "w", "WORKER_CLIENT_SECRET": "ws"}
    custom = {"AUTH_PATH": "https://login.example.com", "MANAGEMENT_API_PATH": "https://api.pingone.eu"}
    for options in ({}, custom):
        with override_settings(PINGONE_AUTHORIZE={"default": {**GOOD, **worker, **options}}):
            assert check_session_settings() == []


# -- item 11: the algorithms PingOne accepts ------------------------------------------------------------------------


def _ec_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.mark.parametrize(
    ("options", "check_id"),
    [
        ({"REQUEST_OBJECT_ALGORITHM": "PS256", "PRIVATE_KEY": _ec_pem()}, "pingone.E028"),
        ({"REQUEST_OBJECT_ALGORITHM": "ES256", "PRIVATE_KEY": _ec_pem()}, "pingone.E028"),
        (
            {
                "TOKEN_ENDPOINT_AUTH_METHOD": "private_key_jwt",
                "PRIVATE_KEY": _ec_pem(),
                "TOKEN_ENDPOINT_AUTH_ALGORITHM": "PS256",
            },
            "pingone.E025",
        ),
    ],
)
def test_algorithms_pingone_does_not_accept_are_check_errors(options: dict[str, Any], check_id: str) -> None:
    with override_settings(PINGONE_AUTHORIZE={"default": {**GOOD, **options}}):
        assert [m.id for m in check_settings()] == [check_id]


def test_private_key_jwt_with_es256_signs_on_at_the_standin(settings: Any, pingone_standin: PingOneStandIn) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_jwk = jwt.algorithms.ECAlgorithm.to_jwk(key.public_key(), as_dict=True)
    pingone_standin.add_client("ec-client", None, token_endpoint_auth_method="private_key_jwt", public_jwk=public_jwk)
    settings.PINGONE_AUTHORIZE = {
        "default": pingone_standin.settings(
            "ec-client",
            REDIRECT_URI="http://127.0.0.1:8000/pingone/callback/",
            PRIVATE_KEY=pem,
            TOKEN_ENDPOINT_AUTH_ALGORITHM="ES256",
        )
    }
    assert full_sign_on(Client()).status_code == 302


def test_pingone_check_mentions_the_idp_signoff_application_setting(
    settings: Any, pingone_standin: PingOneStandIn
) -> None:
    settings.PINGONE_AUTHORIZE = {"default": pingone_standin.settings(IDP_SIGNOFF=True)}
    out = StringIO()
    call_command("pingone_check", stdout=out)
    assert "idpSignoff" in out.getvalue()


def test_the_standin_refuses_a_request_object_it_would_not_take_from_pingone(pingone_standin: PingOneStandIn) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    token = jwt.encode({"iss": "demo-client", "aud": pingone_standin.issuer}, key, algorithm="ES256")
    answer = requests.get(
        pingone_standin.authorization_endpoint,
        params={"client_id": "demo-client", "response_type": "code", "scope": "openid", "request": token},
        allow_redirects=False,
        timeout=5,
    )
    assert answer.status_code in (302, 400) and "code=" not in answer.headers.get("Location", "")
