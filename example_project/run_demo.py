"""`make demo`: the example site on http://127.0.0.1:8000/, signing on against the built-in PingOne
stand-in on http://localhost:9031 (a different site, so form_post is a real cross-site POST), or against
real PingOne when PINGONE_ENV_ID (with PINGONE_AUTH_PATH, PINGONE_CLIENT_ID, PINGONE_CLIENT_SECRET) is set.
"""

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]  # the demo, and the app from this checkout
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

if __name__ == "__main__":
    standin = None
    address = os.environ.get("DEMO_ADDR", "127.0.0.1:8000")
    if settings.USING_STANDIN:
        from django_pingone_authorize.testing import PingOneStandIn

        # Registered as in PingOne's console: http://localhost:8000/... is refused ("Redirect URI mismatch").
        standin = PingOneStandIn(
            host=settings.STANDIN_HOST,
            port=settings.STANDIN_PORT,
            env_id=settings.STANDIN_ENV_ID,
            redirect_uris=[f"http://{address}/pingone/callback/"],
        ).start()
        print(f"PingOne stand-in: {standin.issuer}  (users demo/demo, change/change, otp/otp + 123456)")
        # Transaction approval ("Transfer money"): demo chooses an email code (123456) or a push to the phone.
        standin.add_device("demo", "EMAIL", nickname="demo@example.com", otp="123456")
        phone = standin.add_device("demo", "MOBILE", nickname="Demo's phone")
        print(f"Demo's phone (approve pushes here): {standin.phone_url(phone)}")
        # An identifier-first user (the "username first" button) and an MFA user: a device after the password.
        standin.add_user("ida", "ida", claims={"preferred_username": "ida", "given_name": "Ida"})
        standin.add_user("mia", "mia", mfa=True, claims={"preferred_username": "mia", "given_name": "Mia"})
        standin.add_device("mia", "EMAIL", nickname="mia@example.com", otp="123456")
        standin.add_device("mia", "SMS", nickname="Mia's mobile", otp="123456")
        mia_phone = standin.add_device("mia", "MOBILE", nickname="Mia's phone")
        print(f"Mia's phone (approve her sign-on pushes here): {standin.phone_url(mia_phone)}")
        # "Forgot your password?" and "Create an account" on the embedded page: the codes PingOne would email
        # are on the stand-in's mailbox page.
        standin.password_recovery = standin.registration = True
        print(f"Recovery and verification codes (the users' mailbox): {standin.mailbox_url}")
        # A passkey for mia (then one of her devices): WebAuthn refuses IP addresses, so browse the site as
        # localhost (DEMO_ADDR=localhost:8000 make demo) and register it on the stand-in's page, RP ID localhost.
        print(f"A passkey for mia (site at http://localhost:8000/): {standin.passkey_registration_url}?username=mia")
    else:
        print(f"Real PingOne: {settings.PINGONE_AUTHORIZE['default']['AUTH_PATH']}")
    print(f"Example site: http://{address}/")
    try:
        call_command("runserver", address, use_reloader=False)
    finally:
        if standin is not None:
            standin.stop()
