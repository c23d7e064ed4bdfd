"""The app's URLs. Every one of them is reached by visitors who are not signed on yet (or no longer), or by
PingOne itself, so each is ``login_not_required``: the app works under Django's ``LoginRequiredMiddleware``
(5.1+), also with ``LOGIN_URL = "pingone:login"``. "Log out everywhere" is the exception: it needs a session.
"""

from django.urls import path

from django_pingone_authorize.decorators import login_not_required
from django_pingone_authorize.headless import urls as headless_urls
from django_pingone_authorize.views import CallbackView, LoginView, LogoutView
from django_pingone_authorize.views.approval import ApprovalView
from django_pingone_authorize.views.assets import autosubmit_js, passkey_js
from django_pingone_authorize.views.channel_logout import BackChannelLogoutView, FrontChannelLogoutView
from django_pingone_authorize.views.embedded import EmbeddedSignOnView
from django_pingone_authorize.views.session_end import LogoutEverywhereView, SessionEndedView

app_name = "pingone"

urlpatterns = [
    path("login/", login_not_required(LoginView.as_view()), name="login"),
    path("login/<slug:alias>/", login_not_required(LoginView.as_view()), name="login"),
    path("callback/", login_not_required(CallbackView.as_view()), name="callback"),
    path("signon/<str:state>/", login_not_required(EmbeddedSignOnView.as_view()), name="signon"),
    path("approval/<str:state>/", login_not_required(ApprovalView.as_view()), name="approval"),
    path("logout/", login_not_required(LogoutView.as_view()), name="logout"),
    path("logout/everywhere/", LogoutEverywhereView.as_view(), name="logout_everywhere"),
    path("logout/frontchannel/", login_not_required(FrontChannelLogoutView.as_view()), name="frontchannel_logout"),
    path("logout/backchannel/", login_not_required(BackChannelLogoutView.as_view()), name="backchannel_logout"),
    path("session-ended/", login_not_required(SessionEndedView.as_view()), name="session_ended"),
    path("autosubmit.js", login_not_required(autosubmit_js), name="autosubmit_js"),
    path("passkey.js", login_not_required(passkey_js), name="passkey_js"),
    # The headless sign-on API (404 unless PINGONE_AUTHORIZE_HEADLESS is set): headless/urls.py.
    *headless_urls.urlpatterns,
]
