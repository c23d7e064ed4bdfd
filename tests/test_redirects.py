"""``redirects.py``: the fast path for a plain same-site ``next`` never accepts what Django's check refuses, and the
callback URL is what ``build_absolute_uri`` gives, per host."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import RequestFactory
from django.utils.http import url_has_allowed_host_and_scheme
from hypothesis import example, given
from hypothesis import strategies as st

from django_pingone_authorize.conf import get_alias
from django_pingone_authorize.redirects import _SAME_SITE_PATH, callback_uri, safe_next_url

# Every character class the fast path could see, and the ones that make a "path" leave the site.
_ALPHABET = st.sampled_from([*"/\\\t\n\r :@%?#.-_~!$&'()*+,;=aZ09", "\x00", "\x7f", "é", "\u3002"])


@given(st.text(_ALPHABET, max_size=12))
@example("/\t/evil.example")
@example("/\\evil.example")
@example("//evil.example")
@example("/%2F/evil.example")
def test_what_the_fast_path_accepts_django_accepts(value: str) -> None:
    if _SAME_SITE_PATH.fullmatch(value):
        assert url_has_allowed_host_and_scheme(value, allowed_hosts={"testserver"}, require_https=True)


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ("/", "/"),
        ("/inbox/?page=2#top", "/inbox/?page=2#top"),
        ("/\t/evil.example/", None),
        ("/\\evil.example/", None),
        ("//evil.example/", None),
        ("http://testserver/ok/", "http://testserver/ok/"),  # not the fast path: Django's check, the request's host
        ("http://other.example/", None),
    ],
)
def test_safe_next_url(rf: RequestFactory, value: str, kept: str | None) -> None:
    assert safe_next_url(rf.get("/"), value) == kept


def test_callback_uri_is_build_absolute_uris_per_host(rf: RequestFactory, settings: Any) -> None:
    settings.ALLOWED_HOSTS = ["testserver", "app.example"]
    config = get_alias()
    for host, secure in (("testserver", False), ("app.example", True), ("testserver", True)):
        request = rf.get("/", HTTP_HOST=host, secure=secure)
        assert callback_uri(request, config) == request.build_absolute_uri("/pingone/callback/")
