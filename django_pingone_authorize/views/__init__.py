"""The sign-on views: it starts in ``login.py``, ends in ``callback.py``; ``logout.py`` signs off,
``embedded.py`` drives PingOne's pi.flow sign-on on the site's own page.
"""

from django_pingone_authorize.views.callback import CallbackView
from django_pingone_authorize.views.login import LoginView
from django_pingone_authorize.views.logout import LogoutView

__all__ = ["CallbackView", "LoginView", "LogoutView"]
