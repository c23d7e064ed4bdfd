from django.urls import path

from django_pingone_authorize.views import CallbackView, LoginView, LogoutView
from django_pingone_authorize.views.assets import autosubmit_js
from django_pingone_authorize.views.embedded import EmbeddedSignOnView

app_name = "pingone"

urlpatterns = [
    path("login/", LoginView.as_view(), name="login"),
    path("login/<slug:alias>/", LoginView.as_view(), name="login"),
    path("callback/", CallbackView.as_view(), name="callback"),
    path("signon/<str:state>/", EmbeddedSignOnView.as_view(), name="signon"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("autosubmit.js", autosubmit_js, name="autosubmit_js"),
]
