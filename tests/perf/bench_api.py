"""``make bench`` (c): what accepting a PingOne access token costs a DRF request.

In one process, one run: the same tiny DRF view called through Django's ``WSGIHandler`` with no
authentication (the floor), with ours (``PingOneTokenAuthentication`` + ``HasScope``, local JWT validation;
a signed-on user's token, so one identity look-up in the database, and a client-credentials token, none),
with ours introspecting every request (``API_INTROSPECT=True``, ``API_INTROSPECTION_MAX_CACHE=0``), and with
mozilla-django-oidc's ``OIDCAuthentication`` (userinfo on every request, the user found by email), and, for
reference, with DRF's own ``TokenAuthentication`` (one database look-up of the user, as ours makes for a user). The
tokens come from the PingOne stand-in, running in a process of its own. Calls are interleaved in rounds after
a warm-up; outbound HTTP calls are counted on ``requests``. Prints a markdown table.

    python tests/perf/bench_api.py [--iterations 3000] [--slow-iterations 400] [--strict]

A token that passed is remembered by the process for up to a minute (``access_tokens.MEMO_SECONDS``); the
"validated afresh" row empties that memo before each call, so it shows the whole check (signature included).

``--strict``: exit status 1 unless ours makes no outbound call in steady state and accepting a token (the
client-credentials rows: no user to look up) adds at most 0.2 ms.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.perf.common import free_port, machine_note, wsgi_get_environ  # noqa: E402

AUDIENCE = "https://orders.example.com"
ADDED_TARGET_US = 200.0
STANDIN = f"""
import sys
from django_pingone_authorize.testing import PingOneStandIn
standin = PingOneStandIn(port=int(sys.argv[1]))
standin.add_resource({AUDIENCE!r}, ["orders:read"])
standin.start()
print(standin.issuer, flush=True)
sys.stdin.read()
"""
CALLS = [0]


def start_standin() -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", STANDIN, str(port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    issuer = process.stdout.readline().strip()
    if not issuer.startswith("http"):
        raise RuntimeError("the stand-in did not start")
    return process, issuer


def configure(issuer: str) -> None:
    import django
    from django.conf import settings

    auth_path, env_id = issuer.removesuffix("/as").rsplit("/", 1)
    alias = {
        "AUTH_PATH": auth_path,
        "ENV_ID": env_id,
        "CLIENT_ID": "demo-client",
        "CLIENT_SECRET": "demo-secret",
        "API_AUDIENCE": AUDIENCE,
    }
    settings.configure(
        SECRET_KEY="bench-only-not-secret",
        DEBUG=False,
        ALLOWED_HOSTS=["testserver"],
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django_pingone_authorize",
            "rest_framework",
            "rest_framework.authtoken",
            "mozilla_django_oidc",
        ],
        MIDDLEWARE=["django.middleware.security.SecurityMiddleware", "django.middleware.common.CommonMiddleware"],
        ROOT_URLCONF="tests.perf.bench_api_urls",
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
        AUTHENTICATION_BACKENDS=["mozilla_django_oidc.auth.OIDCAuthenticationBackend"],
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        USE_TZ=True,
        PINGONE_AUTHORIZE={
            "default": alias,
            "introspect": {**alias, "API_INTROSPECT": True, "API_INTROSPECTION_MAX_CACHE": 0},
        },
        # mozilla-django-oidc as its documentation configures it, for the same stand-in and application.
        OIDC_RP_CLIENT_ID="demo-client",
        OIDC_RP_CLIENT_SECRET="demo-secret",
        OIDC_RP_SIGN_ALGO="RS256",
        OIDC_OP_AUTHORIZATION_ENDPOINT=f"{issuer}/authorize",
        OIDC_OP_TOKEN_ENDPOINT=f"{issuer}/token",
        OIDC_OP_USER_ENDPOINT=f"{issuer}/userinfo",
        OIDC_OP_JWKS_ENDPOINT=f"{issuer}/jwks",
        REST_FRAMEWORK={
            "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
            "UNAUTHENTICATED_USER": None,
        },
        LOGGING={"version": 1, "disable_existing_loggers": False, "root": {"level": "ERROR"}},
    )
    django.setup()


def count_outbound_calls() -> None:
    import requests

    send = requests.Session.send

    def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        CALLS[0] += 1
        return send(self, *args, **kwargs)

    requests.Session.send = counted  # type: ignore[method-assign]


def tokens(issuer: str) -> tuple[str, str]:
    """A signed-on user's access token (the demo user, for the orders API) and a client-credentials one."""
    import base64
    import hashlib
    import secrets

    import requests

    from django_pingone_authorize.testing.driver import sign_on

    callback = "http://127.0.0.1:8000/pingone/callback/"
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = (
        f"response_type=code&client_id=demo-client&redirect_uri={callback}&state=s&nonce=n"
        f"&scope=openid%20profile%20email%20orders:read&code_challenge={challenge}&code_challenge_method=S256"
    )
    code = sign_on(requests.Session(), f"{issuer}/authorize?{query}").params["code"]
    auth = ("demo-client", "demo-secret")
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": callback, "code_verifier": verifier}
    user = requests.post(f"{issuer}/token", data=form, auth=auth, timeout=10).json()["access_token"]
    form = {"grant_type": "client_credentials", "scope": "orders:read"}
    machine = requests.post(f"{issuer}/token", data=form, auth=auth, timeout=10).json()["access_token"]
    return user, machine


def caller(handler: Any, path: str, token: str | None, scheme: str = "Bearer") -> Callable[[], float]:
    base = wsgi_get_environ(path)
    if token is not None:
        base["HTTP_AUTHORIZATION"] = f"{scheme} {token}"
    status: list[str] = []

    def start_response(value: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        status.append(value)

    def call() -> float:
        environ = dict(base)
        environ["wsgi.input"] = io.BytesIO(b"")
        status.clear()
        start = time.perf_counter()
        response = handler(environ, start_response)
        for _ in response:
            pass
        response.close()
        elapsed = time.perf_counter() - start
        if not status[0].startswith("200"):
            raise RuntimeError(f"{path}: {status[0]}")
        return elapsed

    return call


def afresh(call: Callable[[], float]) -> Callable[[], float]:
    """The call with this process's memo of validated tokens emptied first (signature and claims checked)."""
    from django_pingone_authorize.api import access_tokens

    def call_afresh() -> float:
        access_tokens.reset_caches()
        return call()

    return call_afresh


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iterations", type=int, default=int(os.environ.get("BENCH_API_ITERATIONS", "3000")))
    parser.add_argument("--slow-iterations", type=int, default=int(os.environ.get("BENCH_API_SLOW", "400")))
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args()

    process, issuer = start_standin()
    try:
        configure(issuer)
        from django.contrib.auth import get_user_model
        from django.core.handlers.wsgi import WSGIHandler
        from django.core.management import call_command

        from django_pingone_authorize.models import PingOneIdentity
        from django_pingone_authorize.testing.standin import DEMO_SUB

        call_command("migrate", verbosity=0)
        demo = get_user_model().objects.create(username="demo", email="demo@example.com")
        PingOneIdentity.objects.create(user=demo, issuer=issuer, subject=DEMO_SUB)
        from rest_framework.authtoken.models import Token

        drf_token = Token.objects.create(user=demo).key
        user_token, machine_token = tokens(issuer)
        count_outbound_calls()
        handler = WSGIHandler()
        variants: dict[str, tuple[Callable[[], float], int]] = {
            "no authentication (floor)": (caller(handler, "/floor/", None), args.iterations),
            "ours, a user's token": (caller(handler, "/ours/", user_token), args.iterations),
            "ours, a client-credentials token": (caller(handler, "/ours/", machine_token), args.iterations),
            "ours, a client-credentials token, validated afresh each time": (
                afresh(caller(handler, "/ours/", machine_token)),
                args.iterations,
            ),
            "ours, introspecting every request": (caller(handler, "/introspect/", user_token), args.slow_iterations),
            "mozilla-django-oidc OIDCAuthentication": (caller(handler, "/mozilla/", user_token), args.slow_iterations),
            "(reference) DRF TokenAuthentication, a user in the database": (
                caller(handler, "/drf-token/", drf_token, "Token"),
                args.iterations,
            ),
        }
        for call, _ in variants.values():  # warm-up: discovery, keys, the user mozilla-django-oidc creates
            for _ in range(20):
                call()
        times: dict[str, list[float]] = {name: [] for name in variants}
        calls: dict[str, int] = dict.fromkeys(variants, 0)
        for _ in range(args.rounds):
            for name, (call, iterations) in variants.items():
                before = CALLS[0]
                for _ in range(max(1, iterations // args.rounds)):
                    times[name].append(call())
                calls[name] += CALLS[0] - before
    finally:
        process.terminate()
        process.wait(timeout=10)

    floor = statistics.median(times["no authentication (floor)"])
    print(f"Accepting an access token in a DRF view ({machine_note()})\n")
    print("| authentication | median | p90 | requests/s | added vs floor | / floor | outbound calls per request |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, values in times.items():
        median = statistics.median(values)
        p90 = sorted(values)[int(len(values) * 0.9)]
        added = "" if name.endswith("(floor)") else f"{(median - floor) * 1e6:+.0f} µs"
        print(
            f"| {name} | {median * 1e6:.0f} µs | {p90 * 1e6:.0f} µs | {1 / statistics.mean(values):,.0f} | "
            f"{added} | {median / floor:.2f}x | {calls[name] / len(values):.2f} |"
        )
    ours = [name for name in times if name.startswith("ours, a")]
    # The target is the steady state: a client presents the same token for its lifetime, and a token that passed is
    # remembered for up to a minute. The "afresh" row (every check, RSA signature included) is published beside it.
    steady = [name for name in ours if "client-credentials" in name and "afresh" not in name]
    worst_added = max(statistics.median(times[name]) - floor for name in steady) * 1e6
    outbound = sum(calls[name] for name in ours)
    missed = []
    if outbound:
        missed.append(f"ours made {outbound} outbound calls in steady state")
    if worst_added > ADDED_TARGET_US:
        missed.append(f"ours added {worst_added:.0f} µs > {ADDED_TARGET_US:.0f} µs")
    for line in missed:
        print(f"\nTarget missed: {line}")
    return 1 if missed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
