from django.contrib import admin

from django_pingone_authorize.models import PingOneIdentity


@admin.register(PingOneIdentity)
class PingOneIdentityAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("subject", "issuer", "user", "created_at")
    search_fields = ("subject", "user__username", "user__email")
    raw_id_fields = ("user",)
    readonly_fields = ("created_at",)
