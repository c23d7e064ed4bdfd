"""The settings module: defaults, aliases, unknown keys, and resets under override_settings."""

from __future__ import annotations

import ast
from dataclasses import fields
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from django_pingone_authorize import conf
from django_pingone_authorize.conf import DEFAULTS, AliasConfig, get_alias, normalise
from django_pingone_authorize.provider import discovery, shared_cache
from django_pingone_authorize.provider import signing_keys as jwks

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


def test_each_option_is_declared_once_on_the_dataclass() -> None:
    options = {f.name: f for f in fields(AliasConfig) if f.name != "alias"}
    assert dict(DEFAULTS) == {name: f.default for name, f in options.items()}
    # Sequences are tuples, so that a configuration stays hashable (it keys per-process memos).
    assert all(not isinstance(default, (list, dict, set)) for default in DEFAULTS.values())
    hidden = {name for name, f in options.items() if not f.repr}
    assert hidden == {"CLIENT_SECRET", "PRIVATE_KEY", "API_CLIENT_SECRET", "WORKER_CLIENT_SECRET"}
    with override_settings(PINGONE_AUTHORIZE={"default": {"CLIENT_ID": "c", "CLIENT_SECRET": "s3cret"}}):
        assert "s3cret" not in repr(get_alias())


def test_one_normalising_function_serves_get_alias_and_the_checks() -> None:
    options = {"CLIENT_ID": "c", "ALLOWED_ACR_VALUES": ["Single_Factor Multi_Factor"], "API_AUDIENCE": None}
    values = normalise(options)
    assert values["ALLOWED_ACR_VALUES"] == ("Single_Factor", "Multi_Factor")
    assert values["API_AUDIENCE"] == ()
    with override_settings(PINGONE_AUTHORIZE={"default": options}):
        assert get_alias() == AliasConfig(alias="default", **values)
    # A value of the wrong type is left for the checks to report, not turned into something else.
    assert normalise({"ID_TOKEN_ALGORITHMS": 256, "METHOD": 1})["ID_TOKEN_ALGORITHMS"] == 256


def test_conf_imports_nothing_else_from_the_package() -> None:
    """Each cache clears itself on ``setting_changed``: conf has no reason to import the modules that keep them."""
    tree = ast.parse(Path(conf.__file__).read_text())
    imported = {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("django_pingone_authorize")
    }
    assert imported <= {"django_pingone_authorize.layout"}


@pytest.mark.parametrize("setting", ["PINGONE_AUTHORIZE", "CACHES"])
def test_each_process_cache_clears_itself_when_the_settings_change(setting: str) -> None:
    jwks._source("https://idp.example.com/jwks")
    discovery._memo["https://idp.example.com/as"] = (float("inf"), None)  # type: ignore[assignment]
    shared_cache._down_until["default"] = float("inf")
    value = {"default": {"CLIENT_ID": "c"}} if setting == "PINGONE_AUTHORIZE" else settings.CACHES
    with override_settings(**{setting: value}):
        assert not discovery._memo
        assert not jwks._sources
        if setting == "CACHES":
            assert not shared_cache._down_until
