"""The stand-in as a server: which handler answers which path and method, its errors turned into responses,
and its lifecycle (``start``/``stop``, or ``with``).

``PingOneStandIn`` is the environment (``environment.py``) served over HTTP: the paths come from
``PingOneLayout``; each handler is a function of the environment and the request.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from functools import cached_property
from types import TracebackType
from typing import Any

from .. import pages
from ..flows import PingOneAPIError, not_found
from ..server import MalformedRequest, Request, Response, StandInHTTPServer, logger
from . import (
    authorize,
    devices,
    discovery,
    flows_api,
    hosted_pages,
    introspection,
    management_api,
    passkey_registration,
    self_service,
    signoff,
    token,
    userinfo,
)
from .environment import Environment
from .protocol import ErrorPage, OAuthError

Handler = Callable[..., Response]  # (environment, request, *path groups) -> response
_ID = r"([A-Za-z0-9-]{1,64})"


class PingOneStandIn(Environment):
    """A local PingOne environment: one authorization server with its applications and users, served on
    loopback (an ephemeral port unless ``port`` is given) from a daemon thread. Its arguments are
    ``Environment``'s (``environment.py``): ``host``, ``port``, ``env_id``, ``redirect_uris``..."""

    # The server and its thread while started (``start``/``stop``).
    _server: StandInHTTPServer | None = None
    _thread: threading.Thread | None = None

    @cached_property
    def _routes(self) -> list[tuple[re.Pattern[str], tuple[str, ...], Handler]]:
        """Each endpoint's path pattern, methods and handler (the paths depend on the environment's id)."""
        paths = self.paths
        return [
            (_exactly(paths.discovery_url), ("GET",), discovery.discovery),
            (_exactly(paths.authorization_endpoint), ("GET", "POST"), authorize.authorize),
            (_exactly(paths.token_endpoint), ("POST",), token.token),
            (_exactly(paths.jwks_uri), ("GET",), discovery.jwks),
            (_exactly(paths.userinfo_endpoint), ("GET", "POST"), userinfo.userinfo),
            (_exactly(paths.end_session_endpoint), ("GET", "POST"), signoff.signoff),
            (_exactly(paths.idp_signoff_endpoint), ("GET", "POST"), signoff.signoff),
            (re.compile(f"/v1/environments/{_ID}/users/{_ID}/sessions"), ("GET",), management_api.user_sessions),
            (
                re.compile(f"/v1/environments/{_ID}/users/{_ID}/sessions/{_ID}"),
                ("DELETE",),
                management_api.user_session,
            ),
            (_exactly(paths.pushed_authorization_request_endpoint), ("POST",), authorize.par),
            (_exactly(paths.resume_endpoint), ("GET",), flows_api.resume),
            (_exactly(paths.revocation_endpoint), ("POST",), introspection.revoke),
            (_exactly(paths.introspection_endpoint), ("POST",), introspection.introspect),
            (_exactly(f"{paths.flows_base}/", _ID), ("GET", "POST"), flows_api.flow_api),
            (_exactly(f"{paths.environment}/signon", "/?"), ("GET", "POST"), hosted_pages.sign_on_page),
            (_exactly(f"{paths.environment}/devices/", _ID, "/phone"), ("GET", "POST"), devices.phone_page),
            (_exactly(f"{paths.environment}/mailbox"), ("GET",), self_service.mailbox_page),
            (
                _exactly(f"{paths.environment}/passkeys/register"),
                ("GET", "POST"),
                passkey_registration.registration_page,
            ),
            (
                _exactly(f"{paths.environment}/external/", _ID, "/authenticate"),
                ("GET", "POST"),
                hosted_pages.external_provider,
            ),
        ]

    # -- Lifecycle -------------------------------------------------------------------------------------

    def start(self) -> PingOneStandIn:
        """Listen (on an ephemeral port when ``port`` is 0) and serve from a daemon thread."""
        with self.lock:
            if self._server is not None:
                return self
            server = StandInHTTPServer((self.host, self.port), self._handle)
            self.port = int(server.socket.getsockname()[1])
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.1},
                name=f"pingone-standin-{self.port}",
                daemon=True,
            )
            thread.start()
            self._server, self._thread = server, thread
            return self

    def stop(self) -> None:
        with self.lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
        if server is None or thread is None:
            return
        server.closing = True
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    def __enter__(self) -> PingOneStandIn:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def discovery_document(self) -> dict[str, Any]:
        """What ``/as/.well-known/openid-configuration`` answers."""
        return discovery.discovery_document(self)

    # -- Dispatch --------------------------------------------------------------------------------------

    def _handle(self, request: Request) -> Response:
        with self.lock:
            self.requests_seen.append((request.method, request.path))
            try:
                return self._route(request)
            except MalformedRequest as exc:
                return Response.json(400, {"error": "invalid_request", "error_description": str(exc)})
            except Exception:
                logger.exception("the PingOne stand-in failed on %s %s", request.method, request.path)
                body = {"error": "server_error", "error_description": "The stand-in failed; see its log."}
                return Response.json(500, body)

    def _route(self, request: Request) -> Response:
        for pattern, methods, handler in self._routes:
            match = pattern.fullmatch(request.path)
            if match is None:
                continue
            if request.method not in methods:
                body = {"error": "invalid_request", "error_description": f"{request.method} is not allowed here."}
                return Response.json(405, body, [("Allow", ", ".join(methods))])
            try:
                return handler(self, request, *match.groups())
            except OAuthError as exc:
                return exc.response()
            except PingOneAPIError as exc:
                return Response.json(exc.status, exc.body())
            except ErrorPage as exc:
                return Response.html(exc.status, pages.message_page(exc.title, exc.message))
        return Response.json(404, not_found().body())


def _exactly(path: str, *pattern: str) -> re.Pattern[str]:
    """A path from the layout (taken literally), then ``pattern`` parts (regular expressions)."""
    return re.compile(re.escape(path) + "".join(pattern))
