"""The OpenAPI 3.1 description the site serves, the headless settings, and the steps bound to the HTML pages'."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from jsonschema import Draft202012Validator

from django_pingone_authorize.headless import schema
from django_pingone_authorize.headless.settings import headless_settings
from django_pingone_authorize.headless.steps import ALWAYS, STEP_ACTIONS
from django_pingone_authorize.views.embedded import PAGES
from django_pingone_authorize.views.self_service import SIGN_ON_ACTIONS

pytestmark = pytest.mark.django_db


def test_the_description_is_openapi_3_1_with_valid_2020_12_schemas(settings: Any) -> None:
    settings.PINGONE_AUTHORIZE_HEADLESS = {}
    response = Client().get("/pingone/headless/openapi.json")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    document = response.json()
    assert document == schema.document("/pingone/headless/")  # what the tests validate against when it is off
    assert document["openapi"] == "3.1.0"
    assert document["jsonSchemaDialect"] == "https://json-schema.org/draft/2020-12/schema"
    for component in document["components"]["schemas"].values():
        Draft202012Validator.check_schema(component)
    paths = set(document["paths"])
    assert "/pingone/headless/browser/signon/step/" in paths and "/pingone/headless/app/session/" in paths
    for operations in document["paths"].values():
        for operation in operations.values():
            answers = set(operation["responses"])
            assert {"400", "401", "403", "404", "409", "429", "502", "503"} <= answers
            assert len(answers & {"200", "302"}) == 1


def test_a_closed_schema_refuses_what_the_server_must_never_send(settings: Any) -> None:
    settings.PINGONE_AUTHORIZE_HEADLESS = {}
    document = Client().get("/pingone/headless/openapi.json").json()
    step = {"$ref": "#/components/schemas/Step", "components": document["components"]}
    answer = {
        "status": "OTP_REQUIRED",
        "supported": True,
        "step": "s",
        "alias": "default",
        "actions": [],
        "devices": [],
        "providers": [],
        "message": "",
        "redirect_sign_on_url": "/",
    }
    Draft202012Validator(step).validate(answer)
    assert not Draft202012Validator(step).is_valid({**answer, "resumeUrl": "https://auth.pingone.com/x/as/resume"})
    assert not Draft202012Validator(step).is_valid({**answer, "id": "flow-id"})


def test_the_steps_are_the_html_pages_steps() -> None:
    """The API answers with the pages' actions, but for the self-service ones (a forgotten password, a
    registration), which only the pages offer: their answers-alike steps live in the pages' session."""
    for status, actions in STEP_ACTIONS.items():
        page_actions = PAGES[status].actions
        assert set(actions) <= set(page_actions), status
        assert set(page_actions) - set(actions) <= set(SIGN_ON_ACTIONS), status
        assert (status in ALWAYS) == PAGES[status].always, status


@pytest.mark.parametrize(
    "value",
    [{"CLIENT": ["app"]}, {"CLIENTS": ["phone"]}, {"CLIENTS": "browser app"}, {"ALIASES": [1]}, ["browser"]],
)
def test_a_wrong_setting_names_itself(settings: Any, value: Any) -> None:
    settings.PINGONE_AUTHORIZE_HEADLESS = value
    with pytest.raises(ImproperlyConfigured, match="PINGONE_AUTHORIZE_HEADLESS"):
        headless_settings()


def test_defaults(settings: Any) -> None:
    settings.PINGONE_AUTHORIZE_HEADLESS = {}
    read = headless_settings()
    assert read is not None and read.clients == ("browser", "app") and read.allows("anything")
    settings.PINGONE_AUTHORIZE_HEADLESS = None
    assert headless_settings() is None


def check_ids(settings: Any, **project: Any) -> list[str]:
    from django_pingone_authorize.checks.headless import check_headless_settings

    for name, value in project.items():
        setattr(settings, name, value)
    return [message.id or "" for message in check_headless_settings()]


def test_the_checks(settings: Any) -> None:
    assert check_ids(settings, PINGONE_AUTHORIZE_HEADLESS=None) == []
    assert check_ids(settings, PINGONE_AUTHORIZE_HEADLESS={"CLIENTS": ["phone"]}) == ["pingone.E140"]
    assert check_ids(settings, PINGONE_AUTHORIZE_HEADLESS={"ALIASES": ["nope"]}) == ["pingone.E141"]
    cookies = "django.contrib.sessions.backends.signed_cookies"
    assert check_ids(settings, PINGONE_AUTHORIZE_HEADLESS={}, SESSION_ENGINE=cookies) == ["pingone.W140"]
    assert check_ids(settings, PINGONE_AUTHORIZE_HEADLESS={"CLIENTS": ["browser"]}, SESSION_ENGINE=cookies) == []
