"""Where PingOne's endpoints are: from its discovery document (cached in Django's cache framework, shared
by every worker, and memoised in the process), or from PingOne's fixed layout under ``{authPath}/{envID}/as``.
With the cache unreachable, discovery is fetched from PingOne and kept in the per-process memo.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from django_pingone_authorize.conf import SETTING_NAME, AliasConfig, resets_on
from django_pingone_authorize.errors import ProviderError
from django_pingone_authorize.provider import shared_cache, stale_if_error
from django_pingone_authorize.provider.http import request_json
from django_pingone_authorize.provider.url_safety import is_safe_endpoint

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None
    end_session_endpoint: str | None
    pushed_authorization_request_endpoint: str | None
    iss_parameter_supported: bool
    # PingOne always serves these; a discovery document that names them (https) wins over the layout.
    introspection_endpoint: str = ""
    revocation_endpoint: str = ""


@functools.lru_cache(maxsize=64)
def layout_metadata(config: AliasConfig) -> ProviderMetadata:
    """PingOne's documented endpoint layout, without asking the network."""
    layout = config.layout
    return ProviderMetadata(
        issuer=layout.issuer,
        authorization_endpoint=layout.authorization_endpoint,
        token_endpoint=layout.token_endpoint,
        jwks_uri=layout.jwks_uri,
        userinfo_endpoint=layout.userinfo_endpoint,
        end_session_endpoint=layout.end_session_endpoint,
        pushed_authorization_request_endpoint=layout.pushed_authorization_request_endpoint,
        # PingOne sends ``iss``; without discovery we cannot know for sure, so it is checked when present.
        iss_parameter_supported=False,
        introspection_endpoint=layout.introspection_endpoint,
        revocation_endpoint=layout.revocation_endpoint,
    )


def metadata_from_document(config: AliasConfig, document: dict[str, Any]) -> ProviderMetadata:
    """Check a discovery document and read the endpoints we use from it."""
    issuer = config.issuer
    if document.get("issuer") != issuer:
        # OpenID Connect Discovery §4.3: the issuer must be exactly the one we asked (mix-up defence).
        raise ProviderError(
            "discovery_issuer_mismatch", _("The identity provider's configuration is for another issuer.")
        )

    def endpoint(name: str, *, required: bool) -> str | None:
        value = document.get(name)
        if value is None and not required:
            return None
        if not is_safe_endpoint(value):
            raise ProviderError(
                "discovery_bad_endpoint",
                format_lazy(_("The identity provider's {name} is missing or not https."), name=name),
            )
        return str(value)

    def endpoint_or_layout(name: str, layout_url: str) -> str:
        value = document.get(name)
        return value if isinstance(value, str) and is_safe_endpoint(value) else layout_url

    return ProviderMetadata(
        issuer=issuer,
        authorization_endpoint=str(endpoint("authorization_endpoint", required=True)),
        token_endpoint=str(endpoint("token_endpoint", required=True)),
        jwks_uri=str(endpoint("jwks_uri", required=True)),
        userinfo_endpoint=endpoint("userinfo_endpoint", required=False),
        end_session_endpoint=endpoint("end_session_endpoint", required=False),
        pushed_authorization_request_endpoint=endpoint("pushed_authorization_request_endpoint", required=False),
        iss_parameter_supported=document.get("authorization_response_iss_parameter_supported") is True,
        introspection_endpoint=endpoint_or_layout("introspection_endpoint", f"{issuer}/introspect"),
        revocation_endpoint=endpoint_or_layout("revocation_endpoint", f"{issuer}/revoke"),
    )


# Per-process memo in front of Django's cache: {issuer: (expires_at, metadata)}.
_memo: dict[str, tuple[float, ProviderMetadata]] = {}
_memo_lock = threading.Lock()
MEMO_SECONDS = 300.0
STALE_RETRY_SECONDS = 5.0  # a stale document served while PingOne is down is kept this long in the process


# Endpoints depend on the aliases' settings and on the cache they were read from.
@resets_on(SETTING_NAME, "CACHES")
def reset_caches() -> None:
    """Forget this process's memo of discovery documents (what a new worker starts with)."""
    with _memo_lock:
        _memo.clear()
    layout_metadata.cache_clear()


def get_metadata(config: AliasConfig) -> ProviderMetadata:
    """The endpoints of ``config``'s issuer. With discovery on, at most one fetch per cache lifetime."""
    if not config.DISCOVERY:
        return layout_metadata(config)
    issuer = config.issuer
    now = time.monotonic()
    memo = _memo.get(issuer)
    if memo is not None and memo[0] > now:
        return memo[1]
    key = shared_cache.cache_key("discovery", issuer)
    # An unreachable cache is a miss (shared_cache logs it): fetch, and the memo below keeps this process going.
    # The cached copy is kept STALE_SECONDS past CACHE_TTL and served while PingOne cannot be reached.
    cached = stale_if_error.load(config.CACHE, key)
    if cached is not None and cached[1] and isinstance(cached[0], dict):
        metadata = metadata_from_document(config, cached[0])
    else:
        try:
            document, _ = request_json(
                "GET",
                config.layout.discovery_url,
                timeout=config.TIMEOUT,
                what="discovery request",
            )
        except ProviderError as exc:
            stale: ProviderMetadata | None = None
            if stale_if_error.unreachable(exc):
                if cached is not None and isinstance(cached[0], dict):
                    stale = metadata_from_document(config, cached[0])
                elif memo is not None:  # no shared copy (the cache is unreachable too): this process's own
                    stale = memo[1]
            if stale is None:
                raise
            stale_if_error.served_stale("discovery document", issuer, exc)
            with _memo_lock:  # asked again a little later, not on every request
                _memo[issuer] = (now + STALE_RETRY_SECONDS, stale)
            return stale
        metadata = metadata_from_document(config, document)
        stale_if_error.store(config.CACHE, key, document, config.CACHE_TTL)
        logger.info("Fetched PingOne discovery document for %s", issuer)
    with _memo_lock:
        _memo[issuer] = (now + min(MEMO_SECONDS, float(config.CACHE_TTL)), metadata)
    return metadata
