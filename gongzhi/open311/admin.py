"""Django admin (superusers): clients, their keys (issue shows the key once; revoke), filed requests."""
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services
from .models import ApiClient, ApiKey, ServiceRequest


class ApiKeyInline(admin.TabularInline):
    model = ApiKey
    extra = 0
    can_delete = False
    fields = ("prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ("name", "contact", "is_active", "created_at")
    search_fields = ("name", "contact")
    readonly_fields = ("user", "created_at", "created_by")
    inlines = [ApiKeyInline]
    actions = ["issue_key"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(description=_("签发新密钥（只显示一次）"))
    def issue_key(self, request, queryset):
        issued = []
        for client in queryset:
            try:
                key, raw = services.key_issue(user=request.user, client=client)
            except ValidationError as e:
                self.message_user(request, f"{client}: {'；'.join(e.messages)}", messages.ERROR)
                continue
            issued.append((client, key, raw))
        if not issued:
            return None
        response = TemplateResponse(request, "admin/open311/issued_keys.html",
                                    {**self.admin_site.each_context(request), "issued": issued,
                                     "title": _("新签发的密钥"), "opts": self.model._meta})
        response["Cache-Control"] = "no-store"
        return response


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("prefix", "client", "created_at", "last_used_at", "revoked_at")
    list_filter = ("client",)
    readonly_fields = ("client", "prefix", "created_at", "created_by", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False  # keys are issued from the client list (the action shows the key once)

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description=_("吊销所选密钥"))
    def revoke(self, request, queryset):
        n = 0
        for key in queryset:
            services.key_revoke(user=request.user, key=key)
            n += 1
        self.message_user(request, ngettext("已吊销 %(n)d 个密钥", "已吊销 %(n)d 个密钥", n) % {"n": n})


@admin.register(ServiceRequest)
class ServiceRequestAdmin(admin.ModelAdmin):
    list_display = ("token", "appeal", "client", "account_id", "created_at")
    list_filter = ("client",)
    search_fields = ("token", "account_id")
    readonly_fields = ("appeal", "client", "token", "account_id", "device_id", "media_url", "created_at")
    exclude = ("email_enc",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
