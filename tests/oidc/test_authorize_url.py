"""The authorize query string is ``urlencode``'s, character for character (it only skips quoting what needs none)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from hypothesis import given
from hypothesis import strategies as st

from django_pingone_authorize.oidc.authorize import query_string


def test_a_typical_request_is_urlencodes() -> None:
    params = {
        "response_type": "code",
        "client_id": "5a2d3c1e-0000-4000-8000-00000000abcd",
        "redirect_uri": "https://app.example/pingone/callback/?x=1&y=é",
        "scope": "openid profile email",
        "state": "Zm9v_YmFy-YmF6~.",
        "login_hint": "ida+1@example.com",
        "acr_values": "Single_Factor Multi_Factor",
    }
    assert query_string(params) == urlencode(params)
    assert "redirect_uri=https%3A%2F%2Fapp.example%2Fpingone%2Fcallback%2F%3Fx%3D1%26y%3D%C3%A9" in query_string(params)
    assert "scope=openid+profile+email" in query_string(params)
    assert dict(parse_qsl(query_string(params))) == params


@given(st.dictionaries(st.text(), st.text(), max_size=8))
def test_any_parameters_are_encoded_as_urlencode_does(params: dict[str, str]) -> None:
    assert query_string(params) == urlencode(params)


def test_the_login_redirect_sends_what_httpresponseredirect_would() -> None:
    from django.http import HttpResponseRedirect

    from django_pingone_authorize.oidc.authorize import AuthorizeRequest
    from django_pingone_authorize.views.login import AuthorizeRedirect

    request = AuthorizeRequest("https://auth.example/énv/as/authorize", {"state": "s", "scope": "openid email"})
    assert request.url == "https://auth.example/%C3%A9nv/as/authorize?state=s&scope=openid+email"
    ours, django = AuthorizeRedirect(request.url), HttpResponseRedirect(request.url)
    assert (ours.status_code, ours["Location"], ours.url) == (302, django["Location"], django.url)
    assert isinstance(ours, HttpResponseRedirect)
