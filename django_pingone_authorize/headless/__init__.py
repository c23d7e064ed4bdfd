"""The headless sign-on API: the embedded (``pi.flow``) sign-on as JSON endpoints, for single-page and native apps.

Off unless the project sets ``PINGONE_AUTHORIZE_HEADLESS`` (``settings.py``). Two kinds of client
(``clients.py``): a browser client (the Django session cookie, CSRF on every unsafe request) and an app client
(an ``X-Session-Token`` header backed by a Django session; no cookies, no CSRF). The steps are the flow pages'
own (``sign_on/flow_steps.py``), the end is the pages' own (``sign_on/complete.py``); ``views.py`` is the JSON
face, ``schema.py`` its OpenAPI 3.1 description, ``urls.py`` its URLs (included by the app's ``urls.py``).
Nothing else imports this package.
"""
