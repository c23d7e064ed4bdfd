"""Property tests for the embedded (``pi.flow``) sign-on: whatever flow objects PingOne's authorize answer, its
flows API and its resume URL send, every embedded step answers below 500 (or the 502/503 that says PingOne cannot
be reached, never a crash) and signs nobody on.

The hostile provider (``tests/doubles/hostile_provider.py``) plays PingOne: ``replies["authorize"]`` is the flow object
the login view gets, ``replies["flows"]`` the answer to a step, ``replies["resume"]`` the resume answer.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from tests.doubles.hostile_provider import HostileProvider, Reply, logged_in, reason
from tests.end_to_end.test_callback_fuzz import FUZZ, assert_not_a_crash, json_values

pytestmark = pytest.mark.django_db

FLOW_ID = "0f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"
STATUSES = [
    "USERNAME_PASSWORD_REQUIRED",
    "SIGN_ON_REQUIRED",
    "PASSWORD_REQUIRED",
    "MUST_CHANGE_PASSWORD",
    "PASSWORD_EXPIRED",
    "OTP_REQUIRED",
    "VERIFICATION_CODE_REQUIRED",
    "EXTERNAL_AUTHENTICATION_REQUIRED",
    "DEVICE_SELECTION_REQUIRED",
    "COMPLETED",
]
# What a step posts for each status (the page's own form).
STEP_FOR = {
    "USERNAME_PASSWORD_REQUIRED": {"action": "usernamePassword.check", "username": "u", "password": "p"},
    "SIGN_ON_REQUIRED": {"action": "usernamePassword.check", "username": "u", "password": "p"},
    "PASSWORD_REQUIRED": {"action": "usernamePassword.check", "username": "u", "password": "p"},
    "MUST_CHANGE_PASSWORD": {"action": "password.reset", "current_password": "a", "new_password": "b"},
    "PASSWORD_EXPIRED": {"action": "password.reset", "current_password": "a", "new_password": "b"},
    "OTP_REQUIRED": {"action": "otp.check", "otp": "123456"},
    "VERIFICATION_CODE_REQUIRED": {"action": "user.verify", "verification_code": "123456"},
}
SIGNON_URL = re.compile(r"/pingone/signon/[A-Za-z0-9_-]{43}/")

urls = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["http://[::1", "https://", "javascript:alert(1)", "http://evil.example/as/resume", "//x"]),
)


def _good_flow(hostile: HostileProvider, status: str = "USERNAME_PASSWORD_REQUIRED") -> dict[str, Any]:
    return {
        "id": FLOW_ID,
        "status": status,
        "resumeUrl": hostile.layout.resume_url(FLOW_ID),
        # The flow offers the action its status waits for (``_links``), as PingOne's flow objects do.
        "_links": {
            "self": {"href": hostile.layout.flow_url(FLOW_ID)},
            **({STEP_FOR[status]["action"]: {"href": hostile.layout.flow_url(FLOW_ID)}} if status in STEP_FOR else {}),
        },
        "_embedded": {
            "application": {"name": "Hostile App"},
            "socialProviders": [{"id": "idp-1", "name": "IdP", "_links": {"authenticate": {"href": "https://x/"}}}],
        },
    }


def flow_objects(hostile: HostileProvider) -> st.SearchStrategy[Any]:
    """Flow objects with each member possibly missing, mistyped or hostile, and arbitrary JSON."""
    good = _good_flow(hostile)
    member = {
        "id": st.one_of(st.just(FLOW_ID), json_values, st.text(max_size=200)),
        "status": st.one_of(st.sampled_from(STATUSES), json_values),
        "resumeUrl": st.one_of(st.just(good["resumeUrl"]), urls, json_values),
        "_links": st.one_of(st.just(good["_links"]), json_values),
        "_embedded": st.one_of(
            st.just(good["_embedded"]),
            json_values,
            st.fixed_dictionaries(
                {},
                optional={
                    "socialProviders": st.one_of(json_values, st.lists(json_values, max_size=3)),
                    "application": json_values,
                    "user": json_values,
                },
            ),
        ),
    }
    flow = st.fixed_dictionaries({}, optional=member)
    return st.one_of(flow, json_values)


def _start(hostile: HostileProvider, client: Client, flow: Any, status: int = 200) -> Any:
    hostile.replies["authorize"] = Reply(status, flow)
    return client.post("/pingone/login/")


def _check(response: Any, client: Client) -> None:
    assert_not_a_crash(response)
    assert not logged_in(client)


def _walk(client: Client, start: Any) -> None:
    """Follow the login's answer to the embedded page, show it, and post its step (and a cancel)."""
    _check(start, client)
    location = start.get("Location", "") if start.status_code == 302 else ""
    if not SIGNON_URL.fullmatch(location):
        return
    page = client.get(location)
    _check(page, client)
    status = re.search(r'data-status="([^"]*)"', page.content.decode())
    data = STEP_FOR.get(status.group(1) if status else "", {"action": "usernamePassword.check"})
    _check(client.post(location, data), client)
    _check(client.get(location), client)
    _check(client.post(location, {"action": "cancel"}), client)


@FUZZ
@given(data=st.data())
def test_any_flow_object_at_the_start_is_below_500(hostile: HostileProvider, data: Any) -> None:
    hostile.configure(RESPONSE_MODE="pi.flow")
    flow = data.draw(flow_objects(hostile))
    hostile.replies["flows"] = Reply(200, data.draw(flow_objects(hostile)))
    status = data.draw(st.sampled_from([200, 200, 200, 201, 302, 400, 404, 500]))
    client = Client()
    _walk(client, _start(hostile, client, flow, status))


@FUZZ
@given(data=st.data())
def test_any_step_answer_is_below_500(hostile: HostileProvider, data: Any) -> None:
    hostile.configure(RESPONSE_MODE="pi.flow")
    answer = data.draw(st.one_of(flow_objects(hostile), st.binary(max_size=200)))
    status = data.draw(st.sampled_from([200, 200, 400, 401, 403, 404, 500]))
    hostile.replies["flows"] = Reply(status, answer, content_type="application/json")  # raw bytes too
    client = Client()
    _walk(client, _start(hostile, client, _good_flow(hostile)))


@FUZZ
@given(data=st.data())
def test_any_resume_answer_is_below_500_and_signs_nobody_on(hostile: HostileProvider, data: Any) -> None:
    hostile.configure(RESPONSE_MODE="pi.flow")
    hostile.replies["flows"] = Reply(200, _good_flow(hostile, "COMPLETED"))
    authorize_response = st.fixed_dictionaries(
        {},
        optional={
            "code": st.one_of(st.text(max_size=40), json_values),
            "state": st.one_of(st.text(max_size=60), json_values),
            "iss": st.one_of(st.just(hostile.issuer), json_values),
            "error": json_values,
        },
    )
    body = data.draw(
        st.one_of(json_values, st.fixed_dictionaries({"authorizeResponse": st.one_of(authorize_response, json_values)}))
    )
    hostile.replies["resume"] = Reply(data.draw(st.sampled_from([200, 200, 400, 403, 500])), body)
    client = Client()
    _walk(client, _start(hostile, client, _good_flow(hostile)))


def test_a_step_answer_for_another_flow_is_refused(hostile: HostileProvider) -> None:
    """PingOne answers a step with the flow it belongs to; an answer naming another flow is not followed."""
    hostile.configure(RESPONSE_MODE="pi.flow")
    other = {**_good_flow(hostile, "COMPLETED"), "id": "another-flow-0001"}
    hostile.replies["flows"] = Reply(200, other)
    client = Client()
    location = _start(hostile, client, _good_flow(hostile))["Location"]
    response = client.post(location, STEP_FOR["USERNAME_PASSWORD_REQUIRED"])
    assert response.status_code == 400
    assert reason(response) == "flow_mismatch"
    assert hostile.count("resume") == 0
    assert not logged_in(client)


def test_a_flow_that_wants_an_external_provider_offers_the_hosted_page(hostile: HostileProvider) -> None:
    """``EXTERNAL_AUTHENTICATION_REQUIRED`` is never continued server-side: no provider link reaches the page,
    only the button to PingOne's hosted sign-on (a browser-bound redirect)."""
    hostile.configure(RESPONSE_MODE="pi.flow")
    flow = _good_flow(hostile, "EXTERNAL_AUTHENTICATION_REQUIRED")
    flow["_links"]["authenticate"] = {"href": f"{hostile.layout.environment}/rp/authenticate?flowId={FLOW_ID}"}
    client = Client()
    location = _start(hostile, client, flow)["Location"]
    page = client.get(location)
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-status="EXTERNAL_AUTHENTICATION_REQUIRED"' in html
    assert 'name="hosted" value="1"' in html
    assert FLOW_ID not in html and "authenticate" not in html
