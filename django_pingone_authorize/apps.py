from django.apps import AppConfig, apps


class PingOneAuthorizeConfig(AppConfig):
    name = "django_pingone_authorize"
    verbose_name = "PingOne sign-on"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django_pingone_authorize import checks  # noqa: F401  (registers the system checks)
        from django_pingone_authorize.sessions import session_index  # noqa: F401  (its login/logout receivers)

        if apps.is_installed("drf_spectacular"):
            from django_pingone_authorize.api import openapi  # noqa: F401  (registers the schema extension)

        if apps.is_installed("django.contrib.admin"):
            from django_pingone_authorize import admin

            admin.install_when_configured()  # the admin's login page, when an alias has ADMIN_LOGIN
            admin.extend_user_admin()  # the user's page: identities and sessions inline
