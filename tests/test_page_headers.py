"""The app's own pages (error page, auto-submitting POST page, form_post hop page, embedded sign-on pages) are
never framed, whatever the site's middleware, and send a ``Referrer-Policy`` that fits where their forms post
(``views/page_headers.py``)."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client

from django_pingone_authorize.pages import protect_page
from django_pingone_authorize.testing import PingOneStandIn

pytestmark = pytest.mark.django_db

CALLBACK = "http://127.0.0.1:8000/pingone/callback/"
CLICKJACKING = "django.middleware.clickjacking.XFrameOptionsMiddleware"
DJANGO_CSP = "django.middleware.csp.ContentSecurityPolicyMiddleware"


def assert_unframeable(response: Any, referrer_policy: str) -> None:
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["Referrer-Policy"] == referrer_policy


def error_page(client: Client) -> Any:
    response = client.get("/pingone/callback/", {"state": "unknown", "code": "whatever"})
    assert response.status_code == 400
    return response


def test_error_page(client: Client) -> None:
    # Its forms (in an overriding template) would post to the site: a "no-referrer" page makes Chromium send
    # "Origin: null", which Django's CSRF check refuses.
    assert_unframeable(error_page(client), "same-origin")


def test_auto_submit_post_page(client: Client, settings: Any) -> None:
    settings.PINGONE_AUTHORIZE = {"default": {**settings.PINGONE_AUTHORIZE["default"], "METHOD": "POST"}}
    response = client.post("/pingone/login/")
    assert response.status_code == 200 and b"data-pingone-autosubmit" in response.content
    assert_unframeable(response, "no-referrer")


def test_form_post_hop_page(client: Client) -> None:
    response = client.post("/pingone/callback/", {"code": "c", "state": "s"})  # no session cookie
    assert response.status_code == 200 and b"_pingone_hop" in response.content
    assert_unframeable(response, "no-referrer")


def test_embedded_sign_on_page(client: Client, settings: Any, pingone_standin: PingOneStandIn) -> None:
    settings.PINGONE_AUTHORIZE = {"default": pingone_standin.settings(RESPONSE_MODE="pi.flow", REDIRECT_URI=CALLBACK)}
    page = client.get(client.post("/pingone/login/")["Location"])
    assert page.status_code == 200
    assert_unframeable(page, "same-origin")


def test_clickjacking_middleware_does_not_downgrade_it(client: Client, settings: Any) -> None:
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, CLICKJACKING]
    settings.X_FRAME_OPTIONS = "SAMEORIGIN"
    assert error_page(client)["X-Frame-Options"] == "DENY"
    assert client.get("/home/")["X-Frame-Options"] == "SAMEORIGIN"  # the site's other pages: its choice


def test_a_policy_already_set_is_kept() -> None:
    response = protect_page(HttpResponse(), referrer_policy="same-origin")
    assert response["Content-Security-Policy"] == "frame-ancestors 'none'"

    site = HttpResponse(headers={"Content-Security-Policy": "default-src 'self'; script-src 'self';"})
    assert protect_page(site, referrer_policy="same-origin")["Content-Security-Policy"] == (
        "default-src 'self'; script-src 'self'; frame-ancestors 'none'"
    )
    own = HttpResponse(headers={"Content-Security-Policy": "default-src 'self'; FRAME-ANCESTORS https://a.example"})
    assert protect_page(own, referrer_policy="same-origin")["Content-Security-Policy"] == (
        "default-src 'self'; FRAME-ANCESTORS https://a.example"
    )


def test_djangos_csp_middleware_keeps_the_sites_policy(client: Client, settings: Any) -> None:
    pytest.importorskip("django.middleware.csp")  # Django 6+
    from django.utils.csp import CSP

    settings.MIDDLEWARE = [*settings.MIDDLEWARE, DJANGO_CSP]
    settings.SECURE_CSP = {"default-src": [CSP.SELF], "script-src": [CSP.SELF]}
    policy = error_page(client)["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "frame-ancestors" not in client.get("/home/")["Content-Security-Policy"]  # the site's other pages
