"""Housekeeping: ``pingone_clearsessions`` prunes the session index of sessions that expired or are gone (and
keeps live ones); ``PingOneSession`` in the admin, read-only and without session keys; the user's page shows
their PingOne identities and sessions inline, on the site's own user admin class (extended, not replaced)."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from django_pingone_authorize import admin as pingone_admin
from django_pingone_authorize.models import PingOneSession

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.admin_urls")]


def clearsessions(*args: str) -> str:
    out = StringIO()
    call_command("pingone_clearsessions", *args, stdout=out)
    return out.getvalue()


def test_prunes_rows_of_ended_and_old_sessions(pingone_sign_on: Any) -> None:
    live, ended, old = Client(), Client(), Client()
    for client in (live, ended, old):
        pingone_sign_on(client)
    assert PingOneSession.objects.count() == 3
    Session.objects.filter(session_key=ended.session.session_key).delete()  # expired and cleared by clearsessions
    PingOneSession.objects.filter(pk=PingOneSession.objects.order_by("pk").last().pk).update(  # type: ignore[union-attr]
        created_at=timezone.now() - timedelta(days=30)
    )
    assert "would delete 1 row(s) past SESSION_COOKIE_AGE, 1 of ended sessions" in clearsessions("--dry-run")
    assert PingOneSession.objects.count() == 3
    assert "deleted 1 row(s) past SESSION_COOKIE_AGE, 1 of ended sessions" in clearsessions()
    [kept] = PingOneSession.objects.all()
    assert live.get("/home/").content == b"home: demo"
    assert kept.user.get_username() == "demo"
    assert "deleted 0 row(s) past SESSION_COOKIE_AGE, 0 of ended sessions" in clearsessions()


def test_admin_lists_sessions_read_only(admin_client: Client, pingone_sign_on: Any) -> None:
    pingone_sign_on(Client(), {"sid": "sid-admin"})
    row = PingOneSession.objects.get(sid="sid-admin")
    listing = admin_client.get("/admin/django_pingone_authorize/pingonesession/")
    assert listing.status_code == 200 and b"demo" in listing.content
    page = admin_client.get(f"/admin/django_pingone_authorize/pingonesession/{row.pk}/change/")
    assert page.status_code == 200 and b"sid-admin" in page.content
    assert row.session_key_encrypted.encode() not in page.content
    assert admin_client.get("/admin/django_pingone_authorize/pingonesession/add/").status_code == 403


def test_user_page_has_identities_and_sessions_inline(admin_client: Client, pingone_sign_on: Any) -> None:
    user = pingone_sign_on(Client(), {"sid": "sid-inline"})
    page = admin_client.get(f"/admin/auth/user/{user.pk}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "PingOne identities" in text and "PingOne sessions" in text and "sid-inline" in text
    registered = type(admin.site._registry[User])
    assert issubclass(registered, UserAdmin)  # the site's class, extended
    assert pingone_admin.extend_user_admin() is True and type(admin.site._registry[User]) is registered  # once
