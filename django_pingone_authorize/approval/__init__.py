"""Transaction approval: a signed-on user approves one specific action ("transfer 40 USD to J. Smith") with
PingOne MFA, on their phone or by a one-time code, the action's details shown in the notification.

A view asks with ``request_approval(request, template=..., variant=..., variables=..., next=...)``; when the
user comes back, ``consume_approval(request, template=..., variant=..., variables=...)`` is the ``Approval``
only if PingOne approved exactly these details, for this user, in this session, and it was not used before.
``@approval_required(...)`` and ``ApprovalRequiredMixin`` do both for the common case.

How it works: an embedded (``pi.flow``) authorize request for the signed-on user, started server-side:

* ``login_hint_token`` (HS256 with the client secret: ``iss`` = client_id, ``sub`` = the user's PingOne id
  from the (issuer, sub) identity table, ``aud`` = the issuer) names the user: no username or password step;
* a signed ``request`` object (the alias's REQUEST_OBJECT_ALGORITHM, else HS256 with the secret) carries
  ``pi.template`` (``{"name", "variant", "variables"}``: what the notification shows), ``pi.remoteIp`` (the
  end user's address, ``client_ip.py``) and the sign-on policy (APPROVAL_ACR_VALUES, else ACR_VALUES);
* the MFA steps are the app's own pages (``views/approval.py``); on ``COMPLETED`` the code is exchanged and
  the ID token checked: the same ``sub`` as the user's identity, ``acr`` as asked, ``auth_time`` after the
  approval started (less the leeway). Nobody is logged in or out, no session tokens change.

What was approved is a digest: SHA-256 over the canonical JSON of template, variant and variables. It is kept
in the session with the user's id, expires APPROVAL_TTL seconds after PingOne approved it and is consumed once.
"""

from django_pingone_authorize.approval.complete import complete_approval, consume_approval
from django_pingone_authorize.approval.request import request_approval
from django_pingone_authorize.approval.transaction import Approval, Transaction

__all__ = ["Approval", "Transaction", "complete_approval", "consume_approval", "request_approval"]
