"""What the session index costs a login, and where it is kept at all (``session_index.index_wanted``): one
INSERT per login, a PingOne sign-on's facts included; nothing where nothing reads the index (no
``pingone:logout_everywhere`` route, no ``CHANNEL_LOGOUT``, no ``SESSION_CHECK_INTERVAL``); still kept when any
of those is on. And a returning user whose claims did not change costs one query, no write, no transaction."""

from __future__ import annotations

from importlib import import_module
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import login
from django.contrib.auth.models import AnonymousUser, User
from django.db import connection
from django.http import HttpRequest
from django.test import Client
from django.test.utils import CaptureQueriesContext

from django_pingone_authorize.backends import PingOneBackend
from django_pingone_authorize.conf import get_alias
from django_pingone_authorize.models import PingOneIdentity, PingOneSession
from django_pingone_authorize.sessions import session_index

pytestmark = pytest.mark.django_db

WITHOUT_APP_URLS = "tests.sessions.urls_without_app"


def fresh_request() -> HttpRequest:
    request = HttpRequest()
    request.session = import_module(django_settings.SESSION_ENGINE).SessionStore()
    request.user = AnonymousUser()
    return request


def index_statements(captured: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in captured.captured_queries if "pingonesession" in query["sql"]]


def test_a_pingone_login_writes_its_whole_row_in_one_insert() -> None:
    user = User.objects.create_user("ann")
    request = fresh_request()
    claims = {"iss": "https://issuer.example/as", "sub": "sub-1", "sid": "sid-1"}
    session_index.expect_sign_on(request, "default", claims, "pingone:token-set:abc")
    with CaptureQueriesContext(connection) as captured:
        login(request, user, backend="django_pingone_authorize.backends.PingOneBackend")
    [insert] = index_statements(captured)
    assert insert.startswith("INSERT")
    row = PingOneSession.objects.get()
    assert (row.alias, row.issuer, row.subject, row.sid, row.token_cache_key) == (
        "default",
        claims["iss"],
        "sub-1",
        "sid-1",
        "pingone:token-set:abc",
    )
    assert not hasattr(request, session_index.SIGN_ON_ATTRIBUTE)  # used once


def test_a_password_login_is_indexed_too() -> None:
    user = User.objects.create_user("bob", password="pw")
    client = Client()
    client.force_login(user)
    row = PingOneSession.objects.get(user=user)
    assert (row.alias, row.sid) == ("", "")


def test_without_anything_that_reads_it_no_row_is_written(settings: Any) -> None:
    settings.ROOT_URLCONF = WITHOUT_APP_URLS
    assert session_index.index_wanted() is False
    user = User.objects.create_user("ann")
    with CaptureQueriesContext(connection) as captured:
        login(fresh_request(), user, backend="django_pingone_authorize.backends.PingOneBackend")
    assert index_statements(captured) == []
    assert not PingOneSession.objects.exists()


@pytest.mark.parametrize("option", [{"CHANNEL_LOGOUT": True}, {"SESSION_CHECK_INTERVAL": 300}])
def test_channel_logout_or_the_session_check_keep_it(settings: Any, option: dict[str, Any]) -> None:
    settings.ROOT_URLCONF = WITHOUT_APP_URLS
    settings.PINGONE_AUTHORIZE = {"default": {"CLIENT_ID": "app", "ENV_ID": "env", **option}}
    assert session_index.index_wanted() is True
    user = User.objects.create_user("ann")
    login(fresh_request(), user, backend="django_pingone_authorize.backends.PingOneBackend")
    assert PingOneSession.objects.filter(user=user).count() == 1


def test_routing_logout_everywhere_keeps_it(settings: Any) -> None:
    settings.ROOT_URLCONF = "tests.urls"
    assert session_index.index_wanted() is True


def test_old_rows_are_pruned_at_about_one_login_in_prune_every(settings: Any) -> None:
    from datetime import timedelta

    from django.utils import timezone

    user = User.objects.create_user("ann")
    for _ in range(session_index.PRUNE_EVERY + 1):
        login(fresh_request(), user, backend="django_pingone_authorize.backends.PingOneBackend")
        PingOneSession.objects.update(created_at=timezone.now() - timedelta(days=30))
    # Within PRUNE_EVERY + 1 logins a new row's id was a multiple of PRUNE_EVERY: the stale rows went then.
    assert PingOneSession.objects.count() < session_index.PRUNE_EVERY + 1


@pytest.mark.django_db(transaction=True)  # autocommit, as a request without ATOMIC_REQUESTS runs
def test_a_returning_user_with_the_same_claims_costs_one_query(settings: Any) -> None:
    settings.PINGONE_AUTHORIZE = {"default": {"CLIENT_ID": "app", "ENV_ID": "env"}}
    config = get_alias()
    claims = {"iss": config.issuer, "sub": "sub-1", "email": "ann@example.com", "given_name": "Ann"}
    backend = PingOneBackend()
    first = backend.get_or_create_user(claims, config)
    assert first is not None and PingOneIdentity.objects.filter(user=first).exists()
    with CaptureQueriesContext(connection) as captured:
        again = backend.get_or_create_user(claims, config)
    assert again == first
    assert [query["sql"].split()[0] for query in captured.captured_queries] == ["SELECT"]
