"""The test URLs with the Django admin, its login page wrapped by ``admin_login.install`` (the app's ``ready()``
does that only when an alias has ``ADMIN_LOGIN`` at start-up; the tests change the setting per test)."""

from django.contrib import admin
from django.urls import path

from django_pingone_authorize import admin as admin_login
from tests.urls import urlpatterns as base_urlpatterns

admin_login.install(admin.site)

urlpatterns = [path("admin/", admin.site.urls), *base_urlpatterns]
