"""Run by tests/test_import_identities.py in a subprocess (``tests.import_site_settings``): the site's existing
identities in django-allauth's and social-auth-app-django's tables, then ``pingone_import_identities``.
Prints one JSON object: each command's output and the identities linked."""

from __future__ import annotations

import io
import json
import sys

import django

django.setup()

from allauth.socialaccount.models import SocialAccount  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from social_django.models import UserSocialAuth  # noqa: E402

from django_pingone_authorize.models import PingOneIdentity  # noqa: E402
from django_pingone_authorize.signals import identity_linked  # noqa: E402

call_command("migrate", verbosity=0)
ada, bob, eve, mallory = (
    User.objects.create(username=n, email=f"{n}@example.com") for n in ("ada", "bob", "eve", "mallory")
)
SocialAccount.objects.create(user=ada, provider="pingone", uid="sub-ada")
SocialAccount.objects.create(user=bob, provider="pingone", uid="sub-bob")
SocialAccount.objects.create(user=eve, provider="google", uid="google-eve")  # another provider: left alone
UserSocialAuth.objects.create(user=eve, provider="oidc", uid="sub-eve")
UserSocialAuth.objects.create(user=mallory, provider="oidc", uid="sub-ada")  # claims ada's identity: refused
User.objects.create(username="twin1", email="twin@example.com")
User.objects.create(username="twin2", email="TWIN@example.com")
heard = []
identity_linked.connect(lambda sender, **kw: heard.append(kw["how"]), weak=False)


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("pingone_import_identities", *args, stdout=out)
    return out.getvalue()


results = {
    "allauth_dry": run("allauth", "--provider", "pingone"),
    "links_after_dry": PingOneIdentity.objects.count(),
    "allauth": run("allauth", "--provider", "pingone", "--commit", "-v", "2"),
    "social": run("social", "--commit", "-v", "2"),
    "mozilla": run("mozilla", "--subjects", sys.argv[1], "--commit", "-v", "2"),
    "again": run("allauth", "--provider", "pingone"),
    "links": sorted(PingOneIdentity.objects.values_list("user__username", "subject")),
    "heard": heard,
}
print(json.dumps(results))
