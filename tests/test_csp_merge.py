"""The app's pages add their needs to the site's Content-Security-Policy instead of replacing it: with
django-csp 4's middleware (``csp_replace``/``csp_update``) and with Django 6's own (``csp_override``, the site's
``SECURE_CSP`` merged). Needs: ``frame-ancestors 'none'`` on every page, PingOne's origin in ``form-action`` on
the page that auto-submits to PingOne."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

DJANGO_CSP_PACKAGE = "csp.middleware.CSPMiddleware"
DJANGO_CSP_BUILTIN = "django.middleware.csp.ContentSecurityPolicyMiddleware"
PINGONE = "https://auth.pingone.com"


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            parsed[words[0].lower()] = words[1:]
    return parsed


def error_page(client: Client) -> Any:
    response = client.get("/pingone/callback/", {"state": "unknown", "code": "whatever"})
    assert response.status_code == 400
    return response


def auto_submit_page(client: Client, settings: Any) -> Any:
    settings.PINGONE_AUTHORIZE = {"default": {**settings.PINGONE_AUTHORIZE["default"], "METHOD": "POST"}}
    response = client.post("/pingone/login/")
    assert response.status_code == 200 and b"data-pingone-autosubmit" in response.content
    return response


@pytest.fixture
def django_csp(settings: Any) -> None:
    pytest.importorskip("csp.middleware")
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, DJANGO_CSP_PACKAGE]
    settings.CONTENT_SECURITY_POLICY = {
        "DIRECTIVES": {
            "default-src": ["'self'"],
            "script-src": ["'self'", "https://cdn.example"],
            "form-action": ["'self'"],
            "frame-ancestors": ["'self'"],
        }
    }


@pytest.fixture
def builtin_csp(settings: Any) -> None:
    pytest.importorskip("django.middleware.csp")  # Django 6+
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, DJANGO_CSP_BUILTIN]
    settings.SECURE_CSP = {
        "default-src": ["'self'"],
        "script-src": ["'self'", "https://cdn.example"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'self'"],
    }


@pytest.mark.usefixtures("django_csp")
def test_django_csp_error_page_keeps_the_sites_policy(client: Client) -> None:
    policy = directives(error_page(client)["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'", "https://cdn.example"]
    assert policy["frame-ancestors"] == ["'none'"]  # replaced, not "'self' 'none'"
    assert policy["form-action"] == ["'self'"]
    assert directives(client.get("/home/")["Content-Security-Policy"])["frame-ancestors"] == ["'self'"]


@pytest.mark.usefixtures("django_csp")
def test_django_csp_auto_submit_page_may_post_to_pingone(client: Client, settings: Any) -> None:
    policy = directives(auto_submit_page(client, settings)["Content-Security-Policy"])
    assert policy["form-action"] == ["'self'", PINGONE]
    assert policy["script-src"] == ["'self'", "https://cdn.example"]
    assert policy["frame-ancestors"] == ["'none'"]


def test_django_csp_without_form_action_adds_none(client: Client, settings: Any, django_csp: None) -> None:
    del settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"]
    settings.CONTENT_SECURITY_POLICY = dict(settings.CONTENT_SECURITY_POLICY)  # setting_changed
    policy = directives(auto_submit_page(client, settings)["Content-Security-Policy"])
    assert "form-action" not in policy  # no restriction to add to
    assert policy["frame-ancestors"] == ["'none'"]


@pytest.mark.usefixtures("builtin_csp")
def test_django_6_error_page_keeps_the_sites_policy(client: Client) -> None:
    policy = directives(error_page(client)["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'", "https://cdn.example"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert directives(client.get("/home/")["Content-Security-Policy"])["frame-ancestors"] == ["'self'"]


@pytest.mark.usefixtures("builtin_csp")
def test_django_6_auto_submit_page_may_post_to_pingone(client: Client, settings: Any) -> None:
    policy = directives(auto_submit_page(client, settings)["Content-Security-Policy"])
    assert policy["form-action"] == ["'self'", PINGONE]
    assert policy["script-src"] == ["'self'", "https://cdn.example"]


def test_a_header_already_set_gets_pingone_in_its_form_action() -> None:
    from django.http import HttpResponse

    from django_pingone_authorize.pages import protect_page

    site = HttpResponse(headers={"Content-Security-Policy": "default-src 'self'; form-action 'self'"})
    protected = protect_page(site, referrer_policy="no-referrer", form_action=[PINGONE])
    assert directives(protected["Content-Security-Policy"]) == {
        "default-src": ["'self'"],
        "form-action": ["'self'", PINGONE],
        "frame-ancestors": ["'none'"],
    }


def test_no_site_policy_gives_frame_ancestors_alone(client: Client) -> None:
    assert error_page(client)["Content-Security-Policy"] == "frame-ancestors 'none'"
