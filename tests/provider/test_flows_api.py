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


def test_the_actions_on_offer_are_the_flows_links(config: Any) -> None:
    links = {
        "self": {"href": "x"},
        "signOnPage": {"href": "x"},
        "otp.check": {"href": "x"},
        "device.select": {"href": "x"},
        "not an action": {"href": "x"},
        "user.lookup": "not a link object",
    }
    flow = read_flow(config, body(status="OTP_REQUIRED", _links=links))
    assert flow.actions == ("otp.check", "device.select")
    assert flow.offers("otp.check") and not flow.offers("self") and not flow.offers("user.lookup")
    assert read_flow(config, body(_links=["otp.check"])).actions == ()


def test_devices_keep_pingones_masked_strings(config: Any) -> None:
    devices = [
        {"id": "dev-1", "type": "EMAIL", "email": "j****@pingidentity.com"},
        {"id": "dev-2", "type": "SMS", "phone": "*******01", "nickname": "Work phone"},
        {"id": "../x", "type": "SMS"},  # not an id: dropped
    ]
    flow = read_flow(config, body(_embedded={"devices": devices}, selectedDevice={"id": "dev-2"}))
    assert [(d.id, d.label, d.masked) for d in flow.devices] == [
        ("dev-1", "j****@pingidentity.com", "j****@pingidentity.com"),
        ("dev-2", "Work phone", "*******01"),
    ]
    assert flow.selected_device == "dev-2"
    stored = Flow.from_session(flow.to_session())
    assert stored == flow
    old = {**flow.to_session(), "devices": [["dev-1", "EMAIL", "label"]]}  # stored before masked was kept
    del old["actions"], old["selected_device"]
    restored = Flow.from_session(old)
    assert restored is not None and restored.devices[0].label == "label" and restored.actions == ()
