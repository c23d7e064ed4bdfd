"""The stand-in's ``pi.flow`` response mode and flows API: every status, actions, the session cookie, errors as JSON."""

from __future__ import annotations

import time

import requests

from django_pingone_authorize.testing import PingOneStandIn
from django_pingone_authorize.testing.driver import sign_on
from tests.standin.helpers import (
    REDIRECT_URI,
    Pkce,
    authorize_params,
    exchange,
    flow_action,
    pi_flow_start,
)

# -- pi.flow and the flows API -------------------------------------------------------------------------


def test_pi_flow_happy_path(pingone_standin: PingOneStandIn, http: requests.Session) -> None:
    pkce = Pkce()
    response = http.get(pingone_standin.authorize_url(**authorize_params(pkce, response_mode="pi.flow")))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert (
        "ST=" in response.headers["Set-Cookie"] and f"Path=/{pingone_standin.env_id}" in response.headers["Set-Cookie"]
    )
    flow = response.json()
    assert flow["status"] == "USERNAME_PASSWORD_REQUIRED"
    flow_url = f"{pingone_standin.auth_path}/{pingone_standin.env_id}/flows/{flow['id']}"
    assert flow["_links"]["self"]["href"] == flow_url
    assert flow["_links"]["usernamePassword.check"]["href"] == flow_url
    assert flow["_links"]["signOnPage"]["href"]
    assert flow["resumeUrl"] == f"{pingone_standin.issuer}/resume?flowId={flow['id']}"
    assert flow["expiresAt"].endswith("Z") and flow["createdAt"].endswith("Z")
    assert flow["_embedded"]["application"]["name"] == "Demo App"
    provider = flow["_embedded"]["socialProviders"][0]
    assert {"id", "name", "type"} <= set(provider) and provider["_links"]["authenticate"]["href"]

    assert http.get(flow_url).json()["status"] == "USERNAME_PASSWORD_REQUIRED"
    done = flow_action(
        http, flow, "usernamePassword.check", "usernamePassword.check", {"username": "demo", "password": "demo"}
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "COMPLETED"
    resumed = http.get(done.json()["resumeUrl"], allow_redirects=False)
    assert resumed.status_code == 200
    answer = resumed.json()
    assert answer["status"] == "COMPLETED"
    assert answer["authorizeResponse"]["state"] == "state-1"
    assert answer["authorizeResponse"]["iss"] == pingone_standin.issuer
    assert exchange(pingone_standin, answer["authorizeResponse"]["code"], pkce).status_code == 200
    assert http.get(done.json()["resumeUrl"]).status_code == 404

    # The session now signs the next pi.flow request on at once.
    again = pi_flow_start(pingone_standin, http, pkce)
    assert again["status"] == "COMPLETED"
    assert "code" in http.get(again["resumeUrl"]).json()["authorizeResponse"]


def test_pi_flow_without_redirect_uri(pingone_standin: PingOneStandIn, http: requests.Session) -> None:
    pkce = Pkce()
    params = authorize_params(pkce, response_mode="pi.flow")
    del params["redirect_uri"]
    flow = http.get(pingone_standin.authorize_url(**params)).json()
    flow_action(
        http, flow, "usernamePassword.check", "usernamePassword.check", {"username": "demo", "password": "demo"}
    )
    code = http.get(flow["resumeUrl"]).json()["authorizeResponse"]["code"]
    response = requests.post(
        pingone_standin.token_endpoint,
        data={"grant_type": "authorization_code", "code": code, "code_verifier": pkce.verifier},
        auth=("demo-client", "demo-secret"),
        timeout=5,
    )
    assert response.status_code == 200, response.text


def test_pi_flow_wrong_password(pingone_standin: PingOneStandIn, http: requests.Session) -> None:
    flow = pi_flow_start(pingone_standin, http, Pkce())
    response = flow_action(
        http, flow, "usernamePassword.check", "usernamePassword.check", {"username": "demo", "password": "nope"}
    )
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"id", "code", "message", "details"}
    assert body["code"] == "INVALID_DATA"
    assert body["details"] == [
        {"code": "INVALID_CREDENTIALS", "target": "password", "message": "The username or password is incorrect."}
    ]
    assert http.get(flow["_links"]["self"]["href"]).json()["status"] == "USERNAME_PASSWORD_REQUIRED"
    missing = flow_action(http, flow, "usernamePassword.check", "usernamePassword.check", {"username": "demo"})
    assert missing.json()["details"][0] == {
        "code": "REQUIRED_VALUE",
        "target": "password",
        "message": "password is required.",
    }


def test_pi_flow_must_change_password(pingone_standin: PingOneStandIn, http: requests.Session) -> None:
    pkce = Pkce()
    flow = pi_flow_start(pingone_standin, http, pkce)
    step = flow_action(
        http, flow, "usernamePassword.check", "usernamePassword.check", {"username": "change", "password": "change"}
    ).json()
    assert step["status"] == "MUST_CHANGE_PASSWORD"
    assert step["_links"]["password.reset"]["href"] == flow["_links"]["self"]["href"]
    assert step["_embedded"]["user"]["username"] == "change"
    same = flow_action(
        http, step, "password.reset", "password.reset", {"currentPassword": "change", "newPassword": "change"}
    )
    assert same.status_code == 400 and same.json()["details"][0]["target"] == "newPassword"
    wrong = flow_action(http, step, "password.reset", "password.reset", {"currentPassword": "x", "newPassword": "y"})
    assert wrong.json()["details"][0]["target"] == "currentPassword"
    done = flow_action(
        http, step, "password.reset", "password.reset", {"currentPassword": "change", "newPassword": "new-pw"}
    )
    assert done.json()["status"] == "COMPLETED"
    code = http.get(done.json()["resumeUrl"]).json()["authorizeResponse"]["code"]
    assert exchange(pingone_standin, code, pkce).status_code == 200


def test_pi_flow_otp(pingone_standin: PingOneStandIn, http: requests.Session) -> None:
    flow = pi_flow_start(pingone_standin, http, Pkce())
    step = flow_action(
        http, flow, "usernamePassword.check", "usernamePassword.check", {"username": "otp", "password": "otp"}
    ).json()
    assert step["status"] == "OTP_REQUIRED"
    assert "otp.check" in step["_links"]
    wrong = flow_action(http, step, "otp.check", "otp.check", {"otp": "111111"})
    assert wrong.status_code == 400 and wrong.json()["details"][0]["target"] == "otp"
    assert flow_action(http, step, "otp.check", "otp.check", {"otp": "123456"}).json()["status"] == "COMPLETED"


def test_pi_flow_unknown_status_and_actions(pingone_standin: PingOneStandIn, http: requests.Session) -> None:
    flow = pi_flow_start(pingone_standin, http, Pkce())
    unknown_action = flow_action(http, flow, "self", "user.register", {"username": "x"})
    assert unknown_action.status_code == 400 and unknown_action.json()["code"] == "INVALID_REQUEST"
    plain_json = http.post(flow["_links"]["self"]["href"], json={"username": "demo", "password": "demo"})
    assert plain_json.status_code == 400 and plain_json.json()["code"] == "INVALID_REQUEST"
    wrong_step = flow_action(http, flow, "self", "otp.check", {"otp": "123456"})
    assert wrong_step.status_code == 400 and wrong_step.json()["code"] == "INVALID_REQUEST"

    stuck = flow_action(
        http, flow, "usernamePassword.check", "usernamePassword.check", {"username": "device", "password": "device"}
    ).json()
    assert stuck["status"] == "DEVICE_SELECTION_REQUIRED"
    assert "signOnPage" in stuck["_links"]
    not_done = http.get(stuck["resumeUrl"])
    assert not_done.status_code == 400 and not_done.json()["code"] == "INVALID_REQUEST"


def test_pi_flow_external_link_is_cookie_bound_by_default(
    pingone_standin: PingOneStandIn, http: requests.Session
) -> None:
    flow = pi_flow_start(pingone_standin, http, Pkce())
    authenticate = flow["_embedded"]["socialProviders"][0]["_links"]["authenticate"]["href"]
    with requests.Session() as stranger:  # without the flow's ST cookie
        refused = stranger.get(authenticate)
    assert refused.status_code == 403 and "cookie" in refused.text
    assert http.get(flow["_links"]["self"]["href"]).json()["status"] == "USERNAME_PASSWORD_REQUIRED"


def test_pi_flow_external_provider(pingone_standin: PingOneStandIn, http: requests.Session) -> None:
    pingone_standin.external_links_cookie_bound = False  # a PingOne whose authenticate links anyone may follow
    pkce = Pkce()
    flow = pi_flow_start(pingone_standin, http, pkce)
    authenticate = flow["_embedded"]["socialProviders"][0]["_links"]["authenticate"]["href"]
    with requests.Session() as browser:  # the browser does not hold the app server's ST cookie
        page = browser.get(authenticate)
        assert page.status_code == 200 and "Stand-in IdP" in page.text
        waiting = http.get(flow["_links"]["self"]["href"]).json()
        assert waiting["status"] == "EXTERNAL_AUTHENTICATION_REQUIRED"
        assert waiting["_embedded"]["identityProvider"]["name"] == "Stand-in IdP"
        back = sign_on(browser, authenticate)
    assert back.method == "GET"
    assert back.url == f"{REDIRECT_URI}?flowId={flow['id']}"
    completed = http.get(flow["_links"]["self"]["href"]).json()
    assert completed["status"] == "COMPLETED"
    code = http.get(completed["resumeUrl"]).json()["authorizeResponse"]["code"]
    assert exchange(pingone_standin, code, pkce).status_code == 200


def test_pi_flow_expires(pingone_standin: PingOneStandIn, http: requests.Session) -> None:
    pingone_standin.flow_ttl = 0.2
    flow = pi_flow_start(pingone_standin, http, Pkce())
    time.sleep(0.3)
    response = http.get(flow["_links"]["self"]["href"])
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "NOT_FOUND" and body["id"] and body["message"]
    assert http.get(flow["resumeUrl"]).status_code == 404


def test_pi_flow_needs_the_session_cookie(pingone_standin: PingOneStandIn, http: requests.Session) -> None:
    flow = pi_flow_start(pingone_standin, http, Pkce())
    with requests.Session() as stranger:
        response = flow_action(
            stranger, flow, "usernamePassword.check", "usernamePassword.check", {"username": "demo", "password": "demo"}
        )
        assert response.status_code == 403
        assert response.json()["code"] == "ACCESS_FAILED"
        assert stranger.get(flow["_links"]["self"]["href"]).status_code == 403
        assert stranger.get(flow["resumeUrl"]).status_code == 403


def test_pi_flow_errors_are_json(pingone_standin: PingOneStandIn, http: requests.Session) -> None:
    bad_client = http.get(pingone_standin.authorize_url("nobody", response_mode="pi.flow"))
    assert bad_client.status_code == 400 and bad_client.json()["error"] == "invalid_client"
    not_signed_on = http.get(
        pingone_standin.authorize_url(**authorize_params(Pkce(), response_mode="pi.flow", prompt="none"))
    )
    assert not_signed_on.status_code == 400
    assert not_signed_on.json()["error"] == "login_required" and not_signed_on.json()["state"] == "state-1"
