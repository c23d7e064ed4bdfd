"""Every system check fires on its misconfiguration, with its own id and a hint; the README documents every id."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.sessions.backends import signed_cookies
from django.test import override_settings

from django_pingone_authorize import backends, checks
from django_pingone_authorize.checks import check_settings

ENV = "abfba8f6-49eb-49f5-a5d9-80ad5c98f9f6"
GOOD = {"AUTH_PATH": "https://auth.pingone.eu", "ENV_ID": ENV, "CLIENT_ID": "c", "CLIENT_SECRET": "s"}
TESTS = Path(__file__).resolve().parents[1]
README = TESTS.parent / "README.md"
SESSION = "django.contrib.sessions.middleware.SessionMiddleware"
AUTHENTICATION = "django.contrib.auth.middleware.AuthenticationMiddleware"
SESSION_CHECK_MIDDLEWARE = "django_pingone_authorize.middleware.SessionCheckMiddleware"
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


PEM = _pem()
BROKEN_PEM = "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----"


class SiteBackend(backends.PingOneBackend):
    """A site's own subclass: satisfies W001."""


class PingOneBackend:
    """Named like the backend but not one: ``tests.checks.test_checks.PingOneBackend`` does not satisfy W001."""


class SessionStore(signed_cookies.SessionStore):
    """This module as a SESSION_ENGINE: a signed-cookie engine under another name (E034)."""


class Case(NamedTuple):
    """Settings (one alias's options over GOOD, and project settings) and the one id they must raise."""

    id: str
    alias: dict[str, Any]
    project: dict[str, Any]


def case(id_: str, project: dict[str, Any] | None = None, **alias: Any) -> Case:
    return Case(id_, alias, project or {})


# One fault per row: the settings and the only message they may give. Every id in the README is here (or
# asserted in another test module: see test_every_documented_id_is_emitted_by_a_test).
CASES = [
    case("pingone.E001", {"PINGONE_AUTHORIZE": None}),
    case("pingone.E014", {"PINGONE_AUTHORIZE": ["x"]}),
    case("pingone.E014", {"PINGONE_AUTHORIZE": {}}),
    case("pingone.E002", {"PINGONE_AUTHORIZE": {"bad alias": GOOD}}),
    case("pingone.E020", {"PINGONE_AUTHORIZE": {"ok": "not a dict"}}),
    case("pingone.E003", CLIENTID="x"),
    case("pingone.E004", CLIENT_ID=""),
    case("pingone.E005", AUTH_PATH="auth.pingone.com"),
    case("pingone.E005", AUTH_PATH="ftp://auth.pingone.com"),
    case("pingone.E005", AUTH_PATH="http://[oops"),
    case("pingone.E005", AUTH_PATH="https://auth.pingone.com/?env=1"),
    case("pingone.E021", AUTH_PATH="http://auth.pingone.com"),
    case("pingone.E022", AUTH_PATH=f"https://auth.pingone.eu/{ENV}/as"),
    case("pingone.E022", AUTH_PATH=f"https://auth.pingone.eu/{ENV}"),
    case("pingone.E022", AUTH_PATH="https://auth.pingone.eu/as/"),
    case("pingone.E022", AUTH_PATH="https://login.example.com/as", ENV_ID=""),
    case("pingone.E006", ENV_ID="not-a-uuid"),
    case("pingone.E023", ENV_ID=""),
    case("pingone.E007", METHOD="PUT"),
    case("pingone.E008", RESPONSE_MODE="fragment"),
    case("pingone.E033", SCOPE="profile email"),
    case("pingone.E033", SCOPE="openidprofile"),
    case("pingone.E033", SCOPE=""),
    case("pingone.E009", TOKEN_ENDPOINT_AUTH_METHOD="client_secret"),
    case("pingone.E010", CLIENT_SECRET=""),
    case("pingone.E010", CLIENT_SECRET="", TOKEN_ENDPOINT_AUTH_METHOD="client_secret_post"),
    case("pingone.E024", TOKEN_ENDPOINT_AUTH_METHOD="private_key_jwt"),
    case("pingone.E025", TOKEN_ENDPOINT_AUTH_METHOD="client_secret_jwt", TOKEN_ENDPOINT_AUTH_ALGORITHM="RS256"),
    case(
        "pingone.E025",
        TOKEN_ENDPOINT_AUTH_METHOD="private_key_jwt",
        PRIVATE_KEY=PEM,
        TOKEN_ENDPOINT_AUTH_ALGORITHM="HS256",
    ),
    case("pingone.E011", ID_TOKEN_ALGORITHMS=("none",)),
    case("pingone.E011", ID_TOKEN_ALGORITHMS=()),
    case("pingone.E026", ID_TOKEN_ALGORITHMS=("HS256",), CLIENT_SECRET="", TOKEN_ENDPOINT_AUTH_METHOD="none"),
    case("pingone.E012", REQUEST_OBJECT_ALGORITHM="HS256", CLIENT_SECRET="", TOKEN_ENDPOINT_AUTH_METHOD="none"),
    case("pingone.E027", REQUEST_OBJECT_ALGORITHM="RS256"),
    case("pingone.E028", REQUEST_OBJECT_ALGORITHM="XX1"),
    case("pingone.E016", PRIVATE_KEY=BROKEN_PEM),
    case("pingone.E015", REQUEST_PARAMS=("prompt", "redirect_uri")),
    case("pingone.E017", TIMEOUT=0),
    case("pingone.E017", PENDING_MAX=True),
    case("pingone.E017", CACHE_TTL="60"),
    case("pingone.E029", LEEWAY=-1),
    case("pingone.E029", ID_TOKEN_MAX_AGE=1.5),
    case("pingone.E030", DISCOVERY="yes"),
    case("pingone.E030", IDP_SIGNOFF="yes"),
    case("pingone.E070", SESSION_CHECK_INTERVAL=0),
    case("pingone.E070", SESSION_CHECK_INTERVAL="300"),
    case("pingone.W070", SESSION_CHECK_INTERVAL=300),
    case("pingone.E030", SIGN_EMBEDDED_REQUESTS="yes"),
    case("pingone.W070", SESSION_CHECK_INTERVAL=300, SCOPE="openid offline_access"),
    case("pingone.E031", REQUIRE_ISS="sometimes"),
    case("pingone.W003", TIMEOUT=60),
    case("pingone.E018", REDIRECT_URI="/pingone/callback/"),
    case("pingone.E018", REDIRECT_URI="http://[oops"),
    case("pingone.E018", POST_LOGOUT_REDIRECT_URI="www.example.com/"),
    case("pingone.E019", CACHE="nope"),
    case("pingone.W004", {"CACHES": {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}}),
    case("pingone.W005", REGISTRATION=True),  # registration is offered on the embedded (pi.flow) pages only
    case("pingone.E030", REGISTRATION="yes"),
    case("pingone.E013", {"MIDDLEWARE": [AUTHENTICATION]}),
    case("pingone.E032", {"MIDDLEWARE": [SESSION]}),
    case("pingone.E071", {"MIDDLEWARE": [SESSION, SESSION_CHECK_MIDDLEWARE, AUTHENTICATION]}),
    case("pingone.E034", {"SESSION_ENGINE": "django.contrib.sessions.backends.signed_cookies"}),
    case("pingone.E034", {"SESSION_ENGINE": __name__}),
    case("pingone.W001", {"AUTHENTICATION_BACKENDS": [MODEL_BACKEND]}),
    case("pingone.W001", {"AUTHENTICATION_BACKENDS": [f"{__name__}.PingOneBackend", MODEL_BACKEND]}),
    case("pingone.W001", {"AUTHENTICATION_BACKENDS": ["no.such.PingOneBackend"]}),
    case("pingone.W002", {"SESSION_COOKIE_SAMESITE": "Strict"}),
]

# Settings that are fine: no message at all.
GOOD_CASES = [
    case(""),
    case("", SESSION_CHECK_INTERVAL=300, STORE_TOKENS=True, SCOPE="openid offline_access"),
    case("", {"MIDDLEWARE": [SESSION, AUTHENTICATION, SESSION_CHECK_MIDDLEWARE]}),
    case("", AUTH_PATH="http://127.0.0.1:9031"),
    case("", AUTH_PATH="http://localhost:9031"),
    case("", AUTH_PATH="https://login.example.com", ENV_ID=""),
    case("", AUTH_PATH="https://login.example.com/", ENV_ID=""),
    case("", AUTH_PATH="https://auth.pingone.eu/"),
    case("", AUTH_PATH="https://assets.example.com", ENV_ID=""),
    case("", METHOD="post", RESPONSE_MODE="form_post"),
    case("", SCOPE="openid"),
    case("", SCOPE="profile openid email offline_access"),
    case("", CLIENT_SECRET="", TOKEN_ENDPOINT_AUTH_METHOD="none"),
    case("", TOKEN_ENDPOINT_AUTH_METHOD="private_key_jwt", PRIVATE_KEY=PEM),
    case("", TOKEN_ENDPOINT_AUTH_METHOD="private_key_jwt", PRIVATE_KEY=PEM, TOKEN_ENDPOINT_AUTH_ALGORITHM="ES256"),
    case("", REQUEST_OBJECT_ALGORITHM="RS256", PRIVATE_KEY=PEM),
    case("", REQUEST_OBJECT_ALGORITHM="HS256"),
    case("", ID_TOKEN_ALGORITHMS=("RS256", "ES256")),
    case("", ID_TOKEN_ALGORITHMS="RS256"),
    case("", REDIRECT_URI="https://site.example/pingone/callback/", TIMEOUT=30),
    case("", {"AUTHENTICATION_BACKENDS": ["no.such.Backend", f"{__name__}.SiteBackend"]}),
    case("", {"SESSION_ENGINE": "django.contrib.sessions.backends.cache"}),
    case("", {"SESSION_ENGINE": "django.contrib.sessions.backends.cached_db"}),
]


def messages(test_case: Case) -> list[Any]:
    project = {"PINGONE_AUTHORIZE": {"default": {**GOOD, **test_case.alias}}, **test_case.project}
    with override_settings(**project):
        return check_settings()


@pytest.mark.parametrize("test_case", CASES, ids=lambda c: f"{c.id}-{c.alias or c.project}"[:80])
def test_each_fault_raises_its_own_id_with_a_hint(test_case: Case) -> None:
    found = messages(test_case)
    assert [m.id for m in found] == [test_case.id]
    assert found[0].hint


@pytest.mark.parametrize("test_case", GOOD_CASES, ids=lambda c: str(c.alias or c.project)[:80])
def test_good_settings_pass(test_case: Case) -> None:
    assert messages(test_case) == []


def test_unknown_key_suggests_the_right_one() -> None:
    (message,) = messages(case("", CLIENTID="x"))
    assert "'CLIENTID'" in message.msg
    assert message.hint == "Did you mean 'CLIENT_ID'?"


def test_missing_setting_names_it_in_the_hint() -> None:
    (message,) = messages(case("", {"PINGONE_AUTHORIZE": None}))
    assert "PINGONE_AUTHORIZE" in (message.hint or "")


def test_an_issuer_pasted_as_auth_path_says_where_the_environment_id_goes() -> None:
    (message,) = messages(case("", AUTH_PATH=f"https://auth.pingone.eu/{ENV}/as"))
    assert "ENV_ID" in (message.hint or "") and "https://auth.pingone.com" in (message.hint or "")


def test_the_signed_cookie_engine_names_what_would_leave_the_server() -> None:
    (message,) = messages(case("", {"SESSION_ENGINE": "django.contrib.sessions.backends.signed_cookies"}))
    assert "PKCE" in (message.hint or "") and "ID token" in (message.hint or "")


def test_one_message_per_fault_in_one_alias() -> None:
    broken = {"CLIENT_ID": "", "AUTH_PATH": "http://x.example", "ENV_ID": "x", "METHOD": "PUT", "TIMEOUT": 0}
    with override_settings(PINGONE_AUTHORIZE={"default": broken}):
        found = check_settings()
    expected = ["pingone.E004", "pingone.E021", "pingone.E006", "pingone.E007", "pingone.E010", "pingone.E017"]
    assert [m.id for m in found] == expected
    assert all(m.hint for m in found)


# -- the README's "Check ids" table, the ids in checks.py and the tests, held together -------------------


def documented_ids() -> dict[str, str]:
    text = README.read_text()
    section = text.split("### Check ids", 1)[1].split("\n#", 1)[0]
    rows = re.findall(r"^\| `(pingone\.[EW]\d{3})` \| (.+?) \|\s*$", section, flags=re.MULTILINE)
    return dict(rows)


def ids_in_checks_module() -> set[str]:
    """Every id the checks emit: the source of every module of ``checks/`` (its ``__init__`` only imports them)."""
    source = "\n".join(path.read_text() for path in sorted(Path(checks.__file__).parent.glob("*.py")))
    found = set(re.findall(r"pingone\.[EW]\d{3}", source))
    for kind, number in re.findall(r"\b_(err|warn)\(\s*(\d+)", source):
        found.add(f"pingone.{'E' if kind == 'err' else 'W'}{int(number):03d}")
    return found


def ids_asserted_elsewhere() -> set[str]:
    """Ids named in other test modules (checks added with their own tests, e.g. for step-up options)."""
    found: set[str] = set()
    for path in TESTS.rglob("test_*.py"):
        if path.resolve() != Path(__file__).resolve():
            found.update(re.findall(r"pingone\.[EW]\d{3}", path.read_text()))
    return found


def test_readme_documents_every_id_once() -> None:
    text = README.read_text()
    documented = documented_ids()
    assert len(documented) >= 30
    for check_id, meaning in documented.items():
        assert meaning.strip(), check_id
        assert text.count(f"| `{check_id}` |") == 1, check_id


def test_every_id_in_checks_is_documented() -> None:
    assert ids_in_checks_module() - set(documented_ids()) == set()


def test_every_documented_id_is_emitted_by_a_test() -> None:
    emitted = {c.id for c in CASES} | ids_asserted_elsewhere()
    assert set(documented_ids()) - emitted == set()
