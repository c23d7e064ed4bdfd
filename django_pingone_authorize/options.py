"""Types for ``settings.PINGONE_AUTHORIZE``, for an editor's completion and mypy: annotate the setting with them
and a misspelt option or a value of the wrong type is caught before ``manage.py check`` runs::

    from django_pingone_authorize.options import AliasOptions

    PINGONE_AUTHORIZE: dict[str, AliasOptions] = {
        "default": {"ENV_ID": "...", "CLIENT_ID": "...", "CLIENT_SECRET": "...", "STORE_TOKENS": True},
    }

``AliasOptions`` has every option of ``conf.AliasConfig`` (one key each; ``tests/test_options.py`` keeps the two
the same), all optional (``total=False``). Sequence options take a list, a tuple or one string, as ``normalise``
does. The meanings and defaults are in the settings reference (docs/reference/settings.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal, TypedDict

from django.utils.functional import Promise

__all__ = ["AliasOptions", "PingOneAuthorizeSetting"]


class AliasOptions(TypedDict, total=False):
    AUTH_PATH: str
    ENV_ID: str
    CLIENT_ID: str
    CLIENT_SECRET: str
    DISCOVERY: bool
    METHOD: Literal["GET", "POST"]
    RESPONSE_MODE: Literal["query", "form_post", "pi.flow"] | None
    SCOPE: str
    REDIRECT_URI: str | None
    ALLOW_GET_LOGIN: bool
    PROMPT: str | None
    MAX_AGE: int | None
    ACR_VALUES: str | None
    ALLOWED_ACR_VALUES: Sequence[str] | str
    REQUEST_PARAMS: Sequence[str] | str
    REQUEST_OBJECT_ALGORITHM: str | None
    SIGN_EMBEDDED_REQUESTS: bool
    USE_PAR: bool
    PRIVATE_KEY: str | None
    PRIVATE_KEY_ID: str | None
    TOKEN_ENDPOINT_AUTH_METHOD: Literal[
        "client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt", "none"
    ]
    TOKEN_ENDPOINT_AUTH_ALGORITHM: str | None
    ID_TOKEN_ALGORITHMS: Sequence[str] | str
    TRUSTED_AUDIENCES: Sequence[str] | str
    LEEWAY: int
    ID_TOKEN_MAX_AGE: int
    REQUIRE_ISS: bool | Literal["auto"]
    TIMEOUT: float
    USERINFO: bool
    CREATE_USERS: bool
    LINK_BY_VERIFIED_EMAIL: bool
    USERNAME_CLAIM: str
    STORE_TOKENS: bool
    SIGNOFF: bool
    POST_LOGOUT_REDIRECT_URI: str | None
    REVOKE_ON_LOGOUT: bool
    IDP_SIGNOFF: bool
    SESSION_CHECK_INTERVAL: int | None
    WORKER_CLIENT_ID: str
    WORKER_CLIENT_SECRET: str
    MANAGEMENT_API_PATH: str | None
    PENDING_TTL: int
    PENDING_MAX: int
    CACHE: str
    CACHE_TTL: int
    LABEL: str | Promise
    API_AUDIENCE: Sequence[str] | str
    API_INTROSPECT: bool | Literal["opaque"]
    API_REQUIRE_TYP: bool | Literal["auto"]
    API_INTROSPECTION_AUTH_METHOD: str | None
    CHANNEL_LOGOUT: bool
    REGISTRATION: bool
    API_INTROSPECTION_MAX_CACHE: int
    API_CLIENT_ID: str
    API_CLIENT_SECRET: str
    ADMIN_LOGIN: bool | Literal["only"]
    GROUPS_CLAIM: str | None
    GROUP_MAP: Mapping[str, str] | None
    STAFF_GROUPS: Sequence[str] | str
    SUPERUSER_GROUPS: Sequence[str] | str
    APPROVAL_ACR_VALUES: str | None
    APPROVAL_TTL: int
    TRUSTED_PROXIES: Sequence[str] | str


#: The whole setting: alias name -> its options.
PingOneAuthorizeSetting = dict[str, AliasOptions]
