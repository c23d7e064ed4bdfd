from django.contrib import admin
from django.urls import include, path

from demo.views import home, secure, spa_page, spa_script, transfer, transfer_done

urlpatterns = [
    path("", home, name="home"),
    path("secure/", secure, name="secure"),
    path("transfer/", transfer, name="transfer"),
    path("transfer/done/", transfer_done, name="transfer_done"),
    # A single-page app on the headless API: a static page and its script (demo/spa/).
    path("spa/", spa_page, name="spa"),
    path("spa/app.js", spa_script, name="spa_script"),
    path("pingone/", include("django_pingone_authorize.urls")),
    path("admin/", admin.site.urls),
]
