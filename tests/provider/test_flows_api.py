"""``flows_api``: PingOne's flow object read into a ``Flow`` (the checks themselves are played over HTTP in
``end_to_end/test_embedded_fuzz.py``), and a ``Flow`` kept in a JSON session."""

from __future__ import annotations

import json
from typing import Any

import pytest

from django_pingone_authorize.conf import get_alias
from django_pingone_authorize.errors import ProviderError
from django_pingone_authorize.provider.flows_api import Flow, FlowProvider, api_error_message, read_flow

AUTH = "https://auth.pingone.com"


@pytest.fixture
def config(settings: Any) -> Any:
    settings.PINGONE_AUTHORIZE = {"default": {"CLIENT_ID": "c", "ENV_ID": "env", "AUTH_PATH": AUTH}}
    return get_alias()


def body(**changes: Any) -> dict[str, Any]:
    return {
        "id": "flow-1",
        "status": "USERNAME_PASSWORD_REQUIRED",
        "resumeUrl": f"{AUTH}/env/as/resume?flowId=flow-1",
        "_embedded": {
            "application": {"name": "Shop"},
            "socialProviders": [
                {"id": "idp-1", "name": "Example IdP", "_links": {"authenticate": {"href": f"{AUTH}/x"}}},
                {"id": "idp-2"},  # no name: not offered
            ],
            "user": {"username": "ann"},
        },
        **changes,
    }


def test_read_flow(config: Any) -> None:
    flow = read_flow(config, body())
    assert flow == Flow(
        id="flow-1",
        status="USERNAME_PASSWORD_REQUIRED",
        resume_url=f"{AUTH}/env/as/resume?flowId=flow-1",
        application="Shop",
        providers=(FlowProvider("idp-1", "Example IdP"),),
        username="ann",
    )
    assert Flow.from_session(json.loads(json.dumps(flow.to_session()))) == flow


@pytest.mark.parametrize("url", ["https://evil.example/env/as/resume", "http://auth.pingone.com/env/as/resume", 5])
def test_a_resume_url_off_pingones_origin_is_dropped(config: Any, url: Any) -> None:
    assert read_flow(config, body(resumeUrl=url)).resume_url is None


@pytest.mark.parametrize("changes", [{"id": "../flows"}, {"id": None}, {"status": ""}, {"status": ["X"]}])
def test_a_malformed_flow_is_refused(config: Any, changes: dict[str, Any]) -> None:
    with pytest.raises(ProviderError) as refused:
        read_flow(config, body(**changes))
    assert refused.value.reason == "flow_malformed"


def test_a_stored_flow_that_cannot_be_one_is_none() -> None:
    assert Flow.from_session({"id": "a b", "status": "X"}) is None
    assert Flow.from_session("flow-1") is None
    assert Flow.from_session({"id": "f", "status": "X", "providers": [["a"], {"id": 1}, 7]}) == Flow("f", "X")


def test_api_error_message() -> None:
    assert api_error_message({"message": "m", "details": [{"message": "Wrong password."}]}) == "Wrong password."
    assert api_error_message({"message": "m"}) == "m"
    assert api_error_message({}) == "The identity provider refused this step."
