"""``pending``: a pending sign-on survives a JSON session with its typed fields, and any stored entry — from an
earlier release or garbled — reads as a sign-on or as None, never as an exception."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.sessions.backends.signed_cookies import SessionStore
from hypothesis import given
from hypothesis import strategies as st

from django_pingone_authorize.provider.flows_api import Flow, FlowProvider
from django_pingone_authorize.sign_on import pending
from django_pingone_authorize.sign_on.pending import PendingSignOn

FLOW = Flow(
    id="flow-1",
    status="USERNAME_PASSWORD_REQUIRED",
    resume_url="https://auth.pingone.com/env/as/resume?flowId=flow-1",
    application="Shop",
    providers=(FlowProvider("idp-1", "Example IdP"),),
    username="ann",
)


def embedded_sign_on() -> PendingSignOn:
    return PendingSignOn(
        state="s" * 43,
        nonce="n",
        code_verifier="v" * 43,
        alias="default",
        redirect_uri="https://site.example/pingone/callback/",
        acr_values=("Multi_Factor",),
        flow=FLOW,
        flow_cookies={"ST": "cookie-value"},
        message="Wrong password.",
        typed_username="ann",
    )


def test_round_trip_through_a_json_session() -> None:
    session = SessionStore()  # JSON-serialized, as most sites' sessions are
    pending.add(session, embedded_sign_on(), ttl=600, cap=5)
    stored = json.loads(json.dumps(session[pending.SESSION_KEY]))
    session[pending.SESSION_KEY] = stored
    found = pending.get(session, "s" * 43)
    assert found is not None
    assert (found.flow, found.flow_cookies, found.message, found.typed_username) == (
        FLOW,
        {"ST": "cookie-value"},
        "Wrong password.",
        "ann",
    )
    assert found.acr_values == ("Multi_Factor",)


def test_a_field_at_its_default_is_not_stored_and_reads_back() -> None:
    session = SessionStore()
    redirect_sign_on = PendingSignOn(
        state="r" * 43, nonce="n", code_verifier="v" * 43, alias="default", redirect_uri="https://site.example/cb/"
    )
    pending.add(session, redirect_sign_on, ttl=600, cap=5)
    stored = json.loads(json.dumps(session[pending.SESSION_KEY]))["r" * 43]
    assert set(stored) == {"state", "nonce", "code_verifier", "alias", "redirect_uri", "created", "expires"}
    session[pending.SESSION_KEY] = {"r" * 43: stored}
    assert pending.get(session, "r" * 43) == redirect_sign_on


def test_repr_hides_the_verifier_and_the_flow_cookie() -> None:
    text = repr(embedded_sign_on())
    assert "v" * 43 not in text and "cookie-value" not in text


def test_an_entry_with_an_unknown_field_reads_without_it() -> None:
    entry = {**vars(embedded_sign_on()), "expires": 1e12}
    for name in ("flow", "flow_cookies", "message", "typed_username"):
        del entry[name]
    entry["extra"] = {"flow": FLOW.to_session(), "cookies": {"ST": "cookie-value"}, "message": "x", "username": "ann"}
    found = PendingSignOn.from_dict(entry)
    assert found is not None and found.flow is None and found.flow_cookies == {}
    assert (found.message, found.typed_username) == ("", "")


def test_bad_fields_are_dropped_or_refuse_the_entry() -> None:
    entry: dict[str, Any] = {**vars(embedded_sign_on()), "flow": {"id": "../x", "status": "X"}}
    entry |= {"flow_cookies": {"ST": 1}, "message": 5, "typed_username": None, "unknown": 1}
    found = PendingSignOn.from_dict(entry)
    assert found is not None and found.flow is None and found.flow_cookies == {}
    assert (found.message, found.typed_username) == ("", "")
    assert PendingSignOn.from_dict({**vars(embedded_sign_on()), "nonce": 5}) is None
    assert PendingSignOn.from_dict({**vars(embedded_sign_on()), "created": "yesterday"}) is None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=10,
)
field_names = st.sampled_from([*vars(embedded_sign_on()), "extra", "flow_cookies", "unknown"])


@given(st.dictionaries(field_names, json_values), st.dictionaries(st.text(max_size=5), json_values, max_size=2))
def test_any_stored_entry_reads_without_raising(fields: dict[str, Any], garbage: dict[str, Any]) -> None:
    PendingSignOn.from_dict({**fields, **garbage})
    session = SessionStore()
    session[pending.SESSION_KEY] = {"s": {**fields, "expires": 1e12}, "t": fields}
    pending.get(session, "s")
    pending.pop(session, "t")
    pending.add(session, embedded_sign_on(), ttl=600, cap=1)
