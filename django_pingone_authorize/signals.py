"""Signals a site can listen to. None carries a token or a secret; each receiver gets ``sender`` and the
keyword arguments named here (and ``**kwargs``, as every Django receiver must take).

``sign_on_succeeded``: sent after ``login()``, with ``request``, ``user``, ``alias`` and ``claims``.
``sign_on_failed``: sent when a sign-on ends in an error page, with ``request``, ``alias`` (None when it
could not be known) and ``reason`` (a short code such as ``state_unknown`` or ``id_token_bad_signature``).
``signed_out``: a Django session signed on through PingOne ended, with ``request`` (None when the session
ended elsewhere: a back-channel logout, or "log out everywhere" ending the user's other sessions), ``user``
(None when it could not be loaded), ``alias`` (None when the session had no PingOne sign-on) and ``by``:
``"site"`` (the logout view, "log out everywhere") or ``"pingone"`` (PingOne ended the session: the session
check or a refresh, front- or back-channel logout). Sent once per Django session.
``pingone_session_ended``: PingOne said a user's PingOne session is over, with ``alias``, ``issuer``,
``subject`` (None when the logout named only a session), ``sid`` (None when unknown), ``how`` (``"refresh"``:
the session check or ``get_access_token`` found the sign-on no longer honoured; ``"back_channel"``;
``"front_channel"``) and ``sessions_ended`` (how many Django sessions this ended). ``request`` is the request
it was learnt on (for a back-channel logout, PingOne's POST).
``tokens_refreshed``: a session's tokens were refreshed at PingOne (once per refresh, by the request that
did it; not when another request's refresh was reused), with ``request``, ``alias``, ``subject`` and
``generation`` (1 for the first refresh of a sign-on). Read the new tokens with ``get_tokens(request.session)``.
``user_created``: ``PingOneBackend`` created a Django user for a new PingOne identity (``CREATE_USERS``), with
``user``, ``claims`` and ``alias``; ``sender`` is the backend's class.
``identity_linked``: a PingOne identity (issuer, subject) was tied to a Django user, with ``user``,
``identity`` (the ``PingOneIdentity``), ``alias`` (None for an import) and ``how``: ``"created"`` (a new user),
``"email"`` (an existing user found by a verified email, ``LINK_BY_VERIFIED_EMAIL``) or ``"import"`` (the
``pingone_import_identities`` command).
"""

from __future__ import annotations

from typing import Any

from django.dispatch import Signal

sign_on_succeeded = Signal()
sign_on_failed = Signal()
signed_out = Signal()
pingone_session_ended = Signal()
tokens_refreshed = Signal()
user_created = Signal()
identity_linked = Signal()


async def asend(signal: Signal, sender: Any, **named: Any) -> None:
    """``signal.send`` from async code: ``Signal.asend`` (Django 5.0+, sync receivers in a thread), else
    ``send``."""
    send = getattr(signal, "asend", None)
    if send is not None:
        await send(sender, **named)
    else:
        signal.send(sender, **named)
