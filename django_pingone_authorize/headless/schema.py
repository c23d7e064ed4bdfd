"""The headless API's OpenAPI 3.1 description, served at ``pingone:headless-openapi`` (``openapi.json``).

Written out here (not generated): its schemas are JSON Schema 2020-12, OpenAPI 3.1's own dialect, each closed
(``additionalProperties: false``) so that an answer carrying anything undeclared — a flow id, a resume URL —
fails validation; ``tests/headless`` validates every answer the suite sees against it. (The ``api/openapi.py``
beside it describes PingOne access tokens for drf-spectacular: another API.)
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse

from django_pingone_authorize.headless.clients import TOKEN_HEADER, error_response
from django_pingone_authorize.headless.settings import APP, BROWSER, headless_settings

ERROR_STATUSES = ("400", "401", "403", "404", "409", "429", "502", "503")


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict[str, Any], required: tuple[str, ...]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(required), "additionalProperties": False}


STRING = {"type": "string"}
TOKEN = {"type": "string", "description": "The app client's session token: send it as X-Session-Token."}
USER = _object({"id": STRING, "username": STRING}, ("id", "username"))
FIELD = _object({"name": STRING, "kind": {"enum": ["text", "secret", "device"]}}, ("name", "kind"))
ACTION = _object({"action": STRING, "fields": {"type": "array", "items": _ref("Field")}}, ("action", "fields"))
DEVICE = _object(
    {
        "id": STRING,
        "type": STRING,
        "label": STRING,
        "masked": {"type": "string", "description": "The phone number or email address as PingOne masks it."},
        "selected": {"type": "boolean"},
    },
    ("id", "type", "label", "masked", "selected"),
)
PROVIDER = _object(
    {
        "id": STRING,
        "name": STRING,
        "url": {"type": "string", "description": "The site's own URL starting a redirect sign-on in a browser."},
    },
    ("id", "name", "url"),
)
STEP = _object(
    {
        "status": {"type": "string", "description": "PingOne's flow status (USERNAME_PASSWORD_REQUIRED, ...)."},
        "supported": {"type": "boolean", "description": "false: continue with redirect_sign_on_url instead."},
        "step": {"type": "string", "description": "Send it back with the answer to this step."},
        "alias": STRING,
        "application": STRING,
        "username": STRING,
        "actions": {"type": "array", "items": _ref("Action")},
        "devices": {"type": "array", "items": _ref("Device")},
        "providers": {"type": "array", "items": _ref("Provider")},
        "message": {"type": "string", "description": "PingOne's message about the last answer, if any."},
        "redirect_sign_on_url": STRING,
        "poll_after": {"type": "integer", "description": "Seconds to wait before each poll (a push)."},
        "session_token": TOKEN,
    },
    ("status", "supported", "step", "alias", "actions", "devices", "providers", "message", "redirect_sign_on_url"),
)
COMPLETED = _object(
    {"status": {"const": "COMPLETED"}, "user": _ref("User"), "next": STRING, "session_token": TOKEN},
    ("status", "user", "next"),
)
CANCELLED = _object({"status": {"const": "CANCELLED"}, "session_token": TOKEN}, ("status",))
SESSION = _object(
    {"signed_on": {"type": "boolean"}, "user": {"anyOf": [_ref("User"), {"type": "null"}]}, "session_token": TOKEN},
    ("signed_on", "user"),
)
ERROR = _object(
    {
        "error": {"type": "string", "description": "A stable code (flow_bad_input, stale_step, csrf_failed...)."},
        "message": STRING,
        "provider_message": STRING,
        "retry_after": {"type": "integer"},
        "step": _ref("Step"),
    },
    ("error", "message"),
)
START = _object(
    {
        "alias": STRING,
        "next": STRING,
        "step_up": STRING,
        "prompt": STRING,
        "max_age": {"type": ["string", "integer"]},
        "acr_values": STRING,
        "login_hint": STRING,
        "login_hint_token": STRING,
        "mobilePayload": {"type": "string", "description": "App clients only: PingOne's MFA SDK payload."},
    },
    (),
)
ANSWER = _object(
    {
        "step": STRING,
        "action": STRING,
        "fields": {"type": "object", "additionalProperties": {"type": "string"}},
    },
    ("step", "action"),
)
HANDOFF = _object({"code": STRING, "code_verifier": STRING, "alias": STRING}, ("code", "code_verifier"))
SCHEMAS = {
    "User": USER,
    "Field": FIELD,
    "Action": ACTION,
    "Device": DEVICE,
    "Provider": PROVIDER,
    "Step": STEP,
    "Completed": COMPLETED,
    "Cancelled": CANCELLED,
    "Session": SESSION,
    "Error": ERROR,
    "StartRequest": START,
    "StepAnswer": ANSWER,
    "Handoff": HANDOFF,
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _operation(summary: str, client: str, answers: dict[str, dict[str, Any]], body: str | None) -> dict[str, Any]:
    responses = {**answers, **{status: _json(_ref("Error"), "Refused") for status in ERROR_STATUSES}}
    operation: dict[str, Any] = {
        "summary": summary,
        "operationId": f"{client}_{summary.lower().replace(' ', '_')}",
        "tags": [client],
        "security": [{"browserSession": []}] if client == BROWSER else [{"sessionToken": []}, {}],
        "responses": responses,
    }
    if body:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(body)}}}
    return operation


def _query(name: str, description: str, *, required: bool = True) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": STRING, "description": description}


def _handoff_paths(prefix: str) -> dict[str, Any]:
    """A native app through an external identity provider (``handoff.py``): opened in the system browser, a 302
    to PingOne's hosted page, then to the app's redirect URI with a one-time code the app redeems (POST)."""
    redirect = {"description": "A redirect: to the sign-on, or to the app's redirect URI with ?code="}
    errors = {status: _json(_ref("Error"), "Refused") for status in ERROR_STATUSES}
    start = {
        "summary": "Start an app's sign-on in the system browser",
        "operationId": "app_browser_sign_on",
        "tags": [APP],
        "parameters": [
            {"name": "alias", "in": "path", "required": True, "schema": STRING},
            _query("redirect_uri", "One of APP_REDIRECT_URIS."),
            _query("code_challenge", "BASE64URL(SHA256(code_verifier)), 43 characters."),
            _query("code_challenge_method", "S256 (the default).", required=False),
        ],
        "responses": {"302": redirect, **errors},
    }
    send_code = {
        "summary": "Send the signed-on browser's one-time code to the app",
        "operationId": "app_handoff_code",
        "tags": [APP],
        "parameters": [_query("ticket", "Set by the sign-on's start: not for the app to make.")],
        "responses": {"302": redirect, **errors},
    }
    redeem = _operation("Redeem the code", APP, {"200": _json(_ref("Session"), "Signed on")}, "Handoff")
    redeem["security"] = [{}]
    return {
        f"{prefix}{APP}/browser/{{alias}}/": {"get": start},
        f"{prefix}{APP}/handoff/": {"get": send_code, "post": redeem},
    }


def document(prefix: str) -> dict[str, Any]:
    """The description, its paths under ``prefix`` (where ``headless/`` is mounted)."""
    paths: dict[str, Any] = {}
    step_or_end = {"anyOf": [_ref("Step"), _ref("Completed")]}
    for client in (BROWSER, APP):
        base = f"{prefix}{client}/"
        paths[base + "signon/"] = {
            "post": _operation(
                "Start a sign-on", client, {"200": _json(_ref("Step"), "The first step")}, "StartRequest"
            ),
            "get": _operation("Read the step", client, {"200": _json(_ref("Step"), "The step under way")}, None),
            "delete": _operation("Cancel the sign-on", client, {"200": _json(_ref("Cancelled"), "Cancelled")}, None),
        }
        paths[base + "signon/step/"] = {
            "post": _operation("Answer the step", client, {"200": _json(step_or_end, "What follows")}, "StepAnswer"),
        }
        paths[base + "signon/poll/"] = {
            "post": _operation("Poll a push", client, {"200": _json(step_or_end, "What follows")}, None),
        }
        paths[base + "session/"] = {
            "get": _operation("Read the session", client, {"200": _json(_ref("Session"), "Who is signed on")}, None),
            "delete": _operation("Log out", client, {"200": _json(_ref("Session"), "Logged out")}, None),
        }
    paths.update(_handoff_paths(prefix))
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "PingOne headless sign-on",
            "version": "1",
            "description": "The embedded PingOne sign-on as JSON, for single-page (browser) and native (app) clients.",
        },
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "browserSession": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-CSRFToken",
                    "description": "The Django session cookie, and the CSRF token on every unsafe request.",
                },
                "sessionToken": {"type": "apiKey", "in": "header", "name": TOKEN_HEADER},
            },
        },
    }


def openapi_view(request: HttpRequest) -> HttpResponse:
    if headless_settings() is None:
        return error_response(404, "not_found", "Not found.")
    prefix = reverse("pingone:headless-openapi").removesuffix("openapi.json")
    return JsonResponse(document(prefix), json_dumps_params={"indent": 1})
