from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import OPEN_DELIVERY, DeliveryStatus, Notification, WebhookDelivery, WebhookEndpoint


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("id", "recipient", "action", "title", "created_at", "read_at", "emailed_at")
    list_filter = ("source", "action")
    search_fields = ("title", "recipient__username")
    raw_id_fields = ("recipient",)
    readonly_fields = ("source", "event_id", "subject_id", "created_at", "emailed_at")


class DeliveryInline(admin.TabularInline):
    model = WebhookDelivery
    extra = 0
    can_delete = False
    fields = ("action", "status", "attempts", "next_attempt_at", "last_status_code", "last_error", "delivered_at")
    readonly_fields = fields
    ordering = ("-id",)
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """Endpoints are created through the API or the organisation's page, which shows the secret once."""

    list_display = ("id", "organisation", "url", "is_active", "created_by", "created_at")
    list_filter = ("is_active",)
    search_fields = ("url", "organisation__name")
    raw_id_fields = ("organisation", "created_by")
    readonly_fields = ("created_by", "created_at")
    inlines = [DeliveryInline]

    def has_add_permission(self, request):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("id", "endpoint", "action", "status", "attempts", "next_attempt_at", "last_status_code",
                    "delivered_at")
    list_filter = ("status", "source", "action")
    raw_id_fields = ("endpoint",)
    readonly_fields = ("endpoint", "source", "event_id", "action", "payload", "attempts", "last_attempt_at", "last_status_code",
                       "last_error", "created_at", "delivered_at")
    actions = ["retry_now"]

    @admin.action(description=_("立即重试所选投递"))
    def retry_now(self, request, queryset):
        from .tasks import deliver_webhook

        now = timezone.now()
        ids = list(queryset.filter(status__in=(*OPEN_DELIVERY, DeliveryStatus.GAVE_UP)).values_list("pk", flat=True))
        queryset.filter(pk__in=ids).update(status=DeliveryStatus.FAILED, next_attempt_at=now)
        for pk in ids:
            deliver_webhook.enqueue(pk)
        self.message_user(request, _("已安排重试 %d 条投递") % len(ids))
