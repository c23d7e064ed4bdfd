"""The settings module: defaults, aliases, unknown keys, and resets under override_settings."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from django_pingone_authorize.conf import DEFAULTS, get_alias

ENV = "abfba8f6-49eb-49f5-a5d9-80ad5c98f9f6"


def test_defaults_fill_in_and_issuer_follows_pingone_layout() -> None:
    with override_settings(PINGONE_AUTHORIZE={"default": {"ENV_ID": ENV, "CLIENT_ID": "c"}}):
        config = get_alias()
    assert config.AUTH_PATH == DEFAULTS["AUTH_PATH"] == "https://auth.pingone.com"
    assert config.issuer == f"https://auth.pingone.com/{ENV}/as"
    assert config.flows_base == f"https://auth.pingone.com/{ENV}/flows"
    assert config.METHOD == "GET"
    assert config.TOKEN_ENDPOINT_AUTH_METHOD == "client_secret_basic"
    assert config.ID_TOKEN_ALGORITHMS == ("RS256",)


def test_custom_domain_has_no_env_id_in_the_path() -> None:
    settings = {"login": {"AUTH_PATH": "https://login.example.com/", "CLIENT_ID": "c"}}
    with override_settings(PINGONE_AUTHORIZE=settings):
        assert get_alias("login").issuer == "https://login.example.com/as"


def test_values_are_normalised() -> None:
    options = {"ENV_ID": ENV, "CLIENT_ID": "c", "METHOD": "post", "RESPONSE_MODE": "query", "TRUSTED_AUDIENCES": "x"}
    with override_settings(PINGONE_AUTHORIZE={"default": options}):
        config = get_alias()
    assert config.METHOD == "POST"
    assert config.RESPONSE_MODE is None
    assert config.TRUSTED_AUDIENCES == ("x",)


def test_override_settings_resets_the_cache() -> None:
    with override_settings(PINGONE_AUTHORIZE={"default": {"ENV_ID": ENV, "CLIENT_ID": "one"}}):
        assert get_alias().CLIENT_ID == "one"
    with override_settings(PINGONE_AUTHORIZE={"default": {"ENV_ID": ENV, "CLIENT_ID": "two"}}):
        assert get_alias().CLIENT_ID == "two"


def test_errors_name_the_problem() -> None:
    with override_settings(PINGONE_AUTHORIZE={"default": {"CLIENT_ID": "c", "SCOPES": "openid"}}):
        with pytest.raises(ImproperlyConfigured, match="unknown key 'SCOPES'. Did you mean 'SCOPE'"):
            get_alias()
    with override_settings(PINGONE_AUTHORIZE={"default": {"ENV_ID": ENV}}):
        with pytest.raises(ImproperlyConfigured, match="needs 'CLIENT_ID'"):
            get_alias()
    with override_settings(PINGONE_AUTHORIZE={"default": {"CLIENT_ID": "c"}}):
        with pytest.raises(ImproperlyConfigured, match="no alias 'other'.*'default'"):
            get_alias("other")
