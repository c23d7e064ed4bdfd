"""``PingOneAuth``: a ``requests`` authentication that sends a PingOne access token as ``Authorization: Bearer``.

::

    requests.get("https://api.example.com/orders", auth=PingOneAuth(client="default", scopes=["orders:read"]))
    requests.get(url, auth=PingOneAuth(token=access_token))     # a token you hold

With ``client`` (an alias; the default when no token is given) the token is ``get_client_token``'s: cached
across workers until shortly before it expires. ``token_for`` is the one place a token is chosen; override it
(a later release adds the signed-on user's refreshed token there). requests drops the header on a redirect to
another host.
"""

from __future__ import annotations

from collections.abc import Iterable

from requests import PreparedRequest
from requests.auth import AuthBase

from django_pingone_authorize.api.client_credentials import get_client_token
from django_pingone_authorize.conf import DEFAULT_ALIAS

__all__ = ["PingOneAuth"]


class PingOneAuth(AuthBase):
    def __init__(
        self, token: str | None = None, *, client: str | None = None, scopes: Iterable[str] | str = ()
    ) -> None:
        if token is not None and client is not None:
            raise TypeError("PingOneAuth takes a token or a client alias, not both.")
        self._token = token
        self.client = client if client is not None or token is not None else DEFAULT_ALIAS
        self.scopes = scopes.split() if isinstance(scopes, str) else list(scopes)

    def token_for(self, request: PreparedRequest) -> str:
        """The access token to send with ``request``."""
        if self._token is not None:
            return self._token
        return get_client_token(self.client or DEFAULT_ALIAS, self.scopes)

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token_for(request)}"
        return request

    def __repr__(self) -> str:  # never the token
        source = "token" if self._token is not None else f"client={self.client!r}"
        return f"<PingOneAuth {source} scopes={self.scopes!r}>"
