"""discovery.py: the provider's endpoints from its discovery document or PingOne's layout; url_safety.py."""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import pytest
from django.test import override_settings

from django_pingone_authorize.conf import AliasConfig, get_alias
from django_pingone_authorize.provider.discovery import layout_metadata, metadata_from_document
from django_pingone_authorize.provider.url_safety import is_loopback, is_safe_endpoint

ENV = "abfba8f6-49eb-49f5-a5d9-80ad5c98f9f6"
ISSUER = f"https://auth.pingone.com/{ENV}/as"
DOCUMENT = {
    "issuer": ISSUER,
    "authorization_endpoint": f"{ISSUER}/authorize",
    "token_endpoint": f"{ISSUER}/token",
    "jwks_uri": f"{ISSUER}/jwks",
}


@pytest.fixture
def config() -> Iterator[AliasConfig]:
    with override_settings(PINGONE_AUTHORIZE={"default": {"ENV_ID": ENV, "CLIENT_ID": "c"}}):
        yield get_alias()


def test_introspection_and_revocation_come_from_discovery_or_the_layout(config: AliasConfig) -> None:
    from_layout = metadata_from_document(config, DOCUMENT)
    assert from_layout.introspection_endpoint == f"{ISSUER}/introspect"
    assert from_layout.revocation_endpoint == f"{ISSUER}/revoke"
    advertised = {
        **DOCUMENT,
        "introspection_endpoint": "https://api.example.com/introspect",
        "revocation_endpoint": "http://evil.example.com/revoke",  # not https: PingOne's own is used
    }
    metadata = metadata_from_document(config, advertised)
    assert metadata.introspection_endpoint == "https://api.example.com/introspect"
    assert metadata.revocation_endpoint == f"{ISSUER}/revoke"
    assert layout_metadata(config).introspection_endpoint == f"{ISSUER}/introspect"


def test_url_safety() -> None:
    assert is_loopback("127.0.0.2") and is_loopback("[::1]") and is_loopback("localhost")
    assert not is_loopback("127.0.0.1.example.com")
    assert is_safe_endpoint("https://auth.pingone.com/x") and is_safe_endpoint("http://localhost:8000/x")
    assert not is_safe_endpoint("http://auth.pingone.com/x") and not is_safe_endpoint("https://[oops")


@pytest.mark.parametrize(
    "old",
    ["django_pingone_authorize.tokens", "django_pingone_authorize.views.failure", "django_pingone_authorize.discovery"],
)
def test_former_module_names_are_gone(old: str) -> None:
    # Nothing was released under them: no deprecation shims (the CHANGELOG says where each went).
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module(old)
