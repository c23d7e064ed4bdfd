"""Signals a site can listen to.

``sign_on_succeeded``: sent after ``login()``, with ``request``, ``user``, ``alias`` and ``claims``.
``sign_on_failed``: sent when a sign-on ends in an error page, with ``request``, ``alias`` (None when it
could not be known) and ``reason`` (a short code such as ``state_unknown`` or ``id_token_bad_signature``).
"""

from django.dispatch import Signal

sign_on_succeeded = Signal()
sign_on_failed = Signal()
