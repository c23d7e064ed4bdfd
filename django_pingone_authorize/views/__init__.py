"""The sign-on views: it starts in ``login.py`` and ends in ``callback.py`` (a redirect sign-on) or
``embedded.py`` (PingOne's pi.flow sign-on on the site's own page); both end through the sign-on core,
``sign_on/complete.py``. ``logout.py`` signs off.
"""

from django_pingone_authorize.views.callback import CallbackView
from django_pingone_authorize.views.embedded import EmbeddedSignOnView
from django_pingone_authorize.views.login import LoginView
from django_pingone_authorize.views.logout import LogoutView

__all__ = ["CallbackView", "EmbeddedSignOnView", "LoginView", "LogoutView"]
