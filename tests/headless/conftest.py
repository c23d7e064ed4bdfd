"""The headless API's tests: ``HeadlessClient`` calls the API as a browser client (session cookie, CSRF checks
enforced) or an app client (``X-Session-Token``, no cookies), validates every JSON answer against the served
OpenAPI description, and collects every value PingOne gave the server (flow ids, ``ST`` cookies, resume URLs) and
every pending sign-on's state, nonce and PKCE verifier, so that each test ends by checking that none of them was
ever in an answer."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from jsonschema import Draft202012Validator

from django_pingone_authorize.headless import schema
from django_pingone_authorize.testing import PingOneStandIn
from django_pingone_authorize.testing.flows import IDENTIFIER_FIRST

CALLBACK = "http://testserver/pingone/callback/"
CODE = "246810"
PASSWORDS = ("ida-pw-123", "mfa-pw-123", "val-pw-1234")
BASE = "/pingone/headless/"


@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    headers: dict[str, str]


def _schema_of(document: dict[str, Any], path: str, method: str, status: int) -> dict[str, Any]:
    templates = [
        template
        for template in document["paths"]
        if re.fullmatch(re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(template)), path)
    ]
    assert len(templates) == 1, (path, templates)
    operation = document["paths"][templates[0]][method.lower()]
    response = operation["responses"][str(status)]
    schema: dict[str, Any] = response["content"]["application/json"]["schema"]
    return schema


@dataclass
class Seen:
    """What the suite saw: every answer (as text), every secret the server held."""

    document: dict[str, Any] | None = None
    answers: list[str] = field(default_factory=list)
    secrets: set[str] = field(default_factory=set)

    def collect(self, standin: PingOneStandIn) -> None:
        self.secrets |= {flow_id for flow_id in standin.flows}
        self.secrets |= {token for token in standin.sessions}
        self.secrets |= {standin.resume_url(flow_id) for flow_id in standin.flows}
        for session in Session.objects.all():
            entries = session.get_decoded().get("_pingone_pending") or {}
            for entry in entries.values():
                self.secrets |= {entry["state"], entry["nonce"], entry["code_verifier"]}
                self.secrets |= set((entry.get("flow_cookies") or {}).values())


class HeadlessClient:
    """One client of the API. ``kind`` is "browser" or "app"."""

    def __init__(self, kind: str, standin: PingOneStandIn, seen: Seen) -> None:
        self.kind, self.standin, self.seen = kind, standin, seen
        self.django = Client(enforce_csrf_checks=True)
        self.token = ""

    def url(self, route: str) -> str:
        return f"{BASE}{self.kind}/{route}"

    def csrf(self) -> str:
        if "csrftoken" not in self.django.cookies:
            self.django.get(self.url("session/"))
        return self.django.cookies["csrftoken"].value

    def call(
        self, method: str, route: str, body: Any = None, *, csrf: bool = True, headers: dict[str, str] | None = None
    ) -> Answer:
        sent = dict(headers or {})
        if self.kind == "app":
            if self.token and "X-Session-Token" not in sent:
                sent["X-Session-Token"] = self.token
            self.django.cookies.clear()  # an app client has no cookies
        elif csrf and method != "GET":
            sent.setdefault("X-CSRFToken", self.csrf())
        data = json.dumps(body) if body is not None else ""
        response = self.django.generic(method, self.url(route), data, content_type="application/json", headers=sent)
        return self.check(method, self.url(route), response)

    def check(self, method: str, path: str, response: Any) -> Answer:
        body = validated(self.seen, method, path, response)
        self.seen.collect(self.standin)
        if self.kind == "app":
            assert not response.cookies, response.cookies  # no cookie, ever
            token = body.get("session_token") or response.headers.get("X-Session-Token")
            if token:
                self.token = token
        return Answer(response.status_code, body, dict(response.headers))

    # -- the endpoints ---------------------------------------------------------------------------------------

    def start(self, **body: Any) -> Answer:
        return self.call("POST", "signon/", body)

    def step(self) -> Answer:
        return self.call("GET", "signon/")

    def answer(self, step: Answer | dict[str, Any], action: str, **fields: str) -> Answer:
        current = step.body if isinstance(step, Answer) else step
        given = current["step"]  # a step, or a refusal carrying the step again
        token = given["step"] if isinstance(given, dict) else given
        return self.call("POST", "signon/step/", {"step": token, "action": action, "fields": fields})

    def poll(self) -> Answer:
        return self.call("POST", "signon/poll/")

    def cancel(self) -> Answer:
        return self.call("DELETE", "signon/")

    def session(self) -> Answer:
        return self.call("GET", "session/")

    def logout(self) -> Answer:
        return self.call("DELETE", "session/")


def _components(document: dict[str, Any]) -> dict[str, Any]:
    return {"components": document["components"]}


def validated(seen: Seen | None, method: str, path: str, response: Any) -> dict[str, Any]:
    """A JSON answer of the API, checked against the OpenAPI description the site serves (``seen.document``; the
    module's own when the API is off and serves none) and recorded for the end-of-test scan."""
    assert response["Content-Type"] == "application/json", response.content[:200]
    assert response.status_code in (200, 400, 401, 403, 404, 409, 429, 502, 503)
    text = response.content.decode()
    body: dict[str, Any] = json.loads(text)
    document = seen.document if seen is not None and seen.document is not None else schema.document(BASE)
    Draft202012Validator(
        {**_schema_of(document, path, method, response.status_code), **_components(document)}
    ).validate(body)
    if seen is not None:
        seen.answers.append(text)
    return body


@pytest.fixture
def standin(pingone_standin: PingOneStandIn, settings: Any) -> PingOneStandIn:
    pingone_standin.add_user("ida", "ida-pw-123", sub="ida-sub", claims={"preferred_username": "ida"})
    pingone_standin.add_user("mia", "mfa-pw-123", sub="mia-sub", mfa=True, claims={"preferred_username": "mia"})
    pingone_standin.add_user(
        "pat", "unused-pw-1", sub="pat-sub", passwordless=True, claims={"preferred_username": "pat"}
    )
    pingone_standin.add_user(
        "val", "val-pw-1234", sub="val-sub", verification_code="VERIFY12", claims={"preferred_username": "val"}
    )
    pingone_standin.add_device("pat", "EMAIL", nickname="Pat's email", otp=CODE)
    settings.PINGONE_AUTHORIZE = {"default": pingone_standin.settings(RESPONSE_MODE="pi.flow", REDIRECT_URI=CALLBACK)}
    settings.PINGONE_AUTHORIZE_HEADLESS = {}
    return pingone_standin


@pytest.fixture
def identifier_first(standin: PingOneStandIn) -> PingOneStandIn:
    standin.sign_on_policy = IDENTIFIER_FIRST
    return standin


@pytest.fixture
def mia_devices(standin: PingOneStandIn) -> dict[str, str]:
    return {
        "EMAIL": standin.add_device("mia", "EMAIL", nickname="Work email", otp=CODE),
        "SMS": standin.add_device("mia", "SMS", nickname="Mobile", otp=CODE),
        "MOBILE": standin.add_device("mia", "MOBILE", nickname="Mia's phone"),
    }


@pytest.fixture
def seen(standin: PingOneStandIn, db: None) -> Iterator[Seen]:
    """Every answer of the test, checked at its end: none holds a value only the server may know."""
    found = Seen()
    found.document = Client().get(BASE + "openapi.json").json()
    yield found
    found.collect(standin)
    secrets = {secret for secret in found.secrets | set(PASSWORDS) | {CODE} if secret}
    leaked = [(secret, text) for text in found.answers for secret in secrets if secret in text]
    assert leaked == []


@pytest.fixture
def browser(standin: PingOneStandIn, seen: Seen) -> HeadlessClient:
    return HeadlessClient("browser", standin, seen)


@pytest.fixture
def app(standin: PingOneStandIn, seen: Seen) -> HeadlessClient:
    return HeadlessClient("app", standin, seen)


def flow_calls(standin: PingOneStandIn, method: str) -> int:
    base = standin.paths.flows_base + "/"
    return sum(1 for seen, path in standin.requests_seen if seen == method and path.startswith(base))
