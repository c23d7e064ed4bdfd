"""System checks (``manage.py check``): every misconfiguration of ``PINGONE_AUTHORIZE`` (and of the project
around it) is an Error or Warning with its own id (``pingone.E001``...) and a hint saying how to fix it.

One small function per fault, in a module per group of ids: ``options.py`` (the aliases as a whole; its
``check_settings`` is what Django runs), ``connection.py``, ``project.py``, ``requirements.py``, ``api.py``,
``approval.py``, ``admin.py``, ``sessions.py``, ``headless.py``; ``environment.py`` asks the live environment
(``manage.py pingone_check``). Each check is given an alias's options as written and as ``conf.normalise`` puts
them (the values ``get_alias`` uses). The README's "Check ids" table lists every id
(``tests/checks/test_checks.py`` holds the two together). Ids are never reused for another fault.
"""

from __future__ import annotations

# Importing each module registers its checks with Django (``@register``); these are what Django runs.
from django_pingone_authorize.checks.admin import check_admin_and_groups_settings, check_admin_login_view
from django_pingone_authorize.checks.api import check_api_settings
from django_pingone_authorize.checks.approval import check_approval_policies, check_transaction_approval
from django_pingone_authorize.checks.headless import check_headless_settings
from django_pingone_authorize.checks.options import check_settings
from django_pingone_authorize.checks.requirements import check_sign_on_requirements
from django_pingone_authorize.checks.sessions import check_session_settings

__all__ = [
    "check_admin_and_groups_settings",
    "check_admin_login_view",
    "check_api_settings",
    "check_approval_policies",
    "check_headless_settings",
    "check_session_settings",
    "check_settings",
    "check_sign_on_requirements",
    "check_transaction_approval",
]
