"""Whole sign-ons against a certified OpenID Provider (panva's oidc-provider, laid out like PingOne),
over real HTTP on loopback: GET and POST initiation, query and form_post, every client auth method,
signed request objects, PAR, userinfo, HS256 ID tokens, and logout through the OP's sign-off.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.conf import settings as django_settings
from django.test import Client

from django_pingone_authorize.models import PingOneIdentity
from django_pingone_authorize.sessions.token_store import get_tokens
from tests.doubles.html_forms import parse_page
from tests.doubles.op_driver import AuthorizationResponse, sign_off_at_op, sign_on_at_op
from tests.doubles.op_server import OidcProvider

pytestmark = pytest.mark.django_db


def form_of(html: bytes) -> tuple[str, dict[str, str]]:
    """The action and fields of the page's one form (a POST authorize request, the callback's hop)."""
    (form,) = parse_page(html).forms
    return form.action, form.fields


def alias_for(op: OidcProvider, client_id: str, **options: Any) -> dict[str, Any]:
    registered = op.clients[client_id]
    config: dict[str, Any] = {
        "AUTH_PATH": op.auth_path,
        "ENV_ID": op.env_id,
        "CLIENT_ID": client_id,
        "CLIENT_SECRET": registered.get("client_secret") or "",
        "TOKEN_ENDPOINT_AUTH_METHOD": registered["token_endpoint_auth_method"],
    }
    if registered.get("private_key_pem"):
        config["PRIVATE_KEY"] = registered["private_key_pem"]
        config["PRIVATE_KEY_ID"] = registered["kid"]
    config.update(options)
    return config


def start(client: Client, alias: str = "default", **data: str) -> tuple[str | None, tuple[str, dict[str, str]] | None]:
    """Press the login button; returns the GET authorize URL or the POST form the app produced."""
    url = "/pingone/login/" if alias == "default" else f"/pingone/login/{alias}/"
    response = client.post(url, data)
    if response.status_code == 302:
        return response["Location"], None
    assert response.status_code == 200, response.content
    return None, form_of(response.content)


def come_back(client: Client, answer: AuthorizationResponse) -> Any:
    path = urlsplit(answer.url).path
    if answer.method == "GET":
        return client.get(path, dict(answer.params))
    return client.post(path, answer.data)


def sign_on(
    client: Client, username: str = "alice", password: str = "alice-pw", alias: str = "default", **data: str
) -> Any:
    url, form = start(client, alias, **data)
    answer = sign_on_at_op(requests.Session(), url, form=form, username=username, password=password)
    return come_back(client, answer)


@pytest.fixture
def use(settings: Any, oidc_op: OidcProvider) -> Any:
    def configure(client_id: str = "basic-client", **options: Any) -> None:
        settings.PINGONE_AUTHORIZE = {"default": alias_for(oidc_op, client_id, **options)}

    return configure


def assert_signed_on_as(client: Client, username: str, response: Any, next_url: str = "/home/") -> None:
    assert response.status_code == 302, response.content
    assert response["Location"] == next_url
    assert client.get("/home/").content.decode() == f"home: {username}"


@pytest.mark.parametrize("client_id", ["basic-client", "post-client", "jwt-client", "pkjwt-client", "public-client"])
def test_every_token_endpoint_auth_method(client: Client, use: Any, oidc_op: OidcProvider, client_id: str) -> None:
    use(client_id)
    response = sign_on(client)
    assert_signed_on_as(client, "alice", response)
    identity = PingOneIdentity.objects.get()
    assert (identity.issuer, identity.subject) == (oidc_op.issuer, "alice-sub")
    assert identity.user.email == "alice@example.com"
    assert identity.user.first_name == "Alice"


@pytest.mark.parametrize(
    ("method", "mode"), [("GET", None), ("GET", "form_post"), ("POST", None), ("POST", "form_post")]
)
def test_get_and_post_initiation_with_query_and_form_post(
    client: Client, use: Any, method: str, mode: str | None
) -> None:
    use(METHOD=method, RESPONSE_MODE=mode)
    url, form = start(client, next="/home/?tab=2")
    assert (url is None) == (method == "POST")
    answer = sign_on_at_op(requests.Session(), url, form=form)
    assert answer.method == ("POST" if mode == "form_post" else "GET")
    alias = django_settings.PINGONE_AUTHORIZE["default"]
    assert answer.params["iss"] == f"{alias['AUTH_PATH']}/{alias['ENV_ID']}/as"
    assert_signed_on_as(client, "alice", come_back(client, answer), next_url="/home/?tab=2")


def test_form_post_without_the_session_cookie_hops_same_site(client: Client, use: Any) -> None:
    """A cross-site form_post carries no SameSite=Lax cookie: the callback re-posts it from our site."""
    use(RESPONSE_MODE="form_post")
    url, form = start(client)
    answer = sign_on_at_op(requests.Session(), url, form=form)
    session_cookie = client.cookies.pop(django_settings.SESSION_COOKIE_NAME)
    hop = client.post("/pingone/callback/", answer.data)
    assert hop.status_code == 200
    assert "Set-Cookie" not in hop.headers and not hop.cookies  # the visitor's session is not replaced
    action, fields = form_of(hop.content)
    assert action == "/pingone/callback/"
    assert fields == {**answer.data, "_pingone_hop": "1"}
    client.cookies[django_settings.SESSION_COOKIE_NAME] = session_cookie.value  # the same-site POST carries it
    assert_signed_on_as(client, "alice", client.post(action, fields))


def test_hop_without_any_session_ends_in_a_clear_error(client: Client, use: Any) -> None:
    use(RESPONSE_MODE="form_post")
    url, form = start(client)
    answer = sign_on_at_op(requests.Session(), url, form=form)
    stranger = Client()
    response = stranger.post("/pingone/callback/", {**answer.data, "_pingone_hop": "1"})
    assert response.status_code == 400
    assert b"state_unknown" in response.content
    assert "_auth_user_id" not in stranger.session


def test_signed_request_object_required_by_the_client(client: Client, use: Any) -> None:
    use("ro-client", REQUEST_OBJECT_ALGORITHM="RS256")
    assert_signed_on_as(client, "alice", sign_on(client))


def test_request_object_refused_when_missing(client: Client, use: Any) -> None:
    use("ro-client")  # the OP requires one; the app sends plain parameters
    url, _ = start(client)
    answer = sign_on_at_op(requests.Session(), url)
    assert answer.params["error"] == "invalid_request"
    response = come_back(client, answer)
    assert response.status_code == 400
    assert b"invalid_request" in response.content
    assert "_auth_user_id" not in client.session


def test_pushed_authorization_request(client: Client, use: Any, oidc_op: OidcProvider) -> None:
    use("par-client", USE_PAR=True)
    url, _ = start(client)
    assert url is not None
    params = parse_qs(urlsplit(url).query)
    assert set(params) == {"client_id", "request_uri"}
    assert_signed_on_as(client, "alice", come_back(client, sign_on_at_op(requests.Session(), url)))


def test_hs256_id_tokens_when_configured(client: Client, use: Any) -> None:
    use("hs-client", ID_TOKEN_ALGORITHMS=("HS256",))
    assert_signed_on_as(client, "alice", sign_on(client))


def test_hs256_id_tokens_refused_by_default(client: Client, use: Any) -> None:
    use("hs-client")
    response = sign_on(client)
    assert response.status_code == 400
    assert b"id_token_bad_algorithm" in response.content
    assert "_auth_user_id" not in client.session


def test_userinfo_claims_are_merged(client: Client, use: Any) -> None:
    use(USERINFO=True, SCOPE="openid profile email")
    assert_signed_on_as(client, "alice", sign_on(client))


def test_prompt_login_and_max_age_reach_the_op(client: Client, use: Any) -> None:
    use()
    assert_signed_on_as(client, "alice", sign_on(client, prompt="login", max_age="300"))


def test_user_cancels_at_the_op(client: Client, use: Any) -> None:
    use()
    url, _ = start(client)
    answer = sign_on_at_op(requests.Session(), url, cancel=True)
    response = come_back(client, answer)
    assert response.status_code == 403
    assert b"access_denied" in response.content
    assert "_auth_user_id" not in client.session


def test_second_user_and_returning_user(client: Client, use: Any) -> None:
    use()
    assert_signed_on_as(client, "alice", sign_on(client))
    other = Client()
    assert_signed_on_as(other, "bob", sign_on(other, "bob", "bob-pw"))
    again = Client()
    assert_signed_on_as(again, "alice", sign_on(again))
    assert PingOneIdentity.objects.count() == 2


def test_logout_signs_off_at_the_op(client: Client, use: Any, oidc_op: OidcProvider) -> None:
    use(POST_LOGOUT_REDIRECT_URI="http://testserver/")
    http = requests.Session()
    url, _ = start(client)
    assert_signed_on_as(client, "alice", come_back(client, sign_on_at_op(http, url)))
    id_token = get_tokens(client.session)["id_token"]
    response = client.post("/pingone/logout/")
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == oidc_op.end_session_endpoint
    params = {k: v[0] for k, v in parse_qs(target.query).items()}
    assert params["id_token_hint"] == id_token
    assert params["post_logout_redirect_uri"] == "http://testserver/"
    assert "state" not in params  # nothing on the way back would check one
    assert "_auth_user_id" not in client.session
    back = sign_off_at_op(http, response["Location"])
    assert back == "http://testserver/"


def test_logout_without_signoff_stays_on_the_site(client: Client, use: Any) -> None:
    use(SIGNOFF=False)
    assert_signed_on_as(client, "alice", sign_on(client))
    response = client.post("/pingone/logout/")
    assert response["Location"] == "/"
    assert client.get("/home/").content == b"home: anonymous"
    assert client.get("/pingone/logout/").status_code == 405
