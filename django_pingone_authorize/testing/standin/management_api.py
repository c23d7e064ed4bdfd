"""A sliver of PingOne's management API: a user's sessions (``/v1/environments/{envID}/users/{userID}/sessions``),
listed (GET) and ended one by one (DELETE ``.../sessions/{sessionID}``), with a client-credentials token of any
application as the worker's (the stand-in plays no roles). Served on the stand-in's own host (PingOne serves it on
``api.pingone.*``). A session's id is its ``sid``; ending it is a sign-off (``session_lifecycle.end_session``).
The answer's shape (``_embedded.sessions``) follows PingOne's other collections; it is unconfirmed. As PingOne,
the list also holds expired sessions (``expired_sessions``: at most ten, ``expiresAt`` past), whose deletion is
404, and PingOne refuses to delete "the current session" (``undeletable_sessions``: 400)."""

from __future__ import annotations

import time
from typing import Any

from ..records import BrowserSession
from ..server import Request, Response
from . import session_lifecycle
from .environment import Environment
from .protocol import OAuthError


def _worker(env: Environment, request: Request) -> None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    record = env.access_tokens.get(token.strip()) if scheme.lower() == "bearer" else None
    if record is None or record.username or (record.expires_at is not None and env.clock() > record.expires_at):
        raise OAuthError("invalid_token", "A worker application's access token is required.", 401)


def _sessions_of(env: Environment, user_id: str) -> list[BrowserSession]:
    usernames = {user.username for user in env.users.values() if user.sub == user_id}
    return [session for session in env.sessions.values() if session.username in usernames]


def user_sessions(env: Environment, request: Request, env_id: str, user_id: str) -> Response:
    if env_id != env.env_id:
        return _not_found()
    _worker(env, request)
    live = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(env.clock() + 8 * 3600))
    sessions: list[dict[str, Any]] = [
        {"id": session.sid, "user": {"id": user_id}, "authenticatedAt": session.auth_time, "expiresAt": live}
        for session in _sessions_of(env, user_id)
    ]
    expired = env.expired_sessions.get(user_id, [])[-10:]
    sessions += [{"id": sid, "user": {"id": user_id}, "expiresAt": at} for sid, at in expired]
    return Response.json(200, {"_embedded": {"sessions": sessions}, "count": len(sessions), "size": len(sessions)})


def user_session(env: Environment, request: Request, env_id: str, user_id: str, session_id: str) -> Response:
    if env_id != env.env_id:
        return _not_found()
    _worker(env, request)
    if session_id in env.undeletable_sessions:
        return Response.json(
            400, {"code": "INVALID_REQUEST", "message": "The current session cannot be deleted.", "details": []}
        )
    for session in _sessions_of(env, user_id):
        if session.sid == session_id:
            session_lifecycle.end_session(env, session)
            del env.sessions[session.token]
            return Response(204)
    return _not_found()


def _not_found() -> Response:
    return Response.json(404, {"code": "NOT_FOUND", "message": "The resource was not found."})
