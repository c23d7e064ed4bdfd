"""The authorization endpoint (``/as/authorize``, GET and POST) and pushed authorization requests (``/as/par``).

Validates the request as PingOne does (request objects, PAR, PKCE, prompt, max_age), then either answers at
once from the browser's session or starts a flow: a redirect to the sign-on page, or with ``pi.flow`` the flow
object itself.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping

from .. import pages
from ..flows import COMPLETED, MULTI_FACTOR, OTP_REQUIRED, USERNAME_PASSWORD_REQUIRED, policy_of
from ..jose import InvalidJWT, parse_jws
from ..records import AuthorizationRequest, Client, PushedRequest
from ..server import Request, Response
from . import flow_steps, sign_ons, transaction_approval
from .client_auth import CLIENT_AUTH_PARAMS, authenticate_client, verify_client_signature
from .environment import REDIRECT_URI_MISMATCH, Environment
from .protocol import LEEWAY, PKCE_VALUE, OAuthError, audience_ok, is_number, oauth_form, single
from .sign_ons import RESPONSE_MODES, Delivery

PROMPTS = frozenset({"none", "login", "consent", "select_account"})
# Claims of a request object that are JWT bookkeeping rather than authorize parameters.
REQUEST_OBJECT_REGISTERED_CLAIMS = frozenset({"iss", "aud", "exp", "iat", "nbf", "jti", "sub"})


class AuthorizationProblem(Exception):
    """A bad authorization request; ``delivery`` is None when it cannot go back to the client."""

    def __init__(self, error: str, description: str, delivery: Delivery | None) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.delivery = delivery


def authorize(env: Environment, request: Request) -> Response:
    params = request.query if request.method == "GET" else request.form()
    pi_flow = params.get("response_mode") == ["pi.flow"]
    try:
        values = single(
            params, lambda name: AuthorizationProblem("invalid_request", f"{name} is given more than once.", None)
        )
        client_id = values.get("client_id")
        if not client_id:
            raise AuthorizationProblem("invalid_request", "client_id is missing.", None)
        client = env.clients.get(client_id)
        if client is None:
            raise AuthorizationProblem("invalid_client", "client_id is not an application here.", None)
        if "request_uri" in values:
            auth_request = _take_pushed_request(env, client, values["request_uri"])
        else:
            auth_request = validate_authorization(env, client, values, pushed=False)
        return _start_sign_on(env, request, auth_request)
    except AuthorizationProblem as problem:
        if problem.delivery is not None:
            return sign_ons.deliver(env, problem.delivery, sign_ons.error_params(problem.error, problem.description))
        if pi_flow:
            return Response.json(400, {"error": problem.error, "error_description": problem.description})
        page = pages.message_page("Sign-on request rejected", f"{problem.description} ({problem.error})")
        return Response.html(400, page)


def par(env: Environment, request: Request) -> Response:
    """RFC 9126: keep the authorize parameters, answer a single-use ``request_uri`` for them."""
    form = oauth_form(request)
    client = authenticate_client(env, request, form, env.par_endpoint)
    if "request_uri" in form:
        raise OAuthError("invalid_request", "request_uri cannot be pushed.")
    values = {name: value for name, value in form.items() if name not in CLIENT_AUTH_PARAMS}
    values["client_id"] = client.client_id
    try:
        auth_request = validate_authorization(env, client, values, pushed=True)
    except AuthorizationProblem as problem:
        raise OAuthError(problem.error, problem.description) from problem
    request_uri = f"urn:pingone:par:{secrets.token_urlsafe(24)}"
    env.pushed[request_uri] = PushedRequest(auth_request, env.clock() + env.par_ttl)
    return Response.json(201, {"request_uri": request_uri, "expires_in": int(env.par_ttl)})


def _take_pushed_request(env: Environment, client: Client, request_uri: str) -> AuthorizationRequest:
    pushed = env.pushed.pop(request_uri, None)
    if pushed is None or pushed.request.client_id != client.client_id or env.clock() > pushed.expires_at:
        raise AuthorizationProblem("invalid_request_uri", "request_uri is unknown, expired or already used.", None)
    return pushed.request


def validate_authorization(
    env: Environment, client: Client, given: Mapping[str, str], *, pushed: bool
) -> AuthorizationRequest:
    """Check authorize parameters as PingOne does. Problems found before the redirect URI is known to
    be the client's cannot be sent to it (``delivery`` None); those after it go back on the redirect."""
    values = dict(given)
    pending: tuple[str, str] | None = None
    signed = False
    # A native app's mobilePayload (PingOne's MFA SDK), recorded where it came: top-level, in the request object.
    mobile_payloads = [("query", given["mobilePayload"])] if "mobilePayload" in given else []
    if "request" in values:
        try:
            inside = _request_object_params(env, client, values.pop("request"))
            values.update(inside)
            signed = True
            mobile_payloads += [("request", inside["mobilePayload"])] if "mobilePayload" in inside else []
        except OAuthError as exc:
            pending = (exc.error, exc.description)
    if pending is None and client.request_object_required and not signed:
        pending = ("invalid_request", "The application requires a signed request object.")
    if pending is None and client.par_required and not pushed:
        pending = ("invalid_request", "The application requires pushed authorization requests (PAR).")

    response_mode = values.get("response_mode") or "query"
    redirect_uri = values.get("redirect_uri")
    if redirect_uri is None and response_mode != "pi.flow":
        raise AuthorizationProblem(*(pending or ("invalid_request", "redirect_uri is missing.")), None)
    if redirect_uri is not None and not client.allows_redirect_uri(redirect_uri):
        description = REDIRECT_URI_MISMATCH  # PingOne's words
        raise AuthorizationProblem(*(pending or ("invalid_request", description)), None)
    delivery = Delivery(
        redirect_uri, response_mode if response_mode in RESPONSE_MODES else "query", values.get("state")
    )

    def problem(error: str, description: str) -> AuthorizationProblem:
        return AuthorizationProblem(error, description, delivery)

    if pending is not None:
        raise problem(*pending)
    if response_mode not in RESPONSE_MODES:
        raise problem("invalid_request", f"response_mode {response_mode!r} is not supported.")
    response_type = values.get("response_type")
    if not response_type:
        raise problem("invalid_request", "response_type is missing.")
    if response_type != "code":
        raise problem("unsupported_response_type", f"response_type {response_type!r} is not supported.")
    scopes = tuple(dict.fromkeys(values.get("scope", "").split()))
    if "openid" not in scopes:
        raise problem("invalid_scope", "scope must include openid.")

    challenge = values.get("code_challenge")
    method = values.get("code_challenge_method")
    if challenge is None and method is not None:
        raise problem("invalid_request", "code_challenge_method is given without code_challenge.")
    if challenge is not None:
        method = method or "plain"
        if method not in ("plain", "S256"):
            raise problem("invalid_request", f"code_challenge_method {method!r} is not supported.")
        if not PKCE_VALUE.fullmatch(challenge):
            raise problem("invalid_request", "code_challenge is not 43 to 128 unreserved characters.")
    if client.pkce in ("REQUIRED", "S256_REQUIRED") and challenge is None:
        raise problem("invalid_request", "The application requires PKCE: code_challenge is missing.")
    if client.pkce == "S256_REQUIRED" and method != "S256":
        raise problem("invalid_request", "The application requires code_challenge_method S256.")

    prompt = frozenset(values.get("prompt", "").split())
    if not prompt <= PROMPTS:
        raise problem("invalid_request", "prompt has a value that is not supported.")
    if "none" in prompt and len(prompt) > 1:
        raise problem("invalid_request", "prompt none cannot be combined with other values.")
    login_hint_user: str | None = None
    if "login_hint_token" in values:
        try:
            login_hint_user = transaction_approval.hinted_user(env, client, values["login_hint_token"])
        except ValueError as exc:
            raise problem("invalid_request", str(exc)) from exc
    max_age: int | None = None
    if "max_age" in values:
        if not values["max_age"].isdigit() or len(values["max_age"]) > 10:
            raise problem("invalid_request", "max_age must be a whole number of seconds.")
        max_age = int(values["max_age"])

    return AuthorizationRequest(
        client_id=client.client_id,
        redirect_uri=redirect_uri,
        response_mode=response_mode,
        scopes=scopes,
        state=values.get("state"),
        nonce=values.get("nonce"),
        code_challenge=challenge,
        code_challenge_method=method if challenge is not None else None,
        prompt=prompt,
        max_age=max_age,
        acr_values=tuple(values.get("acr_values", "").split()),
        login_hint=values.get("login_hint") or None,
        # PingOne reads its own claims only from a signed request object.
        login_hint_user=login_hint_user,
        template=values.get("pi.template") if signed else None,
        remote_ip=values.get("pi.remoteIp") if signed else None,
        mobile_payloads=tuple(mobile_payloads),
    )


def _parameter_text(value: object) -> str | None:
    """A request object claim as the authorize parameter text it stands for (None: not a parameter)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return " ".join(value)
    if isinstance(value, dict):  # e.g. pi.template, claims: JSON text, as outside a request object
        return json.dumps(value)
    return None


def _request_object_params(env: Environment, client: Client, token: str) -> dict[str, str]:
    def invalid(description: str) -> OAuthError:
        return OAuthError("invalid_request_object", description)

    try:
        parsed = parse_jws(token)
        verify_client_signature(client, parsed)
    except InvalidJWT as exc:
        raise invalid(f"The request object is not valid: {exc}.") from exc
    claims = parsed.claims
    now = env.clock()
    if claims.get("iss") != client.client_id:
        raise invalid("The request object's iss must be the client_id.")
    if not audience_ok(claims.get("aud"), {env.issuer}):
        raise invalid("The request object's aud must be the issuer.")
    if "exp" in claims and (not is_number(claims["exp"]) or claims["exp"] < now - LEEWAY):
        raise invalid("The request object has expired.")
    if "nbf" in claims and (not is_number(claims["nbf"]) or claims["nbf"] > now + LEEWAY):
        raise invalid("The request object is not valid yet.")
    if claims.get("client_id", client.client_id) != client.client_id:
        raise invalid("The request object's client_id differs from the request's.")
    if "request" in claims or "request_uri" in claims:
        raise invalid("A request object cannot hold request or request_uri.")
    params: dict[str, str] = {}
    for name, value in claims.items():
        text = _parameter_text(value)
        if name not in REQUEST_OBJECT_REGISTERED_CLAIMS and text is not None:
            params[name] = text
    return params


def _start_sign_on(env: Environment, request: Request, auth_request: AuthorizationRequest) -> Response:
    if auth_request.remote_ip is not None:
        env.remote_ips_seen.append(auth_request.remote_ip)
    env.mobile_payloads_seen.extend(auth_request.mobile_payloads)
    if auth_request.login_hint_user is not None:
        return transaction_approval.start(env, request, auth_request)
    now = env.clock()
    session = sign_ons.session_of(env, request)
    pi_flow = auth_request.response_mode == "pi.flow"
    if (
        session is not None
        and session.username in env.users
        and session.auth_time is not None
        and "login" not in auth_request.prompt
        and (auth_request.max_age is None or now - session.auth_time <= auth_request.max_age)
    ):
        if pi_flow:
            flow = sign_ons.new_flow(env, session, auth_request, COMPLETED)
            flow.username, flow.auth_time, flow.amr = session.username, session.auth_time, list(session.amr)
            return Response.json(200, flow_steps.document(env, flow), [sign_ons.session_cookie(env, session)])
        assert session.username is not None
        user = env.users[session.username]
        if policy_of(auth_request.acr_values) == MULTI_FACTOR and "otp" not in session.amr:
            # Signed on with one factor, asked for two: PingOne asks only for the missing one.
            if "none" in auth_request.prompt:
                delivery = sign_ons.delivery_of(auth_request)
                raise AuthorizationProblem("interaction_required", "The policy needs a second factor.", delivery)
            flow = sign_ons.new_flow(env, session, auth_request, OTP_REQUIRED)
            flow.username, flow.amr = user.username, list(session.amr)
            cookie = sign_ons.session_cookie(env, session)
            if pi_flow:
                return Response.json(200, flow_steps.document(env, flow), [cookie])
            return Response.redirect(env.sign_on_page_url(flow.flow_id), [cookie])
        code = sign_ons.issue_code(env, auth_request, session.username, session.auth_time, session.amr, session.sid)
        return sign_ons.deliver(env, sign_ons.delivery_of(auth_request), sign_ons.code_params(env, code, auth_request))
    if "none" in auth_request.prompt:
        raise AuthorizationProblem("login_required", "The user is not signed on.", sign_ons.delivery_of(auth_request))
    if session is None:
        session = sign_ons.new_session(env)
    # The flows API starts where the sign-on policy says; the stand-in's hosted page asks username and password
    # in one form whatever the policy (PingOne's own hosted pages are not part of its API).
    first = flow_steps.first_status(env, auth_request) if pi_flow else USERNAME_PASSWORD_REQUIRED
    flow = sign_ons.new_flow(env, session, auth_request, first)
    cookie = sign_ons.session_cookie(env, session)
    if pi_flow:
        return Response.json(200, flow_steps.document(env, flow), [cookie])
    return Response.redirect(env.sign_on_page_url(flow.flow_id), [cookie])
